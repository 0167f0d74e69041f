"""Checking a request body against a model's declared fields.

Only declared, writable fields are taken; unknown and read-only ones are ignored (seed 003). A
value of the wrong type is a ``BadRequest`` whose message and ``field`` name it, prefixed with
the item's position in a bulk request (``[2].title``).
"""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime
from typing import Any

import orjson

from lrs.core.errors import BadRequest
from lrs.core.ids import is_object_id
from lrs.core.timeutil import to_iso
from lrs.models.registry import Field, Kind, ModelSpec


def label(where: str, name: str) -> str:
    """``name`` within ``where`` (``"[2]"`` + ``"title"`` → ``"[2].title"``)."""
    if not where:
        return name
    return f"{where}{name}" if name.startswith("[") else f"{where}.{name}"


def fail(where: str, message: str) -> BadRequest:
    """A ``BadRequest`` for the field at ``where``."""
    return BadRequest(f"{where}: {message}", field=where)


def require_object(body: Any, where: str) -> dict[str, Any]:
    """``body`` when it is a JSON object."""
    if not isinstance(body, dict):
        name = where or "body"
        raise fail(name, "must be a JSON object")
    return body


def writable_values(spec: ModelSpec, body: Any, where: str = "") -> dict[str, Any]:
    """The validated values of the writable declared fields that ``body`` holds."""
    body = require_object(body, where)
    values: dict[str, Any] = {}
    for declared in spec.fields:
        if declared.read_only or declared.hidden or declared.name not in body:
            continue
        values[declared.name] = check_value(
            declared, body[declared.name], label(where, declared.name)
        )
    return values


def complete(spec: ModelSpec, values: dict[str, Any], where: str = "") -> dict[str, Any]:
    """``values`` plus the defaults of absent writable fields; a missing required field is a 400.

    Write-only fields are left out when absent (an overwrite keeps the stored one).
    """
    result = dict(values)
    for declared in spec.fields:
        if declared.read_only or declared.hidden or declared.name in result:
            continue
        if declared.required:
            raise fail(label(where, declared.name), "is required")
        if declared.has_default and not declared.write_only:
            result[declared.name] = copy.deepcopy(declared.default)
    return result


def defaults_of_read_only(spec: ModelSpec) -> dict[str, Any]:
    """Defaults of the read-only fields, for a new document."""
    return {
        f.name: copy.deepcopy(f.default)
        for f in spec.fields
        if f.read_only and f.has_default and not f.name.startswith("_")
    }


def check_value(declared: Field, value: Any, where: str) -> Any:
    """``value`` checked (and normalised) for ``declared``; ``BadRequest`` naming ``where``."""
    if value is None:
        if declared.required:
            raise fail(where, "is required and cannot be null")
        return None
    checked = _check_kind(declared.kind, value, where, declared.items)
    if declared.choices and checked not in declared.choices:
        raise fail(where, f"must be one of {', '.join(declared.choices)}, not {value!r}")
    if declared.required and checked == "":
        raise fail(where, "is required and cannot be empty")
    return checked


def _check_kind(kind: Kind, value: Any, where: str, items: Kind | None = None) -> Any:
    bad = fail(where, f"must be {kind.value}, not {_show(value)}")
    if kind is Kind.STRING:
        if not isinstance(value, str):
            raise bad
        return _no_nul(value, where)
    if kind is Kind.BOOLEAN:
        if not isinstance(value, bool):
            raise bad
        return value
    if kind is Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad
        if isinstance(value, float) and not math.isfinite(value):
            raise bad
        return value
    if kind is Kind.INTEGER:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        if not _INT64_MIN <= value <= _INT64_MAX:
            # e.g. 1e21 read as a float: stored, it could never be sent back as JSON
            raise fail(where, f"must be a 64-bit integer, not {_show(value)}")
        return value
    if kind is Kind.OBJECT_ID:
        if not isinstance(value, str) or not is_object_id(value.lower()):
            raise bad
        return value.lower()
    if kind is Kind.DATETIME:
        return to_iso(_instant(value, bad))
    if kind is Kind.OBJECT:
        if not isinstance(value, dict):
            raise bad
        return _no_nul(value, where)
    if kind is Kind.ARRAY:
        if not isinstance(value, list):
            raise bad
        element = items or Kind.ANY
        return [_check_kind(element, item, f"{where}[{i}]") for i, item in enumerate(value)]
    if kind is Kind.JSON_TEXT:
        if isinstance(value, str):
            try:
                orjson.loads(value)
            except orjson.JSONDecodeError:
                raise fail(where, "must hold valid JSON") from None
            return _no_nul(value, where)
        if isinstance(value, dict | list):
            return orjson.dumps(_no_nul(value, where)).decode()
        raise bad
    return _no_nul(value, where)


_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def _instant(value: Any, bad: BadRequest) -> datetime:
    if not isinstance(value, str):
        raise bad
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _no_nul(value: Any, where: str) -> Any:
    """``value`` unless a string in it (or a key) holds NUL, which JSONB cannot store."""
    if isinstance(value, str):
        if "\x00" in value:
            raise fail(where, "strings cannot contain NUL characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key, where)
            _no_nul(item, where)
    elif isinstance(value, list):
        for item in value:
            _no_nul(item, where)
    elif isinstance(value, float) and not math.isfinite(value):
        raise fail(where, "numbers must be finite")
    return value


def _show(value: Any) -> str:
    text = orjson.dumps(value).decode() if _jsonable(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _jsonable(value: Any) -> bool:
    try:
        orjson.dumps(value)
    except TypeError:
        return False
    return True
