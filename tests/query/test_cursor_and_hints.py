"""Cursors (round trip, tampering, another sort) and hints (shape, registry, never results)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from lrs.core.errors import BadQuery
from lrs.query import evaluate
from lrs.query.ast import Hint, Path, SortKey
from lrs.query.cursor import (
    cursor_for,
    decode_cursor,
    encode_cursor,
    fingerprint,
    with_tiebreaker,
)
from lrs.query.hints import parse_hint, resolve_hint
from lrs.query.ordering import SortValue
from lrs.query.parse import parse_sort

SORT = with_tiebreaker(parse_sort({"timestamp": -1, "a": 1}))


@pytest.mark.parametrize(
    "doc",
    [
        {"_id": "1", "timestamp": datetime(2020, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))},
        {"_id": "2", "a": 2.5},
        {"_id": "3", "a": 10**20},
        {"_id": "4", "a": "é\u2028"},
        {"_id": "5", "a": None},
        {"_id": "6", "a": []},
        {"_id": "7", "a": [True, {"x": 1}]},
        {"_id": "8", "a": [[1]]},
    ],
    ids=repr,
)
def test_round_trip(doc: dict[str, Any]) -> None:
    position = evaluate.sort_values(SORT, doc)
    token = cursor_for(SORT, doc)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_cursor(token, SORT) == position


def test_tiebreaker() -> None:
    assert SORT[-1] == SortKey(Path(("_id",)), 1)
    with_id = parse_sort({"_id": -1, "a": 1})
    assert with_tiebreaker(with_id) == with_id


def _parts(token: str) -> tuple[bytes, bytes]:
    """A cursor's MAC (16 bytes) and JSON body."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return raw[:16], raw[16:]


def _token(mac: bytes, body: bytes) -> str:
    return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")


def test_tampered_and_foreign_cursors() -> None:
    token = encode_cursor(SORT, (SortValue(1), SortValue(2, Decimal(1)), SortValue(3, "x")))
    mac, raw_body = _parts(token)
    body = json.loads(raw_body)
    body["k"][1][1] = "2"

    bad = [
        "",
        "not base64!",
        "e30",  # {}
        token[:-4],
        token + "x",
        _token(mac, json.dumps(body).encode()),  # another value under the old MAC
        _token(bytes(16), raw_body),  # another MAC
        _token(mac, b"\x8d" + raw_body),  # not UTF-8
        "A" * 10_000,
    ]
    for candidate in bad:
        with pytest.raises(BadQuery, match="before: not a valid cursor"):
            decode_cursor(candidate, SORT, parameter="before")
    other = with_tiebreaker(parse_sort({"timestamp": 1, "a": 1}))
    with pytest.raises(BadQuery, match="another sort"):
        decode_cursor(token, other)
    with pytest.raises(BadQuery):
        decode_cursor(token, SORT, key=b"another secret")
    assert fingerprint(SORT) != fingerprint(other)


def test_forged_cursor_values_are_refused_by_type() -> None:
    # A value of the wrong type for a typed column cannot reach SQL.
    import sqlalchemy as sa

    from lrs.query import sql

    table = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("_id", sa.Text),
        sa.Column("timestamp", sa.DateTime(timezone=True)),
        sa.Column("doc", sa.JSON),
    )
    binding = sql.TableBinding.of(
        table.c.doc, {"timestamp": sql.TypedColumn(table.c.timestamp, "timestamptz")}
    )
    sort = with_tiebreaker(parse_sort({"timestamp": 1}))
    with pytest.raises(BadQuery, match="cursor"):
        sql.keyset(sort, binding, (SortValue(3, "2020"), SortValue(3, "x")))
    when = datetime(2020, 1, 1, tzinfo=UTC)
    sql.keyset(sort, binding, (SortValue(7, when), SortValue(3, "x")))


def test_hints() -> None:
    assert parse_hint("statements_listing") == Hint(name="statements_listing")
    assert parse_hint({"$natural": -1}) == Hint(natural=-1)
    hint = parse_hint({"organisation": 1, "lrs_id": 1, "timestamp": -1, "_id": 1})
    assert resolve_hint(hint) == "statements_timestamp"
    assert resolve_hint(parse_hint({"statement.verb.id": 1})) == "statements_verb"
    assert resolve_hint(parse_hint({"nothing.we.know": 1})) is None
    assert resolve_hint(parse_hint("someone_elses_index")) is None
    extension = parse_hint({"statement.context.extensions.http://x&46;org/e": 1})
    assert extension.keys[0].path.segments[-1] == "http://x.org/e"


@pytest.mark.parametrize(
    "raw",
    ["", 5, [], {}, {"a": 2}, {"a": "1"}, {"$natural": 1, "a": 1}, {"$where": 1}, {"a..b": 1}],
    ids=repr,
)
def test_bad_hints(raw: Any) -> None:
    with pytest.raises(BadQuery, match="hint"):
        parse_hint(raw)
