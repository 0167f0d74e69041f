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

from typing import Any

import sqlalchemy as sa

from lrs.aggregate import ast
from lrs.aggregate.sql.expressions import _expression
from lrs.aggregate.sql.groups import Compiled, _group, assemble
from lrs.aggregate.sql.nodes import (
    _EMPTY_ARRAY,
    StatementColumns,
    Unsupported,
    _Base,
    _Document,
    _Json,
    _Node,
    _Object,
    _origin,
    _Projected,
)
from lrs.query.ast import Path

__all__ = [
    "Compiled",
    "StatementColumns",
    "Unsupported",
    "assemble",
    "compile_prefix",
    "counts_as_groups",
]


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
