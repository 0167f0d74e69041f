"""PostgreSQL tables as SQLAlchemy Core metadata.

Alembic migrations in ``migrations/`` create these tables; this metadata is what the store's
queries are written against (and ``migrations/env.py``'s ``target_metadata`` for autogenerate).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = sa.MetaData()

# Organisation-level models (organisation, lrs, client, and later the REST v2 models) in one table:
# the Learning-Locker-shaped document in ``doc`` plus typed columns for the keys every lookup uses.
models = sa.Table(
    "models",
    metadata,
    sa.Column("model", sa.Text, primary_key=True),
    sa.Column("id", sa.Text(collation="C"), primary_key=True),
    sa.Column("organisation_id", sa.Text(collation="C"), nullable=True),
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

# Statements: the xAPI statement as stored (``statement``) and the instants and flags every listing
# filters on. ``queriables`` (Learning Locker's lookup arrays and the typed fields) is NULL and
# derived from the statement when read, except where the StatementRef rule lent a statement its
# target's arrays (migration 0014); the lookup terms live in ``statement_terms``.
statements = sa.Table(
    "statements",
    metadata,
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
    sa.Column("queriables", JSONB, nullable=True),
    sa.Column("statement", JSONB, nullable=False),
    sa.UniqueConstraint("lrs_id", "statement_id", name="statements_lrs_statement_id"),
    sa.Index(
        "statements_ref_target",
        "lrs_id",
        "ref_target",
        postgresql_where=sa.text("ref_target IS NOT NULL"),
    ),
)

# Each (store, lookup term) once, with the bigint ``statement_terms`` rows use for it (migration
# 0011). Terms are ``lrs.statements.record.record_terms`` strings such as ``verb:<iri>``.
statement_term_ids = sa.Table(
    "statement_term_ids",
    metadata,
    sa.Column("lrs_id", sa.Text(collation="C"), primary_key=True),
    sa.Column("term", sa.Text(collation="C"), primary_key=True),
    sa.Column("term_id", sa.BigInteger, sa.Identity(always=True), nullable=False),
)

# One row per (lookup term, statement), ordered as xAPI lists statements (``stored``, then the
# record id): a filtered page walks one term's rows in order and stops after the page.
statement_terms = sa.Table(
    "statement_terms",
    metadata,
    sa.Column("term_id", sa.BigInteger, primary_key=True),
    sa.Column("stored", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("id", sa.Text(collation="C"), primary_key=True),
)

# One row per (statement, contextActivities category, activity id): the index behind ordered
# Connection pages filtered on a context activity (``lrs.store.context_activities``).
statement_context_activities = sa.Table(
    "statement_context_activities",
    metadata,
    sa.Column("lrs_id", sa.Text(collation="C"), nullable=False),
    sa.Column("category", sa.Text(collation="C"), nullable=False),
    sa.Column("activity_id", sa.Text(collation="C"), nullable=False),
    sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
    sa.Column("id", sa.Text(collation="C"), nullable=False),
    sa.Index(
        "statement_context_activities_lookup",
        "lrs_id",
        "category",
        "activity_id",
        sa.text("timestamp DESC"),
        "id",
        unique=True,
    ),
)

# One narrow row per statement with the fields reports group and filter by (migration 0018),
# written and deleted with the statement by triggers: an aggregation pipeline that reads only
# these scans a fifth of the bytes of ``statements`` (``lrs.store.postgres.aggregation``).
# ``person`` is the actor's IFI string; the text columns are ``statement #>> path``, the jsonb
# ones ``statement #> path`` (NULL when missing); ``voided`` follows ``statements`` (0019).
statement_facts = sa.Table(
    "statement_facts",
    metadata,
    sa.Column("lrs_id", sa.Text(collation="C"), primary_key=True),
    sa.Column("id", sa.Text(collation="C"), primary_key=True),
    sa.Column("organisation_id", sa.Text, nullable=False),
    sa.Column("stored", sa.DateTime(timezone=True), nullable=False),
    sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
    sa.Column("person", sa.Text(collation="C")),
    sa.Column("verb", sa.Text(collation="C")),
    sa.Column("object", sa.Text(collation="C")),
    sa.Column("object_type", sa.Text(collation="C")),
    sa.Column("platform", sa.Text(collation="C")),
    sa.Column("scaled", JSONB),
    sa.Column("raw", JSONB),
    sa.Column("success", JSONB),
    sa.Column("completion", JSONB),
    sa.Column("voided", sa.Boolean, nullable=False, server_default=sa.false()),
)

# Attachment data, once per store and SHA-2 hash.
statement_attachments = sa.Table(
    "statement_attachments",
    metadata,
    sa.Column("lrs_id", sa.Text(collation="C"), primary_key=True),
    sa.Column("sha2", sa.Text(collation="C"), primary_key=True),
    sa.Column("content_type", sa.Text, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

# Canonical activity definitions merged from statements (``lrs.statements.definitions``).
activity_definitions = sa.Table(
    "activity_definitions",
    metadata,
    sa.Column("lrs_id", sa.Text(collation="C"), primary_key=True),
    sa.Column("activity_id", sa.Text(collation="C"), primary_key=True),
    sa.Column("definition", JSONB, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# xAPI documents: state (activity + agent + registration), activity profiles (activity) and
# agent profiles (agent). Unused key parts are ''. Content is kept byte for byte.
documents = sa.Table(
    "documents",
    metadata,
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
