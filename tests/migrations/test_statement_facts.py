"""Migration 0018: ``statement_facts`` is filled from the stored statements, kept by triggers,
and dropped again on the way down (with migration 0017's composite type back)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from lrs.ops.migrate import alembic_config, upgrade_to_head
from lrs.store.postgres import PostgresStore, create_engine
from lrs.tenancy.service import bootstrap
from lrs.xapi.agents import ifi_string
from tests.aggregate.test_statement_facts import BODIES
from tests.migrations.database import connected, insert_bodies
from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres


def _expected(statement: dict[str, Any]) -> tuple[Any, ...]:
    result = statement.get("result", {})
    score = result.get("score", {})
    return (
        ifi_string(statement["actor"]),
        statement["verb"]["id"],
        statement["object"].get("id"),
        statement["object"].get("objectType"),
        statement.get("context", {}).get("platform"),
        score.get("scaled"),
        score.get("raw"),
        result.get("success"),
        result.get("completion"),
    )


def _facts(url: str) -> dict[str, tuple[Any, ...]]:
    with connected(url) as conn:
        rows = conn.execute(
            sa.text(
                "SELECT s.statement_id::text, f.person, f.verb, f.object, f.object_type, "
                "f.platform, f.scaled, f.raw, f.success, f.completion "
                "FROM statement_facts f JOIN statements s USING (lrs_id, id) "
                "WHERE f.stored = s.stored AND f.timestamp = s.timestamp"
            )
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_statement_facts_are_filled_kept_and_dropped(pg_server: PostgresServer) -> None:
    url = pg_server.create_database()
    command.upgrade(alembic_config(url), "0017")
    engine = create_engine(url)
    store = PostgresStore(engine)
    tenant = bootstrap(store, key="facts", secret="facts")
    assert tenant is not None

    def stored(bodies: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
        records = insert_bodies(store, tenant, bodies)
        return {r.statement_id: _expected(r.statement) for r in records}

    before = stored(BODIES[:12])
    upgrade_to_head(url)
    assert _facts(url) == before
    after = stored(BODIES[12:])  # the trigger's rows
    assert _facts(url) == {**before, **after}
    engine.dispose()

    command.downgrade(alembic_config(url), "0017")
    with connected(url) as conn:
        assert conn.execute(sa.text("SELECT to_regclass('statement_facts')")).scalar() is None
        assert conn.execute(sa.text("SELECT to_regtype('lrs_ordered')")).scalar() is not None
    upgrade_to_head(url)
    with connected(url) as conn:
        assert conn.execute(sa.text("SELECT to_regtype('lrs_ordered')")).scalar() is None
    assert _facts(url) == {**before, **after}
