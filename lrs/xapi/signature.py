"""Signed Statements (xAPI-Data §2.6): JWS checks for signature attachments.

A signature is an Attachment with usageType ``http://adlnet.gov/expapi/attachments/signature``;
it must have contentType ``application/octet-stream`` and its data must be a JWS (RFC 7515).
For each one, :func:`verify_signed_statements` checks, raising ``BadRequest`` on the first failure:

* the JWS parses: compact serialization (``header.payload.signature``, base64url), or the JSON
  serializations (flattened, or general with exactly one signature);
* the protected header is a JSON object whose ``alg`` is ``RS256``, ``RS384`` or ``RS512``, with no
  ``crit`` extension this LRS would have to understand;
* the payload, ``attachments`` left out, is a valid statement and is logically equivalent to
  the received (already validated) statement, ``attachments`` left out too (the signature cannot
  be inside what it signs), under the statement comparison rules of ``lrs.xapi.conflict``;
* when the header has ``x5c``, the signature verifies with the public (RSA) key of its first
  certificate. The chain itself is not validated: the spec calls this a check against mistakes,
  not a trust decision (2.6.s5 note). Without ``x5c`` there is no key to verify with, so only the
  checks above apply.

A signature attachment whose data was not sent (``fileUrl`` only) cannot be checked and is left
alone.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lrs.core.errors import BadRequest
from lrs.xapi.attachments import AttachmentPart, statement_attachments
from lrs.xapi.conflict import statements_equivalent
from lrs.xapi.datatypes import media_type_essence
from lrs.xapi.validate import validate_statement
from lrs.xapi.versions import XAPI_1_0_3, XapiVersion

__all__ = [
    "SIGNATURE_CONTENT_TYPE",
    "SIGNATURE_USAGE_TYPE",
    "ParsedJws",
    "parse_jws",
    "verify_signed_statements",
    "verify_statement_signature",
]

SIGNATURE_USAGE_TYPE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_CONTENT_TYPE = "application/octet-stream"

_BASE64URL = re.compile(rb"[A-Za-z0-9_-]*")
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}


@dataclass(frozen=True, slots=True)
class ParsedJws:
    """The decoded parts of a JWS with one signature."""

    #: The protected header, a JSON object.
    header: dict[str, Any]
    #: The payload bytes (base64url-decoded).
    payload: bytes
    #: The signature bytes (base64url-decoded).
    signature: bytes
    #: ``ASCII(BASE64URL(header) || "." || BASE64URL(payload))``, what was signed.
    signing_input: bytes


def _b64url(text: str | bytes, what: str, path: str) -> bytes:
    """Decode unpadded (or padded) base64url, or fail naming ``what``."""
    if isinstance(text, str):
        text = text.encode("ascii", errors="replace")
    text = text.strip().rstrip(b"=")
    if _BASE64URL.fullmatch(text) is None or len(text) % 4 == 1:
        raise BadRequest(f"{path}: the JWS {what} is not base64url", field=path)
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def _json_object(data: bytes, what: str, path: str) -> dict[str, Any]:
    """Parse ``data`` as a JSON object, or fail naming ``what``."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise BadRequest(f"{path}: the JWS {what} is not valid JSON", field=path) from None
    if not isinstance(value, dict):
        raise BadRequest(f"{path}: the JWS {what} must be a JSON object", field=path)
    return value


def _parse_json_serialization(data: bytes, path: str) -> tuple[bytes, bytes, bytes]:
    """``(protected, payload, signature)`` base64url segments of a JSON-serialized JWS."""
    document = _json_object(data, "JSON serialization", path)
    if "signatures" in document:
        signatures = document["signatures"]
        if not isinstance(signatures, list) or len(signatures) != 1:
            raise BadRequest(f"{path}: the JWS must carry exactly one signature", field=path)
        document = {**signatures[0], "payload": document.get("payload")}
    segments = []
    for name in ("protected", "payload", "signature"):
        value = document.get(name)
        if not isinstance(value, str):
            raise BadRequest(f"{path}: the JWS has no '{name}' member", field=path)
        segments.append(value.encode("ascii", errors="replace"))
    return segments[0], segments[1], segments[2]


def parse_jws(data: bytes, path: str = "signature") -> ParsedJws:
    """Decode a JWS (compact or JSON serialization); ``path`` names it in errors."""
    stripped = data.strip()
    if stripped.startswith(b"{"):
        protected, payload, signature = _parse_json_serialization(stripped, path)
    else:
        pieces = stripped.split(b".")
        if len(pieces) != 3:
            raise BadRequest(
                f"{path}: not a JWS compact serialization (header.payload.signature)", field=path
            )
        protected, payload, signature = pieces
    header = _json_object(_b64url(protected, "header", path), "header", path)
    return ParsedJws(
        header=header,
        payload=_b64url(payload, "payload", path),
        signature=_b64url(signature, "signature", path),
        signing_input=protected + b"." + payload,
    )


def _leaf_public_key(header: Mapping[str, Any], path: str) -> rsa.RSAPublicKey:
    """The RSA public key of the first ``x5c`` certificate."""
    chain = header["x5c"]
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise BadRequest(
            f"{path}: the JWS x5c header must be a non-empty array of certificates", field=path
        )
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
    except (binascii.Error, ValueError):
        raise BadRequest(f"{path}: the first x5c certificate cannot be read", field=path) from None
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise BadRequest(f"{path}: the x5c certificate does not hold an RSA key", field=path)
    return key


def _without_attachments(statement: Mapping[str, Any]) -> dict[str, Any]:
    """``statement`` minus its ``attachments`` property."""
    return {key: value for key, value in statement.items() if key != "attachments"}


def verify_statement_signature(
    statement: Mapping[str, Any],
    jws: bytes,
    path: str = "attachments",
    version: XapiVersion = XAPI_1_0_3,
) -> None:
    """Check one JWS against the statement it was attached to (see the module docstring); the
    payload is validated under ``version``'s rules, as the statement was."""
    parsed = parse_jws(jws, path)
    algorithm = parsed.header.get("alg")
    if algorithm not in _HASHES:
        raise BadRequest(
            f"{path}: the JWS algorithm must be RS256, RS384 or RS512, not {algorithm!r}",
            field=path,
        )
    if "crit" in parsed.header:
        raise BadRequest(
            f"{path}: the JWS 'crit' header names extensions this LRS does not support", field=path
        )
    payload = _without_attachments(_json_object(parsed.payload, "payload", path))
    try:
        validate_statement(payload, version=version)
    except BadRequest as error:
        raise BadRequest(
            f"{path}: the signed payload is not a valid statement ({error.message})", field=path
        ) from None
    if not statements_equivalent(payload, _without_attachments(statement)):
        raise BadRequest(
            f"{path}: the signed payload is not the same statement as the one received", field=path
        )
    if "x5c" in parsed.header:
        key = _leaf_public_key(parsed.header, path)
        try:
            key.verify(
                parsed.signature, parsed.signing_input, padding.PKCS1v15(), _HASHES[algorithm]()
            )
        except InvalidSignature:
            raise BadRequest(
                f"{path}: the JWS signature does not verify with the x5c certificate", field=path
            ) from None


def verify_signed_statements(
    statements: Sequence[Mapping[str, Any]],
    parts: Mapping[str, AttachmentPart | bytes],
    version: XapiVersion = XAPI_1_0_3,
) -> None:
    """Check every signature attachment of ``statements`` whose data is in ``parts`` (by SHA-2)."""
    for index, statement in enumerate(statements):
        for path, attachment in statement_attachments(statement, f"[{index}]"):
            if attachment.get("usageType") != SIGNATURE_USAGE_TYPE:
                continue
            content_type = attachment.get("contentType")
            if (
                not isinstance(content_type, str)
                or media_type_essence(content_type) != SIGNATURE_CONTENT_TYPE
            ):
                raise BadRequest(
                    f"{path}.contentType: a signature must be application/octet-stream,"
                    f" not {content_type!r}",
                    field=f"{path}.contentType",
                )
            part = parts.get(str(attachment.get("sha2", "")).lower())
            if part is None:
                continue
            data = part.data if isinstance(part, AttachmentPart) else part
            verify_statement_signature(statement, data, path, version)
