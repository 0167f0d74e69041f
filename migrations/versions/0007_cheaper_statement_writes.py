"""Cheaper statement writes: lz4 for the statement JSON, partial indexes for optional columns.

* A stored statement row passes PostgreSQL's 2 kB TOAST threshold, so every insert compresses
  ``statement`` (and ``queriables``). With the default pglz that was a ninth of the insert COPY's
  work in a profile; lz4 compresses (and decompresses) several times faster at a similar size.
  Rows already stored keep their pglz data. PostgreSQL 13, or a server built without lz4, keeps
  pglz.
* The actor mbox, actor account and registration indexes only serve equality filters on those
  columns, which imply the column is not NULL; so they now skip the rows where it is NULL (a
  statement has one actor IFI, and many have no registration) and the planner still picks them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_OPTIONAL_INDEXES = {
    "statements_actor_mbox": ("actor_mbox", "actor_mbox"),
    "statements_actor_account": (
        "actor_account_name, actor_account_homepage",
        "actor_account_name",
    ),
    "statements_registration": ("registration", "registration"),
}
_COMPRESSED = ("statement", "queriables")


def _set_compression(method: str) -> None:
    """Per-column compression (PostgreSQL 14+); older servers and builds without lz4 keep pglz."""
    columns = ", ".join(f"ALTER COLUMN {c} SET COMPRESSION {method}" for c in _COMPRESSED)
    op.execute(
        f"""
        DO $$
        BEGIN
            IF current_setting('server_version_num')::int >= 140000 THEN
                EXECUTE 'ALTER TABLE statements {columns}';
            END IF;
        EXCEPTION WHEN feature_not_supported THEN
            RAISE NOTICE 'statements keep their compression: %', SQLERRM;
        END $$
        """
    )


def _index(name: str, columns: str, where: str | None) -> None:
    op.execute(f"DROP INDEX IF EXISTS {name}")
    condition = f" WHERE {where} IS NOT NULL" if where else ""
    op.execute(
        f"CREATE INDEX {name} ON statements (lrs_id, {columns}, timestamp DESC, id){condition}"
    )


def upgrade() -> None:
    _set_compression("lz4")
    for name, (columns, required) in _OPTIONAL_INDEXES.items():
        _index(name, columns, required)


def downgrade() -> None:
    for name, (columns, _required) in _OPTIONAL_INDEXES.items():
        _index(name, columns, None)
    _set_compression("pglz")
