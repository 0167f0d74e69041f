"""A scratch table for the query-language tests, on the session's PostgreSQL (``pg_engine``).

Documents are stored the way a store would: ``_id``, ``timestamp``, ``stored`` and ``voided``
in typed columns, ``statement`` in its own ``jsonb`` column (a mount), the rest in ``doc``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from lrs.query import sql
from lrs.query.ast import Filter, Sort

TYPED_FIELDS = ("_id", "timestamp", "stored", "voided", "statement")


class QueryTable:
    """Loads documents into the scratch table and runs IR filters/sorts through ``sql.py``."""

    def __init__(self, engine: sa.Engine, schema: str) -> None:
        self.engine = engine
        self.table = sa.Table(
            "query_docs",
            sa.MetaData(schema=schema),
            sa.Column("_id", sa.Text(collation="C"), primary_key=True),
            sa.Column("timestamp", sa.DateTime(timezone=True)),
            sa.Column("stored", sa.DateTime(timezone=True)),
            sa.Column("voided", sa.Boolean),
            sa.Column("statement", JSONB),
            sa.Column("doc", JSONB, nullable=False),
        )
        columns = self.table.c
        self.binding = sql.TableBinding.of(
            columns.doc,
            {
                "_id": sql.TypedColumn(columns["_id"], "text", nullable=False),
                "timestamp": sql.TypedColumn(columns.timestamp, "timestamptz"),
                "stored": sql.TypedColumn(columns.stored, "timestamptz"),
                "voided": sql.TypedColumn(columns.voided, "boolean"),
                "statement": sql.TypedColumn(columns.statement, "jsonb"),
            },
        )

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        """A connection in a transaction that is rolled back at the end.

        JIT is switched off: the planner's default estimate for ``jsonb_path_query`` (1000 rows)
        makes these small queries look expensive enough to JIT-compile, which costs far more
        than running them (the store's engine should run with ``jit=off`` for the same reason).
        """
        with self.engine.connect() as connection:
            transaction = connection.begin()
            try:
                connection.exec_driver_sql("SET LOCAL jit = off")
                yield connection
            finally:
                transaction.rollback()

    @staticmethod
    def row(doc: dict[str, Any]) -> dict[str, Any]:
        row = {field: doc.get(field) for field in TYPED_FIELDS}
        row["doc"] = {k: v for k, v in doc.items() if k not in TYPED_FIELDS}
        return row

    def insert(self, connection: sa.Connection, docs: Sequence[dict[str, Any]]) -> None:
        if docs:
            # A missing statement must be SQL NULL, not JSON null.
            rows = [self.row(doc) for doc in docs]
            for row in rows:
                if row["statement"] is None:
                    row["statement"] = sa.null()
            connection.execute(self.table.insert(), rows)

    def ids(
        self,
        connection: sa.Connection,
        condition: Filter,
        sort: Sort = (),
        *,
        extra: Any = None,
        reverse: bool = False,
        limit: int | None = None,
    ) -> list[str]:
        query = sa.select(self.table.c["_id"]).where(sql.where(condition, self.binding))
        if extra is not None:
            query = query.where(extra)
        query = query.order_by(*sql.order_by(sort, self.binding, reverse=reverse))
        if limit is not None:
            query = query.limit(limit)
        return list(connection.execute(query).scalars())


@pytest.fixture(scope="session")
def query_table(pg_engine: sa.Engine) -> Iterator[QueryTable]:
    """The scratch table in a schema of its own, dropped at the end of the session."""
    schema = f"query_test_{uuid.uuid4().hex[:10]}"
    with pg_engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    table = QueryTable(pg_engine, schema)
    table.table.create(pg_engine)
    yield table
    with pg_engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def pg(query_table: QueryTable) -> Iterator[tuple[QueryTable, sa.Connection]]:
    """A connection in a transaction that is rolled back afterwards (the table stays empty)."""
    with query_table.connect() as connection:
        yield query_table, connection
