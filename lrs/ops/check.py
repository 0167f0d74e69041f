"""``lrs check``: are the settings valid, is the database reachable, is its schema current?

Each check gives one ``CheckResult``; a check that cannot run because an earlier one failed is
not run. The database checks use a connection of their own (no pool, a short connect timeout),
so a check never waits on a pool or hangs on an unreachable host for long.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from lrs.core.errors import SchemaNotCurrent
from lrs.core.settings import Settings, SettingsError
from lrs.ops.migrate import current_revision, require_head

CONNECT_TIMEOUT_SECONDS = 5

Status = Literal["ok", "fail", "skip"]


@dataclass(frozen=True)
class CheckResult:
    """One check: its name, how it went, and a sentence saying what was found."""

    name: str
    status: Status
    message: str


def printable_url(database_url: str) -> str:
    """The database URL without its password."""
    try:
        return sa.make_url(database_url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(an unparsable URL)"


def run_checks(environ: Mapping[str, str] | None = None) -> list[CheckResult]:
    """Check the settings, then (with PostgreSQL) the database and its schema."""
    try:
        settings = Settings.from_env(environ)
    except SettingsError as error:
        return [CheckResult("settings", "fail", error.message)]
    results = [CheckResult("settings", "ok", "every LRS_* variable is valid")]
    if settings.database_url is None:
        results.append(
            CheckResult(
                "database",
                "skip",
                "LRS_DATABASE_URL is not set: the in-memory store is used, which lives inside "
                "the server process (nothing to check before `lrs serve`; its data is gone "
                "when the server stops)",
            )
        )
        return results
    return results + check_database(settings.database_url)


def check_database(database_url: str) -> list[CheckResult]:
    """Connect to the database, then compare its schema revision with this lrs's."""
    shown = printable_url(database_url)
    try:
        engine = sa.create_engine(
            database_url,
            poolclass=NullPool,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
        )
    except sa.exc.ArgumentError as error:  # a malformed URL or an unknown driver
        return [
            CheckResult("database", "fail", f"LRS_DATABASE_URL cannot be used: {error}"),
            CheckResult("schema", "skip", "not checked: no database connection"),
        ]
    try:
        try:
            connection = engine.connect()
        except sa.exc.DBAPIError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            return [
                CheckResult("database", "fail", f"cannot connect to {shown}: {reason}"),
                CheckResult("schema", "skip", "not checked: no database connection"),
            ]
        with connection:
            version = connection.execute(sa.text("SHOW server_version")).scalar()
            results = [
                CheckResult("database", "ok", f"reachable at {shown} (PostgreSQL {version})")
            ]
            try:
                require_head(connection)
            except SchemaNotCurrent as error:
                return [*results, CheckResult("schema", "fail", error.message)]
            revision = current_revision(connection)
    finally:
        engine.dispose()
    return [*results, CheckResult("schema", "ok", f"at the newest revision ({revision})")]
