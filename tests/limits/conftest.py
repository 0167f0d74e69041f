"""The real Falcon app over each store (tests/http's ``api``), with small limits."""

from __future__ import annotations

import pytest

from lrs.core.settings import Settings
from tests.http.conftest import api  # noqa: F401  (the fixture, over each store)


@pytest.fixture
def settings() -> Settings:
    """Small limits, so each is reached by a small request."""
    return Settings(
        max_body_bytes=64 * 1024,
        max_url_bytes=128 * 1024,
        max_statements_per_batch=5,
        max_attachment_bytes=100,
        xapi_max_limit=20,
        connection_max_page=50,
        rest_max_limit=50,
        auth_cache_seconds=0,
    )
