"""Autovacuum visits the statement tables sooner than PostgreSQL's defaults would.

A store grows by inserts. By default autovacuum analyses a table after a tenth of it changed and
vacuums an insert-only table after a fifth: at a million statements, 100,000 new statements
before the planner's statistics catch up, and 200,000 before the visibility map marks the new
pages all-visible (until then ``statement_terms`` index-only scans visit the heap for every
entry). Here: analyse after 2% and vacuum after 5% of the table was added. The listing queries
do not depend on statistics (migration 0011 and ``lrs.store.postgres.terms``); Connection
filters and REST counts do.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("statements", "statement_terms", "statement_context_activities")
SETTINGS = {
    "autovacuum_analyze_scale_factor": "0.02",
    "autovacuum_vacuum_insert_scale_factor": "0.05",
}


def upgrade() -> None:
    options = ", ".join(f"{name} = {value}" for name, value in SETTINGS.items())
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} SET ({options})")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RESET ({', '.join(SETTINGS)})")
