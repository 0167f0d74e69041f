"""``served``: an embedded lrs on each store (memory, and a PostgreSQL database of its own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lrs.ops.migrate import upgrade_to_head
from lrs.testing import RunningLrs, running_lrs
from tests.pg import PostgresServer


@pytest.fixture(scope="session")
def embedding_database_url(pg_server: PostgresServer) -> str:
    """A database for the embedding tests alone, migrated to head (running_lrs empties it)."""
    url = pg_server.create_database()
    upgrade_to_head(url)
    return url


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest) -> Iterator[RunningLrs]:
    """A running lrs, once in memory and once on PostgreSQL."""
    if request.param == "memory":
        with running_lrs() as server:
            yield server
        return
    url = request.getfixturevalue("embedding_database_url")
    with running_lrs(database_url=url) as server:
        yield server
