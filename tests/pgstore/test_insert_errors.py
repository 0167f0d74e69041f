"""The insert path's driver-level queries turn a timed-out or lost database into a 503-style
``StoreUnavailable``, like the rest of the store."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lrs.core.errors import StoreUnavailable
from lrs.statements.build import build_record
from lrs.store.postgres import PostgresStore
from lrs.tenancy.service import bootstrap

pytestmark = pytest.mark.postgres


def test_a_statement_timeout_in_the_insert_is_store_unavailable(pg_database_url: str) -> None:
    store = PostgresStore.from_url(pg_database_url, statement_timeout_ms=300)
    blocker = PostgresStore.from_url(pg_database_url)
    try:
        store.reset()
        tenant = bootstrap(store, key="insert-timeout", secret="insert-timeout")
        assert tenant is not None
        record = build_record(
            {
                "actor": {"mbox": "mailto:ann@example.com"},
                "verb": {"id": "http://example.com/verbs/did"},
                "object": {"id": "http://example.com/activities/a"},
            },
            client=tenant.issued.client,
            lrs_id=tenant.lrs.id,
            stored=datetime.now(UTC),
        )
        locked, release = threading.Event(), threading.Event()

        def hold_the_store_row() -> None:
            with blocker.engine.begin() as conn:
                conn.execute(
                    sa.text("SELECT 1 FROM models WHERE model = 'lrs' AND id = :id FOR UPDATE"),
                    {"id": tenant.lrs.id},
                )
                locked.set()
                release.wait(10)

        holder = threading.Thread(target=hold_the_store_row)
        holder.start()
        try:
            assert locked.wait(10)
            # The statement count update waits for the row lock until statement_timeout.
            with pytest.raises(StoreUnavailable):
                store.insert_statements(tenant.lrs.id, [record])
        finally:
            release.set()
            holder.join()
        # Nothing of the failed batch was kept, and the store still works.
        assert store.get_statement(tenant.lrs.id, record.statement_id) is None
        store.insert_statements(tenant.lrs.id, [record])
        assert store.get_statement(tenant.lrs.id, record.statement_id) is not None
    finally:
        store.reset()
        store.close()
        blocker.close()
