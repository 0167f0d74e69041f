"""``lrs_merge_activity_definition``: the activity definition merge rule as a SQL function.

The statement insert path merges the batch's activity definitions into ``activity_definitions``
with one ``INSERT ... ON CONFLICT`` instead of reading every definition back into Python,
merging there and writing the changed ones. The rule is ``lrs.statements.definitions``'s: language
maps (``name``, ``description``) and ``extensions`` merge per key when both sides have an object
there; any other property takes the incoming value. The body is one expression without a
subquery, so PostgreSQL inlines it into the calling query.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE OR REPLACE FUNCTION lrs_merge_activity_definition(current jsonb, incoming jsonb)
        RETURNS jsonb
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$
            SELECT coalesce(current, '{}'::jsonb) || incoming
                || CASE WHEN jsonb_typeof(current -> 'name') = 'object'
                    AND jsonb_typeof(incoming -> 'name') = 'object'
                    THEN jsonb_build_object('name', (current -> 'name') || (incoming -> 'name'))
                    ELSE '{}'::jsonb END
                || CASE WHEN jsonb_typeof(current -> 'description') = 'object'
                    AND jsonb_typeof(incoming -> 'description') = 'object'
                    THEN jsonb_build_object(
                        'description', (current -> 'description') || (incoming -> 'description'))
                    ELSE '{}'::jsonb END
                || CASE WHEN jsonb_typeof(current -> 'extensions') = 'object'
                    AND jsonb_typeof(incoming -> 'extensions') = 'object'
                    THEN jsonb_build_object(
                        'extensions', (current -> 'extensions') || (incoming -> 'extensions'))
                    ELSE '{}'::jsonb END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS lrs_merge_activity_definition(jsonb, jsonb)")
