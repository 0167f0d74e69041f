"""EXPLAIN proves the common Connection statement queries are index scans (PostgreSQL only).

A store of several thousand varied statements is loaded and analysed once; each common filter
with each sort Learning Locker's UI uses must be planned without a sequential scan, and the
newest-first sort must be read in index order (no Sort node) from the filter's own index.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from lrs.query.cursor import with_tiebreaker
from lrs.query.parse import STATEMENTS, parse_filter, parse_sort
from lrs.statements.build import build_record
from lrs.statements.record import StatementQuery
from lrs.store.find import FindQuery, StatementScope
from lrs.store.postgres import PostgresStore, statement_documents_query, statement_listing_query
from lrs.tenancy.service import bootstrap

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 1, 1, tzinfo=UTC)
REGISTRATION = str(uuid.UUID(int=7))


def _statement(i: int) -> dict[str, Any]:
    actor: dict[str, Any] = (
        {"mbox": f"mailto:user{i % 400}@example.com"}
        if i % 3
        else {"account": {"homePage": "https://lms.example.com", "name": f"u{i % 400}"}}
    )
    return {
        "actor": actor,
        "verb": {"id": f"http://example.com/verbs/{i % 40}"},
        "object": {"id": f"http://example.com/activities/{i % 800}"},
        "context": {
            "registration": str(uuid.UUID(int=i % 300)),
            "contextActivities": {"parent": [{"id": f"http://example.com/courses/{i % 200}"}]},
        },
        "timestamp": (T0 + timedelta(minutes=i)).isoformat(),
    }


@pytest.fixture(scope="module")
def loaded(postgres_store: PostgresStore) -> Iterator[tuple[PostgresStore, str]]:
    postgres_store.reset()
    tenant = bootstrap(postgres_store, key="explain", secret="explain")
    assert tenant is not None
    for batch in range(40):
        records = [
            build_record(
                _statement(batch * 250 + i),
                client=tenant.issued.client,
                lrs_id=tenant.lrs.id,
                stored=T0 + timedelta(seconds=batch),
            )
            for i in range(250)
        ]
        postgres_store.insert_statements(tenant.lrs.id, records)
    with postgres_store.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE statements, statement_context_activities"))
    yield postgres_store, tenant.lrs.id
    postgres_store.reset()


FILTERS = {
    "verb": ({"statement.verb.id": "http://example.com/verbs/3"}, "statements_verb"),
    "actor mbox": ({"statement.actor.mbox": "mailto:user7@example.com"}, "statements_actor_mbox"),
    "actor account": (
        {
            "statement.actor.account.name": "u9",
            "statement.actor.account.homePage": "https://lms.example.com",
        },
        "statements_actor_account",
    ),
    "object": ({"statement.object.id": "http://example.com/activities/5"}, "statements_object"),
    "registration": ({"statement.context.registration": REGISTRATION}, "statements_registration"),
    "timestamp range": (
        {
            "timestamp": {
                "$gte": {"$dte": "2026-01-02T00:00:00Z"},
                "$lt": {"$dte": "2026-01-03T00:00:00Z"},
            }
        },
        "statements_timestamp",
    ),
    "contextActivities": (
        {"statement.context.contextActivities.parent.id": "http://example.com/courses/4"},
        "statement_context_activities_lookup",
    ),
}
SORTS = {"newest": {"timestamp": -1, "_id": 1}, "stored": {"stored": -1}, "id": {"_id": 1}}


def _plan(store: PostgresStore, lrs_id: str, raw_filter: Any, raw_sort: Any) -> dict[str, Any]:
    query = FindQuery(
        filter=parse_filter(raw_filter, STATEMENTS),
        sort=with_tiebreaker(parse_sort(raw_sort, STATEMENTS)),
        limit=101,
    )
    scope = StatementScope(organisation_id=_organisation(store, lrs_id), lrs_id=lrs_id)
    return _explain(store, statement_documents_query(scope, query))


def _explain(store: PostgresStore, select: sa.Select[Any]) -> dict[str, Any]:
    with store.engine.connect() as conn:
        raw = conn.execute(_Explain(select)).scalar()
    return (orjson.loads(raw) if isinstance(raw, str | bytes) else raw)[0]["Plan"]


class _Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON) <select>``, compiled with the select's own bind processing."""

    inherit_cache = False

    def __init__(self, select: sa.Select[Any]) -> None:
        self.select = select


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.select, **kw)


def _organisation(store: PostgresStore, lrs_id: str) -> str:
    lrs = store.get_lrs(lrs_id)
    assert lrs is not None
    return lrs.organisation_id


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.mark.parametrize("sort_name", list(SORTS))
@pytest.mark.parametrize("filter_name", list(FILTERS))
def test_common_filters_are_index_scans(
    loaded: tuple[PostgresStore, str], filter_name: str, sort_name: str
) -> None:
    store, lrs_id = loaded
    raw_filter, index = FILTERS[filter_name]
    nodes = list(_nodes(_plan(store, lrs_id, raw_filter, SORTS[sort_name])))
    kinds = [node["Node Type"] for node in nodes]
    assert "Seq Scan" not in kinds, kinds
    assert any("Index" in kind for kind in kinds), kinds
    if sort_name == "newest" and index is not None:
        used = {node.get("Index Name") for node in nodes}
        assert index in used, (used, kinds)
        assert "Sort" not in kinds, kinds


def test_every_hint_names_an_index_the_schema_has(postgres_store: PostgresStore) -> None:
    from lrs.query.hints import INDEX_PATTERNS

    with postgres_store.engine.connect() as conn:
        names = set(
            conn.execute(
                sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'statements'")
            ).scalars()
        )
    assert set(INDEX_PATTERNS.values()) <= names


@pytest.mark.parametrize("ascending", [False, True])
@pytest.mark.parametrize("position", [None, "deep"])
def test_xapi_listing_reads_the_stored_index_in_order(
    loaded: tuple[PostgresStore, str], ascending: bool, position: str | None
) -> None:
    """``GET /statements`` pages (first and ``more``) scan ``statements_stored`` in ``stored``
    order; only the page and the ties of its last batch are sorted, never the whole store."""
    store, lrs_id = loaded
    # A position inside the store: batch 17's instant, between two of its record ids.
    after = None
    if position:
        with store.engine.connect() as conn:
            record_id = conn.execute(
                sa.text(
                    "SELECT id FROM statements WHERE lrs_id = :lrs_id AND stored = :stored "
                    "ORDER BY id OFFSET 100 LIMIT 1"
                ),
                {"lrs_id": lrs_id, "stored": T0 + timedelta(seconds=17)},
            ).scalar_one()
        after = (T0 + timedelta(seconds=17), record_id)
    query = StatementQuery(lrs_id=lrs_id, ascending=ascending, limit=11, after=after)
    nodes = list(_nodes(_explain(store, statement_listing_query(query))))
    kinds = [node["Node Type"] for node in nodes]
    assert kinds[0] == "Limit" and kinds[2:] == ["Limit", "Index Scan"], kinds
    assert kinds[1] in ("Sort", "Incremental Sort"), kinds
    scans = [node for node in nodes if "Index" in node["Node Type"]]
    assert [node["Index Name"] for node in scans] == ["statements_stored"], scans
    if after is not None:  # the position bounds the scan instead of filtering every row
        assert "stored" in scans[0]["Index Cond"], scans[0]
    # ... and the page is the right one: the rows strictly beyond the position, in order.
    listed = store.find_statements(query)
    keys = [(row.stored, row.id) for row in listed]
    assert keys == sorted(keys, reverse=not ascending) and len(keys) == 11
    if after is not None:
        assert all((key > after) if ascending else (key < after) for key in keys)
