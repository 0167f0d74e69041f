"""Parsing: the IR produced, Learning Locker's rewrites, and every rejection (BadQuery naming
the operator, path or parameter at fault)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lrs.core.errors import BadQuery
from lrs.query.ast import (
    MATCH_ALL,
    And,
    ElemMatch,
    Eq,
    Exists,
    In,
    Not,
    Or,
    Path,
    Projection,
    Range,
    SortKey,
)
from lrs.query.parse import (
    MAX_DEPTH,
    MAX_NODES,
    PLAIN,
    parse_filter,
    parse_projection,
    parse_sort,
)
from lrs.query.paths import array_position


def p(text: str) -> Path:
    return Path(tuple(text.split(".")))


def test_plain_equality_and_operators() -> None:
    assert parse_filter({}) == MATCH_ALL
    assert parse_filter({"a.b": 1}) == Eq(p("a.b"), 1)
    assert parse_filter({"a": {"$gt": 1, "$lt": 5}}) == And(
        (Range(p("a"), "$gt", 1), Range(p("a"), "$lt", 5))
    )
    assert parse_filter({"a": {"$ne": 1}}) == Not(Eq(p("a"), 1))
    assert parse_filter({"a": {"$nin": [1]}}) == Not(In(p("a"), (1,)))
    assert parse_filter({"a": {"$exists": 0}}) == Exists(p("a"), False)
    assert parse_filter({"a": {"$all": []}}) == Or(())
    assert parse_filter({"a": {"b": 1}}) == Eq(p("a"), {"b": 1})


def test_elem_match_modes() -> None:
    value = parse_filter({"a": {"$elemMatch": {"$gt": 1}}})
    assert value == ElemMatch(p("a"), Range(Path(()), "$gt", 1), "value")
    obj = parse_filter({"a": {"$elemMatch": {"b": 1, "$or": [{"c": 2}]}}})
    assert obj == ElemMatch(p("a"), And((Eq(p("b"), 1), Or((Eq(p("c"), 2),)))), "object")


def test_learning_locker_rewrites() -> None:
    hex_id = "59AD59A40334C1BD23322C3A"
    assert parse_filter({"_id": {"$oid": hex_id}}) == Eq(p("_id"), hex_id.lower())
    assert parse_filter({"a": {"$in": [{"$oid": hex_id}]}}) == In(p("a"), (hex_id.lower(),))
    when = datetime(2017, 9, 5, 12, 45, 31, tzinfo=UTC)
    assert parse_filter({"x": {"$dte": "2017-09-05T12:45:31Z"}}) == Eq(p("x"), when)
    # statement.timestamp/stored → the top-level instants, strings cast to datetime.
    assert parse_filter({"statement.timestamp": {"$gte": "2017-09-05T12:45:31Z"}}) == Range(
        p("timestamp"), "$gte", when
    )
    assert parse_filter({"statement.stored": "2017-09-05T12:45:31"}) == Eq(p("stored"), when)
    assert parse_filter({"timestamp": None}) == Eq(p("timestamp"), None)
    # Inside $elemMatch, and with the plain schema, nothing is renamed or cast.
    assert parse_filter({"statement.timestamp": "x"}, PLAIN) == Eq(p("statement.timestamp"), "x")
    # &46; is decoded after splitting.
    assert parse_filter({"e.http://x&46;org/y": 1}) == Eq(Path(("e", "http://x.org/y")), 1)
    assert parse_sort({"statement.stored": -1}) == (SortKey(p("stored"), -1),)


def test_comments_are_ignored() -> None:
    """MongoDB's ``$comment`` annotates a query; Learning Locker's UI adds one to each filter."""
    assert parse_filter({"$comment": '{"criterionLabel":"A"}', "a": 1}) == Eq(p("a"), 1)
    assert parse_filter({"$and": [{"$comment": "x"}, {"b": 2}]}) == parse_filter(
        {"$and": [{}, {"b": 2}]}
    )


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"$where": "this.a == 1"}, "$where"),
        ({"$expr": {"$eq": ["$a", 1]}}, "$expr"),
        ({"$function": {}}, "$function"),
        ({"$text": {"$search": "x"}}, "$text"),
        ({"a": {"$type": "string"}}, "$type"),
        ({"a": {"$mod": [2, 0]}}, "$mod"),
        ({"a": {"$where": "1"}}, "$where"),
        ({"$gt": 1}, "$gt"),
        ({"a": {"$gt": 1, "b": 2}}, "a"),
        ({"a": {"$eq": {"$foo": 1}}}, "$foo"),
        ({"a": {"$in": 1}}, "$in"),
        ({"a": {"$nin": {"x": 1}}}, "$nin"),
        ({"a": {"$all": "x"}}, "$all"),
        ({"a": {"$exists": "yes"}}, "$exists"),
        ({"a": {"$size": -1}}, "$size"),
        ({"a": {"$size": 1.5}}, "$size"),
        ({"a": {"$size": True}}, "$size"),
        ({"a": {"$gt": [1]}}, "$gt"),
        ({"a": {"$lte": {"b": 1}}}, "$lte"),
        ({"a": {"$not": 1}}, "$not"),
        ({"a": {"$not": {}}}, "$not"),
        ({"a": {"$elemMatch": {}}}, "$elemMatch"),
        ({"a": {"$elemMatch": {"$gt": 1, "b": 1}}}, "$elemMatch"),
        ({"a": {"$options": "i"}}, "$options"),
        ({"a": {"$regex": 1}}, "$regex"),
        ({"a": {"$regex": "x", "$options": "m"}}, "$options"),
        ({"a": {"$regex": "x", "$options": "x"}}, "$options"),
        ({"a": {"$regex": "(?<n>x)"}}, "a"),
        ({"a": {"$regex": "\\bx"}}, "a"),
        ({"a": {"$regex": "(a+)+"}}, "a"),
        ({"a": {"$regex": "[[:alpha:]]"}}, "a"),
        ({"a": {"$regex": "x{1,300}"}}, "a"),
        ({"a": {"$regex": "é", "$options": "i"}}, "a"),
        ({"a": {"$regex": "(x"}}, "a"),
        ({"a": {"$regex": "*x"}}, "a"),
        ({"$and": []}, "$and"),
        ({"$or": {}}, "$or"),
        ({"$nor": [1]}, "$nor"),
        ({"timestamp": {"$gt": "yesterday"}}, "timestamp"),
        ({"timestamp": 5}, "timestamp"),
        ({"_id": {"$oid": "xyz"}}, "$oid"),
        ({"a": {"$dte": "not a date"}}, "$dte"),
        ({"a": float("nan")}, "a"),
        ({"a": "x\x00y"}, "a"),
        ({"a..b": 1}, "a..b"),
        ({"a.$b": 1}, "a.$b"),
        ({"": 1}, "''"),
        ({"a\x00": 1}, "a"),
        ({"x" * 600: 1}, "x"),
        ({".".join(["a"] * 40): 1}, "a.a"),
    ],
)
def test_rejections_name_the_culprit(raw: dict[str, Any], named: str) -> None:
    with pytest.raises(BadQuery) as caught:
        parse_filter(raw)
    assert named in caught.value.message


def test_filter_must_be_an_object() -> None:
    with pytest.raises(BadQuery, match="filter"):
        parse_filter([])


def test_limits() -> None:
    deep: dict[str, Any] = {"a": 1}
    for _ in range(MAX_DEPTH):
        deep = {"$and": [deep]}
    with pytest.raises(BadQuery, match="nested too deeply"):
        parse_filter(deep)
    deep_not: dict[str, Any] = {"$gt": 1}
    for _ in range(MAX_DEPTH):
        deep_not = {"$not": deep_not}
    with pytest.raises(BadQuery, match="nested too deeply"):
        parse_filter({"a": deep_not})
    with pytest.raises(BadQuery, match="too large"):
        parse_filter({"a": {"$in": list(range(MAX_NODES + 1))}})
    with pytest.raises(BadQuery, match="too large"):
        parse_filter({"$or": [{f"f{i}": i} for i in range(MAX_NODES)]})
    parse_filter({"a": {"$in": list(range(MAX_NODES // 2))}})  # big but allowed


@pytest.mark.parametrize(
    "raw",
    [[], {"a": 2}, {"a": "up"}, {"a": True}, {"a": None}, {"$meta": 1}, {"a.": 1}],
    ids=repr,
)
def test_bad_sorts(raw: Any) -> None:
    with pytest.raises(BadQuery):
        parse_sort(raw)


def test_sorts() -> None:
    assert parse_sort({"a": "desc", "b": 1.0}) == (SortKey(p("a"), -1), SortKey(p("b"), 1))
    with pytest.raises(BadQuery, match="twice"):
        parse_sort({"timestamp": 1, "statement.timestamp": -1})


def test_projections() -> None:
    assert parse_projection({}) == Projection(mode="exclude")
    assert parse_projection({"a": 1, "_id": 0}) == Projection(
        mode="include", paths=(p("a"),), include_id=False
    )
    assert parse_projection({"a": {"b": 0}}) == Projection(mode="exclude", paths=(p("a.b"),))
    assert parse_projection({"_id": 0}) == Projection(mode="exclude", paths=(p("_id"),))
    assert parse_projection({"u": "$statement.actor.name", "x": True}) == Projection(
        mode="include", paths=(p("x"),), renames=((p("u"), p("statement.actor.name")),)
    )


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"a": 1, "b": 0}, "mix"),
        ({"userId": "$a.b", "statement": 0}, "mix"),
        ({"statement.verb": {"display": 0}, "statement.verb.id": 1}, "collision"),
        ({"a": 1, "a.b": 1}, "collision"),
        ({"a": "literal"}, "literal"),
        ({"a": None}, "a"),
        ({"a": [1]}, "a"),
        ({"a": {"$slice": 1}}, "a"),
        ({"a": {"$elemMatch": {"b": 1}}}, "a"),
        ({"a": {}}, "a"),
        ({"$a": 1}, "$a"),
        ({"a": "$"}, "a"),
        ([], "project"),
    ],
)
def test_bad_projections(raw: Any, named: str) -> None:
    with pytest.raises(BadQuery) as caught:
        parse_projection(raw)
    assert named in caught.value.message


def test_all_digit_segments_are_accepted_in_filters_and_sorts() -> None:
    assert parse_filter({"a.0": 1}) == Eq(Path(("a", "0")), 1)
    assert parse_filter({"0.01": {"$exists": True}}) == Exists(Path(("0", "01")), True)
    assert parse_sort({"a.0.b": -1}) == (SortKey(Path(("a", "0", "b")), -1),)
    # statement.timestamp is still the typed instant; a position below it is just a path
    assert parse_filter({"statement.timestamp.0": None}) == Eq(
        Path(("statement", "timestamp", "0")), None
    )


@pytest.mark.parametrize(
    ("segment", "position"),
    [
        ("0", 0),
        ("7", 7),
        ("12", 12),
        ("999999999", 999999999),
        ("01", None),  # MongoDB compares with the element's name "1": never equal
        ("00", None),
        ("-1", None),
        ("1e3", None),
        ("٣", None),  # a digit, but not an ASCII one
        ("1234567890", None),  # longer than any array here
        ("a", None),
    ],
)
def test_array_position(segment: str, position: int | None) -> None:
    assert array_position(segment) == position
