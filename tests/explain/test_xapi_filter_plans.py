"""EXPLAIN ANALYZE proves every xAPI ``GET /statements`` filter reads one page's worth of rows, on
a store PostgreSQL never analysed (right after a bulk load) as on an analysed one.

A filtered page walks one term's ``statement_terms`` rows in ``stored`` order and stops when the
page is full: no sort, no bitmap of every match, no scan of the store. A common verb and a rare
one cost the same page of rows; a filter with two terms walks the rarer. Each page is also
compared with the answer computed in Python.
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
from lrs.statements.record import StatementFilter, StatementQuery
from lrs.store.postgres import LISTING_PLANNER_SETTINGS, PostgresStore, statement_listing_query
from lrs.store.postgres.terms import term_group
from lrs.tenancy.service import bootstrap

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 3, 1, tzinfo=UTC)
BATCHES, PER_BATCH, LIMIT = 30, 200, 10
COMMON_VERB = "http://example.com/verbs/common"
RARE_VERB = "http://example.com/verbs/rare"
COMMON_AGENT = "mailto:common@example.com"
REGISTRATION = str(uuid.UUID(int=5))
COURSE = "http://example.com/courses/1"
TABLES = ("statements", "statement_terms", "statement_term_ids")


def _statement(i: int) -> dict[str, Any]:
    """Every 97th statement has the rare verb, most have the common agent."""
    return {
        "actor": {"mbox": COMMON_AGENT if i % 10 else f"mailto:user{i % 50}@example.com"},
        "verb": {"id": RARE_VERB if i % 97 == 0 else COMMON_VERB},
        "object": {"id": f"http://example.com/activities/{i % 30}"},
        "context": {
            "registration": str(uuid.UUID(int=i % 20)),
            "contextActivities": {"parent": [{"id": f"http://example.com/courses/{i % 3}"}]},
        },
        "timestamp": (T0 + timedelta(minutes=i)).isoformat(),
    }


@pytest.fixture(scope="module")
def store(postgres_store: PostgresStore) -> Iterator[tuple[PostgresStore, str]]:
    """A loaded store whose tables were never analysed (autovacuum kept off them)."""
    postgres_store.reset()
    with postgres_store.engine.begin() as conn:
        for table in TABLES:
            conn.execute(sa.text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))
    tenant = bootstrap(postgres_store, key="xapi-plans", secret="xapi-plans")
    assert tenant is not None
    for batch in range(BATCHES):
        records = [
            build_record(
                _statement(batch * PER_BATCH + i),
                client=tenant.issued.client,
                lrs_id=tenant.lrs.id,
                stored=T0 + timedelta(seconds=batch),
            )
            for i in range(PER_BATCH)
        ]
        postgres_store.insert_statements(tenant.lrs.id, records)
    yield postgres_store, tenant.lrs.id
    with postgres_store.engine.begin() as conn:
        for table in TABLES:
            conn.execute(sa.text(f"ALTER TABLE {table} RESET (autovacuum_enabled)"))
    postgres_store.reset()


@pytest.fixture(params=["never analysed", "analysed"])
def state(request: pytest.FixtureRequest, store: tuple[PostgresStore, str]) -> str:
    """The statistics PostgreSQL has: none (checked), or fresh from ANALYZE."""
    postgres_store, _ = store
    with postgres_store.engine.begin() as conn:
        if request.param == "analysed":
            conn.execute(sa.text(f"ANALYZE {', '.join(TABLES)}"))
        else:
            # As after a bulk load into new tables: no statistics, and no size recorded (PostgreSQL
            # then guesses from the files). Forget what an earlier ANALYZE learnt.
            conn.execute(
                sa.text(
                    "UPDATE pg_class SET reltuples = -1, relpages = 0, relallvisible = 0 "
                    "WHERE oid = ANY(:tables) OR oid IN "
                    "(SELECT indexrelid FROM pg_index WHERE indrelid = ANY(:tables))"
                ),
                {"tables": [_oid(conn, table) for table in TABLES]},
            )
            conn.execute(
                sa.text("DELETE FROM pg_statistic WHERE starelid = ANY(:tables)"),
                {"tables": [_oid(conn, table) for table in TABLES]},
            )
            assert not conn.execute(
                sa.text("SELECT count(*) FROM pg_stats WHERE tablename = ANY(:t)"),
                {"t": list(TABLES)},
            ).scalar()
    return str(request.param)


def _oid(conn: sa.Connection, table: str) -> int:
    return int(conn.execute(sa.text("SELECT CAST(:t AS regclass)::oid"), {"t": table}).scalar())


FILTERS = {
    "common verb": StatementFilter(verb=COMMON_VERB),
    "rare verb": StatementFilter(verb=RARE_VERB),
    "agent": StatementFilter(agent=COMMON_AGENT),
    "agent, related": StatementFilter(agent=COMMON_AGENT, related_agents=True),
    "activity": StatementFilter(activity="http://example.com/activities/7"),
    "activity, related": StatementFilter(activity=COURSE, related_activities=True),
    "registration": StatementFilter(registration=REGISTRATION),
    "rare verb and common agent": StatementFilter(verb=RARE_VERB, agent=COMMON_AGENT),
}


def _explain_analyze(store: PostgresStore, select: sa.Select[Any]) -> dict[str, Any]:
    compiled = select.compile(dialect=store.engine.dialect)
    with store.engine.connect() as conn:
        conn.execute(LISTING_PLANNER_SETTINGS)  # as find_statements runs it
        raw = conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + str(compiled), compiled.params
        ).scalar()
    return (orjson.loads(raw) if isinstance(raw, str | bytes) else raw)[0]["Plan"]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _scanned(nodes: list[dict[str, Any]]) -> set[str]:
    """The tables read by a sequential scan (the small term dictionary may be, once analysed)."""
    return {node["Relation Name"] for node in nodes if node["Node Type"] == "Seq Scan"}


def _expected(store: PostgresStore, query: StatementQuery) -> list[str]:
    """The page computed in Python from every stored statement."""
    wanted = set(query.filter.terms())
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, stored, queriables, statement FROM statements WHERE lrs_id = :l"),
            {"l": query.lrs_id},
        ).all()
    from lrs.statements.record import record_terms
    from lrs.store.postgres.records import _queriables_from_json
    from lrs.xapi.queriables import compute_queriables

    matching = [
        (row.stored, row.id)
        for row in rows
        if wanted
        <= set(
            record_terms(
                compute_queriables(row.statement)
                if row.queriables is None
                else _queriables_from_json(row.queriables)
            )
        )
        and (query.since is None or row.stored > query.since)
        and (query.until is None or row.stored <= query.until)
        and (query.after is None or (row.stored, row.id) < query.after)
    ]
    return [record_id for _, record_id in sorted(matching, reverse=True)[: query.limit]]


@pytest.mark.parametrize("window", ["all", "since/until", "more"])
@pytest.mark.parametrize("name", list(FILTERS))
def test_a_filtered_page_reads_one_page_of_term_rows(
    store: tuple[PostgresStore, str], state: str, name: str, window: str
) -> None:
    postgres_store, lrs_id = store
    query = StatementQuery(lrs_id=lrs_id, filter=FILTERS[name], limit=LIMIT)
    if window == "since/until":
        query = StatementQuery(
            lrs_id=lrs_id,
            filter=FILTERS[name],
            limit=LIMIT,
            since=T0 + timedelta(seconds=3),
            until=T0 + timedelta(seconds=20),
        )
    elif window == "more":
        first = postgres_store.find_statements(query)
        if len(first) < LIMIT:
            pytest.skip("a single page")
        query = StatementQuery(
            lrs_id=lrs_id,
            filter=FILTERS[name],
            limit=LIMIT,
            after=(first[-1].stored, first[-1].id),
        )
    listed = [row.id for row in postgres_store.find_statements(query)]
    assert listed == _expected(postgres_store, query)
    assert listed, "the data has matches for every filter"

    with postgres_store.engine.connect() as conn:
        walk = postgres_store._walked_term(conn, query)
    plan = _explain_analyze(postgres_store, statement_listing_query(query, walk))
    nodes = list(_nodes(plan))
    kinds = [node["Node Type"] for node in nodes]
    # A related_* term is two stored terms walked apart: only their two pages are sorted.
    merged = len(term_group(walk)) > 1
    assert kinds[:3] == (["Limit", "Sort", "Append"] if merged else kinds[:3]), kinds
    assert not {"Incremental Sort", "Hash Join", "Bitmap Heap Scan"} & set(kinds), kinds
    assert kinds.count("Sort") == (1 if merged else 0), kinds
    assert not _scanned(nodes) & {"statements", "statement_terms"}, kinds
    walked = [n for n in nodes if n.get("Index Name") == "statement_terms_pkey"]
    assert walked, kinds
    # Each walk reads a page's rows and no more; a second term may reject some of them, but
    # the walk is then the rare verb's, whose rows are few.
    # (the walks; the other terms' checks are key lookups, their condition names the row)
    walks = [n for n in walked if "stored =" not in n.get("Index Cond", "")]
    assert len(walks) == len(term_group(walk)), walks
    single = len(query.filter.terms()) == 1
    for node in walks:
        read = node["Actual Rows"] * node["Actual Loops"]
        assert read <= (LIMIT if single else 3 * LIMIT), node
    assert walk == (f"verb:{RARE_VERB}" if "rare" in name else query.filter.terms()[0])


def test_unfiltered_pages_read_the_stored_index_unanalysed(
    store: tuple[PostgresStore, str], state: str
) -> None:
    postgres_store, lrs_id = store
    for query in (
        StatementQuery(lrs_id=lrs_id, limit=LIMIT),
        StatementQuery(
            lrs_id=lrs_id,
            limit=LIMIT,
            since=T0 + timedelta(seconds=3),
            until=T0 + timedelta(seconds=20),
        ),
        StatementQuery(lrs_id=lrs_id, limit=LIMIT, since=T0 - timedelta(days=1)),
    ):
        nodes = list(_nodes(_explain_analyze(postgres_store, statement_listing_query(query))))
        assert_reads_one_page_of_the_stored_index(nodes, LIMIT, PER_BATCH)


def assert_reads_one_page_of_the_stored_index(
    nodes: list[dict[str, Any]], limit: int, batch: int
) -> None:
    """The plan of an unfiltered page: ``statements_stored`` read in ``stored`` order up to the
    page and the rest of its last batch (``WITH TIES``), and only those rows sorted by id."""
    kinds = [node["Node Type"] for node in nodes]
    assert kinds[0] == "Limit" and kinds[2:] == ["Limit", "Index Scan"], kinds
    assert kinds[1] in ("Sort", "Incremental Sort"), kinds
    assert nodes[3]["Index Name"] == "statements_stored", nodes[3]
    assert nodes[2]["Actual Rows"] <= limit + batch, nodes[2]
