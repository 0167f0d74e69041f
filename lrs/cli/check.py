"""``lrs check``: one line per check (settings, database, schema, database settings), with the
lines behind a warning under it; exit 1 when a check fails, 0 when all pass or only warn."""

from __future__ import annotations

import argparse

from lrs.cli.common import OK, PARTLY, Subparsers, add_command
from lrs.ops.check import CheckResult, run_checks

_MARKS = {"ok": "ok  ", "warn": "warn", "fail": "FAIL", "skip": "skip", "note": "note"}
_NAME_WIDTH = 9  # the width of the name column when no name is longer


def register(commands: Subparsers) -> None:
    """Add check."""
    add_command(
        commands,
        "check",
        check,
        help="check the settings, the database, its schema and its PostgreSQL settings",
        description=(
            "Check the LRS_* settings, that the LRS_DATABASE_URL database is reachable, that "
            "its schema is at the newest migration, and that PostgreSQL's settings suit an LRS "
            "(shared_buffers, max_wal_size, autovacuum, ...). Prints one line per check, and "
            "one line per PostgreSQL setting far from its recommendation; exits 0 when all "
            "pass or only warn, 1 when one fails. With the in-memory store only the settings "
            "are checked."
        ),
        example="LRS_DATABASE_URL=postgresql+psycopg://lrs@127.0.0.1:5432/lrs lrs check",
    )


def check(args: argparse.Namespace) -> int:
    """Run the checks and print them."""
    results = run_checks()
    for line in report_lines(results):
        print(line)
    failed = [result.name for result in results if result.status == "fail"]
    warned = [result.name for result in results if result.status == "warn"]
    if failed:
        print(f"lrs check: FAILED ({', '.join(failed)})")
        return PARTLY
    if warned:
        print(f"lrs check: passed, with warnings ({', '.join(warned)})")
        return OK
    print("lrs check: all checks passed")
    return OK


def report_lines(results: list[CheckResult]) -> list[str]:
    """Each result as ``<mark>  <name>  <message>``, its details indented under the name."""
    width = max([_NAME_WIDTH, *(len(result.name) + 1 for result in results)])
    lines = []
    for result in results:
        lines.append(f"{_MARKS[result.status]}  {result.name:<{width}} {result.message}")
        lines.extend(f"      {_MARKS[level]}  {detail}" for level, detail in result.details)
    return lines
