"""Statement lookup terms move from a GIN-indexed array to an ordered side table.

xAPI lists statements newest ``stored`` first. The ``terms`` array's GIN index could find the
rows of a filter but not in that order, so every plan for a filtered page was a gamble on row
estimates: walk ``statements_stored`` and skip non-matches (good for a common verb, terrible for
a rare one), or fetch every match and sort (the reverse). With no statistics (right after a bulk
load, before autovacuum's first analyse) PostgreSQL expected five matching rows and fetched and
sorted every match of a common verb: 2 s a page at a million statements.

``statement_terms`` holds one row per (term, statement): the term's id, the statement's
``stored`` instant and record id, under one btree in that order, so a filtered page is an
ordered walk of one term's entries that stops after the page, whatever the term's frequency and
whatever the statistics say. Terms are strings such as ``verb:<iri>`` (``lrs.statements.record``);
``statement_term_ids`` gives each (store, term) a bigint once, so the side table's rows are narrow
and the term strings are stored once per store instead of once per statement. The ``terms``
column and its GIN index go.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE statement_term_ids (
            lrs_id text COLLATE "C" NOT NULL,
            term text COLLATE "C" NOT NULL,
            term_id bigint GENERATED ALWAYS AS IDENTITY,
            PRIMARY KEY (lrs_id, term)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE statement_terms (
            term_id bigint NOT NULL,
            stored timestamptz NOT NULL,
            id text COLLATE "C" NOT NULL
        )
        """
    )
    op.execute(
        """
        INSERT INTO statement_term_ids (lrs_id, term)
        SELECT DISTINCT s.lrs_id, t.term
        FROM statements s CROSS JOIN LATERAL unnest(s.terms) AS t(term)
        ORDER BY 1, 2
        """
    )
    op.execute(
        """
        INSERT INTO statement_terms (term_id, stored, id)
        SELECT DISTINCT d.term_id, s.stored, s.id
        FROM statements s
        CROSS JOIN LATERAL unnest(s.terms) AS t(term)
        JOIN statement_term_ids d ON d.lrs_id = s.lrs_id AND d.term = t.term
        """
    )
    op.execute(
        "ALTER TABLE statement_terms ADD CONSTRAINT statement_terms_pkey "
        "PRIMARY KEY (term_id, stored, id)"
    )
    op.execute("DROP INDEX IF EXISTS statements_terms")
    op.execute("ALTER TABLE statements DROP COLUMN terms")


def downgrade() -> None:
    op.execute("ALTER TABLE statements ADD COLUMN terms text[] NOT NULL DEFAULT '{}'")
    op.execute("ALTER TABLE statements ALTER COLUMN terms DROP DEFAULT")
    op.execute(
        """
        UPDATE statements s SET terms = found.terms
        FROM (
            SELECT d.lrs_id, t.id, array_agg(d.term ORDER BY d.term) AS terms
            FROM statement_terms t JOIN statement_term_ids d ON d.term_id = t.term_id
            GROUP BY d.lrs_id, t.id
        ) AS found
        WHERE s.lrs_id = found.lrs_id AND s.id = found.id
        """
    )
    op.execute("CREATE INDEX statements_terms ON statements USING gin (terms)")
    op.execute("DROP TABLE statement_terms")
    op.execute("DROP TABLE statement_term_ids")
