"""Concurrent ``lrs import`` runs (``lrs.ops.importing``, as the command runs it) of
overlapping NDJSON files into one PostgreSQL store: every statement lands exactly once."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from lrs.ops.importing import ImportSummary, import_statements
from lrs.store.postgres import PostgresStore
from lrs.tenancy.service import bootstrap
from tests.races.conftest import race

pytestmark = pytest.mark.postgres

ROUNDS = 3
IMPORTERS = 3
PER_FILE = 240
OVERLAP = 120  # each file shares this many statements with the next one


def statement(n: int) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "actor": {"mbox": f"mailto:learner{n % 7}@example.com", "objectType": "Agent"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": f"http://example.com/activities/{n % 11}"},
    }


def ndjson_file(first: int, round_no: int) -> bytes:
    """``PER_FILE`` statements from ``first`` on, in an order of their own, plus one invalid
    line (its own position in each file, so rejects are counted per import)."""
    numbers = list(range(first, first + PER_FILE))
    parity = round_no % 2
    numbers = numbers[parity::2] + numbers[1 - parity :: 2][::-1]
    lines = [orjson.dumps(statement(n)) for n in numbers]
    lines.insert(first % 17, b'{"id": "not-a-uuid"}')
    return b"".join(line + b"\n" for line in lines)


def test_overlapping_imports_store_each_statement_once(postgres_store: PostgresStore) -> None:
    for round_no in range(ROUNDS):
        postgres_store.reset()
        tenant = bootstrap(postgres_store, key="import-key", secret="import-secret")
        assert tenant is not None
        starts = [i * (PER_FILE - OVERLAP) for i in range(IMPORTERS)]
        files = [ndjson_file(start, round_no) for start in starts]
        distinct = {n for start in starts for n in range(start, start + PER_FILE)}

        def run(i: int, files: list[bytes] = files, tenant: Any = tenant) -> ImportSummary:
            return import_statements(
                postgres_store,
                tenant.lrs.id,
                io.BytesIO(files[i]),
                client=tenant.issued.client,
                batch_size=25 + 10 * i,
            )

        summaries = race(IMPORTERS, run)
        for summary in summaries:
            assert summary.stopped_by is None, summary
            assert summary.read == PER_FILE + 1
            assert summary.rejected == 1, summary.rejections
            assert summary.stored + summary.already_present == summary.read - summary.rejected
        assert sum(s.stored for s in summaries) == len(distinct)
        assert sum(s.already_present for s in summaries) == IMPORTERS * PER_FILE - len(distinct)
        with postgres_store.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT count(*), count(DISTINCT statement_id) FROM statements "
                    "WHERE lrs_id = :lrs_id"
                ),
                {"lrs_id": tenant.lrs.id},
            ).one()
        assert tuple(rows) == (len(distinct), len(distinct))
        lrs = postgres_store.get_lrs(tenant.lrs.id)
        assert lrs is not None and lrs.statement_count == len(distinct)
