"""Choose and open the store the settings name."""

from __future__ import annotations

from lrs.core.settings import Settings
from lrs.store.base import Store
from lrs.store.memory import MemoryStore
from lrs.store.postgres import PostgresStore


def open_store(settings: Settings) -> Store:
    """``PostgresStore`` when ``LRS_DATABASE_URL`` is set, else a fresh ``MemoryStore``."""
    if settings.database_url is None:
        return MemoryStore()
    return PostgresStore.from_url(
        settings.database_url,
        pool_size=settings.db_pool_size,
        statement_timeout_ms=settings.statement_timeout_ms,
    )
