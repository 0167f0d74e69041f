"""Tenant isolation on every route: a client of store A, and an organisation-wide client of
organisation A, can neither see nor change anything of store A2 or organisation B (both stores).

The requests come from ``cases.ISOLATION``, one entry per route and method of the app; a test
fails when the app has a route or method without an entry.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from falcon import testing

from lrs.core.ids import new_object_id
from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.http.openapi.builder import routes_of
from lrs.models.registry import MODELS
from lrs.store.memory import MemoryStore
from tests.isolation.cases import ISOLATION, Case
from tests.isolation.world import API, VERSION, XAPI, Party, World, document_params

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")
_BOUNDARY = re.compile(r"xapi-[0-9a-f]{32}")
# When an aggregateAsync run started and completed (Learning Locker's moment format).
_RUN_INSTANT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+00:00")


def app_routes() -> set[tuple[str, str]]:
    """Every (URI template, method) the app serves, from Falcon's route table."""
    app = create_app(Settings(metrics=True), MemoryStore())
    return {(route.template, method) for route in routes_of(app) for method in route.methods}


def test_every_route_and_method_has_isolation_cases() -> None:
    routes = app_routes()
    assert routes - set(ISOLATION) == set(), "routes with no isolation case"
    assert set(ISOLATION) - routes == set(), "isolation cases for routes the app lacks"


def _fresh(value: str) -> str:
    if _UUID.fullmatch(value):
        return str(uuid.uuid4())
    if _OBJECT_ID.fullmatch(value):
        return new_object_id()
    return f"{value[:4]}{uuid.uuid4().hex}"


def _swap(text: str, table: dict[str, str]) -> str:
    for old, new in table.items():
        text = text.replace(old, new)
    return text


def _send(
    world: World, party: Party, case: Case, table: dict[str, str] | None = None
) -> testing.Result:
    swap = (lambda text: _swap(text, table)) if table else (lambda text: text)
    headers = {**party.headers, **(VERSION if case.xapi else {}), **(case.headers or {})}
    params = {k: swap(v) for k, v in (case.params or {}).items()}
    body = None if case.body is None else swap(orjson.dumps(case.body).decode())
    if body is not None:
        headers["Content-Type"] = "application/json"
    return world.client.simulate_request(
        case.method, swap(case.path), params=params or None, headers=headers, body=body
    )


def _request_text(case: Case) -> str:
    return f"{case.path} {orjson.dumps(case.params).decode()} {orjson.dumps(case.body).decode()}"


def _normalised(response: testing.Result, table: dict[str, str]) -> tuple[Any, ...]:
    """Status, content type and body, with request ids dropped and identifiers blanked."""
    text = response.text
    placeholders = {value: f"<{i}>" for i, value in enumerate(table)}
    placeholders |= {table[value]: f"<{i}>" for i, value in enumerate(table)}
    try:
        body = orjson.loads(text) if text else None
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict):
        body.pop("errorId", None)
        text = orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()
    text = _swap(text, placeholders)
    # Multipart boundaries, the ids of newly stored statements and the instants of a run differ
    # from call to call.
    text = _UUID.sub("<new id>", _BOUNDARY.sub("<boundary>", text))
    text = _RUN_INSTANT.sub("<instant>", text)
    content_type = _BOUNDARY.sub("<boundary>", response.headers.get("Content-Type") or "")
    return response.status_code, content_type, text


def assert_nothing_leaks(
    case: Case, response: testing.Result, secrets: set[str], *, bound: bool
) -> None:
    """None of the victim's ``secrets`` in the response unless the request named it; no 5xx,
    and no refusal of the attacker's credentials (a client not ``bound`` to a store gets 403
    from the xAPI, which needs a store)."""
    sent = _request_text(case)
    shown = response.text + " " + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    leaked = {value for value in secrets if value not in sent and value in shown}
    assert not leaked, (case, response.status_code, response.text[:500])
    assert response.status_code < 500, (case, response.text)
    refused = (401,) if case.xapi and not bound else (401, 403)
    assert response.status_code not in refused, (case, response.text)


def snapshot(world: World, victim: Party, models: bool) -> dict[str, Any]:
    """Everything of the victim's, as the victim reads it."""
    c = world.client
    out: dict[str, Any] = {}
    listed = c.simulate_get(f"{XAPI}/statements", params={"limit": "1000"}, headers=victim.xapi())
    out["statements"] = listed.json
    for statement_id in victim.statement_ids:
        one = c.simulate_get(
            f"{XAPI}/statements",
            params={"statementId": statement_id, "attachments": "true"},
            headers=victim.xapi(),
        )
        out[statement_id] = (one.status_code, victim.hidden.encode() in one.content)
    for path, params in document_params(victim).items():
        doc = c.simulate_get(f"{XAPI}/{path}", params=params, headers=victim.xapi())
        out[path] = (doc.status_code, doc.text, doc.headers.get("ETag"))
    names = MODELS if models else ["statement"]
    for model in names:
        response = c.simulate_get(
            f"{API}/{model}", params={"limit": "1000"}, headers=victim.headers
        )
        out[model] = response.json
    if victim.download_id:
        csv = c.simulate_get(
            f"/api/organisation/{victim.organisation_id}/downloadexport/{victim.download_id}.csv",
            headers=victim.headers,
        )
        out["download"] = (csv.status_code, csv.text)
    return out


SCENARIOS = {
    "store A -> store A2": ("a_store", "a2"),
    "store A -> organisation B": ("a_store", "b"),
    "organisation A -> organisation B": ("a_org", "b"),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_attacker_neither_sees_nor_changes_the_victims_data(world: World, scenario: str) -> None:
    attacker: Party = getattr(world, SCENARIOS[scenario][0])
    victim: Party = getattr(world, SCENARIOS[scenario][1])
    other_organisation = victim.organisation_id != attacker.organisation_id
    before = snapshot(world, victim, models=other_organisation)
    made = {route: maker(attacker, victim) for route, maker in ISOLATION.items()}
    if other_organisation:
        assert [route for route, some in made.items() if not some] == []
    cases = [case for some in made.values() for case in some]
    cases.sort(key=lambda case: not case.is_read)  # reads first, then writes
    secrets = victim.secrets()
    if not other_organisation:
        # Scope ``all`` manages the whole organisation's models (store A2 and its clients
        # included); only A2's statements and documents are out of store A's reach.
        secrets = {victim.marker, victim.hidden, *victim.statement_ids, *victim.statement_doc_ids}
    table = {value: _fresh(value) for value in secrets}
    mismatches = []
    for case in cases:
        attacked = _send(world, attacker, case)
        assert_nothing_leaks(case, attacked, secrets, bound=attacker.lrs_id is not None)
        if case.control:
            control = _send(world, attacker, case, table)
            if _normalised(attacked, table) != _normalised(control, table):
                mismatches.append(
                    (
                        case,
                        attacked.status_code,
                        attacked.text[:300],
                        control.status_code,
                        control.text[:300],
                    )
                )
    assert not mismatches, "\n".join(map(str, mismatches))
    assert snapshot(world, victim, models=other_organisation) == before
    assert len(cases) > 50


def test_alternate_syntax_reads_answer_as_for_ids_that_exist_nowhere(world: World) -> None:
    attacker, victim = world.a_store, world.b
    fresh = str(uuid.uuid4())

    def read(statement_id: str) -> testing.Result:
        form = {
            "Authorization": attacker.headers["Authorization"],
            "X-Experience-API-Version": "1.0.3",
            "statementId": statement_id,
        }
        return world.client.simulate_post(
            f"{XAPI}/statements",
            params={"method": "GET"},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body="&".join(f"{k}={quote(v, safe='')}" for k, v in form.items()),
        )

    theirs, nobodys = read(victim.statement_ids[0]), read(fresh)
    table = {victim.statement_ids[0]: fresh}
    assert theirs.status_code == 404
    assert _normalised(theirs, table) == _normalised(nobodys, table)
    assert victim.hidden not in theirs.text


def _ids_derivable_from(own_id: str, at_second: str, spread: int) -> set[str]:
    """Every id a client could derive from one of its own for a given second: the id with its
    second replaced and a 3-byte counter moved by up to ``spread``, wherever the counter sits
    (MongoDB puts it last, after a random part fixed per process; lrs puts it right after the
    second, before a random part drawn per id)."""
    derived = set()
    for start in (4, 9):
        counter = int(own_id[start * 2 : start * 2 + 6], 16)
        for step in range(-spread, spread + 1):
            field = f"{(counter + step) % 2**24:06x}"
            derived.add(at_second + own_id[8 : start * 2] + field + own_id[start * 2 + 6 :])
    return derived


def test_another_organisations_ids_cannot_be_derived_from_ones_own(world: World) -> None:
    """A PUT to an id another organisation holds answers 404 (it cannot be created there), where
    a free id is created: ids are global, so PUT tells that a known id is taken, and no more.
    What keeps that from being a way to find other tenants' models is that ids cannot be
    guessed: the models created around one's own (here the victim's, created moments before by
    the same process) are not among the ids derivable from it."""
    attacker, victim = world.a_store, world.b
    created = world.client.simulate_post(
        f"{API}/persona", json={"name": "mine"}, headers=attacker.headers
    )
    assert created.status_code == 201, created.text
    theirs = victim.models["persona"]
    assert theirs not in _ids_derivable_from(created.json["_id"], theirs[:8], 10_000)

    probe = world.client.simulate_put(
        f"{API}/persona/{theirs}", json={"name": "x"}, headers=attacker.headers
    )
    assert probe.status_code == 404
    assert victim.hidden not in probe.text
    fresh = world.client.simulate_put(
        f"{API}/persona/{new_object_id()}", json={"name": "x"}, headers=attacker.headers
    )
    assert fresh.status_code == 201
