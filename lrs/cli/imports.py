"""``lrs import``: statements from a file or stdin into a PostgreSQL store (``lrs.ops.importing``).

Exit codes: 0 when every statement was stored or already present; 1 when some were rejected
(the others are stored); 2 when the import could not run or stopped early (bad input, no such
store, the database went away).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from typing import BinaryIO

from lrs.cli.common import (
    FAILED,
    OK,
    PARTLY,
    CommandError,
    Subparsers,
    add_command,
    load_settings,
    postgres_store,
    resolve_store,
)
from lrs.cli.progress import Progress, add_progress_option
from lrs.ops.importing import (
    DEFAULT_BATCH_SIZE,
    LISTED_REJECTIONS,
    ImportSummary,
    RejectsWriter,
    import_statements,
)
from lrs.store.models import Client, Lrs
from lrs.store.postgres import PostgresStore
from lrs.tenancy.service import list_clients

_DESCRIPTION = """\
Import statements into a store, through the same validation, conflict and voiding rules as the
xAPI statements API. The input is a JSON array of statements or NDJSON (one statement per
line), from FILE or stdin, optionally gzipped (both detected from the bytes). A statement
already stored with the same content counts as already present (a second import of a file
stores nothing); an invalid one, or one whose id is stored with other content, is rejected
alone and the import goes on. A statement's stored and authority are kept when it has them
(an `lrs export` restores as it was), unless --as-new.

Exit status: 0 all stored or already present; 1 some rejected; 2 the import could not run or
stopped early."""


def register(commands: Subparsers) -> None:
    """Add import."""
    parser = add_command(
        commands,
        "import",
        run_import,
        help="import statements from a JSON array or NDJSON file (or stdin, gzipped or not)",
        description=_DESCRIPTION,
        example="lrs import statements.ndjson.gz --store 6b06d2a6e3c99b14fc64cc44 "
        "--rejects rejected.ndjson",
    )
    parser.add_argument(
        "file", nargs="?", default="-", metavar="FILE", help="the input (default -: stdin)"
    )
    parser.add_argument("--store", metavar="ID", help="the store (default: the only one)")
    parser.add_argument(
        "--client",
        metavar="ID",
        help="the client the statements are stored as (default: the store's oldest enabled "
        "client); its authority goes to statements that have none",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        metavar="N",
        help=f"statements per insert (default {DEFAULT_BATCH_SIZE})",
    )
    parser.add_argument(
        "--rejects",
        metavar="FILE",
        help="write the rejected lines (NDJSON) or elements (as a JSON array) here, verbatim",
    )
    parser.add_argument(
        "--as-new",
        action="store_true",
        help="set stored to now and authority to the client's, as an xAPI POST does",
    )
    add_progress_option(parser)


def run_import(args: argparse.Namespace) -> int:
    """Import, print the summary, return the exit code."""
    if args.batch_size < 1:
        raise CommandError("--batch-size must be at least 1")
    settings = load_settings()
    with postgres_store(settings) as store:
        lrs = resolve_store(store, args.store)
        client = _client(store, lrs, args.client)
        with _input(args.file) as source, _rejects(args.rejects) as rejects:
            progress = Progress("lrs import", every=args.progress_every)
            started = time.monotonic()
            try:
                summary = import_statements(
                    store,
                    lrs.id,
                    source,
                    client=client,
                    batch_size=args.batch_size,
                    rejects=rejects,
                    as_new=args.as_new,
                    on_progress=lambda s: progress.update(s.read, _counts(s)),
                )
            finally:
                progress.close()
            elapsed = time.monotonic() - started
    _print_summary(summary, lrs, elapsed, args.rejects)
    if summary.stopped_by is not None:
        print(f"lrs import: stopped early: {summary.stopped_by}", file=sys.stderr)
        return FAILED
    return PARTLY if summary.rejected else OK


def _client(store: PostgresStore, lrs: Lrs, requested: str | None) -> Client:
    if requested is not None:
        client = store.get_client(requested)
        if client is None:
            raise CommandError(f"--client {requested}: no such client (see `lrs client list`)")
        if client.organisation_id != lrs.organisation_id:
            raise CommandError(
                f"--client {requested}: the client belongs to another organisation than "
                f"store {lrs.id}"
            )
        return client
    for client in list_clients(store, lrs.id):
        if client.is_trusted:
            return client
    raise CommandError(
        f"store {lrs.id} has no enabled client to store the statements as: create one with "
        f"`lrs client create --store {lrs.id}` or name one with --client"
    )


@contextlib.contextmanager
def _input(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        if sys.stdin.isatty():
            raise CommandError("give a FILE, or pipe the statements in (FILE '-' is stdin)")
        yield sys.stdin.buffer
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below)
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror}") from None
    with handle:
        yield handle


@contextlib.contextmanager
def _rejects(path: str | None) -> Iterator[RejectsWriter | None]:
    if path is None:
        yield None
        return
    try:
        handle = open(path, "wb")  # noqa: SIM115 (closed below)
    except OSError as error:
        raise CommandError(f"--rejects {path}: {error.strerror}") from None
    with handle:
        yield RejectsWriter(handle)


def _counts(summary: ImportSummary) -> str:
    return (
        f"stored {summary.stored:,}, already present {summary.already_present:,}, "
        f"rejected {summary.rejected:,}"
    )


def _print_summary(summary: ImportSummary, lrs: Lrs, elapsed: float, rejects: str | None) -> None:
    rate = summary.read / elapsed if elapsed > 0 else 0.0
    kind = {"json": "a JSON array", "ndjson": "NDJSON", "empty": "empty input"}[summary.format]
    print(
        f"lrs import: {summary.read:,} statements read ({kind}) into store {lrs.id} "
        f"in {elapsed:,.1f} s ({rate:,.0f}/s)"
    )
    print(f"  stored           {summary.stored:,}")
    print(f"  already present  {summary.already_present:,}")
    print(f"  rejected         {summary.rejected:,}")
    for rejection in summary.rejections:
        print(f"    {summary.position_name} {rejection.position}: {rejection.message}")
    if summary.rejected > LISTED_REJECTIONS:
        print(f"    ... and {summary.rejected - LISTED_REJECTIONS:,} more")
    if summary.rejected and rejects is not None:
        print(f"  the rejected statements are in {rejects}")
