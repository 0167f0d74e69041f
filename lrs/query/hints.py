"""Index hints: validated, mapped to our index names when we know the pattern, never obeyed
in a way that could change results.

MongoDB's ``hint`` forces an index (by key pattern or name); on an ordinary index that changes
the plan, not the answer. PostgreSQL has no hints, so we validate the shape (400 on garbage),
look the pattern up in ``INDEX_PATTERNS`` (Learning Locker's common indexes → the index of ours
that serves the same queries) so it can be logged and checked in EXPLAIN tests, and otherwise
ignore it.
"""

from __future__ import annotations

from typing import Any

from lrs.core.errors import BadQuery
from lrs.query.ast import Hint, SortKey
from lrs.query.paths import parse_path

MAX_HINT_KEYS = 16
MAX_INDEX_NAME_LENGTH = 128

# Learning Locker's common statement indexes (its 2017-11-22 migration and indexing guide),
# without the tenant prefix ``organisation``/``lrs_id`` that every one of our queries carries.
_TENANT = ("organisation", "lrs_id", "voided")
INDEX_PATTERNS: dict[tuple[tuple[str, int], ...], str] = {
    (("timestamp", -1), ("_id", -1)): "statements_timestamp",
    (("timestamp", -1), ("_id", 1)): "statements_timestamp",
    (("stored", -1), ("_id", -1)): "statements_stored",
    (("stored", -1), ("_id", 1)): "statements_stored",
    (("stored", -1),): "statements_stored",
    (("statement.verb.id", 1),): "statements_verb",
    (("statement.verb.id", 1), ("statement.object.objectType", 1)): "statements_verb",
    (("statement.verb.id", 1), ("statement.object.id", 1)): "statements_verb",
    (("statement.actor.mbox", 1),): "statements_actor_mbox",
    (
        ("statement.actor.account.name", 1),
        ("statement.actor.account.homePage", 1),
    ): "statements_actor_account",
    (("statement.id", 1),): "statements_lrs_statement_id",
    (("statement.object.id", 1),): "statements_object",
    (("statement.context.registration", 1),): "statements_registration",
}


def parse_hint(raw: Any) -> Hint:
    """Validate a hint: an object of path → 1/-1, ``{"$natural": 1|-1}``, or an index name."""
    if isinstance(raw, str):
        if not raw or len(raw) > MAX_INDEX_NAME_LENGTH or not raw.isprintable():
            raise BadQuery("hint: not a valid index name", field="hint")
        return Hint(name=raw)
    if not isinstance(raw, dict) or not raw:
        raise BadQuery("hint must be an index name or a non-empty object", field="hint")
    if len(raw) > MAX_HINT_KEYS:
        raise BadQuery(f"hint has more than {MAX_HINT_KEYS} keys", field="hint")
    if "$natural" in raw:
        if len(raw) != 1 or raw["$natural"] not in (1, -1) or isinstance(raw["$natural"], bool):
            raise BadQuery('hint: {"$natural": 1 or -1} stands alone', field="hint")
        return Hint(natural=raw["$natural"])
    keys: list[SortKey] = []
    for raw_path, direction in raw.items():
        path = parse_path(raw_path, what="hint path", allow_numeric=True)
        if isinstance(direction, bool) or direction not in (1, -1):
            raise BadQuery(f"hint {raw_path}: direction must be 1 or -1", field="hint")
        keys.append(SortKey(path, direction))
    return Hint(keys=tuple(keys))


def resolve_hint(hint: Hint) -> str | None:
    """The name of our index that serves what ``hint`` asked for, or None (then: ignore it)."""
    if hint.name is not None:
        return hint.name if hint.name in set(INDEX_PATTERNS.values()) else None
    pattern = tuple((str(key.path), key.direction) for key in hint.keys)
    while pattern and pattern[0][0] in _TENANT:
        pattern = pattern[1:]
    return INDEX_PATTERNS.get(pattern)
