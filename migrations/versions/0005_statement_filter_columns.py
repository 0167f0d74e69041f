"""Typed columns and indexes for the common statement filters and sorts (Connection API).

Generated columns copy the values Learning Locker's UI filters on out of the statement, so each
common filter (verb, actor mbox or account, object, registration) with the newest-first sort is
one btree range scan led by the store; ``statement`` gets a GIN (jsonb_path_ops) index for any
other equality (contextActivities ids, extensions).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_COLUMNS = {
    "verb_id": "{verb,id}",
    "object_id": "{object,id}",
    "actor_mbox": "{actor,mbox}",
    "actor_account_name": "{actor,account,name}",
    "actor_account_homepage": "{actor,account,homePage}",
    "registration": "{context,registration}",
}
_FILTER_INDEXES = {
    "statements_verb": "verb_id",
    "statements_object": "object_id",
    "statements_actor_mbox": "actor_mbox",
    "statements_actor_account": "actor_account_name, actor_account_homepage",
    "statements_registration": "registration",
}


def upgrade() -> None:
    for column, path in _COLUMNS.items():
        op.execute(
            f'ALTER TABLE statements ADD COLUMN {column} text COLLATE "C" '
            f"GENERATED ALWAYS AS (statement #>> '{path}') STORED"
        )
    op.execute("CREATE INDEX statements_timestamp ON statements (lrs_id, timestamp DESC, id)")
    op.execute("CREATE INDEX statements_stored ON statements (lrs_id, stored DESC, id)")
    for name, columns in _FILTER_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON statements (lrs_id, {columns}, timestamp DESC, id)")
    op.execute(
        "CREATE INDEX statements_document ON statements USING gin (statement jsonb_path_ops)"
    )


def downgrade() -> None:
    for name in (
        "statements_document",
        "statements_timestamp",
        "statements_stored",
        *_FILTER_INDEXES,
    ):
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for column in _COLUMNS:
        op.execute(f"ALTER TABLE statements DROP COLUMN {column}")
