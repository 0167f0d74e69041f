"""``GET /metrics``: Prometheus metrics in the text exposition format.

No credentials, as in Learning Locker: a scraper rarely speaks Basic auth to every target. A
deployment restricts the route at its proxy (or turns it off with ``LRS_METRICS=off``).
"""

from __future__ import annotations

import falcon

from lrs.http.observe.metrics import Metrics


class MetricsResource:
    """The metrics of this app (of every gunicorn worker, under gunicorn)."""

    auth_exempt = True

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Render the current values."""
        resp.data, resp.content_type = self._metrics.exposition()
        resp.set_header("Cache-Control", "no-store")
