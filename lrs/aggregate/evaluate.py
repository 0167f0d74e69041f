"""Running a typed pipeline over a stream of documents, in Python (the memory store's engine).

Stages stream where MongoDB's do (``$match``, ``$project``, ``$addFields``, ``$unwind``,
``$skip``, ``$limit``); the blocking ones (``$group``, ``$sort``, ``$sample``, ``$count``,
``$sortByCount``) hold at most ``Bounds.max_buffered`` documents or groups, and a ``$sort``
followed by a ``$limit`` keeps only the top ``limit`` (as MongoDB's top-k sort). ``tick`` is
called once per document read, so a caller can stop a run that takes too long.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import total_ordering
from typing import Any

from lrs.aggregate import ast
from lrs.aggregate.expressions import evaluate, resolve
from lrs.aggregate.values import MISSING, compare, group_key, is_number, sort_key
from lrs.core.errors import BadQuery
from lrs.query.ast import Path, Projection
from lrs.query.evaluate import matches
from lrs.query.projection import project


@dataclass(frozen=True)
class Bounds:
    """How much a run may hold in memory at once, and how long it may take."""

    #: Documents a blocking stage may hold (a ``$sort`` without a following ``$limit``,
    #: ``$sample``) and groups a ``$group`` may build.
    max_buffered: int = 100_000
    #: Milliseconds the run may take (``maxTimeMS``, capped by the server's limit), or None.
    #: The evaluator's ``tick`` watches it between documents; a store that runs the pipeline
    #: in its database gives the database the same limit.
    time_limit_ms: int | None = None


@dataclass
class _Run:
    bounds: Bounds
    tick: Callable[[], None]
    rng: random.Random = field(default_factory=random.Random)


def run_pipeline(
    pipeline: ast.Pipeline,
    documents: Iterable[dict[str, Any]],
    *,
    bounds: Bounds | None = None,
    tick: Callable[[], None] = lambda: None,
) -> Iterator[dict[str, Any]]:
    """The documents that come out of ``pipeline`` fed with ``documents``."""
    run = _Run(bounds or Bounds(), tick)
    stream: Iterator[dict[str, Any]] = _ticking(documents, tick)
    stages = list(pipeline.stages)
    index = 0
    while index < len(stages):
        stage = stages[index]
        following = stages[index + 1] if index + 1 < len(stages) else None
        if isinstance(stage, ast.SortStage) and isinstance(following, ast.Limit):
            stream = _top(stream, stage, following.count)
            index += 2
            continue
        stream = _stage(run, stage, stream)
        index += 1
    return stream


def _ticking(documents: Iterable[dict[str, Any]], tick: Callable[[], None]) -> Iterator[Any]:
    for doc in documents:
        tick()
        yield doc


def _stage(run: _Run, stage: ast.Stage, stream: Iterator[dict[str, Any]]) -> Iterator[Any]:
    if isinstance(stage, ast.Match):
        return (doc for doc in stream if matches(stage.condition, doc))
    if isinstance(stage, ast.Project):
        return (_project(stage, doc) for doc in stream)
    if isinstance(stage, ast.AddFields):
        return (_add_fields(stage.fields, doc) for doc in stream)
    if isinstance(stage, ast.Group):
        return _group(run, stage.key, stage.accumulators, stream)
    if isinstance(stage, ast.Unwind):
        return _unwind(stage, stream)
    if isinstance(stage, ast.SortStage):
        return iter(sorted(_buffer(run, stream, "$sort"), key=_sort_key(stage)))
    if isinstance(stage, ast.Skip):
        return _skip(stage.count, stream)
    if isinstance(stage, ast.Limit):
        return _limit(stage.count, stream)
    if isinstance(stage, ast.Count):
        total = sum(1 for _ in stream)
        return iter([{stage.field: total}] if total else [])
    if isinstance(stage, ast.SortByCount):
        grouped = _group(
            run, stage.key, (ast.Accumulator("count", "$sum", ast.Literal_(1)),), stream
        )
        by_count = ast.SortStage(((Path(("count",)), -1),))
        return iter(sorted(grouped, key=_sort_key(by_count)))
    if isinstance(stage, ast.Sample):
        return iter(_sample(run, stage.size, stream))
    raise AssertionError(stage)


def _buffer(run: _Run, stream: Iterator[Any], what: str) -> list[Any]:
    held = []
    for doc in stream:
        held.append(doc)
        if len(held) > run.bounds.max_buffered:
            raise BadQuery(
                f"pipeline: {what} would hold more than {run.bounds.max_buffered} documents; "
                "add a $match before it, or a $limit right after a $sort",
                field="pipeline",
            )
    return held


def _skip(count: int, stream: Iterator[Any]) -> Iterator[Any]:
    for index, doc in enumerate(stream):
        if index >= count:
            yield doc


def _limit(count: int, stream: Iterator[Any]) -> Iterator[Any]:
    for index, doc in enumerate(stream):
        if index >= count:
            return
        yield doc


# --- documents -------------------------------------------------------------------------------


def set_path(doc: dict[str, Any], segments: tuple[str, ...], value: Any) -> None:
    """Set a dotted path in place, making (or replacing non-object) parents as objects."""
    node = doc
    for segment in segments[:-1]:
        child = node.get(segment)
        if not isinstance(child, dict):
            child = {}
            node[segment] = child
        node = child
    node[segments[-1]] = value


def _copy_path(doc: dict[str, Any], segments: tuple[str, ...]) -> dict[str, Any]:
    """``doc`` with the objects along ``segments`` copied, so setting the path there leaves the
    input untouched (documents are shared between stages)."""
    result = dict(doc)
    node = result
    for segment in segments[:-1]:
        child = node.get(segment)
        if not isinstance(child, dict):
            break
        child = dict(child)
        node[segment] = child
        node = child
    return result


def _project(stage: ast.Project, doc: dict[str, Any]) -> dict[str, Any]:
    if stage.mode == "exclude":
        paths = stage.paths if stage.keep_id else (*stage.paths, Path(("_id",)))
        return project(Projection("exclude", paths), doc)
    result = project(Projection("include", stage.paths, include_id=stage.keep_id), doc)
    for path, expr in stage.computed:
        value = evaluate(expr, doc)
        if value is not MISSING:
            set_path(result, path.segments, value)
    return result


def _add_fields(fields: tuple[tuple[Path, ast.Expr], ...], doc: dict[str, Any]) -> Any:
    result = doc
    for path, expr in fields:
        value = evaluate(expr, doc)
        result = _copy_path(result, path.segments)
        if value is MISSING:
            continue
        set_path(result, path.segments, value)
    return result


def _unwind(stage: ast.Unwind, stream: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    segments = stage.path.segments
    for doc in stream:
        value = resolve(doc, segments)
        if isinstance(value, list) and value and not _through_array(doc, segments):
            for position, element in enumerate(value):
                out = _copy_path(doc, segments)
                set_path(out, segments, element)
                if stage.index_field is not None:
                    out[stage.index_field] = position
                yield out
        elif isinstance(value, list) or value is MISSING or value is None:
            if stage.preserve_null_and_empty:
                out = doc
                if isinstance(value, list) and not _through_array(doc, segments):
                    out = _copy_path(doc, segments)
                    _drop_path(out, segments)
                if stage.index_field is not None:
                    out = {**out, stage.index_field: None}
                yield out
        else:  # a scalar or object is treated as an array of one
            out = doc
            if stage.index_field is not None:
                out = {**out, stage.index_field: None}
            yield out


def _through_array(doc: Any, segments: tuple[str, ...]) -> bool:
    """True when a parent on the path is an array: MongoDB's $unwind then finds no array."""
    node = doc
    for segment in segments[:-1]:
        if not isinstance(node, dict):
            return True
        node = node.get(segment)
        if isinstance(node, list):
            return True
    return False


def _drop_path(doc: dict[str, Any], segments: tuple[str, ...]) -> None:
    node: Any = doc
    for segment in segments[:-1]:
        node = node.get(segment)
        if not isinstance(node, dict):
            return
    node.pop(segments[-1], None)


# --- $group ---------------------------------------------------------------------------------


class _Accumulating:
    """The running state of one accumulator in one group."""

    __slots__ = ("count", "empty", "kind", "seen", "total", "value")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.empty = True
        self.total: int | float = 0
        self.count = 0
        self.value: Any = None
        self.seen: dict[Any, None] | None = {} if kind == "$addToSet" else None

    def add(self, value: Any) -> None:
        kind = self.kind
        if kind in ("$sum", "$avg"):
            if is_number(value):
                self.total += value
                self.count += 1
        elif kind in ("$min", "$max"):
            if value is MISSING or value is None:
                return
            order = 0 if self.empty else compare(value, self.value)
            if self.empty or (order < 0 if kind == "$min" else order > 0):
                self.value = value
            self.empty = False
        elif kind == "$first":
            if self.empty:
                self.value = None if value is MISSING else value
                self.empty = False
        elif kind == "$last":
            self.value = None if value is MISSING else value
        elif kind == "$push":
            if value is not MISSING:
                if self.value is None:
                    self.value = []
                self.value.append(value)
        elif kind == "$addToSet" and value is not MISSING:
            assert self.seen is not None
            key = group_key(value)
            if key not in self.seen:
                self.seen[key] = value

    def result(self) -> Any:
        kind = self.kind
        if kind == "$sum":
            return self.total
        if kind == "$avg":
            return self.total / self.count if self.count else None
        if kind == "$push":
            return self.value or []
        if kind == "$addToSet":
            assert self.seen is not None
            return list(self.seen.values())
        return self.value


def _group(
    run: _Run,
    key: ast.Expr,
    accumulators: tuple[ast.Accumulator, ...],
    stream: Iterator[dict[str, Any]],
) -> Iterator[dict[str, Any]]:
    groups: dict[Any, tuple[Any, list[_Accumulating]]] = {}
    for doc in stream:
        key_value = evaluate(key, doc)
        if key_value is MISSING:
            key_value = None
        canonical = group_key(key_value)
        entry = groups.get(canonical)
        if entry is None:
            if len(groups) >= run.bounds.max_buffered:
                raise BadQuery(
                    f"pipeline: $group would build more than {run.bounds.max_buffered} groups; "
                    "add a $match before it or group more coarsely",
                    field="pipeline",
                )
            entry = (key_value, [_Accumulating(acc.name) for acc in accumulators])
            groups[canonical] = entry
        for state, accumulator in zip(entry[1], accumulators, strict=True):
            state.add(evaluate(accumulator.expr, doc))
    for key_value, states in groups.values():
        out = {"_id": key_value}
        for state, accumulator in zip(states, accumulators, strict=True):
            out[accumulator.field] = state.result()
        yield out


# --- $sort ----------------------------------------------------------------------------------


class _EmptyArray:
    """Where an empty array sorts in a ``$sort``: before null."""


_EMPTY = _EmptyArray()


def _sort_value(doc: Any, path: Path, direction: int) -> Any:
    value = resolve(doc, path.segments)
    if isinstance(value, list):
        if not value:
            return _EMPTY
        # ascending sorts an array by its least element, descending by its greatest
        chosen = value[0]
        for item in value[1:]:
            order = compare(item, chosen)
            if (order < 0) if direction == 1 else (order > 0):
                chosen = item
        return chosen
    return None if value is MISSING else value


@total_ordering
class _Descending:
    """A sort key that orders the other way round."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.key == other.key

    def __lt__(self, other: _Descending) -> bool:
        return bool(other.key < self.key)

    __hash__ = None  # type: ignore[assignment]


def _sort_key(stage: ast.SortStage) -> Callable[[Any], Any]:
    def key(doc: Any) -> tuple[Any, ...]:
        parts: list[Any] = []
        for path, direction in stage.keys:
            value = _sort_value(doc, path, direction)
            part = (0.5,) if value is _EMPTY else sort_key(value)  # an empty array: before null
            parts.append(part if direction == 1 else _Descending(part))
        return tuple(parts)

    return key


def _top(stream: Iterator[Any], stage: ast.SortStage, count: int) -> Iterator[Any]:
    key = _sort_key(stage)
    ranked = heapq.nsmallest(count, enumerate(stream), key=lambda pair: (key(pair[1]), pair[0]))
    return (doc for _, doc in ranked)


def _sample(run: _Run, size: int, stream: Iterator[Any]) -> list[Any]:
    chosen: list[Any] = []
    for seen, doc in enumerate(stream):
        if len(chosen) < size:
            chosen.append(doc)
        else:
            slot = run.rng.randrange(seen + 1)
            if slot < size:
                chosen[slot] = doc
    run.rng.shuffle(chosen)
    return chosen
