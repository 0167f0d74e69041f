"""Alembic wiring: where the migrations are, bringing a database to head, checking it is there."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from lrs.core.errors import SchemaNotCurrent

_PACKAGE_DIR = Path(__file__).resolve().parents[1]
# An installed lrs carries them as lrs/migrations (setup.py maps the top-level folder there); a
# checkout (and an editable install) has them beside the package.
_CANDIDATES = (_PACKAGE_DIR / "migrations", _PACKAGE_DIR.parent / "migrations")


def migrations_dir() -> Path:
    """The folder holding Alembic's ``env.py`` and ``versions/``."""
    for candidate in _CANDIDATES:
        if (candidate / "env.py").is_file():
            return candidate
    raise SchemaNotCurrent(
        f"no migrations found in {' or '.join(str(c) for c in _CANDIDATES)}; "
        "the lrs installation is incomplete"
    )


def alembic_config(database_url: str) -> Config:
    """An Alembic ``Config`` for our migrations directory and this database."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    # Alembic's ini interpolation treats % specially; the URL may hold %-escapes.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    """The newest migration's revision id."""
    script = ScriptDirectory.from_config(alembic_config("postgresql://unused"))
    return script.get_current_head()


def upgrade_to_head(database_url: str) -> None:
    """Apply every pending migration to the database."""
    command.upgrade(alembic_config(database_url), "head")


def current_revision(connection: sa.Connection) -> str | None:
    """The revision the database is at, or None for an empty database."""
    return MigrationContext.configure(connection).get_current_revision()


def require_head(connection: sa.Connection) -> None:
    """Raise ``SchemaNotCurrent`` (naming ``lrs migrate``) unless the database is at head."""
    current = current_revision(connection)
    head = head_revision()
    if current != head:
        state = "has no lrs schema" if current is None else f"is at revision {current}"
        raise SchemaNotCurrent(
            f"the database {state}, but this lrs needs revision {head}: run `lrs migrate` "
            "(or `make migrate`) with the same LRS_DATABASE_URL first"
        )
