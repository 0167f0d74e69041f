"""One call from a statements request body to validated statements and attachment data."""

from __future__ import annotations

import hashlib

import orjson
import pytest

from lrs.core.errors import BadRequest
from lrs.xapi.attachments import AttachmentPart, build_multipart
from lrs.xapi.intake import read_statements
from tests.xapi.xapi_samples import edited, full, minimal

TEXT = b"here is a simple attachment"
TEXT_SHA = hashlib.sha256(TEXT).hexdigest()
ATTACHMENT = {
    "usageType": "http://example.com/attachment-usage/test",
    "display": {"en-US": "A test attachment"},
    "contentType": "text/plain",
    "length": len(TEXT),
    "sha2": TEXT_SHA,
}


def test_json_single_statement() -> None:
    request = read_statements(orjson.dumps(full()), "application/json; charset=utf-8")
    assert request.single is True
    assert request.statements == [full()]
    assert request.attachments == {}


def test_json_batch() -> None:
    request = read_statements(orjson.dumps([minimal(), full()]), "application/json")
    assert request.single is False
    assert len(request.statements) == 2


def test_multipart_with_data() -> None:
    statement = {**minimal(), "attachments": [ATTACHMENT]}
    body, content_type = build_multipart(
        orjson.dumps([statement]), [AttachmentPart(TEXT_SHA, TEXT, "text/plain")]
    )
    request = read_statements(body, content_type)
    assert request.statements == [statement]
    assert request.attachments[TEXT_SHA].data == TEXT


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{", "application/json", "not valid JSON"),
        (orjson.dumps(edited(minimal(), "actor.mbox", "x")), "application/json", "actor.mbox:"),
        (
            orjson.dumps({**minimal(), "attachments": [ATTACHMENT]}),
            "application/json",
            "attachments[0]: an attachment without fileUrl",
        ),
        (
            orjson.dumps(minimal()),
            "multipart/form-data; boundary=x",
            "application/json or multipart/mixed",
        ),
        (orjson.dumps(minimal()), "text/plain", "application/json or multipart/mixed"),
        (orjson.dumps(minimal()), None, "no Content-Type"),
        (
            build_multipart(
                orjson.dumps({**minimal(), "attachments": [ATTACHMENT]}), [], boundary="b"
            )[0],
            'multipart/mixed; boundary="b"',
            "no multipart part has this attachment's sha2",
        ),
    ],
)
def test_rejected(body: bytes, content_type: str | None, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        read_statements(body, content_type)
    assert message in caught.value.message
