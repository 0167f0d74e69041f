"""``PostgresStore``: the ``Store`` protocol over PostgreSQL with SQLAlchemy Core and psycopg 3.

Driver errors are translated in this package, and only here, into ``lrs.core.errors`` types: a
unique violation becomes ``Conflict``, a lost connection or a cancelled (timed out) query
``StoreUnavailable``.

One module per concern, each ``PostgresStore``'s mixin for it where it has methods:

- ``engine``: ``create_engine``, ``PostgresBase`` (connections, transactions), driver error
  translation and the deadlock retry (``_translated_errors``, ``_Retryable``, ``_RETRIES``)
- ``tenancy``: organisations, stores and clients; the first-run bootstrap
- ``models``: REST v2 model documents (``MODEL_BINDING``)
- ``inserts``: storing statement batches (COPY, voiding, definitions, attachments)
- ``statements``: reading xAPI statements (``statement_listing_query``)
- ``terms``: the ``statement_terms`` lookup rows and the filtered listing query
- ``records``: ``statements`` rows as ``StatementRecord``s
- ``statement_documents``: Learning Locker statement documents (``statement_documents_query``)
- ``export``: streaming statement documents through a server-side cursor
- ``documents``: state and profile documents
- ``attachments``: statement attachments
- ``aggregation``: aggregation pipelines, up to the first ``$group`` in SQL
- ``store``: ``PostgresStore`` itself
"""

from lrs.store.postgres.engine import create_engine
from lrs.store.postgres.statement_documents import statement_documents_query
from lrs.store.postgres.statements import LISTING_PLANNER_SETTINGS, statement_listing_query
from lrs.store.postgres.store import STATEMENT_TABLES, PostgresStore

__all__ = [
    "LISTING_PLANNER_SETTINGS",
    "STATEMENT_TABLES",
    "PostgresStore",
    "create_engine",
    "statement_documents_query",
    "statement_listing_query",
]
