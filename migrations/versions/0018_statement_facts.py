"""``statement_facts``: one narrow row per statement for aggregation pipelines.

A report over a million statements spent its time reading ``statements`` (1.3 GB there, the
statement ``jsonb`` inline) and taking paths apart. ``statement_facts`` holds the fields
Learning Locker's reports group and filter by, as plain columns (about 250 bytes a row): the
actor's IFI (``person``), verb id, object id and type, platform, and the score, success and
completion, with ``stored`` and ``timestamp``. Statement-level triggers with transition tables
write and delete the rows with their statements, whatever writes them (COPY, import), in the
same transaction. Existing statements are copied in here (about a minute a million).

The composite type of migration 0017 is dropped: ``$first``/``$last`` no longer carry every
row's value through the aggregation (``lrs.aggregate.sql``).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# The same expressions as lrs.store.postgres.aggregation reads from ``statement``: a group
# found here is matched by value with the statement rows that give its $first/$last.
_FACTS = """
    SELECT lrs_id, id, organisation_id, stored, "timestamp",
        coalesce(
            statement #>> '{actor,mbox}',
            (statement #>> '{actor,account,homePage}') || '|'
                || (statement #>> '{actor,account,name}'),
            statement #>> '{actor,openid}',
            statement #>> '{actor,mbox_sha1sum}'
        ),
        statement #>> '{verb,id}',
        statement #>> '{object,id}',
        statement #>> '{object,objectType}',
        statement #>> '{context,platform}',
        statement #> '{result,score,scaled}',
        statement #> '{result,score,raw}',
        statement #> '{result,success}',
        statement #> '{result,completion}'
    FROM {source}
"""
_COLUMNS = (
    'lrs_id, id, organisation_id, stored, "timestamp", person, verb, object, object_type, '
    "platform, scaled, raw, success, completion"
)


def _facts_of(source: str) -> str:
    return _FACTS.replace("{source}", source)


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE statement_facts (
            lrs_id text COLLATE "C" NOT NULL,
            id text COLLATE "C" NOT NULL,
            organisation_id text NOT NULL,
            stored timestamptz NOT NULL,
            "timestamp" timestamptz NOT NULL,
            person text COLLATE "C",
            verb text COLLATE "C",
            object text COLLATE "C",
            object_type text COLLATE "C",
            platform text COLLATE "C",
            scaled jsonb,
            raw jsonb,
            success jsonb,
            completion jsonb,
            PRIMARY KEY (lrs_id, id)
        )
        """
    )
    op.execute(f"INSERT INTO statement_facts ({_COLUMNS}) {_facts_of('statements')}")
    op.execute(
        "CREATE FUNCTION lrs_add_statement_facts() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN INSERT INTO statement_facts ({_COLUMNS}) {_facts_of('added')}; RETURN NULL; "
        "END $$"
    )
    op.execute(
        """
        CREATE FUNCTION lrs_remove_statement_facts() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM statement_facts f USING removed r
            WHERE f.lrs_id = r.lrs_id AND f.id = r.id;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER statements_add_facts AFTER INSERT ON statements "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION lrs_add_statement_facts()"
    )
    op.execute(
        "CREATE TRIGGER statements_remove_facts AFTER DELETE ON statements "
        "REFERENCING OLD TABLE AS removed FOR EACH STATEMENT "
        "EXECUTE FUNCTION lrs_remove_statement_facts()"
    )
    op.execute("ANALYZE statement_facts")
    op.execute("DROP FUNCTION lrs_ordered_value(lrs_ordered[])")
    op.execute("DROP TYPE lrs_ordered")


def downgrade() -> None:
    op.execute(
        'CREATE TYPE lrs_ordered AS (stored timestamptz, id text COLLATE "C", '
        "position bigint, value jsonb)"
    )
    op.execute(
        "CREATE FUNCTION lrs_ordered_value(rows lrs_ordered[]) RETURNS jsonb "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (rows[1]).value $$"
    )
    op.execute("DROP TRIGGER statements_remove_facts ON statements")
    op.execute("DROP TRIGGER statements_add_facts ON statements")
    op.execute("DROP FUNCTION lrs_remove_statement_facts()")
    op.execute("DROP FUNCTION lrs_add_statement_facts()")
    op.execute("DROP TABLE statement_facts")
