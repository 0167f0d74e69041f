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
