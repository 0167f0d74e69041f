"""A connection to a migration test's database through a one-off engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from lrs.store.postgres import create_engine


@contextmanager
def connected(url: str) -> Iterator[sa.Connection]:
    """A connection to the database at ``url``; its engine is disposed of afterwards."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()
