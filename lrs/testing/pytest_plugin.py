"""The pytest plugin (``pytest11`` entry point ``lrs``): the ``lrs_server`` and ``lrs`` fixtures.

pytest loads it by itself wherever lrs is installed; nothing needs configuring. ``lrs_server`` is
one in-memory lrs for the whole session; ``lrs`` is the same server, reset before the test that
asks for it. ``--lrs-database-url`` serves them from a PostgreSQL database instead, migrated to
head and emptied before each test (``addopts`` in the ini file can carry it).

lrs itself is imported only when a test first asks for a fixture, so loading the plugin costs
pytest nothing at start-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from lrs.testing.embedded import RunningLrs

_DATABASE_HELP = (
    "serve the lrs_server/lrs fixtures from this PostgreSQL database (SQLAlchemy URL) instead "
    "of memory; it is migrated to head and EMPTIED before each test"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--lrs-database-url``."""
    group = parser.getgroup("lrs", "embedded lrs (lrs.testing)")
    group.addoption("--lrs-database-url", default=None, metavar="URL", help=_DATABASE_HELP)


@pytest.fixture(scope="session")
def lrs_server(pytestconfig: pytest.Config) -> Iterator[RunningLrs]:
    """One lrs for the session on a free 127.0.0.1 port (in memory unless told otherwise)."""
    from lrs.testing.embedded import running_lrs

    database_url = pytestconfig.getoption("lrs_database_url")
    if database_url:
        with running_lrs(database_url=database_url, migrate=True) as server:
            yield server
    else:
        with running_lrs() as server:
            yield server


@pytest.fixture
def lrs(lrs_server: RunningLrs) -> RunningLrs:
    """The session's lrs, emptied first: no statements, documents or models but its own
    organisation, store and client, whose ``key``/``secret`` (``auth``) keep working."""
    lrs_server.reset()
    return lrs_server
