"""LRS-assigned properties of a Statement being stored (xAPI-Data 2.4.1, 2.4.6.2, 2.4.7 to 2.4.10).

``normalize_statement`` takes a statement that ``lrs.xapi.validate`` accepted and returns the
statement as this LRS stores and returns it (``format=exact``):

* ``id``: kept as sent, else a new random (version 4) UUID;
* ``stored``: always the given instant, as ``YYYY-MM-DDThh:mm:ss.mmmZ`` (Data 2.4.8.s3.b2);
* ``timestamp``: kept as sent (the original serialization), else the same string as ``stored``;
* ``authority``: the client's authority, overwriting any sent value (Data 2.4.9.s3.b4) unless the
  caller trusts the client (``keep_authority=True``) and the statement carries one;
* ``version``: kept as sent, else ``"1.0.0"`` (Data 2.4.10.s3.b3);
* every ``context.contextActivities`` value that is a single Activity becomes a one-element array,
  in the statement and in a SubStatement object (Data 2.4.6.2.s4.b3, b4).

Nothing else changes: property order, numbers, strings and unknown-to-us content are preserved.
The input is not modified; the result shares every untouched sub-object with it (no deep copy), so
treat both as read-only afterwards.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from lrs.xapi.timestamps import format_timestamp

__all__ = ["STATEMENT_VERSION", "normalize_statement", "wrap_context_activities"]

#: The version set on statements that arrive without one.
STATEMENT_VERSION = "1.0.0"


@functools.lru_cache(maxsize=16)
def _stored_text(stored: datetime) -> str:
    """``format_timestamp(stored)``: a batch's statements share one instant, formatted once."""
    return format_timestamp(stored)


def _new_id() -> str:
    """A random UUID string (version 4)."""
    return str(uuid.uuid4())


def _with_context_arrays(statement: Mapping[str, Any]) -> dict[str, Any] | None:
    """A copy of ``statement`` whose contextActivities are all arrays, or ``None`` if already so."""
    context = statement.get("context")
    if not isinstance(context, dict):
        return None
    activities = context.get("contextActivities")
    if not isinstance(activities, dict):
        return None
    if not any(isinstance(value, dict) for value in activities.values()):
        return None
    wrapped = {
        key: [value] if isinstance(value, dict) else value for key, value in activities.items()
    }
    copy = dict(statement)
    copy["context"] = {**context, "contextActivities": wrapped}
    return copy


def wrap_context_activities(statement: Mapping[str, Any]) -> Mapping[str, Any]:
    """``statement`` with single contextActivities wrapped in arrays (also in a SubStatement).

    Returns the same object when nothing needs wrapping.
    """
    result: Mapping[str, Any] = _with_context_arrays(statement) or statement
    target = result.get("object")
    if isinstance(target, dict) and target.get("objectType") == "SubStatement":
        wrapped_sub = _with_context_arrays(target)
        if wrapped_sub is not None:
            result = {**result, "object": wrapped_sub}
    return result


def normalize_statement(
    statement: Mapping[str, Any],
    *,
    stored: datetime,
    authority: Mapping[str, Any],
    keep_authority: bool = False,
    new_id: Callable[[], str] = _new_id,
    version: str = STATEMENT_VERSION,
) -> dict[str, Any]:
    """The statement as stored: LRS-assigned properties set, contextActivities as arrays.

    ``stored`` is the storage instant (aware, any zone; written in UTC with milliseconds);
    ``authority`` the Agent or Group of the client's credentials; ``new_id`` makes ids for
    statements sent without one; ``version`` is the ``version`` of a statement sent without one
    (that of the xAPI version it was sent under: a statement keeps the one it was sent with).
    """
    result = dict(wrap_context_activities(statement))
    if "id" not in result:
        result["id"] = new_id()
    stored_text = _stored_text(stored)
    result["stored"] = stored_text
    if "timestamp" not in result:
        result["timestamp"] = stored_text
    if not (keep_authority and "authority" in result):
        result["authority"] = authority
    if "version" not in result:
        result["version"] = version
    return result
