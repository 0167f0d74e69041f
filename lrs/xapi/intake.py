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

__all__ = ["StatementsRequest", "read_statements"]


@dataclass(frozen=True, slots=True)
class StatementsRequest:
    """The validated content of a statements PUT/POST."""

    #: Every statement of the body, validated, as received.
    statements: list[dict[str, Any]]
    #: True when the body was one statement object rather than an array.
    single: bool
    #: Attachment data sent with the statements, by lower-case SHA-2.
    attachments: dict[str, AttachmentPart] = field(default_factory=dict)


def read_statements(body: bytes, content_type: str | None) -> StatementsRequest:
    """Parse and check a statements request body; ``BadRequest`` names the first problem."""
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
    statements = validate_statements(document)
    if essence == "application/json":
        require_file_urls(statements)
    else:
        check_attachment_parts(statements, parts)
    verify_signed_statements(statements, parts)
    return StatementsRequest(
        statements=statements, single=isinstance(document, dict), attachments=parts
    )
