"""HTTP fixtures: the real Falcon app over each store, and credentials to call it with."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import falcon
import orjson
import pytest
from falcon import testing

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.store.base import Store
from lrs.tenancy.service import Bootstrap, bootstrap


def basic_auth(key: str, secret: str) -> dict[str, str]:
    """An Authorization header for Basic credentials."""
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class Api:
    """The app under test, its store and the bootstrap tenant."""

    app: falcon.App
    client: testing.TestClient
    store: Store
    tenant: Bootstrap

    @property
    def auth(self) -> dict[str, str]:
        """Headers with the bootstrap client's credentials (scope ``all``)."""
        return basic_auth(self.tenant.issued.client.basic_key, self.tenant.issued.secret)

    def post_statements(
        self, statements: list[dict[str, Any]], headers: dict[str, str] | None = None
    ) -> list[str]:
        """POST a batch to the xAPI (as the bootstrap client unless ``headers`` say otherwise);
        assert 200 and return the ids."""
        response = self.client.simulate_post(
            "/data/xAPI/statements",
            headers={
                **(self.auth if headers is None else headers),
                "X-Experience-API-Version": "1.0.3",
                "Content-Type": "application/json",
            },
            body=orjson.dumps(statements),
        )
        assert response.status_code == 200, response.text
        ids: list[str] = response.json
        return ids


@pytest.fixture
def settings() -> Settings:
    """Default settings with a small body limit, so the limit is testable, and no credential
    cache, so tests that change a client see the change at once (the cache has its own test)."""
    return Settings(max_body_bytes=4096, auth_cache_seconds=0)


@pytest.fixture
def api(store: Store, settings: Settings) -> Api:
    """The app over a bootstrapped store of each kind."""
    tenant = bootstrap(store, key="test-key", secret="test-secret")
    assert tenant is not None
    app = create_app(settings, store)
    return Api(app=app, client=testing.TestClient(app), store=store, tenant=tenant)
