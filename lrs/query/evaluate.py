"""The reference semantics: the IR evaluated in Python, as MongoDB would.

The memory store runs these functions, and the tests use them as the oracle that ``sql.py``
must agree with row for row. The rules (see ``ordering.py`` for equality and order):

* a path descends through objects and, on meeting an array, into every element that is an
  object (arrays of arrays are not entered); reaching an object without the next field, or a
  non-array scalar, yields *missing*;
* an all-digit segment is a field name of an object, and on meeting an array it is also a
  position (MongoDB's ``BSONElementIterator``, checked against its test
  ``jstests/core/match_numeric_components.js``): ``{"a.0": 5}`` matches ``{"a": [5, 6]}`` and
  ``{"a": {"0": 5}}``; the array's object elements are still searched for a field of that name,
  so ``{"a": [{"0": 5}]}`` and ``{"a": [{"b": 5}]}`` (through ``"a.0.b"``) match too. The element
  at the position is taken as it is: an array there is not expanded when the path ends
  (``{"a.0": 5}`` does not match ``{"a": [[5]]}``) and is entered by the rest of the path
  (``{"a.0.0": 5}`` matches it). A position beyond the end, or a scalar at the position with
  more path to go, reaches nothing (not *missing*). Only ``"0"``, ``"1"``, ... are positions:
  ``"01"`` is a field name only (see ``paths.array_position``);
* a condition matches when any value reached, or any element of an array reached at the end of
  the path, satisfies it (``$size`` and ``$elemMatch`` look at the arrays themselves); an object
  ``$elemMatch`` sees an element that is an array as an object whose fields are its positions;
* ``{f: null}`` (and ``$gte``/``$lte`` null) matches null and missing; ``$ne``/``$nin``/``$not``
  are plain negations, so documents without the field match them;
* ranges only compare values of the operand's kind (type bracketing);
* sort keys: the smallest (ascending) or largest (descending) value reached, array elements
  counted one by one, missing as null, an empty array below null. An all-digit segment that is
  a position within the array met selects that element alone (MongoDB's sort keys come from its
  index key generator, which does so); otherwise it is a field name of the array's object
  elements. The element at a position is one value: an array there sorts as an array (an empty
  one below null). Where MongoDB refuses to sort (an array whose object elements also have a
  field of that name), the position wins.
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
    RANK_ARRAY,
    RANK_DATE,
    RANK_STRING,
    SortValue,
    compare_scalars,
    sort_value,
    values_equal,
)
from lrs.query.paths import array_position
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
    for found, _ in _walk(value, segments):
        yield found


def _walk(value: Any, segments: tuple[str, ...]) -> Iterator[tuple[Any, bool]]:
    """``(value reached, expandable)``: False for an element taken by position at the path's end
    (MongoDB does not expand an array found there)."""
    if not segments:
        yield value, True
        return
    if isinstance(value, Mapping):
        head = segments[0]
        if head in value:
            yield from _walk(value[head], segments[1:])
        else:
            yield MISSING, True
    elif isinstance(value, list | tuple):
        yield from _walk_array(value, segments)
    else:
        yield MISSING, True


def _walk_array(
    array: list[Any] | tuple[Any, ...], segments: tuple[str, ...]
) -> Iterator[tuple[Any, bool]]:
    """An array met with ``segments`` still to go: object elements take the whole rest as field
    names; the element at the position the first segment names (if any) takes what follows it."""
    position = array_position(segments[0])
    rest = segments[1:]
    for index, element in enumerate(array):
        if isinstance(element, Mapping):
            yield from _walk(element, segments)
            if index == position:
                if rest:
                    yield from _walk(element, rest)
                else:
                    yield element, False
        elif index == position:
            if not rest:
                yield element, False
            elif isinstance(element, list | tuple):
                yield from _walk_array(element, rest)


def _expanded(doc: Any, path: Path) -> Iterator[Any]:
    """Values reached, plus the elements of arrays reached at the end of the path."""
    if path.is_element:
        yield doc
        return
    for value, expandable in _walk(doc, path.segments):
        if expandable and isinstance(value, list | tuple):
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
        # MongoDB treats an array element as an object whose fields are its positions.
        return matches(inner, positions_object(element))
    return False


def positions_object(array: list[Any] | tuple[Any, ...]) -> dict[str, Any]:
    """An array as the object MongoDB sees in its place: ``{"0": first, "1": second, ...}``."""
    return {str(index): element for index, element in enumerate(array)}


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
    for found, positional in _sort_walk(doc, path.segments):
        if found is MISSING:
            keys.append(NULL_KEY)
        elif positional and isinstance(found, list | tuple):
            keys.append(SortValue(RANK_ARRAY) if found else EMPTY_ARRAY_KEY)
        elif isinstance(found, list | tuple):
            if found:
                keys.extend(sort_value(element) for element in found)
            else:
                keys.append(EMPTY_ARRAY_KEY)
        else:
            keys.append(sort_value(found))
    return keys or [NULL_KEY]


def _sort_walk(value: Any, segments: tuple[str, ...]) -> Iterator[tuple[Any, bool]]:
    """``(value, taken by position at the path's end)`` for sort keys: like :func:`yields`, but a
    position within the array met selects that element alone."""
    if not segments:
        yield value, False
    elif isinstance(value, Mapping):
        if segments[0] in value:
            yield from _sort_walk(value[segments[0]], segments[1:])
        else:
            yield MISSING, False
    elif isinstance(value, list | tuple):
        position = array_position(segments[0])
        if position is not None and position < len(value):
            if len(segments) == 1:
                yield value[position], True
            else:
                yield from _sort_walk(value[position], segments[1:])
        else:
            for element in value:
                if isinstance(element, Mapping):
                    yield from _sort_walk(element, segments)
    else:
        yield MISSING, False


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
