"""Projection shapes: inclusion, exclusion, through arrays, renames."""

from __future__ import annotations

from typing import Any

import pytest

from lrs.query.parse import parse_projection
from lrs.query.projection import project

DOC = {
    "_id": "x1",
    "statement": {
        "actor": {"account": {"name": "123", "homePage": "http://h"}},
        "verb": {"id": "http://v", "display": {"en": "did"}},
        "object": {"id": "http://o"},
        "context": {"contextActivities": {"parent": [{"id": "p1", "k": 1}, 7, {"k": 2}]}},
    },
    "timestamp": "t",
    "list": [[{"a": 1, "b": 2}], {"a": 3}],
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, DOC),
        ({"timestamp": 1}, {"_id": "x1", "timestamp": "t"}),
        ({"timestamp": 1, "_id": 0}, {"timestamp": "t"}),
        ({"_id": 0, "statement": 0, "list": 0}, {"timestamp": "t"}),
        (
            {"statement.context.contextActivities.parent.id": 1, "_id": 0},
            {"statement": {"context": {"contextActivities": {"parent": [{"id": "p1"}, {}]}}}},
        ),
        (
            {"statement.context.contextActivities.parent.k": 0, "statement.actor": 0},
            {
                **DOC,
                "statement": {
                    "verb": DOC["statement"]["verb"],
                    "object": {"id": "http://o"},
                    "context": {"contextActivities": {"parent": [{"id": "p1"}, 7, {}]}},
                },
            },
        ),
        ({"list.a": 1, "_id": 0}, {"list": [[{"a": 1}], {"a": 3}]}),
        ({"timestamp.x": 1, "_id": 0}, {}),
        (
            {"userId": "$statement.actor.account.name", "statement.object.id": 1},
            {"_id": "x1", "statement": {"object": {"id": "http://o"}}, "userId": "123"},
        ),
        (
            {"ids": "$statement.context.contextActivities.parent.id", "_id": 0},
            {"ids": ["p1"]},
        ),
        ({"nothing": "$statement.missing", "_id": 0}, {}),
        ({"a.b": "$timestamp", "_id": 0}, {"a": {"b": "t"}}),
        ({"statement": {"verb": {"id": 1}}, "_id": 0}, {"statement": {"verb": {"id": "http://v"}}}),
        ({"statement.verb&46;x": 1}, {"_id": "x1", "statement": {}}),
    ],
    ids=lambda value: repr(value)[:50],
)
def test_project(raw: dict[str, Any], expected: dict[str, Any]) -> None:
    assert project(parse_projection(raw), DOC) == expected


def test_project_does_not_modify_the_document() -> None:
    before = repr(DOC)
    project(parse_projection({"statement.verb.display": 0}), DOC)
    assert repr(DOC) == before


def test_seed_001_projection_trims_an_included_parent() -> None:
    projection = parse_projection(
        {
            "userId": "$statement.actor.account.name",
            "statement.verb": {"display": 0},
            "statement.object.id": 1,
        }
    )
    doc = {
        "_id": "x",
        "statement": {
            "actor": {"account": {"name": "123", "homePage": "http://www.example.org/user"}},
            "verb": {"id": "http://www.example.org/verb", "display": {"en": "did"}},
            "object": {"id": "http://www.example.org/activity", "objectType": "Activity"},
        },
        "stored": "2026-01-01T00:00:00.000Z",
    }
    assert project(projection, doc) == {
        "_id": "x",
        "statement": {
            "verb": {"id": "http://www.example.org/verb"},
            "object": {"id": "http://www.example.org/activity"},
        },
        "userId": "123",
    }


# An all-digit segment in a find projection is a field name only, as in MongoDB: ``{"a.0": 1}``
# does not select an array's first element (use $slice there); it keeps the field "0" of the
# array's object elements (scalars dropped, nested arrays entered), and of an object.
POSITIONS_DOC = {
    "_id": "x2",
    "a": [5, {"0": 6, "x": 1}, [7, {"0": 8}], {"x": 2}],
    "b": {"0": 9, "1": 10, "01": 11},
    "c": [5, {"0": 6}, {"x": 1}],
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"a.0": 1, "_id": 0}, {"a": [{"0": 6}, [{"0": 8}], {}]}),
        ({"c.0": 1, "_id": 0}, {"c": [{"0": 6}, {}]}),
        ({"a.1": 1, "_id": 0}, {"a": [{}, [{}], {}]}),
        ({"b.0": 1, "_id": 0}, {"b": {"0": 9}}),
        ({"b.01": 1, "_id": 0}, {"b": {"01": 11}}),
        (
            {"a.0": 0, "b.1": 0},
            {
                "_id": "x2",
                "a": [5, {"x": 1}, [7, {}], {"x": 2}],
                "b": {"0": 9, "01": 11},
                "c": POSITIONS_DOC["c"],
            },
        ),
        ({"a": {"0": 1}, "_id": 0}, {"a": [{"0": 6}, [{"0": 8}], {}]}),
        # a rename reads the path as an aggregation expression: no positions there either
        ({"first": "$c.0", "_id": 0}, {"first": [6]}),
        ({"first": "$b.0", "_id": 0}, {"first": 9}),
        ({"first": "$b.5", "_id": 0}, {}),
    ],
    ids=lambda value: repr(value)[:50],
)
def test_project_all_digit_segments_are_field_names(
    raw: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert project(parse_projection(raw), POSITIONS_DOC) == expected
