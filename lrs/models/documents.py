"""What a model document looks like on the way out: rendering and reading values by path."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from lrs.core.timeutil import to_iso
from lrs.models.registry import ModelSpec


def render(spec: ModelSpec, doc: Mapping[str, Any]) -> dict[str, Any]:
    """The API form of a stored document (query view): no hidden or write-only fields, no
    secret hashes, instants as ISO 8601 text, JSON-text fields parsed where Learning Locker's
    getters parse them."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        declared = spec.field(key)
        if declared is not None and (declared.hidden or declared.write_only):
            continue
        if isinstance(value, datetime):
            value = to_iso(value)
        elif declared is not None and declared.parse_output and isinstance(value, str):
            with contextlib.suppress(orjson.JSONDecodeError):
                value = orjson.loads(value)
        out[key] = value
    api = out.get("api")
    if spec.name == "client" and isinstance(api, dict):
        out["api"] = {k: v for k, v in api.items() if k != "basic_secret_hash"}
    return out


def json_view(value: Any) -> Any:
    """``value`` with every ``datetime`` (at any depth) as ISO 8601 text."""
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, Mapping):
        return {k: json_view(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_view(v) for v in value]
    return value


def values_at(value: Any, segments: tuple[str, ...]) -> list[Any]:
    """The values at a path, arrays flattened as MongoDB's ``distinct`` does; [] when missing."""
    if not segments:
        return list(value) if isinstance(value, list) else [value]
    if isinstance(value, Mapping):
        head, rest = segments[0], segments[1:]
        return values_at(value[head], rest) if head in value else []
    if isinstance(value, list):
        return [found for item in value for found in values_at(item, segments)]
    return []


def distinct_values(values: list[Any]) -> list[Any]:
    """``values`` without repeats (objects equal whatever their key order), first seen first."""
    seen: set[bytes] = set()
    result: list[Any] = []
    for value in values:
        key = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        if key not in seen:
            seen.add(key)
            result.append(value)
    return result
