"""Awkward documents and hand-checked expectations (MongoDB's answers) for filters and sorts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

DOCS: list[dict[str, Any]] = [
    {"_id": "d01", "a": 1},
    {"_id": "d02", "a": 1.0},
    {"_id": "d03", "a": "1"},
    {"_id": "d04", "a": None},
    {"_id": "d05"},
    {"_id": "d06", "a": []},
    {"_id": "d07", "a": [1, 2, 3]},
    {"_id": "d08", "a": [[1], 2]},
    {"_id": "d09", "a": [None]},
    {"_id": "d10", "a": True},
    {"_id": "d11", "a": {"b": 1}},
    {"_id": "d12", "a": [{"b": 1}, {"b": 2, "c": "x"}]},
    {"_id": "d13", "a": [{"c": 1}, 5]},
    {"_id": "d14", "a": "abc"},
    {"_id": "d15", "a": "Abc"},
    {"_id": "d16", "a": "élan"},
    {"_id": "d17", "a": 2.5},
    {"_id": "d18", "a": {"b": [1, 5]}},
    {"_id": "d19", "a": False},
    {"_id": "d20", "a": [{"b": {"c": None}}]},
    {"_id": "d21", "a": {"b": "10"}},
    {"_id": "d22", "a": 10},
    {"_id": "d23", "a": "a\nb"},
    {"_id": "d24", "a": [[]]},
    {
        "_id": "d25",
        "timestamp": datetime(2020, 1, 1, tzinfo=UTC),
        "statement": {
            "verb": {"id": "http://v/1"},
            "context": {"extensions": {"http://x.org/e": 3}},
        },
    },
    {
        "_id": "d26",
        "timestamp": datetime(2021, 6, 1, 12, tzinfo=timezone(timedelta(hours=2))),
        "voided": False,
        "statement": {"verb": {"id": "http://v/2"}, "timestamp": "2021-06-01T12:00:00+02:00"},
    },
    {"_id": "d27", "voided": True, "stored": datetime(2022, 1, 1, tzinfo=UTC)},
]

SORT_DOCS: list[dict[str, Any]] = [
    {"_id": "s01", "s": 3, "t": 1},
    {"_id": "s02", "s": "B", "t": 2},
    {"_id": "s03", "s": "a", "t": 1},
    {"_id": "s04", "s": None, "t": 2},
    {"_id": "s05", "t": 1},
    {"_id": "s06", "s": [], "t": 2},
    {"_id": "s07", "s": [5, "x"], "t": 1},
    {"_id": "s08", "s": {"k": 1}, "t": 2},
    {"_id": "s09", "s": True, "t": 1},
    {"_id": "s10", "s": 2.5, "t": 2},
    {"_id": "s11", "s": "é", "t": 1},
    {"_id": "s12", "s": [[0]], "t": 2},
    {"_id": "s13", "s": False, "t": 1},
    {"_id": "s14", "s": -1, "t": 2},
    {"_id": "s15", "s": ["a", 1], "t": 1},
]

ALL_D = [doc["_id"] for doc in DOCS]


def ids(text: str) -> list[str]:
    """``"d01 d02"`` → ``["d01", "d02"]``."""
    return text.split()


def _except(*ids: str) -> list[str]:
    return [i for i in ALL_D if i not in ids]


A_IS_1 = ["d01", "d02", "d07"]
A_IS_NULL = ["d04", "d05", "d09", "d25", "d26", "d27"]
A_GT_1 = ["d07", "d08", "d13", "d17", "d22"]

# (filter, ids that match among DOCS)
FILTER_CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({}, ALL_D),
    ({"a": 1}, A_IS_1),
    ({"a": {"$eq": 1.0}}, A_IS_1),
    ({"a": "1"}, ["d03"]),
    ({"a": True}, ["d10"]),
    ({"a": 2.5}, ["d17"]),
    ({"a": None}, A_IS_NULL),
    ({"a": {"$ne": None}}, _except(*A_IS_NULL)),
    ({"a": {"$ne": 1}}, _except(*A_IS_1)),
    ({"a": {"$exists": True}}, _except("d05", "d25", "d26", "d27")),
    ({"a": {"$exists": False}}, ["d05", "d25", "d26", "d27"]),
    ({"a.b": 1}, ["d11", "d12", "d18"]),
    ({"a.c": "x"}, ["d12"]),
    (
        {"a.b": None},
        ids("d01 d02 d03 d04 d05 d10 d13 d14 d15 d16 d17 d19 d22 d23 d25 d26 d27"),
    ),
    ({"a.b.c": {"$exists": True}}, ["d20"]),
    ({"a.b": {"$gt": 1}}, ["d12", "d18"]),
    ({"a": {"$gt": 1}}, A_GT_1),
    ({"a": {"$not": {"$gt": 1}}}, _except(*A_GT_1)),
    ({"a": {"$gt": 1, "$lt": 2}}, ["d07"]),
    ({"a": {"$gte": 2.5, "$lte": 2.5}}, ["d07", "d17"]),  # different elements of d07
    ({"a": {"$gte": "a"}}, ["d14", "d16", "d23"]),
    ({"a": {"$lt": "B"}}, ["d03", "d15"]),
    ({"a": {"$lt": True}}, ["d19"]),
    ({"a": {"$gte": None}}, A_IS_NULL),
    ({"a": {"$gt": None}}, []),
    ({"a": {"$in": [2, "abc"]}}, ["d07", "d08", "d14"]),
    ({"a": {"$in": []}}, []),
    ({"a": {"$nin": []}}, ALL_D),
    ({"a": {"$nin": [1, None]}}, _except(*A_IS_1, *A_IS_NULL)),
    ({"a": [1, 2, 3]}, ["d07"]),
    ({"a": [1]}, ["d08"]),
    ({"a": []}, ["d06", "d24"]),
    ({"a": {"b": 1}}, ["d11", "d12"]),
    ({"a": {"$size": 0}}, ["d06"]),
    ({"a": {"$size": 1}}, ["d09", "d20", "d24"]),
    ({"a": {"$size": 2}}, ["d08", "d12", "d13"]),
    ({"a": {"$all": [1, 2]}}, ["d07"]),
    ({"a": {"$all": [2]}}, ["d07", "d08"]),
    ({"a": {"$all": []}}, []),
    ({"a": {"$elemMatch": {"$gt": 1, "$lt": 3}}}, ["d07", "d08"]),
    ({"a": {"$elemMatch": {"b": 2, "c": "x"}}}, ["d12"]),
    ({"a": {"$elemMatch": {"$eq": None}}}, ["d09"]),
    ({"a": {"$elemMatch": {"c": {"$exists": False}}}}, ["d08", "d12", "d20", "d24"]),
    ({"a.b": {"$elemMatch": {"$gte": 5}}}, ["d18"]),
    ({"a": {"$regex": "^a"}}, ["d14", "d23"]),
    ({"a": {"$regex": "^a", "$options": "i"}}, ["d14", "d15", "d23"]),
    ({"a": {"$regex": "b$"}}, ["d23"]),
    ({"a": {"$regex": "a.b"}}, []),
    ({"a": {"$regex": "a.b", "$options": "s"}}, ["d23"]),
    ({"a": {"$regex": "^é"}}, ["d16"]),
    ({"a": {"$not": {"$regex": "^a"}}}, _except("d14", "d23")),
    ({"$or": [{"a": 1}, {"a.b": 2}]}, ["d01", "d02", "d07", "d12"]),
    ({"$and": [{"a": {"$gt": 1}}, {"a": {"$lt": 3}}]}, ["d07", "d08", "d17"]),
    ({"$nor": [{"a": {"$exists": True}}]}, ["d05", "d25", "d26", "d27"]),
    ({"_id": "d03"}, ["d03"]),
    ({"_id": {"$gt": "d2"}}, ["d20", "d21", "d22", "d23", "d24", "d25", "d26", "d27"]),
    ({"_id": {"$in": ["d01", "d05", "zz"]}}, ["d01", "d05"]),
    ({"timestamp": {"$gte": "2020-06-01T00:00:00Z"}}, ["d26"]),
    ({"statement.timestamp": {"$lt": {"$dte": "2021-01-01T00:00:00Z"}}}, ["d25"]),
    ({"timestamp": None}, _except("d25", "d26")),
    ({"timestamp": {"$exists": True}}, ["d25", "d26"]),
    ({"timestamp": {"$ne": "2020-01-01T00:00:00Z"}}, _except("d25")),
    ({"timestamp.x": None}, ALL_D),
    ({"timestamp.x": {"$exists": True}}, []),
    ({"stored": {"$lt": "2023-01-01T00:00:00+00:00"}}, ["d27"]),
    ({"voided": False}, ["d26"]),
    ({"voided": {"$ne": True}}, _except("d27")),
    ({"voided": 0}, []),
    ({"statement.verb.id": "http://v/1"}, ["d25"]),
    ({"statement.verb.id": {"$ne": "http://v/1"}}, _except("d25")),
    ({"statement.context.extensions.http://x&46;org/e": 3}, ["d25"]),
    ({"statement.context.extensions.http://x&46;org/e": {"$gte": 3}}, ["d25"]),
    ({"statement": {"$exists": False}}, _except("d25", "d26")),
    ({"statement.verb": None}, _except("d25", "d26")),
    (
        {"statement": {"verb": {"id": "http://v/2"}, "timestamp": "2021-06-01T12:00:00+02:00"}},
        ["d26"],
    ),
    # Values that look like SQL or jsonpath are just values.
    ({"a": "'; DROP TABLE query_docs; --"}, []),
    ({"a": "$.a ? (@ == 1)"}, []),
    ({"a": '" || true || "'}, []),
    ({"a": {"$regex": "\\\\"}}, []),
    ({"a'; DROP TABLE query_docs; --": 1}, []),
    ({'a"b': 1}, []),
    ({"a\\b": {"$exists": True}}, []),
    ({"a) || (true": 1}, []),
]

# (sort, ids of SORT_DOCS in order); "_id": 1 is appended as the tiebreaker.
SORT_CASES: list[tuple[dict[str, Any], list[str]]] = [
    (
        {"s": 1},
        ids("s06 s04 s05 s14 s15 s10 s01 s07 s02 s03 s11 s08 s12 s13 s09"),
    ),
    (
        {"s": -1},
        ids("s09 s13 s12 s08 s11 s07 s03 s15 s02 s01 s10 s14 s04 s05 s06"),
    ),
    (
        {"t": -1, "s": 1},
        ids("s06 s04 s14 s10 s02 s08 s12 s05 s15 s01 s07 s03 s11 s13 s09"),
    ),
    ({"_id": -1}, [f"s{i:02d}" for i in range(15, 0, -1)]),
]

# (sort, ids of DOCS d25..d27 in order), typed and mounted paths.
TYPED_SORT_CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({"timestamp": -1}, ["d26", "d25", "d27"]),
    ({"timestamp": 1}, ["d27", "d25", "d26"]),
    ({"statement.timestamp": 1}, ["d27", "d25", "d26"]),
    ({"statement.verb.id": 1}, ["d27", "d25", "d26"]),
    ({"statement.verb.id": -1}, ["d26", "d25", "d27"]),
    ({"voided": 1}, ["d25", "d26", "d27"]),
    ({"voided": -1, "_id": -1}, ["d27", "d26", "d25"]),
    ({"timestamp.x": 1}, ["d25", "d26", "d27"]),
]

# All-digit path segments, as MongoDB reads them (its BSONElementIterator and the expectations of
# jstests/core/match_numeric_components.js): on an array, a position and also a field name of the
# object elements; on an object, a field name; "01" is a field name only.
POSITION_DOCS: list[dict[str, Any]] = [
    {"_id": "p01", "a": [5, 6]},
    {"_id": "p02", "a": {"0": 5}},
    {"_id": "p03", "a": [{"0": 5}]},
    {"_id": "p04", "a": [{"b": 1}, {"b": 2}]},
    {"_id": "p05", "a": [[5, 6], 7]},
    {"_id": "p06", "a": [[{"b": 1}]]},
    {"_id": "p07", "a": []},
    {"_id": "p08", "a": 5},
    {"_id": "p09"},
    {"_id": "p10", "a": [None]},
    {"_id": "p11", "a": {"01": 5, "1": 6}},
    {"_id": "p12", "a": [7, {"1": 5}]},
    {"_id": "p13", "a": [[]]},
    {"_id": "p14", "a": [{"x": 1}, "s"]},
    {
        "_id": "p15",
        "statement": {
            "context": {
                "contextActivities": {"parent": [{"id": "http://p/1"}, {"id": "http://p/2"}]}
            }
        },
    },
    {"_id": "p16", "a": ["abc", "xyz"]},
    {"_id": "p17", "timestamp": datetime(2020, 1, 1, tzinfo=UTC), "a": {"0": {"0": 5}}},
]

ALL_P = [doc["_id"] for doc in POSITION_DOCS]
A0_IS_5 = ids("p01 p02 p03")
# missing: no "a", a scalar, an object without "0", or an object element without "0"
A0_IS_NULL = ids("p04 p08 p09 p10 p11 p12 p14 p15")
PARENT_0 = "statement.context.contextActivities.parent.0.id"

# (filter, ids that match among POSITION_DOCS)
POSITION_CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({"a.0": 5}, A0_IS_5),  # position, field of an object, field of an object element
    ({"a.0": {"$eq": 5}}, A0_IS_5),
    ({"a.0": {"$ne": 5}}, [i for i in ALL_P if i not in A0_IS_5]),
    ({"a.1": 6}, ["p01", "p11"]),
    ({"a.1": 5}, ["p12"]),  # the field "1" of an object element, not the position
    ({"a.01": 5}, ["p11"]),  # a field name only, never a position
    ({"a.0.b": 1}, ["p04", "p06"]),  # into the element at 0; a nested array there is entered
    ({"a.1.b": 2}, ["p04"]),
    ({"a.1.b": 1}, []),
    ({"a.0": 7}, ["p12"]),  # p05's element 0 is [5, 6]: taken whole, not expanded
    ({"a.1": 7}, ["p05"]),
    ({"a.0": [5, 6]}, ["p05"]),
    ({"a.0.1": 6}, ["p05"]),
    ({"a.0.0": 5}, ["p03", "p05", "p17"]),  # p03: the field "0" of the element at 0
    ({"a.0.0.0": 5}, []),
    ({"a.2": {"$exists": True}}, []),  # beyond the end
    ({"a.5": 5}, []),
    ({"a.0": {"$exists": True}}, ids("p01 p02 p03 p04 p05 p06 p10 p12 p13 p14 p16 p17")),
    ({"a.0": {"$exists": False}}, ids("p07 p08 p09 p11 p15")),
    ({"a.0": None}, A0_IS_NULL),  # p07 ([]) reaches nothing, so it is not missing
    ({"a.0": {"$ne": None}}, [i for i in ALL_P if i not in A0_IS_NULL]),
    ({"a.0": {"$gte": None}}, A0_IS_NULL),
    # p02: {"0": 5} then a scalar with more path: missing; p01: 5 picked by position: nothing
    ({"a.0.b": None}, ids("p02 p03 p04 p08 p09 p11 p12 p14 p15 p17")),
    ({"a.5": None}, ids("p02 p03 p04 p08 p09 p11 p12 p14 p15 p17")),
    ({"a.0": {"$in": [6, 7, "abc"]}}, ["p12", "p16"]),
    ({"a.0": {"$nin": [5, 7]}}, ids("p04 p05 p06 p07 p08 p09 p10 p11 p13 p14 p15 p16 p17")),
    ({"a.0": {"$gt": 5}}, ["p12"]),
    ({"a.1": {"$lte": 6}}, ["p01", "p11", "p12"]),
    ({"a.0": {"$gte": "a", "$lt": "b"}}, ["p16"]),
    ({"a.0": {"$regex": "^a"}}, ["p16"]),
    ({"a.0": {"$size": 2}}, ["p05"]),
    ({"a.0": {"$size": 0}}, ["p13"]),
    ({"a.0": {"$all": [5, 6]}}, []),  # equalities with an element p05's [5, 6] is not expanded to
    ({"a.0": {"$all": [7]}}, ["p12"]),
    ({"a.0": {"$elemMatch": {"b": 1}}}, ["p06"]),
    ({"a.0": {"$elemMatch": {"$gte": 6}}}, ["p05"]),
    ({"a.0": {"$not": {"$gt": 4}}}, ids("p04 p05 p06 p07 p08 p09 p10 p11 p13 p14 p15 p16 p17")),
    ({"a": {"$elemMatch": {"0": 5}}}, ["p03", "p05"]),  # an array element as {"0": ..., "1": ...}
    ({"a": {"$elemMatch": {"1": {"$exists": True}}}}, ["p05", "p12"]),
    ({"a": {"$elemMatch": {"0": {"$exists": False}}}}, ["p04", "p12", "p13", "p14"]),
    ({PARENT_0: "http://p/1"}, ["p15"]),
    ({"statement.context.contextActivities.parent.1.id": "http://p/2"}, ["p15"]),
    ({PARENT_0: "http://p/2"}, []),
    ({PARENT_0: {"$in": ["http://p/1", "http://p/9"]}}, ["p15"]),
    ({"statement.0": None}, ALL_P),
    ({"timestamp.0": None}, ALL_P),  # a typed instant has no positions: missing
    ({"timestamp.0": {"$exists": True}}, []),
    ({"_id.0": None}, ALL_P),
    ({"$or": [{"a.1": 6}, {"a.0.b": 1}]}, ["p01", "p04", "p06", "p11"]),
]

# Sorts on a position: the element there when the array has it (MongoDB's sort keys come from its
# index key generator), else the field of that name; missing as null; an empty array at the
# position below null; an array at the position sorts as an array.
POSITION_SORT_DOCS: list[dict[str, Any]] = [
    {"_id": "q01", "a": [3, 1]},
    {"_id": "q02", "a": [1, 3]},
    {"_id": "q03", "a": {"0": 2}},
    {"_id": "q04", "a": []},
    {"_id": "q05"},
    {"_id": "q06", "a": [[0, 9]]},
    {"_id": "q07", "a": [[]]},
    {"_id": "q08", "a": [{"0": 7}]},
    {"_id": "q09", "a": ["s"]},
    {"_id": "q10", "a": [None, 0]},
    {"_id": "q11", "a": {"1": 0}},
    {"_id": "q12", "a": [{"b": 1}, 4]},
]

# (sort, ids of POSITION_SORT_DOCS in order); "_id": 1 is appended as the tiebreaker.
POSITION_SORT_CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({"a.0": 1}, ids("q07 q04 q05 q10 q11 q02 q03 q01 q09 q08 q12 q06")),
    ({"a.0": -1}, ids("q06 q08 q12 q09 q01 q03 q02 q04 q05 q10 q11 q07")),
    ({"a.1": 1}, ids("q03 q04 q05 q06 q07 q08 q09 q10 q11 q01 q02 q12")),
    ({"a.1": -1}, ids("q12 q02 q01 q10 q11 q03 q04 q05 q06 q07 q08 q09")),
    ({"a.0.b": 1}, ids("q01 q02 q03 q04 q05 q06 q07 q08 q09 q10 q11 q12")),
    ({"a.01": 1, "a.0": -1}, ids("q06 q08 q12 q09 q01 q03 q02 q04 q05 q10 q11 q07")),
]
