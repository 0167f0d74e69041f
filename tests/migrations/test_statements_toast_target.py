"""Migration 0009: the statements table's TOAST threshold, both ways."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from lrs.ops.migrate import alembic_config, upgrade_to_head
from tests.migrations.database import connected
from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres


def _options(url: str) -> list[str]:
    with connected(url) as conn:
        options = conn.execute(
            sa.text("SELECT reloptions FROM pg_class WHERE oid = 'statements'::regclass")
        ).scalar()
    return list(options or [])


def test_upgrade_and_downgrade(pg_server: PostgresServer) -> None:
    url = pg_server.create_database()
    upgrade_to_head(url)
    assert "toast_tuple_target=4080" in _options(url)

    command.downgrade(alembic_config(url), "0008")
    assert not any(option.startswith("toast_tuple_target") for option in _options(url))

    upgrade_to_head(url)
    assert "toast_tuple_target=4080" in _options(url)
