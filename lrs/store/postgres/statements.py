"""Reading xAPI statements: one by id, listings (``statement_listing_query``, walking a lookup term
of ``lrs.store.postgres.terms`` when filtered) and merged activity definitions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from lrs.statements.record import ListedStatement, StatementQuery, StatementRecord
from lrs.store.postgres.engine import PostgresBase
from lrs.store.postgres.records import _record_from_row
from lrs.store.postgres.terms import page_order, term_listing_query, walk_counts_query
from lrs.store.schema import activity_definitions, statements


class StatementsMixin(PostgresBase):
    """xAPI statement reads: ``get_statement``, ``find_statements``, activity definitions."""

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

    @staticmethod
    def _select_records(
        conn: sa.Connection, *conditions: sa.ColumnElement[bool]
    ) -> list[StatementRecord]:
        query = sa.select(statements).where(*conditions)
        return [_record_from_row(row) for row in conn.execute(query)]


def statement_listing_query(query: StatementQuery, walk: str | None = None) -> sa.Select[Any]:
    """The SQL of an xAPI statement listing (``find_statements``), ``query.limit`` rows.

    Unfiltered, it reads ``statements_stored`` in ``stored`` order, and PostgreSQL sorts each run
    of one ``stored`` instant (a batch) by id. Filtered, it walks the term rows of ``walk`` (one
    of the filter's terms; the first when not given) in the same order
    (``lrs.store.postgres.terms``).
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


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
