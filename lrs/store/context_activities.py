"""The statement ↔ context activity side table: rows to write, and the filters it answers.

A Connection filter such as ``{"statement.context.contextActivities.parent.id": X}`` matches
through an array, which a btree cannot order; the statement GIN index finds the rows but every
match must then be rechecked and sorted. ``statement_context_activities`` holds one row per
(statement, category, activity id) with the statement's ``timestamp`` and ``_id``, so its btree
``(lrs_id, category, activity_id, timestamp DESC, id)`` yields the matches newest first.

Exactness: a stored statement's ``context.contextActivities`` is an object whose values are
arrays of activities, each with a string ``id`` (validation and normalisation guarantee it), so
"some element's id equals the string X" is exactly "a side row (category, X) exists".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lrs.query.ast import And, Eq, Filter

CATEGORIES = frozenset(("parent", "grouping", "category", "other"))
_PREFIX = ("statement", "context", "contextActivities")

ContextActivityRow = tuple[str, str, str, datetime, str]  # lrs_id, category, activity, ts, _id


def statement_context_rows(
    lrs_id: str, record_id: str, timestamp: datetime, statement: Mapping[str, Any]
) -> list[ContextActivityRow]:
    """The side rows of one stored statement: each (category, activity id) once."""
    return [
        (lrs_id, category, activity_id, timestamp, record_id)
        for category, activity_id in context_activity_pairs(statement)
    ]


def context_activity_pairs(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ``(category, activity id)`` pairs of a stored statement, each once, in order."""
    context = statement.get("context")
    activities = context.get("contextActivities") if isinstance(context, dict) else None
    if not isinstance(activities, dict):
        return []
    pairs: dict[tuple[str, str], None] = {}  # insertion-ordered set
    for category, members in activities.items():
        if category not in CATEGORIES or not isinstance(members, list):
            continue
        for member in members:
            activity_id = member.get("id") if isinstance(member, dict) else None
            if isinstance(activity_id, str):
                pairs[category, activity_id] = None
    return list(pairs)


@dataclass(frozen=True)
class ContextActivityMatch:
    """A filter split into one context activity equality and the rest of it."""

    category: str
    activity_id: str
    rest: Filter


def split_context_activity(condition: Filter) -> ContextActivityMatch | None:
    """The first top-level ``statement.context.contextActivities.<category>.id`` equality with
    a string in ``condition`` (alone or in a top-level ``$and``), and what remains without it."""
    children: tuple[Filter, ...] = (
        condition.children if isinstance(condition, And) else (condition,)
    )
    for index, child in enumerate(children):
        category = _category_of(child)
        if category is not None:
            assert isinstance(child, Eq) and isinstance(child.value, str)
            rest = And(children[:index] + children[index + 1 :])
            return ContextActivityMatch(category, child.value, rest)
    return None


def _category_of(node: Filter) -> str | None:
    if not isinstance(node, Eq) or not isinstance(node.value, str):
        return None
    segments = node.path.segments
    if (
        len(segments) == 5
        and segments[:3] == _PREFIX
        and segments[3] in CATEGORIES
        and segments[4] == "id"
    ):
        return segments[3]
    return None
