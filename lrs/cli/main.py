"""The ``lrs`` command: serve, migrate, bootstrap, create clients, run a throwaway PostgreSQL."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from lrs import __version__
from lrs.core.errors import LrsError
from lrs.core.settings import SETTINGS_DOC, Settings
from lrs.store.factory import open_store
from lrs.tenancy.scopes import Scope
from lrs.tenancy.service import bootstrap, credentials_banner, new_client


def _settings_epilog() -> str:
    lines = ["environment variables:"]
    for name, (default, description) in SETTINGS_DOC.items():
        lines.append(f"  {name:<26} {description} Default: {default}.")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lrs",
        description="A lightweight Learning Record Store (xAPI 1.0.3, Learning Locker APIs).",
        epilog=_settings_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lrs {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser(
        "serve",
        help="run gunicorn on LRS_HOST:LRS_PORT (bootstraps an empty store and prints credentials)",
    )
    commands.add_parser("migrate", help="bring the LRS_DATABASE_URL database to the newest schema")
    commands.add_parser(
        "bootstrap",
        help="on an empty PostgreSQL store, create an organisation, a store and an 'all' client",
    )

    client = commands.add_parser("client", help="manage API clients")
    client_commands = client.add_subparsers(dest="client_command", required=True)
    create = client_commands.add_parser("create", help="create a client and print its credentials")
    create.add_argument("--store", required=True, metavar="ID", help="the store (lrs) id")
    create.add_argument(
        "--scopes",
        nargs="+",
        default=[Scope.XAPI_ALL.value],
        metavar="SCOPE",
        help=f"scopes to grant (default xapi/all); one or more of: "
        f"{', '.join(s.value for s in Scope)}",
    )
    create.add_argument("--title", default="API client", help="a name for the client")
    create.add_argument("--key", help="a fixed Basic-auth key (default: random)")
    create.add_argument("--secret", help="a fixed Basic-auth secret (default: random)")

    pg = commands.add_parser(
        "pg", help="start a throwaway PostgreSQL for development and print its URL"
    )
    pg.add_argument("--dir", default=".pg", type=Path, help="data directory (default .pg)")
    pg.add_argument("--port", type=int, default=5433, help="port on 127.0.0.1 (default 5433)")
    pg.add_argument("--stop", action="store_true", help="stop it instead")
    return parser


def _require_postgres(settings: Settings, command: str) -> None:
    if not settings.uses_postgres:
        raise SystemExit(
            f"lrs {command}: LRS_DATABASE_URL is not set. The in-memory store lives only inside "
            "the server process: `make run` bootstraps it at start."
        )


def serve(settings: Settings) -> None:
    """Check and bootstrap PostgreSQL here (once, before workers fork), then exec gunicorn."""
    if settings.uses_postgres:
        store = open_store(settings)
        try:
            store.check_schema()
            created = bootstrap(store, key=settings.bootstrap_key, secret=settings.bootstrap_secret)
        finally:
            store.close()
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


def migrate(settings: Settings) -> None:
    """Apply pending migrations."""
    from lrs.ops.migrate import head_revision, upgrade_to_head

    _require_postgres(settings, "migrate")
    assert settings.database_url is not None
    upgrade_to_head(settings.database_url)
    print(f"lrs: database is at revision {head_revision()}")


def run_bootstrap(settings: Settings) -> None:
    """Bootstrap an empty PostgreSQL store."""
    _require_postgres(settings, "bootstrap")
    store = open_store(settings)
    try:
        store.check_schema()
        created = bootstrap(store, key=settings.bootstrap_key, secret=settings.bootstrap_secret)
    finally:
        store.close()
    if created is None:
        print("lrs: the store already has an organisation; nothing was created")
    else:
        print(credentials_banner(created, settings.xapi_endpoint))


def create_client(settings: Settings, args: argparse.Namespace) -> None:
    """Create a client in an existing store and print its key and secret."""
    _require_postgres(settings, "client create")
    store = open_store(settings)
    try:
        store.check_schema()
        lrs = store.get_lrs(args.store)
        if lrs is None:
            raise SystemExit(f"lrs client create: --store {args.store}: no such store")
        issued = new_client(
            lrs.organisation_id,
            lrs.id,
            title=args.title,
            scopes=args.scopes,
            key=args.key,
            secret=args.secret,
        )
        store.add_client(issued.client)
    finally:
        store.close()
    print(f"client  {issued.client.id}")
    print(f"scopes  {' '.join(issued.client.scopes)}")
    print(f"key     {issued.client.basic_key}")
    print(f"secret  {issued.secret}")


def throwaway_pg(args: argparse.Namespace) -> None:
    """Start (or stop) a development PostgreSQL and print the URL to export."""
    from lrs.ops.throwaway_postgres import ThrowawayPostgres

    cluster = ThrowawayPostgres(args.dir, port=args.port)
    if args.stop:
        cluster.stop()
        print(f"lrs: stopped the PostgreSQL in {cluster.directory}")
        return
    cluster.start()
    print(f"lrs: PostgreSQL is running in {cluster.directory}; use it with")
    print(f"export LRS_DATABASE_URL={cluster.url()}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lrs`` console script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "pg":
            throwaway_pg(args)
            return 0
        settings = Settings.from_env()
        if args.command == "serve":
            serve(settings)
        elif args.command == "migrate":
            migrate(settings)
        elif args.command == "bootstrap":
            run_bootstrap(settings)
        elif args.command == "client":
            create_client(settings, args)
    except LrsError as error:
        print(f"lrs {args.command}: {error.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
