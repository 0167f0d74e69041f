"""Runtime settings. This is the only module that reads the environment.

Every setting is an ``LRS_*`` environment variable; ``Settings.from_env()`` reads them once and the
resulting frozen object is passed to whatever needs it. The README's configuration table lists the
same variables; ``SETTINGS_DOC`` is the source of that table and of ``lrs --help``.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from lrs.core.errors import LrsError
from lrs.xapi.versions import SUPPORTED_VERSIONS


class SettingsError(LrsError):
    """An environment variable holds a value that cannot be used."""


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_TRUSTED_PROXIES: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("127.0.0.1/32"),
    ipaddress.ip_network("::1/128"),
)


def parse_trusted_proxies(raw: str | None) -> tuple[IPNetwork, ...]:
    """``LRS_TRUSTED_PROXIES``: unset means loopback, ``none`` no peer, else addresses/CIDRs."""
    if raw is None:
        return DEFAULT_TRUSTED_PROXIES
    if raw.lower() == "none":
        return ()
    networks = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry))
        except ValueError as error:
            raise SettingsError(
                f"LRS_TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR network ({error})"
            ) from None
    return tuple(networks)


def _names(raw: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list of parameter names: unset means ``default``, ``none`` none."""
    if raw is None:
        return default
    if raw.strip().lower() == "none":
        return ()
    return tuple(name for name in (part.strip() for part in raw.split(",")) if name)


# name -> (default shown to humans, description). Kept next to the parser so the two stay in step.
SETTINGS_DOC: dict[str, tuple[str, str]] = {
    "LRS_HOST": ("127.0.0.1", "Address gunicorn binds to."),
    "LRS_PORT": ("8080", "Port gunicorn binds to."),
    "LRS_DATABASE_URL": (
        "(unset)",
        "SQLAlchemy URL of the PostgreSQL database, e.g. "
        "`postgresql+psycopg://lrs@127.0.0.1:5432/lrs`. Unset: the in-memory store.",
    ),
    "LRS_WORKERS": (
        "2 x CPUs (PostgreSQL), 1 (memory)",
        "gunicorn worker processes. The in-memory store always uses 1: memory is per process.",
    ),
    "LRS_THREADS": ("8", "Threads per gunicorn worker (gthread worker class)."),
    "LRS_KEEPALIVE_SECONDS": (
        "0 (several workers), 5 (one worker)",
        "How long a worker keeps an idle client connection open. A kept connection stays with "
        "the worker that accepted it, so a few busy keep-alive clients can pile onto one worker "
        "while the others idle; with 0 every request goes to whichever worker is free.",
    ),
    "LRS_BOOTSTRAP_KEY": (
        "(random)",
        "Basic-auth key of the client created when the store is empty.",
    ),
    "LRS_BOOTSTRAP_SECRET": (
        "(random)",
        "Basic-auth secret of the client created when the store is empty.",
    ),
    "LRS_MAX_BODY_BYTES": ("20971520", "Largest request body accepted (413 above it)."),
    "LRS_MAX_STATEMENTS_PER_BATCH": (
        "1000",
        "Most statements one xAPI PUT/POST may carry (413 above it; nothing is stored).",
    ),
    "LRS_MAX_ATTACHMENT_BYTES": (
        "10485760",
        "Largest attachment part of an xAPI statements request (413 naming the part above it); "
        "the whole body is also bounded by LRS_MAX_BODY_BYTES.",
    ),
    "LRS_MAX_URL_BYTES": (
        "65536",
        "Longest request URL (path and query string) accepted (414 above it); long Connection "
        "API filters travel in the URL.",
    ),
    "LRS_TRUSTED_PROXIES": (
        "127.0.0.1,::1",
        "Comma-separated IP addresses or CIDR networks of reverse proxies whose "
        "X-Forwarded-For/-Proto/-Host headers are believed (from any other peer they are "
        "ignored); `none` trusts no peer.",
    ),
    "LRS_XAPI_DEFAULT_VERSION": (
        "2.0.0",
        "The xAPI version (2.0.0 or 1.0.3) a response names in X-Experience-API-Version when "
        "its request named none: /about, and the 400 for a missing header. Every other request "
        "names its own.",
    ),
    "LRS_XAPI_IGNORED_PARAMETERS": (
        "cachebuster,_",
        "Comma-separated query parameter names xAPI requests may carry and lrs ignores (the "
        "cache busters of xapi.js and jQuery); `none` ignores none. Any other unknown "
        "parameter is a 400.",
    ),
    "LRS_XAPI_MAX_LIMIT": (
        "100",
        "Most statements one GET /statements page returns (also the page size when `limit` "
        "is 0 or absent); the rest come through the `more` link.",
    ),
    "LRS_CONNECTION_MAX_PAGE": (
        "1000",
        "Largest `first`/`last` the Connection API accepts (the default page is 10).",
    ),
    "LRS_REST_MAX_LIMIT": (
        "1000",
        "Largest `limit` REST v2 listings accept (400 above it; the default page is 100).",
    ),
    "LRS_AUTH_CACHE_SECONDS": (
        "5",
        "How long verified credentials are reused without asking the store again (per worker; "
        "a revoked or changed client stops working within this time). 0 turns it off.",
    ),
    "LRS_DB_POOL_SIZE": ("5", "PostgreSQL connections kept open per worker process."),
    "LRS_STATEMENT_TIMEOUT_MS": (
        "10000",
        "PostgreSQL statement_timeout for every request's queries (503 when exceeded).",
    ),
    "LRS_LOG_LEVEL": ("info", "Log level: debug, info, warning, error."),
    "LRS_ACCESS_LOG": (
        "on",
        "One JSON line per request on stderr (logger `lrs.access`): on or off. Independent of "
        "LRS_LOG_LEVEL.",
    ),
    "LRS_METRICS": (
        "on",
        "Prometheus metrics at `/metrics` (no credentials: restrict it at the proxy): on or off.",
    ),
}

# How an on/off setting may be written.
_SWITCH_VALUES = {
    **dict.fromkeys(("on", "true", "1", "yes"), True),
    **dict.fromkeys(("off", "false", "0", "no"), False),
}


@dataclass(frozen=True)
class Settings:
    """Everything the application can be configured with."""

    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str | None = None
    workers: int | None = None
    threads: int = 8
    keepalive_seconds: int | None = None
    bootstrap_key: str | None = None
    bootstrap_secret: str | None = field(default=None, repr=False)
    max_body_bytes: int = 20 * 1024 * 1024
    max_url_bytes: int = 64 * 1024
    max_statements_per_batch: int = 1000
    max_attachment_bytes: int = 10 * 1024 * 1024
    trusted_proxies: tuple[IPNetwork, ...] = DEFAULT_TRUSTED_PROXIES
    xapi_max_limit: int = 100
    xapi_ignored_parameters: tuple[str, ...] = ("cachebuster", "_")
    xapi_default_version: str = "2.0.0"
    connection_max_page: int = 1000
    rest_max_limit: int = 1000
    auth_cache_seconds: int = 5
    db_pool_size: int = 5
    statement_timeout_ms: int = 10_000
    log_level: str = "info"
    access_log: bool = True
    metrics: bool = True

    @property
    def uses_postgres(self) -> bool:
        """True when a database URL is configured (otherwise the in-memory store serves)."""
        return self.database_url is not None

    @property
    def worker_count(self) -> int:
        """gunicorn workers: one for the in-memory store, else the setting or 2 x CPUs."""
        if not self.uses_postgres:
            return 1
        if self.workers is not None:
            return self.workers
        return 2 * (os.cpu_count() or 1)

    @property
    def keepalive(self) -> int:
        """gunicorn's keep-alive seconds: the setting, else 0 with several workers, 5 with one."""
        if self.keepalive_seconds is not None:
            return self.keepalive_seconds
        return 0 if self.worker_count > 1 else 5

    @property
    def xapi_endpoint(self) -> str:
        """The xAPI endpoint as a client on this machine reaches it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/data/xAPI"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the ``LRS_*`` variables (from ``environ``, default ``os.environ``)."""
        env = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def integer(name: str, default: int | None, minimum: int = 0) -> int | None:
            raw = text(name)
            if raw is None:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
            if value < minimum:
                raise SettingsError(f"{name} must be at least {minimum}, got {value}")
            return value

        def switch(name: str, default: bool) -> bool:
            raw = text(name)
            if raw is None:
                return default
            value = _SWITCH_VALUES.get(raw.lower())
            if value is None:
                raise SettingsError(f"{name} must be on or off (or true/false, 1/0), got {raw!r}")
            return value

        log_level = (text("LRS_LOG_LEVEL") or "info").lower()
        if log_level not in {"debug", "info", "warning", "error"}:
            raise SettingsError(
                f"LRS_LOG_LEVEL must be one of debug, info, warning, error; got {log_level!r}"
            )
        default_version = text("LRS_XAPI_DEFAULT_VERSION") or "2.0.0"
        served = [version.name for version in SUPPORTED_VERSIONS]
        if default_version not in served:
            raise SettingsError(
                f"LRS_XAPI_DEFAULT_VERSION must be one of {', '.join(served)}; "
                f"got {default_version!r}"
            )
        database_url = text("LRS_DATABASE_URL")
        if database_url is not None and not database_url.startswith("postgresql"):
            raise SettingsError(
                "LRS_DATABASE_URL must be a PostgreSQL SQLAlchemy URL such as "
                "postgresql+psycopg://user@host:5432/db"
            )
        return cls(
            host=text("LRS_HOST") or "127.0.0.1",
            port=integer("LRS_PORT", 8080, minimum=0) or 0,
            database_url=database_url,
            workers=integer("LRS_WORKERS", None, minimum=1),
            threads=integer("LRS_THREADS", 8, minimum=1) or 8,
            keepalive_seconds=integer("LRS_KEEPALIVE_SECONDS", None, minimum=0),
            bootstrap_key=text("LRS_BOOTSTRAP_KEY"),
            bootstrap_secret=text("LRS_BOOTSTRAP_SECRET"),
            max_body_bytes=integer("LRS_MAX_BODY_BYTES", 20 * 1024 * 1024, minimum=1) or 1,
            max_url_bytes=integer("LRS_MAX_URL_BYTES", 64 * 1024, minimum=256) or 256,
            max_statements_per_batch=integer("LRS_MAX_STATEMENTS_PER_BATCH", 1000, minimum=1)
            or 1000,
            max_attachment_bytes=integer("LRS_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024, minimum=1)
            or 1,
            trusted_proxies=parse_trusted_proxies(text("LRS_TRUSTED_PROXIES")),
            xapi_max_limit=integer("LRS_XAPI_MAX_LIMIT", 100, minimum=1) or 100,
            xapi_ignored_parameters=_names(
                text("LRS_XAPI_IGNORED_PARAMETERS"), ("cachebuster", "_")
            ),
            xapi_default_version=default_version,
            connection_max_page=integer("LRS_CONNECTION_MAX_PAGE", 1000, minimum=1) or 1000,
            rest_max_limit=integer("LRS_REST_MAX_LIMIT", 1000, minimum=1) or 1000,
            auth_cache_seconds=integer("LRS_AUTH_CACHE_SECONDS", 5, minimum=0) or 0,
            db_pool_size=integer("LRS_DB_POOL_SIZE", 5, minimum=1) or 5,
            statement_timeout_ms=integer("LRS_STATEMENT_TIMEOUT_MS", 10_000, minimum=0) or 0,
            log_level=log_level,
            access_log=switch("LRS_ACCESS_LOG", True),
            metrics=switch("LRS_METRICS", True),
        )
