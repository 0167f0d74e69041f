"""Shared fixtures: the PostgreSQL server and database, and the ``store`` fixture that runs each
test against both stores (``memory`` and ``postgres``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from lrs.ops.migrate import upgrade_to_head
from lrs.store.base import Store
from lrs.store.memory import MemoryStore
from lrs.store.postgres import PostgresStore, create_engine
from tests.pg import IN_CI, TEST_DATABASE_URL, PostgresServer, postgres_server, unavailable_reason


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """The PostgreSQL server for this test session (started once, stopped at the end)."""
    with postgres_server() as server:
        if server is None:
            if IN_CI:
                pytest.fail("CI=true but no PostgreSQL is available: " + unavailable_reason())
            pytest.skip(unavailable_reason())
        yield server


@pytest.fixture(scope="session")
def pg_database_url(pg_server: PostgresServer) -> str:
    """A database migrated to head, shared by the session (tests reset it between uses)."""
    url = TEST_DATABASE_URL or pg_server.create_database()
    upgrade_to_head(url)
    return url


@pytest.fixture(scope="session")
def pg_engine(pg_database_url: str) -> Iterator[sa.Engine]:
    """An engine on the session's migrated database."""
    engine = create_engine(pg_database_url, pool_size=4)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_store(pg_engine: sa.Engine) -> PostgresStore:
    """One ``PostgresStore`` for the session; ``store`` resets it before each test."""
    return PostgresStore(pg_engine)


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Store:
    """An empty store of each kind: every test using it runs once per store."""
    if request.param == "memory":
        return MemoryStore()
    pg_store: PostgresStore = request.getfixturevalue("postgres_store")
    pg_store.reset()
    return pg_store


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran against PostgreSQL, so a report shows the postgres variants ran."""
    counts = {
        outcome: sum(
            1
            for report in terminalreporter.stats.get(outcome, [])
            if "postgres" in report.keywords
            and (outcome == "skipped" or getattr(report, "when", "call") == "call")
        )
        for outcome in ("passed", "failed", "skipped")
    }
    terminalreporter.write_line(
        f"PostgreSQL-backed tests: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped"
    )
