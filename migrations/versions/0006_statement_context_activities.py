"""A side table of statements' context activities, for ordered contextActivities filters.

``statement_context_activities`` has one row per (statement, category, activity id), with the
statement's ``timestamp`` and ``_id``; its btree ``(lrs_id, category, activity_id, timestamp
DESC, id)`` serves a Connection filter on ``statement.context.contextActivities.<category>.id``
newest first without sorting the matches. Existing statements are copied in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE statement_context_activities (
            lrs_id text COLLATE "C" NOT NULL,
            category text COLLATE "C" NOT NULL,
            activity_id text COLLATE "C" NOT NULL,
            "timestamp" timestamptz NOT NULL,
            id text COLLATE "C" NOT NULL
        )
        """
    )
    op.execute(
        """
        INSERT INTO statement_context_activities (lrs_id, category, activity_id, "timestamp", id)
        SELECT DISTINCT s.lrs_id, c.key, a.value ->> 'id', s."timestamp", s.id
        FROM statements s
        CROSS JOIN LATERAL jsonb_each(
            CASE WHEN jsonb_typeof(s.statement -> 'context' -> 'contextActivities') = 'object'
                 THEN s.statement -> 'context' -> 'contextActivities' ELSE '{}'::jsonb END
        ) AS c
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN jsonb_typeof(c.value) = 'array' THEN c.value ELSE '[]'::jsonb END
        ) AS a
        WHERE c.key IN ('parent', 'grouping', 'category', 'other')
          AND jsonb_typeof(a.value -> 'id') = 'string'
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX statement_context_activities_lookup ON statement_context_activities "
        '(lrs_id, category, activity_id, "timestamp" DESC, id)'
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS statement_context_activities")
