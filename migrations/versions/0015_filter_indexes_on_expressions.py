"""The Connection filter indexes index the statement's values directly, without copies of them.

Migration 0005 copied six values out of each statement into generated columns (verb id, object
id, actor mbox, actor account name and home page, registration) so btree indexes could order
them by ``timestamp``. The indexes now index those paths of ``statement`` as expressions (with
the same "C" collation, and the same partial conditions), and the copies (about 130 bytes a row)
are gone. Queries name the same expressions (``lrs.store.postgres``), so the same indexes serve
them. Rows stored before keep the copies' bytes until the table is rewritten (``VACUUM FULL``).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# generated column -> the statement path it copied (0005)
PATHS = {
    "verb_id": "{verb,id}",
    "object_id": "{object,id}",
    "actor_mbox": "{actor,mbox}",
    "actor_account_name": "{actor,account,name}",
    "actor_account_homepage": "{actor,account,homePage}",
    "registration": "{context,registration}",
}
# index -> (its columns, the column that must not be NULL for a row to be indexed)
INDEXES = {
    "statements_verb": (("verb_id",), None),
    "statements_object": (("object_id",), None),
    "statements_actor_mbox": (("actor_mbox",), "actor_mbox"),
    "statements_actor_account": (
        ("actor_account_name", "actor_account_homepage"),
        "actor_account_name",
    ),
    "statements_registration": (("registration",), "registration"),
}


def _expression(column: str) -> str:
    return f"(statement #>> '{PATHS[column]}'::text[])"


def upgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("ALTER TABLE statements " + ", ".join(f"DROP COLUMN {column}" for column in PATHS))
    for name, (columns, required) in INDEXES.items():
        keys = ", ".join(f'{_expression(column)} COLLATE "C"' for column in columns)
        condition = f" WHERE {_expression(required)} IS NOT NULL" if required else ""
        op.execute(
            f"CREATE INDEX {name} ON statements (lrs_id, {keys}, timestamp DESC, id){condition}"
        )


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for column, path in PATHS.items():
        op.execute(
            f'ALTER TABLE statements ADD COLUMN {column} text COLLATE "C" '
            f"GENERATED ALWAYS AS (statement #>> '{path}') STORED"
        )
    for name, (columns, required) in INDEXES.items():
        condition = f" WHERE {required} IS NOT NULL" if required else ""
        op.execute(
            f"CREATE INDEX {name} ON statements "
            f"(lrs_id, {', '.join(columns)}, timestamp DESC, id){condition}"
        )
