"""Expressions in SQL: field paths, literals, object expressions and the date operators
(``$year``... and ``$dateToString``, in a constant time zone)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from lrs.aggregate import ast
from lrs.aggregate.dates import zone
from lrs.aggregate.parse import DEFAULT_DATE_FORMAT
from lrs.aggregate.sql.nodes import (
    Unsupported,
    _Bucketed,
    _Document,
    _Instant,
    _Integer,
    _Json,
    _jsonb_literal,
    _Node,
    _Object,
    _Text,
)

_DATE_FIELDS = {
    "$year": "year",
    "$month": "month",
    "$dayOfMonth": "day",
    "$dayOfYear": "doy",
    "$hour": "hour",
    "$minute": "minute",
    "$isoWeek": "week",
    "$isoWeekYear": "isoyear",
    "$isoDayOfWeek": "isodow",
}


_TO_CHAR = {
    "Y": "YYYY",
    "m": "MM",
    "d": "DD",
    "H": "HH24",
    "M": "MI",
    "S": "SS",
    "L": "MS",
    "j": "DDD",
    "V": "IW",
    "G": "IYYY",
    "u": "ID",
}


def _local(instant: sa.ColumnElement[Any], timezone: ast.Expr | None) -> sa.ColumnElement[Any]:
    """The wall-clock ``timestamp`` of an instant in a time zone (a constant one only)."""
    if timezone is None:
        name = "UTC"
    elif isinstance(timezone, ast.Literal_) and isinstance(timezone.value, str):
        name = timezone.value
    else:
        raise Unsupported("a time zone that is not a constant")
    tz = zone(name)  # refuses unknown names with a 400, as the evaluator does
    offset = getattr(tz, "utcoffset", None)
    if hasattr(tz, "key"):  # an IANA zone: PostgreSQL has the same database
        return sa.func.timezone(sa.literal(tz.key, sa.Text()), instant)
    delta = offset(None) if offset is not None else None
    assert delta is not None
    utc = sa.func.timezone(sa.literal("UTC", sa.Text()), instant)
    return utc if not delta else utc + sa.literal(delta, sa.Interval())


def _date_part(name: str, local: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    if name in _DATE_FIELDS:
        value = sa.func.date_part(_DATE_FIELDS[name], local)
    elif name == "$dayOfWeek":
        value = sa.func.date_part("dow", local) + 1
    elif name == "$second":
        value = sa.func.floor(sa.func.date_part("second", local))
    elif name == "$millisecond":
        value = sa.func.floor(sa.func.date_part("milliseconds", local)) % 1000
    elif name == "$week":  # Sunday weeks, days before the first Sunday in week 0 (%U)
        value = sa.func.floor(
            (sa.func.date_part("doy", local) - 1 + 7 - sa.func.date_part("dow", local)) / 7
        )
    else:
        raise Unsupported(name)
    return sa.cast(value, sa.Integer())


def _format(form: str, local: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``$dateToString``: runs of codes ``to_char`` knows and literal text become one
    ``to_char`` template (the text double-quoted), ``%w`` and ``%U`` are computed."""
    pieces: list[sa.ColumnElement[Any]] = []
    template: list[str] = []

    def flush() -> None:
        if template:
            pieces.append(sa.func.to_char(local, sa.literal("".join(template), sa.Text())))
            template.clear()

    index = 0
    while index < len(form):
        char = form[index]
        code = form[index + 1] if char == "%" else None
        index += 1 if code is None else 2
        if code is None or code == "%":
            text = "%" if code == "%" else char
            template.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif code in _TO_CHAR:
            template.append(_TO_CHAR[code])
        elif code == "w":
            flush()
            pieces.append(
                sa.cast(sa.func.date_part("dow", local) + 1, sa.Integer()).cast(sa.Text())
            )
        elif code == "U":
            flush()
            week = sa.cast(
                sa.func.floor(
                    (sa.func.date_part("doy", local) - 1 + 7 - sa.func.date_part("dow", local)) / 7
                ),
                sa.Integer(),
            )
            pieces.append(sa.func.lpad(week.cast(sa.Text()), 2, "0"))
        else:  # %z and %Z need the zone's offset at each instant
            raise Unsupported(f"%{code}")
    flush()
    if not pieces:
        return sa.literal("", sa.Text())
    return pieces[0] if len(pieces) == 1 else sa.func.concat(*pieces)


#: ``$dateToString`` codes by the finest unit they read.
_CODE_UNITS = {
    "Y": "year",
    "m": "month",
    **dict.fromkeys("djwuUVG", "day"),
    "H": "hour",
    "M": "minute",
    "S": "second",
    "L": "milliseconds",
}


_UNITS = ("year", "month", "day", "hour", "minute", "second", "milliseconds")


#: The codes that together tell an instant truncated to a unit from every other (any one set).
_IDENTIFYING = {
    "year": ({"Y"},),
    "month": ({"Y", "m"},),
    "day": ({"Y", "m", "d"}, {"Y", "j"}, {"G", "V", "u"}),
}


def _bucket_unit(form: str) -> str | None:
    """The unit to truncate instants to when a format is one-to-one with the truncated
    instant (``%Y-%m-%d``: days), so rows group by the instant and the text is made per
    group; None when it is not (``%m`` alone, ``%z``)."""
    codes: set[str] = set()
    index = 0
    while index < len(form):
        if form[index] == "%" and index + 1 < len(form):
            if form[index + 1] != "%":
                codes.add(form[index + 1])
            index += 2
        else:
            index += 1
    if not codes or not codes <= set(_CODE_UNITS):
        return None
    unit = max((_CODE_UNITS[code] for code in codes), key=_UNITS.index)
    level = _UNITS.index(unit)
    date_unit = _UNITS[min(level, _UNITS.index("day"))]
    if not any(identifying <= codes for identifying in _IDENTIFYING[date_unit]):
        return None
    for time_unit, code in (("hour", "H"), ("minute", "M"), ("second", "S"), ("milliseconds", "L")):
        if _UNITS.index(time_unit) <= level and code not in codes:
            return None
    return unit


def _expression(expr: ast.Expr, document: _Document) -> _Node:
    if isinstance(expr, ast.FieldRef):
        return document.resolve(expr.path.segments)
    if isinstance(expr, ast.Literal_):
        if not isinstance(expr.value, str | int | float | bool) and expr.value is not None:
            raise Unsupported("a literal that is not a scalar")
        return _Json(_jsonb_literal(expr.value))
    if isinstance(expr, ast.ObjectExpr):
        return _Object(tuple((key, _expression(value, document)) for key, value in expr.fields))
    if isinstance(expr, ast.DatePart | ast.DateToString):
        date = _expression(expr.date, document)
        if not isinstance(date, _Instant):
            raise Unsupported("a date operator on something that is not timestamp or stored")
        local = _local(date.expr, expr.timezone)
        if isinstance(expr, ast.DatePart):
            return _Integer(_date_part(expr.name, local))
        form = expr.format or DEFAULT_DATE_FORMAT
        unit = _bucket_unit(form)
        if unit is None:
            return _Text(_format(form, local))
        return _Bucketed(sa.func.date_trunc(unit, local), lambda bucket: _format(form, bucket))
    raise Unsupported(type(expr).__name__)
