"""Statement rows up to 4 kB are stored uncompressed (``toast_tuple_target = 4080``).

A typical statement row is a little over PostgreSQL's default 2 kB TOAST threshold, so every
insert compressed its ``statement`` (and reads decompressed it). With the threshold at 4 kB such
rows stay as they are: the insert COPY cost about a tenth less (pg_stat_statements, one client,
100-statement batches), for a heap about a third larger. Larger statements are still compressed.
Rows already stored keep their form.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE statements SET (toast_tuple_target = 4080)")


def downgrade() -> None:
    op.execute("ALTER TABLE statements RESET (toast_tuple_target)")
