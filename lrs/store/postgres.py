"""``PostgresStore``: the ``Store`` protocol over PostgreSQL with SQLAlchemy Core and psycopg 3.

Driver errors are translated here, and only here, into ``lrs.core.errors`` types: a unique violation
becomes ``Conflict``, a lost connection or a cancelled (timed out) query ``StoreUnavailable``.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
import sqlalchemy as sa
from psycopg.rows import namedtuple_row
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg

from lrs.aggregate.ast import Pipeline
from lrs.aggregate.evaluate import Bounds
from lrs.core.errors import Conflict, NotFound, StaleWrite, StoreUnavailable
from lrs.core.timeutil import from_iso, utc_now
from lrs.documents.model import Document, DocumentKey, DocumentScope, DocumentWrite, Precondition
from lrs.documents.rules import apply_write, check_precondition
from lrs.ops.migrate import require_head
from lrs.query import sql
from lrs.query.ast import Filter
from lrs.statements.plan import plan_insert
from lrs.statements.record import (
    AttachmentContent,
    ListedStatement,
    StatementQuery,
    StatementRecord,
    record_terms,
)
from lrs.store.context_activities import split_context_activity, statement_context_rows
from lrs.store.copy_rows import (
    CONTEXT_ACTIVITY_COLUMNS,
    STATEMENT_COLUMNS,
    array_literal,
    queriables_json,
    statement_copy_text,
)
from lrs.store.find import FindQuery, StatementScope, model_stored_form
from lrs.store.models import Client, Lrs, ModelDocument, Organisation
from lrs.store.pg_terms import (
    delete_terms,
    page_order,
    replace_terms,
    term_listing_query,
    walk_counts_query,
    write_terms,
)
from lrs.store.schema import (
    activity_definitions,
    documents,
    models,
    statement_attachments,
    statement_context_activities,
    statements,
)
from lrs.xapi.queriables import Queriables, compute_queriables

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every process bootstrapping one database.
_BOOTSTRAP_LOCK_KEY = 0x6C72_7300
# The tables a statement write adds to, analysed by ``refresh_statistics``.
STATEMENT_TABLES = (
    "statements",
    "statement_terms",
    "statement_term_ids",
    "statement_context_activities",
)
_RETRIES = 4


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_engine(
    database_url: str, *, pool_size: int = 5, statement_timeout_ms: int = 10_000
) -> sa.Engine:
    """A pooled engine whose every connection has ``statement_timeout`` set."""
    return sa.create_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping round trip per checkout (several per request); connections are recycled
        # instead, and a dropped one fails its request with a 503 once.
        pool_recycle=1800,
        pool_use_lifo=True,  # the most recently used connection: its backend is warm
        # A driver error logged with its traceback must not carry bound values: they can be a
        # client's secret hash or a learner's data.
        hide_parameters=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        connect_args={
            # JIT compiles the jsonpath-heavy query-language SQL for seconds; plans here are
            # index scans that never gain from it.
            "options": (
                f"-c statement_timeout={int(statement_timeout_ms)} -c timezone=UTC -c jit=off"
            )
        },
    )


class PostgresStore:
    """A ``Store`` on PostgreSQL; safe to share between threads of one process."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

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

    def has_organisations(self) -> bool:
        """True when at least one organisation exists."""
        query = sa.select(sa.exists().where(models.c.model == "organisation"))
        with self._connect() as conn:
            return bool(conn.execute(query).scalar())

    def add_organisation(self, organisation: Organisation) -> None:
        """Persist a new organisation."""
        with self._transaction() as conn:
            self._insert(conn, "organisation", organisation.to_document(), None)

    def get_organisation(self, organisation_id: str) -> Organisation | None:
        """The organisation with this id, or None."""
        doc = self._get("organisation", organisation_id)
        return Organisation.from_document(doc) if doc else None

    def add_lrs(self, lrs: Lrs) -> None:
        """Persist a new store under an existing organisation."""
        with self._transaction() as conn:
            self._add_lrs(conn, lrs)

    def get_lrs(self, lrs_id: str) -> Lrs | None:
        """The store with this id, or None."""
        doc = self._get("lrs", lrs_id)
        return Lrs.from_document(doc) if doc else None

    def list_lrs(self, organisation_id: str) -> list[Lrs]:
        """The organisation's stores, oldest first."""
        query = (
            sa.select(models.c.doc)
            .where(models.c.model == "lrs", models.c.organisation_id == organisation_id)
            .order_by(models.c.id)
        )
        with self._connect() as conn:
            return [Lrs.from_document(doc) for doc in conn.execute(query).scalars()]

    def add_client(self, client: Client) -> None:
        """Persist a new client with a unique Basic-auth key."""
        with self._transaction() as conn:
            self._add_client(conn, client)

    def get_client(self, client_id: str) -> Client | None:
        """The client with this id, or None."""
        doc = self._get("client", client_id)
        return Client.from_document(doc) if doc else None

    def get_client_by_key(self, basic_key: str) -> Client | None:
        """The client holding this Basic-auth key, or None (uses the unique key index)."""
        query = sa.select(models.c.doc).where(
            models.c.model == "client",
            models.c.doc.op("#>>")(sa.literal_column("'{api,basic_key}'")) == basic_key,
        )
        with self._connect() as conn:
            doc = conn.execute(query).scalar()
        return Client.from_document(doc) if doc else None

    def add_tenant_if_empty(self, organisation: Organisation, lrs: Lrs, client: Client) -> bool:
        """Add all three in one transaction, serialised by an advisory lock, if no org exists."""
        with self._transaction() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_BOOTSTRAP_LOCK_KEY)))
            exists = conn.execute(
                sa.select(sa.exists().where(models.c.model == "organisation"))
            ).scalar()
            if exists:
                return False
            self._insert(conn, "organisation", organisation.to_document(), None)
            self._add_lrs(conn, lrs)
            self._add_client(conn, client)
            return True

    def find_models(
        self, model: str, organisation_id: str | None, query: FindQuery
    ) -> list[dict[str, Any]]:
        """One SQL query through the query language's translator."""
        statement = sa.select(models.c.doc, models.c.created_at, models.c.updated_at).where(
            *_model_scope(model, organisation_id), sql.where(query.filter, MODEL_BINDING)
        )
        statement = _paged(statement, query, MODEL_BINDING)
        with self._connect() as conn:
            return [_model_view(row) for row in conn.execute(statement)]

    def count_models(self, model: str, organisation_id: str | None, condition: Filter) -> int:
        """``SELECT count(*)`` through the translator."""
        statement = (
            sa.select(sa.func.count())
            .select_from(models)
            .where(*_model_scope(model, organisation_id), sql.where(condition, MODEL_BINDING))
        )
        with self._connect() as conn:
            return int(conn.execute(statement).scalar_one())

    def get_model(
        self, model: str, organisation_id: str | None, model_id: str
    ) -> dict[str, Any] | None:
        """One document by ``_id`` within the organisation."""
        statement = sa.select(models.c.doc, models.c.created_at, models.c.updated_at).where(
            *_model_scope(model, organisation_id), models.c.id == model_id
        )
        with self._connect() as conn:
            row = conn.execute(statement).first()
        return _model_view(row) if row is not None else None

    def put_models(
        self,
        model: str,
        docs: Sequence[Mapping[str, Any]],
        *,
        expected_updated: Mapping[str, datetime | None] | None = None,
    ) -> None:
        """Upsert every document in one transaction.

        The rows are written in ``_id`` order, so concurrent writers of the same documents lock
        them in one order instead of deadlocking; a deadlock victim still is run again. With
        ``expected_updated`` the rows are locked first and their ``updated_at`` compared
        (``StaleWrite`` when one moved on).
        """
        stored = sorted((model_stored_form(dict(doc)) for doc in docs), key=lambda d: str(d["_id"]))
        for attempt in range(_RETRIES):
            try:
                with self._transaction() as conn:
                    if expected_updated:
                        self._check_unchanged(conn, model, expected_updated)
                    for doc in stored:
                        owner = doc["_id"] if model == "organisation" else doc.get("organisation")
                        self._upsert(conn, model, doc, owner)
                return
            except _Retryable:
                log.info("put_models retried after a deadlock (attempt %d)", attempt + 1)
        raise StoreUnavailable("the database kept aborting the write (deadlocks); try again")

    @staticmethod
    def _check_unchanged(
        conn: sa.Connection, model: str, expected_updated: Mapping[str, datetime | None]
    ) -> None:
        """Lock the rows (in ``_id`` order) and compare their ``updated_at`` with what the writer
        read."""
        rows = conn.execute(
            sa.select(models.c.id, models.c.updated_at)
            .where(models.c.model == model, models.c.id.in_(sorted(expected_updated)))
            .order_by(models.c.id)
            .with_for_update()
        ).all()
        current: dict[str, datetime | None] = {row.id: row.updated_at for row in rows}
        for model_id, updated in expected_updated.items():
            if current.get(model_id) != updated:
                raise StaleWrite(f"{model} {model_id} was changed by another request")

    def delete_model(self, model: str, organisation_id: str | None, model_id: str) -> bool:
        """Delete one document within the organisation."""
        with self._transaction() as conn:
            deleted = conn.execute(
                models.delete().where(
                    *_model_scope(model, organisation_id), models.c.id == model_id
                )
            )
            return deleted.rowcount > 0

    def insert_statements(
        self,
        lrs_id: str,
        records: Sequence[StatementRecord],
        attachments: Sequence[AttachmentContent] = (),
    ) -> int:
        """Plan the batch against what is stored, then write it in one transaction; return how
        many statements were added.

        A transaction chosen as a deadlock victim is run again (a few times) before giving up.
        """
        for attempt in range(_RETRIES):
            try:
                return self._insert_statements_once(lrs_id, records, attachments)
            except _Retryable:
                log.info("insert_statements retried after a deadlock (attempt %d)", attempt + 1)
        raise StoreUnavailable("the database kept aborting the write (deadlocks); try again")

    def _insert_statements_once(
        self,
        lrs_id: str,
        records: Sequence[StatementRecord],
        attachments: Sequence[AttachmentContent],
    ) -> int:
        with self._transaction() as conn:
            ids = [r.statement_id for r in records]
            wanted = list({*ids, *(r.ref_target for r in records if r.ref_target is not None)})
            # One round trip for both: the stored statements sharing the batch's ids or
            # referenced by it, and the stored statements referencing the batch. The id lists
            # go as array literals: psycopg's list adaptation cost more than the query.
            with _driver(conn).cursor(row_factory=namedtuple_row) as cursor:
                cursor.execute(
                    _SELECT_TOUCHED_SQL,
                    {"lrs_id": lrs_id, "wanted": array_literal(wanted), "ids": array_literal(ids)},
                )
                touched = {row.id: _record_from_row(row) for row in cursor}.values()
            wanted_set, id_set = set(wanted), set(ids)
            stored = {r.statement_id: r for r in touched if r.statement_id in wanted_set}
            referencing = [r for r in touched if r.ref_target in id_set]
            plan = plan_insert(records, stored, referencing)
            if plan.new_records:
                self._insert_new(conn, plan.new_records)
            if plan.void_ids:  # one key lookup per id, whatever the table's statistics say
                conn.execute(
                    statements.update()
                    .where(
                        statements.c.lrs_id == lrs_id,
                        statements.c.statement_id == sa.bindparam("b_statement_id"),
                        sa.not_(statements.c.voiding),
                    )
                    .values(voided=True),
                    [{"b_statement_id": statement_id} for statement_id in plan.void_ids],
                )
            by_statement_id = {r.statement_id: r for r in touched}
            for statement_id, queriables in plan.requeried:
                conn.execute(
                    statements.update()
                    .where(statements.c.lrs_id == lrs_id, statements.c.statement_id == statement_id)
                    .values(queriables=queriables_json(queriables))
                )
                before = by_statement_id[statement_id]
                after = replace(before, queriables=queriables)
                replace_terms(conn, _driver(conn), before, after)
            if plan.definitions:
                self._merge_definitions(conn, lrs_id, plan.definitions)
            if attachments:
                conn.execute(
                    pg_insert(statement_attachments).on_conflict_do_nothing(),
                    [
                        {
                            "lrs_id": lrs_id,
                            "sha2": a.sha2,
                            "content_type": a.content_type,
                            "content": a.content,
                        }
                        for a in attachments
                    ],
                )
            # Last, so the store row's lock is held only until the commit. Its row count is
            # also the check that the store exists (no lock taken earlier: a FOR SHARE lock
            # upgraded here would deadlock concurrent batches).
            with _driver(conn).cursor() as cursor:
                cursor.execute(
                    _COUNT_STATEMENTS_SQL, {"added": len(plan.new_records), "lrs_id": lrs_id}
                )
                if cursor.rowcount == 0:
                    raise NotFound(f"store {lrs_id} does not exist")
            return len(plan.new_records)

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
        """A server-side cursor in ``(stored, _id)`` order (``postgres_export``)."""
        from lrs.store.postgres_export import stream_statement_documents

        return stream_statement_documents(
            self._engine, scope, condition, serialise_only=serialise_only
        )

    def aggregate_statements(
        self,
        scope: StatementScope,
        pipeline: Pipeline,
        *,
        bounds: Bounds,
        tick: Callable[[], None],
    ) -> Iterator[dict[str, Any]]:
        """Up to the first ``$group`` in one SQL statement where it translates exactly, the
        rest in Python (``pg_aggregation``)."""
        from lrs.store.pg_aggregation import aggregate_statements

        return aggregate_statements(self, scope, pipeline, bounds=bounds, tick=tick)

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

    def get_statement(self, lrs_id: str, statement_id: str) -> StatementRecord | None:
        """The statement with this id in this store, or None."""
        if not _is_uuid(statement_id):
            return None
        with self._connect() as conn:
            found = self._select_records(
                conn, statements.c.lrs_id == lrs_id, statements.c.statement_id == statement_id
            )
        return found[0] if found else None

    def find_statements(self, query: StatementQuery) -> list[ListedStatement]:
        """One indexed query: store, not voided, terms, stored window, keyset, order, limit."""
        if query.limit <= 0:
            return []
        with self._connect() as conn:
            conn.execute(LISTING_PLANNER_SETTINGS)
            rows = conn.execute(statement_listing_query(query, self._walked_term(conn, query)))
            return [
                ListedStatement(
                    id=row.id, stored=row.stored.astimezone(UTC), statement=row.statement
                )
                for row in rows
            ]

    @staticmethod
    def _walked_term(conn: sa.Connection, query: StatementQuery) -> str | None:
        """The term a filtered listing walks: its only one, or the rarest of several (counted
        up to a cap, so choosing never costs more than a short index range per term)."""
        wanted = query.filter.terms()
        if len(wanted) <= 1:
            return wanted[0] if wanted else None
        counts = conn.execute(walk_counts_query(query.lrs_id, wanted)).one()
        return min(zip(counts, wanted, strict=True))[1]

    def get_attachments(self, lrs_id: str, hashes: Iterable[str]) -> dict[str, AttachmentContent]:
        """The stored attachments among these hashes."""
        wanted = list(set(hashes))
        if not wanted:
            return {}
        query = sa.select(statement_attachments).where(
            statement_attachments.c.lrs_id == lrs_id,
            statement_attachments.c.sha2 == sa.any_(sa.literal(wanted, ARRAY(sa.Text))),
        )
        with self._connect() as conn:
            return {
                row.sha2: AttachmentContent(
                    sha2=row.sha2, content_type=row.content_type, content=bytes(row.content)
                )
                for row in conn.execute(query)
            }

    def get_activity_definitions(
        self, lrs_id: str, activity_ids: Iterable[str]
    ) -> dict[str, dict[str, Any]]:
        """The merged definitions of these activities."""
        wanted = list(set(activity_ids))
        if not wanted:
            return {}
        query = sa.select(
            activity_definitions.c.activity_id, activity_definitions.c.definition
        ).where(
            activity_definitions.c.lrs_id == lrs_id,
            activity_definitions.c.activity_id == sa.any_(sa.literal(wanted, ARRAY(sa.Text))),
        )
        with self._connect() as conn:
            return {row.activity_id: row.definition for row in conn.execute(query)}

    def get_document(self, key: DocumentKey) -> Document | None:
        """The document under this key, or None."""
        with self._connect() as conn:
            return self._select_document(conn, key)

    def list_document_ids(
        self, scope: DocumentScope, since: datetime | None = None
    ) -> list[tuple[str, datetime]]:
        """The scope's document ids and update times, by id."""
        query = (
            sa.select(documents.c.document_id, documents.c.updated)
            .where(*_scope_conditions(scope))
            .order_by(documents.c.document_id)
        )
        if since is not None:
            query = query.where(documents.c.updated > since)
        with self._connect() as conn:
            return [(row.document_id, row.updated.astimezone(UTC)) for row in conn.execute(query)]

    def write_document(self, key: DocumentKey, write: DocumentWrite, now: datetime) -> Document:
        """Lock the key (even when no row exists yet), apply the rules, upsert."""
        with self._transaction() as conn:
            _lock_document_key(conn, key)
            document = apply_write(key, self._select_document(conn, key), write, now)
            values = {
                "content": document.content,
                "content_type": document.content_type,
                "etag": document.etag,
                "updated": document.updated,
            }
            conn.execute(
                pg_insert(documents)
                .values(**_key_values(key), **values)
                .on_conflict_do_update(index_elements=list(_key_values(key)), set_=values)
            )
            return document

    def delete_document(self, key: DocumentKey, precondition: Precondition) -> bool:
        """Delete one document if the precondition holds."""
        with self._transaction() as conn:
            _lock_document_key(conn, key)
            check_precondition(self._select_document(conn, key), precondition)
            deleted = conn.execute(documents.delete().where(*_key_conditions(key)))
            return deleted.rowcount > 0

    def delete_documents(self, scope: DocumentScope) -> int:
        """Delete the scope's documents."""
        with self._transaction() as conn:
            return conn.execute(documents.delete().where(*_scope_conditions(scope))).rowcount

    def reset(self, tenant: tuple[Organisation, Lrs, Client] | None = None) -> None:
        """Delete every row of every table; then insert ``tenant``, in the same transaction."""
        with self._transaction() as conn:
            conn.execute(
                sa.text(
                    "TRUNCATE models, statements, statement_context_activities, statement_terms, "
                    "statement_term_ids, statement_attachments, activity_definitions, documents"
                )
            )
            if tenant is not None:
                organisation, lrs, client = tenant
                self._insert(conn, "organisation", organisation.to_document(), None)
                self._add_lrs(conn, lrs)
                self._add_client(conn, client)

    @staticmethod
    def _select_document(conn: sa.Connection, key: DocumentKey) -> Document | None:
        row = conn.execute(sa.select(documents).where(*_key_conditions(key))).first()
        if row is None:
            return None
        return Document(
            key=key,
            content=bytes(row.content),
            content_type=row.content_type,
            etag=row.etag,
            updated=row.updated.astimezone(UTC),
        )

    @staticmethod
    def _select_records(
        conn: sa.Connection, *conditions: sa.ColumnElement[bool]
    ) -> list[StatementRecord]:
        query = sa.select(statements).where(*conditions)
        return [_record_from_row(row) for row in conn.execute(query)]

    @staticmethod
    def _insert_new(conn: sa.Connection, records: Sequence[StatementRecord]) -> None:
        """COPY the new rows in: far cheaper than a multi-row INSERT for whole batches.

        The plan saw none of these ids stored; if a concurrent batch stored one since, the
        unique key fails the COPY and the whole insert is planned and run again, which then
        sees that statement (same content: nothing to do; other content: 409).
        """
        dbapi = _driver(conn)
        # The COPY text is built before the COPY starts: the server waits while a COPY is open.
        rows, side_rows = statement_copy_text(records)
        try:
            with dbapi.cursor() as cursor:
                with cursor.copy(_COPY_STATEMENTS) as copy:
                    copy.write(rows)
                if side_rows:
                    with cursor.copy(_COPY_CONTEXT_ACTIVITIES) as copy:
                        copy.write(side_rows)
            write_terms(dbapi, records[0].lrs_id, records)
        except psycopg.errors.UniqueViolation as error:
            raise _Retryable() from error

    @staticmethod
    def _merge_definitions(
        conn: sa.Connection, lrs_id: str, definitions: dict[str, dict[str, Any]]
    ) -> None:
        """Merge the batch's definitions into the stored ones in one statement.

        The merge runs in PostgreSQL (``lrs_merge_activity_definition``, migration 0008), so no
        definition travels back to Python. Most batches repeat definitions already merged: those
        rows are neither written nor locked, so hot activities never serialise concurrent batches.
        """
        with _driver(conn).cursor() as cursor:
            cursor.execute(
                _MERGE_DEFINITIONS_SQL,
                {"lrs_id": lrs_id, "definitions": orjson.dumps(definitions).decode()},
            )

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def _add_lrs(self, conn: sa.Connection, lrs: Lrs) -> None:
        self._require(conn, "organisation", lrs.organisation_id, None)
        self._insert(conn, "lrs", lrs.to_document(), lrs.organisation_id)

    def _add_client(self, conn: sa.Connection, client: Client) -> None:
        self._require(conn, "organisation", client.organisation_id, None)
        if client.lrs_id is not None:
            self._require(conn, "lrs", client.lrs_id, client.organisation_id)
        self._insert(conn, "client", client.to_document(), client.organisation_id)

    @staticmethod
    def _insert(
        conn: sa.Connection, model: str, doc: ModelDocument, organisation_id: str | None
    ) -> None:
        PostgresStore._upsert(conn, model, doc, organisation_id, replace=False)

    @staticmethod
    def _upsert(
        conn: sa.Connection,
        model: str,
        doc: ModelDocument,
        organisation_id: str | None,
        *,
        replace: bool = True,
    ) -> None:
        values = {
            "model": model,
            "id": doc["_id"],
            "organisation_id": organisation_id,
            "doc": doc,
            "created_at": _instant(doc.get("createdAt")),
            "updated_at": _instant(doc.get("updatedAt")),
        }
        statement = pg_insert(models).values(**values)
        if replace:
            statement = statement.on_conflict_do_update(
                index_elements=[models.c.model, models.c.id],
                set_={
                    "organisation_id": statement.excluded.organisation_id,
                    "doc": statement.excluded.doc,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        try:
            with conn.begin_nested():
                conn.execute(statement)
        except sa_exc.IntegrityError as error:
            constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
            if constraint == "models_client_basic_key":
                raise Conflict("a client with this api.basic_key already exists") from None
            if constraint == "models_pkey":
                raise Conflict(f"a {model} with _id {doc['_id']} already exists") from None
            raise

    @staticmethod
    def _require(
        conn: sa.Connection,
        model: str,
        model_id: str,
        organisation_id: str | None,
        *,
        lock: bool = True,
    ) -> None:
        query = sa.select(models.c.id).where(models.c.model == model, models.c.id == model_id)
        if organisation_id is not None:
            query = query.where(models.c.organisation_id == organisation_id)
        if lock:
            query = query.with_for_update(read=True)
        if conn.execute(query).first() is None:
            where = f" in organisation {organisation_id}" if organisation_id else ""
            label = "store" if model == "lrs" else model
            raise NotFound(f"{label} {model_id} does not exist{where}")

    def _get(self, model: str, model_id: str) -> ModelDocument | None:
        query = sa.select(models.c.doc).where(models.c.model == model, models.c.id == model_id)
        with self._connect() as conn:
            return conn.execute(query).scalar()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sa.Connection]:
        with _translated_errors(), self._engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        with _translated_errors(), self._engine.begin() as conn:
            yield conn


def statement_listing_query(query: StatementQuery, walk: str | None = None) -> sa.Select[Any]:
    """The SQL of an xAPI statement listing (``find_statements``), ``query.limit`` rows.

    Unfiltered, it reads ``statements_stored`` in ``stored`` order, and PostgreSQL sorts each run
    of one ``stored`` instant (a batch) by id. Filtered, it walks the term rows of ``walk`` (one
    of the filter's terms; the first when not given) in the same order (``lrs.store.pg_terms``).
    """
    wanted = query.filter.terms()
    if wanted:
        walk = walk if walk is not None else wanted[0]
        return term_listing_query(query, walk, [term for term in wanted if term != walk])
    conditions: list[sa.ColumnElement[bool]] = [
        statements.c.lrs_id == query.lrs_id,
        sa.not_(statements.c.voided),
    ]
    if query.since is not None:
        conditions.append(statements.c.stored > query.since)
    if query.until is not None:
        conditions.append(statements.c.stored <= query.until)
    if query.client_id is not None:
        conditions.append(statements.c.client_id == query.client_id)
    position = sa.tuple_(statements.c.stored, statements.c.id)
    if query.after is not None:
        after = sa.tuple_(sa.literal(query.after[0]), sa.literal(query.after[1]))
        conditions.append(position > after if query.ascending else position < after)
    # The rows come from ``statements_stored`` in ``stored`` order, with every row tied with
    # the last one (the rest of its batch); only those are sorted by id. Asked for both keys
    # at once, PostgreSQL without statistics expected a ``since``/``until`` window to be a few
    # rows and sorted all of it.
    stored_order = statements.c.stored.asc() if query.ascending else statements.c.stored.desc()
    page = (
        sa.select(statements.c.id, statements.c.stored, statements.c.statement)
        .where(*conditions)
        .order_by(stored_order)
        .fetch(query.limit, with_ties=True)
        .subquery("page")
    )
    return (
        sa.select(page.c.id, page.c.stored, page.c.statement)
        .order_by(*page_order(page, query.ascending))
        .limit(query.limit)
    )


# A listing has one good plan: walk an index in page order and stop when the page is full. On a
# table without statistics (right after a bulk load, before autovacuum's first analyse)
# PostgreSQL estimated a ``since``/``until`` window of a whole store at five rows and preferred a
# bitmap of every row in it, sorted on disk: 340 ms at 100,000 statements instead of 2. For the
# listing's transaction only, bitmaps are off and a sort is a last resort (the page's own ties
# are still sorted: nothing else can order them).
LISTING_PLANNER_SETTINGS = sa.text(
    "SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true)"
)


# The batch's definitions (a JSON object by activity id) merged into the stored ones. The first
# pass is an unlocked key lookup per activity (the LIMIT keeps it one: as a join or ``= ANY`` the
# planner seq-scans a small table against every id) that keeps only the definitions the merge
# changes (a definition equal to the stored one, the common case, skips the merge); the upsert
# then merges again over the row it locks, which a concurrent batch may have changed since. Rows
# are locked in one order (sorted by id) by every writer.
_MERGE_DEFINITIONS = sa.text(
    """
    WITH incoming AS (
        SELECT item.key AS activity_id, item.value AS definition
        FROM jsonb_each(CAST(:definitions AS jsonb)) AS item
    ), changing AS (
        SELECT incoming.activity_id, incoming.definition
        FROM incoming
        LEFT JOIN LATERAL (
            SELECT definition FROM activity_definitions
            WHERE lrs_id = :lrs_id AND activity_id = incoming.activity_id
            LIMIT 1
        ) AS current ON true
        WHERE current.definition IS NULL
        OR (
            current.definition <> incoming.definition
            AND lrs_merge_activity_definition(current.definition, incoming.definition)
                <> current.definition
        )
    )
    INSERT INTO activity_definitions AS stored (lrs_id, activity_id, definition, updated_at)
    SELECT :lrs_id, activity_id, definition, now() FROM changing
    ORDER BY activity_id COLLATE "C"
    ON CONFLICT (lrs_id, activity_id) DO UPDATE
    SET definition = lrs_merge_activity_definition(stored.definition, EXCLUDED.definition),
        updated_at = now()
    WHERE lrs_merge_activity_definition(stored.definition, EXCLUDED.definition)
        <> stored.definition
    """
)
# The stored statements with one of the batch's ids (or StatementRef targets), and those whose
# StatementRef targets one of the batch's ids: a key lookup per id, written so that no plan can
# do otherwise (the LIMIT and OFFSET keep each subquery a per-id lookup). A plain ``= ANY`` on a
# store whose statistics are missing or stale (a first bulk load, before autovacuum analyses it)
# was planned as a scan of the whole store filtered by the id list: 150 ms a batch at 50,000
# statements. The id lists are bound untyped, so the CAST types each parameter once. The store id
# is a sub-select so the planner cannot see its value: for a store the statistics have not seen
# (a new store in an analysed table) it estimated one row and looked each id up by scanning the
# store through any index led by ``lrs_id``, filtering on ``statement_id``: a bulk load into a
# new store slowed down batch by batch (2 s a batch at 20,000 statements) until autovacuum
# analysed the table again.
_SELECT_TOUCHED = sa.text(
    """
    SELECT found.* FROM unnest(CAST(:wanted AS uuid[])) AS wanted(statement_id)
    CROSS JOIN LATERAL (
        SELECT * FROM statements
        WHERE lrs_id = (SELECT CAST(:lrs_id AS text)) AND statement_id = wanted.statement_id
        LIMIT 1
    ) AS found
    UNION ALL
    SELECT referencing.* FROM unnest(CAST(:ids AS uuid[])) AS target(statement_id)
    CROSS JOIN LATERAL (
        SELECT * FROM statements
        WHERE lrs_id = (SELECT CAST(:lrs_id AS text)) AND ref_target = target.statement_id
        OFFSET 0
    ) AS referencing
    """
)


_COUNT_STATEMENTS = sa.text(
    "UPDATE models SET doc = jsonb_set(doc, '{statementCount}', to_jsonb("
    "COALESCE((doc->>'statementCount')::bigint, 0) + :added)) "
    "WHERE model = 'lrs' AND id = :lrs_id"
)


def _driver_sql(query: sa.TextClause) -> str:
    """``query`` with psycopg's ``%(name)s`` placeholders, to run on the driver connection.

    The insert path's few queries run there: SQLAlchemy's execution (compiled-cache look-up,
    parameter processing, result wrapping) cost as much client CPU as the rest of their round
    trips.
    """
    return str(query.compile(dialect=postgresql_psycopg.dialect()))


def _driver(conn: sa.Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under ``conn``, in ``conn``'s transaction."""
    dbapi = conn.connection.driver_connection
    assert isinstance(dbapi, psycopg.Connection)
    return dbapi


_COPY_STATEMENTS = f"COPY statements ({', '.join(STATEMENT_COLUMNS)}) FROM STDIN"
_SELECT_TOUCHED_SQL = _driver_sql(_SELECT_TOUCHED)
_MERGE_DEFINITIONS_SQL = _driver_sql(_MERGE_DEFINITIONS)
_COUNT_STATEMENTS_SQL = _driver_sql(_COUNT_STATEMENTS)
_COPY_CONTEXT_ACTIVITIES = (
    f"COPY statement_context_activities ({', '.join(CONTEXT_ACTIVITY_COLUMNS)}) FROM STDIN"
)


def _queriables_from_json(data: dict[str, Any]) -> Queriables:
    return Queriables(
        **{key: tuple(value) if isinstance(value, list) else value for key, value in data.items()}
    )


def _row_queriables(stored: dict[str, Any] | None, statement: Mapping[str, Any]) -> dict[str, Any]:
    """A row's queriables column as a dict: what it holds, or (NULL: the usual case since
    migration 0014) what the statement gives."""
    if stored is not None:
        return stored
    return queriables_json(compute_queriables(statement))


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


def _record_from_row(row: Any) -> StatementRecord:
    """The record of a ``statements`` row (a SQLAlchemy row or a psycopg named tuple)."""
    return StatementRecord(
        id=row.id,
        lrs_id=row.lrs_id,
        organisation_id=row.organisation_id,
        client_id=row.client_id,
        statement_id=str(row.statement_id),
        statement=row.statement,
        stored=row.stored.astimezone(UTC),
        timestamp=row.timestamp.astimezone(UTC),
        hash=row.hash,
        queriables=(
            _queriables_from_json(row.queriables)
            if row.queriables is not None
            else compute_queriables(row.statement)
        ),
        voided=row.voided,
    )


MODEL_BINDING = sql.TableBinding.of(
    models.c.doc,
    {
        "_id": sql.TypedColumn(models.c.id, "text", nullable=False),
        "createdAt": sql.TypedColumn(models.c.created_at, "timestamptz", nullable=False),
        "updatedAt": sql.TypedColumn(models.c.updated_at, "timestamptz", nullable=False),
    },
)


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


def _model_scope(model: str, organisation_id: str | None) -> list[sa.ColumnElement[bool]]:
    conditions = [models.c.model == model]
    if organisation_id is not None:
        # An organisation is its own tenant; rows written by ``add_organisation`` have no
        # ``organisation_id``, so match the id itself (as the memory store does).
        owner = models.c.id if model == "organisation" else models.c.organisation_id
        conditions.append(owner == organisation_id)
    return conditions


def _model_view(row: sa.Row[Any]) -> dict[str, Any]:
    view = dict(row.doc)
    view["createdAt"] = row.created_at.astimezone(UTC)
    view["updatedAt"] = row.updated_at.astimezone(UTC)
    return view


def _instant(value: object) -> datetime:
    return from_iso(value) if isinstance(value, str) else utc_now()


def _paged(
    statement: sa.Select[Any], query: FindQuery, binding: sql.TableBinding
) -> sa.Select[Any]:
    """Keyset position, order, skip and limit of a find, in SQL."""
    if query.position is not None:
        statement = statement.where(
            sql.keyset(
                query.sort,
                binding,
                query.position,
                after=not query.before,
                inclusive=query.inclusive,
            )
        )
    statement = statement.order_by(*sql.order_by(query.sort, binding, reverse=query.before))
    if query.skip:
        statement = statement.offset(query.skip)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return statement


def _key_values(key: DocumentKey) -> dict[str, str]:
    scope = key.scope
    return {
        "lrs_id": scope.lrs_id,
        "kind": scope.kind.value,
        "activity_id": scope.activity_id,
        "agent": scope.agent,
        "registration": scope.registration or "",
        "document_id": key.document_id,
    }


def _key_conditions(key: DocumentKey) -> list[sa.ColumnElement[bool]]:
    return [documents.c[name] == value for name, value in _key_values(key).items()]


def _scope_conditions(scope: DocumentScope) -> list[sa.ColumnElement[bool]]:
    conditions = [
        documents.c.lrs_id == scope.lrs_id,
        documents.c.kind == scope.kind.value,
        documents.c.activity_id == scope.activity_id,
        documents.c.agent == scope.agent,
    ]
    if scope.registration is not None:
        conditions.append(documents.c.registration == scope.registration)
    return conditions


def _lock_document_key(conn: sa.Connection, key: DocumentKey) -> None:
    """Serialise writers of one key for the transaction, whether or not its row exists yet."""
    text = "\x1f".join(_key_values(key).values())
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(text, 0))))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class _Retryable(StoreUnavailable):
    """The transaction was aborted by a deadlock or a serialization failure: run it again.

    Where no caller runs it again, it is a ``StoreUnavailable`` (503), never a 500.
    """

    def __init__(self) -> None:
        super().__init__("the database aborted the transaction (a deadlock); try again")


@contextlib.contextmanager
def _translated_errors() -> Iterator[None]:
    """Turn connection failures and timeouts into ``StoreUnavailable``."""
    try:
        yield
    except sa_exc.OperationalError as error:
        if isinstance(
            error.orig, psycopg.errors.DeadlockDetected | psycopg.errors.SerializationFailure
        ):
            raise _Retryable() from error
        log.warning("PostgreSQL unavailable: %s", error.orig)
        raise StoreUnavailable("the database is unavailable or the query timed out") from None
    except sa_exc.DBAPIError as error:
        if error.connection_invalidated:
            raise StoreUnavailable("the database connection was lost") from None
        raise
    # The same errors from queries run on the driver connection directly (``_driver``).
    except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure) as error:
        raise _Retryable() from error
    except psycopg.OperationalError as error:
        log.warning("PostgreSQL unavailable: %s", error)
        raise StoreUnavailable("the database is unavailable or the query timed out") from None
