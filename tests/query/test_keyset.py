"""Keyset pagination through ties and mixed directions, forwards and backwards, in Python (the
memory store's way) and in PostgreSQL: every document exactly once, in sort order."""

from __future__ import annotations

from typing import Any

import pytest

from lrs.query import evaluate, sql
from lrs.query.ast import Sort
from lrs.query.cursor import (
    cursor_for,
    decode_cursor,
    is_after,
    is_before,
    with_tiebreaker,
)
from lrs.query.parse import parse_filter, parse_sort
from tests.query.cases import DOCS, SORT_DOCS

SORTS = [
    {"t": 1},
    {"t": -1, "s": 1},
    {"s": -1},
    {"s": 1, "t": -1},
    {"t": 1, "_id": -1},
    {"timestamp": -1},
    {"voided": 1, "timestamp": 1},
    {"statement.verb.id": -1},
    {"a": 1},
    {"a.b": -1, "a": 1},
]
DOCUMENTS = SORT_DOCS + DOCS
BY_ID = {doc["_id"]: doc for doc in DOCUMENTS}
EVERYTHING = parse_filter({})


def _ordered(sort: Sort) -> list[str]:
    return [d["_id"] for d in sorted(DOCUMENTS, key=lambda d: evaluate.sort_key(sort, d))]


def _python_pages(sort: Sort, size: int, *, forwards: bool) -> list[list[str]]:
    ordered = _ordered(sort)
    pages: list[list[str]] = []
    token = None
    while True:
        if token is None:
            candidates = ordered
        else:
            position = decode_cursor(token, sort)
            test = is_after if forwards else is_before
            candidates = [i for i in ordered if test(sort, BY_ID[i], position)]
        page = candidates[:size] if forwards else candidates[-size:]
        if not page:
            return pages
        pages.append(page)
        token = cursor_for(sort, BY_ID[page[-1] if forwards else page[0]])


def _sql_pages(pg: Any, sort: Sort, size: int, *, forwards: bool) -> list[list[str]]:
    table, connection = pg
    pages: list[list[str]] = []
    token = None
    while True:
        extra = None
        if token is not None:
            position = decode_cursor(token, sort)
            extra = sql.keyset(sort, table.binding, position, after=forwards)
        page = table.ids(
            connection, EVERYTHING, sort, extra=extra, reverse=not forwards, limit=size
        )
        if not forwards:
            page.reverse()
        if not page:
            return pages
        pages.append(page)
        token = cursor_for(sort, BY_ID[page[-1] if forwards else page[0]])


@pytest.mark.parametrize("raw_sort", SORTS, ids=repr)
@pytest.mark.parametrize("size", [1, 2, 5])
def test_python_pages_visit_everything_once(raw_sort: dict[str, int], size: int) -> None:
    sort = with_tiebreaker(parse_sort(raw_sort))
    ordered = _ordered(sort)
    forwards = _python_pages(sort, size, forwards=True)
    assert [i for page in forwards for i in page] == ordered
    backwards = _python_pages(sort, size, forwards=False)
    assert [i for page in reversed(backwards) for i in page] == ordered


@pytest.mark.postgres
def test_sql_pages_match_python(pg: Any) -> None:
    table, connection = pg
    table.insert(connection, DOCUMENTS)
    for index, raw_sort in enumerate(SORTS):
        sort = with_tiebreaker(parse_sort(raw_sort))
        ordered = _ordered(sort)
        assert table.ids(connection, EVERYTHING, sort) == ordered, raw_sort
        for size in (2, 5) if index < 2 else (5,):
            for forwards in (True, False):
                expected = _python_pages(sort, size, forwards=forwards)
                assert _sql_pages(pg, sort, size, forwards=forwards) == expected, (
                    raw_sort,
                    size,
                    forwards,
                )


def test_sql_keyset_uses_row_comparison_on_typed_columns() -> None:
    table_binding = _binding()
    sort = with_tiebreaker(parse_sort({"timestamp": -1, "_id": -1}))
    position = evaluate.sort_values(sort, DOCS[24])
    text = str(sql.keyset(sort, table_binding, position).compile())
    assert text.startswith("(") and " < (" in text  # (timestamp, _id) < (:t, :id)
    mixed = with_tiebreaker(parse_sort({"timestamp": -1, "_id": 1}))
    text = str(sql.keyset(mixed, table_binding, evaluate.sort_values(mixed, DOCS[24])).compile())
    assert text.startswith("t.timestamp <=")  # the redundant leading bound for the index


def _binding() -> sql.TableBinding:
    import sqlalchemy as sa

    table = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("_id", sa.Text),
        sa.Column("timestamp", sa.DateTime(timezone=True)),
        sa.Column("doc", sa.JSON),
    )
    return sql.TableBinding.of(
        table.c.doc,
        {
            "_id": sql.TypedColumn(table.c["_id"], "text", nullable=False),
            "timestamp": sql.TypedColumn(table.c.timestamp, "timestamptz", nullable=False),
        },
    )
