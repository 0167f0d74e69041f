"""Statements with attachments over ``multipart/mixed`` (Communication 1.5.2), bytes in, bytes out.

Request side: :func:`parse_multipart` splits an RFC 2046 body (given the request's
``Content-Type`` with its ``boundary``) into the statements JSON of the first part and the raw
attachment parts that follow; :func:`check_attachment_parts` then matches those parts to the
statements' Attachment objects by SHA-2 (the only allowed way, 1.5.2.s1.b4). An
``application/json`` request instead goes through :func:`require_file_urls`.

The rules enforced, each failure a ``BadRequest`` saying which part or attachment is at fault:

* the ``Content-Type`` is ``multipart/mixed`` with a ``boundary`` parameter;
* the body has at least one part, delimited by ``--boundary`` lines and closed by ``--boundary--``;
* the first part has ``Content-Type: application/json`` and holds all the statements (valid JSON);
* every other part has an ``X-Experience-API-Hash`` header (hex SHA-2) that is the digest of the
  part's bytes, and a ``Content-Transfer-Encoding`` of ``binary`` when the header is present (a
  missing one is taken as binary, 1.5.2.s3.b6);
* a part ``Content-Type`` or ``Content-Length`` must agree with an Attachment object using the
  same hash (1.5.2.s2.b2.b7; media types compared by ``type/subtype``);
* every Attachment object without a ``fileUrl`` has a part with its ``sha2`` (1.5.2.s3.b5);
* every part is used by at least one Attachment object: no extra parts (CTS XAPI-00128).

The same data sent twice under one hash is kept once. Attachments inside a SubStatement object are
matched too.

Response side: :func:`build_multipart` writes the statements JSON and the attachment parts the
same way (``Content-Transfer-Encoding: binary``, ``X-Experience-API-Hash``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from lrs.core.errors import BadRequest
from lrs.xapi.datatypes import is_sha2_hex, media_type_essence

__all__ = [
    "AttachmentPart",
    "MultipartStatements",
    "attachment_objects",
    "build_multipart",
    "check_attachment_parts",
    "parse_content_type",
    "parse_multipart",
    "require_file_urls",
    "statement_attachments",
]

_CRLF = b"\r\n"
_HASHES_BY_HEX_LENGTH = {
    56: hashlib.sha224,
    64: hashlib.sha256,
    96: hashlib.sha384,
    128: hashlib.sha512,
}


@dataclass(frozen=True, slots=True)
class AttachmentPart:
    """The raw data of one attachment, keyed by its lower-case hex SHA-2."""

    sha2: str
    data: bytes
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MultipartStatements:
    """A parsed ``multipart/mixed`` statement request."""

    #: The parsed JSON of the first part: one statement object or an array of them.
    statements: Any
    #: The first part's bytes exactly as received.
    raw_json: bytes
    #: The attachment parts by lower-case SHA-2, in order of first appearance.
    parts: dict[str, AttachmentPart]


def parse_content_type(header: str) -> tuple[str, dict[str, str]]:
    """``(essence, params)`` of a ``Content-Type`` value (names lower-cased, quotes removed)."""
    essence, _, rest = header.partition(";")
    params: dict[str, str] = {}
    while rest:
        item, rest = _next_param(rest)
        name, eq, value = item.partition("=")
        name = name.strip().lower()
        if eq and name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            params[name] = value
    return essence.strip().lower(), params


def _next_param(text: str) -> tuple[str, str]:
    """Split off the first ``;``-separated parameter, honouring double quotes."""
    quoted = escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            return text[:index], text[index + 1 :]
    return text, ""


def _boundary(content_type: str) -> bytes:
    """The boundary of a ``multipart/mixed`` Content-Type, or ``BadRequest``."""
    essence, params = parse_content_type(content_type)
    if essence != "multipart/mixed":
        raise BadRequest(
            f"Content-Type must be multipart/mixed for attachments, not {essence!r}",
            field="Content-Type",
        )
    boundary = params.get("boundary")
    if not boundary:
        raise BadRequest("the multipart/mixed Content-Type has no boundary", field="Content-Type")
    if len(boundary) > 70:
        raise BadRequest(
            "the multipart boundary is longer than 70 characters", field="Content-Type"
        )
    return boundary.encode("latin-1", errors="replace")


def _split_parts(body: bytes, boundary: bytes) -> Iterator[bytes]:
    """Yield each part (headers and content) between the delimiters of an RFC 2046 body."""
    dash_boundary = b"--" + boundary
    delimiter = _CRLF + dash_boundary
    if body.startswith(dash_boundary):
        position = len(dash_boundary)
    else:
        start = body.find(delimiter)
        if start < 0:
            raise BadRequest("the multipart body contains no boundary delimiter line")
        position = start + len(delimiter)
    while True:
        if body.startswith(b"--", position):
            return  # close delimiter; the epilogue is ignored
        line_end = body.find(_CRLF, position)
        if line_end < 0 or body[position:line_end].strip(b" \t"):
            raise BadRequest("a multipart boundary line is malformed or the body is truncated")
        start = line_end + 2
        end = body.find(delimiter, start)
        if end < 0:
            raise BadRequest("the multipart body is not closed with the final boundary")
        yield body[start:end]
        position = end + len(delimiter)


def _split_headers(part: bytes, index: int) -> tuple[dict[str, str], bytes]:
    """The headers (names lower-cased) and the content of one part."""
    if part.startswith(_CRLF):
        return {}, part[2:]
    head_end = part.find(_CRLF + _CRLF)
    if head_end < 0:
        raise BadRequest(f"multipart part {index}: no blank line ends its headers")
    headers: dict[str, str] = {}
    for line in part[:head_end].split(_CRLF):
        name, colon, value = line.partition(b":")
        if not colon or not name.strip():
            raise BadRequest(f"multipart part {index}: malformed header line {line[:80]!r}")
        headers[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")
    return headers, part[head_end + 4 :]


def _attachment_part(headers: dict[str, str], data: bytes, index: int) -> AttachmentPart:
    """Check the headers of an attachment part against its bytes."""
    declared = headers.get("x-experience-api-hash")
    if declared is None:
        raise BadRequest(f"multipart part {index}: the X-Experience-API-Hash header is missing")
    sha2 = declared.lower()
    if not is_sha2_hex(sha2):
        raise BadRequest(f"multipart part {index}: X-Experience-API-Hash is not a hex SHA-2 digest")
    encoding = headers.get("content-transfer-encoding")
    if encoding is not None and encoding.lower() != "binary":
        raise BadRequest(
            f"multipart part {index}: Content-Transfer-Encoding must be binary, not {encoding!r}"
        )
    computed = _HASHES_BY_HEX_LENGTH[len(sha2)](data).hexdigest()
    if computed != sha2:
        # Say what arrived: a client that leaves out the CRLF before the next boundary (two
        # popular ones do) sends a part two bytes short, which the length shows.
        raise BadRequest(
            f"multipart part {index}: X-Experience-API-Hash does not match the part's content: "
            f"declared {sha2}, computed {computed} over the {len(data)} bytes received "
            "between the part's headers and the CRLF before the next boundary"
        )
    return AttachmentPart(
        sha2=sha2, data=data, content_type=headers.get("content-type"), headers=headers
    )


def parse_multipart(body: bytes, content_type: str) -> MultipartStatements:
    """Parse a ``multipart/mixed`` statements request (see the module docstring for the rules)."""
    boundary = _boundary(content_type)
    raw_json: bytes | None = None
    statements: Any = None
    parts: dict[str, AttachmentPart] = {}
    for index, part in enumerate(_split_parts(body, boundary)):
        headers, data = _split_headers(part, index)
        if index == 0:
            first_type = headers.get("content-type")
            if first_type is None or media_type_essence(first_type) != "application/json":
                raise BadRequest(
                    "multipart part 0 must have Content-Type: application/json"
                    f" (it holds the statements), got {first_type!r}"
                )
            try:
                statements = orjson.loads(data)
            except orjson.JSONDecodeError as error:
                raise BadRequest(f"multipart part 0 is not valid JSON: {error}") from None
            raw_json = data
            continue
        attachment = _attachment_part(headers, data, index)
        parts.setdefault(attachment.sha2, attachment)
    if raw_json is None:
        raise BadRequest("the multipart body has no parts")
    return MultipartStatements(statements=statements, raw_json=raw_json, parts=parts)


def statement_attachments(
    statement: Mapping[str, Any], path: str = ""
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield ``(path, attachment)`` for one statement's Attachment objects, SubStatement's too."""
    attachments = statement.get("attachments")
    target = statement.get("object")
    sub_attachments = (
        target.get("attachments")
        if isinstance(target, dict) and target.get("objectType") == "SubStatement"
        else None
    )
    if not attachments and not sub_attachments:  # most statements: no path to format
        return
    prefix = f"{path}." if path else ""
    for position, attachment in enumerate(attachments or ()):
        yield f"{prefix}attachments[{position}]", attachment
    for position, attachment in enumerate(sub_attachments or ()):
        yield f"{prefix}object.attachments[{position}]", attachment


def attachment_objects(
    statements: Iterable[Mapping[str, Any]],
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield ``(path, attachment)`` for every Attachment object of a batch (paths ``[i]...``)."""
    for index, statement in enumerate(statements):
        yield from statement_attachments(statement, f"[{index}]")


def require_file_urls(statements: Sequence[Mapping[str, Any]]) -> None:
    """For ``application/json`` requests: every Attachment object needs a ``fileUrl``."""
    for path, attachment in attachment_objects(statements):
        if "fileUrl" not in attachment:
            raise BadRequest(
                f"{path}: an attachment without fileUrl must be sent as multipart/mixed"
                " with its data",
                field=path,
            )


def check_attachment_parts(
    statements: Sequence[Mapping[str, Any]], parts: Mapping[str, AttachmentPart]
) -> None:
    """Match attachment parts to Attachment objects by SHA-2; fail on a missing or extra part."""
    used: set[str] = set()
    for path, attachment in attachment_objects(statements):
        sha2 = str(attachment.get("sha2", "")).lower()
        part = parts.get(sha2)
        if part is None:
            if "fileUrl" not in attachment:
                raise BadRequest(
                    f"{path}: no multipart part has this attachment's sha2 and it has no fileUrl",
                    field=path,
                )
            continue
        used.add(sha2)
        _check_part_headers(path, attachment, part)
    for sha2 in parts:
        if sha2 not in used:
            raise BadRequest(
                f"the multipart part with X-Experience-API-Hash {sha2} matches no attachment"
            )


def _check_part_headers(path: str, attachment: Mapping[str, Any], part: AttachmentPart) -> None:
    """Header values that duplicate Attachment properties must agree (1.5.2.s2.b2.b7)."""
    declared_type = attachment.get("contentType")
    if (
        part.content_type is not None
        and isinstance(declared_type, str)
        and media_type_essence(part.content_type) != media_type_essence(declared_type)
    ):
        raise BadRequest(
            f"{path}.contentType: {attachment['contentType']!r} does not match the part's"
            f" Content-Type {part.content_type!r}",
            field=f"{path}.contentType",
        )
    declared_length = part.headers.get("content-length")
    if declared_length is not None and declared_length.strip() != str(attachment.get("length")):
        raise BadRequest(
            f"{path}.length: {attachment.get('length')!r} does not match the part's"
            f" Content-Length {declared_length!r}",
            field=f"{path}.length",
        )


def build_multipart(
    statements_json: bytes,
    parts: Iterable[AttachmentPart],
    *,
    boundary: str | None = None,
) -> tuple[bytes, str]:
    """A ``multipart/mixed`` body with the statements JSON first, then each part once.

    Returns ``(body, content_type_header)``. A random boundary is drawn (and redrawn, should it
    occur in the content) unless one is given.
    """
    chunks = list(parts)
    while boundary is None:
        candidate = f"xapi-{secrets.token_hex(16)}"
        encoded = candidate.encode()
        if encoded not in statements_json and not any(encoded in part.data for part in chunks):
            boundary = candidate
    dash = b"--" + boundary.encode("ascii")
    out = [dash, _CRLF, b"Content-Type: application/json", _CRLF, _CRLF, statements_json]
    seen: set[str] = set()
    for part in chunks:
        if part.sha2 in seen:
            continue
        seen.add(part.sha2)
        out += [
            _CRLF,
            dash,
            _CRLF,
            f"Content-Type: {part.content_type or 'application/octet-stream'}".encode("latin-1"),
            _CRLF,
            b"Content-Transfer-Encoding: binary",
            _CRLF,
            f"X-Experience-API-Hash: {part.sha2}".encode("ascii"),
            _CRLF,
            _CRLF,
            part.data,
        ]
    out += [_CRLF, dash, b"--", _CRLF]
    return b"".join(out), f"multipart/mixed; boundary={_parameter_value(boundary)}"


# RFC 2045's token characters: a boundary made only of them needs no quotes, and some clients
# (TinCanJS) keep quotes as part of the boundary and then find no parts.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _parameter_value(value: str) -> str:
    """A Content-Type parameter value: bare when it is a token, else quoted."""
    if _TOKEN.fullmatch(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
