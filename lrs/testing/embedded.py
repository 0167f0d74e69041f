"""``running_lrs``: a real lrs on a loopback port for the length of a ``with`` block.

The settings come only from the arguments, never from the environment: an ``LRS_DATABASE_URL``
in the user's shell does not move an embedded server to PostgreSQL.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.ops.migrate import upgrade_to_head
from lrs.store.base import Store
from lrs.store.factory import open_store
from lrs.tenancy.service import Bootstrap, bootstrap
from lrs.testing.server import BackgroundServer

_ALIASES = {"key": "bootstrap_key", "secret": "bootstrap_secret"}
# Settings of the gunicorn process that mean nothing to a server inside the caller's process.
_NOT_EMBEDDED = {
    "host": "the embedded server listens on 127.0.0.1 only",
    "workers": "the embedded server is threads in this process, not gunicorn workers",
    "threads": "the embedded server starts a thread per connection",
    "keepalive_seconds": "the embedded server closes each connection after its response",
    "log_level": "the embedded server configures no logging; set the level of the 'lrs' logger",
}
_EMBEDDED_DEFAULTS: dict[str, Any] = {"port": 0, "auth_cache_seconds": 0}


class RunningLrs:
    """An lrs serving on ``127.0.0.1``: where it is, its credentials, and ``reset``."""

    __slots__ = ("_secret", "_server", "_settings", "_store", "_tenant")

    def __init__(
        self, server: BackgroundServer, store: Store, settings: Settings, tenant: Bootstrap
    ) -> None:
        self._server = server
        self._store = store
        self._settings = settings
        self._tenant = tenant
        self._secret = tenant.issued.secret

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, no trailing slash (REST v2 is under ``/api/v2``)."""
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def endpoint(self) -> str:
        """The xAPI endpoint, ``http://127.0.0.1:PORT/data/xAPI``, no trailing slash."""
        return f"{self.base_url}/data/xAPI"

    @property
    def port(self) -> int:
        """The port served on."""
        return self._server.port

    @property
    def key(self) -> str:
        """The Basic-auth key of the client (scope ``all``) made at start."""
        return self._tenant.issued.client.basic_key

    @property
    def secret(self) -> str:
        """The Basic-auth secret of that client."""
        return self._secret

    @property
    def auth(self) -> tuple[str, str]:
        """``(key, secret)``, as ``requests`` and ``httpx`` take it (``auth=lrs.auth``)."""
        return (self.key, self._secret)

    @property
    def authorization(self) -> str:
        """The ``Authorization`` header value, ``Basic base64(key:secret)``."""
        token = base64.b64encode(f"{self.key}:{self._secret}".encode()).decode("ascii")
        return f"Basic {token}"

    @property
    def organisation_id(self) -> str:
        """The id of the organisation made at start."""
        return self._tenant.organisation.id

    @property
    def lrs_id(self) -> str:
        """The id of the store (Learning Locker's ``lrs``) made at start."""
        return self._tenant.lrs.id

    @property
    def client_id(self) -> str:
        """The id of the client made at start."""
        return self._tenant.issued.client.id

    @property
    def store(self) -> Store:
        """The storage behind the server, for looking at it directly."""
        return self._store

    @property
    def settings(self) -> Settings:
        """The settings it runs with."""
        return self._settings

    def reset(self) -> None:
        """Delete every statement, attachment, document and model, keeping only the
        organisation, store and client made at start, as they were then (so ``key`` and
        ``secret`` keep working, with scope ``all``). The application is rebuilt too, so no
        credentials it had verified are remembered. ``RuntimeError`` once stopped."""
        if not self._server.running:
            raise RuntimeError("this embedded lrs has stopped; reset() works only while it runs")
        self._store.reset(
            tenant=(self._tenant.organisation, self._tenant.lrs, self._tenant.issued.client)
        )
        self._server.set_app(create_app(self._settings, self._store))

    def __repr__(self) -> str:
        return f"<RunningLrs {self.endpoint} key={self.key!r}>"


def embedded_settings(settings: dict[str, Any]) -> Settings:
    """``Settings`` from keyword arguments: the ``Settings`` fields, ``key``/``secret`` for the
    bootstrap credentials; ``TypeError`` naming any other name or a setting that does not apply
    to an embedded server."""
    known = {f.name for f in dataclasses.fields(Settings)}
    unknown = sorted(n for n in settings if _ALIASES.get(n, n) not in known)
    if unknown:
        raise TypeError(
            f"running_lrs() got unknown setting(s) {', '.join(unknown)}; it takes key, secret, "
            f"migrate and these Settings fields: {', '.join(sorted(known - set(_NOT_EMBEDDED)))}"
        )
    inapplicable = sorted(n for n in settings if n in _NOT_EMBEDDED)
    if inapplicable:
        reasons = "; ".join(f"{n}: {_NOT_EMBEDDED[n]}" for n in inapplicable)
        raise TypeError(f"running_lrs() does not take {', '.join(inapplicable)} ({reasons})")
    values = dict(_EMBEDDED_DEFAULTS)
    for name, value in settings.items():
        target = _ALIASES.get(name, name)
        if target != name and target in settings:
            raise TypeError(f"running_lrs() got both {name} and {target}; give one")
        values[target] = value
    return Settings(**values)


@contextmanager
def running_lrs(*, migrate: bool = False, **settings: Any) -> Iterator[RunningLrs]:
    """Serve an lrs over HTTP on a free ``127.0.0.1`` port until the block ends.

    ``settings`` are ``lrs.core.settings.Settings`` fields (``key``/``secret`` stand for
    ``bootstrap_key``/``bootstrap_secret``; random when not given). The in-memory store serves
    unless ``database_url`` names a PostgreSQL database; that database must be at the migration
    head (``SchemaNotCurrent`` otherwise), or ``migrate=True`` brings it there first. It is
    **emptied** at start and by every ``reset()``: give a database made for tests. Credentials
    are checked on every request (``auth_cache_seconds`` defaults to 0 here).
    """
    resolved = embedded_settings(settings)
    if migrate and resolved.database_url is None:
        raise TypeError("running_lrs(migrate=True) needs a database_url")
    store = open_store(resolved)
    server: BackgroundServer | None = None
    try:
        if resolved.database_url is not None:
            if migrate:
                upgrade_to_head(resolved.database_url)
            store.check_schema()
            store.reset()
        tenant = bootstrap(store, key=resolved.bootstrap_key, secret=resolved.bootstrap_secret)
        if tenant is None:
            raise RuntimeError(
                "another lrs bootstrapped the same database while this one started; "
                "give each embedded lrs a database of its own"
            )
        server = BackgroundServer(
            create_app(resolved, store),
            port=resolved.port,
            max_body_bytes=resolved.max_body_bytes,
        )
        server.start()
        yield RunningLrs(server, store, resolved, tenant)
    finally:
        if server is not None:
            server.stop()
        store.close()
