"""Value semantics shared by the evaluator and the cursors: type kinds, equality, sort values.

The rules are MongoDB's, restricted to the values a JSON document (plus top-level datetimes)
can hold, and pinned to what PostgreSQL's ``jsonb`` computes so both stores agree:

* numbers compare by their decimal value: an ``int`` as itself, a ``float`` as the shortest
  decimal that round-trips (what JSON serialisation writes and ``jsonb``'s ``numeric`` reads);
  ``bool`` is never a number;
* strings compare by code point;
* objects are equal when they have the same keys with equal values, in any order (``jsonb``
  forgets key order; MongoDB would also compare the order);
* the sort order of kinds is MongoDB's: empty array (as a sort key) < null/missing < numbers <
  strings < objects < arrays < booleans < dates. Two objects, or two arrays met as elements of an
  array, sort as equal (MongoDB compares them field by field); later sort keys break the tie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypeAlias

Kind: TypeAlias = Literal["null", "number", "string", "object", "array", "boolean", "date"]

RANK_EMPTY_ARRAY = 0
RANK_NULL = 1
RANK_NUMBER = 2
RANK_STRING = 3
RANK_OBJECT = 4
RANK_ARRAY = 5
RANK_BOOLEAN = 6
RANK_DATE = 7

_RANK_OF_KIND: dict[Kind, int] = {
    "null": RANK_NULL,
    "number": RANK_NUMBER,
    "string": RANK_STRING,
    "object": RANK_OBJECT,
    "array": RANK_ARRAY,
    "boolean": RANK_BOOLEAN,
    "date": RANK_DATE,
}


def kind(value: Any) -> Kind:
    """The kind (type bracket) of a document value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, datetime):
        return "date"
    raise TypeError(f"not a document value: {type(value).__name__}")


def to_decimal(number: int | float | Decimal) -> Decimal:
    """The decimal value PostgreSQL's ``numeric`` sees for this JSON number."""
    if isinstance(number, Decimal):
        return number
    if isinstance(number, float):
        return Decimal(repr(number))
    return Decimal(number)


def values_equal(left: Any, right: Any) -> bool:
    """MongoDB equality of two values (key order of objects ignored, as in ``jsonb``)."""
    left_kind, right_kind = kind(left), kind(right)
    if left_kind != right_kind:
        return False
    if left_kind == "number":
        return to_decimal(left) == to_decimal(right)
    if left_kind == "array":
        return len(left) == len(right) and all(
            values_equal(a, b) for a, b in zip(left, right, strict=True)
        )
    if left_kind == "object":
        return left.keys() == right.keys() and all(values_equal(left[k], right[k]) for k in left)
    return bool(left == right)


def compare_scalars(left: Any, right: Any) -> int | None:
    """-1/0/1 for two scalars of the same kind, None when the kinds differ (type bracketing)."""
    left_kind, right_kind = kind(left), kind(right)
    if left_kind != right_kind or left_kind in ("array", "object"):
        return None
    if left_kind == "null":
        return 0
    if left_kind == "number":
        left, right = to_decimal(left), to_decimal(right)
    return (left > right) - (left < right)


@dataclass(frozen=True, order=True, slots=True)
class SortValue:
    """A value reduced to what the sort order sees: its rank, then a payload of one type.

    The payload is a ``Decimal`` (numbers), ``str`` (strings), ``bool``, ``datetime``, or
    ``None`` (empty array, null/missing, objects and arrays, which tie within their rank).
    """

    rank: int
    payload: Decimal | str | bool | datetime | None = None


EMPTY_ARRAY_KEY = SortValue(RANK_EMPTY_ARRAY)
NULL_KEY = SortValue(RANK_NULL)


def sort_value(value: Any) -> SortValue:
    """The sort value of one element (an array here is an element of an array: rank "array")."""
    value_kind = kind(value)
    rank = _RANK_OF_KIND[value_kind]
    if value_kind == "number":
        return SortValue(rank, to_decimal(value))
    if value_kind in ("string", "boolean", "date"):
        return SortValue(rank, value)
    return SortValue(rank)
