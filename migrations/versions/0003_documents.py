"""xAPI documents: state, activity profiles, agent profiles.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("lrs_id", sa.Text(collation="C"), primary_key=True),
        sa.Column("kind", sa.Text(collation="C"), primary_key=True),
        sa.Column("activity_id", sa.Text(collation="C"), primary_key=True),
        sa.Column("agent", sa.Text(collation="C"), primary_key=True),
        sa.Column("registration", sa.Text(collation="C"), primary_key=True),
        sa.Column("document_id", sa.Text(collation="C"), primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("etag", sa.Text, nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("documents")
