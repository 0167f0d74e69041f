"""Stateless ``more`` links: the query's parameters and the last position, in the URL itself.

A ``more`` IRL (``/data/xAPI/statements?more=<token>``) holds everything needed to fetch the
next page, so it works for as long as the statements exist, on any server of a cluster. The token
is URL-safe base64 of JSON: the original query parameters and the ``(stored, _id)`` of the last
statement returned. Decoded parameters are validated again like any request's, so a forged token
can ask for nothing a direct request could not.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import orjson

from lrs.core.errors import BadRequest

MORE_PATH = "/data/xAPI/statements"


def encode_more(params: dict[str, str], last: tuple[datetime, str]) -> str:
    """The relative ``more`` IRL continuing after ``last``."""
    stored, record_id = last
    payload = {"p": params, "a": [stored.isoformat(), record_id]}
    token = base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")
    return f"{MORE_PATH}?more={token}"


def decode_more(token: str) -> tuple[dict[str, str], tuple[datetime, str]]:
    """The parameters and position a ``more`` token holds; ``BadRequest`` if it is not ours."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload: Any = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        params = payload["p"]
        stored_text, record_id = payload["a"]
        if not isinstance(params, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in params.items()
        ):
            raise ValueError("params")
        if not isinstance(record_id, str):
            raise ValueError("id")
        stored = datetime.fromisoformat(stored_text)
        if stored.tzinfo is None:
            raise ValueError("stored")
    except (ValueError, KeyError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise BadRequest(
            "more: the token is not a more link this LRS issued", field="more"
        ) from None
    return params, (stored, record_id)
