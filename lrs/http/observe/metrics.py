"""Prometheus metrics: requests and latency by route family, statements stored.

Labels are bounded: the route family comes from the matched route template (never the raw
path), unknown methods are counted as ``other``, and statuses are the few HTTP codes the app
answers with. Under gunicorn, ``lrs.http.observe.multiprocess`` makes prometheus_client write
every worker's values to files that ``/metrics`` adds up, so any worker reports the total.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

from lrs.http.observe.exchange import Exchange

# More specific prefixes first: the first family whose prefix starts the template wins.
_FAMILIES: tuple[tuple[str, str], ...] = (
    ("/data/xAPI", "xapi"),
    ("/api/connection/", "connection"),
    ("/api/auth/", "auth"),
    ("/api/", "rest"),
    ("/health", "health"),
    ("/ready", "health"),
    ("/metrics", "metrics"),
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# From a cached in-memory read (well under a millisecond) to the statement timeout and beyond.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def route_family(template: str | None) -> str:
    """The family of a matched route template: xapi, rest, connection, auth, health, metrics,
    ``other`` for any other route, ``unmatched`` when no route matched (404s)."""
    if template is None:
        return "unmatched"
    for prefix, family in _FAMILIES:
        if template.startswith(prefix):
            return family
    return "other"


def multiprocess_mode() -> bool:
    """True when prometheus_client writes values to ``PROMETHEUS_MULTIPROC_DIR`` files.

    prometheus_client decides this once, when it is first imported; asking it rather than the
    environment keeps the collector in step with how the values were actually recorded.
    """
    return values.ValueClass is not values.MutexValue


class Metrics:
    """The application's metrics, in a registry of their own (so every app starts at zero)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "lrs_http_requests",
            "HTTP requests answered, by route family, method and status.",
            ["family", "method", "status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "lrs_http_request_duration_seconds",
            "Time from a request reaching the application to its response body being produced.",
            ["family"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._statements = Counter(
            "lrs_statements_stored",
            "Statements in successful xAPI PUT/POST requests (a re-sent identical statement, "
            "which the store keeps once, counts each time).",
            registry=self.registry,
        )

    def record_request(self, exchange: Exchange, method: str, seconds: float) -> None:
        """Count one answered request and observe its latency."""
        family = route_family(exchange.route)
        method = method if method in _METHODS else "other"
        self._requests.labels(family, method, str(exchange.status_code)).inc()
        self._latency.labels(family).observe(seconds)

    def count_statements(self, stored: int) -> None:
        """Count statements a successful request stored."""
        self._statements.inc(stored)

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format, and its content type.

        In multiprocess mode the values of every worker, live or exited, are read from the
        directory and added up, so the answer does not depend on which worker gives it.
        """
        if multiprocess_mode():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
