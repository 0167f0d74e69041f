"""The WSGI application: ``create_app(settings, store)`` wires everything; ``get_app()`` is what
gunicorn runs (``lrs.http.app:get_app()``)."""

from __future__ import annotations

import logging
import sys
from functools import partial
from typing import Any

import falcon
import orjson

from lrs.aggregate.service import AggregationLimits, AggregationService
from lrs.core.errors import StoreUnavailable
from lrs.core.settings import Settings
from lrs.documents.service import DocumentService
from lrs.http import alternate_syntax
from lrs.http import errors as http_errors
from lrs.http.chunked_body import ChunkedBodyLimit, buffer_chunked_body
from lrs.http.middleware import (
    XAPI_PREFIX,
    Authentication,
    BodySizeLimit,
    XapiIgnoredParameters,
    XapiProtocol,
)
from lrs.http.observe.access_log import AccessLog, configure_access_logger
from lrs.http.observe.metrics import Metrics
from lrs.http.observe.observer import Observer, RequestContext
from lrs.http.openapi.resource import PATH as OPENAPI_PATH
from lrs.http.openapi.resource import OpenApiResource
from lrs.http.proxies import TrustedProxies
from lrs.http.resources.about import AboutResource
from lrs.http.resources.aggregate import AggregateAsyncResource, AggregateResource
from lrs.http.resources.client_info import ClientInfoResource
from lrs.http.resources.connection import ConnectionResource
from lrs.http.resources.health import HealthResource
from lrs.http.resources.metrics import MetricsResource
from lrs.http.resources.ready import ReadyResource
from lrs.http.resources.rest_models import add_routes as add_rest_model_routes
from lrs.http.resources.xapi_activities_agents import ActivitiesResource, AgentsResource
from lrs.http.resources.xapi_documents import (
    ACTIVITY_PROFILE,
    AGENT_PROFILE,
    STATE,
    DocumentsResource,
)
from lrs.http.resources.xapi_statements import StatementsResource
from lrs.http.url_limit import UrlLengthLimit
from lrs.models.service import ModelService
from lrs.statements.service import StatementService
from lrs.store.base import Store
from lrs.store.factory import open_store
from lrs.tenancy.service import bootstrap, credentials_banner

log = logging.getLogger("lrs")


def _json_handler() -> falcon.media.JSONHandler:
    return falcon.media.JSONHandler(
        dumps=partial(orjson.dumps, option=orjson.OPT_NON_STR_KEYS), loads=orjson.loads
    )


# Browser-based xAPI content runs on other origins and reads these headers.
_CORS_EXPOSED = [
    "ETag",
    "Last-Modified",
    "Content-Type",
    "Content-Length",
    "WWW-Authenticate",
    "X-Experience-API-Version",
    "X-Experience-API-Consistent-Through",
    "X-Request-Id",
]


class LrsApp(falcon.App):
    """The Falcon app, with xAPI's alternate request syntax rewritten before routing, inside the
    observer (request id, access log, metrics)."""

    def __init__(self, settings: Settings, observer: Observer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._max_body_bytes = settings.max_body_bytes
        self._observer = observer
        self._proxies = TrustedProxies(settings.trusted_proxies)

    def __call__(self, env: dict[str, Any], start_response: Any) -> Any:
        """Serve one WSGI request."""
        self._proxies.apply(env)
        return self._observer(env, start_response, self._serve)

    def _serve(self, env: dict[str, Any], start_response: Any) -> Any:
        buffer_chunked_body(env, self._max_body_bytes)
        alternate_syntax.rewrite(env, self._max_body_bytes)
        return super().__call__(env, start_response)


def create_app(settings: Settings, store: Store) -> falcon.App:
    """Build the Falcon app serving ``store`` with ``settings``; nothing global is touched."""
    metrics = Metrics() if settings.metrics else None
    observer = Observer(AccessLog() if settings.access_log else None, metrics)
    app = LrsApp(
        settings,
        observer,
        middleware=[
            RequestContext(),
            falcon.CORSMiddleware(allow_origins="*", expose_headers=_CORS_EXPOSED),
            UrlLengthLimit(settings.max_url_bytes),
            # Sizes first: an alternate-syntax form over the limit is not unpacked, so its
            # version header is still in the form.
            ChunkedBodyLimit(),
            BodySizeLimit(settings.max_body_bytes),
            XapiIgnoredParameters(settings.xapi_ignored_parameters),
            XapiProtocol(default_version=settings.xapi_default_version),
            Authentication(store, cache_seconds=settings.auth_cache_seconds),
        ],
    )
    handler = _json_handler()
    app.req_options.media_handlers[falcon.MEDIA_JSON] = handler
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = handler
    app.req_options.strip_url_path_trailing_slash = True
    http_errors.register(app)

    app.add_route(f"{XAPI_PREFIX}/about", AboutResource())
    app.add_route("/health", HealthResource(store))
    app.add_route("/ready", ReadyResource(store))
    if metrics is not None:
        app.add_route("/metrics", MetricsResource(metrics))
    app.add_route("/api/auth/client/info", ClientInfoResource())
    statements = StatementService(
        store, on_stored=metrics.count_statements if metrics is not None else None
    )
    app.add_route(
        f"{XAPI_PREFIX}/statements",
        StatementsResource(
            statements,
            settings.xapi_max_limit,
            max_batch=settings.max_statements_per_batch,
            max_attachment_bytes=settings.max_attachment_bytes,
        ),
    )
    documents = DocumentService(store)
    app.add_route(f"{XAPI_PREFIX}/activities/state", DocumentsResource(documents, STATE))
    app.add_route(
        f"{XAPI_PREFIX}/activities/profile", DocumentsResource(documents, ACTIVITY_PROFILE)
    )
    app.add_route(f"{XAPI_PREFIX}/agents/profile", DocumentsResource(documents, AGENT_PROFILE))
    app.add_route(f"{XAPI_PREFIX}/activities", ActivitiesResource(statements))
    app.add_route(f"{XAPI_PREFIX}/agents", AgentsResource())
    app.add_route(
        "/api/connection/{model}",
        ConnectionResource(store, default_size=10, max_size=settings.connection_max_page),
    )
    aggregation = AggregationService(
        store, AggregationLimits(timeout_ms=settings.statement_timeout_ms)
    )
    app.add_route("/api/statements/aggregate", AggregateResource(aggregation))
    app.add_route("/api/statements/aggregateAsync", AggregateAsyncResource(aggregation))
    add_rest_model_routes(app, ModelService(store), max_limit=settings.rest_max_limit)
    app.add_route(OPENAPI_PATH, OpenApiResource(app, settings))
    return app


def configure_logging(settings: Settings) -> None:
    """Log to stderr at the configured level (gunicorn captures it)."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic announces its context on every schema check; that is noise at start-up.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    if settings.access_log:
        configure_access_logger()


def get_app() -> falcon.App:
    """Settings from the environment, the store they name, the first-run bootstrap, the app.

    Refuses to start (``SchemaNotCurrent``) on a PostgreSQL database that is not migrated. A
    database that cannot be reached skips the checks: gunicorn stops the whole server when one
    worker fails to boot, so a worker (re)started during an outage must boot and answer 503s.
    """
    settings = Settings.from_env()
    configure_logging(settings)
    store = open_store(settings)
    try:
        _start_up_checks(settings, store)
    except StoreUnavailable as error:
        log.warning("start-up checks skipped, the database is unavailable: %s", error.message)
    return create_app(settings, store)


def _start_up_checks(settings: Settings, store: Store) -> None:
    """The schema check and the first-run bootstrap (``lrs serve`` ran them before forking)."""
    store.check_schema()
    created = bootstrap(store, key=settings.bootstrap_key, secret=settings.bootstrap_secret)
    if created is not None:
        print(credentials_banner(created, settings.xapi_endpoint), flush=True)
    elif settings.bootstrap_key and store.get_client_by_key(settings.bootstrap_key) is None:
        log.warning(
            "LRS_BOOTSTRAP_KEY is set but the store already has an organisation and no client "
            "with that key; the bootstrap only runs on an empty store"
        )
