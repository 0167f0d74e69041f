"""Evaluating pipeline expressions against one document, with MongoDB's rules.

A field path that reaches nothing is ``MISSING`` (not null): ``$ifNull`` and ``$group`` keys
treat both alike, a computed ``$project`` field that is missing is left out, and comparisons
order missing before null. Through arrays a path maps over the elements
(``"$statement.context.contextActivities.parent.id"`` is the array of the parents' ids); an
all-digit segment is a field name there, as in MongoDB's expressions. An operator given a value
it cannot take (``$add`` of a string, ``$size`` of a non-array) is a ``BadQuery`` naming it:
MongoDB fails the whole aggregation the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from lrs.aggregate import ast
from lrs.aggregate.dates import date_part, format_date, zone
from lrs.aggregate.values import MISSING, compare, is_number, is_true, type_name
from lrs.core.errors import BadQuery

_INT64 = 2**63


def resolve(value: Any, segments: tuple[str, ...]) -> Any:
    """The value of a field path in ``value`` (``MISSING`` when it reaches nothing)."""
    if not segments:
        return value
    if isinstance(value, Mapping):
        head = segments[0]
        return resolve(value[head], segments[1:]) if head in value else MISSING
    if isinstance(value, list):
        found = []
        for element in value:
            if isinstance(element, Mapping | list):
                item = resolve(element, segments)
                if item is not MISSING:
                    found.append(item)
        return found
    return MISSING


def _fail(name: str, message: str) -> BadQuery:
    return BadQuery(f"{name}: {message}", field=name)


def _number(value: Any) -> int | float:
    """An int that overflowed int64 becomes a float, as MongoDB's long becomes a double."""
    if isinstance(value, int) and not -_INT64 <= value < _INT64:
        return float(value)
    return value


def evaluate(expr: ast.Expr, doc: Any) -> Any:
    """The value of ``expr`` for ``doc`` (``MISSING`` possible)."""
    if isinstance(expr, ast.FieldRef):
        return resolve(doc, expr.path.segments)
    if isinstance(expr, ast.Literal_):
        return expr.value
    if isinstance(expr, ast.ObjectExpr):
        built = {}
        for key, item in expr.fields:
            value = evaluate(item, doc)
            if value is not MISSING:
                built[key] = value
        return built
    if isinstance(expr, ast.ArrayExpr):
        return [_null_if_missing(evaluate(item, doc)) for item in expr.items]
    if isinstance(expr, ast.DatePart):
        instant = _date_arg(expr.name, expr.date, expr.timezone, doc)
        return None if instant is None else date_part(expr.name, instant)
    if isinstance(expr, ast.DateToString):
        instant = _date_arg("$dateToString", expr.date, expr.timezone, doc)
        if instant is None:
            return None if expr.on_null is None else evaluate(expr.on_null, doc)
        return format_date(expr.format, instant)
    return _operator(expr, doc)


def _null_if_missing(value: Any) -> Any:
    return None if value is MISSING else value


def _date_arg(name: str, date: ast.Expr, timezone: ast.Expr | None, doc: Any) -> datetime | None:
    value = evaluate(date, doc)
    if value is MISSING or value is None:
        return None
    if not isinstance(value, datetime):
        raise _fail(
            name,
            f"can't convert from {type_name(value)} to a date (in statement documents only "
            "the top-level timestamp and stored are dates; statement.timestamp is a string)",
        )
    if timezone is None:
        return value.astimezone(UTC)
    zone_name = evaluate(timezone, doc)
    if zone_name is MISSING or zone_name is None:
        return value.astimezone(UTC)
    if not isinstance(zone_name, str):
        raise _fail(name, f"timezone must be a string, not {type_name(zone_name)}")
    return value.astimezone(zone(zone_name, f"{name}.timezone"))


def _operator(expr: ast.Op, doc: Any) -> Any:
    name = expr.name
    if name == "$cond":
        condition, then, otherwise = expr.args
        return evaluate(then if is_true(evaluate(condition, doc)) else otherwise, doc)
    if name == "$ifNull":
        *candidates, replacement = expr.args
        for candidate in candidates:
            value = evaluate(candidate, doc)
            if value is not MISSING and value is not None:
                return value
        return evaluate(replacement, doc)
    if name == "$and":
        return all(is_true(evaluate(arg, doc)) for arg in expr.args)
    if name == "$or":
        return any(is_true(evaluate(arg, doc)) for arg in expr.args)
    args = [evaluate(arg, doc) for arg in expr.args]
    if name == "$not":
        return not is_true(args[0])
    if name in _COMPARISONS:
        return _COMPARISONS[name](compare(args[0], args[1]))
    return _CALCULATIONS[name](args)


_COMPARISONS = {
    "$eq": lambda order: order == 0,
    "$ne": lambda order: order != 0,
    "$gt": lambda order: order > 0,
    "$gte": lambda order: order >= 0,
    "$lt": lambda order: order < 0,
    "$lte": lambda order: order <= 0,
    "$cmp": lambda order: order,
}


def _nullish(values: list[Any]) -> bool:
    return any(value is MISSING or value is None for value in values)


def _add(args: list[Any]) -> Any:
    if _nullish(args):
        return None
    dates = [arg for arg in args if isinstance(arg, datetime)]
    for arg in args:
        if not isinstance(arg, datetime) and not is_number(arg):
            raise _fail("$add", f"only numbers and dates can be added, not {type_name(arg)}")
    if len(dates) > 1:
        raise _fail("$add", "only one date can be added to numbers")
    total = sum(arg for arg in args if not isinstance(arg, datetime))
    if dates:
        return dates[0] + timedelta(milliseconds=round(total))
    return _number(total)


def _subtract(args: list[Any]) -> Any:
    left, right = args
    if _nullish(args):
        return None
    if isinstance(left, datetime) and isinstance(right, datetime):
        return round((left - right) / timedelta(milliseconds=1))
    if isinstance(left, datetime) and is_number(right):
        return left - timedelta(milliseconds=round(right))
    if is_number(left) and is_number(right):
        return _number(left - right)
    raise _fail("$subtract", f"can't subtract {type_name(right)} from {type_name(left)}")


def _multiply(args: list[Any]) -> Any:
    if _nullish(args):
        return None
    product: int | float = 1
    for arg in args:
        if not is_number(arg):
            raise _fail("$multiply", f"only numbers can be multiplied, not {type_name(arg)}")
        product *= arg
    return _number(product)


def _numbers(name: str, args: list[Any]) -> list[int | float] | None:
    if _nullish(args):
        return None
    for arg in args:
        if not is_number(arg):
            raise _fail(name, f"takes numbers, not {type_name(arg)}")
    return args


def _divide(args: list[Any]) -> Any:
    numbers = _numbers("$divide", args)
    if numbers is None:
        return None
    if numbers[1] == 0:
        raise _fail("$divide", "can't divide by zero")
    return numbers[0] / numbers[1]


def _mod(args: list[Any]) -> Any:
    numbers = _numbers("$mod", args)
    if numbers is None:
        return None
    left, right = numbers
    if right == 0:
        raise _fail("$mod", "can't take a remainder of division by zero")
    remainder = math.fmod(left, right)  # the sign of the dividend, as MongoDB
    if isinstance(left, int) and isinstance(right, int):
        return int(remainder)
    return remainder


def _abs(args: list[Any]) -> Any:
    numbers = _numbers("$abs", args)
    return None if numbers is None else _number(abs(numbers[0]))


def _round(args: list[Any]) -> Any:
    numbers = _numbers("$round", args)
    if numbers is None:
        return None
    value, place = numbers[0], numbers[1] if len(numbers) > 1 else 0
    if not isinstance(place, int) or not -20 < place < 100:
        raise _fail("$round", "the place must be an integer between -20 and 100")
    if isinstance(value, int) and place >= 0:
        return value
    rounded = round(value, place)  # half to even, as MongoDB
    return int(rounded) if isinstance(value, int) else float(rounded)


def _concat(args: list[Any]) -> Any:
    if _nullish(args):
        return None
    for arg in args:
        if not isinstance(arg, str):
            raise _fail("$concat", f"only strings can be concatenated, not {type_name(arg)}")
    return "".join(args)


def _case(name: str, upper: bool) -> Any:
    def convert(args: list[Any]) -> Any:
        value = args[0]
        if value is MISSING or value is None:
            return ""
        text = value if isinstance(value, str) else _to_string([value], name)
        return text.upper() if upper else text.lower()

    return convert


def _substr(args: list[Any]) -> Any:
    value, start, count = args
    if value is MISSING or value is None:
        return ""
    if not isinstance(value, str):
        value = _to_string([value], "$substrCP")
    for what, number in (("start", start), ("length", count)):
        if not is_number(number) or number != int(number) or number < 0:
            raise _fail("$substrCP", f"the {what} must be a non-negative integer")
    return value[int(start) : int(start) + int(count)]


def _strlen(args: list[Any]) -> Any:
    if not isinstance(args[0], str):
        raise _fail("$strLenCP", f"takes a string, not {type_name(args[0])}")
    return len(args[0])


def _size(args: list[Any]) -> Any:
    if not isinstance(args[0], list):
        raise _fail("$size", f"takes an array, not {type_name(args[0])}")
    return len(args[0])


def _element_at(args: list[Any]) -> Any:
    array, index = args
    if _nullish(args):
        return None
    if not isinstance(array, list):
        raise _fail("$arrayElemAt", f"takes an array first, not {type_name(array)}")
    if not is_number(index) or index != int(index):
        raise _fail("$arrayElemAt", "the index must be an integer")
    position = int(index)
    if -len(array) <= position < len(array):
        return array[position]
    return MISSING


def _in(args: list[Any]) -> Any:
    value, array = args
    if not isinstance(array, list):
        raise _fail("$in", f"takes an array second, not {type_name(array)}")
    return any(compare(value, item) == 0 for item in array)


def _format_double(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _to_string(args: list[Any], name: str = "$toString") -> Any:
    value = args[0]
    if value is MISSING or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _format_double(value)
    if isinstance(value, datetime):
        return format_date("%Y-%m-%dT%H:%M:%S.%LZ", value.astimezone(UTC))
    raise _fail(name, f"can't convert {type_name(value)} to a string")


_CALCULATIONS = {
    "$add": _add,
    "$subtract": _subtract,
    "$multiply": _multiply,
    "$divide": _divide,
    "$mod": _mod,
    "$abs": _abs,
    "$round": _round,
    "$concat": _concat,
    "$toLower": _case("$toLower", upper=False),
    "$toUpper": _case("$toUpper", upper=True),
    "$substrCP": _substr,
    "$strLenCP": _strlen,
    "$size": _size,
    "$arrayElemAt": _element_at,
    "$in": _in,
    "$type": lambda args: type_name(args[0]),
    "$toString": _to_string,
}
