"""The hand-checked case tables, run on the Python evaluator and on PostgreSQL through sql.py."""

from __future__ import annotations

from typing import Any

import pytest

from lrs.query import evaluate, sql
from lrs.query.cursor import with_tiebreaker
from lrs.query.parse import parse_filter, parse_sort
from tests.query.cases import (
    DOCS,
    FILTER_CASES,
    POSITION_CASES,
    POSITION_DOCS,
    POSITION_SORT_CASES,
    POSITION_SORT_DOCS,
    SORT_CASES,
    SORT_DOCS,
    TYPED_SORT_CASES,
)

pytestmark = pytest.mark.filterwarnings("error")


def _label(case: tuple[dict[str, Any], list[str]]) -> str:
    return repr(case[0])[:60]


def _matching_in_python(docs: list[dict[str, Any]], raw: dict[str, Any]) -> list[str]:
    condition = parse_filter(raw)
    return [doc["_id"] for doc in docs if evaluate.matches(condition, doc)]


def _postgres_failures(
    pg: Any, docs: list[dict[str, Any]], cases: list[tuple[dict[str, Any], list[str]]]
) -> list[Any]:
    """The filter cases whose ids PostgreSQL finds differently."""
    table, connection = pg
    table.insert(connection, docs)
    failures = []
    for raw, expected in cases:
        got = table.ids(connection, parse_filter(raw), with_tiebreaker(()))
        if got != expected:
            failures.append((raw, got, expected))
    return failures


@pytest.mark.parametrize("case", FILTER_CASES, ids=_label)
def test_filter_in_python(case: tuple[dict[str, Any], list[str]]) -> None:
    raw, expected = case
    assert _matching_in_python(DOCS, raw) == expected


@pytest.mark.postgres
def test_filters_in_postgres(pg: Any) -> None:
    assert _postgres_failures(pg, DOCS, FILTER_CASES) == []


def _sorted_ids(sort_raw: dict[str, Any], docs: list[dict[str, Any]]) -> list[str]:
    sort = with_tiebreaker(parse_sort(sort_raw))
    return [doc["_id"] for doc in sorted(docs, key=lambda doc: evaluate.sort_key(sort, doc))]


@pytest.mark.parametrize("case", SORT_CASES + TYPED_SORT_CASES, ids=_label)
def test_sort_in_python(case: tuple[dict[str, Any], list[str]]) -> None:
    raw, expected = case
    docs = SORT_DOCS if expected[0].startswith("s") else DOCS[-3:]
    assert _sorted_ids(raw, docs) == expected


@pytest.mark.postgres
def test_sorts_in_postgres(pg: Any) -> None:
    table, connection = pg
    table.insert(connection, SORT_DOCS + DOCS[-3:])
    failures = []
    for raw, expected in SORT_CASES + TYPED_SORT_CASES:
        prefix = expected[0][0]
        only = parse_filter({"_id": {"$regex": f"^{prefix}"}})
        if prefix == "d":
            only = parse_filter({"_id": {"$in": ["d25", "d26", "d27"]}})
        got = table.ids(connection, only, with_tiebreaker(parse_sort(raw)))
        if got != expected:
            failures.append((raw, got, expected))
        reversed_ids = table.ids(connection, only, with_tiebreaker(parse_sort(raw)), reverse=True)
        if reversed_ids != expected[::-1]:
            failures.append(("reverse", raw, reversed_ids))
    assert failures == []


@pytest.mark.parametrize("case", POSITION_CASES, ids=_label)
def test_position_filter_in_python(case: tuple[dict[str, Any], list[str]]) -> None:
    raw, expected = case
    assert _matching_in_python(POSITION_DOCS, raw) == expected


@pytest.mark.postgres
def test_position_filters_in_postgres(pg: Any) -> None:
    assert _postgres_failures(pg, POSITION_DOCS, POSITION_CASES) == []


@pytest.mark.parametrize("case", POSITION_SORT_CASES, ids=_label)
def test_position_sort_in_python(case: tuple[dict[str, Any], list[str]]) -> None:
    raw, expected = case
    assert _sorted_ids(raw, POSITION_SORT_DOCS) == expected


@pytest.mark.postgres
def test_position_sorts_in_postgres(pg: Any) -> None:
    table, connection = pg
    table.insert(connection, POSITION_SORT_DOCS)
    everything = parse_filter({})
    failures = []
    for raw, expected in POSITION_SORT_CASES:
        sort = with_tiebreaker(parse_sort(raw))
        got = table.ids(connection, everything, sort)
        if got != expected:
            failures.append((raw, got, expected))
        if table.ids(connection, everything, sort, reverse=True) != expected[::-1]:
            failures.append(("reverse", raw))
    assert failures == []


@pytest.mark.postgres
def test_position_sort_keyset_in_postgres(pg: Any) -> None:
    """Pages after each row's cursor: PostgreSQL's keyset agrees with the Python order."""
    table, connection = pg
    table.insert(connection, POSITION_SORT_DOCS)
    by_id = {doc["_id"]: doc for doc in POSITION_SORT_DOCS}
    everything = parse_filter({})
    failures = []
    for raw, expected in POSITION_SORT_CASES:
        sort = with_tiebreaker(parse_sort(raw))
        for index, row_id in enumerate(expected):
            position = evaluate.sort_values(sort, by_id[row_id])
            extra = sql.keyset(sort, table.binding, position)
            if table.ids(connection, everything, sort, extra=extra) != expected[index + 1 :]:
                failures.append((raw, row_id))
    assert failures == []
