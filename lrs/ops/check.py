"""``lrs check``: are the settings valid, is the database reachable, is its schema current, are
its PostgreSQL settings fit for an LRS?

Each check gives one ``CheckResult``; a check that cannot run because an earlier one failed is
not run. The database settings are read whenever the database is reachable, also when its schema
is behind (they do not depend on it); a setting far from ``lrs.ops.pg_settings``'s
recommendations is a warning, which does not fail ``lrs check`` (autovacuum off does). The
database checks use a connection of their own (no pool, a short connect timeout), so a check
never waits on a pool or hangs on an unreachable host for long.
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
from lrs.ops.pg_settings import NAMES, Finding, judge, read_settings

CONNECT_TIMEOUT_SECONDS = 5
SETTINGS_GUIDE = 'deploy/README.md, "PostgreSQL settings for an LRS"'

#: ``warn``: worth changing, but the LRS works; ``lrs check`` still passes.
Status = Literal["ok", "warn", "fail", "skip"]


@dataclass(frozen=True)
class CheckResult:
    """One check: its name, how it went, a sentence saying what was found, and the lines behind
    that sentence (one per setting found off), each with its own level."""

    name: str
    status: Status
    message: str
    details: tuple[tuple[str, str], ...] = ()


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


_NOT_CONNECTED = (
    CheckResult("schema", "skip", "not checked: no database connection"),
    CheckResult("database settings", "skip", "not checked: no database connection"),
)


def check_database(database_url: str) -> list[CheckResult]:
    """Connect to the database, compare its schema revision with this lrs's, then its settings
    with the recommendations."""
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
            *_NOT_CONNECTED,
        ]
    try:
        try:
            connection = engine.connect()
        except sa.exc.DBAPIError as error:
            return [
                CheckResult("database", "fail", f"cannot connect to {shown}: {_reason(error)}"),
                *_NOT_CONNECTED,
            ]
        with connection:
            version = connection.execute(sa.text("SHOW server_version")).scalar()
            results = [
                CheckResult("database", "ok", f"reachable at {shown} (PostgreSQL {version})")
            ]
            results.append(check_schema(connection))
            results.append(check_pg_settings(connection))
    finally:
        engine.dispose()
    return results


def check_schema(connection: sa.Connection) -> CheckResult:
    """Is the schema at the newest revision?"""
    try:
        require_head(connection)
    except SchemaNotCurrent as error:
        return CheckResult("schema", "fail", error.message)
    revision = current_revision(connection)
    return CheckResult("schema", "ok", f"at the newest revision ({revision})")


def check_pg_settings(connection: sa.Connection) -> CheckResult:
    """Compare the server's settings, as this connection sees them, with the recommendations."""
    try:
        settings = read_settings(connection)
    except sa.exc.DBAPIError as error:
        reason = f"cannot read pg_settings: {_reason(error)}"
        return CheckResult("database settings", "skip", reason)
    return settings_result(judge(settings), len(settings))


def settings_result(findings: list[Finding], read: int = len(NAMES)) -> CheckResult:
    """The "database settings" result for these findings: ``fail`` if one must be changed,
    ``warn`` if one should be, else ``ok`` (notes are shown but leave it ``ok``)."""
    details = tuple((finding.level, finding.line()) for finding in findings)
    levels = {finding.level for finding in findings}
    notes = sum(1 for finding in findings if finding.level == "note")
    consider = f", {notes} more to consider" if notes else ""
    if "fail" in levels or "warn" in levels:
        off = len(findings) - notes
        noun = "setting is" if off == 1 else "settings are"
        return CheckResult(
            "database settings",
            "fail" if "fail" in levels else "warn",
            f"{off} {noun} far from the recommendations for an LRS{consider} ({SETTINGS_GUIDE})",
            details,
        )
    message = f"the {read} settings checked are within the recommendations for an LRS{consider}"
    if notes:
        message += f" ({SETTINGS_GUIDE})"
    return CheckResult("database settings", "ok", message, details)


def _reason(error: sa.exc.DBAPIError) -> str:
    return str(error.orig).strip().splitlines()[0] if error.orig else str(error)
