"""``GET /ready``: 200 when this process can serve requests, 503 naming the cause otherwise.

Ready means the store answers (``store.ping()``) and its schema is at the migration head
(``store.check_schema()``). The schema only changes when someone migrates, so its check is
remembered for a few seconds instead of reading the migration state on every probe. No
credentials: load balancers and orchestrators call it.

``/health`` is the cheaper probe: it only pings the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import falcon

from lrs.core.errors import SchemaNotCurrent, StoreUnavailable
from lrs.store.base import Store


class ReadyResource:
    """Readiness for load balancers and orchestrators."""

    auth_exempt = True

    def __init__(
        self,
        store: Store,
        *,
        schema_cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._cache_seconds = schema_cache_seconds
        self._clock = clock
        # (when checked, the SchemaNotCurrent found or None); None until the first check.
        self._schema: tuple[float, SchemaNotCurrent | None] | None = None

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Ping the store, check the schema (cached), answer 200 or 503 with the cause."""
        resp.set_header("Cache-Control", "no-store")
        try:
            self._store.ping()
            schema_error = self._schema_error()
        except StoreUnavailable as error:
            self._not_ready(resp, "store", error.message)
            return
        if schema_error is not None:
            self._not_ready(resp, "schema", schema_error.message)
            return
        resp.media = {"status": "ready"}

    on_head = on_get

    def _schema_error(self) -> SchemaNotCurrent | None:
        now = self._clock()
        cached = self._schema
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        try:
            self._store.check_schema()
            found = None
        except SchemaNotCurrent as error:
            found = error
        self._schema = (now, found)  # a StoreUnavailable propagates and is not remembered
        return found

    @staticmethod
    def _not_ready(resp: falcon.Response, cause: str, message: str) -> None:
        resp.status = falcon.HTTP_503
        resp.media = {"status": "unavailable", "cause": cause, "message": message}
