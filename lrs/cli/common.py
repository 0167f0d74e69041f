"""What every ``lrs`` command module shares: declaring a command, settings, the PostgreSQL store.

A command module has ``register(commands)``, which adds its commands with ``add_command``; each
command's handler takes the parsed arguments and returns the exit code. Handlers raise
``CommandError`` (or a domain ``LrsError``) for a clear one-line message; ``main`` prints it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from lrs.core.errors import LrsError
from lrs.core.settings import Settings
from lrs.store.models import Lrs
from lrs.store.postgres import PostgresStore
from lrs.tenancy.service import list_stores

Handler = Callable[[argparse.Namespace], int]
Subparsers = Any  # argparse's _SubParsersAction, which is private

#: Exit codes.
OK = 0
PARTLY = 1  # the command ran, but not everything succeeded (a failed check, a rejected statement)
FAILED = 2  # the command could not do its work (bad arguments, settings, database)

MEMORY_STORE_NOTE = (
    "LRS_DATABASE_URL is not set, so the store would be the in-memory one, which lives only "
    "inside a running server process (`lrs serve` creates its organisation, store and client at "
    "start and prints the credentials). This command works on a PostgreSQL store: set "
    "LRS_DATABASE_URL."
)


class CommandError(Exception):
    """A command cannot do its work; the message is printed as ``lrs <command>: <message>``."""

    def __init__(self, message: str, exit_code: int = FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def add_command(
    commands: Subparsers,
    name: str,
    handler: Handler,
    *,
    help: str,
    example: str,
    description: str | None = None,
    full_name: str | None = None,
) -> argparse.ArgumentParser:
    """Add a command whose ``--help`` ends with an example."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help,
        description=description or help[:1].upper() + help[1:] + ".",
        epilog="example:\n" + "\n".join(f"  {line}" for line in example.splitlines()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=handler, command_name=full_name or name)
    return parser


def add_group(
    commands: Subparsers, name: str, *, help: str, example: str
) -> tuple[argparse.ArgumentParser, Subparsers]:
    """Add a command with subcommands (``lrs store create``); returns it and its subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help,
        description=help[:1].upper() + help[1:] + ".",
        epilog="example:\n" + "\n".join(f"  {line}" for line in example.splitlines()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser, parser.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")


def load_settings() -> Settings:
    """The settings from the environment; a bad variable becomes a ``CommandError``."""
    try:
        return Settings.from_env()
    except LrsError as error:
        raise CommandError(f"the settings are invalid: {error.message}") from None


@contextlib.contextmanager
def postgres_store(
    settings: Settings, *, statement_timeout_ms: int | None = None
) -> Iterator[PostgresStore]:
    """The PostgreSQL store of ``LRS_DATABASE_URL``, checked to be at the schema head, closed
    on the way out. ``CommandError`` without a database URL (the memory store cannot be reached
    from another process)."""
    if settings.database_url is None:
        raise CommandError(MEMORY_STORE_NOTE)
    if statement_timeout_ms is not None:
        settings = dataclasses.replace(settings, statement_timeout_ms=statement_timeout_ms)
    store = PostgresStore.from_url(
        settings.database_url,
        pool_size=2,
        statement_timeout_ms=settings.statement_timeout_ms,
    )
    try:
        store.check_schema()
        yield store
    finally:
        store.close()


def resolve_store(store: PostgresStore, requested: str | None) -> Lrs:
    """The store named by ``--store``, or the only one; ``CommandError`` otherwise."""
    if requested is not None:
        lrs = store.get_lrs(requested)
        if lrs is None:
            raise CommandError(f"--store {requested}: no such store (see `lrs store list`)")
        return lrs
    stores = list_stores(store)
    if not stores:
        raise CommandError("there is no store yet: run `lrs bootstrap` or `lrs store create`")
    if len(stores) > 1:
        listed = ", ".join(f"{s.id} ({s.title})" for s in stores)
        raise CommandError(f"there are several stores; name one with --store: {listed}")
    return stores[0]
