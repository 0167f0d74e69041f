"""``lrs export``: a store's statements as NDJSON or CSV (``lrs.ops.exporting``)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from lrs.cli.common import (
    OK,
    CommandError,
    Subparsers,
    add_command,
    load_settings,
    postgres_store,
    resolve_store,
)
from lrs.cli.progress import Progress, add_progress_option
from lrs.core.errors import BadQuery
from lrs.ops.exporting import (
    CSV,
    FORMATS,
    NDJSON,
    ExportSelection,
    export_statements,
    parse_filter_text,
    parse_projection_texts,
)
from lrs.query.ast import MATCH_ALL
from lrs.store.find import StatementScope
from lrs.xapi.timestamps import parse_timestamp

_DESCRIPTION = """\
Export a store's statements in the order they were stored, as NDJSON (one statement per line,
exactly as stored: xAPI format=exact; `lrs import` reads it back) or CSV (the REST export's
columns: Learning Locker's default projection unless --projection). Voided statements are
exported too (an export is a backup; importing it voids them again), unless --exclude-voided.
The statements are read through a database cursor, so memory stays flat at any size."""


def register(commands: Subparsers) -> None:
    """Add export."""
    parser = add_command(
        commands,
        "export",
        run_export,
        help="export a store's statements as NDJSON or CSV (filter, since, until)",
        description=_DESCRIPTION,
        example="lrs export -o backup.ndjson\n"
        "lrs export --format csv --since 2024-01-01T00:00:00Z "
        '--filter \'{"statement.verb.id": "http://adlnet.gov/expapi/verbs/completed"}\' '
        "-o completed.csv",
    )
    parser.add_argument("--store", metavar="ID", help="the store (default: the only one)")
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write here (default: stdout)", default="-"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=NDJSON,
        help=f"{' or '.join(FORMATS)} (default {NDJSON})",
    )
    parser.add_argument(
        "--filter",
        metavar="JSON",
        help="only statements matching this Connection API filter, e.g. "
        '\'{"statement.actor.mbox": "mailto:ann@example.com"}\'',
    )
    parser.add_argument(
        "--since", metavar="TIMESTAMP", help="only statements stored after this instant"
    )
    parser.add_argument(
        "--until", metavar="TIMESTAMP", help="only statements stored at or before this instant"
    )
    parser.add_argument("--exclude-voided", action="store_true", help="leave voided statements out")
    parser.add_argument(
        "--projection",
        action="append",
        default=[],
        metavar="JSON",
        help="CSV columns as a projection (repeatable; later ones win on a column), e.g. "
        '\'{"actor": "$statement.actor.mbox", "verb": "$statement.verb.id"}\'',
    )
    add_progress_option(parser)


def run_export(args: argparse.Namespace) -> int:
    """Export and say how many statements were written."""
    selection = _selection(args)
    if args.projection and args.format != CSV:
        raise CommandError("--projection is for --format csv")
    try:
        projections = parse_projection_texts(args.projection) if args.format == CSV else []
    except BadQuery as error:
        raise CommandError(f"--projection: {error.message}") from None
    settings = load_settings()
    # An export is one long read: no statement timeout (each fetch from the cursor is a statement).
    with postgres_store(settings, statement_timeout_ms=0) as store:
        lrs = resolve_store(store, args.store)
        unfiltered = selection == ExportSelection()
        progress = Progress(
            "lrs export",
            total=lrs.statement_count if unfiltered else None,
            every=args.progress_every,
        )
        started = time.monotonic()
        try:
            with _output(args.output) as out:
                count = export_statements(
                    store,
                    StatementScope(organisation_id=lrs.organisation_id, lrs_id=lrs.id),
                    out,
                    format=args.format,
                    selection=selection,
                    projections=projections,
                    on_progress=progress.update,
                )
        finally:
            progress.close()
    elapsed = time.monotonic() - started
    where = "stdout" if args.output == "-" else args.output
    print(
        f"lrs export: {count:,} statements from store {lrs.id} written to {where} as "
        f"{args.format.upper()} in {elapsed:,.1f} s",
        file=sys.stderr,
    )
    return OK


def _selection(args: argparse.Namespace) -> ExportSelection:
    condition = MATCH_ALL
    if args.filter is not None:
        try:
            condition = parse_filter_text(args.filter)
        except BadQuery as error:
            raise CommandError(f"--filter: {error.message}") from None
    return ExportSelection(
        filter=condition,
        since=_instant(args.since, "--since"),
        until=_instant(args.until, "--until"),
        include_voided=not args.exclude_voided,
    )


def _instant(value: str | None, flag: str) -> datetime | None:
    if value is None:
        return None
    instant = parse_timestamp(value)
    if instant is None:
        raise CommandError(
            f"{flag}: {value!r} is not an ISO 8601 timestamp with a time zone, such as "
            "2024-01-31T12:00:00Z"
        )
    return instant


@contextlib.contextmanager
def _output(path: str) -> Iterator[BinaryIO]:
    """stdout, or a file written under a temporary name and renamed when complete (a failed
    export leaves no file that looks whole)."""
    if path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    try:
        handle = open(partial, "wb")  # noqa: SIM115 (closed below)
    except OSError as error:
        raise CommandError(f"-o {path}: {error.strerror}") from None
    try:
        with handle:
            yield handle
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
