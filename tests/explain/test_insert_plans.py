"""EXPLAIN proves the insert path's lookups are key lookups per id, with or without statistics.

A batch first reads the stored statements sharing its ids or referencing it. With an ``= ANY``
list, a store PostgreSQL had not analysed yet (a first bulk load) was planned as a scan of every
statement of the store filtered by the list, so each batch cost more as the store grew. The
activity definitions merge looks its activities up the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from lrs.statements.build import build_record
from lrs.store.postgres import PostgresStore
from lrs.store.postgres.inserts import _MERGE_DEFINITIONS, _SELECT_TOUCHED
from lrs.tenancy.service import bootstrap

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 2, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def loaded(postgres_store: PostgresStore) -> Iterator[tuple[PostgresStore, str, list[str]]]:
    postgres_store.reset()
    tenant = bootstrap(postgres_store, key="insert-plans", secret="insert-plans")
    assert tenant is not None
    ids: list[str] = []
    for batch in range(12):
        records = [
            build_record(
                {
                    "actor": {"mbox": f"mailto:user{i}@example.com"},
                    "verb": {"id": "http://example.com/verbs/did"},
                    "object": {
                        "id": f"http://example.com/activities/{batch * 250 + i}",
                        "definition": {"name": {"en": f"activity {batch * 250 + i}"}},
                    },
                },
                client=tenant.issued.client,
                lrs_id=tenant.lrs.id,
                stored=T0 + timedelta(seconds=batch),
            )
            for i in range(250)
        ]
        postgres_store.insert_statements(tenant.lrs.id, records)
        ids.extend(record.statement_id for record in records)
    yield postgres_store, tenant.lrs.id, ids
    postgres_store.reset()


def _plan_scans(
    store: PostgresStore, query: sa.TextClause, parameters: dict[str, Any], table: str
) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        raw = conn.execute(sa.text(f"EXPLAIN (FORMAT JSON) {query.text}"), parameters).scalar()
    plan = (orjson.loads(raw) if isinstance(raw, str | bytes) else raw)[0]["Plan"]

    def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    return [node for node in nodes(plan) if node.get("Relation Name") == table]


def _scans(store: PostgresStore, lrs_id: str, wanted: list[str]) -> list[dict[str, Any]]:
    literal = "{" + ",".join(wanted) + "}"
    parameters = {"lrs_id": lrs_id, "wanted": literal, "ids": literal}
    return _plan_scans(store, _SELECT_TOUCHED, parameters, "statements")


def _assert_key_lookups(scans: list[dict[str, Any]]) -> None:
    assert scans
    for scan in scans:
        assert scan["Node Type"] in ("Index Scan", "Bitmap Heap Scan"), scan["Node Type"]
        condition = scan.get("Index Cond") or scan.get("Recheck Cond") or ""
        assert "statement_id" in condition or "ref_target" in condition, condition
        assert "ANY" not in scan.get("Filter", ""), scan


def _forget_statistics(store: PostgresStore, table: str) -> None:
    with store.engine.begin() as conn:
        superuser = conn.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = user"))
        if not superuser.scalar():
            pytest.skip("forgetting a table's statistics needs a superuser")
        conn.execute(
            sa.text("DELETE FROM pg_statistic WHERE starelid = CAST(:table AS regclass)"),
            {"table": table},
        )
        conn.execute(
            sa.text("UPDATE pg_class SET reltuples = -1 WHERE oid = CAST(:table AS regclass)"),
            {"table": table},
        )


def test_lookups_per_id_after_analyze(loaded: tuple[PostgresStore, str, list[str]]) -> None:
    store, lrs_id, ids = loaded
    with store.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE statements"))
    wanted = ids[:50] + [str(uuid.uuid4()) for _ in range(50)]
    _assert_key_lookups(_scans(store, lrs_id, wanted))


def test_lookups_per_id_without_statistics(loaded: tuple[PostgresStore, str, list[str]]) -> None:
    store, lrs_id, ids = loaded
    _forget_statistics(store, "statements")
    wanted = ids[:50] + [str(uuid.uuid4()) for _ in range(50)]
    _assert_key_lookups(_scans(store, lrs_id, wanted))


@pytest.mark.parametrize("analysed", [True, False], ids=["after analyze", "without statistics"])
def test_definition_merge_looks_up_each_activity(
    loaded: tuple[PostgresStore, str, list[str]], analysed: bool
) -> None:
    store, lrs_id, _ids = loaded
    if analysed:
        with store.engine.begin() as conn:
            conn.execute(sa.text("ANALYZE activity_definitions"))
    else:
        _forget_statistics(store, "activity_definitions")
    definitions = {
        f"http://example.com/activities/{i}": {"name": {"en": f"activity {i}"}} for i in range(100)
    }
    parameters = {"lrs_id": lrs_id, "definitions": orjson.dumps(definitions).decode()}
    nodes = _plan_scans(store, _MERGE_DEFINITIONS, parameters, "activity_definitions")
    scans = [node for node in nodes if node["Node Type"] != "ModifyTable"]
    assert scans
    for scan in scans:
        assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), scan["Node Type"]
        assert "activity_id" in scan.get("Index Cond", ""), scan
