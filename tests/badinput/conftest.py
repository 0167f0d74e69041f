"""The bad-input harness: a seeded app over each store, a snapshot of everything the store holds,
the check every generated request goes through, and the case counts the run reports.

Budget: ``LRS_BADINPUT_EXAMPLES`` cases per route family against the memory store (default 2000),
``LRS_BADINPUT_PG_EXAMPLES`` against PostgreSQL (default 2000 too; lower it for a quick run). The
whole suite takes about a minute on 2 cores. Raise both for a longer local run. Generation is
derandomized, so a failure in CI reproduces locally with the same settings.
"""

from __future__ import annotations

import hashlib
import os
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from falcon import testing
from hypothesis import HealthCheck, Phase, settings

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.store import schema
from lrs.store.base import Store
from lrs.store.memory import MemoryStore
from lrs.store.postgres import PostgresStore
from lrs.tenancy.service import bootstrap
from tests.badinput.strategies import ACTIVITY, AGENT, DOC_ROUTES, Case
from tests.http.conftest import basic_auth
from tests.xapi.xapi_samples import full, minimal, substatement

MEMORY_EXAMPLES = int(os.environ.get("LRS_BADINPUT_EXAMPLES", "2000"))
PG_EXAMPLES = int(os.environ.get("LRS_BADINPUT_PG_EXAMPLES", "2000"))

CASES: Counter[tuple[str, str]] = Counter()
"""(route family, store kind) -> cases sent; printed at the end of the run."""


CASES_PER_EXAMPLE = 4
"""Cases sent by each hypothesis example: hypothesis' own work per example costs more than a
request through the app, so a few requests share it."""


def wanted(kind: str) -> int:
    """How many cases each family sends to a store of this kind."""
    return MEMORY_EXAMPLES if kind == "memory" else PG_EXAMPLES


def budget(kind: str) -> settings:
    """Hypothesis settings for one family on one store kind (``CASES_PER_EXAMPLE`` cases an
    example)."""
    return settings(
        max_examples=-(-wanted(kind) // CASES_PER_EXAMPLE),
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )


def _memory_snapshot(store: MemoryStore) -> str:
    # Reads may create empty defaultdict entries; only content counts.
    parts: list[Any] = [
        sorted((name, sorted(docs.items())) for name, docs in store._models.items() if docs),
        sorted(
            (
                lrs_id,
                sorted(s.by_id.items()),
                sorted(s.attachments.items()),
                sorted(s.definitions.items()),
            )
            for lrs_id, s in store._statements.items()
            if s.by_id or s.attachments or s.definitions
        ),
        sorted((key, sorted(docs.items())) for key, docs in store._documents.items() if docs),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _postgres_snapshot(store: PostgresStore) -> str:
    rows = []
    with store._engine.connect() as connection:
        for table in schema.metadata.sorted_tables:
            # The table names come from our own metadata, never from a request.
            count, digest = connection.execute(
                sa.text(
                    "SELECT count(*), "
                    "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                    f"FROM {table.name} AS t"
                )
            ).one()
            rows.append((table.name, count, digest))
    return repr(rows)


@dataclass
class Harness:
    """A seeded app over one store, and the check every generated case goes through."""

    kind: str
    store: Store
    client: testing.TestClient
    auth: dict[str, str]
    statement_ids: list[str]
    model_ids: dict[str, str]
    cursors: list[str] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)

    def snapshot(self) -> str:
        """A digest of everything the store holds (statements, attachments, documents, models)."""
        if isinstance(self.store, MemoryStore):
            return _memory_snapshot(self.store)
        assert isinstance(self.store, PostgresStore)
        return _postgres_snapshot(self.store)

    def send(self, case: Case) -> testing.Result:
        """Send ``case`` with the bootstrap client's credentials and xAPI version header (the
        case's own headers win)."""
        headers = {**self.auth, "X-Experience-API-Version": "1.0.3", **case.headers}
        return self.client.simulate_request(
            case.method,
            case.path,
            query_string=urllib.parse.urlencode(case.params) if case.params else None,
            headers=headers,
            body=case.body,
        )

    def check(self, case: Case, family: str) -> testing.Result:
        """Send ``case`` and assert: never a 5xx or a stack trace; a 4xx is JSON with ``message``
        and ``errorId``; a case that must be refused is a 4xx; a refused write changes nothing."""
        write = case.method not in ("GET", "HEAD")
        before = self.snapshot() if write else None
        response = self.send(case)
        CASES[(family, self.kind)] += 1
        context = f"{case.method} {case.path} {case.params!r} {case.headers!r} {case.note}: "
        text = response.content.decode("utf-8", errors="replace")
        detail = context + f"{response.status} {text[:500]!r}"
        assert response.status_code < 500, detail
        assert "Traceback" not in text and 'File "' not in text, detail
        assert response.status_code != 401, detail
        if response.status_code >= 400:
            assert response.headers.get("content-type", "").startswith("application/json"), detail
            body = orjson.loads(response.content)
            assert isinstance(body, dict), detail
            assert isinstance(body.get("message"), str) and body["message"], detail
            assert isinstance(body.get("errorId"), str), detail
        elif case.must_reject:
            raise AssertionError("accepted: " + detail)
        else:
            self.accepted[case.note.split(":")[0]] += 1
        if write and response.status_code >= 400:
            assert self.snapshot() == before, "a refused write changed the store: " + detail
        return response


def _seed(kind: str, store: Store) -> Harness:
    tenant = bootstrap(store, key="bad-key", secret="bad-secret")
    assert tenant is not None
    client = testing.TestClient(create_app(Settings(), store))
    auth = basic_auth("bad-key", "bad-secret")
    xapi = {**auth, "X-Experience-API-Version": "1.0.3"}
    statements = [full(), minimal(), substatement()]
    response = client.simulate_post("/data/xAPI/statements", headers=xapi, json=statements[1:])
    assert response.status_code == 200, response.text
    ids: list[str] = response.json
    response = client.simulate_put(
        "/data/xAPI/statements",
        params={"statementId": statements[0]["id"]},
        headers=xapi,
        json=statements[0],
    )
    assert response.status_code == 204, response.text
    ids.append(statements[0]["id"])
    for route, (id_param, needs_activity, needs_agent) in DOC_ROUTES.items():
        params = {id_param: "doc-a"}
        if needs_activity:
            params["activityId"] = ACTIVITY
        if needs_agent:
            params["agent"] = AGENT
        response = client.simulate_put(
            f"/data/xAPI/{route}",
            params=params,
            headers={**xapi, "If-None-Match": "*"},
            json={"k": 0},
        )
        assert response.status_code == 204, response.text
    model_ids: dict[str, str] = {}
    for model, body in (("persona", {"name": "P"}), ("query", {"name": "Q", "conditions": "{}"})):
        response = client.simulate_post(f"/api/v2/{model}", headers=auth, json=body)
        assert response.status_code in (200, 201), response.text
        model_ids[model] = response.json["_id"]
    model_ids["store"] = tenant.lrs.id
    model_ids["client"] = tenant.issued.client.id
    model_ids["organisation"] = tenant.organisation.id
    harness = Harness(kind, store, client, auth, ids, model_ids)
    for model, sort in (("statement", {"timestamp": -1}), ("persona", None), ("statement", None)):
        params = {"first": "1"}
        if sort is not None:
            params["sort"] = orjson.dumps(sort).decode()
        response = client.simulate_get(f"/api/connection/{model}", params=params, headers=auth)
        assert response.status_code == 200, response.text
        info = response.json["pageInfo"]
        harness.cursors += [c for c in (info.get("startCursor"), info.get("endCursor")) if c]
    return harness


@pytest.fixture
def harness(store: Store) -> Harness:
    """A seeded app over each store (memory, PostgreSQL)."""
    kind = "memory" if isinstance(store, MemoryStore) else "postgres"
    return _seed(kind, store)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report how many generated bad-input cases each family sent to each store."""
    if not CASES:
        return
    for (family, kind), count in sorted(CASES.items()):
        terminalreporter.write_line(f"bad-input cases: {family} on {kind}: {count}")
