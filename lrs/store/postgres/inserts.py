"""Storing a batch of xAPI statements (``insert_statements``): the plan against what is stored, the
COPY of new rows and their terms, voiding, StatementRef lookups, merged activity definitions,
attachments and the store's statement count, in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson
import psycopg
import sqlalchemy as sa
from psycopg.rows import namedtuple_row
from sqlalchemy.dialects.postgresql import insert as pg_insert

from lrs.core.errors import NotFound, StoreUnavailable
from lrs.statements.plan import plan_insert
from lrs.statements.record import AttachmentContent, StatementRecord
from lrs.store.copy_rows import (
    CONTEXT_ACTIVITY_COLUMNS,
    STATEMENT_COLUMNS,
    array_literal,
    queriables_json,
    statement_copy_text,
)
from lrs.store.postgres.engine import _RETRIES, PostgresBase, _driver, _driver_sql, _Retryable
from lrs.store.postgres.records import _record_from_row
from lrs.store.postgres.terms import replace_terms, write_terms
from lrs.store.schema import statement_attachments, statements

log = logging.getLogger(__name__)


class InsertsMixin(PostgresBase):
    """``insert_statements`` and the steps of its transaction."""

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


_COPY_STATEMENTS = f"COPY statements ({', '.join(STATEMENT_COLUMNS)}) FROM STDIN"
_SELECT_TOUCHED_SQL = _driver_sql(_SELECT_TOUCHED)
_MERGE_DEFINITIONS_SQL = _driver_sql(_MERGE_DEFINITIONS)
_COUNT_STATEMENTS_SQL = _driver_sql(_COUNT_STATEMENTS)
_COPY_CONTEXT_ACTIVITIES = (
    f"COPY statement_context_activities ({', '.join(CONTEXT_ACTIVITY_COLUMNS)}) FROM STDIN"
)
