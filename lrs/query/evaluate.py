"""The reference semantics: the IR evaluated in Python, as MongoDB would.

The memory store runs these functions, and the tests use them as the oracle that ``sql.py``
must agree with row for row. The rules (see ``ordering.py`` for equality and order):

* a path descends through objects and, on meeting an array, into every element that is an
  object (arrays of arrays are not entered); reaching an object without the next field, or a
  non-array scalar, yields *missing*;
* a condition matches when any value reached, or any element of an array reached at the end of
  the path, satisfies it (``$size`` and ``$elemMatch`` look at the arrays themselves);
* ``{f: null}`` (and ``$gte``/``$lte`` null) matches null and missing; ``$ne``/``$nin``/``$not``
  are plain negations, so documents without the field match them;
* ranges only compare values of the operand's kind (type bracketing);
* sort keys: the smallest (ascending) or largest (descending) value reached, array elements
  counted one by one, missing as null, an empty array below null.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from lrs.query.ast import (
    And,
    ElemMatch,
    Eq,
    Exists,
    Filter,
    In,
    Nor,
    Not,
    Or,
    Path,
    Range,
    Regex,
    Size,
    Sort,
    Value,
)
from lrs.query.ordering import (
    EMPTY_ARRAY_KEY,
    NULL_KEY,
    RANK_DATE,
    RANK_STRING,
    SortValue,
    compare_scalars,
    sort_value,
    values_equal,
)
from lrs.query.projection import project

__all__ = [
    "MISSING",
    "compare_positions",
    "matches",
    "project",
    "sort_key",
    "sort_values",
    "yields",
]


class _Missing:
    """What a path yields where the document has no value."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def yields(value: Any, segments: tuple[str, ...]) -> Iterator[Any]:
    """The values a path reaches in ``value`` (``MISSING`` where a field is absent)."""
    if not segments:
        yield value
        return
    if isinstance(value, Mapping):
        head = segments[0]
        if head in value:
            yield from yields(value[head], segments[1:])
        else:
            yield MISSING
    elif isinstance(value, list | tuple):
        for element in value:
            if isinstance(element, Mapping):
                yield from yields(element, segments)
    else:
        yield MISSING


def _expanded(doc: Any, path: Path) -> Iterator[Any]:
    """Values reached, plus the elements of arrays reached at the end of the path."""
    if path.is_element:
        yield doc
        return
    for value in yields(doc, path.segments):
        if isinstance(value, list | tuple):
            yield from value
        yield value


def _reached(doc: Any, path: Path) -> Iterator[Any]:
    if path.is_element:
        yield doc
    else:
        yield from yields(doc, path.segments)


def matches(condition: Filter, doc: Any) -> bool:
    """Does ``doc`` (a document, or an array element for value ``$elemMatch``) match?"""
    match condition:
        case Eq(path, value):
            return any(_equals(found, value) for found in _expanded(doc, path))
        case Range(path, op, value):
            return any(_in_range(found, op, value) for found in _expanded(doc, path))
        case In(path, values):
            return any(_equals(found, value) for found in _expanded(doc, path) for value in values)
        case Exists(path, exists):
            return any(found is not MISSING for found in _reached(doc, path)) == exists
        case Regex(path):
            compiled = _compile(condition.python, condition.python_flags)
            return any(
                isinstance(found, str) and compiled.search(found) is not None
                for found in _expanded(doc, path)
            )
        case Size(path, size):
            return any(
                isinstance(found, list | tuple) and len(found) == size
                for found in _reached(doc, path)
            )
        case ElemMatch(path, inner, mode):
            return any(
                isinstance(found, list | tuple)
                and any(_element_matches(inner, mode, element) for element in found)
                for found in _reached(doc, path)
            )
        case Not(child):
            return not matches(child, doc)
        case And(children):
            return all(matches(child, doc) for child in children)
        case Or(children):
            return any(matches(child, doc) for child in children)
        case Nor(children):
            return not any(matches(child, doc) for child in children)
    raise TypeError(f"not a filter node: {condition!r}")


def _element_matches(inner: Filter, mode: str, element: Any) -> bool:
    if mode == "value":
        return matches(inner, element)
    if isinstance(element, Mapping):
        return matches(inner, element)
    if isinstance(element, list | tuple):
        # MongoDB treats an array element as an object whose fields are its positions; we never
        # address positions, so every named field is missing.
        return matches(inner, {})
    return False


def _equals(found: Any, value: Value) -> bool:
    if found is MISSING:
        return value is None
    return values_equal(found, value)


def _in_range(found: Any, op: str, value: Any) -> bool:
    if found is MISSING:
        return value is None and op in ("$gte", "$lte")
    order = compare_scalars(found, value)
    if order is None:
        return False
    if op == "$gt":
        return order > 0
    if op == "$gte":
        return order >= 0
    if op == "$lt":
        return order < 0
    return order <= 0


@lru_cache(maxsize=256)
def _compile(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _key_candidates(doc: Any, path: Path) -> list[SortValue]:
    if len(path.segments) == 1 and type(doc) is dict:
        # Fast path for top-level strings and instants (_id, timestamp, stored, ...): what
        # cursors use most. Exact type tests: isinstance against an ABC costs more than this.
        value = doc.get(path.segments[0], MISSING)
        value_type = type(value)
        if value_type is str:
            return [SortValue(RANK_STRING, value)]
        if value_type is datetime:
            return [SortValue(RANK_DATE, value)]
    keys: list[SortValue] = []
    for found in yields(doc, path.segments):
        if found is MISSING:
            keys.append(NULL_KEY)
        elif isinstance(found, list | tuple):
            if found:
                keys.extend(sort_value(element) for element in found)
            else:
                keys.append(EMPTY_ARRAY_KEY)
        else:
            keys.append(sort_value(found))
    return keys or [NULL_KEY]


def sort_values(sort: Sort, doc: Any) -> tuple[SortValue, ...]:
    """The sort value of each key for ``doc`` (what a cursor records)."""
    return tuple(
        (min if key.direction == 1 else max)(_key_candidates(doc, key.path)) for key in sort
    )


def compare_positions(sort: Sort, left: tuple[SortValue, ...], right: tuple[SortValue, ...]) -> int:
    """-1/0/1: does ``left`` come before, with, or after ``right`` in ``sort`` order?"""
    for key, a, b in zip(sort, left, right, strict=True):
        if a != b:
            before = a < b
            return (-1 if before else 1) * key.direction
    return 0


@dataclass(frozen=True, slots=True)
class _Descending:
    value: SortValue

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value


def sort_key(sort: Sort, doc: Any) -> tuple[SortValue | _Descending, ...]:
    """A key for :func:`sorted` that orders documents as MongoDB sorts them."""
    return position_key(sort, sort_values(sort, doc))


def position_key(
    sort: Sort, position: tuple[SortValue, ...]
) -> tuple[SortValue | _Descending, ...]:
    """The :func:`sort_key` of a position (a cursor's values), comparable with documents' keys."""
    return tuple(
        value if key.direction == 1 else _Descending(value)
        for key, value in zip(sort, position, strict=True)
    )
