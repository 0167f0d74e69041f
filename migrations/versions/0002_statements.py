"""Statements, their attachments and canonical activity definitions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statements",
        sa.Column("lrs_id", sa.Text(collation="C"), primary_key=True),
        sa.Column("id", sa.Text(collation="C"), primary_key=True),
        sa.Column("statement_id", UUID(as_uuid=False), nullable=False),
        sa.Column("organisation_id", sa.Text, nullable=False),
        sa.Column("client_id", sa.Text, nullable=False),
        sa.Column("stored", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("voiding", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("ref_target", UUID(as_uuid=False), nullable=True),
        sa.Column("hash", sa.Text, nullable=False),
        sa.Column("terms", ARRAY(sa.Text), nullable=False),
        sa.Column("queriables", JSONB, nullable=False),
        sa.Column("statement", JSONB, nullable=False),
        sa.UniqueConstraint("lrs_id", "statement_id", name="statements_lrs_statement_id"),
    )
    op.create_index(
        "statements_listing",
        "statements",
        ["lrs_id", "stored", "id"],
        postgresql_where=sa.text("NOT voided"),
    )
    op.create_index("statements_terms", "statements", ["terms"], postgresql_using="gin")
    op.create_index(
        "statements_ref_target",
        "statements",
        ["lrs_id", "ref_target"],
        postgresql_where=sa.text("ref_target IS NOT NULL"),
    )
    op.create_table(
        "statement_attachments",
        sa.Column("lrs_id", sa.Text(collation="C"), primary_key=True),
        sa.Column("sha2", sa.Text(collation="C"), primary_key=True),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "activity_definitions",
        sa.Column("lrs_id", sa.Text(collation="C"), primary_key=True),
        sa.Column("activity_id", sa.Text(collation="C"), primary_key=True),
        sa.Column("definition", JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("activity_definitions")
    op.drop_table("statement_attachments")
    op.drop_table("statements")
