"""Fixtures: the real app over each store, and the access-log lines it writes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from falcon import testing

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.http.observe.access_log import LOGGER_NAME
from lrs.store.base import Store
from lrs.store.memory import MemoryStore
from lrs.tenancy.service import bootstrap
from tests.http.conftest import Api

STATEMENT = {
    "actor": {"mbox": "mailto:learner@example.com"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
    "object": {"id": "http://example.com/activities/observed"},
}
XAPI = {"X-Experience-API-Version": "1.0.3"}


def make_api(store: Store, settings: Settings | None = None) -> Api:
    """The app over ``store`` (bootstrapped with key ``test-key``, secret ``test-secret``)."""
    tenant = bootstrap(store, key="test-key", secret="test-secret")
    assert tenant is not None
    app = create_app(settings or Settings(max_body_bytes=4096, auth_cache_seconds=0), store)
    return Api(app=app, client=testing.TestClient(app), store=store, tenant=tenant)


@pytest.fixture
def api() -> Api:
    """The app over the in-memory store, default observability settings (for behaviour that does
    not depend on the store)."""
    return make_api(MemoryStore())


@pytest.fixture
def any_api(store: Store) -> Api:
    """The app over each store, default observability settings."""
    return make_api(store)


def alternate_form(fields: dict[str, str]) -> bytes:
    """A form body for the alternate request syntax."""
    return urlencode(fields).encode()


@pytest.fixture
def access_lines(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """A function returning the access-log lines written so far, parsed."""
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):

        def lines() -> list[dict[str, Any]]:
            return [
                orjson.loads(record.getMessage())
                for record in caplog.records
                if record.name == LOGGER_NAME
            ]

        yield lines
