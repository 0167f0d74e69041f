"""Migrations 0011 and 0013: lookup terms move from the ``terms`` array to ``statement_terms``
(0011), a narrow term's ``related_*`` twin row goes (0013), and both come back on a downgrade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from lrs.ops.migrate import alembic_config, upgrade_to_head
from lrs.statements.build import build_record
from lrs.statements.record import StatementFilter, StatementQuery, record_terms
from lrs.store.postgres import PostgresStore, create_engine
from lrs.store.postgres.records import _queriables_from_json
from lrs.store.postgres.terms import stored_terms
from lrs.tenancy.service import bootstrap
from lrs.xapi.queriables import compute_queriables
from tests.pg import PostgresServer

pytestmark = pytest.mark.postgres
T0 = datetime(2026, 4, 1, tzinfo=UTC)
VERB = "http://example.com/verbs/did"


def _bodies() -> list[dict[str, object]]:
    bodies: list[dict[str, object]] = [
        {
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "actor": {"mbox": f"mailto:user{i % 3}@example.com"},
            "verb": {"id": VERB if i % 2 else "http://example.com/verbs/saw"},
            "object": {"id": f"http://example.com/a/{i % 4}"},
            "context": {
                "registration": f"00000000-0000-4000-9000-{i % 2:012d}",
                "contextActivities": {"parent": [{"id": "http://example.com/course"}]},
            },
        }
        for i in range(12)
    ]
    # A StatementRef to statement 0: it is found by statement 0's terms too.
    bodies.append(
        {
            "actor": {"mbox": "mailto:other@example.com"},
            "verb": {"id": "http://example.com/verbs/liked"},
            "object": {"objectType": "StatementRef", "id": "00000000-0000-4000-8000-000000000000"},
        }
    )
    return bodies


FILTERS = [
    StatementFilter(verb="http://example.com/verbs/saw"),
    StatementFilter(verb=VERB),
    StatementFilter(agent="mailto:user1@example.com"),
    StatementFilter(activity="http://example.com/course", related_activities=True),
    StatementFilter(activity="http://example.com/a/0"),
    StatementFilter(registration="00000000-0000-4000-9000-000000000001", verb=VERB),
    StatementFilter(agent="mailto:other@example.com", related_agents=True),
]


def test_upgrade_moves_terms_to_the_side_table_and_downgrade_brings_them_back(
    pg_server: PostgresServer,
) -> None:
    url = pg_server.create_database()
    upgrade_to_head(url)
    engine = create_engine(url)
    store = PostgresStore(engine)
    tenant = bootstrap(store, key="terms", secret="terms")
    assert tenant is not None
    lrs_id = tenant.lrs.id
    for n, body in enumerate(_bodies()):  # one statement a batch: the ref arrives after
        record = build_record(
            body, client=tenant.issued.client, lrs_id=lrs_id, stored=T0 + timedelta(seconds=n)
        )
        store.insert_statements(lrs_id, [record])

    def pages() -> list[list[str]]:
        return [
            [row.id for row in store.find_statements(StatementQuery(lrs_id, f, limit=50))]
            for f in FILTERS
        ]

    def term_rows() -> list[tuple[object, ...]]:
        with engine.connect() as conn:
            return sorted(
                tuple(row)
                for row in conn.execute(
                    sa.text(
                        "SELECT d.lrs_id, d.term, t.stored, t.id FROM statement_terms t "
                        "JOIN statement_term_ids d USING (term_id)"
                    )
                )
            )

    before, rows = pages(), term_rows()
    assert all(before) and len(before[-1]) == 1
    # The StatementRef carries statement 0's verb: it is on that verb's page.
    assert len(before[0]) == 7 and len(before[1]) == 6
    with engine.connect() as conn:
        lookup = {
            record_id: set(
                record_terms(
                    compute_queriables(statement)
                    if queriables is None
                    else _queriables_from_json(queriables)
                )
            )
            for record_id, queriables, statement in conn.execute(
                sa.text("SELECT id, queriables, statement FROM statements")
            )
        }
    kept: dict[object, set[object]] = {}
    for _, term, _, record_id in rows:
        kept.setdefault(record_id, set()).add(term)
    # Each statement's rows are its lookup terms without the related twins of narrow ones.
    assert kept == {record_id: set(stored_terms(terms)) for record_id, terms in lookup.items()}
    assert any(len(stored_terms(terms)) < len(terms) for terms in lookup.values())
    engine.dispose()

    command.downgrade(alembic_config(url), "0012")
    assert {(term, record_id) for _, term, _, record_id in term_rows()} == {
        (term, record_id) for record_id, terms in lookup.items() for term in terms
    }
    command.downgrade(alembic_config(url), "0010")
    with engine.connect() as conn:
        arrays = dict(conn.execute(sa.text("SELECT id, terms FROM statements")).all())
    assert {record_id: set(terms) for record_id, terms in arrays.items()} == lookup
    engine.dispose()

    upgrade_to_head(url)
    assert term_rows() == rows
    assert pages() == before
    engine.dispose()
