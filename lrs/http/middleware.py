"""Falcon middleware: body size limit, authentication and scope checks, xAPI version header.

Resources declare what they need with two class attributes:

- ``auth_exempt = True``: no credentials needed (about, health);
- ``access = {"GET": Access.STATEMENTS_READ, ...}``: the access each method needs. A method
  missing from the map needs ``Access.ADMIN`` (scope ``all``), so forgetting one fails closed.

The authenticated ``Principal`` is put on ``req.context.principal``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import falcon

from lrs.core.errors import BadRequest, PayloadTooLarge
from lrs.core.timeutil import to_iso, utc_now
from lrs.http.alternate_syntax import ERROR_KEY as ALTERNATE_SYNTAX_ERROR
from lrs.http.alternate_syntax import USED_KEY as ALTERNATE_SYNTAX_USED
from lrs.http.auth import PrincipalCache
from lrs.store.base import Store
from lrs.tenancy.scopes import Access
from lrs.xapi.versions import SUPPORTED_VERSIONS, XapiVersion, negotiate

XAPI_PREFIX = "/data/xAPI"
_SUPPORTED_NAMES = " or ".join(version.name for version in SUPPORTED_VERSIONS)


class BodySizeLimit:
    """Refuse bodies larger than the limit before any resource reads them (413)."""

    def __init__(self, max_body_bytes: int) -> None:
        self._max = max_body_bytes

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Check the declared length."""
        if req.content_length is not None and req.content_length > self._max:
            raise PayloadTooLarge(
                f"the request body is {req.content_length} bytes; the limit is {self._max} "
                "(LRS_MAX_BODY_BYTES)"
            )


class Authentication:
    """Authenticate every request to a resource that is not ``auth_exempt``, check its access."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime] = utc_now,
        *,
        cache_seconds: float = 0,
    ) -> None:
        self._store = store
        self._clock = clock
        self._cache = PrincipalCache(cache_seconds)

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]
    ) -> None:
        """Resolve the caller and check the access the resource declares for this method."""
        if resource is None or getattr(resource, "auth_exempt", False):
            return
        if req.method == "OPTIONS":
            return
        principal = self._cache.authenticate(
            self._store, req.get_header("Authorization"), self._clock()
        )
        access_map: dict[str, Access] = getattr(resource, "access", {})
        principal.require(access_map.get(req.method, Access.ADMIN))
        req.context.principal = principal


class XapiIgnoredParameters:
    """Drop well-known cache-busting parameters from xAPI requests before any resource sees
    them: xapi.js's ``useCacheBuster`` adds ``cachebuster=<ms>`` to every GET, and jQuery-style
    clients add ``_=<ms>``. Every other unknown parameter is still a 400, as the xAPI (and the
    conformance suite) requires."""

    def __init__(self, names: Iterable[str]) -> None:
        self._names = frozenset(names)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Remove the ignored names from ``req.params`` for requests under ``/data/xAPI``."""
        if self._names and req.path.startswith(XAPI_PREFIX):
            for name in self._names & req.params.keys():
                del req.params[name]


class XapiProtocol:
    """The xAPI's cross-cutting HTTP rules for every request under ``/data/xAPI``.

    Requests must say ``X-Experience-API-Version`` with a version lrs serves (``1.0``, ``1.0.x``,
    ``2.0`` or ``2.0.x``; ``/about`` and CORS preflights may omit it). The version in force is put
    on ``req.context.xapi_version`` (:func:`xapi_version` reads it) and every response, errors
    included, echoes its full name (``default_version`` when the request named none); every
    statements response carries ``X-Experience-API-Consistent-Through`` (statements are
    queryable as soon as the storing request has answered, so that is the current instant).
    """

    def __init__(
        self, clock: Callable[[], datetime] = utc_now, *, default_version: str = "2.0.0"
    ) -> None:
        self._clock = clock
        self._default = next(v for v in SUPPORTED_VERSIONS if v.name == default_version)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Pick the version in force; reject malformed alternate-syntax requests, the syntax
        under a version without it, and wrong or missing versions."""
        header = req.get_header("X-Experience-API-Version")
        version = None if header is None else negotiate(header)
        req.context.xapi_version = self._default if version is None else version
        alternate_error = req.env.get(ALTERNATE_SYNTAX_ERROR)
        if alternate_error:
            raise BadRequest(alternate_error, field="method")
        if not req.path.startswith(XAPI_PREFIX) or req.method == "OPTIONS":
            return
        if (
            version is not None
            and req.env.get(ALTERNATE_SYNTAX_USED)
            and not version.alternate_syntax
        ):
            raise BadRequest(
                f"method: xAPI {version.name} has no alternate request syntax; send the "
                "request with its own method, headers and query parameters",
                field="method",
            )
        if req.path.rstrip("/") == f"{XAPI_PREFIX}/about":
            return
        if header is None:
            raise BadRequest(
                f"the X-Experience-API-Version header is missing; send {_SUPPORTED_NAMES}",
                field="X-Experience-API-Version",
            )
        if version is None:
            raise BadRequest(
                f"X-Experience-API-Version {header!r} is not supported; send {_SUPPORTED_NAMES}",
                field="X-Experience-API-Version",
            )

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        """Add the version header, and the consistency header on statements responses."""
        if not req.path.startswith(XAPI_PREFIX):
            return
        # An earlier middleware may have refused the request before process_request ran.
        version: XapiVersion = getattr(req.context, "xapi_version", self._default)
        resp.set_header("X-Experience-API-Version", version.name)
        if req.path.rstrip("/") == f"{XAPI_PREFIX}/statements":
            resp.set_header("X-Experience-API-Consistent-Through", to_iso(self._clock()))


def xapi_version(req: falcon.Request) -> XapiVersion:
    """The xAPI version in force for a request (:class:`XapiProtocol` sets it)."""
    return req.context.xapi_version
