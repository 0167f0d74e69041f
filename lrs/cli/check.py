"""``lrs check``: one line per check (settings, database, schema); exit 1 when one fails."""

from __future__ import annotations

import argparse

from lrs.cli.common import OK, PARTLY, Subparsers, add_command
from lrs.ops.check import run_checks

_MARKS = {"ok": "ok  ", "fail": "FAIL", "skip": "skip"}


def register(commands: Subparsers) -> None:
    """Add check."""
    add_command(
        commands,
        "check",
        check,
        help="check the settings, that the database is reachable and its schema current",
        description=(
            "Check the LRS_* settings, that the LRS_DATABASE_URL database is reachable and that "
            "its schema is at the newest migration. Prints one line per check; exits 0 when "
            "all pass, 1 when one fails. With the in-memory store only the settings are checked."
        ),
        example="LRS_DATABASE_URL=postgresql+psycopg://lrs@127.0.0.1:5432/lrs lrs check",
    )


def check(args: argparse.Namespace) -> int:
    """Run the checks and print them."""
    results = run_checks()
    for result in results:
        print(f"{_MARKS[result.status]}  {result.name:<9} {result.message}")
    failed = [result.name for result in results if result.status == "fail"]
    if failed:
        print(f"lrs check: FAILED ({', '.join(failed)})")
        return PARTLY
    print("lrs check: all checks passed")
    return OK
