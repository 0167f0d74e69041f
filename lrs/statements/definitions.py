"""Canonical activity definitions, merged from every statement that describes an activity.

The rule (seed 002, ``GET /activities``): language maps (``name``, ``description``, and the
interaction components' ``description``) are merged per language, ``extensions`` per key; every
other property (``type``, ``moreInfo``, ``interactionType``, ``correctResponsesPattern``, component
lists) takes the value of the newest statement that sends it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

_MERGED_MAPS = ("name", "description", "extensions")
_CONTEXT_KEYS = ("parent", "grouping", "category", "other")


def _activities_of(statement: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    target = statement.get("object") or {}
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity":
        yield target
    elif object_type == "SubStatement":
        yield from _activities_of(target)
    context_activities = (statement.get("context") or {}).get("contextActivities") or {}
    for key in _CONTEXT_KEYS:
        value = context_activities.get(key)
        items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        yield from items


def described_activities(statement: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(activity id, definition)`` for every activity in the statement that has a definition."""
    for activity in _activities_of(statement):
        definition = activity.get("definition")
        # Parsed JSON: objects are dicts (the Mapping ABC check costs several times more).
        if isinstance(definition, dict) and definition:
            yield activity["id"], dict(definition)


def merge_definition(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """``new`` merged over ``old`` by the rule in the module docstring."""
    merged: dict[str, Any] = dict(old or {})
    for key, value in new.items():
        previous = merged.get(key)
        if key in _MERGED_MAPS and isinstance(previous, Mapping) and isinstance(value, Mapping):
            merged[key] = {**previous, **value}
        else:
            merged[key] = value
    return merged
