"""Generated documents, filters and sorts: PostgreSQL returns what the Python evaluator returns,
the same ids in the same order (and keyset pages agree too)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from lrs.core.errors import BadQuery
from lrs.query import evaluate, sql
from lrs.query.cursor import decode_cursor, encode_cursor, is_after, with_tiebreaker
from lrs.query.parse import parse_filter, parse_sort
from tests.query.conftest import QueryTable
from tests.query.strategies import document_lists, filters, sorts

IN_CI = os.environ.get("CI", "").lower() == "true"
SETTINGS = settings(
    max_examples=500 if IN_CI else 60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _python_ids(condition: Any, sort: Any, docs: list[dict[str, Any]]) -> list[str]:
    kept = [doc for doc in docs if evaluate.matches(condition, doc)]
    return [doc["_id"] for doc in sorted(kept, key=lambda doc: evaluate.sort_key(sort, doc))]


@pytest.mark.postgres
@SETTINGS
@given(docs=document_lists, raw_filter=filters(), raw_sort=sorts)
def test_postgres_agrees_with_python(
    query_table: QueryTable,
    docs: list[dict[str, Any]],
    raw_filter: dict[str, Any],
    raw_sort: dict[str, int],
) -> None:
    try:
        condition = parse_filter(raw_filter)
    except BadQuery:
        reject()  # e.g. $options "i" with a non-ASCII pattern: refused before any backend runs
    sort = with_tiebreaker(parse_sort(raw_sort))
    expected = _python_ids(condition, sort, docs)
    with query_table.connect() as connection:
        query_table.insert(connection, docs)
        got = query_table.ids(connection, condition, sort)
    assert got == expected, (raw_filter, raw_sort)


@pytest.mark.postgres
@settings(SETTINGS, max_examples=150 if IN_CI else 40)
@given(docs=document_lists, raw_sort=sorts, page=st.integers(min_value=1, max_value=3))
def test_keyset_pages_agree(
    query_table: QueryTable, docs: list[dict[str, Any]], raw_sort: dict[str, int], page: int
) -> None:
    sort = with_tiebreaker(parse_sort(raw_sort))
    by_id = {doc["_id"]: doc for doc in docs}
    everything = parse_filter({})
    expected = _python_ids(everything, sort, docs)
    with query_table.connect() as connection:
        query_table.insert(connection, docs)
        seen: list[str] = []
        position = None
        while True:
            extra = None if position is None else sql.keyset(sort, query_table.binding, position)
            ids = query_table.ids(connection, everything, sort, extra=extra, limit=page)
            if position is not None:
                python_page = [i for i in expected if is_after(sort, by_id[i], position)][:page]
                assert ids == python_page
                # inclusive: the row at the position (the last one seen), then the same page
                inclusive = sql.keyset(sort, query_table.binding, position, inclusive=True)
                assert query_table.ids(
                    connection, everything, sort, extra=inclusive, limit=page + 1
                ) == [seen[-1], *python_page]
            if not ids:
                break
            seen.extend(ids)
            token = encode_cursor(sort, evaluate.sort_values(sort, by_id[ids[-1]]))
            position = decode_cursor(token, sort)
    assert seen == expected
