"""Translating the heavy part of a pipeline to PostgreSQL.

What a Learning Locker report does with a million statements is filter them, reshape each one a
little and group them, sometimes grouping the groups again ("unique" counts):
``[$match...] [$unwind] [$project] $group [$group...]``. That part is translated here into one
grouping ``SELECT`` (the leading ``$match`` stages are the WHERE clause the store builds, on the
Connection API's indexes, over ``statements`` or ``statement_facts``); its output, one row per
group, is small, and the stages after it run in the Python evaluator. Whatever this module
cannot translate exactly raises ``Unsupported``, and the store then runs the whole pipeline in
Python over the matched documents: slower, never different.

Order. MongoDB's evaluator, and ours, see documents in the store's order (``stored``, then the
record id, then the position in an unwound array): ``$first``/``$last`` and the order of the
groups follow it. Carrying that order through the aggregation costs more than the grouping, so
the grouping query gives each group its first and last ``stored`` instants only, and a second
query (``Compiled.ends_at``) reads the rows stored at those instants (a batch shares one, so
they are few, found by the ``stored`` index) and keeps each group's first (last) row.

Inside the translation a value is ``jsonb`` with SQL NULL for a missing field, ``text`` or an
``integer`` where the value is known to be a string or a date part (cheaper to group by), a
truncated instant that a date format is made from once per group, or a ``timestamptz``
(``timestamp`` and ``stored``). Statement paths are translated only where the xAPI's shape
guarantees no array on the way (an array on the way makes MongoDB map the rest of the path over
its elements): not through ``contextActivities`` lists, group ``member`` lists, attachments,
interaction components, xAPI 2.0's ``contextAgents``/``contextGroups``, or inside extension
values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by

from lrs.aggregate import ast
from lrs.aggregate.dates import zone
from lrs.aggregate.parse import DEFAULT_DATE_FORMAT
from lrs.aggregate.values import group_key
from lrs.query.ast import Path

#: Statement properties whose value is an array (after normalisation) or may hold one.
_ARRAY_KEYS = frozenset(
    {
        "member",
        "parent",
        "grouping",
        "category",
        "other",
        "attachments",
        "choices",
        "scale",
        "source",
        "target",
        "steps",
        "correctResponsesPattern",
        "contextAgents",
        "contextGroups",
        "relevantTypes",
    }
)


class Unsupported(Exception):
    """This part of the pipeline has no exact translation here."""


@dataclass(frozen=True)
class StatementColumns:
    """What the store gives the translation: SQL for the fields of a statement document."""

    #: ``jsonb`` (NULL when missing) for a top-level field other than ``statement`` and the
    #: instants, by name (``_id``, ``voided``, the lookup arrays, ``person`` ...).
    fields: Mapping[str, Callable[[], sa.ColumnElement[Any]]]
    #: The ``statement`` column (``jsonb``); None when the source holds only some of its fields
    #: (``statement_facts``): then a path that none of the mappings below give is unavailable.
    statement: sa.ColumnElement[Any] | None
    #: ``timestamptz`` columns by name (``timestamp``, ``stored``).
    instants: Mapping[str, sa.ColumnElement[Any]]
    #: The natural order of the documents (what ``$first`` and ``$last`` follow).
    order: tuple[sa.ColumnElement[Any], ...]
    #: Sub-fields of synthetic objects by path (``person._id``), ``jsonb``.
    subfields: Mapping[tuple[str, ...], Callable[[], sa.ColumnElement[Any]]] = field(
        default_factory=dict
    )
    #: Paths whose value is a string wherever it is present (the xAPI's shape guarantees it),
    #: as ``text`` (NULL when missing): grouping by text is cheaper than by ``jsonb``, and
    #: PostgreSQL has statistics for the ones the filter indexes cover.
    texts: Mapping[tuple[str, ...], Callable[[], sa.ColumnElement[Any]]] = field(
        default_factory=dict
    )


@dataclass(frozen=True)
class Compiled:
    """The translated part, as two queries and how to put their rows together.

    ``groups`` has one row per group: ``doc`` (``jsonb``: ``_id`` and the accumulators that do
    not depend on the documents' order), ``key`` (the group key, ``jsonb``), ``first_at`` and
    ``last_at`` (when the group's first and last documents were stored). ``rows_at(instants)``
    selects the matched rows stored at those instants, in the documents' order, each with its
    ``key``, ``at`` (stored) and ``picked`` (``jsonb``: the ``$first``/``$last`` fields' values
    in that row): the first (last) row of a group is among them, and they are few, where
    carrying every row's values through the aggregation would cost more than the grouping.
    ``assemble`` does the rest.
    """

    groups: sa.Select[Any]
    ends_at: Callable[..., sa.Select[Any]]
    firsts: tuple[str, ...]
    lasts: tuple[str, ...]
    #: How many stages (after the leading ``$match`` stages) the translation covers.
    consumed: int
    #: Top-level fields of the group documents that hold an instant as epoch microseconds.
    instant_fields: frozenset[str]


# --- values -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Json:
    expr: sa.ColumnElement[Any]  # jsonb, NULL = missing


@dataclass(frozen=True)
class _Instant:
    expr: sa.ColumnElement[Any]  # timestamptz, never NULL


@dataclass(frozen=True)
class _Text:
    expr: sa.ColumnElement[Any]  # text, NULL = missing; the value is a string where present


@dataclass(frozen=True)
class _Integer:
    expr: sa.ColumnElement[Any]  # integer, never NULL (a date part)


@dataclass(frozen=True)
class _Bucketed:
    """A formatted date that is one-to-one with a truncated instant: grouped by the truncated
    ``timestamp`` (cheap), formatted (``render``, to text) once per group."""

    expr: sa.ColumnElement[Any]
    render: Callable[[sa.ColumnElement[Any]], sa.ColumnElement[Any]]


@dataclass(frozen=True)
class _Unavailable:
    """A value the source does not hold: the query that needs it cannot be built there."""

    path: tuple[str, ...]


@dataclass(frozen=True)
class _Object:
    fields: tuple[tuple[str, _Node], ...]
    #: A level a ``$project`` made for a dotted path: missing when none of its fields is there
    #: (the evaluator only makes the parents of values it sets); an object expression instead
    #: is ``{}`` then.
    missing_if_empty: bool = False


_Node = _Json | _Text | _Integer | _Bucketed | _Instant | _Object | _Unavailable


def _jsonb_literal(value: Any) -> sa.ColumnElement[Any]:
    return sa.cast(sa.literal(orjson.dumps(value).decode(), sa.Text()), JSONB)


_NULL_JSON = sa.literal_column("'null'::jsonb")
_EMPTY_ARRAY = sa.literal_column("'[]'::jsonb")


def _as_jsonb(node: _Node) -> sa.ColumnElement[Any]:
    """A node as ``jsonb`` (NULL when missing); an instant inside an object is refused (it
    would come out as text, where MongoDB keeps a date)."""
    if isinstance(node, _Json):
        return node.expr
    if isinstance(node, _Text | _Integer):
        return sa.func.to_jsonb(node.expr)
    if isinstance(node, _Bucketed):
        return sa.func.to_jsonb(node.render(node.expr))
    if isinstance(node, _Instant):
        raise Unsupported("an instant inside a built value")
    if isinstance(node, _Unavailable):
        raise Unsupported(f"{'.'.join(node.path)} is not in the source")
    if not isinstance(node, _Object):
        raise Unsupported("a $first/$last of a lower $group outside a $first/$last")
    pairs: list[Any] = []
    missing: list[Any] = []
    for key, child in node.fields:
        expr = _as_jsonb(child)
        pairs += [sa.literal(key, sa.Text()), expr]
        if not isinstance(child, _Object) or child.missing_if_empty:
            missing.append(sa.case((expr.is_(None), sa.literal(key, sa.Text()))))
    built = sa.func.jsonb_build_object(*pairs, type_=JSONB)
    if missing:
        names = sa.cast(postgresql.array(missing), sa.ARRAY(sa.Text()))
        built = built.op("-", return_type=JSONB)(names)
    if node.missing_if_empty:
        built = sa.func.nullif(built, sa.literal_column("'{}'::jsonb"))
    return built


# --- documents --------------------------------------------------------------------------------


class _Base:
    """The statement document of the current row (and what ``$unwind`` replaced in it)."""

    def __init__(self, columns: StatementColumns) -> None:
        self.columns = columns
        self.unwound: dict[tuple[str, ...], sa.ColumnElement[Any]] = {}
        self.extra: dict[str, _Node] = {}

    def resolve(self, segments: tuple[str, ...]) -> _Node:
        if not segments:
            raise Unsupported("$$ROOT")
        for path, element in self.unwound.items():
            if segments[: len(path)] == path:
                rest = segments[len(path) :]
                if not rest:
                    return _Json(element)
                return _Json(_path(element, rest))
        text = self.columns.texts.get(segments)
        if text is not None:
            return _Text(text())
        head = segments[0]
        if head in self.extra and len(segments) == 1:
            return self.extra[head]
        if head in self.columns.instants:
            if len(segments) > 1:
                return _Json(sa.null().cast(JSONB))
            return _Instant(self.columns.instants[head])
        sub = self.columns.subfields.get(segments)
        if sub is not None:
            return _Json(sub())
        statement = self.columns.statement
        if statement is None:
            if head in self.columns.fields and len(segments) == 1:
                return _Json(self.columns.fields[head]())
            return _Unavailable(segments)
        if head == "statement":
            rest = segments[1:]
            _check_statement_path(rest)
            if not rest:
                return _Json(statement)
            return _Json(_path(statement, rest))
        if head in self.columns.fields:
            if len(segments) > 1 and any(path[0] == head for path in self.columns.subfields):
                return _Json(_path(self.columns.fields[head](), segments[1:]))
            if len(segments) > 1:
                raise Unsupported(f"a path into {head}")
            return _Json(self.columns.fields[head]())
        return _Json(sa.null().cast(JSONB))  # a field statement documents never have


class _Projected:
    """The document a ``$project`` built: its fields as nodes."""

    def __init__(self, fields: dict[str, _Node], sources: dict[str, ast.Expr]) -> None:
        self.fields = fields
        #: The expression each top-level field was computed from (to spot equal ones).
        self.sources = sources

    def resolve(self, segments: tuple[str, ...]) -> _Node:
        if not segments:
            raise Unsupported("$$ROOT")
        node: _Node | None = self.fields.get(segments[0])
        if node is None:
            return _Json(sa.null().cast(JSONB))
        for depth, segment in enumerate(segments[1:], start=1):
            if isinstance(node, _Object):
                node = dict(node.fields).get(segment)
                if node is None:
                    return _Json(sa.null().cast(JSONB))
            elif isinstance(node, _Instant | _Text | _Integer | _Bucketed):
                return _Json(sa.null().cast(JSONB))
            elif isinstance(node, _Unavailable):
                return _Unavailable(segments)
            else:
                raise Unsupported(f"a path into a projected value ({'.'.join(segments[:depth])})")
        return node


_Document = _Base | _Projected


def _path(document: sa.ColumnElement[Any], segments: tuple[str, ...]) -> sa.ColumnElement[Any]:
    return document.op("#>", return_type=JSONB)(sa.literal(list(segments), sa.ARRAY(sa.Text())))


def _check_statement_path(segments: tuple[str, ...]) -> None:
    for index, segment in enumerate(segments[:-1]):
        if segment in _ARRAY_KEYS:
            raise Unsupported(f"a path through the array {segment}")
        if segment == "extensions" and len(segments) > index + 2:
            raise Unsupported("a path inside an extension value")


# --- expressions ------------------------------------------------------------------------------

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


# --- stages -----------------------------------------------------------------------------------


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


def counts_as_groups(stages: tuple[ast.Stage, ...]) -> tuple[ast.Stage, ...]:
    """The same stages with ``$count`` and ``$sortByCount`` written as the ``$group`` they are
    (and what follows it in them), so the translation takes them too: ``$count: "n"`` is a
    ``$group`` by null with ``n: {$sum: 1}`` then ``{_id: 0}``; ``$sortByCount`` a ``$group``
    with ``count: {$sum: 1}`` then ``$sort: {count: -1}``."""
    one = ast.Literal_(1)
    expanded: list[ast.Stage] = []
    for stage in stages:
        if isinstance(stage, ast.Count):
            expanded += [
                ast.Group(ast.Literal_(None), (ast.Accumulator(stage.field, "$sum", one),)),
                ast.Project("exclude", (), (), keep_id=False),
            ]
        elif isinstance(stage, ast.SortByCount):
            expanded += [
                ast.Group(stage.key, (ast.Accumulator("count", "$sum", one),)),
                ast.SortStage(((Path(("count",)), -1),)),
            ]
        else:
            expanded.append(stage)
    return tuple(expanded)


def compile_prefix(
    stages: tuple[ast.Stage, ...],
    source: sa.Select[Any],
    columns: StatementColumns,
) -> Compiled:
    """Translate ``stages`` (the pipeline after its leading ``$match`` stages) up to and with
    its first ``$group``. ``source`` selects the matched statement rows (the store's scope and
    filter); it gets the ``$unwind`` joins and the columns the group reads.

    Raises ``Unsupported`` when a stage before the ``$group``, or the ``$group`` itself, has no
    exact translation, or when there is no ``$group``.
    """
    document: _Document = _Base(columns)
    query = source
    order = list(columns.order)
    for index, stage in enumerate(stages):
        if isinstance(stage, ast.Unwind):
            if not isinstance(document, _Base) or stage.preserve_null_and_empty:
                raise Unsupported("$unwind here")
            target = document.resolve(stage.path.segments)
            if not isinstance(target, _Json):
                raise Unsupported("$unwind of an instant")
            value = target.expr
            kind = sa.func.jsonb_typeof(value)
            elements = (
                sa.func.jsonb_array_elements(
                    sa.case(
                        (kind == "array", value),
                        (sa.or_(value.is_(None), kind == "null"), _EMPTY_ARRAY),
                        else_=sa.func.jsonb_build_array(value),
                    )
                )
                .table_valued("value", with_ordinality="position")
                .render_derived(name=f"unwound{index}")
                .lateral()
            )
            query = query.join(elements, sa.true())
            document.unwound[stage.path.segments] = elements.c.value
            order.append(elements.c.position)
            if stage.index_field is not None:
                document.extra[stage.index_field] = _Json(sa.func.to_jsonb(elements.c.position - 1))
        elif isinstance(stage, ast.Project):
            if stage.mode != "include":
                raise Unsupported("an exclusion $project")
            tree: dict[str, Any] = {}
            sources: dict[str, ast.Expr] = {}
            if stage.keep_id:
                tree["_id"] = document.resolve(("_id",))
            for path in stage.paths:
                _plant(tree, path.segments, document.resolve(path.segments))
            for path, expr in stage.computed:
                _plant(tree, path.segments, _expression(expr, document))
                if len(path.segments) == 1:
                    sources[path.segments[0]] = _origin(expr, document)
            document = _Projected({key: _grown(value) for key, value in tree.items()}, sources)
        elif isinstance(stage, ast.Group):
            return _group(stages[index:], document, query, tuple(order), index)
        else:
            raise Unsupported(type(stage).__name__)
    raise Unsupported("no $group")


def _plant(tree: dict[str, Any], segments: tuple[str, ...], node: _Node) -> None:
    """Put a projected value at a dotted path of the tree of a ``$project``'s fields."""
    for segment in segments[:-1]:
        child = tree.setdefault(segment, {})
        if not isinstance(child, dict):
            raise Unsupported("a $project path below another projected value")
        tree = child
    tree[segments[-1]] = node


def _grown(value: Any) -> _Node:
    if isinstance(value, dict):
        return _Object(tuple((k, _grown(v)) for k, v in value.items()), missing_if_empty=True)
    return value


def _origin(expr: ast.Expr, document: _Document) -> ast.Expr:
    """The expression a field reference stands for, through a ``$project``'s computed fields."""
    if (
        isinstance(expr, ast.FieldRef)
        and isinstance(document, _Projected)
        and len(expr.path.segments) == 1
        and expr.path.segments[0] in document.sources
    ):
        return document.sources[expr.path.segments[0]]
    return expr


@dataclass(frozen=True)
class _Positional:
    """A ``$first``/``$last`` field of a translated ``$group`` (``name``): its value in each
    statement row (``node``); a ``$group`` above can take the same end of it."""

    name: str
    node: _Node


@dataclass(frozen=True)
class _Accumulated:
    """An accumulator of a translated ``$group`` other than ``$first``/``$last``: it has no
    value in a statement row."""

    field: str


@dataclass
class _Level:
    """A translated ``$group``: ``query`` has a row per group (key leaves ``k0``..., plain
    accumulators ``v0``..., ``first_at``, ``last_at``); its output fields read as ``key`` and
    ``fields`` there, and as ``row_key``/``row_fields`` in each statement row."""

    query: sa.Subquery
    key: _Node
    row_key: _Node
    row_leaves: list[sa.ColumnElement[Any]]
    fields: dict[str, _Node]
    row_fields: dict[str, _Node | _Positional | _Accumulated]
    #: The output fields that are not ``$first``/``$last`` of a row, as ``jsonb``.
    outputs: dict[str, sa.ColumnElement[Any]]
    #: The ``$first``/``$last`` accumulators, with their value in a statement row.
    ordered: list[tuple[ast.Accumulator, _Node]]
    #: Output fields holding an instant as epoch microseconds.
    instants: set[str]
    accumulators: tuple[ast.Accumulator, ...]


class _LevelDocument:
    """A translated ``$group``'s output documents, as a ``$group`` above reads them: over the
    group rows (``rows=False``) or in a statement row (``rows=True``)."""

    def __init__(self, level: _Level, *, rows: bool) -> None:
        self.level = level
        self.rows = rows

    def resolve(self, segments: tuple[str, ...]) -> _Node:
        level = self.level
        head = segments[0] if segments else None
        node: _Node | _Positional | _Accumulated | None
        if head == "_id":
            node = level.row_key if self.rows else level.key
        else:
            node = (level.row_fields if self.rows else level.fields).get(head or "")
            if node is None and head not in level.row_fields:
                return _Json(sa.null().cast(JSONB))  # a field the groups do not have
        if node is None or not segments:
            return _Unavailable(segments)
        for depth, segment in enumerate(segments[1:], start=1):
            if isinstance(node, _Object):
                node = dict(node.fields).get(segment)
                if node is None:
                    return _Json(sa.null().cast(JSONB))
            elif isinstance(node, _Json):
                return _Json(_path(node.expr, segments[depth:]))
            elif isinstance(node, _Positional | _Accumulated):
                return _Accumulated(".".join(segments))  # type: ignore[return-value]
            elif isinstance(node, _Unavailable):
                return _Unavailable(segments)
            else:
                return _Json(sa.null().cast(JSONB))
        return node  # type: ignore[return-value]  # a _Positional: only a $first/$last takes it


def _group(
    stages: tuple[ast.Stage, ...],
    document: _Document,
    source: sa.Select[Any],
    order: tuple[sa.ColumnElement[Any], ...],
    before: int,
) -> Compiled:
    """The ``$group`` at ``stages[0]`` over the statement rows, and the ``$group`` stages that
    directly follow it over its groups, as far as they translate."""
    level = _first_level(stages[0], document, source, order)
    used = 1
    for stage in stages[1:]:
        if not isinstance(stage, ast.Group):
            break
        try:
            level = _next_level(stage, level, used)
        except Unsupported:
            break
        used += 1
    return _compiled(level, source, order, before + used)


def _known_ends(
    stage: ast.Group, key: _Node, origin_of: Callable[[ast.Expr], ast.Expr]
) -> dict[Any, int]:
    """What equals the key, or a top-level field of an object key, in every document of a
    group, by origin expression (and by node): ``$first``/``$last`` of it is that (-1: the
    whole key, else the leaf's position)."""
    known: dict[Any, int] = {origin_of(stage.key): -1, id(key): -1}
    if isinstance(key, _Object):
        named = dict(stage.key.fields) if isinstance(stage.key, ast.ObjectExpr) else {}
        for name, node in key.fields:
            if isinstance(node, _Object):
                continue
            known.setdefault(id(node), _leaf_index(key, name))
            if name in named:
                known.setdefault(origin_of(named[name]), _leaf_index(key, name))
    return known


def _first_level(
    stage: ast.Group,
    document: _Document,
    source: sa.Select[Any],
    order: tuple[sa.ColumnElement[Any], ...],
) -> _Level:
    key = _expression(stage.key, document)
    # An empty object key still groups (by a constant): no documents, no group.
    leaves = _key_leaves(key) or [_NULL_JSON]
    known = _known_ends(stage, key, lambda expr: _origin(expr, document))
    inputs: list[sa.ColumnElement[Any]] = [
        leaf.label(f"k{position}") for position, leaf in enumerate(leaves)
    ]
    plain: list[tuple[int, ast.Accumulator, _Node]] = []
    ordered: list[tuple[ast.Accumulator, _Node]] = []
    from_key: dict[str, int] = {}
    for position, accumulator in enumerate(stage.accumulators):
        origin = _origin(accumulator.expr, document)
        if accumulator.name in ("$first", "$last") and origin in known:
            from_key[accumulator.field] = known[origin]
            continue
        node = _expression(accumulator.expr, document)
        if accumulator.name in ("$first", "$last"):
            ordered.append((accumulator, node))
            continue
        label = f"a{position}"
        if isinstance(node, _Instant):
            inputs.append(node.expr.label(label))
        elif not isinstance(accumulator.expr, ast.Literal_):
            inputs.append(_as_jsonb(node).label(label))
        plain.append((position, accumulator, node))
    inputs += [term.label(f"o{position}") for position, term in enumerate(order)]
    inner = source.with_only_columns(*inputs).subquery("grouped")
    inner_order = tuple(inner.c[f"o{position}"] for position in range(len(order)))
    grouped_leaves = [inner.c[f"k{position}"] for position in range(len(leaves))]
    aggregates: list[tuple[ast.Accumulator, sa.ColumnElement[Any], bool]] = []
    for position, accumulator, node in plain:
        label = f"a{position}"
        if isinstance(node, _Instant):
            column: _Node = _Instant(inner.c[label])
        elif label in inner.c:
            column = _Json(inner.c[label])
        else:
            column = node
        aggregate, instant = _accumulate(accumulator, column, inner_order)
        aggregates.append((accumulator, aggregate, instant))
    query = (
        sa.select(
            *(leaf.label(f"k{position}") for position, leaf in enumerate(grouped_leaves)),
            *(aggregate.label(f"v{index}") for index, (_, aggregate, _) in enumerate(aggregates)),
            sa.func.min(inner_order[0]).label("first_at"),
            sa.func.max(inner_order[0]).label("last_at"),
        )
        .group_by(*grouped_leaves)
        .subquery("level")
    )
    return _level(stage, query, key, leaves, from_key, aggregates, ordered)


def _level(
    stage: ast.Group,
    query: sa.Subquery,
    key: _Node,
    row_leaves: list[sa.ColumnElement[Any]],
    from_key: dict[str, int],
    aggregates: list[tuple[ast.Accumulator, sa.ColumnElement[Any], bool]],
    ordered: list[tuple[ast.Accumulator, _Node]],
) -> _Level:
    """Describe a grouped ``query`` (see ``_Level``)."""
    leaves = [query.c[f"k{position}"] for position in range(len(_leaf_nodes_or_constant(key)))]
    grouped_key = _regrown_tree(key, leaves)
    key_leaves = _tree_leaves(grouped_key)
    row_key_leaves = _tree_leaves(key)
    fields: dict[str, _Node] = {}
    row_fields: dict[str, _Node | _Positional | _Accumulated] = {}
    instants: set[str] = set()
    outputs: dict[str, sa.ColumnElement[Any]] = {}
    for field_name, index in from_key.items():
        fields[field_name] = grouped_key if index < 0 else key_leaves[index]
        row_fields[field_name] = key if index < 0 else row_key_leaves[index]
        outputs[field_name] = sa.func.coalesce(_as_jsonb(fields[field_name]), _NULL_JSON)
    for index, (accumulator, _, instant) in enumerate(aggregates):
        value = query.c[f"v{index}"]
        fields[accumulator.field] = _Json(value)
        row_fields[accumulator.field] = _Accumulated(accumulator.field)
        outputs[accumulator.field] = value
        if instant:  # epoch microseconds here: no longer an instant to a $group above
            instants.add(accumulator.field)
            fields[accumulator.field] = _Unavailable((accumulator.field,))
    for accumulator, node in ordered:
        row_fields[accumulator.field] = _Positional(accumulator.name, node)
        if isinstance(node, _Instant):
            instants.add(accumulator.field)
    return _Level(
        query=query,
        key=grouped_key,
        row_key=key,
        row_leaves=row_leaves,
        fields=fields,
        row_fields=row_fields,
        outputs=outputs,
        ordered=ordered,
        instants=instants,
        accumulators=stage.accumulators,
    )


def _next_level(stage: ast.Group, lower: _Level, depth: int) -> _Level:
    """A ``$group`` over the groups of ``lower``. Its key must read the same in a statement
    row, so its first and last rows can be found there; its ``$first``/``$last`` must read
    the key of ``lower`` or the same end of ``lower``'s (the first group's first row is the
    first row of all); its other accumulators read ``lower``'s groups."""
    over = _LevelDocument(lower, rows=False)
    in_row = _LevelDocument(lower, rows=True)
    key = _expression(stage.key, over)
    row_key = _expression(stage.key, in_row)
    row_leaves = _key_leaves(row_key) or [_NULL_JSON]
    leaves = _key_leaves(key) or [_NULL_JSON]
    known = _known_ends(stage, key, lambda expr: expr)
    inner_columns: list[sa.ColumnElement[Any]] = [
        leaf.label(f"k{position}") for position, leaf in enumerate(leaves)
    ]
    from_key: dict[str, int] = {}
    ordered: list[tuple[ast.Accumulator, _Node]] = []
    plain: list[tuple[int, ast.Accumulator, _Node]] = []
    for position, accumulator in enumerate(stage.accumulators):
        if accumulator.name in ("$first", "$last"):
            node = _expression(accumulator.expr, over)
            found = known.get(accumulator.expr, known.get(id(node)))
            if found is not None:
                from_key[accumulator.field] = found
                continue
            row = _expression(accumulator.expr, in_row)
            if isinstance(row, _Positional):
                if row.name != accumulator.name:
                    raise Unsupported("the other end of a lower $first/$last")
                row = row.node
            if _has_accumulated(row):
                raise Unsupported("a $first/$last of an accumulated value")
            ordered.append((accumulator, row))
            continue
        if accumulator.name in ("$push", "$addToSet"):
            raise Unsupported(f"{accumulator.name} over groups (it follows their order)")
        node = _expression(accumulator.expr, over)
        if not isinstance(accumulator.expr, ast.Literal_):
            inner_columns.append(_as_jsonb(node).label(f"a{position}"))
        plain.append((position, accumulator, node))
    inner = sa.select(*inner_columns, lower.query.c.first_at, lower.query.c.last_at).subquery(
        f"regrouped{depth}"
    )
    grouped_leaves = [inner.c[f"k{position}"] for position in range(len(leaves))]
    aggregates: list[tuple[ast.Accumulator, sa.ColumnElement[Any], bool]] = []
    for position, accumulator, node in plain:
        label = f"a{position}"
        column = _Json(inner.c[label]) if label in inner.c else node
        aggregate, instant = _accumulate(accumulator, column, ())
        aggregates.append((accumulator, aggregate, instant))
    query = (
        sa.select(
            *(leaf.label(f"k{position}") for position, leaf in enumerate(grouped_leaves)),
            *(aggregate.label(f"v{index}") for index, (_, aggregate, _) in enumerate(aggregates)),
            sa.func.min(inner.c.first_at).label("first_at"),
            sa.func.max(inner.c.last_at).label("last_at"),
        )
        .group_by(*grouped_leaves)
        .subquery(f"level{depth}")
    )
    # The key over the groups and in a row must be the same value: same shape, leaf by leaf.
    if len(row_leaves) != len(leaves):
        raise Unsupported("a key that reads differently in a row")
    level = _level(stage, query, row_key, row_leaves, from_key, aggregates, ordered)
    return level


def _has_accumulated(node: Any) -> bool:
    """True when a value in a row reads a lower ``$group``'s accumulated values."""
    if isinstance(node, _Accumulated | _Positional):
        return True
    if isinstance(node, _Object):
        return any(_has_accumulated(child) for _, child in node.fields)
    return False


def _leaf_nodes_or_constant(key: _Node) -> list[tuple[_Node, bool]]:
    return _leaf_nodes(key) or [(_Json(_NULL_JSON), True)]


def _regrown_tree(key: _Node, leaves: list[sa.ColumnElement[Any]]) -> _Node:
    """The key over its grouped leaf columns."""
    remaining = iter(leaves)

    def rebuilt(node: _Node) -> _Node:
        if isinstance(node, _Object):
            return _Object(
                tuple((name, rebuilt(child)) for name, child in node.fields),
                node.missing_if_empty,
            )
        return _regrown(node, next(remaining))

    return rebuilt(key)


def _tree_leaves(key: _Node) -> list[_Node]:
    if isinstance(key, _Object):
        return [leaf for _, child in key.fields for leaf in _tree_leaves(child)]
    return [key]


def _compiled(
    level: _Level, source: sa.Select[Any], order: tuple[sa.ColumnElement[Any], ...], consumed: int
) -> Compiled:
    """The grouping query and the end-row query of the topmost translated ``$group``."""
    key_json = sa.func.coalesce(_as_jsonb(level.key), _NULL_JSON)
    pairs: list[Any] = [sa.literal("_id", sa.Text()), key_json]
    for accumulator in level.accumulators:
        if accumulator.field in level.outputs:
            pairs += [sa.literal(accumulator.field, sa.Text()), level.outputs[accumulator.field]]
    groups = sa.select(
        sa.func.jsonb_build_object(*pairs, type_=JSONB).label("doc"),
        key_json.label("key"),
        level.query.c.first_at,
        level.query.c.last_at,
    )
    row_key = sa.func.coalesce(_as_jsonb(level.row_key), _NULL_JSON)
    leaves = level.row_leaves
    ordered = level.ordered

    def ends_at(at: list[Any], *, last: bool) -> sa.Select[Any]:
        """The first (last) row of each group among the rows stored at ``at``, in the order of
        the groups' first (last) rows: ``key`` and ``picked`` as text."""
        wanted = "$last" if last else "$first"
        pairs: list[Any] = []
        for accumulator, node in ordered:
            if accumulator.name == wanted:
                pairs += [sa.literal(accumulator.field, sa.Text()), _picked(node)]
        values = sa.func.jsonb_build_object(*pairs, type_=JSONB)
        terms = [term.desc() if last else term.asc() for term in order]
        rows = (
            source.with_only_columns(
                row_key.label("key"),
                values.label("picked"),
                *(term.label(f"o{position}") for position, term in enumerate(order)),
            )
            .where(order[0] == sa.func.any(sa.bindparam("at", at, sa.ARRAY(order[0].type))))
            .distinct(*leaves)
            .order_by(*leaves, *terms)
            .subquery("ends")
        )
        ends = [rows.c[f"o{position}"] for position in range(len(order))]
        text = sa.Text()
        return sa.select(sa.cast(rows.c.key, text), sa.cast(rows.c.picked, text)).order_by(
            *(end.desc() if last else end.asc() for end in ends)
        )

    return Compiled(
        groups=groups,
        ends_at=ends_at,
        firsts=tuple(a.field for a, _ in ordered if a.name == "$first"),
        lasts=tuple(a.field for a, _ in ordered if a.name == "$last"),
        consumed=consumed,
        instant_fields=frozenset(level.instants),
    )


def _picked(node: _Node) -> sa.ColumnElement[Any]:
    """What ``$first``/``$last`` gives of one row's value (an instant as epoch microseconds)."""
    if isinstance(node, _Instant):
        return sa.func.to_jsonb(_epoch_micros(node.expr))
    return sa.func.coalesce(_as_jsonb(node), _NULL_JSON)


def _epoch_micros(instant: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.cast(sa.func.floor(sa.func.date_part("epoch", instant) * 1_000_000), sa.BigInteger())


def _leaf_nodes(key: _Node) -> list[tuple[_Node, bool]]:
    """The leaves a group key is grouped by, each with whether it is the whole key: each leaf
    of an object key on its own, so no object is built per row."""
    if isinstance(key, _Instant):
        raise Unsupported("an instant as a group key")
    if isinstance(key, _Unavailable):
        raise Unsupported(f"{'.'.join(key.path)} is not in the source")
    if isinstance(key, _Object):
        return [(leaf, False) for _, child in key.fields for leaf, _ in _leaf_nodes(child)]
    return [(key, True)]


def _grouped_by(leaf: _Node, whole: bool) -> sa.ColumnElement[Any]:
    """What a leaf groups by: NULL when missing (an object key leaves it out); a whole key
    that is missing is null, as MongoDB groups it."""
    if not isinstance(leaf, _Json | _Text | _Integer | _Bucketed):
        raise Unsupported("a key that cannot be grouped by")
    if whole and isinstance(leaf, _Json):
        return sa.func.coalesce(leaf.expr, _NULL_JSON)
    return leaf.expr


def _regrown(leaf: _Node, expr: sa.ColumnElement[Any]) -> _Node:
    """A leaf over its grouped column."""
    if isinstance(leaf, _Bucketed):
        return _Bucketed(expr, leaf.render)
    if isinstance(leaf, _Text | _Integer):
        return type(leaf)(expr)
    return _Json(expr)


def _key_leaves(key: _Node) -> list[sa.ColumnElement[Any]]:
    return [_grouped_by(leaf, whole) for leaf, whole in _leaf_nodes(key)]


def _leaf_index(key: _Object, name: str) -> int:
    """The position among the key's leaves of its top-level field ``name`` (not an object)."""
    index = 0
    for field_name, child in key.fields:
        if field_name == name:
            return index
        index += len(_leaf_nodes(child))
    raise KeyError(name)


def assemble(
    compiled: Compiled,
    groups: list[tuple[Any, Any, Any, Any]],
    firsts: Iterable[tuple[Any, dict[str, Any]]],
    lasts: Iterable[tuple[Any, dict[str, Any]]] = (),
) -> list[dict[str, Any]]:
    """The group documents in the order of their first documents, from the rows of
    ``compiled.groups`` (``doc``, ``key``, ``first_at``, ``last_at``) and of
    ``compiled.ends_at`` (``key``, ``picked``) over the first and the last instants, decoded."""
    by_key = {group_key(key): doc for doc, key, _, _ in groups}
    for key, values in lasts:
        by_key[group_key(key)].update(values)
    documents = []
    for key, values in firsts:
        document = by_key[group_key(key)]
        document.update(values)
        documents.append(document)
    return documents
