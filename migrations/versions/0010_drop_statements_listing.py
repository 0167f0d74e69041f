"""The xAPI statement listing reads ``statements_stored``; ``statements_listing`` is dropped.

``statements_listing`` (store, stored, id; not voided) only served ``GET /statements`` pages,
which ``statements_stored`` (store, stored DESC, id) serves as well: PostgreSQL reads it in
``stored`` order and sorts each run of equal ``stored`` instants (one batch) by id (an
Incremental Sort), so a page still costs what its rows cost, and the ``more`` position stays an
index bound. Voided statements, which the listing skips, are a small share of any store. Every
statement insert maintained one btree fewer: about a twelfth of the index work of a COPY.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS statements_listing")


def downgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS statements_listing ON statements (lrs_id, stored, id) "
        "WHERE NOT voided"
    )
