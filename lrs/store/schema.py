"""PostgreSQL tables as SQLAlchemy Core metadata.

Alembic migrations in ``migrations/`` create these tables; this metadata is what the store's
queries are written against (and ``migrations/env.py``'s ``target_metadata`` for autogenerate).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

# Organisation-level models (organisation, lrs, client, and later the REST v2 models) in one table:
# the Learning-Locker-shaped document in ``doc`` plus typed columns for the keys every lookup uses.
models = sa.Table(
    "models",
    metadata,
    sa.Column("model", sa.Text, primary_key=True),
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("organisation_id", sa.Text, nullable=True),
    sa.Column("doc", JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("models_model_organisation_id", "model", "organisation_id", "id"),
    sa.Index(
        "models_client_basic_key",
        sa.text("(doc #>> '{api,basic_key}')"),
        unique=True,
        postgresql_where=sa.text("model = 'client'"),
    ),
)
