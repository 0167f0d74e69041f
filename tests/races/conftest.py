"""Race fixtures: the real Falcon app over the session's PostgreSQL store, and a helper that
lines several threads up on a barrier so their requests hit the database together.

Each request gets its own pooled connection, so requests from several threads through one
``falcon.testing`` client race in PostgreSQL exactly as requests of several gunicorn threads do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
import pytest
from falcon import testing

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.store.postgres import PostgresStore
from lrs.tenancy.service import bootstrap
from tests.http.conftest import Api

T = TypeVar("T")

#: Rounds per race: enough to make the interleavings real, few enough to stay fast.
ROUNDS = 6
#: Racing threads per round (the session engine pools 8 connections).
RACERS = 4


@pytest.fixture
def pg_api(postgres_store: PostgresStore) -> Api:
    """The app over the emptied, bootstrapped PostgreSQL store."""
    postgres_store.reset()
    tenant = bootstrap(postgres_store, key="race-key", secret="race-secret")
    assert tenant is not None
    app = create_app(Settings(auth_cache_seconds=0), postgres_store)
    return Api(app=app, client=testing.TestClient(app), store=postgres_store, tenant=tenant)


def race(count: int, action: Callable[[int], T], timeout: float = 60.0) -> list[T]:
    """Run ``action(i)`` for ``i`` in ``range(count)``, each in its own thread, all released at
    once by a barrier; return the results in ``i`` order (an exception in a thread is raised)."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout)
            results[i] = action(i)
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a racing request did not finish in time"
    if errors:
        raise errors[0]
    return results


def xapi_headers(api: Api, **extra: str) -> dict[str, str]:
    """The bootstrap client's credentials and the xAPI version header."""
    return {**api.auth, "X-Experience-API-Version": "1.0.3", **extra}


def send(
    api: Api,
    method: str,
    path: str,
    body: Any = None,
    params: dict[str, str] | None = None,
    **headers: str,
) -> testing.Result:
    """One request as the bootstrap client; a JSON body unless ``body`` is bytes."""
    data = body if isinstance(body, bytes) or body is None else orjson.dumps(body)
    all_headers = xapi_headers(api, **headers)
    if data is not None:
        all_headers.setdefault("Content-Type", "application/json")
    return api.client.simulate_request(
        method, path, params=params or {}, headers=all_headers, body=data
    )


def assert_json_error(result: testing.Result, status: int) -> None:
    """The response is ``status`` with our JSON error body."""
    assert result.status_code == status, (result.status_code, result.text)
    assert result.headers["Content-Type"].startswith("application/json")
    assert isinstance(result.json, dict) and result.json.get("message"), result.text
