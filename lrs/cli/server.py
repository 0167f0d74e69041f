"""``lrs serve``, ``lrs migrate``, ``lrs bootstrap`` and ``lrs pg``: running the server and its
database."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lrs.cli.common import (
    MEMORY_STORE_NOTE,
    OK,
    CommandError,
    Subparsers,
    add_command,
    load_settings,
)
from lrs.core.settings import Settings
from lrs.store.factory import open_store
from lrs.tenancy.service import Bootstrap, bootstrap, credentials_banner


def register(commands: Subparsers) -> None:
    """Add serve, migrate and bootstrap."""
    add_command(
        commands,
        "serve",
        serve,
        help="run gunicorn on LRS_HOST:LRS_PORT (bootstraps an empty store and prints credentials)",
        example="LRS_DATABASE_URL=postgresql+psycopg://lrs@127.0.0.1:5432/lrs lrs serve",
    )
    add_command(
        commands,
        "migrate",
        migrate,
        help="bring the LRS_DATABASE_URL database to the newest schema",
        example="LRS_DATABASE_URL=postgresql+psycopg://lrs@127.0.0.1:5432/lrs lrs migrate",
    )
    add_command(
        commands,
        "bootstrap",
        run_bootstrap,
        help="on an empty PostgreSQL store, create an organisation, a store and an 'all' client",
        example="LRS_BOOTSTRAP_KEY=my-key LRS_BOOTSTRAP_SECRET=my-secret lrs bootstrap",
    )


def register_pg(commands: Subparsers) -> None:
    """Add pg."""
    pg = add_command(
        commands,
        "pg",
        throwaway_pg,
        help="start a throwaway PostgreSQL for development and print its URL",
        example="lrs pg --dir .pg --port 5433        # then: lrs pg --dir .pg --stop",
    )
    pg.add_argument("--dir", default=".pg", type=Path, help="data directory (default .pg)")
    pg.add_argument("--port", type=int, default=5433, help="port on 127.0.0.1 (default 5433)")
    pg.add_argument("--stop", action="store_true", help="stop it instead")


def _bootstrap_database(settings: Settings) -> Bootstrap | None:
    """Check the schema is at head, then bootstrap the database if it is empty."""
    store = open_store(settings)
    try:
        store.check_schema()
        return bootstrap(store, key=settings.bootstrap_key, secret=settings.bootstrap_secret)
    finally:
        store.close()


def serve(args: argparse.Namespace) -> int:
    """Check and bootstrap PostgreSQL here (once, before workers fork), then exec gunicorn."""
    settings = load_settings()
    if settings.uses_postgres:
        created = _bootstrap_database(settings)
        if created is not None:
            print(credentials_banner(created, settings.xapi_endpoint), flush=True)
    print(f"lrs: serving {settings.xapi_endpoint}", flush=True)
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:lrs.ops.gunicorn_conf",
        "lrs.http.app:get_app()",
    ]
    os.execv(sys.executable, argv)  # noqa: S606
    return OK  # not reached


def migrate(args: argparse.Namespace) -> int:
    """Apply pending migrations."""
    from lrs.ops.migrate import head_revision, upgrade_to_head

    settings = load_settings()
    if settings.database_url is None:
        raise CommandError(MEMORY_STORE_NOTE)
    upgrade_to_head(settings.database_url)
    print(f"lrs: database is at revision {head_revision()}")
    return OK


def run_bootstrap(args: argparse.Namespace) -> int:
    """Bootstrap an empty PostgreSQL store."""
    settings = load_settings()
    if settings.database_url is None:
        raise CommandError(MEMORY_STORE_NOTE)
    created = _bootstrap_database(settings)
    if created is None:
        print("lrs: the store already has an organisation; nothing was created")
    else:
        print(credentials_banner(created, settings.xapi_endpoint))
    return OK


def throwaway_pg(args: argparse.Namespace) -> int:
    """Start (or stop) a development PostgreSQL and print the URL to export."""
    from lrs.ops.throwaway_postgres import ThrowawayPostgres

    cluster = ThrowawayPostgres(args.dir, port=args.port)
    if args.stop:
        cluster.stop()
        print(f"lrs: stopped the PostgreSQL in {cluster.directory}")
        return OK
    cluster.start()
    print(f"lrs: PostgreSQL is running in {cluster.directory}; use it with")
    print(f"export LRS_DATABASE_URL={cluster.url()}")
    return OK
