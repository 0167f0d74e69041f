"""Connection pages through many tied statements, both directions: each exactly once.

``page_both_ways`` is shared with ``tests/scale``, which runs it over 10,000 statements on
PostgreSQL (the in-memory store scans every statement per page, so it runs a smaller set here).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from lrs.connection.paging import Page, PageRequest, paginate
from lrs.query import evaluate
from lrs.query.cursor import cursor_for, with_tiebreaker
from lrs.query.parse import STATEMENTS, parse_filter, parse_sort
from lrs.statements.build import build_record
from lrs.statements.record import StatementRecord
from lrs.store.base import Store
from lrs.store.find import FindQuery, StatementScope
from lrs.tenancy.service import bootstrap

T0 = datetime(2026, 2, 1, tzinfo=UTC)
PAGE = 100


@pytest.mark.parametrize("raw_sort", [{"timestamp": -1, "_id": 1}, {"stored": -1}])
def test_statements_page_both_ways(store: Store, raw_sort: dict[str, int]) -> None:
    page_both_ways(store, raw_sort, total=2_000)


def page_both_ways(store: Store, raw_sort: dict[str, int], total: int) -> None:
    """Load ``total`` statements with many ties, then page forwards and backwards."""
    tenant = bootstrap(store, key="paging", secret="paging")
    assert tenant is not None
    for batch in range(total // 500):
        records = [
            build_record(
                {
                    "actor": {"mbox": f"mailto:u{i % 37}@example.com"},
                    "verb": {"id": "http://example.com/verbs/did"},
                    "object": {"id": f"http://example.com/a/{i}"},
                    # Many ties: 20 distinct timestamps, and 20 stored instants.
                    "timestamp": (T0 + timedelta(hours=i % 20)).isoformat(),
                },
                client=tenant.issued.client,
                lrs_id=tenant.lrs.id,
                stored=T0 + timedelta(seconds=batch),
            )
            for i in range(batch * 500, (batch + 1) * 500)
        ]
        store.insert_statements(tenant.lrs.id, records)
    scope = StatementScope(organisation_id=tenant.organisation.id, lrs_id=tenant.lrs.id)

    def fetch(query: FindQuery) -> list[dict[str, Any]]:
        return store.find_statement_documents(scope, query)

    sort = with_tiebreaker(parse_sort(raw_sort, STATEMENTS))
    forwards: list[str] = []
    after = None
    for _ in range(total // PAGE + 2):
        page = paginate(
            fetch, PageRequest(sort=sort, first=PAGE, after=after), default_size=10, max_size=1000
        )
        forwards += [edge.node["_id"] for edge in page.edges]
        if not page.has_next_page:
            break
        after = page.edges[-1].cursor
    assert len(forwards) == total and len(set(forwards)) == total

    backwards: list[str] = []
    before = None
    for _ in range(total // PAGE + 2):
        page = paginate(
            fetch, PageRequest(sort=sort, last=PAGE, before=before), default_size=10, max_size=1000
        )
        backwards = [edge.node["_id"] for edge in page.edges] + backwards
        if not page.has_previous_page:
            break
        before = page.edges[0].cursor
    assert backwards == forwards


@pytest.mark.parametrize(
    "raw_sort",
    [{"timestamp": -1, "_id": 1}, {"statement.verb.id": 1}, {"agents": 1}, {"statement": -1}],
)
def test_serialise_only_documents_serialise_like_decoded_ones(
    store: Store, raw_sort: dict[str, int]
) -> None:
    """A ``serialise_only`` find (a store may leave JSON fields as text) gives the same JSON, the
    same order and the same cursors as a normal find, whatever field the sort reads."""
    _, scope = _store_statements(
        store,
        "raw",
        [
            {
                "actor": {"mbox": f"mailto:u{i % 3}@example.com", "name": 'Zoë "q" \\ ü'},
                "verb": {"id": f"http://example.com/verbs/v{i % 4}"},
                "object": {"id": f"http://example.com/a/{i}", "objectType": "Activity"},
                "context": {"contextActivities": {"parent": {"id": "http://example.com/p"}}},
                "result": {"score": {"scaled": 0.5}, "extensions": {"http://e.com/x": [1, 2.5]}},
                "timestamp": (T0 + timedelta(minutes=i)).isoformat(),
            }
            for i in range(12)
        ],
    )
    sort = with_tiebreaker(parse_sort(raw_sort, STATEMENTS))

    def page(serialise_only: bool) -> list[Any]:
        found = store.find_statement_documents(
            scope, FindQuery(sort=sort, limit=7, serialise_only=serialise_only)
        )
        return [
            (cursor_for(sort, doc), orjson.loads(orjson.dumps(doc, option=orjson.OPT_UTC_Z)))
            for doc in found
        ]

    decoded, raw = page(False), page(True)
    assert len(decoded) == 7
    assert raw == decoded


def test_page_info_when_the_cursor_row_is_gone(store: Store) -> None:
    """A page usually learns that a row precedes it from the cursor's own row; once that row is
    deleted, the other rows decide, in both directions."""
    records, scope = _store_statements(
        store,
        "gone",
        [
            {
                "actor": {"mbox": "mailto:gone@example.com"},
                "verb": {"id": "http://example.com/verbs/did"},
                "object": {"id": f"http://example.com/a/{i}"},
                "timestamp": (T0 + timedelta(minutes=i)).isoformat(),
            }
            for i in range(5)
        ],
    )
    sort = with_tiebreaker(parse_sort({"timestamp": 1}, STATEMENTS))

    def paginated(**kwargs: Any) -> Page:
        return paginate(
            lambda query: store.find_statement_documents(scope, query),
            PageRequest(sort=sort, **kwargs),
            default_size=2,
            max_size=10,
        )

    def page(**kwargs: Any) -> tuple[list[str], bool, bool]:
        found = paginated(**kwargs)
        ids = [edge.node["_id"] for edge in found.edges]
        return ids, found.has_previous_page, found.has_next_page

    a, b, c, d, e = (record.id for record in records)
    after_b = paginated(first=2).edges[-1].cursor
    before_d = paginated(last=2).edges[0].cursor
    assert page(first=2, after=after_b) == ([c, d], True, True)
    assert page(last=2, before=before_d) == ([b, c], True, True)

    store.delete_statement_documents(scope, [b, d])
    assert page(first=2, after=after_b) == ([c, e], True, False)  # a still precedes
    assert page(last=2, before=before_d) == ([a, c], False, True)  # e still follows

    store.delete_statement_documents(scope, [a, e])
    assert page(first=2, after=after_b) == ([c], False, False)
    assert page(last=2, before=before_d) == ([c], False, False)


def _store_statements(
    store: Store, key: str, bodies: list[dict[str, Any]]
) -> tuple[list[StatementRecord], StatementScope]:
    """A fresh tenant holding ``bodies`` (all stored at T0): the records and the read scope."""
    tenant = bootstrap(store, key=key, secret=key)
    assert tenant is not None
    records = [
        build_record(body, client=tenant.issued.client, lrs_id=tenant.lrs.id, stored=T0)
        for body in bodies
    ]
    store.insert_statements(tenant.lrs.id, records)
    return records, StatementScope(organisation_id=tenant.organisation.id, lrs_id=tenant.lrs.id)


PARENT = "http://example.com/course"


def _context_statement(i: int) -> dict[str, Any]:
    """Every third statement has the course as parent (one of them twice), every fourth as
    grouping; some have no context at all."""
    context: dict[str, Any] = {"contextActivities": {}}
    if i % 3 == 0:
        parents = [{"id": PARENT}, {"id": f"http://example.com/other/{i}"}]
        context["contextActivities"]["parent"] = parents + ([{"id": PARENT}] if i == 3 else [])
    if i % 4 == 0:
        context["contextActivities"]["grouping"] = {"id": PARENT}  # a single object is allowed
    body: dict[str, Any] = {
        "actor": {"mbox": f"mailto:u{i % 2}@example.com"},
        "verb": {"id": "http://example.com/verbs/did"},
        "object": {"id": f"http://example.com/a/{i}"},
        "timestamp": (T0 + timedelta(minutes=i % 7)).isoformat(),  # ties on timestamp
    }
    if i % 5:
        body["context"] = context
    return body


@pytest.mark.parametrize(
    "raw_sort", [{"timestamp": -1, "_id": 1}, {"timestamp": 1}, {"_id": 1}, {"stored": -1}]
)
def test_context_activity_filters_page_exactly(store: Store, raw_sort: dict[str, int]) -> None:
    """Context activity filters (PostgreSQL answers them from its side table when the sort
    allows) find exactly the matching statements, once each, in order, both ways; a deleted
    statement is gone from them."""
    records, scope = _store_statements(store, "ctx", [_context_statement(i) for i in range(60)])
    sort = with_tiebreaker(parse_sort(raw_sort, STATEMENTS))
    by_id = {record.id: record for record in records}

    def matching(category: str, also_actor: bool) -> list[str]:
        found = []
        for record in records:
            members = record.statement.get("context", {}).get("contextActivities", {})
            ids = [member["id"] for member in members.get(category, [])]
            if PARENT in ids and (
                not also_actor or record.statement["actor"]["mbox"].endswith("u0@example.com")
            ):
                found.append(record.id)
        return found

    def walk(raw_filter: dict[str, Any], backwards: bool) -> list[str]:
        condition = parse_filter(raw_filter, STATEMENTS)
        seen: list[str] = []
        cursor = None
        for _ in range(20):
            request = (
                PageRequest(filter=condition, sort=sort, last=4, before=cursor)
                if backwards
                else PageRequest(filter=condition, sort=sort, first=4, after=cursor)
            )
            page = paginate(
                lambda query: store.find_statement_documents(scope, query),
                request,
                default_size=4,
                max_size=10,
            )
            ids = [edge.node["_id"] for edge in page.edges]
            seen = ids + seen if backwards else seen + ids
            more = page.has_previous_page if backwards else page.has_next_page
            if not more:
                break
            cursor = page.edges[0].cursor if backwards else page.edges[-1].cursor
        return seen

    for category in ("parent", "grouping"):
        for also_actor in (False, True):
            raw_filter: dict[str, Any] = {
                f"statement.context.contextActivities.{category}.id": PARENT
            }
            if also_actor:
                raw_filter["statement.actor.mbox"] = "mailto:u0@example.com"
            forwards = walk(raw_filter, backwards=False)
            expected = matching(category, also_actor)
            assert sorted(forwards) == sorted(expected), (category, also_actor)
            assert len(forwards) == len(set(forwards))
            keys = [evaluate.sort_key(sort, _view(by_id[i])) for i in forwards]
            assert keys == sorted(keys)
            assert walk(raw_filter, backwards=True) == forwards

    gone = matching("parent", False)[:2]
    store.delete_statement_documents(scope, gone)
    left = walk({"statement.context.contextActivities.parent.id": PARENT}, backwards=False)
    assert sorted(left) == sorted(set(matching("parent", False)) - set(gone))


def _view(record: StatementRecord) -> dict[str, Any]:
    """The sort-relevant fields of a record's statement document."""
    return {"_id": record.id, "timestamp": record.timestamp, "stored": record.stored}
