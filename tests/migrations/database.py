"""A connection to a migration test's database through a one-off engine, and statements
stored there through the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from lrs.statements.build import build_record
from lrs.statements.record import StatementRecord
from lrs.store.postgres import PostgresStore, create_engine
from lrs.tenancy.service import Bootstrap


@contextmanager
def connected(url: str) -> Iterator[sa.Connection]:
    """A connection to the database at ``url``; its engine is disposed of afterwards."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def insert_bodies(
    store: PostgresStore, tenant: Bootstrap, bodies: list[dict[str, Any]]
) -> list[StatementRecord]:
    """Store statements as the tenant's client, stored now; return their records."""
    records = [
        build_record(b, client=tenant.issued.client, lrs_id=tenant.lrs.id, stored=datetime.now(UTC))
        for b in bodies
    ]
    store.insert_statements(tenant.lrs.id, records)
    return records
