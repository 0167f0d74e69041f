"""Deciding whether two Statements are "the same" (xAPI-Data §2.3.1, statement comparison).

Used for PUT/POST with an id that is already stored (same → 204/200 and no change, different →
409) and for signed statements (the JWS payload against the received statement).

The spec says differences that the immutability exceptions could cause MUST be ignored and every
other serialization difference MUST NOT (Data 2.3.1.s9). So the comparison ignores:

* ``id``, ``stored``, ``authority``, ``version``: LRS-assigned (2.3.1.b1);
* ``timestamp`` when only one side has it (assigned by the LRS); when both have one, they must
  denote the same instant to the millisecond (other zone or precision is only serialization,
  2.3.1.b4, 4.5.s1.b7); SubStatement timestamps are always compared that way;
* Activity ``definition`` s and Verb ``display`` (not part of the Statement, 2.3.1.b2, b3);
* ``attachments`` (not part of the Statement, 2.3.1.b6);
* the order of Group members (2.3.1.b5), of JSON object keys, and single contextActivities
  objects versus one-element arrays (2.4.6.2);
* case where the value is case-insensitive (2.3.1.b7): the domain of an ``mbox``, hex digests,
  UUIDs, the context ``language`` tag;
* an absent ``objectType`` versus its default (``Activity`` for objects and context activities,
  ``Agent`` for actors);
* the digits of ``result.duration`` seconds beyond 0.01 s (Data 4.6.s1.b5); otherwise the
  duration is compared as a string (2.3.1.b8);
* ``1`` versus ``1.0``: JSON numbers are compared by value.

Everything else counts, extensions included.

``statement_hash`` digests the comparable form without the top-level ``timestamp`` (the one rule a
single digest cannot express); ``statements_equivalent`` is the full decision: equal hashes and
:func:`timestamps_agree`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import orjson

from lrs.xapi.timestamps import canonical_timestamp

__all__ = ["comparable_form", "statement_hash", "statements_equivalent", "timestamps_agree"]

_DROPPED = frozenset({"id", "stored", "authority", "version", "timestamp", "attachments"})
_SECONDS_FRACTION = re.compile(r"([.,]\d{2})\d+S$")


def _plain(value: Any) -> Any:
    """``value`` with integral floats turned into ints, recursively (1.0 and 1 compare equal)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most leaves: unchanged
        return value
    if kind is float:  # beyond 64 bits an int would not serialise; such floats stay floats
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _dump(value: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _mbox(value: str) -> str:
    """``mailto:local@domain`` with the (case-insensitive) domain lower-cased."""
    local, at, domain = value.rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else value


def _actor(actor: Mapping[str, Any], default_type: str = "Agent") -> dict[str, Any]:
    """Comparable form of an Agent or Group."""
    result = dict(actor)
    result.setdefault("objectType", default_type)
    if isinstance(result.get("mbox"), str):
        result["mbox"] = _mbox(result["mbox"])
    if isinstance(result.get("mbox_sha1sum"), str):
        result["mbox_sha1sum"] = result["mbox_sha1sum"].lower()
    members = result.get("member")
    if isinstance(members, list):
        forms = [_actor(member) for member in members]
        result["member"] = sorted(forms, key=_dump)
    return result


def _activity(activity: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of an Activity: its type and id only (definitions are not compared)."""
    return {"objectType": "Activity", "id": activity.get("id")}


def _statement_ref(ref: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a StatementRef (UUID lower-cased)."""
    ref_id = ref.get("id")
    return {
        "objectType": "StatementRef",
        "id": ref_id.lower() if isinstance(ref_id, str) else ref_id,
    }


def _object(target: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a statement's object."""
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity":
        return _activity(target)
    if object_type in ("Agent", "Group"):
        return _actor(target)
    if object_type == "StatementRef":
        return _statement_ref(target)
    body = _body(target)
    if "timestamp" in target:
        body["timestamp"] = canonical_timestamp(target["timestamp"]) or target["timestamp"]
    return body


def _result(result: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a Result (duration seconds cut to hundredths)."""
    copy = _plain(result)
    duration = copy.get("duration")
    if isinstance(duration, str):
        copy["duration"] = _SECONDS_FRACTION.sub(r"\1S", duration)
    return copy


def _context(context: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of a Context."""
    copy = dict(context)
    if "extensions" in copy:
        copy["extensions"] = _plain(copy["extensions"])
    if isinstance(copy.get("registration"), str):
        copy["registration"] = copy["registration"].lower()
    if isinstance(copy.get("language"), str):
        copy["language"] = copy["language"].lower()
    # JSON objects are dicts here (parsed by orjson); the Mapping ABC check costs far more.
    for key in ("instructor", "team"):
        if isinstance(copy.get(key), dict):
            copy[key] = _actor(copy[key])
    if isinstance(copy.get("statement"), dict):
        copy["statement"] = _statement_ref(copy["statement"])
    activities = copy.get("contextActivities")
    if isinstance(activities, dict):
        copy["contextActivities"] = {
            key: [_activity(item) for item in (value if isinstance(value, list) else [value])]
            for key, value in activities.items()
        }
    return copy


def _body(statement: Mapping[str, Any]) -> dict[str, Any]:
    """Comparable form of the parts a Statement and a SubStatement share."""
    form: dict[str, Any] = {}
    for key, value in statement.items():
        if key in _DROPPED:
            continue
        if key == "actor":
            form[key] = _actor(value)
        elif key == "verb":
            form[key] = {"id": value.get("id")}
        elif key == "object":
            form[key] = _object(value)
        elif key == "result":
            form[key] = _result(value)
        elif key == "context":
            form[key] = _context(value)
        else:
            form[key] = _plain(value)
    return form


def comparable_form(statement: Mapping[str, Any]) -> dict[str, Any]:
    """What the comparison looks at (see the module docstring); top-level timestamp excluded."""
    return _body(statement)


def statement_hash(statement: Mapping[str, Any]) -> str:
    """SHA-256 hex digest of :func:`comparable_form` serialized as canonical JSON."""
    return hashlib.sha256(_dump(comparable_form(statement))).hexdigest()


def timestamps_agree(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """False only when both statements have a ``timestamp`` and they differ (to the ms)."""
    one, two = first.get("timestamp"), second.get("timestamp")
    if one is None or two is None or one == two:
        return True
    canonical_one, canonical_two = canonical_timestamp(one), canonical_timestamp(two)
    return canonical_one is not None and canonical_one == canonical_two


def statements_equivalent(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """True when the two statements are the same Statement under the comparison rules.

    Ids are compared (case-insensitively) only when both statements have one.
    """
    one, two = first.get("id"), second.get("id")
    if one is not None and two is not None and str(one).lower() != str(two).lower():
        return False
    return timestamps_agree(first, second) and _dump(comparable_form(first)) == _dump(
        comparable_form(second)
    )
