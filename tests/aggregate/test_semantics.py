"""MongoDB's rules, on both stores, through the route: accumulators, null versus missing,
type order, $unwind, group keys, expressions and dates."""

from __future__ import annotations

from typing import Any

import pytest

from tests.aggregate.conftest import aggregate, rows
from tests.http.conftest import Api

ONLY_SCORED = {"$match": {"statement.result": {"$exists": True}}}


def by_actor(accumulators: dict[str, Any], *before: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        *before,
        {"$group": {"_id": "$statement.actor.name", **accumulators}},
        {"$sort": {"_id": 1}},
    ]


def test_sum_ignores_non_numbers_and_avg_of_nothing_is_null(loaded: Api) -> None:
    answer = rows(
        loaded,
        by_actor(
            {
                "raw": {"$sum": "$statement.result.score.raw"},
                "avg": {"$avg": "$statement.result.score.scaled"},
                "n": {"$sum": 1},
                "verbs": {"$sum": "$statement.verb.id"},
            }
        ),
    )
    assert answer == [
        {"_id": "Ann", "raw": 15, "avg": 0.75, "n": 2, "verbs": 0},
        {"_id": "Bob", "raw": 2.5, "avg": 0.25, "n": 2, "verbs": 0},
        {"_id": "Cat", "raw": 7, "avg": None, "n": 2, "verbs": 0},
    ]


def test_min_max_first_last_push_add_to_set(loaded: Api) -> None:
    answer = rows(
        loaded,
        by_actor(
            {
                "min": {"$min": "$statement.result.score.scaled"},
                "max": {"$max": "$statement.result.score.raw"},
                "first": {"$first": "$statement.result.score.scaled"},
                "last": {"$last": "$statement.result.score.scaled"},
                "pushed": {"$push": "$statement.result.score.raw"},
                "activities": {"$addToSet": "$statement.object.id"},
            },
            {"$sort": {"statement.id": 1}},
        ),
    )
    assert answer[0] == {
        "_id": "Ann",
        "min": 0.5,
        "max": 10,
        "first": 0.5,
        "last": 1.0,
        "pushed": [5, 10],
        "activities": ["http://example.com/activities/a"],
    }
    # bob's second statement has no result: missing is not pushed, and $last is null
    assert answer[1]["pushed"] == [2.5]
    assert answer[1]["last"] is None
    assert answer[2]["min"] is None  # null and missing are ignored; none left
    assert sorted(answer[2]["activities"]) == [
        "http://example.com/activities/a",
        "http://example.com/activities/b",
    ]


def test_missing_and_null_group_together(loaded: Api) -> None:
    answer = rows(
        loaded,
        [
            {"$group": {"_id": "$statement.result.score.scaled", "n": {"$sum": 1}}},
            {"$sort": {"_id": 1}},
        ],
    )
    assert answer == [
        {"_id": None, "n": 3},
        {"_id": 0.25, "n": 1},
        {"_id": 0.5, "n": 1},
        {"_id": 1.0, "n": 1},
    ]


def test_group_keys_compare_by_value(loaded: Api) -> None:
    answer = rows(
        loaded,
        [
            {
                "$project": {
                    "key": {
                        "$cond": [
                            {"$eq": ["$statement.actor.name", "Ann"]},
                            {"a": 1, "b": 2},
                            {"b": 2, "a": 1.0},
                        ]
                    }
                }
            },
            {"$group": {"_id": "$key", "n": {"$sum": 1}}},
        ],
    )
    assert [row["n"] for row in answer] == [6]


def test_numbers_compare_by_value_across_int_and_float(loaded: Api) -> None:
    answer = rows(
        loaded,
        [
            {"$match": {"statement.result.score.raw": {"$exists": True}}},
            {"$project": {"_id": 0, "raw": "$statement.result.score.raw"}},
            {"$sort": {"raw": -1}},
        ],
    )
    assert [row["raw"] for row in answer] == [10, 7, 5, 2.5]


def test_sort_uses_the_type_order(loaded: Api) -> None:
    """Six documents get a string, a number, null, a boolean, an object and a date: sorted,
    they come null < number < string < object < boolean < date."""
    mixed = [
        {"$addFields": {"n": {"$toString": {"$strLenCP": "$statement.actor.name"}}}},
        {
            "$project": {
                "v": {
                    "$cond": [
                        {"$eq": ["$statement.id", "00000000-0000-4000-8000-000000000001"]},
                        "text",
                        {
                            "$cond": [
                                {"$eq": ["$statement.id", "00000000-0000-4000-8000-000000000002"]},
                                3,
                                {
                                    "$cond": [
                                        {
                                            "$eq": [
                                                "$statement.id",
                                                "00000000-0000-4000-8000-000000000003",
                                            ]
                                        },
                                        None,
                                        {
                                            "$cond": [
                                                {
                                                    "$eq": [
                                                        "$statement.id",
                                                        "00000000-0000-4000-8000-000000000004",
                                                    ]
                                                },
                                                True,
                                                {
                                                    "$cond": [
                                                        {
                                                            "$eq": [
                                                                "$statement.id",
                                                                "00000000-0000-4000-8000-000000000005",
                                                            ]
                                                        },
                                                        {"$literal": {"k": 1}},
                                                        "$timestamp",
                                                    ]
                                                },
                                            ]
                                        },
                                    ]
                                },
                            ]
                        },
                    ]
                },
            }
        },
        {"$sort": {"v": 1}},
        {"$project": {"_id": 0, "t": {"$type": "$v"}}},
    ]
    assert [row["t"] for row in rows(loaded, mixed)] == [
        "null",
        "int",
        "string",
        "object",
        "bool",
        "date",
    ]


def test_unwind_drops_missing_null_and_empty_unless_asked(loaded: Api) -> None:
    base = [
        {
            "$project": {
                "_id": 0,
                "id": "$statement.id",
                "parents": "$statement.context.contextActivities.parent",
            }
        },
        {"$sort": {"id": 1}},
    ]
    unwound = rows(loaded, [*base, {"$unwind": "$parents"}])
    assert unwound == [
        {
            "id": "00000000-0000-4000-8000-000000000006",
            "parents": {"id": "http://example.com/courses/1"},
        }
    ]
    kept = rows(
        loaded,
        [
            *base,
            {
                "$unwind": {
                    "path": "$parents",
                    "preserveNullAndEmptyArrays": True,
                    "includeArrayIndex": "at",
                }
            },
        ],
    )
    assert len(kept) == 6
    assert kept[0] == {"id": "00000000-0000-4000-8000-000000000001", "at": None}
    assert kept[5]["at"] == 0


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"$add": [1, 2.5]}, 3.5),
        ({"$subtract": [10, 4]}, 6),
        ({"$multiply": [3, 4]}, 12),
        ({"$divide": [9, 2]}, 4.5),
        ({"$mod": [-7, 3]}, -1),
        ({"$abs": -4}, 4),
        ({"$round": [2.345, 2]}, 2.35),
        ({"$round": [2.5]}, 2.0),
        ({"$concat": ["a", "-", "b"]}, "a-b"),
        ({"$concat": ["a", "$nothing"]}, None),
        ({"$toUpper": "abc"}, "ABC"),
        ({"$toLower": "$nothing"}, ""),
        ({"$substrCP": ["héllo", 1, 3]}, "éll"),
        ({"$strLenCP": "héllo"}, 5),
        ({"$size": [[1, 2, 3]]}, 3),
        ({"$arrayElemAt": [[1, 2, 3], -1]}, 3),
        ({"$in": [2, [1, 2.0]]}, True),
        ({"$type": "$nothing"}, "missing"),
        ({"$type": 2.5}, "double"),
        ({"$toString": 2.0}, "2"),
        ({"$toString": True}, "true"),
        ({"$cmp": ["b", "a"]}, 1),
        ({"$eq": ["$nothing", None]}, False),
        ({"$lt": ["$nothing", None]}, True),
        ({"$gt": ["a", 5]}, True),
        ({"$and": [1, "x", []]}, True),
        ({"$or": [0, None, False]}, False),
        ({"$not": [0]}, True),
        ({"$ifNull": ["$nothing", "fallback"]}, "fallback"),
        ({"$cond": {"if": "", "then": "yes", "else": "no"}}, "yes"),
        ({"$literal": "$notapath"}, "$notapath"),
    ],
)
def test_expressions(loaded: Api, expression: Any, expected: Any) -> None:
    answer = rows(loaded, [{"$limit": 1}, {"$project": {"_id": 0, "v": expression}}])
    assert answer == [{"v": expected}]
    assert type(answer[0]["v"]) is type(expected)


@pytest.mark.parametrize(
    ("operator", "timezone", "expected"),
    [
        ("$year", None, 2026),
        ("$month", None, 3),
        ("$dayOfMonth", None, 1),
        ("$dayOfMonth", "Australia/Sydney", 2),
        ("$dayOfMonth", "+11:00", 2),
        ("$dayOfMonth", "-0500", 1),
        ("$hour", None, 23),
        ("$hour", "Europe/London", 23),
        ("$hour", "+05:30", 5),
        ("$minute", "+05:45", 15),
        ("$dayOfWeek", None, 1),
        ("$dayOfYear", None, 60),
        ("$week", None, 9),
        ("$isoWeek", None, 9),
    ],
)
def test_date_parts_in_time_zones(
    loaded: Api, operator: str, timezone: str | None, expected: int
) -> None:
    argument: Any = (
        "$timestamp" if timezone is None else {"date": "$timestamp", "timezone": timezone}
    )
    answer = rows(
        loaded,
        [
            {"$match": {"statement.id": "00000000-0000-4000-8000-000000000002"}},
            {"$project": {"_id": 0, "v": {operator: argument}}},
        ],
    )
    assert answer == [{"v": expected}]


def test_date_to_string_formats(loaded: Api) -> None:
    answer = rows(
        loaded,
        [
            {"$match": {"statement.id": "00000000-0000-4000-8000-000000000005"}},
            {
                "$project": {
                    "_id": 0,
                    "utc": {
                        "$dateToString": {"format": "%Y-%m-%d %H:%M:%S.%L", "date": "$timestamp"}
                    },
                    "local": {
                        "$dateToString": {
                            "format": "%d/%m/%Y %H:%M %z %Z %j %w %u %U %V %G %%",
                            "date": "$timestamp",
                            "timezone": "Europe/Paris",
                        }
                    },
                    "default": {"$dateToString": {"date": "$timestamp"}},
                    "none": {"$dateToString": {"date": "$nothing", "onNull": "n/a"}},
                }
            },
        ],
    )
    assert answer == [
        {
            "utc": "2026-04-15 06:15:00.000",
            "local": "15/04/2026 08:15 +0200 +120 105 4 3 15 16 2026 %",
            "default": "2026-04-15T06:15:00.000Z",
            "none": "n/a",
        }
    ]


def test_unknown_time_zone_is_a_400(loaded: Api) -> None:
    response = aggregate(
        loaded, [{"$project": {"v": {"$hour": {"date": "$timestamp", "timezone": "Mars/Base"}}}}]
    )
    assert response.status_code == 400
    assert "Mars/Base" in response.json["message"]


def test_match_rewrites_statement_timestamp_and_dte(loaded: Api) -> None:
    for condition in (
        {"statement.timestamp": {"$gte": "2026-04-01T00:00:00Z"}},
        {"timestamp": {"$gte": {"$dte": "2026-04-01T00:00:00Z"}}},
    ):
        answer = rows(loaded, [{"$match": condition}, {"$count": "n"}])
        assert answer == [{"n": 2}]


def test_sort_by_count_count_sample_skip_limit(loaded: Api) -> None:
    assert rows(loaded, [{"$sortByCount": "$statement.object.id"}]) == [
        {"_id": "http://example.com/activities/a", "count": 4},
        {"_id": "http://example.com/activities/b", "count": 2},
    ]
    assert rows(loaded, [{"$match": {"voided": True}}, {"$count": "n"}]) == []
    sampled = rows(
        loaded, [{"$sample": {"size": 3}}, {"$project": {"_id": 0, "id": "$statement.id"}}]
    )
    assert len({row["id"] for row in sampled}) == 3
    assert rows(
        loaded,
        [
            {"$sort": {"statement.id": -1}},
            {"$skip": 4},
            {"$limit": 1},
            {"$project": {"_id": 0, "id": "$statement.id"}},
        ],
    ) == [{"id": "00000000-0000-4000-8000-000000000002"}]


def test_project_inclusion_exclusion_and_add_fields(loaded: Api) -> None:
    first = [{"$match": {"statement.id": "00000000-0000-4000-8000-000000000006"}}]
    included = rows(
        loaded,
        [
            *first,
            {
                "$project": {
                    "_id": 0,
                    "statement.verb.id": 1,
                    "parents": "$statement.context.contextActivities.parent.id",
                }
            },
        ],
    )
    assert included == [
        {
            "statement": {"verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"}},
            "parents": ["http://example.com/courses/1"],
        }
    ]
    excluded = rows(loaded, [*first, {"$project": {"statement": 0, "_id": 0}}])
    assert "statement" not in excluded[0] and "_id" not in excluded[0]
    added = rows(
        loaded,
        [
            *first,
            {"$addFields": {"statement.verb.short": {"$toUpper": "attempted"}}},
            {"$project": {"_id": 0, "statement.verb": 1}},
        ],
    )
    assert added == [
        {
            "statement": {
                "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted", "short": "ATTEMPTED"}
            }
        }
    ]
    mixed = aggregate(loaded, [{"$project": {"a": 1, "b": 0}}])
    assert mixed.status_code == 400
