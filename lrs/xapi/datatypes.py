"""Predicates for the xAPI special data types (xAPI-Data §4 and the IFI table of §2.4.2.3).

Every function here answers one yes/no question about a single string and never raises: the
callers (``validate``, the HTTP parameter parsers) turn a ``False`` into a ``BadRequest`` that names
the path at fault. All patterns are compiled once, at import; the answers for values that repeat
across statements (IRIs, mailto IRIs, language tags) are kept in bounded LRU caches.

IRI and IRL checks are best effort, as the spec allows (Data 2.2.s4.b6): a scheme followed by ``:``
and at least one character, with no whitespace, control characters or ``<``, ``>``, ``"``.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "INTERACTION_TYPES",
    "is_duration",
    "is_iri",
    "is_language_tag",
    "is_mailto_iri",
    "is_media_type",
    "is_sha1_hex",
    "is_sha2_hex",
    "is_uuid",
    "media_type_essence",
]

_IRI = re.compile(r'[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>"\x00-\x1f\x7f]+')
_MAILTO = re.compile(r"mailto:[^\s@<>\"]+@[^\s@<>\".]+(?:\.[^\s@<>\".]+)*")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_HEX = re.compile(r"[0-9a-fA-F]+")
# Hex lengths of the SHA-2 family: SHA-224 and SHA-512/224 (56), SHA-256 and SHA-512/256 (64),
# SHA-384 (96), SHA-512 (128).
_SHA2_HEX_LENGTHS = frozenset({56, 64, 96, 128})
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_RESTRICTED_NAME = r"[A-Za-z0-9!#$&^_.+\-]+"  # RFC 6838 restricted-name
_MEDIA_TYPE = re.compile(rf"{_RESTRICTED_NAME}/{_RESTRICTED_NAME}(?:\s*;.*)?", re.DOTALL)

# ISO 8601:2004 §4.4.3.2 durations: PnW alone, or PnYnMnDTnHnMnS with at least one component and
# nothing empty after "T". A decimal fraction is allowed on the lowest-order component only; that
# last rule is checked after the match (see ``is_duration``).
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?:{_NUM}W|(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?)"
)
_FRACTION = re.compile(r"[.,]\d+[A-Z]")

# RFC 5646 §2.1 ABNF, well-formedness only (no registry look-up), case-insensitive.
_ALNUM = "[A-Za-z0-9]"
_LANGTAG = (
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"  # language ["-" extlang]
    r"(?:-[A-Za-z]{4})?"  # script
    r"(?:-(?:[A-Za-z]{2}|\d{3}))?"  # region
    rf"(?:-(?:{_ALNUM}{{5,8}}|\d{_ALNUM}{{3}}))*"  # variants
    rf"(?:-[0-9A-WYZa-wyz](?:-{_ALNUM}{{2,8}})+)*"  # extensions
    rf"(?:-[Xx](?:-{_ALNUM}{{1,8}})+)?"  # private use
)
_LANGUAGE_TAG = re.compile(
    rf"{_LANGTAG}|[Xx](?:-{_ALNUM}{{1,8}})+"
    r"|en-GB-oed|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)"
    r"|sgn-(?:BE-FR|BE-NL|CH-DE)"
    r"|art-lojban|cel-gaulish|no-bok|no-nyn|zh-(?:guoyu|hakka|min|min-nan|xiang)",
    re.IGNORECASE,
)

INTERACTION_TYPES: frozenset[str] = frozenset(
    {
        "true-false",
        "choice",
        "fill-in",
        "long-fill-in",
        "matching",
        "performance",
        "sequencing",
        "likert",
        "numeric",
        "other",
    }
)


@lru_cache(maxsize=16384)
def is_iri(value: str) -> bool:
    """True for an absolute IRI (or IRL): a scheme, ``:``, then no whitespace or ``<>"``."""
    return _IRI.fullmatch(value) is not None


@lru_cache(maxsize=4096)
def is_mailto_iri(value: str) -> bool:
    """True for ``mailto:`` followed by one e-mail address (``local@domain``)."""
    return _MAILTO.fullmatch(value) is not None


def is_sha1_hex(value: str) -> bool:
    """True for a hex-encoded SHA-1 digest (40 hex digits, either case)."""
    return _SHA1.fullmatch(value) is not None


def is_sha2_hex(value: str) -> bool:
    """True for a hex-encoded SHA-2 digest (SHA-224, -256, -384 or -512 lengths, either case)."""
    return len(value) in _SHA2_HEX_LENGTHS and _HEX.fullmatch(value) is not None


def is_uuid(value: str) -> bool:
    """True for a UUID in the standard 8-4-4-4-12 hex string form (either case)."""
    return len(value) == 36 and _UUID.fullmatch(value) is not None


def is_media_type(value: str) -> bool:
    """True for an Internet media type ``type/subtype`` with optional ``;`` parameters."""
    return _MEDIA_TYPE.fullmatch(value) is not None


def media_type_essence(value: str) -> str:
    """``type/subtype`` of a media type, lower-cased, without parameters or whitespace."""
    return value.split(";", 1)[0].strip().lower()


def is_duration(value: str) -> bool:
    """True for an ISO 8601 duration in the §4.4.3.2 format (``P4W``, ``PT1H0M0.5S``, ...)."""
    if _DURATION.fullmatch(value) is None:
        return False
    fraction = _FRACTION.search(value)
    return fraction is None or fraction.end() == len(value)


@lru_cache(maxsize=4096)
def is_language_tag(value: str) -> bool:
    """True for a well-formed RFC 5646 language tag (``en``, ``en-US``, ``zh-Hant-TW``, ...)."""
    return _LANGUAGE_TAG.fullmatch(value) is not None
