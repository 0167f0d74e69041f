"""Migration 0015: the filter indexes move from generated columns to expressions, and back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from lrs.ops.migrate import alembic_config, upgrade_to_head
from lrs.query.parse import STATEMENTS, parse_filter
from lrs.statements.build import build_record
from lrs.store.find import FindQuery, StatementScope
from lrs.store.postgres import PostgresStore, create_engine
from lrs.tenancy.service import bootstrap
from tests.migrations.database import connected
from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres
INDEXES = (
    "statements_verb",
    "statements_object",
    "statements_actor_mbox",
    "statements_actor_account",
    "statements_registration",
)


def _definitions(url: str) -> dict[str, str]:
    with connected(url) as conn:
        return dict(
            conn.execute(
                sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(:n)"),
                {"n": list(INDEXES)},
            ).all()
        )


def test_filters_find_the_same_statements_through_either_layout(pg_server: PostgresServer) -> None:
    url = pg_server.create_database()
    upgrade_to_head(url)
    engine = create_engine(url)
    store = PostgresStore(engine)
    tenant = bootstrap(store, key="expr", secret="expr")
    assert tenant is not None
    bodies = [
        {
            "actor": {"mbox": "mailto:ann@example.com"}
            if n % 2
            else {"account": {"homePage": "https://lms.example.com", "name": "bob"}},
            "verb": {"id": f"http://example.com/verbs/{n % 3}"},
            "object": {"id": f"http://example.com/activities/{n % 4}"},
            "context": {"registration": "6fd2a3b2-9bd1-4f35-a0a8-9a0f0a5a8c11"} if n % 3 else {},
        }
        for n in range(12)
    ]
    records = [
        build_record(b, client=tenant.issued.client, lrs_id=tenant.lrs.id, stored=datetime.now(UTC))
        for b in bodies
    ]
    store.insert_statements(tenant.lrs.id, records)
    scope = StatementScope(tenant.lrs.organisation_id, tenant.lrs.id)
    filters = [
        {"statement.verb.id": "http://example.com/verbs/1"},
        {"statement.object.id": "http://example.com/activities/2"},
        {"statement.actor.mbox": "mailto:ann@example.com"},
        {
            "statement.actor.account.name": "bob",
            "statement.actor.account.homePage": "https://lms.example.com",
        },
        {"statement.context.registration": "6fd2a3b2-9bd1-4f35-a0a8-9a0f0a5a8c11"},
    ]

    def found() -> list[set[str]]:
        return [
            {
                doc["_id"]
                for doc in store.find_statement_documents(
                    scope, FindQuery(filter=parse_filter(f, STATEMENTS), limit=100)
                )
            }
            for f in filters
        ]

    expected = found()
    assert all(expected) and len(set(map(frozenset, expected))) == len(filters)
    assert all("statement #>>" in d for d in _definitions(url).values())
    engine.dispose()

    command.downgrade(alembic_config(url), "0014")
    with connected(url) as conn:
        copied = conn.execute(
            sa.text("SELECT count(*) FROM statements WHERE verb_id = statement #>> '{verb,id}'")
        ).scalar()
    assert copied == len(records)
    assert not any("statement #>>" in d for d in _definitions(url).values())
    upgrade_to_head(url)
    assert set(_definitions(url)) == set(INDEXES)
    assert found() == expected
    engine.dispose()
