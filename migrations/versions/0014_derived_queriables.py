"""A statement's queriables are derived from it instead of stored beside it.

``queriables`` (Learning Locker's lookup arrays and the typed fields, ``lrs.xapi.queriables``)
repeated the statement's actor, verb, object and context ids in a second JSON column: about 650
bytes of a 1,800-byte row. New rows leave it NULL and the store derives it from the statement:
in Python (``compute_queriables``) for the records and documents it returns, and in SQL with
``lrs_statement_queriables`` (below, the same rules) where a Connection filter or sort reads
the lookup arrays. The column is kept, and written, only where the StatementRef rule made the
arrays differ from the statement's own (Learning Locker's refs pass). Rows stored before this
migration keep theirs, which stay right.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

FUNCTIONS = (
    # An Agent's or Identified Group's IFI as one string (``lrs.xapi.agents.ifi_string``).
    """
    CREATE FUNCTION lrs_ifi(actor jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE
            WHEN jsonb_typeof(actor) IS DISTINCT FROM 'object' THEN NULL
            WHEN jsonb_typeof(actor -> 'mbox') IS DISTINCT FROM 'null'
                AND actor ? 'mbox' THEN actor ->> 'mbox'
            WHEN jsonb_typeof(actor -> 'account') IS DISTINCT FROM 'null'
                AND actor ? 'account'
                THEN coalesce(actor -> 'account' ->> 'homePage', 'None') || '|'
                    || coalesce(actor -> 'account' ->> 'name', 'None')
            WHEN jsonb_typeof(actor -> 'openid') IS DISTINCT FROM 'null'
                AND actor ? 'openid' THEN actor ->> 'openid'
            ELSE actor ->> 'mbox_sha1sum'
        END
    $$
    """,
    # The IFIs of an Agent or Group and of a Group's members, in order (NULL for none).
    """
    CREATE FUNCTION lrs_actor_idents(actor jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE
            WHEN jsonb_typeof(actor) IS DISTINCT FROM 'object' THEN ARRAY[]::text[]
            ELSE ARRAY[lrs_ifi(actor)] || CASE
                WHEN actor ->> 'objectType' = 'Group'
                    AND jsonb_typeof(actor -> 'member') = 'array'
                THEN ARRAY(
                    SELECT lrs_ifi(member.value)
                    FROM jsonb_array_elements(actor -> 'member') WITH ORDINALITY AS member
                    WHERE jsonb_typeof(member.value) = 'object'
                    ORDER BY member.ordinality
                )
                ELSE ARRAY[]::text[]
            END
        END
    $$
    """,
    # A context's team and instructor IFIs.
    """
    CREATE FUNCTION lrs_context_agents(context jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE
            WHEN jsonb_typeof(context) IS DISTINCT FROM 'object' THEN ARRAY[]::text[]
            ELSE lrs_actor_idents(context -> 'team') || lrs_actor_idents(context -> 'instructor')
        END
    $$
    """,
    # A context's contextActivities ids: parent, grouping, category, other, each in order.
    """
    CREATE FUNCTION lrs_context_activity_ids(context jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT ARRAY(
            SELECT item.value ->> 'id'
            FROM unnest(ARRAY['parent', 'grouping', 'category', 'other'])
                WITH ORDINALITY AS category(name, position)
            CROSS JOIN LATERAL jsonb_array_elements(
                CASE jsonb_typeof(context -> 'contextActivities' -> category.name)
                    WHEN 'array' THEN context -> 'contextActivities' -> category.name
                    WHEN 'object' THEN jsonb_build_array(
                        context -> 'contextActivities' -> category.name
                    )
                    ELSE '[]'::jsonb
                END
            ) WITH ORDINALITY AS item
            WHERE jsonb_typeof(context) = 'object'
              AND jsonb_typeof(context -> 'contextActivities') = 'object'
              AND jsonb_typeof(item.value) = 'object'
            ORDER BY category.position, item.ordinality
        )
    $$
    """,
    # The distinct non-NULL values of an array, first-seen order kept, as a JSON array.
    """
    CREATE FUNCTION lrs_unique(items text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(jsonb_agg(first.value ORDER BY first.position), '[]'::jsonb)
        FROM (
            SELECT item.value, min(item.position) AS position
            FROM unnest(items) WITH ORDINALITY AS item(value, position)
            WHERE item.value IS NOT NULL
            GROUP BY item.value
        ) AS first
    $$
    """,
    # ``lrs.xapi.queriables.compute_queriables`` of a stored statement, as the queriables
    # column holds it (snake_case keys).
    """
    CREATE FUNCTION lrs_statement_queriables(statement jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    DECLARE
        target jsonb := CASE WHEN jsonb_typeof(statement -> 'object') = 'object'
                             THEN statement -> 'object' ELSE '{}'::jsonb END;
        object_type text := coalesce(target ->> 'objectType', 'Activity');
        context jsonb := statement -> 'context';
        verb_id text := statement -> 'verb' ->> 'id';
        agents text[];
        related text[];
        activities text[];
        activity text;
        registration text;
        ref_id text;
        object_id text;
        sub_object jsonb;
    BEGIN
        agents := lrs_actor_idents(statement -> 'actor');
        IF object_type IN ('Agent', 'Group') THEN
            agents := agents || lrs_actor_idents(target);
        END IF;
        related := agents || lrs_context_agents(context)
            || lrs_actor_idents(statement -> 'authority');
        activity := CASE WHEN object_type = 'Activity' THEN target ->> 'id' END;
        activities := ARRAY[activity] || lrs_context_activity_ids(context);
        IF object_type = 'SubStatement' THEN
            sub_object := CASE WHEN jsonb_typeof(target -> 'object') = 'object'
                               THEN target -> 'object' ELSE '{}'::jsonb END;
            related := related || lrs_actor_idents(target -> 'actor');
            IF sub_object ->> 'objectType' IN ('Agent', 'Group') THEN
                related := related || lrs_actor_idents(sub_object);
            END IF;
            related := related || lrs_context_agents(target -> 'context');
            activities := activities || CASE
                WHEN coalesce(sub_object ->> 'objectType', 'Activity') = 'Activity'
                THEN sub_object ->> 'id' END;
            activities := activities || lrs_context_activity_ids(target -> 'context');
        END IF;
        IF jsonb_typeof(context) = 'object' THEN
            registration := context ->> 'registration';
        END IF;
        IF object_type = 'StatementRef' THEN
            ref_id := lower(target ->> 'id');
            object_id := ref_id;
        ELSIF object_type IN ('Agent', 'Group') THEN
            object_id := lrs_ifi(target);
        ELSE
            object_id := activity;
        END IF;
        RETURN jsonb_build_object(
            'agents', lrs_unique(agents),
            'related_agents', lrs_unique(related),
            'verbs', jsonb_build_array(verb_id),
            'activities', CASE WHEN activity IS NULL THEN '[]'::jsonb
                               ELSE jsonb_build_array(activity) END,
            'related_activities', lrs_unique(activities),
            'registrations', CASE WHEN registration IS NULL THEN '[]'::jsonb
                                  ELSE jsonb_build_array(registration) END,
            'verb_id', verb_id,
            'object_type', object_type,
            'object_id', object_id,
            'actor_ifi', lrs_ifi(statement -> 'actor'),
            'registration', lower(registration),
            'statement_ref_id', ref_id,
            'voiding', verb_id = 'http://adlnet.gov/expapi/verbs/voided' AND ref_id IS NOT NULL
        );
    END
    $$
    """,
    # Learning Locker's six lookup arrays of a row: its stored queriables, or derived.
    """
    CREATE FUNCTION lrs_statement_lookups(queriables jsonb, statement jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT jsonb_build_object(
            'agents', q -> 'agents',
            'relatedAgents', q -> 'related_agents',
            'verbs', q -> 'verbs',
            'activities', q -> 'activities',
            'relatedActivities', q -> 'related_activities',
            'registrations', q -> 'registrations'
        )
        FROM (SELECT coalesce(queriables, lrs_statement_queriables(statement)) AS q) AS row
    $$
    """,
)
DROPPED = (
    "lrs_statement_lookups(jsonb, jsonb)",
    "lrs_statement_queriables(jsonb)",
    "lrs_unique(text[])",
    "lrs_context_activity_ids(jsonb)",
    "lrs_context_agents(jsonb)",
    "lrs_actor_idents(jsonb)",
    "lrs_ifi(jsonb)",
)


def upgrade() -> None:
    for function in FUNCTIONS:
        op.execute(function)
    op.execute("ALTER TABLE statements ALTER COLUMN queriables DROP NOT NULL")


def downgrade() -> None:
    op.execute(
        "UPDATE statements SET queriables = lrs_statement_queriables(statement) "
        "WHERE queriables IS NULL"
    )
    op.execute("ALTER TABLE statements ALTER COLUMN queriables SET NOT NULL")
    for function in DROPPED:
        op.execute(f"DROP FUNCTION {function}")
