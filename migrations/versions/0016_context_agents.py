"""xAPI 2.0.0's ``contextAgents`` and ``contextGroups`` count as a statement's related agents.

``lrs_context_agents`` (migration 0014) gave a context's team and instructor IFIs; it now adds
the agent of every contextAgent and the group (with its members) of every contextGroup, in that
order, as ``lrs.xapi.queriables`` does. No stored row changes: before this revision a context
with either property was refused, so the function gives every existing row what it gave before.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_WITH_CONTEXT_PEOPLE = """
    CREATE OR REPLACE FUNCTION lrs_context_agents(context jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE
            WHEN jsonb_typeof(context) IS DISTINCT FROM 'object' THEN ARRAY[]::text[]
            ELSE lrs_actor_idents(context -> 'team') || lrs_actor_idents(context -> 'instructor')
                || ARRAY(
                    SELECT ident
                    FROM (VALUES (1, 'contextAgents', 'agent'), (2, 'contextGroups', 'group'))
                        AS kind(position, list, member)
                    CROSS JOIN LATERAL jsonb_array_elements(
                        CASE WHEN jsonb_typeof(context -> kind.list) = 'array'
                             THEN context -> kind.list ELSE '[]'::jsonb END
                    ) WITH ORDINALITY AS item
                    CROSS JOIN LATERAL unnest(lrs_actor_idents(item.value -> kind.member))
                        WITH ORDINALITY AS idents(ident, ident_position)
                    WHERE jsonb_typeof(item.value) = 'object'
                    ORDER BY kind.position, item.ordinality, idents.ident_position
                )
        END
    $$
"""

_TEAM_AND_INSTRUCTOR = """
    CREATE OR REPLACE FUNCTION lrs_context_agents(context jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE
            WHEN jsonb_typeof(context) IS DISTINCT FROM 'object' THEN ARRAY[]::text[]
            ELSE lrs_actor_idents(context -> 'team') || lrs_actor_idents(context -> 'instructor')
        END
    $$
"""


def upgrade() -> None:
    op.execute(_WITH_CONTEXT_PEOPLE)


def downgrade() -> None:
    op.execute(_TEAM_AND_INSTRUCTOR)
