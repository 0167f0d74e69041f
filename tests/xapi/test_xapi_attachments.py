"""multipart/mixed statement requests and responses: parsing, every rule, and round trips."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrs.core.errors import BadRequest
from lrs.xapi.attachments import (
    AttachmentPart,
    attachment_objects,
    build_multipart,
    check_attachment_parts,
    parse_content_type,
    parse_multipart,
    require_file_urls,
)
from tests.xapi.xapi_samples import edited, minimal, substatement

BOUNDARY = "-------314159265358979323846"
CONTENT_TYPE = f"multipart/mixed; boundary={BOUNDARY}"
TEXT = b"here is a simple attachment"
TEXT_SHA = hashlib.sha256(TEXT).hexdigest()
IMAGE = bytes(range(256)) * 4 + b"\r\n--not-the-boundary\r\n"
IMAGE_SHA = hashlib.sha256(IMAGE).hexdigest()


def _attachment(data: bytes, content_type: str = "text/plain", **extra: Any) -> dict[str, Any]:
    return {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "A test attachment"},
        "contentType": content_type,
        "length": len(data),
        "sha2": hashlib.sha256(data).hexdigest(),
        **extra,
    }


def _statement(*attachments: dict[str, Any]) -> dict[str, Any]:
    return {**minimal(), "attachments": list(attachments)}


def _part(data: bytes, headers: dict[str, str]) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"--{BOUNDARY}\r\n{head}\r\n".encode() + data + b"\r\n"


def _attachment_headers(
    data: bytes, content_type: str = "text/plain", **more: str
) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": hashlib.sha256(data).hexdigest(),
        **more,
    }


def _body(statements: Any, *parts: bytes, first_type: str = "application/json") -> bytes:
    first = _part(orjson.dumps(statements), {"Content-Type": first_type})
    return first + b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _parse_and_check(body: bytes, content_type: str = CONTENT_TYPE) -> Any:
    parsed = parse_multipart(body, content_type)
    statements = parsed.statements if isinstance(parsed.statements, list) else [parsed.statements]
    check_attachment_parts(statements, parsed.parts)
    return parsed


def test_statement_with_two_attachments() -> None:
    statement = _statement(_attachment(TEXT), _attachment(IMAGE, "image/jpeg"))
    body = _body(
        statement,
        _part(TEXT, _attachment_headers(TEXT)),
        _part(IMAGE, _attachment_headers(IMAGE, "image/jpeg")),
    )
    parsed = _parse_and_check(body)
    assert parsed.statements == statement
    assert orjson.loads(parsed.raw_json) == statement
    assert list(parsed.parts) == [TEXT_SHA, IMAGE_SHA]
    assert parsed.parts[IMAGE_SHA].data == IMAGE
    assert parsed.parts[TEXT_SHA].content_type == "text/plain"


def test_spec_example_body_with_quoted_boundary() -> None:
    boundary = "abcABC0123'()+_,-./:=?"
    statement = _statement(_attachment(TEXT, "text/plain; charset=ascii"))
    body = (
        f"--{boundary}\r\nContent-Type:application/json\r\n\r\n".encode()
        + orjson.dumps(statement)
        + f"\r\n--{boundary}\r\nContent-Type:text/plain\r\nContent-Transfer-Encoding:binary\r\n"
        f"X-Experience-API-Hash:{TEXT_SHA}\r\n\r\n".encode()
        + TEXT
        + f"\r\n--{boundary}--".encode()
    )
    parsed = _parse_and_check(body, f'multipart/mixed; boundary="{boundary}"')
    assert parsed.parts[TEXT_SHA].data == TEXT


def test_preamble_leading_crlf_epilogue_and_transport_padding() -> None:
    statement = _statement(_attachment(TEXT))
    body = (
        b"preamble text\r\n"
        + f"--{BOUNDARY}  \r\nContent-Type: application/json; charset=utf-8\r\n\r\n".encode()
        + orjson.dumps(statement)
        + f"\r\n--{BOUNDARY}\r\n".encode()
        + f"content-type: text/plain\r\nx-experience-api-hash: {TEXT_SHA.upper()}\r\n\r\n".encode()
        + TEXT
        + f"\r\n--{BOUNDARY}--\r\nepilogue".encode()
    )
    parsed = _parse_and_check(body)
    assert parsed.parts[TEXT_SHA].data == TEXT


def test_batch_array_fileurl_attachment_and_shared_part() -> None:
    shared = _attachment(TEXT)
    remote = _attachment(b"elsewhere", fileUrl="https://example.com/files/e.txt")
    statements = [_statement(shared), _statement(shared, remote), minimal()]
    body = _body(
        statements, _part(TEXT, _attachment_headers(TEXT)), _part(TEXT, _attachment_headers(TEXT))
    )
    parsed = _parse_and_check(body)
    assert len(parsed.statements) == 3
    assert list(parsed.parts) == [TEXT_SHA]


def test_multipart_without_attachments_is_accepted() -> None:
    parsed = _parse_and_check(_body(minimal()))
    assert parsed.parts == {}


def test_substatement_attachments_are_matched() -> None:
    statement = edited(substatement(), "object.attachments", [_attachment(TEXT)])
    _parse_and_check(_body(statement, _part(TEXT, _attachment_headers(TEXT))))
    with pytest.raises(BadRequest, match=r"^\[0\]\.object\.attachments\[0\]: no multipart part"):
        _parse_and_check(_body(statement))


def test_sha512_part() -> None:
    digest = hashlib.sha512(TEXT).hexdigest()
    statement = _statement({**_attachment(TEXT), "sha2": digest})
    headers = {**_attachment_headers(TEXT), "X-Experience-API-Hash": digest}
    parsed = _parse_and_check(_body(statement, _part(TEXT, headers)))
    assert list(parsed.parts) == [digest]


def test_missing_content_transfer_encoding_is_taken_as_binary() -> None:
    headers = _attachment_headers(TEXT)
    del headers["Content-Transfer-Encoding"]
    _parse_and_check(_body(_statement(_attachment(TEXT)), _part(TEXT, headers)))


FAILURES: dict[str, tuple[bytes, str, str]] = {
    "multipart/form-data": (
        _body(_statement(_attachment(TEXT)), _part(TEXT, _attachment_headers(TEXT))),
        f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Type must be multipart/mixed",
    ),
    "application/json content type": (
        _body(minimal()),
        "application/json",
        "Content-Type must be multipart/mixed",
    ),
    "no boundary parameter": (_body(minimal()), "multipart/mixed;", "has no boundary"),
    "boundary missing from body": (
        b'Content-Type: application/json\r\n\r\n{"a": 1}',
        CONTENT_TYPE,
        "no boundary delimiter",
    ),
    "first part not JSON": (
        _body(
            _statement(_attachment(TEXT)),
            _part(TEXT, _attachment_headers(TEXT)),
            first_type="text/plain",
        ),
        CONTENT_TYPE,
        "part 0 must have Content-Type: application/json",
    ),
    "first part without content type": (
        _part(orjson.dumps(minimal()), {}) + f"--{BOUNDARY}--".encode(),
        CONTENT_TYPE,
        "part 0 must have Content-Type: application/json",
    ),
    "first part invalid JSON": (
        _part(b'{"actor": ', {"Content-Type": "application/json"}) + f"--{BOUNDARY}--".encode(),
        CONTENT_TYPE,
        "part 0 is not valid JSON",
    ),
    "statements split over two JSON parts": (
        _body(
            _statement(_attachment(TEXT)),
            _part(orjson.dumps(minimal()), {"Content-Type": "application/json"}),
            _part(TEXT, _attachment_headers(TEXT)),
        ),
        CONTENT_TYPE,
        "part 1: the X-Experience-API-Hash header is missing",
    ),
    "missing boundary before a part": (
        _part(
            orjson.dumps(_statement(_attachment(TEXT)))
            + b"\r\nContent-Type: text/plain\r\n\r\n"
            + TEXT,
            {"Content-Type": "application/json"},
        )
        + f"--{BOUNDARY}--".encode(),
        CONTENT_TYPE,
        "part 0 is not valid JSON",
    ),
    "missing hash header": (
        _body(
            _statement(_attachment(TEXT)),
            _part(TEXT, {"Content-Type": "text/plain", "Content-Transfer-Encoding": "binary"}),
        ),
        CONTENT_TYPE,
        "part 1: the X-Experience-API-Hash header is missing",
    ),
    "hash header not a digest": (
        _body(
            _statement(_attachment(TEXT)),
            _part(TEXT, {**_attachment_headers(TEXT), "X-Experience-API-Hash": "abc"}),
        ),
        CONTENT_TYPE,
        "part 1: X-Experience-API-Hash is not a hex SHA-2 digest",
    ),
    "hash header not the content's": (
        _body(_statement(_attachment(TEXT)), _part(TEXT + b"!", _attachment_headers(TEXT))),
        CONTENT_TYPE,
        "part 1: X-Experience-API-Hash does not match the part's content",
    ),
    "base64 transfer encoding": (
        _body(
            _statement(_attachment(TEXT)),
            _part(TEXT, {**_attachment_headers(TEXT), "Content-Transfer-Encoding": "base64"}),
        ),
        CONTENT_TYPE,
        "part 1: Content-Transfer-Encoding must be binary",
    ),
    "part without blank line after headers": (
        _part(orjson.dumps(minimal()), {"Content-Type": "application/json"})
        + f"--{BOUNDARY}\r\nContent-Type: text/plain".encode()
        + f"\r\n--{BOUNDARY}--".encode(),
        CONTENT_TYPE,
        "part 1: no blank line ends its headers",
    ),
    "malformed header line": (
        _body(
            minimal(),
            _part(TEXT, {"Content-Type": "text/plain"}).replace(
                b"Content-Type: text/plain", b"garbage"
            ),
        ),
        CONTENT_TYPE,
        "part 1: malformed header line",
    ),
    "not closed": (
        _part(orjson.dumps(minimal()), {"Content-Type": "application/json"}),
        CONTENT_TYPE,
        "not closed with the final boundary",
    ),
    "junk after the boundary": (
        f"--{BOUNDARY}xyz\r\nContent-Type: application/json\r\n\r\n{{}}\r\n--{BOUNDARY}--".encode(),
        CONTENT_TYPE,
        "boundary line is malformed",
    ),
    "no parts at all": (f"--{BOUNDARY}--".encode(), CONTENT_TYPE, "has no parts"),
    "attachment without its part": (
        _body(
            _statement(_attachment(TEXT), _attachment(IMAGE)),
            _part(TEXT, _attachment_headers(TEXT)),
        ),
        CONTENT_TYPE,
        "[0].attachments[1]: no multipart part has this attachment's sha2",
    ),
    "extra part": (
        _body(
            _statement(_attachment(TEXT)),
            _part(TEXT, _attachment_headers(TEXT)),
            _part(IMAGE, _attachment_headers(IMAGE)),
        ),
        CONTENT_TYPE,
        f"X-Experience-API-Hash {IMAGE_SHA} matches no attachment",
    ),
    "part content type disagrees": (
        _body(_statement(_attachment(TEXT)), _part(TEXT, _attachment_headers(TEXT, "image/png"))),
        CONTENT_TYPE,
        "[0].attachments[0].contentType: 'text/plain' does not match",
    ),
    "part content length disagrees": (
        _body(
            _statement(_attachment(TEXT)),
            _part(TEXT, _attachment_headers(TEXT, **{"Content-Length": "3"})),
        ),
        CONTENT_TYPE,
        "[0].attachments[0].length: 27 does not match",
    ),
}


@pytest.mark.parametrize(
    ("body", "content_type", "message"), FAILURES.values(), ids=FAILURES.keys()
)
def test_rejected_requests(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        _parse_and_check(body, content_type)
    assert message in caught.value.message


def test_require_file_urls_for_json_requests() -> None:
    require_file_urls([minimal(), _statement(_attachment(TEXT, fileUrl="https://example.com/a"))])
    with pytest.raises(
        BadRequest, match=r"^\[1\]\.attachments\[0\]: an attachment without fileUrl"
    ):
        require_file_urls([minimal(), _statement(_attachment(TEXT))])


def test_attachment_objects_paths() -> None:
    statement = edited(substatement(), "object.attachments", [_attachment(TEXT)])
    statement["attachments"] = [_attachment(IMAGE)]
    assert [path for path, _ in attachment_objects([minimal(), statement])] == [
        "[1].attachments[0]",
        "[1].object.attachments[0]",
    ]


def test_parse_content_type() -> None:
    assert parse_content_type('Multipart/Mixed; Boundary="a;b\\"c"; charset=utf-8') == (
        "multipart/mixed",
        {"boundary": 'a;b"c', "charset": "utf-8"},
    )
    assert parse_content_type("text/plain") == ("text/plain", {})


def test_build_multipart_round_trip() -> None:
    statements = [_statement(_attachment(TEXT), _attachment(IMAGE, "image/jpeg"))]
    parts = [
        AttachmentPart(TEXT_SHA, TEXT, "text/plain"),
        AttachmentPart(IMAGE_SHA, IMAGE, "image/jpeg"),
        AttachmentPart(TEXT_SHA, TEXT, "text/plain"),
    ]
    raw = orjson.dumps({"statements": statements, "more": ""})
    body, content_type = build_multipart(raw, parts)
    # A boundary of token characters goes unquoted: TinCanJS keeps quotes as part of it.
    assert content_type.startswith("multipart/mixed; boundary=xapi-")
    parsed = parse_multipart(body, content_type)
    assert parsed.raw_json == raw
    assert {sha: part.data for sha, part in parsed.parts.items()} == {
        TEXT_SHA: TEXT,
        IMAGE_SHA: IMAGE,
    }
    assert body.count(b"X-Experience-API-Hash") == 2
    assert body.endswith(b"--\r\n")


def test_build_multipart_with_a_given_boundary() -> None:
    body, content_type = build_multipart(b"[]", [], boundary="b1")
    assert content_type == "multipart/mixed; boundary=b1"
    assert body == b"--b1\r\nContent-Type: application/json\r\n\r\n[]\r\n--b1--\r\n"
    _, content_type = build_multipart(b"[]", [], boundary="b 1:x")
    assert content_type == 'multipart/mixed; boundary="b 1:x"'


def test_a_hash_mismatch_says_what_was_received() -> None:
    """A client that leaves out the CRLF before the next boundary sends a part two bytes short:
    the error gives both digests and the length, so its author can see the cause."""
    declared = TEXT_SHA
    body = (
        b"--b\r\nContent-Type: application/json\r\n\r\n"
        + orjson.dumps(_statement(_attachment(TEXT)))
        + b"\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
        + f"X-Experience-API-Hash: {declared}\r\n\r\n".encode()
        + TEXT[:-2]
        + b"\r\n--b--\r\n"
    )
    with pytest.raises(BadRequest) as raised:
        parse_multipart(body, "multipart/mixed; boundary=b")
    message = raised.value.message
    computed = hashlib.sha256(TEXT[:-2]).hexdigest()
    assert f"declared {declared}" in message and f"computed {computed}" in message
    assert f"the {len(TEXT) - 2} bytes received" in message


@settings(max_examples=40, deadline=None)
@given(blobs=st.lists(st.binary(min_size=0, max_size=600), min_size=0, max_size=4))
def test_round_trip_of_arbitrary_binary_attachments(blobs: list[bytes]) -> None:
    statement = _statement(*(_attachment(blob, "application/octet-stream") for blob in blobs))
    parts = [
        AttachmentPart(hashlib.sha256(blob).hexdigest(), blob, "application/octet-stream")
        for blob in blobs
    ]
    body, content_type = build_multipart(orjson.dumps(statement), parts)
    parsed = _parse_and_check(body, content_type)
    assert parsed.statements == statement
    assert {part.data for part in parsed.parts.values()} == set(blobs)
