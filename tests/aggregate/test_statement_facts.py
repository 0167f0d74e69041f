"""PostgreSQL reads ``statement_facts`` (migration 0018) for pipelines that group and filter on
report fields only, and ``statements`` otherwise; both give the same answers, which the other
tests check against the memory store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from lrs.aggregate.documents import leading_match
from lrs.aggregate.evaluate import Bounds
from lrs.aggregate.parse import parse_pipeline
from lrs.aggregate.sql import compile_prefix
from lrs.store.find import StatementScope
from lrs.store.postgres import PostgresStore
from lrs.store.postgres import aggregation as pg_aggregation
from lrs.store.postgres.aggregation_columns import statement_columns
from lrs.store.schema import statements
from tests.aggregate.test_regroup import PEOPLE_PER_VERB
from tests.http.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("store", ["postgres"], indirect=True)]

VERB = "http://adlnet.gov/expapi/verbs/"


def _body(n: int, actor: dict[str, Any], obj: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "actor": actor,
        "verb": {"id": VERB + ("completed" if n % 3 else "attempted")},
        "object": obj,
        "timestamp": f"2026-0{1 + n % 4}-{10 + n:02d}T{n % 24:02d}:15:00Z",
        **extra,
    }


ACTORS = [
    {"mbox": "mailto:ann@example.com", "name": "Ann"},
    {"account": {"homePage": "https://lms.example.com", "name": "bob"}},
    {"openid": "https://openid.example.com/cat"},
    {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
    {"objectType": "Group", "member": [{"mbox": "mailto:dan@example.com"}]},
]
OBJECTS = [
    {"id": "http://example.com/activities/a"},
    {"objectType": "Agent", "mbox": "mailto:eve@example.com"},
    {
        "objectType": "SubStatement",
        "actor": ACTORS[0],
        "verb": {"id": VERB + "x"},
        "object": {"id": "http://example.com/activities/b"},
    },
    {"id": "http://example.com/activities/b", "objectType": "Activity"},
]
RESULTS = [
    {},
    {"result": {"score": {"scaled": 0.5, "raw": 5}, "success": True, "completion": False}},
    {"result": {"score": {"scaled": 1, "raw": 7.5}, "success": False}},
    {"result": {"completion": True}, "context": {"platform": "Moodle"}},
]
BODIES = [
    _body(n, ACTORS[n % len(ACTORS)], OBJECTS[n % len(OBJECTS)], **RESULTS[n % len(RESULTS)])
    for n in range(20)
]

#: Pipelines that read only what ``statement_facts`` holds (their $first/$last may read more).
NARROW = [
    [{"$group": {"_id": "$person._id", "n": {"$sum": 1}, "model": {"$first": "$statement.actor"}}}],
    [{"$group": {"_id": "$statement.verb.id", "last": {"$last": "$statement.object"}}}],
    [
        {"$match": {"statement.result.score.scaled": {"$exists": True}}},
        {
            "$group": {
                "_id": "$statement.object.id",
                "avg": {"$avg": "$statement.result.score.scaled"},
            }
        },
    ],
    [
        {"$match": {"timestamp": {"$gte": {"$dte": "2026-02-01T00:00:00Z"}}}},
        {
            "$project": {
                "day": {
                    "$dateToString": {
                        "format": "%Y-%m-%d",
                        "date": "$timestamp",
                        "timezone": "Europe/London",
                    }
                },
                "type": "$statement.object.objectType",
            }
        },
        {
            "$group": {
                "_id": {"day": "$day", "type": "$type"},
                "n": {"$sum": 1},
                "day": {"$first": "$day"},
            }
        },
    ],
    [
        {
            "$group": {
                "_id": {"$dayOfWeek": {"date": "$timestamp", "timezone": "+05:30"}},
                "raw": {"$sum": "$statement.result.score.raw"},
                "max": {"$max": "$statement.result.score.raw"},
                "success": {"$addToSet": "$statement.result.success"},
                "completion": {"$push": "$statement.result.completion"},
                "platforms": {"$addToSet": "$statement.context.platform"},
                "first": {"$first": "$stored"},
            }
        },
    ],
    [
        {
            "$match": {
                "person._id": {"$in": ["mailto:ann@example.com", "https://lms.example.com|bob"]}
            }
        },
        {"$group": {"_id": None, "n": {"$sum": 1}, "ids": {"$addToSet": "$_id"}}},
    ],
]
NARROW.append(PEOPLE_PER_VERB[:2])
NARROW.append([{"$match": {"voided": False}}, {"$group": {"_id": "$voided", "n": {"$sum": 1}}}])
#: Pipelines that read something else: they group over ``statements``.
WIDE = [
    [{"$group": {"_id": "$statement.actor.name", "n": {"$sum": 1}}}],
    [{"$project": {"d": "$person.display"}}, {"$group": {"_id": "$d"}}],
]


@pytest.fixture
def facts_api(api: Api) -> Iterator[Api]:
    api.post_statements(BODIES[:10])
    api.post_statements(BODIES[10:])
    yield api


def _scope(app: Api, client_id: str | None = None) -> StatementScope:
    return StatementScope(app.tenant.lrs.organisation_id, app.tenant.lrs.id, client_id)


def _grouping_sql(scope: StatementScope, raw: list[Any]) -> str:
    condition, rest = leading_match(parse_pipeline(raw))
    source = sa.select(statements.c.id)
    compiled = compile_prefix(rest.stages, source, statement_columns())
    query = pg_aggregation._narrowest_groups(scope, condition, rest, compiled)
    return str(query.compile(dialect=postgresql.dialect()))


def _run(app: Api, raw: list[Any], scope: StatementScope | None = None) -> list[dict[str, Any]]:
    return list(
        app.store.aggregate_statements(  # type: ignore[attr-defined]
            scope or _scope(app), parse_pipeline(raw), bounds=Bounds(), tick=lambda: None
        )
    )


def _over_statements(app: Api, raw: list[Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patched:
        patched.setattr(pg_aggregation, "fact_filter", lambda *_: None)
        return _run(app, raw)


@pytest.mark.parametrize("raw", NARROW, ids=range(len(NARROW)))
def test_report_fields_are_grouped_over_statement_facts(
    facts_api: Api, raw: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "FROM statement_facts" in _grouping_sql(_scope(facts_api), raw)
    answer = _run(facts_api, raw)
    assert answer
    assert answer == _over_statements(facts_api, raw, monkeypatch)


@pytest.mark.parametrize("raw", WIDE, ids=range(len(WIDE)))
def test_other_fields_are_grouped_over_statements(facts_api: Api, raw: list[Any]) -> None:
    sql = _grouping_sql(_scope(facts_api), raw)
    assert "statement_facts" not in sql and "FROM statements" in sql
    assert _run(facts_api, raw)


def test_a_clients_own_statements_are_grouped_over_statements(facts_api: Api) -> None:
    scope = _scope(facts_api, facts_api.tenant.issued.client.id)
    assert "statement_facts" not in _grouping_sql(scope, NARROW[0])
    assert sum(row["n"] for row in _run(facts_api, NARROW[0], scope)) == len(BODIES)


def test_facts_follow_their_statements(facts_api: Api) -> None:
    store = facts_api.store
    assert isinstance(store, PostgresStore)
    with store.engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM statement_facts")).scalar()
        people = conn.execute(
            sa.text("SELECT DISTINCT person FROM statement_facts ORDER BY 1")
        ).scalars()
        assert count == len(BODIES)
        assert list(people) == [
            "ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
            "https://lms.example.com|bob",
            "https://openid.example.com/cat",
            "mailto:ann@example.com",
            None,
        ]
    ids = [doc["_id"] for doc in _run(facts_api, [{"$project": {"_id": 1}}])][:3]
    assert store.delete_statement_documents(_scope(facts_api), ids) == 3
    with store.engine.connect() as conn:
        remaining = conn.execute(sa.text("SELECT id FROM statement_facts")).scalars().all()
    assert len(remaining) == len(BODIES) - 3 and not set(ids) & set(remaining)
    store.reset()
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM statement_facts")).scalar() == 0


def test_voiding_reaches_statement_facts(facts_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    target = facts_api.post_statements([_body(9, ACTORS[0], OBJECTS[0])])[0]
    voiding = {
        "actor": ACTORS[0],
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": target},
    }
    facts_api.post_statements([voiding])
    pipeline = [{"$group": {"_id": "$voided", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
    assert "FROM statement_facts" in _grouping_sql(_scope(facts_api), pipeline)
    answer = _run(facts_api, pipeline)
    assert answer == [{"_id": False, "n": len(BODIES) + 1}, {"_id": True, "n": 1}]
    assert answer == _over_statements(facts_api, pipeline, monkeypatch)
