"""Migration 0007: lz4 for the statement JSON and partial optional-column indexes, both ways."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from lrs.ops.migrate import alembic_config, upgrade_to_head
from lrs.store.postgres import create_engine
from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres
OPTIONAL = ("statements_actor_account", "statements_actor_mbox", "statements_registration")


def _state(url: str) -> tuple[dict[str, str], dict[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            compression = dict(
                tuple(row)
                for row in conn.execute(
                    sa.text(
                        "SELECT attname, attcompression::text FROM pg_attribute "
                        "WHERE attrelid = 'statements'::regclass "
                        "AND attname IN ('statement', 'queriables')"
                    )
                ).all()
            )
            indexes = dict(
                tuple(row)
                for row in conn.execute(
                    sa.text(
                        "SELECT indexname, indexdef FROM pg_indexes "
                        "WHERE tablename = 'statements' AND indexname = ANY(:names)"
                    ),
                    {"names": list(OPTIONAL)},
                ).all()
            )
    finally:
        engine.dispose()
    return compression, indexes


def test_upgrade_and_downgrade(pg_server: PostgresServer) -> None:
    url = pg_server.create_database()
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        version = int(conn.execute(sa.text("SHOW server_version_num")).scalar_one())
    engine.dispose()
    if version < 140000:
        pytest.skip("per-column compression needs PostgreSQL 14")
    compression, indexes = _state(url)
    assert compression == {"statement": "l", "queriables": "l"}
    assert sorted(indexes) == sorted(OPTIONAL)
    assert all("IS NOT NULL" in definition for definition in indexes.values())

    command.downgrade(alembic_config(url), "0006")
    compression, indexes = _state(url)
    assert compression == {"statement": "p", "queriables": "p"}
    assert sorted(indexes) == sorted(OPTIONAL)
    assert not any("WHERE" in definition for definition in indexes.values())

    upgrade_to_head(url)
    assert _state(url)[0] == {"statement": "l", "queriables": "l"}
