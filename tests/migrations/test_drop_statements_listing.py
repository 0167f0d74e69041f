"""Migration 0010: ``statements_listing`` dropped, and back on a downgrade."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from lrs.ops.migrate import alembic_config, upgrade_to_head
from tests.migrations.database import connected
from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres


def _statement_indexes(url: str) -> dict[str, str]:
    with connected(url) as conn:
        rows = conn.execute(
            sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'statements'")
        )
        return {row.indexname: row.indexdef for row in rows}


def test_upgrade_and_downgrade(pg_server: PostgresServer) -> None:
    url = pg_server.create_database()
    upgrade_to_head(url)
    indexes = _statement_indexes(url)
    assert "statements_listing" not in indexes
    assert "statements_stored" in indexes  # what listings read now

    command.downgrade(alembic_config(url), "0009")
    restored = _statement_indexes(url)["statements_listing"]
    assert "(lrs_id, stored, id)" in restored and "WHERE (NOT voided)" in restored

    upgrade_to_head(url)
    assert "statements_listing" not in _statement_indexes(url)
