"""The one place that maps errors to HTTP: domain errors, Falcon's own errors, and the rest.

Every error response is JSON ``{"errorId", "message"}`` (plus ``warnings`` when there are any).
An unexpected exception becomes a 500 whose body holds only the ``errorId``; the stack trace goes
to the log under the same ``errorId``, never to the client. Error log lines name the request id
too (in the message, and as ``error_id``/``request_id`` attributes for structured handlers), and
the errorId is left on ``req.context.error_id`` for the access log.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import falcon

from lrs.core import errors

log = logging.getLogger("lrs.errors")

_STATUS: dict[type[errors.LrsError], str] = {
    errors.BadRequest: falcon.HTTP_400,
    errors.Unauthorized: falcon.HTTP_401,
    errors.Forbidden: falcon.HTTP_403,
    errors.NotFound: falcon.HTTP_404,
    errors.Conflict: falcon.HTTP_409,
    errors.PreconditionFailed: falcon.HTTP_412,
    errors.PayloadTooLarge: falcon.HTTP_413,
    errors.UnsupportedMediaType: falcon.HTTP_415,
    errors.StoreUnavailable: falcon.HTTP_503,
    errors.TimedOut: falcon.HTTP_504,
    errors.SchemaNotCurrent: falcon.HTTP_503,
}

BASIC_CHALLENGE = 'Basic realm="lrs"'
# Seconds a client is told to wait after a 503 (database down, or a query over
# LRS_STATEMENT_TIMEOUT_MS): long enough not to hammer a recovering database.
RETRY_AFTER_SECONDS = "5"


def status_for(error: errors.LrsError) -> str:
    """The HTTP status line for a domain error (by its most specific known base class)."""
    for cls in type(error).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return falcon.HTTP_500


def error_body(message: str, warnings: list[str] | None = None) -> dict[str, Any]:
    """A fresh error body with a new ``errorId``."""
    body: dict[str, Any] = {"errorId": str(uuid.uuid4()), "message": message}
    if warnings:
        body["warnings"] = warnings
    return body


def _error_ids(req: falcon.Request, body: dict[str, Any]) -> dict[str, str]:
    """The errorId and request id for the log record; the errorId also goes on the request
    context, for the access log."""
    req.context.error_id = body["errorId"]
    return {"error_id": body["errorId"], "request_id": getattr(req.context, "request_id", "-")}


def handle_lrs_error(
    req: falcon.Request, resp: falcon.Response, error: errors.LrsError, params: dict[str, Any]
) -> None:
    """Render a domain error."""
    resp.status = status_for(error)
    resp.media = error_body(error.message, error.warnings)
    if isinstance(error, errors.Unauthorized):
        resp.set_header("WWW-Authenticate", BASIC_CHALLENGE)
    if resp.status_code == 503:
        resp.set_header("Retry-After", RETRY_AFTER_SECONDS)
    level = logging.WARNING if resp.status_code >= 500 else logging.INFO
    fields = _error_ids(req, resp.media)
    log.log(
        level,
        "%s %s -> %s errorId=%s requestId=%s: %s",
        req.method,
        req.path,
        resp.status_code,
        fields["error_id"],
        fields["request_id"],
        error.message,
        extra=fields,
    )


def handle_unexpected(
    req: falcon.Request, resp: falcon.Response, error: Exception, params: dict[str, Any]
) -> None:
    """Render any other exception as a 500 without details; log it with its traceback."""
    body = error_body("internal server error; quote the errorId when reporting it")
    fields = _error_ids(req, body)
    log.error(
        "%s %s -> 500 errorId=%s requestId=%s",
        req.method,
        req.path,
        fields["error_id"],
        fields["request_id"],
        exc_info=error,
        extra=fields,
    )
    resp.status = falcon.HTTP_500
    resp.media = body


def serialize_http_error(
    req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError
) -> None:
    """Falcon's own errors (unknown route, wrong method, bad media) in our JSON shape."""
    if error.description:
        message = error.description
    elif isinstance(error, falcon.HTTPNotFound):
        message = f"no resource at {req.path}"
    elif isinstance(error, falcon.HTTPMethodNotAllowed):
        message = f"method {req.method} is not allowed on {req.path}"
    else:
        message = error.title or "error"
    resp.content_type = falcon.MEDIA_JSON
    resp.media = error_body(message)
    req.context.error_id = resp.media["errorId"]


def register(app: falcon.App) -> None:
    """Install the handlers on ``app``."""
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(errors.LrsError, handle_lrs_error)
    app.set_error_serializer(serialize_http_error)
