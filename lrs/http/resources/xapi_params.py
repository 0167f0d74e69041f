"""Reading xAPI query parameters: exact names, one value each, values validated like statements.

Every failure is a ``BadRequest`` naming the parameter, so a client learns what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import falcon
import orjson

from lrs.core.errors import BadRequest
from lrs.xapi.agents import ifi_string
from lrs.xapi.datatypes import is_iri
from lrs.xapi.intake import contains_nul
from lrs.xapi.timestamps import parse_timestamp
from lrs.xapi.validate import validate_agent, validate_timestamp, validate_uuid


def single_valued_params(req: falcon.Request, allowed: Iterable[str]) -> dict[str, str]:
    """The request's parameters, each once, all among ``allowed`` (names are case-sensitive)."""
    names = set(allowed)
    params: dict[str, str] = {}
    for name, value in req.params.items():
        if name not in names:
            near = next((n for n in names if n.lower() == name.lower()), None)
            hint = f"; parameter names are case-sensitive: did you mean {near}?" if near else ""
            raise BadRequest(
                f"{name}: unknown parameter for {req.method} {req.path}{hint}", field=name
            )
        if isinstance(value, list):
            raise BadRequest(f"{name}: the parameter is given more than once", field=name)
        if "\x00" in value:  # PostgreSQL text cannot hold NUL: refused on every store
            raise BadRequest(f"{name}: may not contain NUL characters (%00)", field=name)
        params[name] = value
    return params


def boolean(params: Mapping[str, str], name: str) -> bool:
    """A ``true``/``false`` parameter (absent: false). ``True``/``False`` are accepted too:
    TinCanPython sends Python's spelling."""
    value = params.get(name)
    if value is None or value in ("false", "False"):
        return False
    if value in ("true", "True"):
        return True
    raise BadRequest(f"{name}: must be true or false, not {value!r}", field=name)


def agent_ifi(params: Mapping[str, str], name: str = "agent") -> str | None:
    """The IFI string of the Agent (or Identified Group) JSON in ``name``."""
    raw = params.get(name)
    if raw is None:
        return None
    return ifi_string(agent_object(raw, name))


def agent_object(raw: str, name: str = "agent") -> dict[str, Any]:
    """The validated Agent (or Identified Group) JSON object of a parameter."""
    try:
        agent: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest(f"{name}: must be an Agent as JSON", field=name) from None
    validate_agent(agent, name)
    if contains_nul(agent):  # PostgreSQL text cannot hold NUL: refused on every store
        raise BadRequest(f"{name}: may not contain NUL characters (\\u0000)", field=name)
    return agent


def iri(params: Mapping[str, str], name: str) -> str | None:
    """An IRI parameter."""
    value = params.get(name)
    if value is not None and not is_iri(value):
        raise BadRequest(f"{name}: must be an IRI, not {value!r}", field=name)
    return value


def uuid_param(params: Mapping[str, str], name: str) -> str | None:
    """A UUID parameter, lower-cased."""
    value = params.get(name)
    return None if value is None else validate_uuid(value, name).lower()


# RFC 3339 (5.6, NOTE) lets a space stand for the ``T`` between date and time; TinCanPython
# sends ``since`` so. Only that one space, where the ``T`` goes, is read as a ``T``.
_SPACED_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:.*)")


def timestamp(params: Mapping[str, str], name: str) -> datetime | None:
    """An ISO 8601 timestamp parameter (a space for the ``T`` accepted)."""
    value = params.get(name)
    if value is None:
        return None
    spaced = _SPACED_TIMESTAMP.fullmatch(value)
    if spaced is not None:
        value = f"{spaced.group(1)}T{spaced.group(2)}"
    validate_timestamp(value, name)
    instant = parse_timestamp(value)
    assert instant is not None  # validated
    return instant


def non_negative_int(params: Mapping[str, str], name: str) -> int | None:
    """A non-negative integer parameter."""
    value = params.get(name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit():
        raise BadRequest(f"{name}: must be a non-negative integer, not {value!r}", field=name)
    return int(value)
