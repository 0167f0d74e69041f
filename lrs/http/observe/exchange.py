"""What is known about one request and its response, gathered for the log and the metrics."""

from __future__ import annotations

from dataclasses import dataclass

ENVIRON_KEY = "lrs.exchange"


@dataclass(slots=True)
class Exchange:
    """One request/response, kept in the WSGI environ under ``ENVIRON_KEY``.

    The observer fills in the id, the clock readings, the status and the byte count; the Falcon
    middleware adds what routing and authentication found.
    """

    request_id: str
    started: float  # time.perf_counter() when the request reached the application
    wall_started: float  # time.time() at the same moment, for the log's timestamp
    status: str = ""  # the WSGI status line, e.g. "200 OK"; empty until start_response
    route: str | None = None  # the matched route template; None when no route matched
    client_id: str | None = None
    store_id: str | None = None
    error_id: str | None = None

    @property
    def status_code(self) -> int:
        """The numeric status (500 when the application never started a response)."""
        try:
            return int(self.status[:3])
        except ValueError:
            return 500
