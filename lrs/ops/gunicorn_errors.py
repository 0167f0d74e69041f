"""JSON for the requests gunicorn refuses before lrs sees them.

gunicorn answers a request it cannot parse or that breaks its limits (a header over
``limit_request_field_size``, more than ``limit_request_fields`` headers, a malformed request
line) itself, with an HTML page. lrs promises a JSON body for every error, so the function gunicorn
writes those answers with is replaced by one that writes the same status as lrs's error body.
gunicorn calls it through its ``util`` module, so replacing the module attribute is enough.
"""

from __future__ import annotations

import socket

import orjson
from gunicorn import util

from lrs.http.errors import error_body

_MESSAGES = {
    431: "request headers: too large or too many (one header may hold at most "
    "LRS_MAX_URL_BYTES + 8 KB, and a request at most 100 headers)",
    500: "internal error",
}


def _message(status: int, gunicorn_message: str) -> str:
    """What the client is told: gunicorn's reason for a 4xx, never anything for a 5xx."""
    if status in _MESSAGES:
        return _MESSAGES[status]
    if status >= 500:
        return "the server could not handle the request"
    return f"malformed request: {gunicorn_message}" if gunicorn_message else "malformed request"


def write_json_error(sock: socket.socket, status: int, reason: str, message: str) -> None:
    """Write a complete HTTP/1.1 error response with a JSON body, then gunicorn closes."""
    body = orjson.dumps(error_body(_message(status, message)))
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install() -> None:
    """Make gunicorn write its own error answers as JSON (call in the gunicorn process)."""
    util.write_error = write_json_error
