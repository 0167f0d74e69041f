"""Applying a projection to a document (both stores project in Python after fetching).

* Inclusion keeps only the named paths (and ``_id`` unless excluded). Through an array, object
  elements are projected (possibly to ``{}``) and scalar elements dropped, so the array keeps its
  shape: ``{"a.b": 1}`` on ``{"a": [{"b": 1, "c": 2}, 3, {"c": 4}]}`` gives
  ``{"a": [{"b": 1}, {}]}``.
  A scalar where the path needs an object is dropped.
* Exclusion removes the named paths, through arrays, and keeps everything else.
* An inclusion's ``trimmed`` paths are then removed from what it kept (seed 001's
  ``{"statement.verb": {"display": 0}}`` inside an inclusion).
* A rename ``{"userId": "$statement.actor.account.name"}`` sets the new path to the value at the
  source path, with aggregation path semantics (through an array: the array of the values found);
  a missing source sets nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrs.query.ast import Path, Projection

_ID = "_id"
_LEAF: dict[str, Any] = {}
_MISSING = object()


def project(projection: Projection, doc: Mapping[str, Any]) -> dict[str, Any]:
    """Return the projected copy of ``doc`` (``doc`` itself is not modified)."""
    if projection.mode == "exclude":
        if not projection.paths:
            return dict(doc)
        return _exclude(doc, _tree(projection.paths))
    tree = _tree(projection.paths)
    result: dict[str, Any] = {}
    for key, value in doc.items():
        if key == _ID and projection.include_id:
            result[key] = value
        elif key in tree:
            subtree = tree[key]
            if subtree is _LEAF:
                result[key] = value
            elif isinstance(value, Mapping | list | tuple):
                result[key] = _include(value, subtree)
    if projection.trimmed:
        result = _exclude(result, _tree(projection.trimmed))
    for target, source in projection.renames:
        found = _get(doc, source.segments)
        if found is not _MISSING:
            _set(result, target.segments, found)
    return result


def _tree(paths: tuple[Path, ...]) -> dict[str, Any]:
    """Nested dict of path segments; ``_LEAF`` marks the end of a path."""
    root: dict[str, Any] = {}
    for path in paths:
        node = root
        for segment in path.segments[:-1]:
            node = node.setdefault(segment, {})
        node[path.segments[-1]] = _LEAF
    return root


def _include(value: Any, tree: dict[str, Any]) -> Any:
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if key not in tree:
                continue
            subtree = tree[key]
            if subtree is _LEAF:
                result[key] = item
            elif isinstance(item, Mapping | list | tuple):
                result[key] = _include(item, subtree)
        return result
    return [_include(item, tree) for item in value if isinstance(item, Mapping | list | tuple)]


def _exclude(value: Any, tree: dict[str, Any]) -> Any:
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key, item in value.items():
            subtree = tree.get(key)
            if subtree is _LEAF:
                continue
            result[key] = item if subtree is None else _exclude(item, subtree)
        return result
    if isinstance(value, list | tuple):
        return [_exclude(item, tree) for item in value]
    return value


def _get(value: Any, segments: tuple[str, ...]) -> Any:
    if not segments:
        return value
    if isinstance(value, Mapping):
        if segments[0] in value:
            return _get(value[segments[0]], segments[1:])
        return _MISSING
    if isinstance(value, list | tuple):
        found: list[Any] = []
        for element in value:
            if isinstance(element, Mapping | list | tuple):
                item = _get(element, segments)
                if item is not _MISSING:
                    found.append(item)
        return found
    return _MISSING


def _set(result: dict[str, Any], segments: tuple[str, ...], value: Any) -> None:
    node = result
    for segment in segments[:-1]:
        child = node.get(segment)
        if not isinstance(child, dict):
            child = node[segment] = {}
        node = child
    node[segments[-1]] = value
