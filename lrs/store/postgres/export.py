"""``PostgresStore.stream_statement_documents``: a whole store's statements through a
server-side cursor, so an export of millions of rows keeps a few batches in memory.

The SELECT is ``statement_documents_query`` (the one REST v2 and the Connection API page with),
sorted by ``stored`` then ``_id``: without a filter the ``statements_stored`` btree
``(lrs_id, stored, id)`` yields the rows in that order, so the first batch comes at once and
nothing is sorted. SQLAlchemy's ``stream_results`` runs it as a psycopg named cursor and fetches
``yield_per`` rows at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from lrs.query.ast import Filter, Path, SortKey
from lrs.store.find import FindQuery, StatementScope
from lrs.store.postgres.engine import _translated_errors
from lrs.store.postgres.statement_documents import (
    _jsonb_as_text,
    _raw_json_fields,
    _raw_statement_document,
    _statement_document,
    statement_documents_query,
)

#: The export order: the order statements were stored in, ties (one batch) by ``_id``.
STORED_ORDER = (SortKey(Path(("stored",)), 1), SortKey(Path(("_id",)), 1))
#: Rows fetched per round trip from the cursor.
FETCH_ROWS = 1000


def stream_statement_documents(
    engine: sa.Engine,
    scope: StatementScope,
    condition: Filter,
    *,
    serialise_only: bool = False,
    fetch_rows: int = FETCH_ROWS,
) -> Iterator[dict[str, Any]]:
    """Yield the scope's statement documents matching ``condition`` in ``(stored, _id)`` order.

    The connection (and its transaction, which gives the whole read one snapshot) is held until
    the iterator is exhausted or closed.
    """
    query = FindQuery(filter=condition, sort=STORED_ORDER, serialise_only=serialise_only)
    raw = _raw_json_fields(query)
    select = statement_documents_query(scope, query, raw=raw is not None)
    with _translated_errors(), engine.connect() as conn:
        streaming = conn.execution_options(stream_results=True, yield_per=fetch_rows)
        if raw is None:
            for row in streaming.execute(select):
                yield _statement_document(row)
            return
        with _jsonb_as_text(conn):
            for row in streaming.execute(select):
                yield _raw_statement_document(row, raw)
