"""From the body of a statements PUT/POST to validated statements and their attachment data.

:func:`read_statements` runs the pure checks in the order the spec implies, so the HTTP layer
needs one call:

1. by ``Content-Type``: ``application/json`` (parsed as JSON) or ``multipart/mixed`` (parsed by
   ``lrs.xapi.attachments.parse_multipart``); any other type is a ``BadRequest`` (the conformance
   suite expects 400, not 415, e.g. for ``multipart/form-data``);
2. ``lrs.xapi.validate.validate_statements`` (one statement or an array, duplicate ids);
3. attachments: with JSON every Attachment object needs a ``fileUrl``; with multipart the parts
   and the Attachment objects must match by SHA-2;
4. signatures: every signature attachment whose data came in the request is verified.

The statements are returned as received: ``lrs.xapi.normalize`` is the next step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from lrs.core.errors import BadRequest
from lrs.xapi.attachments import (
    AttachmentPart,
    check_attachment_parts,
    parse_multipart,
    require_file_urls,
)
from lrs.xapi.datatypes import media_type_essence
from lrs.xapi.signature import verify_signed_statements
from lrs.xapi.validate import validate_statements
from lrs.xapi.versions import XAPI_1_0_3, XapiVersion

__all__ = [
    "MAX_JSON_DEPTH",
    "StatementsRequest",
    "check_json_shape",
    "contains_nul",
    "encoded_within_depth",
    "read_statements",
]

_HEADROOM = 32
MAX_JSON_DEPTH = 254 - _HEADROOM
"""How deeply a statements body may nest arrays and objects. Extensions are free-form JSON, but
the JSON encoder (orjson) takes at most 254 levels, and a stored statement is served inside a few
levels of envelope (``{"statements": [...]}``, a Connection edge)."""


@dataclass(frozen=True, slots=True)
class StatementsRequest:
    """The validated content of a statements PUT/POST."""

    #: Every statement of the body, validated, as received.
    statements: list[dict[str, Any]]
    #: True when the body was one statement object rather than an array.
    single: bool
    #: Attachment data sent with the statements, by lower-case SHA-2.
    attachments: dict[str, AttachmentPart] = field(default_factory=dict)
    #: The xAPI version the statements were sent under (it sets their default ``version``).
    version: XapiVersion = XAPI_1_0_3


def read_statements(
    body: bytes, content_type: str | None, version: XapiVersion = XAPI_1_0_3
) -> StatementsRequest:
    """Parse and check a statements request body under ``version``'s rules; ``BadRequest``
    names the first problem."""
    essence = media_type_essence(content_type or "")
    parts: dict[str, AttachmentPart] = {}
    if essence == "application/json":
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise BadRequest(f"the request body is not valid JSON: {error}") from None
    elif essence == "multipart/mixed":
        parsed = parse_multipart(body, content_type or "")
        document, parts = parsed.statements, parsed.parts
    else:
        raise BadRequest(
            "statements must be sent as application/json or multipart/mixed,"
            f" not {essence or 'no Content-Type'}",
            field="Content-Type",
        )
    check_json_shape(document)
    statements = validate_statements(document, version)
    if essence == "application/json":
        require_file_urls(statements)
    else:
        check_attachment_parts(statements, parts)
    verify_signed_statements(statements, parts, version)
    return StatementsRequest(
        statements=statements,
        single=isinstance(document, dict),
        attachments=parts,
        version=version,
    )


def check_json_shape(document: Any) -> None:
    """``BadRequest`` when ``document`` nests deeper than ``MAX_JSON_DEPTH`` or holds a NUL
    character in a string or key (PostgreSQL text and ``jsonb`` cannot store one, so neither
    store takes it).

    One native encode answers both in the common case: the encoder refuses the depth, and a NUL
    can only appear where the output holds the escape ``\\u0000``.
    """
    encoded = encoded_within_depth(document)
    if encoded is None:
        raise BadRequest(f"the statements nest more than {MAX_JSON_DEPTH} levels deep")
    if b"\\u0000" in encoded and contains_nul(document):
        raise BadRequest("statements may not contain NUL characters (\\u0000)")


def encoded_within_depth(document: Any) -> bytes | None:
    """``document`` encoded inside ``_HEADROOM`` levels of arrays, or None when it nests deeper
    than ``MAX_JSON_DEPTH`` (so it could not be encoded inside an envelope later)."""
    wrapped: Any = document
    for _ in range(_HEADROOM):
        wrapped = [wrapped]
    try:
        return orjson.dumps(wrapped)
    except orjson.JSONEncodeError:
        return None


def contains_nul(document: Any) -> bool:
    """True when a string or object key anywhere in ``document`` holds a NUL character."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            if any("\x00" in key for key in value):
                return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False
