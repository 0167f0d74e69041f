"""The observer around the WSGI application, and the Falcon middleware that feeds it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import falcon

from lrs.http.observe.access_log import AccessLog
from lrs.http.observe.exchange import ENVIRON_KEY, Exchange
from lrs.http.observe.metrics import Metrics
from lrs.http.observe.request_ids import ENVIRON_HEADER, HEADER, new_request_id, request_id_for

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Observer:
    """Gives every request an id and, once its response is produced, logs and counts it.

    It sits outside Falcon, so responses Falcon makes on its own (404, 405, CORS preflights,
    errors raised in middleware) get the ``X-Request-Id`` header too, and the latency starts
    before anything (the alternate request syntax's body included) is read.
    """

    def __init__(self, access_log: AccessLog | None, metrics: Metrics | None) -> None:
        self._access_log = access_log
        self._metrics = metrics

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any], app: WsgiApp
    ) -> Iterable[bytes]:
        """Serve one request through ``app``."""
        exchange = Exchange(
            request_id=request_id_for(environ.get(ENVIRON_HEADER)),
            started=time.perf_counter(),
            wall_started=time.time(),
        )
        environ[ENVIRON_KEY] = exchange

        def observed_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            exchange.status = status
            headers.append((HEADER, exchange.request_id))
            return start_response(status, headers, exc_info)

        try:
            body = app(environ, observed_start_response)
        except BaseException:
            self._finish(environ, exchange, 0)
            raise
        if isinstance(body, list):
            self._finish(environ, exchange, sum(map(len, body)))
            return body
        return _CountedBody(body, lambda sent: self._finish(environ, exchange, sent))

    def _finish(self, environ: dict[str, Any], exchange: Exchange, body_bytes: int) -> None:
        seconds = time.perf_counter() - exchange.started
        if self._metrics is not None:
            self._metrics.record_request(exchange, environ.get("REQUEST_METHOD", ""), seconds)
        if self._access_log is not None:
            self._access_log.write(exchange, environ, seconds, body_bytes)


class _CountedBody:
    """A streamed response body: counts the bytes handed to the server, reports when closed."""

    def __init__(self, body: Iterable[bytes], done: Callable[[int], None]) -> None:
        self._body = body
        self._done = done
        self._sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self._sent += len(chunk)
            yield chunk

    def close(self) -> None:
        """Close the inner body (PEP 3333), then report."""
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._done(self._sent)


class RequestContext:
    """Falcon middleware: puts the request id on ``req.context.request_id`` and, after the
    response, tells the observer the route template, the client, its store and any errorId.

    It must come first in the middleware list, so its ``process_request`` runs before any other
    middleware can reject the request.
    """

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Expose the request id to resources and error handlers."""
        exchange = req.env.get(ENVIRON_KEY)
        if exchange is None:  # the app was called without its observer
            exchange = Exchange(new_request_id(), time.perf_counter(), time.time())
            req.env[ENVIRON_KEY] = exchange
        req.context.request_id = exchange.request_id

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        """Record what routing and authentication learnt about the request."""
        exchange: Exchange = req.env[ENVIRON_KEY]
        exchange.route = req.uri_template
        exchange.error_id = getattr(req.context, "error_id", None)
        principal = getattr(req.context, "principal", None)
        if principal is not None:
            exchange.client_id = principal.client.id
            exchange.store_id = principal.lrs.id if principal.lrs else principal.client.lrs_id
