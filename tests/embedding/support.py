"""A small stdlib HTTP client for the embedding tests (``requests`` is not an lrs dependency)."""

from __future__ import annotations

import base64
import http.client
from dataclasses import dataclass
from email.message import Message
from typing import Any

import orjson

from lrs.testing import RunningLrs

XAPI_VERSION = {"X-Experience-API-Version": "1.0.3"}


@dataclass(frozen=True)
class Reply:
    """A response, read in full."""

    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(self.body)


def call(
    lrs: RunningLrs,
    method: str,
    path: str,
    *,
    json: Any = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    authorization: str | None = None,
) -> Reply:
    """One request on a new connection to the embedded server, with its credentials (or the
    ``authorization`` given) and the xAPI version header."""
    sent = {"Authorization": authorization or lrs.authorization, **XAPI_VERSION}
    if json is not None:
        body = orjson.dumps(json)
        sent["Content-Type"] = "application/json"
    sent.update(headers or {})
    connection = http.client.HTTPConnection("127.0.0.1", lrs.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def statement(activity: str = "http://example.com/activities/1", **extra: Any) -> dict[str, Any]:
    """A small valid statement."""
    return {
        "actor": {"objectType": "Agent", "mbox": "mailto:ada@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": activity},
        **extra,
    }


def basic(key: str, secret: str) -> str:
    """An ``Authorization`` header value for these Basic credentials."""
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")
