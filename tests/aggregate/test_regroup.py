"""A ``$group`` over the groups of the one before it (Learning Locker's "unique" reports), on
both stores; on PostgreSQL such a run of ``$group`` stages is one SQL statement when the upper
ones read the lower key, the same end of a lower ``$first``/``$last``, or accumulated values."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from lrs.aggregate.documents import leading_match
from lrs.aggregate.parse import parse_pipeline
from lrs.aggregate.sql import compile_prefix
from lrs.store.postgres.aggregation_columns import statement_columns
from tests.aggregate.conftest import rows
from tests.http.conftest import Api

PEOPLE_PER_VERB = [
    {
        "$group": {
            "_id": {"verb": "$statement.verb.id", "who": "$person._id"},
            "verb": {"$first": "$statement.verb.id"},
            "first_name": {"$first": "$statement.actor.name"},
            "last_name": {"$last": "$statement.actor.name"},
            "n": {"$sum": 1},
        }
    },
    {
        "$group": {
            "_id": "$_id.verb",
            "people": {"$sum": 1},
            "statements": {"$sum": "$n"},
            "most": {"$max": "$n"},
            "verb": {"$first": "$verb"},
            "who": {"$first": "$_id.who"},
            "first": {"$first": "$first_name"},
            "last": {"$last": "$last_name"},
        }
    },
    {"$sort": {"_id": 1}},
]
DAYS_PER_MONTH = [
    {
        "$group": {
            "_id": {"month": {"$month": "$timestamp"}, "day": {"$dayOfMonth": "$timestamp"}},
            "n": {"$sum": 1},
        }
    },
    {"$group": {"_id": "$_id.month", "avg": {"$avg": "$n"}, "days": {"$sum": 1}}},
    {"$group": {"_id": None, "months": {"$sum": 1}, "busiest": {"$max": "$avg"}}},
]
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"


def _consumed(raw: list[Any]) -> int:
    _, rest = leading_match(parse_pipeline(raw))
    return compile_prefix(rest.stages, sa.select(sa.literal(1)), statement_columns()).consumed


def test_unique_people_per_verb(loaded: Api) -> None:
    answer = rows(loaded, PEOPLE_PER_VERB)
    assert [row["_id"].rsplit("/", 1)[1] for row in answer] == [
        "attempted",
        "completed",
        "experienced",
    ]
    attempted, completed, experienced = answer
    assert completed == {
        "_id": COMPLETED,
        "people": 3,
        "statements": 3,
        "most": 1,
        "verb": COMPLETED,
        "who": "mailto:ann@example.com",
        "first": "Ann",
        "last": "Cat",
    }
    assert (attempted["people"], attempted["first"], attempted["last"]) == (2, "Ann", "Cat")
    assert (experienced["people"], experienced["who"]) == (1, "mailto:bob@example.com")
    assert _consumed(PEOPLE_PER_VERB) == 2


def test_groups_of_groups_of_groups(loaded: Api) -> None:
    assert rows(loaded, [*DAYS_PER_MONTH[:2], {"$sort": {"_id": 1}}]) == [
        {"_id": 3, "avg": 4 / 3, "days": 3},
        {"_id": 4, "avg": 1.0, "days": 2},
    ]
    assert rows(loaded, DAYS_PER_MONTH) == [{"_id": None, "months": 2, "busiest": 4 / 3}]
    assert _consumed(DAYS_PER_MONTH) == 3


@pytest.mark.parametrize(
    ("upper", "expected"),
    [
        # grouped by a lower $first
        ({"_id": "$first_name", "n": {"$sum": 1}}, [("Ann", 2), ("Bob", 2), ("Cat", 2)]),
        # $push follows the lower groups' order
        (
            {"_id": "$_id.verb", "x": {"$push": "$first_name"}},
            [
                ("attempted", ["Ann", "Cat"]),
                ("completed", ["Ann", "Bob", "Cat"]),
                ("experienced", ["Bob"]),
            ],
        ),
        # $first of an accumulated value
        (
            {"_id": "$_id.verb", "x": {"$first": "$n"}},
            [("attempted", 1), ("completed", 1), ("experienced", 1)],
        ),
        # the other end of a lower $first
        (
            {"_id": "$_id.verb", "x": {"$last": "$first_name"}},
            [("attempted", "Cat"), ("completed", "Cat"), ("experienced", "Bob")],
        ),
    ],
)
def test_what_reads_the_lower_groups_order_groups_in_python(
    loaded: Api, upper: dict[str, Any], expected: list[tuple[str, Any]]
) -> None:
    pipeline = [PEOPLE_PER_VERB[0], {"$group": upper}, {"$sort": {"_id": 1}}]
    assert _consumed(pipeline) == 1
    answer = rows(loaded, pipeline)
    got = [(row["_id"].rsplit("/", 1)[-1], row.get("x", row.get("n"))) for row in answer]
    assert got == expected
