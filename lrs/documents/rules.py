"""The rules of a document write, the same for every store (pure functions).

A store locks the document's key, reads what is there, calls ``apply_write`` (or
``check_precondition`` for a delete) and writes the result, all in one atomic step, so that of
many writers holding the same ETag exactly one succeeds.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson

from lrs.core.errors import BadRequest, Conflict, PreconditionFailed
from lrs.documents.model import (
    Document,
    DocumentKey,
    DocumentWrite,
    Precondition,
    Unconditional,
    WriteMode,
)

JSON = "application/json"


def etag_of(content: bytes) -> str:
    """The ETag of a content: its SHA-1 in lower-case hex (Communication 3.1)."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def is_json(content_type: str) -> bool:
    """True when the media type is ``application/json`` (parameters ignored)."""
    return content_type.split(";", 1)[0].strip().lower() == JSON


def check_precondition(existing: Document | None, precondition: Precondition) -> None:
    """Raise when the write must not happen: 412 for a failed If-Match / If-None-Match; for a
    write with neither header, what ``precondition.unconditional`` says (409 over an existing
    document unless it is ``ALLOWED``; 400 over none if it is ``REFUSED``)."""
    current = existing.etag if existing is not None else None
    if precondition.if_match is not None and (
        current is None
        or ("*" not in precondition.if_match and current not in precondition.if_match)
    ):
        raise PreconditionFailed(
            "If-Match: the document's current ETag does not match"
            if current is not None
            else "If-Match: the document does not exist"
        )
    if (
        precondition.if_none_match is not None
        and current is not None
        and ("*" in precondition.if_none_match or current in precondition.if_none_match)
    ):
        raise PreconditionFailed("If-None-Match: the document already exists")
    if (
        precondition.unconditional is not Unconditional.ALLOWED
        and precondition.if_match is None
        and precondition.if_none_match is None
    ):
        if current is not None:
            raise Conflict(
                "the document already exists: read it, then send If-Match with its ETag to "
                "overwrite it"
            )
        if precondition.unconditional is Unconditional.CREATE_ONLY:
            return
        raise BadRequest(
            "If-None-Match: a profile PUT needs If-None-Match: * to create a document (or "
            "If-Match with the current ETag to replace one)",
            field="If-None-Match",
        )


def _json_object(content: bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise BadRequest(
            f"{what} is not valid JSON, so it cannot be merged", field="body"
        ) from None
    if not isinstance(value, dict):
        raise BadRequest(f"{what} is not a JSON object, so it cannot be merged", field="body")
    return value


def apply_write(
    key: DocumentKey, existing: Document | None, write: DocumentWrite, now: datetime
) -> Document:
    """The document after ``write``; raises (changing nothing) when the write is refused.

    A merge (POST) needs JSON objects on both sides and keeps the existing top-level keys that
    the new content does not replace (seed 002); with no existing document it stores the new one.
    """
    check_precondition(existing, write.precondition)
    content, content_type = write.content, write.content_type
    if write.mode is WriteMode.MERGE:
        if not is_json(content_type):
            raise BadRequest(
                f"Content-Type: POST merges JSON objects, so it needs {JSON}, not {content_type!r}",
                field="Content-Type",
            )
        incoming = _json_object(content, "the request body")
        if existing is not None:
            if not is_json(existing.content_type):
                raise BadRequest(
                    "the stored document is not JSON, so it cannot be merged; PUT replaces it",
                    field="body",
                )
            merged = {**_json_object(existing.content, "the stored document"), **incoming}
            content = orjson.dumps(merged)
    return Document(
        key=key, content=content, content_type=content_type, etag=etag_of(content), updated=now
    )
