"""The IR as SQLAlchemy Core (2.0) expressions over a ``jsonb`` column plus typed columns.

Exact with respect to ``evaluate.py``: every construct below was chosen so PostgreSQL computes
what the Python evaluator computes, row for row (the tests compare them on awkward documents and
on generated ones).

How a path is read (``a.b.c`` on the document ``d``):

* ``jsonb_path_query(d, 'lax $."a"."b"."c"')`` yields exactly the values MongoDB reaches: lax
  mode unwraps one level of array before each key step, skips non-objects and absent keys, and
  does not unwrap the final value. ``'lax $."a"."b"."c"[*]'`` yields the same values with arrays
  replaced by their elements (lax ``[*]`` wraps a non-array): that is the set a condition is tried
  on. Each set is read in an ``EXISTS (SELECT 1 FROM jsonb_path_query(...) ...)``.
* Conditions on a value ``v`` are plain SQL with a type guard, so type bracketing is exact:
  ``jsonb_typeof(v) = 'number' AND v > :x`` (``jsonb`` orders numbers numerically),
  ``jsonb_typeof(v) = 'string' AND (v #>> '{}') COLLATE "C" > :s`` (code point order),
  ``v = CAST(:x AS jsonb)`` for equality. Functions that raise on the wrong type
  (``jsonb_array_length``, ``jsonb_array_elements``) only ever see arrays, guarded by ``CASE``
  (SQL does not promise the evaluation order of ``AND``).
* *Missing* (for ``{f: null}`` and ``$gte``/``$lte`` null) is "some prefix of the path reaches an
  object without the next key, or a non-array scalar": one ``CASE`` per prefix.
* A path with an all-digit segment that can be an array position (``paths.array_position``;
  never the first segment, which always meets an object) is read in stages, one per such
  segment: from each value ``v`` the previous stage reached, the union (a ``LATERAL`` subquery)
  of ``jsonb_path_query(v, 'lax $."0"."b"...')`` (the segment as a field name, as in objects and
  in an array's object elements) and ``jsonb_path_query(CASE WHEN jsonb_typeof(v) = 'array' THEN
  v -> :n END, 'lax $."b"...')`` (the element at the position; ``->`` alone would also pick a
  scalar for position 0). An element picked at the path's end is not expanded and, as a scalar
  with more path to go, is not *missing*: a ``positional`` column carries that. Sorts take the
  element alone when the position is within the array (MongoDB's index key generator), so the
  field-name branch is cut where the position exists. An object ``$elemMatch`` whose condition
  names a position reads an array element as ``{"0": first, ...}`` (``jsonb_object_agg``).
* Negation is ``NOT COALESCE(x, false)``, so documents without the field match ``$ne``/``$nin``/
  ``$not``/``$nor``.

User values are always bound parameters. Paths reach SQL only inside bound ``jsonpath``
parameters built from validated segments, each JSON-quoted; the GIN prefilter for equality binds
a ``jsonpath`` whose literal is JSON-encoded the same way. No SQL text is built from input.

Typed columns (``TypedColumn``) replace the document for a path: filters and sorts on it use the
column and its btree index. Contract for the store: the document value at a typed path is
absent (column NULL) or a scalar of the column's kind reached through objects only, never JSON
null; a typed path with more than one segment is also kept in the ``jsonb`` document (a
generated column, say), because filters on its ancestors read the document.

Sorting reproduces MongoDB's order with, per key, the atoms ``rank`` (the kind, see
``ordering.py``), ``num`` (numbers; false/true as 0/1) and ``txt`` (strings, ``COLLATE "C"``),
computed from the smallest (ascending) or largest (descending) value reached. Typed columns sort
as themselves, ``ASC NULLS FIRST``/``DESC NULLS LAST``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypeAlias

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH
from sqlalchemy.sql.elements import ColumnElement

from lrs.core.errors import BadQuery
from lrs.query import evaluate
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
    RANK_ARRAY,
    RANK_BOOLEAN,
    RANK_NULL,
    RANK_NUMBER,
    RANK_STRING,
    SortValue,
)
from lrs.query.paths import array_position, parse_path

TypedKind: TypeAlias = Literal["text", "timestamptz", "boolean", "number", "jsonb"]
SqlBool: TypeAlias = ColumnElement[bool]


@dataclass(frozen=True)
class TypedColumn:
    """A real column holding the value of one path (see the module's contract).

    Kind ``"jsonb"`` mounts a ``jsonb`` column at the path (``statement`` → the ``statement``
    column): everything below the path is read from that column, SQL NULL meaning missing.
    """

    column: ColumnElement[Any]
    kind: TypedKind
    nullable: bool = True


@dataclass(frozen=True)
class TableBinding:
    """Where a query's paths live: the ``jsonb`` document column and typed columns by path."""

    document: ColumnElement[Any]
    typed: Mapping[Path, TypedColumn] = field(default_factory=dict)

    @classmethod
    def of(
        cls, document: ColumnElement[Any], typed: Mapping[str, TypedColumn] | None = None
    ) -> TableBinding:
        """Build a binding from dotted path strings (``{"_id": TypedColumn(...)}``)."""
        return cls(
            document,
            {parse_path(raw, what="typed column path"): col for raw, col in (typed or {}).items()},
        )

    def lookup(self, path: Path) -> tuple[TypedColumn, Path] | None:
        """The typed column at ``path`` or at its nearest ancestor, with the path it is at.

        The most specific wins: ``statement.verb.id`` beats the ``statement`` mount above it.
        Below a scalar column every path is missing, an all-digit one too (``timestamp.0``,
        ``statement.verb.id.0``): a string or an instant has neither fields nor positions.
        """
        for length in range(len(path.segments), 0, -1):
            prefix = Path(path.segments[:length])
            typed = self.typed.get(prefix)
            if typed is not None:
                return typed, prefix
        return None


# --- small SQL building blocks ------------------------------------------------------------------

_TRUE: SqlBool = sa.true()
_FALSE: SqlBool = sa.false()
_EMPTY_PATH = sa.literal_column("'{}'::text[]")


def _typeof(value: ColumnElement[Any]) -> ColumnElement[str]:
    return sa.func.jsonb_typeof(value)


def _text(value: ColumnElement[Any]) -> ColumnElement[str]:
    return value.op("#>>")(_EMPTY_PATH).collate("C")


def _jsonb(value: Value) -> ColumnElement[Any]:
    return sa.literal(value, JSONB)


def _jsonpath_text(path: Path, suffix: str = "") -> str:
    return "lax $" + "".join("." + json.dumps(segment) for segment in path.segments) + suffix


def _jsonpath(path: Path, suffix: str = "") -> ColumnElement[Any]:
    return sa.cast(sa.literal(_jsonpath_text(path, suffix)), JSONPATH)


def _values(root: ColumnElement[Any], path: Path, suffix: str = "") -> Any:
    """``jsonb_path_query(root, 'lax $.path<suffix>')`` as a FROM item with column ``value``."""
    return (
        sa.func.jsonb_path_query(root, _jsonpath(path, suffix))
        .table_valued(sa.column("value", JSONB))
        .render_derived()
    )


def _elements(array: ColumnElement[Any]) -> Any:
    guarded = sa.case((_typeof(array) == "array", array), else_=_jsonb([]))
    return (
        sa.func.jsonb_array_elements(guarded)
        .table_valued(sa.column("value", JSONB))
        .render_derived()
    )


def _exists(from_: Any, condition: SqlBool) -> SqlBool:
    return sa.exists(sa.select(sa.literal(1)).select_from(from_).where(condition))


def _has_positions(path: Path) -> bool:
    """Does a segment after the first name an array position (the first always meets an object:
    the document, a mounted column, an ``$elemMatch`` element)?"""
    return any(array_position(segment) is not None for segment in path.segments[1:])


@dataclass(frozen=True)
class _Reached:
    """The values a path reaches, as a FROM item: ``value`` per row, and ``positional`` (None when
    the path names no position) true where the last segment picked an array element."""

    from_: Any
    value: ColumnElement[Any]
    positional: ColumnElement[bool] | None = None


def _reach(
    root: ColumnElement[Any], path: Path, *, expand: bool = False, sort: bool = False
) -> _Reached:
    """Values ``path`` reaches in ``root`` (with ``expand``, arrays reached at the end replaced by
    their elements, as ``[*]`` does; an element picked by position at the end is never expanded).

    With ``sort``, a position within the array met selects that element alone (sort keys).
    """
    if not _has_positions(path):
        values = _values(root, path, "[*]" if expand else "")
        return _Reached(values, values.c.value)
    head: list[str] = [path.segments[0]]
    stages: list[tuple[str, int, list[str]]] = []
    for segment in path.segments[1:]:
        position = array_position(segment)
        if position is not None:
            stages.append((segment, position, []))
        elif stages:
            stages[-1][2].append(segment)
        else:
            head.append(segment)
    first = _values(root, Path(tuple(head)))
    chain: Any = first
    value: ColumnElement[Any] = first.c.value
    positional: ColumnElement[bool] = _FALSE
    for number, (segment, position, keys) in enumerate(stages):
        suffix = "[*]" if expand and number == len(stages) - 1 else ""
        picked = value.op("->")(sa.literal(position, sa.Integer))
        is_array = _typeof(value) == "array"
        if sort:
            found = sa.case((is_array, picked.is_not(None)), else_=_FALSE)
            by_name_input: ColumnElement[Any] = sa.case((found, sa.null()), else_=value)
            by_position_input: ColumnElement[Any] = sa.case((found, picked))
        else:
            by_name_input = value
            by_position_input = sa.case((is_array, picked))
        by_name = _values(by_name_input, Path((segment, *keys)), suffix)
        by_position = _values(by_position_input, Path(tuple(keys)), suffix if keys else "")
        stage = sa.union_all(
            sa.select(by_name.c.value, _FALSE.label("positional")).select_from(by_name),
            sa.select(
                by_position.c.value, (_FALSE if keys else _TRUE).label("positional")
            ).select_from(by_position),
        ).lateral()
        chain = chain.join(stage, _TRUE)
        value, positional = stage.c.value, stage.c.positional
    return _Reached(chain, value, positional)


def _positions_object(array: ColumnElement[Any]) -> ColumnElement[Any]:
    """An array as the object MongoDB sees in its place, ``{"0": first, ...}`` (``{}`` for
    anything else)."""
    guarded = sa.case((_typeof(array) == "array", array), else_=_jsonb([]))
    elements = (
        sa.func.jsonb_array_elements(guarded)
        .table_valued(sa.column("value", JSONB), with_ordinality="ordinality")
        .render_derived()
    )
    key = sa.cast(elements.c.ordinality - 1, sa.Text)
    aggregate = sa.func.jsonb_object_agg(key, elements.c.value)
    return (
        sa.select(sa.func.coalesce(aggregate, _jsonb({}))).select_from(elements).scalar_subquery()
    )


def _names_position_first(node: Filter) -> bool:
    """Does a path of ``node`` (not inside a nested ``$elemMatch``) start with a position?"""
    match node:
        case Not(child):
            return _names_position_first(child)
        case And(children) | Or(children) | Nor(children):
            return any(_names_position_first(child) for child in children)
    segments = node.path.segments  # type: ignore[union-attr]
    return bool(segments) and array_position(segments[0]) is not None


def _jsonpath_literal(value: Any) -> str | None:
    """A scalar as a jsonpath literal (JSON syntax), or None if it has none."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    return None


def _const(value: bool) -> SqlBool:
    return _TRUE if value else _FALSE


# --- value predicates (one jsonb value, no traversal) ------------------------------------------


def _eq_value(value: ColumnElement[Any], operand: Value) -> SqlBool:
    if operand is None:
        return _typeof(value) == "null"
    if isinstance(operand, datetime):
        return _FALSE  # jsonb holds no dates
    return value == _jsonb(operand)


def _range_value(value: ColumnElement[Any], op: str, operand: Any) -> SqlBool:
    if operand is None:
        return _typeof(value) == "null" if op in ("$gte", "$lte") else _FALSE
    if isinstance(operand, datetime):
        return _FALSE
    if isinstance(operand, bool):
        return sa.and_(_typeof(value) == "boolean", _compare(value, op, _jsonb(operand)))
    if isinstance(operand, int | float):
        return sa.and_(_typeof(value) == "number", _compare(value, op, _jsonb(operand)))
    return sa.and_(_typeof(value) == "string", _compare(_text(value), op, sa.literal(operand)))


def _compare(left: ColumnElement[Any], op: str, right: Any) -> SqlBool:
    if op == "$gt":
        return left > right
    if op == "$gte":
        return left >= right
    if op == "$lt":
        return left < right
    return left <= right


def _regex_value(value: ColumnElement[Any], pattern: str) -> SqlBool:
    return sa.and_(_typeof(value) == "string", _text(value).op("~")(sa.literal(pattern)))


def _size_value(value: ColumnElement[Any], size: int) -> SqlBool:
    return sa.case(
        (_typeof(value) == "array", sa.func.jsonb_array_length(value) == size), else_=_FALSE
    )


# --- the compiler --------------------------------------------------------------------------------


class _Compiler:
    """Compiles filters against one root: the table's document, or an array element."""

    def __init__(
        self,
        root: ColumnElement[Any],
        binding: TableBinding | None,
        *,
        element: bool = False,
        prefilter: bool = False,
    ) -> None:
        self.root = root
        self.use_prefilter = prefilter  # a table column, where a GIN index may exist
        self.binding = binding  # None below the top level: typed columns do not apply
        self.element_mode = element  # the empty path names the root itself, untraversed

    def compile(self, node: Filter) -> SqlBool:
        match node:
            case Not(child):
                return sa.not_(sa.func.coalesce(self.compile(child), _FALSE))
            case And(children):
                return sa.and_(_TRUE, *(self.compile(child) for child in children))
            case Or(children):
                return sa.or_(_FALSE, *(self.compile(child) for child in children))
            case Nor(children):
                return sa.not_(
                    sa.func.coalesce(sa.or_(_FALSE, *(self.compile(c) for c in children)), _FALSE)
                )
        path: Path = node.path  # type: ignore[union-attr]
        if path.is_element and self.element_mode:
            return self.element(node, self.root)
        typed = self.binding.lookup(path) if self.binding is not None else None
        if typed is not None:
            column, prefix = typed
            if column.kind == "jsonb":
                rest = Path(path.segments[len(prefix.segments) :])
                mounted = _Compiler(column.column, None, prefilter=True)
                return mounted.document(replace(node, path=rest), rest)
            if prefix != path:  # below a scalar: every sub-path is missing
                return _const(evaluate.matches(node, {}))
            return _typed(node, column)
        return self.document(node, path)

    def element(self, node: Filter, value: ColumnElement[Any]) -> SqlBool:
        """A condition on one value itself (value ``$elemMatch``): no traversal."""
        match node:
            case Eq(_, operand):
                return _eq_value(value, operand)
            case Range(_, op, operand):
                return _range_value(value, op, operand)
            case In(_, operands):
                return sa.or_(_FALSE, *(_eq_value(value, operand) for operand in operands))
            case Exists(_, exists):
                return _const(exists)
            case Regex():
                return _regex_value(value, node.postgres)
            case Size(_, size):
                return _size_value(value, size)
            case ElemMatch(_, inner, mode):
                return self.elem_match(value, inner, mode)
        raise TypeError(f"not a field condition: {node!r}")

    def elem_match(self, array: ColumnElement[Any], inner: Filter, mode: str) -> SqlBool:
        elements = _elements(array)
        element = elements.c.value
        if mode == "value":
            condition = _Compiler(element, None, element=True).compile(inner)
        else:
            condition = sa.case(
                (_typeof(element) == "object", _Compiler(element, None).compile(inner)),
                (_typeof(element) == "array", self.array_element(element, inner)),
                else_=_FALSE,
            )
        return sa.and_(_typeof(array) == "array", _exists(elements, condition))

    @staticmethod
    def array_element(element: ColumnElement[Any], inner: Filter) -> SqlBool:
        """An object ``$elemMatch`` on an element that is an array: an object of positions."""
        if not _names_position_first(inner):
            return _const(evaluate.matches(inner, {}))  # every field it names is missing
        return _Compiler(_positions_object(element), None).compile(inner)

    def document(self, node: Filter, path: Path) -> SqlBool:
        match node:
            case Eq(_, operand):
                return self.equals(path, (operand,))
            case In(_, operands):
                return self.equals(path, operands)
            case Range(_, op, operand):
                expanded = self.expanded(path, lambda v: _range_value(v, op, operand))
                if operand is None and op in ("$gte", "$lte"):
                    return sa.or_(expanded, self.missing(path))
                return expanded
            case Regex():
                return self.expanded(path, lambda v: _regex_value(v, node.postgres))
            case Exists(_, exists):
                if _has_positions(path):
                    found = _exists(_reach(self.root, path).from_, _TRUE)
                else:
                    found = sa.func.coalesce(self.root.op("@?")(_jsonpath(path)), _FALSE)
                return found if exists else sa.not_(found)
            case Size(_, size):
                reached = _reach(self.root, path)
                return _exists(reached.from_, _size_value(reached.value, size))
            case ElemMatch(_, inner, mode):
                reached = _reach(self.root, path)
                return _exists(reached.from_, self.elem_match(reached.value, inner, mode))
        raise TypeError(f"not a field condition: {node!r}")

    def expanded(self, path: Path, predicate: Any) -> SqlBool:
        """Some value reached, or element of an array reached, satisfies ``predicate``."""
        reached = _reach(self.root, path, expand=True)
        return _exists(reached.from_, predicate(reached.value))

    def equals(self, path: Path, operands: Sequence[Value]) -> SqlBool:
        """Equality with any of ``operands`` (``$eq``, ``$in``), arrays and null included."""
        parts: list[SqlBool] = []
        if any(operand is None for operand in operands):
            parts.append(self.missing(path))
        scalars = [op for op in operands if not isinstance(op, list | dict | datetime)]
        if any(isinstance(op, list) for op in operands):
            # An array operand also equals a whole array reached (not only an element).
            arrays = [op for op in operands if isinstance(op, list)]
            reached = _reach(self.root, path)
            parts.append(
                _exists(reached.from_, sa.or_(*(reached.value == _jsonb(op) for op in arrays)))
            )
        exact = self.expanded(
            path, lambda v: sa.or_(_FALSE, *(_eq_value(v, operand) for operand in operands))
        )
        prefilter = self.prefilter(path, scalars) if len(scalars) == len(operands) else None
        parts.append(exact if prefilter is None else sa.and_(prefilter, exact))
        return sa.or_(*parts)

    def prefilter(self, path: Path, operands: Sequence[Value]) -> SqlBool | None:
        """A GIN-indexable superset (``@?``) of equality with non-null scalars, top level only."""
        if not self.use_prefilter or not operands or not path.segments:
            return None
        literals = [_jsonpath_literal(operand) for operand in operands]
        if any(literal is None for literal in literals):
            return None
        test = " || ".join(f"@ == {literal}" for literal in literals)
        alternatives = _position_spellings(path)
        if len(alternatives) > _MAX_PREFILTER_SPELLINGS:
            return None
        return sa.or_(
            *(
                self.root.op("@?")(sa.cast(sa.literal(text + f" ? ({test})"), JSONPATH))
                for text in alternatives
            )
        )

    def missing(self, path: Path) -> SqlBool:
        """Some prefix of ``path`` reaches an object without the next key, or a scalar."""
        return _missing(self.root, path)


_MAX_PREFILTER_SPELLINGS = 4


def _position_spellings(path: Path) -> list[str]:
    """Lax jsonpaths whose values, together, include every value ``path`` reaches: each segment
    that can be a position spelled as a key and as a subscript (``."0"`` and ``[0]``)."""
    spellings = ["lax $"]
    for index, segment in enumerate(path.segments):
        key = "." + json.dumps(segment)
        position = array_position(segment) if index else None
        if position is None:
            spellings = [text + key for text in spellings]
        else:
            spellings = [text + step for text in spellings for step in (key, f"[{position}]")]
    return spellings


def _missing(root: ColumnElement[Any], path: Path, *, sort: bool = False) -> SqlBool:
    """Some prefix of ``path`` reaches an object without the next key, or a scalar (not one
    picked by position with more path to go, except in ``sort`` mode, where a position within
    the array is the only way on)."""
    segments = path.segments
    parts: list[SqlBool] = [root.is_(None)]
    if segments:
        parts.append(_lacks(root, segments[0]))
    for depth in range(1, len(segments)):
        reached = _reach(root, Path(segments[:depth]), sort=sort)
        lacks = _lacks(
            reached.value,
            segments[depth],
            positional=None if sort else reached.positional,
            sort=sort,
        )
        parts.append(_exists(reached.from_, lacks))
    return sa.or_(*parts)


def _lacks(
    value: ColumnElement[Any],
    segment: str,
    *,
    positional: ColumnElement[bool] | None = None,
    sort: bool = False,
) -> SqlBool:
    """Descending into ``value`` by ``segment`` yields missing somewhere.

    ``positional`` (a value an array position picked) makes a scalar yield nothing rather than
    missing; with ``sort``, an array that has the position ``segment`` names yields no missing.
    """
    key = sa.literal(segment)
    elements = _elements(value)
    element = elements.c.value
    array_case: SqlBool = _exists(
        elements, sa.and_(_typeof(element) == "object", sa.not_(element.op("?")(key)))
    )
    position = array_position(segment)
    if sort and position is not None:
        picked = value.op("->")(sa.literal(position, sa.Integer))
        array_case = sa.case((picked.is_not(None), _FALSE), else_=array_case)
    return sa.case(
        (_typeof(value) == "object", sa.not_(value.op("?")(key))),
        (_typeof(value) == "array", array_case),
        else_=_TRUE if positional is None else sa.not_(positional),
    )


# --- typed columns -------------------------------------------------------------------------------


def _fits(kind: TypedKind, value: Any) -> bool:
    if kind == "text":
        return isinstance(value, str)
    if kind == "timestamptz":
        return isinstance(value, datetime)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _typed_expr(column: TypedColumn) -> ColumnElement[Any]:
    return column.column.collate("C") if column.kind == "text" else column.column


def _typed(node: Filter, column: TypedColumn) -> SqlBool:
    col = column.column
    match node:
        case Eq(_, operand):
            return _typed_eq(column, (operand,))
        case In(_, operands):
            return _typed_eq(column, operands)
        case Range(_, op, operand):
            if operand is None:
                return col.is_(None) if op in ("$gte", "$lte") else _FALSE
            if not _fits(column.kind, operand):
                return _FALSE
            return _compare(_typed_expr(column), op, sa.literal(operand))
        case Exists(_, exists):
            return col.is_not(None) if exists else col.is_(None)
        case Regex():
            if column.kind != "text":
                return _FALSE
            return col.op("~")(sa.literal(node.postgres))
        case Size() | ElemMatch():
            return _FALSE  # a scalar is never an array
    raise TypeError(f"not a field condition: {node!r}")


def _typed_eq(column: TypedColumn, operands: Sequence[Value]) -> SqlBool:
    parts: list[SqlBool] = []
    if any(operand is None for operand in operands):
        parts.append(column.column.is_(None))
    values = [operand for operand in operands if _fits(column.kind, operand)]
    if len(values) == 1:
        parts.append(column.column == sa.literal(values[0]))
    elif values:
        parts.append(column.column.in_(values))
    return sa.or_(_FALSE, *parts)


# --- public API: filters -------------------------------------------------------------------------


def where(condition: Filter, binding: TableBinding) -> SqlBool:
    """The WHERE expression for ``condition`` on the bound table."""
    return _Compiler(binding.document, binding, prefilter=True).compile(condition)


# --- sorting and keyset pagination ---------------------------------------------------------------


@dataclass(frozen=True)
class _Atom:
    """One ORDER BY expression of a sort key, with its direction."""

    expr: ColumnElement[Any]
    direction: int
    nullable: bool
    kind: str  # "record" (a jsonb path) or the TypedKind of a column


def _record(rank: Any, number: Any, text: Any) -> ColumnElement[Any]:
    """``ROW(rank int, number numeric, text bytea)``: compares without any collation."""
    return sa.func.row(
        sa.cast(rank, sa.Integer), sa.cast(number, sa.Numeric), sa.cast(text, sa.LargeBinary)
    )


def _jsonb_key(document: ColumnElement[Any], path: Path, direction: int) -> ColumnElement[Any]:
    """The sort key of ``path`` as one record: the smallest (1) or largest (-1) value reached.

    Strings become their UTF-8 bytes (byte order is code point order); false/true are 0/1 in
    the number slot of their own rank. One scalar subquery per key, so the key can be repeated
    in keyset predicates without nesting.
    """
    reached = _reach(document, path, expand=True, sort=True)
    value = reached.value
    kind = _typeof(value)
    rank = sa.case(
        (kind == "null", RANK_NULL),
        (kind == "number", RANK_NUMBER),
        (kind == "string", RANK_STRING),
        (kind == "object", 4),
        (kind == "array", RANK_ARRAY),
        else_=RANK_BOOLEAN,
    )
    number = sa.case(
        (kind == "number", sa.cast(value, sa.Numeric)),
        (value == _jsonb(True), 1),
        else_=0,
    )
    text = sa.case(
        (kind == "string", sa.func.convert_to(value.op("#>>")(_EMPTY_PATH), "UTF8")),
        else_=sa.cast(b"", sa.LargeBinary),
    )
    row = _record(rank, number, text)
    candidates = sa.select(row).select_from(reached.from_)
    if reached.positional is not None:
        # An empty array picked by position is the empty-array marker's, not an array value.
        candidates = candidates.where(sa.not_(sa.and_(reached.positional, value == _jsonb([]))))
    best = (
        candidates.order_by(row.asc() if direction == 1 else row.desc()).limit(1).scalar_subquery()
    )
    whole = _reach(document, path, sort=True)
    has_empty = _exists(whole.from_, whole.value == _jsonb([]))
    if _has_positions(path):
        nothing = sa.or_(_missing(document, path, sort=True), sa.not_(_exists(whole.from_, _TRUE)))
    else:
        nothing = sa.or_(
            _missing(document, path),
            sa.not_(sa.func.coalesce(document.op("@?")(_jsonpath(path)), _FALSE)),
        )
    empty_marker = sa.case((has_empty, _record(0, 0, b"")))
    null_marker = sa.case((nothing, _record(RANK_NULL, 0, b"")))
    pick = sa.func.least if direction == 1 else sa.func.greatest
    return pick(best, empty_marker, null_marker)


def _key_atoms(binding: TableBinding, path: Path, direction: int) -> list[_Atom] | None:
    """Atoms of one sort key; None when the key is constant (below a typed column)."""
    typed = binding.lookup(path)
    if typed is None:
        return [_Atom(_jsonb_key(binding.document, path, direction), direction, False, "record")]
    column, prefix = typed
    if column.kind == "jsonb":
        rest = Path(path.segments[len(prefix.segments) :])
        return [_Atom(_jsonb_key(column.column, rest, direction), direction, False, "record")]
    if prefix != path:
        return None
    return [_Atom(_typed_expr(column), direction, column.nullable, column.kind)]


def order_by(sort: Sort, binding: TableBinding, *, reverse: bool = False) -> list[Any]:
    """ORDER BY clauses for ``sort`` (``reverse`` for fetching a page backwards)."""
    clauses: list[Any] = []
    for key in sort:
        for atom in _key_atoms(binding, key.path, key.direction) or []:
            ascending = (atom.direction == 1) != reverse
            if atom.kind != "record" and not atom.nullable:
                # No NULLS clause on a NOT NULL column, so the ORDER BY matches a plain
                # btree index (ASC/DESC in any mix) and no Sort node is needed.
                clauses.append(atom.expr.asc() if ascending else atom.expr.desc())
            else:
                clauses.append(
                    atom.expr.asc().nulls_first() if ascending else atom.expr.desc().nulls_last()
                )
    return clauses


def _atom_values(atoms: list[_Atom], value: SortValue) -> list[Any]:
    """The cursor's value for each atom of one key, as SQL expressions."""
    kind = atoms[0].kind
    if kind == "record":
        number: Any = 0
        if value.rank == RANK_NUMBER:
            number = value.payload
        elif value.rank == RANK_BOOLEAN:
            number = 1 if value.payload else 0
        text = value.payload.encode() if value.rank == RANK_STRING else b""  # type: ignore[union-attr]
        return [_record(sa.literal(value.rank), sa.literal(Decimal(number)), sa.literal(text))]
    if value.rank == RANK_NULL:
        return [None]
    if not _fits(kind, value.payload):  # type: ignore[arg-type]
        raise BadQuery("cursor does not match the sort", field="after")
    return [sa.literal(value.payload)]


def keyset(
    sort: Sort,
    binding: TableBinding,
    position: Sequence[SortValue],
    *,
    after: bool = True,
    inclusive: bool = False,
) -> SqlBool:
    """Rows strictly after (or, with ``after=False``, strictly before) ``position`` in ``sort``;
    with ``inclusive``, the row at ``position`` too.

    ``position`` comes from ``cursor.decode_cursor`` (or ``evaluate.sort_values``). Null-aware on
    nullable typed columns; a redundant leading bound keeps the first typed column an index
    range; all-equal directions on non-null typed columns become one row comparison.
    """
    if len(position) != len(sort):
        raise BadQuery("cursor does not match the sort", field="after")
    # Each unit is an atom with its cursor value, or a constant (equal, beyond) pair for a key
    # below a typed column, which is null for every row.
    units: list[tuple[_Atom, Any] | tuple[bool, bool]] = []
    for key, value in zip(sort, position, strict=True):
        key_atoms = _key_atoms(binding, key.path, key.direction)
        if key_atoms is None:
            equal = value.rank == RANK_NULL
            beyond = not equal and (value.rank < RANK_NULL) == ((key.direction == 1) == after)
            units.append((equal, beyond))
            continue
        units.extend(zip(key_atoms, _atom_values(key_atoms, value), strict=True))
    atoms = [unit for unit in units if isinstance(unit[0], _Atom)]
    if not units:
        return _FALSE
    if len(atoms) == len(units) and all(_indexable(atom) for atom, _ in atoms):  # type: ignore[misc]
        directions = {atom.direction for atom, _ in atoms}  # type: ignore[misc]
        if len(directions) == 1:
            left = sa.tuple_(*(atom.expr for atom, _ in atoms))  # type: ignore[misc]
            right = sa.tuple_(*(value for _, value in atoms))
            if (directions.pop() == 1) == after:
                return left >= right if inclusive else left > right
            return left <= right if inclusive else left < right
    alternatives: list[SqlBool] = []
    for j, unit in enumerate(units):
        parts = [_unit_equal(units[i]) for i in range(j)]
        parts.append(_unit_beyond(unit, after))
        alternatives.append(sa.and_(*parts))
    if inclusive:
        alternatives.append(sa.and_(*(_unit_equal(unit) for unit in units)))
    result = sa.or_(*alternatives)
    first = units[0]
    if isinstance(first[0], _Atom) and _indexable(first[0]) and len(units) > 1:
        atom, bound = first
        ascending = (atom.direction == 1) == after
        result = sa.and_(atom.expr >= bound if ascending else atom.expr <= bound, result)
    return result


def _indexable(atom: _Atom) -> bool:
    """A non-null typed column: plain comparisons on it can use its btree index."""
    return not atom.nullable and atom.kind != "record"


def _unit_equal(unit: tuple[Any, Any]) -> SqlBool:
    if not isinstance(unit[0], _Atom):
        return _const(unit[0])
    atom, value = unit
    if value is None:
        return atom.expr.is_(None)
    return atom.expr.op("=")(value)


def _unit_beyond(unit: tuple[Any, Any], after: bool) -> SqlBool:
    """The row is strictly past the cursor on this unit (nulls sort lowest)."""
    if not isinstance(unit[0], _Atom):
        return _const(unit[1])
    atom, value = unit
    ascending = (atom.direction == 1) == after
    if value is None:
        return atom.expr.is_not(None) if ascending else _FALSE
    if ascending:
        return atom.expr.op(">")(value)
    if atom.nullable:
        return sa.or_(atom.expr.op("<")(value), atom.expr.is_(None))
    return atom.expr.op("<")(value)
