"""``lrs check``: settings, database reachable, schema at head, database settings; a line each."""

from __future__ import annotations

from typing import Any

import pytest

from lrs.ops.throwaway_postgres import free_port
from lrs.tenancy.service import Bootstrap
from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres


def test_check_passes_on_a_migrated_database(tenant: Bootstrap, lrs: Any) -> None:
    ran = lrs("check")
    assert ran.code == 0, ran
    lines = ran.out.splitlines()
    assert lines[0].startswith("ok    settings           every LRS_* variable is valid")
    assert lines[1].startswith("ok    database           reachable at postgresql+psycopg://")
    assert lines[2].startswith("ok    schema             at the newest revision")
    # The settings' own tests are in test_check_pg_settings.py; the throwaway cluster runs
    # with fsync and synchronous_commit off, which warns, but a warning still passes.
    if lines[3].startswith("warn  database settings  "):
        assert lines[4].startswith("      warn  ")
        assert lines[-1] == "lrs check: passed, with warnings (database settings)"
    else:
        assert lines[3].startswith("ok    database settings  the 14 settings checked are within")
        assert lines[-1] == "lrs check: all checks passed"


def test_an_unreachable_database_fails_clearly(lrs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql+psycopg://someone:hunter2@127.0.0.1:{free_port()}/nowhere"
    monkeypatch.setenv("LRS_DATABASE_URL", url)
    ran = lrs("check")
    assert ran.code == 1
    assert (
        "FAIL  database           cannot connect to postgresql+psycopg://someone:***@127.0.0.1"
        in ran.out
    )
    assert "hunter2" not in ran.out + ran.err
    assert "skip  schema" in ran.out
    assert "skip  database settings  not checked: no database connection" in ran.out
    assert "lrs check: FAILED (database)" in ran.out


def test_a_database_without_the_schema_says_to_migrate(
    pg_server: PostgresServer, lrs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LRS_DATABASE_URL", pg_server.create_database())
    ran = lrs("check")
    assert ran.code == 1
    assert "ok    database" in ran.out
    assert "FAIL  schema             the database has no lrs schema" in ran.out
    assert "run `lrs migrate`" in ran.out


def test_bad_settings_are_one_clear_line(lrs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRS_PORT", "eighty")
    ran = lrs("check")
    assert ran.code == 1
    assert ran.out.splitlines()[0] == ("FAIL  settings  LRS_PORT must be an integer, got 'eighty'")


def test_the_memory_store_checks_settings_only(lrs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LRS_DATABASE_URL", raising=False)
    ran = lrs("check")
    assert ran.code == 0
    assert "skip  database  LRS_DATABASE_URL is not set: the in-memory store" in ran.out
