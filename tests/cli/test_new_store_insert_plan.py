"""An import into a new store of a database with data: the insert path's lookup of stored
statements stays a key lookup per id (it was a scan of the new store per id, because the planner
took the new store for one row)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from lrs.statements.build import build_record
from lrs.store.postgres import PostgresStore
from lrs.store.postgres.inserts import _SELECT_TOUCHED
from lrs.tenancy.service import Bootstrap, create_store
from tests.cli.conftest import statement

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 2, 1, tzinfo=UTC)


def _scans(store: PostgresStore, query: str, lrs_id: str) -> list[dict[str, Any]]:
    literal = "{" + ",".join(str(uuid.uuid4()) for _ in range(100)) + "}"
    with store.engine.connect() as conn:
        raw = conn.execute(
            sa.text(f"EXPLAIN (FORMAT JSON) {query}"),
            {"lrs_id": lrs_id, "wanted": literal, "ids": literal},
        ).scalar()
    plan = (orjson.loads(raw) if isinstance(raw, str | bytes) else raw)[0]["Plan"]
    found = []
    pending = [plan]
    while pending:
        node = pending.pop()
        pending.extend(node.get("Plans", []))
        if node.get("Relation Name") == "statements":
            found.append(node)
    return found


def test_lookups_in_a_store_the_statistics_have_not_seen(
    tenant: Bootstrap, cli_store: PostgresStore
) -> None:
    for batch in range(8):
        records = [
            build_record(
                statement(batch * 250 + n),
                client=tenant.issued.client,
                lrs_id=tenant.lrs.id,
                stored=T0 + timedelta(seconds=batch),
            )
            for n in range(250)
        ]
        cli_store.insert_statements(tenant.lrs.id, records)
    with cli_store.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE statements"))
    new, _ = create_store(cli_store, tenant.organisation.id, "New")

    scans = _scans(cli_store, _SELECT_TOUCHED.text, new.id)
    assert scans
    for scan in scans:
        condition = scan.get("Index Cond", "")
        assert "statement_id" in condition or "ref_target" in condition, scan
        assert "statement_id" not in scan.get("Filter", ""), scan
