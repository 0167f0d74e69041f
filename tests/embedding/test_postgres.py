"""``running_lrs`` on PostgreSQL: the schema check, ``migrate=True``, a clean start and stop."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lrs.core.errors import SchemaNotCurrent
from lrs.ops.migrate import current_revision, head_revision, upgrade_to_head
from lrs.store.postgres import PostgresStore
from lrs.testing import running_lrs
from tests.embedding.support import call, statement
from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres


def _revision(url: str) -> str | None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return current_revision(connection)
    finally:
        engine.dispose()


def test_a_migrated_database_serves_and_the_data_is_in_it(pg_server: PostgresServer) -> None:
    url = pg_server.create_database()
    upgrade_to_head(url)
    with running_lrs(database_url=url, key="pg-key", secret="pg-secret") as served:
        assert isinstance(served.store, PostgresStore)
        posted = call(served, "POST", "/data/xAPI/statements", json=statement())
        assert posted.status == 200, posted.body
        [statement_id] = posted.json()
        assert served.store.get_statement(served.lrs_id, statement_id) is not None
        assert call(served, "GET", "/api/v2/store").json()[0]["statementCount"] == 1


def test_a_database_behind_head_is_refused_unless_migrate_is_asked(
    pg_server: PostgresServer,
) -> None:
    url = pg_server.create_database()
    with pytest.raises(SchemaNotCurrent, match="lrs migrate"), running_lrs(database_url=url):
        pass
    assert _revision(url) is None  # the refusal changed nothing
    with running_lrs(database_url=url, migrate=True) as served:
        assert call(served, "GET", "/data/xAPI/statements").status == 200
    assert _revision(url) == head_revision()


def test_start_empties_the_database_and_a_restart_serves_new_credentials(
    pg_server: PostgresServer,
) -> None:
    url = pg_server.create_database()
    with running_lrs(database_url=url, migrate=True) as first:
        call(first, "POST", "/data/xAPI/statements", json=statement())
        first_key = first.key
    with running_lrs(database_url=url) as second:
        assert second.key != first_key
        assert call(second, "GET", "/data/xAPI/statements").json()["statements"] == []
        with_old_key = call(second, "GET", "/api/v2/store", authorization=first.authorization)
        assert with_old_key.status == 401
