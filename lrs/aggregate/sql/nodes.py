"""The values of the SQL translation and the documents they are read from.

A value is a node: ``jsonb`` with SQL NULL for a missing field (``_Json``), ``text`` or an
``integer`` known to be a string or a date part (``_Text``, ``_Integer``), a truncated instant a
date format is made from once per group (``_Bucketed``), a ``timestamptz`` (``_Instant``), an
object built of nodes (``_Object``), or a field the source does not hold (``_Unavailable``).
Documents resolve field paths to nodes: the statement row (``_Base``, through the store's
``StatementColumns``) and what a ``$project`` made of it (``_Projected``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB

from lrs.aggregate import ast

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


def _missing() -> _Json:
    """The value of a field that is not there."""
    return _Json(sa.null().cast(JSONB))


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
                return _missing()
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
        return _missing()  # a field statement documents never have


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
            return _missing()
        for depth, segment in enumerate(segments[1:], start=1):
            if isinstance(node, _Object):
                node = dict(node.fields).get(segment)
                if node is None:
                    return _missing()
            elif isinstance(node, _Instant | _Text | _Integer | _Bucketed):
                return _missing()
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
