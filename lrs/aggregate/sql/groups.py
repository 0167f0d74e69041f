"""``$group`` stages in SQL: the first over the statement rows, those right after it over
its groups (``_Level``), and the two queries of a translation (``Compiled``): the grouping query
and the query for each group's first and last rows, which ``assemble`` puts together."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from lrs.aggregate import ast
from lrs.aggregate.sql.accumulators import _accumulate, _epoch_micros
from lrs.aggregate.sql.expressions import _expression
from lrs.aggregate.sql.nodes import (
    _NULL_JSON,
    Unsupported,
    _as_jsonb,
    _Bucketed,
    _Document,
    _Instant,
    _Integer,
    _Json,
    _missing,
    _Node,
    _Object,
    _origin,
    _path,
    _Text,
    _Unavailable,
)
from lrs.aggregate.values import group_key


@dataclass(frozen=True)
class Compiled:
    """The translated part, as two queries and how to put their rows together.

    ``groups`` has one row per group: ``doc`` (``_id`` and the accumulators that do not
    depend on the documents' order), ``key`` (the group key), both ``jsonb`` as text, and
    ``first_at``/``last_at`` (when the group's first and last documents were stored).
    ``ends_at(instants, last=...)`` finds each group's first (last) row among the matched rows
    stored at those instants, with its ``$first`` (``$last``) values: those rows are few, where
    carrying every row's values through the aggregation would cost more than the grouping.
    ``assemble`` puts the two together.
    """

    groups: sa.Select[Any]
    ends_at: Callable[..., sa.Select[Any]]
    firsts: tuple[str, ...]
    lasts: tuple[str, ...]
    #: How many stages (after the leading ``$match`` stages) the translation covers.
    consumed: int
    #: Top-level fields of the group documents that hold an instant as epoch microseconds.
    instant_fields: frozenset[str]


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
                return _missing()  # a field the groups do not have
        if node is None or not segments:
            return _Unavailable(segments)
        for depth, segment in enumerate(segments[1:], start=1):
            if isinstance(node, _Object):
                node = dict(node.fields).get(segment)
                if node is None:
                    return _missing()
            elif isinstance(node, _Json):
                return _Json(_path(node.expr, segments[depth:]))
            elif isinstance(node, _Positional | _Accumulated):
                return _Accumulated(".".join(segments))  # type: ignore[return-value]
            elif isinstance(node, _Unavailable):
                return _Unavailable(segments)
            else:
                return _missing()
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
    query = _grouping(grouped_leaves, aggregates, inner_order[0], inner_order[0], "level")
    return _level(stage, query, key, leaves, from_key, aggregates, ordered)


def _grouping(
    leaves: list[sa.ColumnElement[Any]],
    aggregates: list[tuple[ast.Accumulator, sa.ColumnElement[Any], bool]],
    first_at: sa.ColumnElement[Any],
    last_at: sa.ColumnElement[Any],
    name: str,
) -> sa.Subquery:
    """A level's query: key leaves ``k0``..., aggregates ``v0``..., ``first_at``, ``last_at``."""
    return (
        sa.select(
            *(leaf.label(f"k{position}") for position, leaf in enumerate(leaves)),
            *(aggregate.label(f"v{index}") for index, (_, aggregate, _) in enumerate(aggregates)),
            sa.func.min(first_at).label("first_at"),
            sa.func.max(last_at).label("last_at"),
        )
        .group_by(*leaves)
        .subquery(name)
    )


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
    # The key over the groups and in a row must be the same value: same shape, leaf by leaf.
    if len(row_leaves) != len(leaves):
        raise Unsupported("a key that reads differently in a row")
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
    query = _grouping(
        grouped_leaves, aggregates, inner.c.first_at, inner.c.last_at, f"level{depth}"
    )
    return _level(stage, query, row_key, row_leaves, from_key, aggregates, ordered)


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
    text = sa.Text()
    groups = sa.select(
        sa.cast(sa.func.jsonb_build_object(*pairs, type_=JSONB), text).label("doc"),
        sa.cast(key_json, text).label("key"),
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
