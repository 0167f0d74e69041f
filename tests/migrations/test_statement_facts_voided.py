"""Migration 0019: ``statement_facts.voided`` is filled from ``statements``, follows voiding,
and goes again on the way down."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from lrs.ops.migrate import alembic_config, upgrade_to_head
from lrs.store.postgres import PostgresStore, create_engine
from lrs.tenancy.service import bootstrap
from tests.migrations.database import connected, insert_bodies
from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def _statement(n: int, target: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "actor": {"mbox": "mailto:ann@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "http://example.com/a"},
    }
    if target is not None:
        body["verb"] = {"id": VOIDED}
        body["object"] = {"objectType": "StatementRef", "id": target}
    return body


def _voided(url: str) -> dict[str, bool]:
    with connected(url) as conn:
        rows = conn.execute(
            sa.text(
                "SELECT s.statement_id::text, f.voided FROM statement_facts f "
                "JOIN statements s USING (lrs_id, id)"
            )
        ).all()
    return dict(rows)  # type: ignore[arg-type]


def test_voided_is_filled_kept_and_dropped(pg_server: PostgresServer) -> None:
    url = pg_server.create_database()
    command.upgrade(alembic_config(url), "0018")
    engine = create_engine(url)
    store = PostgresStore(engine)
    tenant = bootstrap(store, key="voided", secret="voided")
    assert tenant is not None

    def store_all(*bodies: dict[str, Any]) -> None:
        insert_bodies(store, tenant, list(bodies))

    first, second = _statement(1), _statement(2)
    store_all(first, second, _statement(3, target=first["id"]))
    upgrade_to_head(url)
    assert _voided(url) == {
        first["id"]: True,
        second["id"]: False,
        _statement(3)["id"]: False,
    }
    store_all(_statement(4, target=second["id"]))  # the row trigger
    assert _voided(url)[second["id"]] is True
    engine.dispose()

    command.downgrade(alembic_config(url), "0018")
    with connected(url) as conn:
        columns = conn.execute(
            sa.text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'statement_facts'"
            )
        ).scalars()
        assert "voided" not in set(columns)
    engine = create_engine(url)
    store = PostgresStore(engine)
    store_all(_statement(5))  # 0018's insert trigger is back
    engine.dispose()
    upgrade_to_head(url)
    assert len(_voided(url)) == 5
