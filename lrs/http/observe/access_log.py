"""The access log: one JSON line per request on the ``lrs.access`` logger.

A line holds when the request arrived (ISO 8601 UTC), its request id, method, path and query
string, the status, the latency in milliseconds, the response body's bytes, the authenticated
client and its store (when there is one), the caller's address and user agent, and the errorId
of an error response. Bodies and headers are never logged, so neither the ``Authorization``
header nor the alternate request syntax's ``Authorization`` form field can reach the log.

The query string is logged with the values of secret-looking parameters replaced by
``[redacted]``: parameters whose name contains ``auth``, ``token``, ``secret``, ``passw``,
``pwd``, ``credential``, ``signature``, ``apikey``, ``session`` or ``cookie`` (case, ``-`` and
``_`` ignored), and any value carrying an HTTP credential (``Basic ...``, ``Bearer ...``). No xAPI,
REST or Connection parameter is secret, but a launch link's ``auth=Basic ...`` is sometimes sent
to the LRS by mistake. ``key`` alone is not redacted: a client's key is the public half of its
Basic credentials, like a user name, and the xAPI has no parameter that holds a secret key.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlencode

import orjson

from lrs.core.timeutil import to_iso
from lrs.http.observe.exchange import Exchange

LOGGER_NAME = "lrs.access"
REDACTED = "[redacted]"
# The trusted-proxy middleware puts the real client address here (lrs/http/proxies.py).
CLIENT_ADDRESS_KEY = "lrs.client_address"
ALTERNATE_SYNTAX_KEY = "lrs.http.alternate_syntax"

_SECRET_NAME_PARTS = (
    "auth",
    "token",
    "secret",
    "passw",
    "pwd",
    "credential",
    "signature",
    "apikey",
    "session",
    "cookie",
)
_CREDENTIAL_VALUE = re.compile(r"\b(basic|bearer|digest)\s+\S{8,}", re.IGNORECASE)
_HANDLER_NAME = "lrs.access.stderr"


def is_secret_name(name: str) -> bool:
    """True for a parameter name whose value is not logged."""
    folded = name.lower().replace("-", "").replace("_", "")
    return any(part in folded for part in _SECRET_NAME_PARTS)


def redact_query(query: str) -> str:
    """``query`` as logged: unchanged unless a value is secret, then re-encoded with that value
    replaced by ``[redacted]``."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    cleaned = [
        (name, REDACTED if is_secret_name(name) or _CREDENTIAL_VALUE.search(value) else value)
        for name, value in pairs
    ]
    if cleaned == pairs:
        return query
    return urlencode(cleaned, safe="[]")


def _wsgi_text(value: str) -> str:
    """A WSGI environ string (bytes decoded as latin-1) read back as the UTF-8 it was sent in."""
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return value


def access_record(
    exchange: Exchange, environ: dict[str, Any], seconds: float, body_bytes: int
) -> dict[str, Any]:
    """The fields of one access-log line."""
    record: dict[str, Any] = {
        "time": to_iso(datetime.fromtimestamp(exchange.wall_started, UTC)),
        "request_id": exchange.request_id,
        "method": environ.get("REQUEST_METHOD", ""),
        "path": _wsgi_text(environ.get("PATH_INFO", "")),
        "query": redact_query(_wsgi_text(environ.get("QUERY_STRING", ""))),
        "status": exchange.status_code,
        "duration_ms": round(seconds * 1000, 3),
        "bytes": body_bytes,
        "client_id": exchange.client_id,
        "store_id": exchange.store_id,
        "remote_addr": environ.get(CLIENT_ADDRESS_KEY) or environ.get("REMOTE_ADDR"),
        "user_agent": environ.get("HTTP_USER_AGENT"),
    }
    if exchange.error_id is not None:
        record["error_id"] = exchange.error_id
    if environ.get(ALTERNATE_SYNTAX_KEY):
        record["alternate_syntax"] = True
    return record


class AccessLog:
    """Writes access-log lines to a logger (``lrs.access`` unless told otherwise)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger(LOGGER_NAME)

    def write(
        self, exchange: Exchange, environ: dict[str, Any], seconds: float, body_bytes: int
    ) -> None:
        """Log one request, unless the logger would drop the line anyway."""
        if self._log.isEnabledFor(logging.INFO):
            line = orjson.dumps(access_record(exchange, environ, seconds, body_bytes)).decode()
            self._log.info("%s", line)


def configure_access_logger(stream: TextIO | None = None) -> None:
    """Send ``lrs.access`` to ``stream`` (stderr) as bare JSON lines, whatever ``LRS_LOG_LEVEL``
    is, and not through the root logger (whose format would prefix the JSON)."""
    logger = logging.getLogger(LOGGER_NAME)
    if any(handler.get_name() == _HANDLER_NAME for handler in logger.handlers):
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
