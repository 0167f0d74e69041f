"""Organisation-level models table (organisation, lrs, client, and later the REST v2 models).

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("model", sa.Text, primary_key=True),
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("organisation_id", sa.Text, nullable=True),
        sa.Column("doc", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("models_model_organisation_id", "models", ["model", "organisation_id", "id"])
    op.create_index(
        "models_client_basic_key",
        "models",
        [sa.text("(doc #>> '{api,basic_key}')")],
        unique=True,
        postgresql_where=sa.text("model = 'client'"),
    )


def downgrade() -> None:
    op.drop_table("models")
