"""Falcon middleware: body size limit, authentication and scope checks, xAPI version header.

Resources declare what they need with two class attributes:

- ``auth_exempt = True``: no credentials needed (about, health);
- ``access = {"GET": Access.STATEMENTS_READ, ...}``: the access each method needs. A method
  missing from the map needs ``Access.ADMIN`` (scope ``all``), so forgetting one fails closed.

The authenticated ``Principal`` is put on ``req.context.principal``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import falcon

from lrs.auth import authenticate
from lrs.errors import PayloadTooLarge
from lrs.scopes import Access
from lrs.store.base import Store
from lrs.timeutil import utc_now

XAPI_PREFIX = "/data/xAPI"
XAPI_VERSION = "1.0.3"


class BodySizeLimit:
    """Refuse bodies larger than the limit before any resource reads them (413)."""

    def __init__(self, max_body_bytes: int) -> None:
        self._max = max_body_bytes

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Check the declared length."""
        if req.content_length is not None and req.content_length > self._max:
            raise PayloadTooLarge(
                f"the request body is {req.content_length} bytes; the limit is {self._max}"
            )


class Authentication:
    """Authenticate every request to a resource that is not ``auth_exempt``, check its access."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]
    ) -> None:
        """Resolve the caller and check the access the resource declares for this method."""
        if resource is None or getattr(resource, "auth_exempt", False):
            return
        if req.method == "OPTIONS":
            return
        principal = authenticate(self._store, req.get_header("Authorization"), self._clock())
        access_map: dict[str, Access] = getattr(resource, "access", {})
        principal.require(access_map.get(req.method, Access.ADMIN))
        req.context.principal = principal


class XapiVersionHeader:
    """Put ``X-Experience-API-Version`` on every response under ``/data/xAPI``, errors included."""

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        """Add the header."""
        if req.path.startswith(XAPI_PREFIX):
            resp.set_header("X-Experience-API-Version", XAPI_VERSION)
