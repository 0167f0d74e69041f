"""``GET /health``: 200 when the store answers, 503 when it does not (no authentication)."""

from __future__ import annotations

import falcon

from lrs.store.base import Store


class HealthResource:
    """Liveness and readiness for load balancers and orchestrators."""

    auth_exempt = True

    def __init__(self, store: Store) -> None:
        self._store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Ping the store; a ``StoreUnavailable`` becomes the 503 through the error handler."""
        self._store.ping()
        resp.media = {"status": "ok"}
        resp.set_header("Cache-Control", "no-store")
