"""``PostgresStore``: the ``Store`` protocol over PostgreSQL with SQLAlchemy Core and psycopg 3,
composed of one mixin per concern, plus what concerns the whole database (ping, schema check,
statistics, reset, close).
"""

from __future__ import annotations

import sqlalchemy as sa

from lrs.ops.migrate import require_head
from lrs.store.models import Client, Lrs, Organisation
from lrs.store.postgres.aggregation import AggregationMixin
from lrs.store.postgres.attachments import AttachmentsMixin
from lrs.store.postgres.documents import DocumentsMixin
from lrs.store.postgres.engine import _translated_errors, create_engine
from lrs.store.postgres.inserts import InsertsMixin
from lrs.store.postgres.models import ModelsMixin
from lrs.store.postgres.statement_documents import StatementDocumentsMixin
from lrs.store.postgres.statements import StatementsMixin
from lrs.store.postgres.tenancy import TenancyMixin

# The tables a statement write adds to, analysed by ``refresh_statistics``.
STATEMENT_TABLES = (
    "statements",
    "statement_terms",
    "statement_term_ids",
    "statement_context_activities",
    "statement_facts",
)


class PostgresStore(
    TenancyMixin,
    ModelsMixin,
    InsertsMixin,
    StatementsMixin,
    StatementDocumentsMixin,
    DocumentsMixin,
    AttachmentsMixin,
    AggregationMixin,
):
    """A ``Store`` on PostgreSQL; safe to share between threads of one process.

    Each concern is a mixin in its own module; they share the engine and ``_connect`` /
    ``_transaction`` (``PostgresBase``)."""

    @classmethod
    def from_url(
        cls, database_url: str, *, pool_size: int = 5, statement_timeout_ms: int = 10_000
    ) -> PostgresStore:
        """Build a store with its own engine."""
        engine = create_engine(
            database_url, pool_size=pool_size, statement_timeout_ms=statement_timeout_ms
        )
        return cls(engine)

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (for migrations and tests)."""
        return self._engine

    def ping(self) -> None:
        """Run ``SELECT 1``."""
        with self._connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def check_schema(self) -> None:
        """Raise ``SchemaNotCurrent`` unless the database is at the migration head."""
        with self._connect() as conn:
            require_head(conn)

    def refresh_statistics(self) -> None:
        """ANALYZE the statement tables (a second or two at a million statements), so that
        queries planned on statistics (Connection filters) see what a large write added
        without waiting for autovacuum's next round."""
        with _translated_errors(), self._engine.connect() as conn:
            conn.execute(sa.text(f"ANALYZE {', '.join(STATEMENT_TABLES)}"))
            conn.commit()

    def reset(self, tenant: tuple[Organisation, Lrs, Client] | None = None) -> None:
        """Delete every row of every table; then insert ``tenant``, in the same transaction."""
        with self._transaction() as conn:
            conn.execute(
                sa.text(
                    "TRUNCATE models, statements, statement_context_activities, statement_facts, "
                    "statement_terms, "
                    "statement_term_ids, statement_attachments, activity_definitions, documents"
                )
            )
            if tenant is not None:
                organisation, lrs, client = tenant
                self._insert(conn, "organisation", organisation.to_document(), None)
                self._add_lrs(conn, lrs)
                self._add_client(conn, client)

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()
