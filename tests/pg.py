"""Where the tests' PostgreSQL comes from: ``LRS_TEST_DATABASE_URL``, or a throwaway cluster.

Without PostgreSQL binaries the PostgreSQL tests skip with a reason, except under ``CI=true``,
where they must run and a missing PostgreSQL is an error.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from lrs.ops.throwaway_postgres import PostgresNotFound, ThrowawayPostgres

IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_DATABASE_URL = os.environ.get("LRS_TEST_DATABASE_URL") or None


class PostgresServer:
    """A PostgreSQL server the tests may create databases on."""

    def __init__(self, admin_url: str, cluster: ThrowawayPostgres | None) -> None:
        self.admin_url = admin_url
        self.cluster = cluster

    def create_database(self) -> str:
        """A new, empty database (unique name); returns its SQLAlchemy URL."""
        name = f"lrs_test_{uuid.uuid4().hex[:12]}"
        if self.cluster is not None:
            return self.cluster.create_database(name)
        url = sa.make_url(self.admin_url)
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as error:
            pytest.skip(f"LRS_TEST_DATABASE_URL may not create databases: {error}")
        return url.set(database=name).render_as_string(hide_password=False)


@contextmanager
def postgres_server() -> Iterator[PostgresServer | None]:
    """Yield a server, or None (with the reason recorded) when none is available here."""
    if TEST_DATABASE_URL:
        yield PostgresServer(TEST_DATABASE_URL, None)
        return
    directory = Path(tempfile.mkdtemp(prefix="lrs-test-pg-"))
    try:
        cluster = ThrowawayPostgres(directory)
    except PostgresNotFound:
        yield None
        return
    cluster.start()
    try:
        yield PostgresServer(cluster.url(), cluster)
    finally:
        cluster.stop()


def unavailable_reason() -> str:
    """Why PostgreSQL tests cannot run here."""
    return (
        "PostgreSQL tests skipped: no PostgreSQL server binaries in /usr/lib/postgresql/*/bin "
        "and LRS_TEST_DATABASE_URL is not set"
    )
