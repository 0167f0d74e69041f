"""Keyset pagination: stable sorts, opaque cursors, and the in-memory "after/before" test.

A cursor is ``base64url(JSON)`` of the version, a fingerprint of the sort it was made for and the
typed sort values of its row (rank + payload, so numbers, strings, booleans, datetimes, null and
missing round-trip exactly), after a MAC (keyed BLAKE2b) of that JSON. Decoding checks
everything: a tampered or truncated cursor, or one made for another sort, is a ``BadQuery``. The
MAC key defaults to a constant (then it is a checksum); a store may pass a secret so cursors
cannot be forged.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from lrs.core.errors import BadQuery
from lrs.query.ast import Path, Sort, SortKey
from lrs.query.evaluate import compare_positions, sort_values
from lrs.query.ordering import (
    RANK_BOOLEAN,
    RANK_DATE,
    RANK_NUMBER,
    RANK_STRING,
    SortValue,
)

CURSOR_VERSION = 1
MAX_CURSOR_LENGTH = 8192
DEFAULT_KEY = b"lrs-query-cursor"
ID_PATH = Path(("_id",))


def with_tiebreaker(sort: Sort) -> Sort:
    """``sort`` with ``_id`` ascending appended when it does not name ``_id`` already."""
    if any(key.path == ID_PATH for key in sort):
        return sort
    return (*sort, SortKey(ID_PATH, 1))


@functools.lru_cache(maxsize=256)
def fingerprint(sort: Sort) -> str:
    """A short stable digest of the sort spec (paths and directions)."""
    spec = json.dumps([[list(key.path.segments), key.direction] for key in sort])
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


def _encode_value(value: SortValue) -> list[Any]:
    payload = value.payload
    if isinstance(payload, Decimal):
        return [value.rank, str(payload)]
    if isinstance(payload, datetime):
        return [value.rank, payload.isoformat()]
    return [value.rank, payload]


def _decode_value(raw: Any) -> SortValue:
    if not isinstance(raw, list) or len(raw) != 2 or type(raw[0]) is not int:
        raise ValueError("bad value")
    rank, payload = raw
    if rank == RANK_NUMBER:
        if not isinstance(payload, str):
            raise ValueError("bad number")
        number = Decimal(payload)
        if not number.is_finite():
            raise ValueError("bad number")
        return SortValue(rank, number)
    if rank == RANK_STRING:
        if not isinstance(payload, str):
            raise ValueError("bad string")
        return SortValue(rank, payload)
    if rank == RANK_BOOLEAN:
        if not isinstance(payload, bool):
            raise ValueError("bad boolean")
        return SortValue(rank, payload)
    if rank == RANK_DATE:
        instant = datetime.fromisoformat(payload) if isinstance(payload, str) else None
        if instant is None or instant.tzinfo is None:
            raise ValueError("bad date")
        return SortValue(rank, instant)
    if rank in (0, 1, 4, 5) and payload is None:
        return SortValue(rank)
    raise ValueError("bad rank")


_MAC_SIZE = 16


def _mac(body: bytes, key: bytes) -> bytes:
    # Keyed BLAKE2b is a MAC in one C call: a few times cheaper than HMAC, once per edge.
    return hashlib.blake2b(body, key=key, digest_size=_MAC_SIZE).digest()


@functools.lru_cache(maxsize=256)
def _body_prefix(sort: Sort) -> bytes:
    """The constant start of every cursor body for ``sort``: version and fingerprint."""
    return b'{"v":%d,"s":"%s","k":' % (CURSOR_VERSION, fingerprint(sort).encode())


def encode_cursor(sort: Sort, position: Sequence[SortValue], *, key: bytes = DEFAULT_KEY) -> str:
    """The opaque cursor for a row at ``position`` (from ``evaluate.sort_values``):
    ``base64url(mac + body)``, the body being JSON (version, sort fingerprint, values)."""
    body = _body_prefix(sort) + orjson.dumps([_encode_value(value) for value in position]) + b"}"
    return base64.urlsafe_b64encode(_mac(body, key) + body).decode().rstrip("=")


def cursor_for(sort: Sort, doc: Any, *, key: bytes = DEFAULT_KEY) -> str:
    """The cursor of ``doc`` (a full record, typed values included) in ``sort``."""
    return encode_cursor(sort, sort_values(sort, doc), key=key)


def decode_cursor(
    token: str, sort: Sort, *, key: bytes = DEFAULT_KEY, parameter: str = "after"
) -> tuple[SortValue, ...]:
    """The position a cursor holds; ``BadQuery`` (naming ``parameter``) if it is not valid
    for ``sort``."""
    if not isinstance(token, str) or not token or len(token) > MAX_CURSOR_LENGTH:
        raise BadQuery(f"{parameter}: not a valid cursor", field=parameter)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        mac, body = raw[:_MAC_SIZE], raw[_MAC_SIZE:]
        if not hmac.compare_digest(mac, _mac(body, key)):
            raise ValueError("bad mac")
        content = json.loads(body)
        if content["v"] != CURSOR_VERSION:
            raise ValueError("bad version")
        made_for = content["s"]
        values = tuple(_decode_value(item) for item in content["k"])
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, InvalidOperation):
        raise BadQuery(f"{parameter}: not a valid cursor", field=parameter) from None
    if made_for != fingerprint(sort) or len(values) != len(sort):
        raise BadQuery(f"{parameter}: the cursor was made for another sort", field=parameter)
    return values


def is_after(sort: Sort, doc: Any, position: Sequence[SortValue]) -> bool:
    """Does ``doc`` come strictly after ``position`` in ``sort`` order? (memory store)"""
    return compare_positions(sort, sort_values(sort, doc), tuple(position)) > 0


def is_before(sort: Sort, doc: Any, position: Sequence[SortValue]) -> bool:
    """Does ``doc`` come strictly before ``position`` in ``sort`` order? (memory store)"""
    return compare_positions(sort, sort_values(sort, doc), tuple(position)) < 0
