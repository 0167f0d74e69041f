"""A query that outlives ``LRS_STATEMENT_TIMEOUT_MS`` is a JSON 503 with ``Retry-After``, on a
real PostgreSQL: never a hang, never a 400."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
import pytest
import sqlalchemy as sa
from falcon import testing

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.store.postgres import PostgresStore
from lrs.tenancy.service import bootstrap
from tests.http.conftest import basic_auth

pytestmark = pytest.mark.postgres
XAPI = {"X-Experience-API-Version": "1.0.3"}


@contextmanager
def statements_table_locked(engine: sa.Engine) -> Iterator[None]:
    """Hold an ACCESS EXCLUSIVE lock on the statements table from another connection."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.begin() as conn:
            conn.execute(sa.text("LOCK TABLE statements IN ACCESS EXCLUSIVE MODE"))
            locked.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        yield
    finally:
        release.set()
        holder.join(30)


def test_a_timed_out_query_is_a_json_503_with_retry_after(pg_database_url: str) -> None:
    store = PostgresStore.from_url(pg_database_url, statement_timeout_ms=100)
    blocker = PostgresStore.from_url(pg_database_url)
    try:
        store.reset()
        tenant = bootstrap(store, key="timeout-key", secret="timeout-secret")
        assert tenant is not None
        client = testing.TestClient(
            create_app(Settings(statement_timeout_ms=100, auth_cache_seconds=0), store)
        )
        headers = {**basic_auth("timeout-key", "timeout-secret"), **XAPI}
        statement = {
            "actor": {"mbox": "mailto:ann@example.org"},
            "verb": {"id": "http://example.org/verbs/did"},
            "object": {"id": "http://example.org/activities/a"},
        }
        with statements_table_locked(blocker.engine):
            requests = [
                lambda: client.simulate_get("/data/xAPI/statements", headers=headers),
                lambda: client.simulate_post(
                    "/data/xAPI/statements",
                    headers={**headers, "Content-Type": "application/json"},
                    body=orjson.dumps(statement),
                ),
                lambda: client.simulate_get("/api/connection/statement", headers=headers),
                lambda: client.simulate_get("/api/v2/statement", headers=headers),
            ]
            for request in requests:
                started = time.monotonic()
                response = request()
                assert time.monotonic() - started < 10
                assert response.status_code == 503, response.text
                assert response.headers["content-type"].startswith("application/json")
                assert response.headers["retry-after"].isdigit()
                assert "timed out" in response.json["message"]
                assert "errorId" in response.json
        # The lock gone, the same requests are served.
        response = client.simulate_get("/data/xAPI/statements", headers=headers)
        assert response.status_code == 200, response.text
    finally:
        store.engine.dispose()
        blocker.engine.dispose()
