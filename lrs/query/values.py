"""Operand values: Learning Locker's ``$oid``/``$dte`` rewrites, validation, date casting."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from lrs.core.errors import BadQuery
from lrs.query.ast import Value

_OBJECT_ID = re.compile(r"[0-9a-fA-F]{24}")


def parse_instant(text: Any, *, where: str) -> datetime:
    """An ISO 8601 date-time as a timezone-aware ``datetime`` (no offset means UTC)."""
    if not isinstance(text, str):
        raise BadQuery(f"{where}: expected an ISO 8601 date-time string, got {text!r}")
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise BadQuery(f"{where}: {text!r} is not an ISO 8601 date-time") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant


MAX_VALUE_DEPTH = 32
"""How deeply an operand's arrays and objects may nest (JSON encoders have a recursion limit)."""


def normalize_value(raw: Any, *, where: str, charge: Callable[[], None], depth: int = 0) -> Value:
    """Validate an operand and apply the rewrites, recursively.

    ``{"$oid": hex}`` becomes the lower-case 24-hex string and ``{"$dte": iso}`` an aware
    ``datetime``. Any other object key starting with ``$`` is an unknown operator in a value
    position (BadQuery). NaN/Infinity and strings with NUL are refused (JSON and ``jsonb``
    cannot hold them). ``charge`` is called once per node, for the size limit; operands nested
    more than ``MAX_VALUE_DEPTH`` levels are refused.
    """
    charge()
    if depth > MAX_VALUE_DEPTH:
        raise BadQuery(
            f"{where}: the value is nested too deeply (more than {MAX_VALUE_DEPTH} levels)"
        )
    if raw is None or isinstance(raw, bool | int):
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise BadQuery(f"{where}: {raw!r} is not a JSON number")
        return raw
    if isinstance(raw, str):
        if "\x00" in raw:
            raise BadQuery(f"{where}: strings may not contain NUL characters")
        return raw
    if isinstance(raw, datetime):
        if raw.tzinfo is None:
            raise BadQuery(f"{where}: a date-time without a timezone")
        return raw
    if isinstance(raw, list | tuple):
        return [normalize_value(item, where=where, charge=charge, depth=depth + 1) for item in raw]
    if isinstance(raw, dict):
        if len(raw) == 1 and "$oid" in raw:
            hex_id = raw["$oid"]
            if not isinstance(hex_id, str) or not _OBJECT_ID.fullmatch(hex_id):
                raise BadQuery(f"{where}: $oid needs a 24-character hexadecimal string")
            return hex_id.lower()
        if len(raw) == 1 and "$dte" in raw:
            return parse_instant(raw["$dte"], where=f"{where}: $dte")
        result: dict[str, Value] = {}
        for key, item in raw.items():
            if not isinstance(key, str) or "\x00" in key:
                raise BadQuery(f"{where}: invalid object key {key!r}")
            if key.startswith("$"):
                raise BadQuery(f"{where}: unknown operator {key} in a value")
            result[key] = normalize_value(item, where=where, charge=charge, depth=depth + 1)
        return result
    raise BadQuery(f"{where}: unsupported value {raw!r}")


def cast_to_instant(value: Value, *, where: str) -> Value:
    """Schema-directed casting for date-typed paths: ISO strings become ``datetime``.

    ``None`` stays (null/missing); any other kind is refused, as Mongoose would fail to cast it.
    """
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return parse_instant(value, where=where)
    raise BadQuery(f"{where}: expected a date-time, got {value!r}")
