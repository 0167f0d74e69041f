"""Hypothesis strategies: small awkward documents, and filters/sorts within the supported set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

KEYS = ("a", "b", "c")
# Object keys that are also array positions (and "01", which never is one): documents hold them
# next to arrays, so paths with all-digit segments meet both.
DIGIT_KEYS = ("0", "1", "01")
DOC_KEYS = (*KEYS, *DIGIT_KEYS)
SEGMENTS = (*KEYS, *KEYS, *DIGIT_KEYS)
STRINGS = ("", "a", "B", "b", "ab", "é", "1", "a\nb", "Ab", "😀")
NUMBERS = (0, 1, -1, 2, 1.0, 2.5, -0.0, 10, 1e16, 10**16 + 1)
INSTANTS = (
    datetime(2020, 1, 1, tzinfo=UTC),
    datetime(2020, 1, 1, 2, tzinfo=timezone(timedelta(hours=2))),
    datetime(2021, 5, 5, 5, 5, 5, 500, tzinfo=UTC),
)
ISO_STRINGS = ("2020-01-01T00:00:00Z", "2020-06-01T00:00:00+02:00", "2021-05-05T05:05:05.0005Z")
REGEXES = ("^a", "b$", "a.b", "é", "^$", "[a-c]", "\\d", "A|1", "^(ab)+$", "[^a]")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(NUMBERS),
    st.sampled_from(STRINGS),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(DOC_KEYS), children, max_size=2),
    ),
    max_leaves=6,
)


@st.composite
def documents(draw: st.DrawFn, count: int) -> list[dict[str, Any]]:
    docs = []
    for index in range(count):
        doc: dict[str, Any] = {"_id": f"h{index:02d}"}
        doc.update(draw(st.dictionaries(st.sampled_from(KEYS), values, max_size=3)))
        if draw(st.booleans()):
            doc["timestamp"] = draw(st.sampled_from(INSTANTS))
        if draw(st.booleans()):
            doc["voided"] = draw(st.booleans())
        if draw(st.booleans()):
            doc["statement"] = draw(st.dictionaries(st.sampled_from(DOC_KEYS), values, max_size=2))
        docs.append(doc)
    return docs


document_lists = st.integers(min_value=0, max_value=8).flatmap(documents)

json_paths = st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4).map(".".join)
paths = st.one_of(
    json_paths,
    json_paths,
    st.sampled_from(("timestamp", "voided", "_id", "timestamp.a")),
    json_paths.map("statement.".__add__),
    st.just("statement"),
)


def _operand(path: str) -> st.SearchStrategy[Any]:
    if path == "timestamp":
        return st.one_of(st.none(), st.sampled_from(ISO_STRINGS))
    if path == "_id":
        return st.sampled_from(("h00", "h01", "h05", "h1", None))
    return values


def _scalar_operand(path: str) -> st.SearchStrategy[Any]:
    if path == "timestamp":
        return st.one_of(st.none(), st.sampled_from(ISO_STRINGS))
    return scalars


def _conditions(path: str, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    ops: list[st.SearchStrategy[dict[str, Any]]] = [
        _operand(path).map(lambda v: {"$eq": v}),
        _operand(path).map(lambda v: {"$ne": v}),
        st.tuples(st.sampled_from(("$gt", "$gte", "$lt", "$lte")), _scalar_operand(path)).map(
            lambda t: {t[0]: t[1]}
        ),
        st.lists(_operand(path), max_size=3).map(lambda v: {"$in": v}),
        st.lists(_operand(path), max_size=3).map(lambda v: {"$nin": v}),
        st.booleans().map(lambda v: {"$exists": v}),
        st.tuples(st.sampled_from(REGEXES), st.sampled_from(("", "i", "s"))).map(
            lambda t: {"$regex": t[0], "$options": t[1]}
        ),
    ]
    if path != "timestamp":
        ops.append(st.integers(0, 2).map(lambda n: {"$size": n}))
        ops.append(st.lists(_operand(path), max_size=2).map(lambda v: {"$all": v}))
    if depth > 0:
        ops.append(_conditions(path, depth - 1).map(lambda c: {"$not": c}))
        ops.append(_conditions("", depth - 1).map(lambda c: {"$elemMatch": c}))
        ops.append(filters(depth - 1, top=False).filter(bool).map(lambda f: {"$elemMatch": f}))
    return st.one_of(ops)


def _field(depth: int, top: bool) -> st.SearchStrategy[dict[str, Any]]:
    path_strategy = paths if top else json_paths
    return path_strategy.flatmap(
        lambda path: st.one_of(
            _operand(path).map(lambda v: {path: v}),
            _conditions(path, depth).map(lambda c: {path: c}),
        )
    )


def filters(depth: int = 2, *, top: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    leaf = _field(depth, top)
    if depth == 0:
        return leaf
    return st.one_of(
        leaf,
        leaf,
        st.tuples(
            st.sampled_from(("$and", "$or", "$nor")),
            st.lists(filters(depth - 1, top=top), min_size=1, max_size=3),
        ).map(lambda t: {t[0]: t[1]}),
    )


sorts = st.lists(
    st.tuples(st.one_of(paths, st.just("timestamp")), st.sampled_from((1, -1))),
    min_size=1,
    max_size=3,
    unique_by=lambda t: t[0],
).map(dict)
