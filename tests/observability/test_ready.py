"""``/ready``: 200 when the store answers and its schema is at head, 503 naming the cause."""

from __future__ import annotations

import pytest
from falcon import testing

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.http.resources.ready import ReadyResource
from lrs.ops.migrate import upgrade_to_head
from lrs.ops.throwaway_postgres import free_port
from lrs.store.memory import MemoryStore
from lrs.store.postgres import PostgresStore
from tests.http.conftest import Api
from tests.pg import PostgresServer


class CountingStore(MemoryStore):
    """The memory store, counting schema checks."""

    def __init__(self) -> None:
        super().__init__()
        self.schema_checks = 0

    def check_schema(self) -> None:
        self.schema_checks += 1
        super().check_schema()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ready_when_the_store_answers_without_credentials(any_api: Api) -> None:
    response = any_api.client.simulate_get("/ready")
    assert response.status_code == 200
    assert response.json == {"status": "ready"}
    assert response.headers["Cache-Control"] == "no-store"
    assert any_api.client.simulate_head("/ready").status_code == 200


def test_not_ready_when_the_database_does_not_answer() -> None:
    nothing_listens = f"postgresql+psycopg://lrs:pa55word@127.0.0.1:{free_port()}/lrs"
    store = PostgresStore.from_url(nothing_listens)
    try:
        client = testing.TestClient(create_app(Settings(), store))
        ready = client.simulate_get("/ready")
        health = client.simulate_get("/health")
    finally:
        store.close()
    assert ready.status_code == 503
    assert ready.json["status"] == "unavailable"
    assert ready.json["cause"] == "store"
    assert "database" in ready.json["message"]
    assert "pa55word" not in ready.text
    assert health.status_code == 503  # liveness pings the store too


@pytest.mark.postgres
def test_not_ready_on_an_unmigrated_database_until_it_is_migrated(
    pg_server: PostgresServer,
) -> None:
    url = pg_server.create_database()
    store = PostgresStore.from_url(url)
    clock = Clock()
    app = create_app(Settings(), store)
    app.add_route("/ready", ReadyResource(store, schema_cache_seconds=5, clock=clock))
    client = testing.TestClient(app)
    try:
        response = client.simulate_get("/ready")
        assert response.status_code == 503
        assert response.json["cause"] == "schema"
        assert "lrs migrate" in response.json["message"]
        # /health only pings: the database answers, so the process is alive.
        assert client.simulate_get("/health").status_code == 200

        upgrade_to_head(url)
        clock.now += 4  # the failed check is remembered for a few seconds
        assert client.simulate_get("/ready").status_code == 503
        clock.now += 2
        assert client.simulate_get("/ready").json == {"status": "ready"}
    finally:
        store.close()


def test_the_schema_check_is_cached_not_run_per_request() -> None:
    store = CountingStore()
    clock = Clock()
    app = create_app(Settings(), store)
    app.add_route("/ready", ReadyResource(store, schema_cache_seconds=5, clock=clock))
    client = testing.TestClient(app)
    for _ in range(10):
        assert client.simulate_get("/ready").status_code == 200
    assert store.schema_checks == 1
    clock.now += 5
    client.simulate_get("/ready")
    assert store.schema_checks == 2
