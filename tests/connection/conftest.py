"""The HTTP fixtures (the real Falcon app over each store), shared with ``tests/http``."""

from tests.http.conftest import api, settings

__all__ = ["api", "settings"]
