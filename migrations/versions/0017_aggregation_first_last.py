"""A composite type for ``$first`` and ``$last`` in translated aggregation pipelines.

``$first`` is the value of the first document of a group in the documents' order (``stored``,
``_id``, and the position in an unwound array). ``lrs_ordered_value(min(ARRAY[ROW(stored, id,
position, value)::lrs_ordered]))`` picks it without sorting the group's rows, and, unlike an
ordered ``array_agg``, it can be computed in parallel by partial aggregation.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        'CREATE TYPE lrs_ordered AS (stored timestamptz, id text COLLATE "C", '
        "position bigint, value jsonb)"
    )
    op.execute(
        "CREATE FUNCTION lrs_ordered_value(rows lrs_ordered[]) RETURNS jsonb "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (rows[1]).value $$"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION lrs_ordered_value(lrs_ordered[])")
    op.execute("DROP TYPE lrs_ordered")
