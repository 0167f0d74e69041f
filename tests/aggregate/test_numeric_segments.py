"""All-digit path segments in ``$match`` on both stores: a position in an array, as in MongoDB's
``$match`` (the first ``$match`` runs as SQL on PostgreSQL, a later one in Python)."""

from __future__ import annotations

from tests.aggregate.conftest import VERBS, rows, statement
from tests.http.conftest import Api

PARENT = "statement.context.contextActivities.parent"
COURSE = "http://example.com/courses/1"
OTHER = "http://example.com/courses/2"


def test_match_a_parent_by_position(loaded: Api) -> None:
    ids = rows(
        loaded,
        [
            {"$match": {f"{PARENT}.0.id": COURSE}},
            {"$project": {"_id": 0, "id": "$statement.id"}},
        ],
    )
    assert ids == [{"id": "00000000-0000-4000-8000-000000000006"}]
    assert rows(loaded, [{"$match": {f"{PARENT}.1.id": COURSE}}]) == []
    assert rows(loaded, [{"$match": {f"{PARENT}.01.id": COURSE}}]) == []
    assert rows(
        loaded,
        [
            {"$match": {f"{PARENT}.0.id": {"$exists": False}}},
            {"$group": {"_id": None, "n": {"$sum": 1}}},
        ],
    ) == [{"_id": None, "n": 5}]


def test_match_by_position_then_group(loaded: Api) -> None:
    context = {"contextActivities": {"parent": [{"id": OTHER}, {"id": COURSE}]}}
    loaded.post_statements(
        [
            statement(7, "dan", "completed", "a", "2026-05-01T00:00:00Z", context=context),
            statement(8, "eve", "completed", "b", "2026-05-02T00:00:00Z", context=context),
        ]
    )
    pipeline = [
        {"$match": {f"{PARENT}.1.id": COURSE}},
        {"$group": {"_id": "$statement.verb.id", "count": {"$sum": 1}}},
    ]
    assert rows(loaded, pipeline) == [{"_id": VERBS["completed"], "count": 2}]
    either = [
        {"$match": {"$or": [{f"{PARENT}.0.id": COURSE}, {f"{PARENT}.1.id": COURSE}]}},
        {"$group": {"_id": None, "n": {"$sum": 1}}},
    ]
    assert rows(loaded, either) == [{"_id": None, "n": 3}]


def test_match_by_position_after_a_group(loaded: Api) -> None:
    loaded.post_statements([statement(9, "ann", "experienced", "c", "2026-05-03T00:00:00Z")])
    pipeline = [
        {"$group": {"_id": "$statement.actor.mbox", "verbs": {"$push": "$statement.verb.id"}}},
        {"$match": {"verbs.2": {"$exists": True}}},
        {"$project": {"verbs": 0}},
    ]
    assert rows(loaded, pipeline) == [{"_id": "mailto:ann@example.com"}]
    missing_third = [
        {"$group": {"_id": "$statement.actor.mbox", "verbs": {"$push": "$statement.verb.id"}}},
        {"$match": {"verbs.2": None}},
        {"$sort": {"_id": 1}},
        {"$project": {"verbs": 0}},
    ]
    # a position beyond the end reaches nothing, so it is not null either (MongoDB's rule)
    assert rows(loaded, missing_third) == []
