"""``GET /api/openapi.json``: the OpenAPI 3.1 document of the app, without credentials."""

from __future__ import annotations

import threading

import falcon
import orjson

from lrs.core.settings import Settings
from lrs.http.openapi.builder import build_document
from lrs.http.openapi.model import Operation, json_response

PATH = "/api/openapi.json"


class OpenApiResource:
    """Serves the document of ``app``, built on the first request (when every route is mounted)
    and kept for the life of the app."""

    auth_exempt = True
    openapi = {
        "GET": Operation(
            summary="This OpenAPI 3.1 document",
            responses={"200": json_response("The document", {"type": "object"})},
            errors=(),
            tags=("Service",),
        )
    }

    def __init__(self, app: falcon.App, settings: Settings) -> None:
        self._app = app
        self._settings = settings
        self._document: bytes | None = None
        self._lock = threading.Lock()

    def document(self) -> bytes:
        """The document as JSON bytes (built once)."""
        with self._lock:
            if self._document is None:
                self._document = orjson.dumps(build_document(self._app, self._settings))
            return self._document

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Send the document."""
        resp.data = self.document()
        resp.content_type = falcon.MEDIA_JSON
