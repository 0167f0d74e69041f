"""Learning Locker's statement documents over the ``statements`` table (REST v2 and the Connection
API): find, stream, count and delete, through the query language's SQL translator
(``STATEMENT_BINDING``, ``statement_documents_query``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import UTC
from typing import Any

import orjson
import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from lrs.query import sql
from lrs.query.ast import Filter
from lrs.statements.record import record_terms
from lrs.store.context_activities import split_context_activity, statement_context_rows
from lrs.store.copy_rows import queriables_json
from lrs.store.find import FindQuery, StatementScope
from lrs.store.postgres.engine import PostgresBase
from lrs.store.postgres.models import _paged
from lrs.store.postgres.records import _queriables_from_json, _row_queriables
from lrs.store.postgres.terms import delete_terms
from lrs.store.schema import statement_context_activities, statements
from lrs.xapi.queriables import compute_queriables


class StatementDocumentsMixin(PostgresBase):
    """Statement documents: find, stream, count and delete."""

    def find_statement_documents(
        self, scope: StatementScope, query: FindQuery
    ) -> list[dict[str, Any]]:
        """One SQL query over the statements table, through the query language's translator.

        With ``query.serialise_only``, the JSON fields the sort does not read come back as
        PostgreSQL's text of them in ``orjson.Fragment``s, never decoded in Python.
        """
        raw = _raw_json_fields(query)
        if raw is None:
            with self._connect() as conn:
                rows = conn.execute(statement_documents_query(scope, query)).all()
            return [_statement_document(row) for row in rows]
        with self._connect() as conn, _jsonb_as_text(conn):
            rows = conn.execute(statement_documents_query(scope, query, raw=True)).all()
        return [_raw_statement_document(row, raw) for row in rows]

    def stream_statement_documents(
        self, scope: StatementScope, condition: Filter, *, serialise_only: bool = False
    ) -> Iterator[dict[str, Any]]:
        """A server-side cursor in ``(stored, _id)`` order (``lrs.store.postgres.export``)."""
        from lrs.store.postgres.export import stream_statement_documents

        return stream_statement_documents(
            self._engine, scope, condition, serialise_only=serialise_only
        )

    def count_statement_documents(self, scope: StatementScope, condition: Filter) -> int:
        """``SELECT count(*)`` through the translator."""
        statement = (
            sa.select(sa.func.count())
            .select_from(statements)
            .where(*_statement_scope(scope), sql.where(condition, STATEMENT_BINDING))
        )
        with self._connect() as conn:
            return int(conn.execute(statement).scalar_one())

    def delete_statement_documents(self, scope: StatementScope, record_ids: Sequence[str]) -> int:
        """Delete the scope's records with these ``_id``s and shrink their stores' counts, in
        one transaction."""
        if not record_ids:
            return 0
        with self._transaction() as conn:
            rows = conn.execute(
                statements.delete()
                .where(*_statement_scope(scope), statements.c.id.in_(list(record_ids)))
                .returning(
                    statements.c.lrs_id,
                    statements.c.id,
                    statements.c.timestamp,
                    statements.c.statement,
                    statements.c.stored,
                    statements.c.queriables,
                )
            ).all()
            delete_terms(
                conn,
                (
                    (
                        row.lrs_id,
                        row.stored,
                        row.id,
                        record_terms(
                            _queriables_from_json(_row_queriables(row.queriables, row.statement))
                        ),
                    )
                    for row in rows
                ),
            )
            side_keys = [key for row in rows for key in statement_context_rows(*row[:4])]
            if side_keys:
                side = statement_context_activities
                conn.execute(
                    side.delete().where(
                        sa.tuple_(
                            side.c.lrs_id,
                            side.c.category,
                            side.c.activity_id,
                            side.c.timestamp,
                            side.c.id,
                        ).in_(side_keys)
                    )
                )
            removed: dict[str, int] = {}
            for row in rows:
                removed[row.lrs_id] = removed.get(row.lrs_id, 0) + 1
            for lrs_id, count in removed.items():
                conn.execute(
                    sa.text(
                        "UPDATE models SET doc = jsonb_set(doc, '{statementCount}', to_jsonb("
                        "GREATEST(COALESCE((doc->>'statementCount')::bigint, 0) - :removed, 0))) "
                        "WHERE model = 'lrs' AND id = :lrs_id"
                    ),
                    {"removed": count, "lrs_id": lrs_id},
                )
            return len(rows)


# Learning Locker's statement document over the statements table: the instants, ids and flags
# are typed columns, ``statement`` is mounted from its jsonb column, and the queriable arrays
# come from the ``queriables`` column under Learning Locker's names.
_QUERIABLE_NAMES = {
    "agents": "agents",
    "relatedAgents": "related_agents",
    "verbs": "verbs",
    "activities": "activities",
    "relatedActivities": "related_activities",
    "registrations": "registrations",
}


# The arrays come from the ``queriables`` column where a row has one, else from the statement
# (``lrs_statement_lookups``, migration 0014: the same rules as ``compute_queriables``).
_STATEMENT_DOCUMENT = sa.func.lrs_statement_lookups(
    statements.c.queriables, statements.c.statement, type_=JSONB
)


def _statement_text(path: str) -> sa.ColumnElement[Any]:
    """``statement #>> '{...}'`` for a dotted ``statement.`` path, in the "C" collation: the
    expression the Connection filter indexes are built on (migration 0015), written the same
    way (a constant path, not a parameter) so PostgreSQL matches them."""
    segments = path.split(".")[1:]
    literal = sa.literal_column("'{" + ",".join(segments) + "}'::text[]")
    return sa.collate(statements.c.statement.op("#>>", return_type=sa.Text())(literal), "C")


_STATEMENT_TYPED: dict[str, sql.TypedColumn] = {
    "_id": sql.TypedColumn(statements.c.id, "text", nullable=False),
    "timestamp": sql.TypedColumn(statements.c.timestamp, "timestamptz", nullable=False),
    "stored": sql.TypedColumn(statements.c.stored, "timestamptz", nullable=False),
    "voided": sql.TypedColumn(statements.c.voided, "boolean", nullable=False),
    "organisation": sql.TypedColumn(statements.c.organisation_id, "text", nullable=False),
    "lrs_id": sql.TypedColumn(statements.c.lrs_id, "text", nullable=False),
    "client": sql.TypedColumn(statements.c.client_id, "text", nullable=False),
    "hash": sql.TypedColumn(statements.c.hash, "text", nullable=False),
    "statement": sql.TypedColumn(statements.c.statement, "jsonb", nullable=False),
    **{
        path: sql.TypedColumn(_statement_text(path), "text")
        for path in (
            "statement.verb.id",
            "statement.object.id",
            "statement.actor.mbox",
            "statement.actor.account.name",
            "statement.actor.account.homePage",
            "statement.context.registration",
        )
    },
}


STATEMENT_BINDING = sql.TableBinding.of(_STATEMENT_DOCUMENT, _STATEMENT_TYPED)


# The same, but ``timestamp`` and ``_id`` read from a joined ``statement_context_activities``
# row (equal by the join), so that table's btree orders and bounds the page.
_CONTEXT_ACTIVITY_BINDING = sql.TableBinding.of(
    _STATEMENT_DOCUMENT,
    {
        **_STATEMENT_TYPED,
        "_id": sql.TypedColumn(statement_context_activities.c.id, "text", nullable=False),
        "timestamp": sql.TypedColumn(
            statement_context_activities.c.timestamp, "timestamptz", nullable=False
        ),
    },
)


def statement_documents_query(
    scope: StatementScope, query: FindQuery, *, raw: bool = False
) -> sa.Select[Any]:
    """The SELECT behind ``find_statement_documents`` (the EXPLAIN tests read its plan);
    ``raw`` selects ``_RAW_DOCUMENT_COLUMNS``.

    A filter on a context activity id, sorted by ``timestamp``/``_id`` only, in one store, is
    a join with ``statement_context_activities`` ordered and paged on the side table's own
    copies of ``timestamp`` and ``_id``, so its btree yields the page without a sort.
    """
    columns = _RAW_DOCUMENT_COLUMNS if raw else _DOCUMENT_COLUMNS
    match = split_context_activity(query.filter)
    if (
        match is None
        or scope.lrs_id is None
        or any(key.path.segments[0] not in ("timestamp", "_id") for key in query.sort)
    ):
        statement = sa.select(*columns).where(
            *_statement_scope(scope), sql.where(query.filter, STATEMENT_BINDING)
        )
        return _paged(statement, query, STATEMENT_BINDING)
    side = statement_context_activities
    joined = statements.join(
        side,
        sa.and_(
            side.c.lrs_id == statements.c.lrs_id,
            side.c.id == statements.c.id,
            side.c.timestamp == statements.c.timestamp,
        ),
    )
    statement = (
        sa.select(*columns)
        .select_from(joined)
        .where(
            *_statement_scope(scope),
            side.c.lrs_id == scope.lrs_id,
            side.c.category == match.category,
            side.c.activity_id == match.activity_id,
            sql.where(match.rest, STATEMENT_BINDING),
        )
    )
    return _paged(statement, query, _CONTEXT_ACTIVITY_BINDING)


def _raw_json_fields(query: FindQuery) -> frozenset[str] | None:
    """The JSON fields a ``serialise_only`` find leaves as text (``statement``, unless a sort
    key reads it; the lookup arrays are always built in Python), or None for a find that
    decodes everything."""
    if not query.serialise_only:
        return None
    if any(key.path.segments[0] == "statement" for key in query.sort):
        return frozenset()
    return frozenset({"statement"})


# The scalar fields of a statement document, in the order ``_raw_statement_document`` unpacks.
_SCALAR_DOCUMENT_COLUMNS = (
    statements.c.id,
    statements.c.timestamp,
    statements.c.stored,
    statements.c.organisation_id,
    statements.c.lrs_id,
    statements.c.client_id,
    statements.c.voided,
    statements.c.hash,
)


# What ``_statement_document`` builds a Learning Locker statement document from.
_DOCUMENT_COLUMNS = (*_SCALAR_DOCUMENT_COLUMNS, statements.c.statement, statements.c.queriables)


# What ``_raw_statement_document`` builds one from: the same columns, read as JSON text.
_RAW_DOCUMENT_COLUMNS = (*_SCALAR_DOCUMENT_COLUMNS, statements.c.statement, statements.c.queriables)


def _statement_scope(scope: StatementScope) -> list[sa.ColumnElement[bool]]:
    conditions = [statements.c.organisation_id == scope.organisation_id]
    if scope.lrs_id is not None:
        conditions.append(statements.c.lrs_id == scope.lrs_id)
    if scope.client_id is not None:
        conditions.append(statements.c.client_id == scope.client_id)
    return conditions


def _statement_document(row: sa.Row[Any]) -> dict[str, Any]:
    """Learning Locker's statement document (query view) straight from a row."""
    queriables = _row_queriables(row.queriables, row.statement)
    return {
        "_id": row.id,
        "statement": row.statement,
        "timestamp": row.timestamp.astimezone(UTC),
        "stored": row.stored.astimezone(UTC),
        "organisation": row.organisation_id,
        "lrs_id": row.lrs_id,
        "client": row.client_id,
        "voided": row.voided,
        "hash": row.hash,
        **{name: queriables[column] for name, column in _QUERIABLE_NAMES.items()},
    }


def _raw_statement_document(row: sa.Row[Any], raw: frozenset[str]) -> dict[str, Any]:
    """``_statement_document`` from ``_RAW_DOCUMENT_COLUMNS`` read with ``_jsonb_as_text``: the
    statement stays an ``orjson.Fragment`` when ``raw`` has it, and the lookup arrays come
    from the stored queriables or, when there are none, from the statement."""
    # Positional unpacking: a Row's attribute access costs more than the rest of this function.
    (
        record_id,
        timestamp,
        stored,
        organisation_id,
        lrs_id,
        client_id,
        voided,
        record_hash,
        *json_texts,
    ) = row
    doc = {
        "_id": record_id,
        "timestamp": timestamp.astimezone(UTC),
        "stored": stored.astimezone(UTC),
        "organisation": organisation_id,
        "lrs_id": lrs_id,
        "client": client_id,
        "voided": voided,
        "hash": record_hash,
    }
    statement_text, queriables_text = json_texts
    statement = None if "statement" in raw else orjson.loads(statement_text)
    doc["statement"] = orjson.Fragment(statement_text) if statement is None else statement
    if queriables_text is not None:
        queriables = orjson.loads(queriables_text)
    else:
        parsed = statement if statement is not None else orjson.loads(statement_text)
        queriables = queriables_json(compute_queriables(parsed))
    for name, column in _QUERIABLE_NAMES.items():
        doc[name] = queriables[column]
    return doc


class _JsonbTextLoader(psycopg.adapt.Loader):
    """``jsonb`` as the JSON text PostgreSQL sends (bytes), not parsed."""

    def load(self, data: Any) -> bytes:
        return bytes(data)


@contextlib.contextmanager
def _jsonb_as_text(conn: sa.Connection) -> Iterator[None]:
    """While the block runs, ``jsonb`` values read on ``conn`` arrive as JSON text (bytes).

    The connection is ours alone for the block; its usual loader comes back afterwards. This
    beats casting to text in SQL, which PostgreSQL evaluates before a Sort node, on every
    candidate row rather than on the page.
    """
    adapters = conn.connection.driver_connection.adapters  # type: ignore[union-attr]
    usual = adapters.get_loader(_JSONB_OID, psycopg.pq.Format.TEXT)
    adapters.register_loader(_JSONB_OID, _JsonbTextLoader)
    try:
        yield
    finally:
        if usual is not None:
            adapters.register_loader(_JSONB_OID, usual)


_JSONB_OID = psycopg.adapters.types["jsonb"].oid
