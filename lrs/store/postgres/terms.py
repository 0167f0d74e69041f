"""Statement lookup terms on PostgreSQL: writing ``statement_terms`` and listing pages from it.

A statement's terms (``lrs.statements.record.record_terms``: ``verb:<iri>``, ``agent:<ifi>``,
...) are stored as one ``statement_terms`` row per term, keyed by the term's bigint id from
``statement_term_ids`` and ordered by ``stored`` then record id, the order xAPI lists statements
in (migration 0011). A filtered ``GET /statements`` page walks one term's rows in that order,
checks the statement row (and any other term) for each, and stops when the page is full. No step
depends on PostgreSQL's row estimates, so the plan is the same on a store that was never
analysed as on one that was. A ``related_*`` term is not stored where its narrow form is
(migration 0013): such a filter walks both stored terms (``term_group``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from lrs.statements.record import StatementQuery, StatementRecord
from lrs.store.copy_rows import TERM_COLUMNS, array_literal, term_copy_text
from lrs.store.schema import statement_term_ids, statement_terms, statements

COPY_TERMS = f"COPY statement_terms ({', '.join(TERM_COLUMNS)}) FROM STDIN"

# A multi-term filter walks the rarest of its terms; terms are counted up to this many rows, so
# choosing costs at most a few milliseconds however common the terms are.
WALK_COUNT_CAP = 2000
# A term another batch is adding at the same moment is invisible to this statement's snapshot
# and skipped by its ON CONFLICT; the next round (a new snapshot) sees it.
_TERM_ID_ROUNDS = 5

# The ids of a batch's terms in one store, adding the terms not seen before. Existing terms are
# looked up first (a key lookup each), so the identity sequence only advances for new ones, and
# new terms are inserted in one order by every writer.
_TERM_IDS_SQL = """
WITH wanted AS (
    SELECT DISTINCT term FROM unnest(CAST(%(terms)s AS text[])) AS wanted(term)
), found AS (
    SELECT wanted.term, known.term_id FROM wanted
    CROSS JOIN LATERAL (
        SELECT term_id FROM statement_term_ids
        WHERE lrs_id = %(lrs_id)s AND term = wanted.term
        LIMIT 1
    ) AS known
), added AS (
    INSERT INTO statement_term_ids (lrs_id, term)
    SELECT %(lrs_id)s, wanted.term FROM wanted
    WHERE NOT EXISTS (SELECT 1 FROM found WHERE found.term = wanted.term)
    ORDER BY wanted.term
    ON CONFLICT DO NOTHING
    RETURNING term, term_id
)
SELECT term, term_id FROM found
UNION ALL
SELECT term, term_id FROM added
"""


def term_ids(dbapi: psycopg.Connection[Any], lrs_id: str, terms: Iterable[str]) -> dict[str, int]:
    """Each term's id in this store, creating the ids of terms it has not seen before."""
    missing = set(terms)
    ids: dict[str, int] = {}
    for _round in range(_TERM_ID_ROUNDS):
        if not missing:
            return ids
        with dbapi.cursor() as cursor:
            cursor.execute(
                _TERM_IDS_SQL, {"lrs_id": lrs_id, "terms": array_literal(sorted(missing))}
            )
            for term, term_id in cursor:
                ids[term] = term_id
        missing -= ids.keys()
    raise RuntimeError(f"no id for {len(missing)} lookup terms after {_TERM_ID_ROUNDS} rounds")


# A ``related_*`` term holds everything its narrow term holds and more, so a statement found by
# both gets only the narrow row; a ``related_*`` query walks both terms' rows (``term_group``).
_WIDER = {"agent:": "related_agent:", "activity:": "related_activity:"}
_NARROWER = {wide: narrow for narrow, wide in _WIDER.items()}


def stored_terms(terms: Iterable[str]) -> tuple[str, ...]:
    """The terms a statement's ``statement_terms`` rows hold: its lookup terms (distinct)
    without the ``related_*`` ones it also holds in narrow form."""
    unique = dict.fromkeys(terms)
    return tuple(
        term
        for term in unique
        if not any(
            term.startswith(wide) and narrow + term[len(wide) :] in unique
            for wide, narrow in _NARROWER.items()
        )
    )


def term_group(term: str) -> tuple[str, ...]:
    """The stored terms whose rows together are the statements with lookup term ``term``."""
    for wide, narrow in _NARROWER.items():
        if term.startswith(wide):
            return (narrow + term[len(wide) :], term)
    return (term,)


def write_terms(
    dbapi: psycopg.Connection[Any], lrs_id: str, records: Sequence[StatementRecord]
) -> None:
    """COPY the term rows of new statements of one store (inside the caller's transaction)."""
    if not records:
        return
    terms = [(record, stored_terms(record.terms)) for record in records]
    ids = term_ids(dbapi, lrs_id, {term for _, kept in terms for term in kept})
    with dbapi.cursor() as cursor, cursor.copy(COPY_TERMS) as copy:
        copy.write(term_copy_text(terms, ids))


def replace_terms(
    conn: sa.Connection,
    dbapi: psycopg.Connection[Any],
    before: StatementRecord,
    after: StatementRecord,
) -> None:
    """Rewrite a stored statement's term rows for its new lookup terms (a StatementRef's target
    arrived and lent it its terms): a narrow term that arrives replaces its ``related_*`` row."""
    old, new = set(stored_terms(before.terms)), stored_terms(after.terms)
    delete_terms(conn, [(before.lrs_id, before.stored, before.id, sorted(old - set(new)))])
    added = [term for term in new if term not in old]
    if added:
        ids = term_ids(dbapi, after.lrs_id, added)
        rows = [{"term_id": ids[t], "stored": after.stored, "id": after.id} for t in added]
        conn.execute(pg_insert(statement_terms).on_conflict_do_nothing(), rows)


def delete_terms(conn: sa.Connection, rows: Iterable[tuple[str, Any, str, Sequence[str]]]) -> None:
    """Delete the term rows given as (store, stored, record id, lookup terms); ``related_*``
    terms also delete their narrow form's row."""
    keys = [
        (lrs_id, term, stored, record_id)
        for lrs_id, stored, record_id, terms in rows
        for term in {member for wanted in terms for member in term_group(wanted)}
    ]
    if not keys:
        return
    names = sa.values(
        sa.column("lrs_id", sa.Text),
        sa.column("term", sa.Text),
        sa.column("stored", sa.DateTime(timezone=True)),
        sa.column("id", sa.Text),
        name="gone",
    ).data(keys)
    conn.execute(
        statement_terms.delete().where(
            statement_term_ids.c.lrs_id == names.c.lrs_id,
            statement_term_ids.c.term == names.c.term,
            statement_terms.c.term_id == statement_term_ids.c.term_id,
            statement_terms.c.stored == names.c.stored,
            statement_terms.c.id == names.c.id,
        )
    )


def _term_id(lrs_id: str, term: str) -> sa.ScalarSelect[Any]:
    """The id of ``term`` in store ``lrs_id`` (NULL, matching nothing, when it has none)."""
    return (
        sa.select(statement_term_ids.c.term_id)
        .where(statement_term_ids.c.lrs_id == lrs_id, statement_term_ids.c.term == term)
        .scalar_subquery()
    )


def _term_ids_of(lrs_id: str, term: str) -> list[sa.ScalarSelect[Any]]:
    """The ids of the stored terms whose rows are the statements with lookup term ``term``."""
    return [_term_id(lrs_id, member) for member in term_group(term)]


def walk_counts_query(lrs_id: str, terms: Sequence[str]) -> sa.Select[Any]:
    """One row: for each term, how many statements carry it, counted up to WALK_COUNT_CAP."""
    counts = []
    for term in terms:
        capped = (
            sa.select(sa.literal(1))
            .where(statement_terms.c.term_id.in_(_term_ids_of(lrs_id, term)))
            .limit(WALK_COUNT_CAP)
            .subquery()
        )
        counts.append(sa.select(sa.func.count()).select_from(capped).scalar_subquery())
    return sa.select(*counts)


def _window(query: StatementQuery, rows: sa.FromClause) -> list[sa.ColumnElement[bool]]:
    """The page's bounds on term rows: ``since``, ``until`` and the ``more`` position."""
    bounds: list[sa.ColumnElement[bool]] = []
    if query.since is not None:
        bounds.append(rows.c.stored > query.since)
    if query.until is not None:
        bounds.append(rows.c.stored <= query.until)
    if query.after is not None:
        position = sa.tuple_(rows.c.stored, rows.c.id)
        after = sa.tuple_(sa.literal(query.after[0]), sa.literal(query.after[1]))
        bounds.append(position > after if query.ascending else position < after)
    return bounds


def term_listing_query(query: StatementQuery, walk: str, others: Sequence[str]) -> sa.Select[Any]:
    """A filtered xAPI listing: ``walk``'s term rows in page order, each joined to its
    statement (same store, not voided, the caller's client if any) and checked for ``others``.

    The statement is a LATERAL key lookup per term row: as a plain join, a store without
    statistics was estimated at a few dozen rows, and PostgreSQL read every statement of the
    store into memory to join them to the first page. A ``related_*`` term is stored as two
    terms (``term_group``), whose statements are disjoint: each is walked for a full page, and
    the page is the first rows of the two (at most twice the page sorted, whatever the plan).
    """
    branches = [_branch(query, term_id, others) for term_id in _term_ids_of(query.lrs_id, walk)]
    if len(branches) == 1:
        return branches[0]
    merged = sa.union_all(*branches).subquery("merged")
    return (
        sa.select(merged.c.id, merged.c.stored, merged.c.statement)
        .order_by(*page_order(merged, query.ascending))
        .limit(query.limit)
    )


def page_order(rows: sa.FromClause, ascending: bool) -> list[sa.UnaryExpression[Any]]:
    """The order of an xAPI listing over ``rows``' ``stored`` and ``id``: newest first unless
    ``ascending``, the record id breaking ties (one batch shares a ``stored`` instant)."""
    if ascending:
        return [rows.c.stored.asc(), rows.c.id.asc()]
    return [rows.c.stored.desc(), rows.c.id.desc()]


def _branch(
    query: StatementQuery, term_id: sa.ScalarSelect[Any], others: Sequence[str]
) -> sa.Select[Any]:
    """One stored term's page: its rows in page order, joined to their statements."""
    walked = statement_terms.alias("walked")
    found = (
        sa.select(
            statements.c.id,
            statements.c.stored,
            statements.c.statement,
            statements.c.voided,
            statements.c.client_id,
        )
        .where(statements.c.lrs_id == query.lrs_id, statements.c.id == walked.c.id)
        .limit(1)
        .lateral("found")
    )
    conditions: list[sa.ColumnElement[bool]] = [
        walked.c.term_id == term_id,
        *_window(query, walked),
        sa.not_(found.c.voided),
    ]
    if query.client_id is not None:
        conditions.append(found.c.client_id == query.client_id)
    joined = walked.join(found, sa.true())
    # Every other term is a key lookup per walked row (LATERAL, with a LIMIT, so PostgreSQL
    # cannot turn it into a join of whole term lists).
    for term in others:
        other = statement_terms.alias()
        carried = (
            sa.select(other.c.id)
            .where(
                other.c.term_id.in_(_term_ids_of(query.lrs_id, term)),
                other.c.stored == walked.c.stored,
                other.c.id == walked.c.id,
            )
            .limit(1)
            .lateral()
        )
        joined = joined.join(carried, sa.true())
    return (
        sa.select(found.c.id, found.c.stored, found.c.statement)
        .select_from(joined)
        .where(*conditions)
        .order_by(*page_order(walked, query.ascending))
        .limit(query.limit)
    )
