"""Alembic environment: runs our migrations online against the URL lrs.ops.migrate put in the config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from lrs.store.schema import metadata

target_metadata = metadata


def run_migrations_online() -> None:
    """Run migrations in one transaction on a dedicated connection."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `lrs migrate`")
run_migrations_online()
