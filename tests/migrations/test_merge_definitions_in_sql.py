"""Migration 0008: the definition merge function, both ways, and its rule on a few cases."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from alembic import command

from lrs.ops.migrate import alembic_config, upgrade_to_head
from lrs.statements.definitions import merge_definition
from tests.migrations.database import connected
from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres

CASES: list[tuple[dict[str, Any] | None, dict[str, Any]]] = [
    (None, {"name": {"en": "a"}}),
    ({"name": {"en": "a"}}, {"name": {"fr": "b"}, "type": "http://t"}),
    ({"name": {"en": "a"}, "type": "http://t"}, {"name": "flat", "type": "http://u"}),
    ({"description": "flat"}, {"description": {"en": "d"}}),
    ({"extensions": {"x": 1, "y": [1]}}, {"extensions": {"y": 2}, "moreInfo": "http://m"}),
    ({"choices": [{"id": "a"}], "interactionType": "choice"}, {"choices": [{"id": "b"}]}),
]


def _merged_in_sql(url: str) -> list[dict[str, Any]] | None:
    with connected(url) as conn:
        exists = conn.execute(
            sa.text("SELECT to_regprocedure('lrs_merge_activity_definition(jsonb, jsonb)')")
        ).scalar()
        if exists is None:
            return None
        return [
            conn.execute(
                sa.text(
                    "SELECT lrs_merge_activity_definition("
                    "CAST(:current AS jsonb), CAST(:incoming AS jsonb))"
                ),
                {
                    "current": None if current is None else orjson.dumps(current).decode(),
                    "incoming": orjson.dumps(incoming).decode(),
                },
            ).scalar()
            for current, incoming in CASES
        ]


def test_upgrade_and_downgrade(pg_server: PostgresServer) -> None:
    url = pg_server.create_database()
    upgrade_to_head(url)
    assert _merged_in_sql(url) == [merge_definition(current, new) for current, new in CASES]

    command.downgrade(alembic_config(url), "0007")
    assert _merged_in_sql(url) is None

    upgrade_to_head(url)
    assert _merged_in_sql(url) is not None
