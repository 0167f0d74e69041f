"""MongoDB's value rules inside a pipeline: the full comparison order, truthiness, ``$type``
names, and group keys that compare by value.

Values are what the statement documents hold (JSON values, with ``timestamp`` and ``stored``
as aware ``datetime``) plus ``MISSING`` for an absent field. The comparison order is BSON's:
missing < null < numbers < strings < objects < arrays < booleans < dates; numbers compare by
value across int and float; objects field by field (name, then value), arrays element by
element, a shorter one first when it is a prefix of the other.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from lrs.query.evaluate import MISSING
from lrs.query.ordering import to_decimal

__all__ = [
    "MISSING",
    "compare",
    "group_key",
    "is_number",
    "is_true",
    "type_name",
]

_RANK_MISSING = 0
_RANK_NULL = 1


def is_number(value: Any) -> bool:
    """True for a JSON number (a boolean is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rank(value: Any) -> int:
    if value is MISSING:
        return _RANK_MISSING
    if value is None:
        return _RANK_NULL
    if isinstance(value, bool):
        return 6
    if isinstance(value, int | float | Decimal):
        return 2
    if isinstance(value, str):
        return 3
    if isinstance(value, dict):
        return 4
    if isinstance(value, list | tuple):
        return 5
    if isinstance(value, datetime):
        return 7
    raise TypeError(f"not a document value: {type(value).__name__}")


def _sign(left: Any, right: Any) -> int:
    return (left > right) - (left < right)


def compare(left: Any, right: Any) -> int:
    """-1, 0 or 1: MongoDB's order of two values (see the module docstring)."""
    return _sign(sort_key(left), sort_key(right))


def sort_key(value: Any) -> tuple[Any, ...]:
    """A key whose Python order is MongoDB's order of the values: by type rank, then numbers by
    value, strings by code point, objects field by field (value rank, name, value), arrays
    element by element, a shorter prefix first. Sorts compute it once per document."""
    rank = _rank(value)
    if rank == 2:
        return (2, to_decimal(value))
    if rank in (3, 6, 7):
        return (rank, value)
    if rank == 4:
        return (4, tuple((_rank(item), key, sort_key(item)) for key, item in value.items()))
    if rank == 5:
        return (5, tuple(sort_key(item) for item in value))
    return (rank,)


def is_true(value: Any) -> bool:
    """Aggregation truthiness: false, null, missing and numeric zero are false."""
    if value is MISSING or value is None or value is False:
        return False
    if is_number(value):
        return value != 0
    return True


def type_name(value: Any) -> str:
    """``$type``: MongoDB's type alias of a value."""
    if value is MISSING:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -(2**31) <= value < 2**31 else "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, datetime):
        return "date"
    raise TypeError(f"not a document value: {type(value).__name__}")


def group_key(value: Any) -> Any:
    """A hashable stand-in for a group ``_id`` that is equal exactly when MongoDB would put
    two documents in one group: numbers by value, objects by their fields in any order (as
    ``jsonb`` compares them), missing as null."""
    if value is MISSING or value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("bool", value)
    if is_number(value):
        return ("number", to_decimal(value).normalize())
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, datetime):
        return ("date", value)
    if isinstance(value, dict):
        return ("object", frozenset((key, group_key(item)) for key, item in value.items()))
    return ("array", tuple(group_key(item) for item in value))
