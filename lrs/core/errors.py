"""Domain errors: plain data, no HTTP.

``lrs.http.errors`` is the one place that maps them to HTTP statuses and JSON bodies.
Every error carries a human message that names the field, parameter or path at fault.
"""

from __future__ import annotations


class LrsError(Exception):
    """Base of every error the application raises on purpose."""

    def __init__(self, message: str, *, warnings: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.warnings = list(warnings or [])


class BadRequest(LrsError):
    """The request is malformed or fails validation (HTTP 400)."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        super().__init__(message, warnings=warnings)
        self.field = field


class BadQuery(BadRequest):
    """A filter, sort, projection, hint or cursor is outside the query language (HTTP 400)."""


class Unauthorized(LrsError):
    """Credentials are missing or wrong (HTTP 401)."""


class Forbidden(LrsError):
    """The credentials are valid but do not allow this request (HTTP 403)."""


class NotFound(LrsError):
    """The addressed resource does not exist in the caller's tenant scope (HTTP 404)."""


class Conflict(LrsError):
    """The request conflicts with the stored state (HTTP 409)."""


class StaleWrite(Conflict):
    """A model changed between being read and being written back; the writer reads again."""


class PreconditionFailed(LrsError):
    """An ``If-Match`` / ``If-None-Match`` precondition does not hold (HTTP 412)."""


class PayloadTooLarge(LrsError):
    """The request body is larger than the configured limit (HTTP 413)."""


class UnsupportedMediaType(LrsError):
    """The request body has a content type this route cannot take (HTTP 415)."""


class StoreUnavailable(LrsError):
    """The storage backend cannot be reached or timed out (HTTP 503)."""


class TimedOut(LrsError):
    """A request ran past the time it was given (``maxTimeMS`` or the server's limit, HTTP
    504)."""


class SchemaNotCurrent(LrsError):
    """The PostgreSQL schema is not at the migration head; ``lrs migrate`` must run first."""
