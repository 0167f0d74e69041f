"""``$group`` accumulators other than ``$first``/``$last`` as SQL aggregates, with
MongoDB's rules: ``$sum`` ignores what is not a number, ``$avg`` of nothing is null, ``$min``/
``$max`` in BSON type order."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from lrs.aggregate import ast
from lrs.aggregate.sql.nodes import (
    _EMPTY_ARRAY,
    _NULL_JSON,
    Unsupported,
    _as_jsonb,
    _Instant,
    _Node,
)


def _bson_order(value: sa.ColumnElement[Any], descending: bool) -> list[Any]:
    """ORDER BY terms that sort ``jsonb`` values in MongoDB's type order (within a type:
    numbers by value, strings by code point, booleans, then ``jsonb``'s own order)."""
    kind = sa.func.jsonb_typeof(value)
    rank = sa.case(
        (kind == "number", 2),
        (kind == "string", 3),
        (kind == "object", 4),
        (kind == "array", 5),
        (kind == "boolean", 6),
        else_=1,
    )
    number = sa.case((kind == "number", sa.cast(value, sa.Numeric())))
    text = sa.collate(
        sa.case(
            (
                kind == "string",
                value.op("#>>", return_type=sa.Text())(sa.literal_column("'{}'::text[]")),
            )
        ),
        "C",
    )
    boolean = sa.case((kind == "boolean", sa.cast(value, sa.Boolean())))
    terms = [rank, number, text, boolean, value]
    return [term.desc() if descending else term.asc() for term in terms]


def _is_number(value: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    return sa.func.jsonb_typeof(value) == "number"


def _accumulate(
    accumulator: ast.Accumulator,
    node: _Node,
    order: tuple[sa.ColumnElement[Any], ...],
) -> tuple[sa.ColumnElement[Any], bool]:
    """The aggregate of one accumulator over the inner column ``node``; True when it yields an
    instant (as epoch microseconds)."""
    name = accumulator.name
    if isinstance(node, _Instant):
        micros = _epoch_micros(node.expr)
        if name not in ("$min", "$max"):
            raise Unsupported(f"{name} of an instant")
        return sa.func.to_jsonb((sa.func.min if name == "$min" else sa.func.max)(micros)), True
    value = _as_jsonb(node)
    if name == "$sum" and isinstance(accumulator.expr, ast.Literal_):
        constant = accumulator.expr.value
        if isinstance(constant, bool) or not isinstance(constant, int | float):
            return sa.func.to_jsonb(0), False
        if isinstance(constant, int):
            return sa.func.to_jsonb(sa.func.count() * constant), False
        return sa.func.to_jsonb(sa.func.sum(sa.cast(sa.literal(constant), sa.Float()))), False
    numeric = sa.cast(value, sa.Numeric())
    if name == "$sum":
        floats = sa.func.count().filter(sa.and_(_is_number(value), sa.func.scale(numeric) > 0))
        exact = sa.func.coalesce(sa.func.sum(numeric).filter(_is_number(value)), 0)
        approximate = sa.func.sum(sa.cast(value, sa.Float())).filter(_is_number(value))
        return sa.case(
            (floats == 0, sa.func.to_jsonb(exact)), else_=sa.func.to_jsonb(approximate)
        ), False
    if name == "$avg":
        average = sa.cast(sa.func.avg(numeric).filter(_is_number(value)), sa.Float())
        return sa.func.coalesce(sa.func.to_jsonb(average), _NULL_JSON), False
    present = sa.and_(value.is_not(None), value != _NULL_JSON)
    if name in ("$min", "$max"):
        ordered = _bson_order(value, descending=name == "$max")
        picked = sa.func.array_agg(aggregate_order_by(value, *ordered)).filter(present)[1]
        return sa.func.coalesce(picked, _NULL_JSON), False
    if name == "$push":
        pushed = sa.func.jsonb_agg(aggregate_order_by(value, *order)).filter(value.is_not(None))
        return sa.func.coalesce(pushed, _EMPTY_ARRAY), False
    if name == "$addToSet":
        distinct = sa.func.jsonb_agg(sa.distinct(value)).filter(value.is_not(None))
        return sa.func.coalesce(distinct, _EMPTY_ARRAY), False
    raise Unsupported(name)


def _epoch_micros(instant: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.cast(sa.func.floor(sa.func.date_part("epoch", instant) * 1_000_000), sa.BigInteger())
