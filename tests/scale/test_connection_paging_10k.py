"""Paging over 10,000 statements in pages of 100, both directions, visits each exactly once
(PostgreSQL, where the Connection API's keyset queries are index scans)."""

from __future__ import annotations

import pytest

from lrs.store.postgres import PostgresStore
from tests.contract.test_connection_paging import page_both_ways

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("raw_sort", [{"timestamp": -1, "_id": 1}, {"stored": -1}])
def test_ten_thousand_statements_page_both_ways(
    postgres_store: PostgresStore, raw_sort: dict[str, int]
) -> None:
    postgres_store.reset()
    page_both_ways(postgres_store, raw_sort, total=10_000)
    postgres_store.reset()
