"""Model ids compare by code point (COLLATE "C"), as the query language's keyset cursors expect.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('ALTER TABLE models ALTER COLUMN id TYPE text COLLATE "C"')
    op.execute('ALTER TABLE models ALTER COLUMN organisation_id TYPE text COLLATE "C"')


def downgrade() -> None:
    op.execute('ALTER TABLE models ALTER COLUMN organisation_id TYPE text COLLATE "default"')
    op.execute('ALTER TABLE models ALTER COLUMN id TYPE text COLLATE "default"')
