"""A statement found by a narrow term keeps no row for the same value's ``related_*`` term.

Every actor is also a related agent and every object activity a related activity, so most
statements had two ``statement_terms`` rows per actor and per object: ``agent:<ifi>`` and
``related_agent:<ifi>``, ``activity:<iri>`` and ``related_activity:<iri>``. The ``related_*`` row
now exists only where the narrow one does not, and a ``related_*`` query walks both terms' rows
(``lrs.store.postgres.terms.term_group``): about two rows of nine fewer per statement.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# (narrow prefix, related prefix)
PAIRS = (("agent:", "related_agent:"), ("activity:", "related_activity:"))


def upgrade() -> None:
    for narrow, related in PAIRS:
        op.execute(
            sa.text(
                """
            DELETE FROM statement_terms AS wide
            USING statement_term_ids AS wide_term, statement_term_ids AS narrow_term,
                  statement_terms AS kept
            WHERE wide.term_id = wide_term.term_id
              AND starts_with(wide_term.term, :related)
              AND narrow_term.lrs_id = wide_term.lrs_id
              AND narrow_term.term = :narrow || substr(wide_term.term, char_length(:related) + 1)
              AND kept.term_id = narrow_term.term_id
              AND kept.stored = wide.stored
              AND kept.id = wide.id
            """
            ).bindparams(narrow=narrow, related=related)
        )


def downgrade() -> None:
    for narrow, related in PAIRS:
        op.execute(
            sa.text(
                """
            INSERT INTO statement_term_ids (lrs_id, term)
            SELECT DISTINCT lrs_id, :related || substr(term, char_length(:narrow) + 1)
            FROM statement_term_ids WHERE starts_with(term, :narrow)
            ON CONFLICT DO NOTHING
            """
            ).bindparams(narrow=narrow, related=related)
        )
        op.execute(
            sa.text(
                """
            INSERT INTO statement_terms (term_id, stored, id)
            SELECT wide_term.term_id, kept.stored, kept.id
            FROM statement_terms AS kept
            JOIN statement_term_ids AS narrow_term ON narrow_term.term_id = kept.term_id
            JOIN statement_term_ids AS wide_term
              ON wide_term.lrs_id = narrow_term.lrs_id
             AND wide_term.term = :related || substr(narrow_term.term, char_length(:narrow) + 1)
            WHERE starts_with(narrow_term.term, :narrow)
            ON CONFLICT DO NOTHING
            """
            ).bindparams(narrow=narrow, related=related)
        )
