"""Migration 0012: per-table autovacuum settings on the statement tables, and off again."""

from __future__ import annotations

import pytest
from alembic import command

from lrs.ops.migrate import alembic_config, upgrade_to_head
from tests.migrations.database import connected
from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres
TABLES = ("statements", "statement_terms", "statement_context_activities")


def _options(url: str) -> dict[str, set[str]]:
    with connected(url) as conn:
        rows = conn.exec_driver_sql(
            "SELECT relname, coalesce(reloptions, '{}') FROM pg_class "
            "WHERE relname = ANY(%(tables)s) AND relkind = 'r'",
            {"tables": list(TABLES)},
        ).all()
    return {name: set(options) for name, options in rows}


def test_the_statement_tables_are_analysed_and_vacuumed_sooner(pg_server: PostgresServer) -> None:
    url = pg_server.create_database()
    upgrade_to_head(url)
    wanted = {
        "autovacuum_analyze_scale_factor=0.02",
        "autovacuum_vacuum_insert_scale_factor=0.05",
    }
    assert all(wanted <= options for options in _options(url).values())
    assert set(_options(url)) == set(TABLES)
    command.downgrade(alembic_config(url), "0011")
    assert not any(wanted & options for options in _options(url).values())
