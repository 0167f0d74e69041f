"""Migration 0006 copies existing statements' context activities into its side table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from lrs.ops.migrate import alembic_config, upgrade_to_head
from lrs.statements.build import build_record
from lrs.store.context_activities import statement_context_rows
from lrs.store.postgres import PostgresStore, create_engine
from lrs.tenancy.service import bootstrap
from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_upgrade_fills_the_side_table_from_stored_statements(pg_server: PostgresServer) -> None:
    url = pg_server.create_database()
    upgrade_to_head(url)
    engine = create_engine(url)
    try:
        store = PostgresStore(engine)
        tenant = bootstrap(store, key="backfill", secret="backfill")
        assert tenant is not None
        bodies = [
            {
                "actor": {"mbox": "mailto:a@example.com"},
                "verb": {"id": "http://example.com/verbs/did"},
                "object": {"id": f"http://example.com/a/{i}"},
                "context": {
                    "contextActivities": {
                        "parent": [{"id": "http://example.com/p"}, {"id": "http://example.com/p"}],
                        "grouping": {"id": f"http://example.com/g/{i % 2}"},
                        "other": [{"id": "http://example.com/o"}],
                    }
                },
                "timestamp": (T0 + timedelta(minutes=i)).isoformat(),
            }
            for i in range(6)
        ] + [
            {
                "actor": {"mbox": "mailto:a@example.com"},
                "verb": {"id": "http://example.com/verbs/did"},
                "object": {"id": "http://example.com/none"},
            }
        ]
        records = [
            build_record(body, client=tenant.issued.client, lrs_id=tenant.lrs.id, stored=T0)
            for body in bodies
        ]
        store.insert_statements(tenant.lrs.id, records)
        expected = sorted(
            row
            for r in records
            for row in statement_context_rows(r.lrs_id, r.id, r.timestamp, r.statement)
        )
        assert len(expected) == 6 * 3  # the repeated parent counts once

        def side_rows() -> list[tuple[object, ...]]:
            with engine.connect() as conn:
                return sorted(
                    tuple(row)
                    for row in conn.execute(
                        sa.text(
                            "SELECT lrs_id, category, activity_id, timestamp, id "
                            "FROM statement_context_activities"
                        )
                    )
                )

        assert side_rows() == expected  # written by the insert
        engine.dispose()
        command.downgrade(alembic_config(url), "0005")
        upgrade_to_head(url)
        assert side_rows() == expected  # rebuilt by the migration from the statements
    finally:
        engine.dispose()
