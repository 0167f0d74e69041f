"""Every route and method with every scope: 403 exactly when README's scope table says the scope
does not grant the route's access, otherwise no refusal (2xx, or a 4xx about the content).

The expectations are written out here from README.md ("Organisations, stores, clients") and the
route documentation, not computed with ``lrs.tenancy.scopes.allows``; the resources' own
declarations (``auth_exempt``, ``access``) are checked against the same table. Routes come from
Falcon's route table, so a new route or method fails ``test_every_route_has_scope_cases`` until
it is added here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from falcon import testing

from lrs.core.ids import new_object_id
from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.http.openapi.builder import routes_of
from lrs.models.registry import MODELS
from lrs.store.base import Store
from lrs.store.memory import MemoryStore
from lrs.tenancy.scopes import Access, Scope
from lrs.tenancy.service import bootstrap, new_client
from tests.http.conftest import basic_auth

PUBLIC = None  # no credentials needed

# README.md, "Organisations, stores, clients": which scopes allow what.
_READ_ANY = {"all", "all/read", "xapi/all", "xapi/read"}
README_GRANTS: dict[Access, frozenset[str]] = {
    Access.AUTHENTICATED: frozenset(s.value for s in Scope) | {""},
    Access.STATEMENTS_READ: frozenset(_READ_ANY | {"statements/read", "statements/read/mine"}),
    Access.STATEMENTS_WRITE: frozenset({"all", "xapi/all", "statements/write"}),
    Access.STATE_READ: frozenset(_READ_ANY | {"state"}),
    Access.STATE_WRITE: frozenset({"all", "xapi/all", "state"}),
    Access.PROFILE_READ: frozenset(_READ_ANY | {"profile"}),
    Access.PROFILE_WRITE: frozenset({"all", "xapi/all", "profile"}),
    Access.STATEMENTS_DELETE: frozenset({"statements/delete"}),
    Access.ADMIN: frozenset({"all"}),
}

XAPI = "/data/xAPI"
_DOCS = {
    "activities/state": (Access.STATE_READ, Access.STATE_WRITE),
    "activities/profile": (Access.PROFILE_READ, Access.PROFILE_WRITE),
    "agents/profile": (Access.PROFILE_READ, Access.PROFILE_WRITE),
}
_REST = (
    "/api/v2/{model}",
    "/api/v2/{model}/count",
    "/api/v2/{model}/{id}",
    "/api/v2/{model}/{id}/{verb}",
)
_MODEL_ROUTES = (*_REST, "/api/connection/{model}")

# What each resource declares to the authentication middleware, per (template, method).
DECLARED: dict[tuple[str, str], Access | None] = {
    (f"{XAPI}/about", "GET"): PUBLIC,
    ("/health", "GET"): PUBLIC,
    ("/ready", "GET"): PUBLIC,
    ("/ready", "HEAD"): PUBLIC,
    ("/metrics", "GET"): PUBLIC,
    ("/api/openapi.json", "GET"): PUBLIC,
    ("/api/auth/client/info", "GET"): Access.AUTHENTICATED,
    (f"{XAPI}/statements", "GET"): Access.STATEMENTS_READ,
    (f"{XAPI}/statements", "HEAD"): Access.STATEMENTS_READ,
    (f"{XAPI}/statements", "PUT"): Access.STATEMENTS_WRITE,
    (f"{XAPI}/statements", "POST"): Access.STATEMENTS_WRITE,
    (f"{XAPI}/activities", "GET"): Access.PROFILE_READ,
    (f"{XAPI}/activities", "HEAD"): Access.PROFILE_READ,
    (f"{XAPI}/agents", "GET"): Access.PROFILE_READ,
    (f"{XAPI}/agents", "HEAD"): Access.PROFILE_READ,
    **{
        (f"{XAPI}/{path}", method): read if method in ("GET", "HEAD") else write
        for path, (read, write) in _DOCS.items()
        for method in ("GET", "HEAD", "PUT", "POST", "DELETE")
    },
    # The model routes accept any client and check the model's access themselves (below).
    ("/api/connection/{model}", "GET"): Access.AUTHENTICATED,
    **{("/api/statements/aggregate", m): Access.STATEMENTS_READ for m in ("GET", "POST")},
    ("/api/statements/aggregateAsync", "GET"): Access.STATEMENTS_READ,
    **{("/api/v2/{model}", m): Access.AUTHENTICATED for m in ("GET", "POST", "PUT", "PATCH")},
    ("/api/v2/{model}/count", "GET"): Access.AUTHENTICATED,
    **{
        ("/api/v2/{model}/{id}", m): Access.AUTHENTICATED
        for m in ("GET", "PUT", "POST", "PATCH", "DELETE")
    },
    ("/api/v2/{model}/{id}/{verb}", "POST"): Access.AUTHENTICATED,
    ("/api/organisation/{organisation}/downloadexport/{download}.csv", "GET"): Access.ADMIN,
}


# Refused to every client whatever its scopes (README: a client belongs to one organisation).
FORBIDDEN_TO_ALL = {("/api/v2/{model}", "POST", "organisation")}


def effective(template: str, method: str, model: str | None) -> Access | None:
    """The access a request needs in the end: README's rule for the model routes (statements
    need a read scope, and ``statements/delete`` to delete; every other model needs ``all``)."""
    if template not in _MODEL_ROUTES:
        return DECLARED[(template, method)]
    if model != "statement":
        return Access.ADMIN
    if method == "DELETE":
        return Access.STATEMENTS_DELETE
    return Access.STATEMENTS_READ


def app_routes() -> dict[tuple[str, str], Any]:
    """Every (URI template, method) the app serves, with its resource."""
    app = create_app(Settings(metrics=True), MemoryStore())
    return {(r.template, m): r.resource for r in routes_of(app) for m in r.methods}


def test_every_route_has_scope_cases() -> None:
    routes = set(app_routes())
    assert routes - set(DECLARED) == set(), "routes with no scope expectation"
    assert set(DECLARED) - routes == set(), "scope expectations for routes the app lacks"
    assert routes - set(REQUESTS) == set(), "routes with no scope request"


def test_resources_declare_what_the_table_says() -> None:
    for (template, method), resource in app_routes().items():
        expected = DECLARED[(template, method)]
        exempt = bool(getattr(resource, "auth_exempt", False))
        assert exempt == (expected is PUBLIC), (template, method)
        if expected is not PUBLIC:
            declared = getattr(resource, "access", {}).get(method, Access.ADMIN)
            assert declared is expected, (template, method, declared)


def test_readme_table_matches_the_scopes_module() -> None:
    # The same table the unit tests pin, from the README side: a scope the README does not list
    # (or one the code lacks) shows up here.
    assert {s.value for s in Scope} == set(README_GRANTS[Access.AUTHENTICATED]) - {""}


# --- the requests -----------------------------------------------------------------------------


@dataclass
class Call:
    """One request, valid apart from authorisation."""

    method: str
    path: str
    params: dict[str, str] | None = None
    body: Any = None
    headers: dict[str, str] | None = None


Maker = Callable[[str, str | None], Call]  # (organisation id, model) -> request
AGENT = orjson.dumps({"mbox": "mailto:scopes@example.com"}).decode()
ACTIVITY = "http://example.com/activities/scopes"


def _statement() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:scopes@example.com"},
        "verb": {"id": "http://example.com/verbs/did"},
        "object": {"id": ACTIVITY},
    }


def _doc_params(path: str) -> dict[str, str]:
    fresh = uuid.uuid4().hex
    if path == "activities/state":
        return {"activityId": ACTIVITY, "agent": AGENT, "stateId": fresh}
    if path == "activities/profile":
        return {"activityId": ACTIVITY, "profileId": fresh}
    return {"agent": AGENT, "profileId": fresh}


def _doc(path: str, method: str) -> Maker:
    def make(org: str, model: str | None) -> Call:
        body = {"k": 1} if method in ("PUT", "POST") else None
        headers = {"If-None-Match": "*"} if method == "PUT" and path.endswith("profile") else None
        return Call(method, f"{XAPI}/{path}", _doc_params(path), body, headers)

    return make


def _one_model(method: str) -> Maker:
    def make(org: str, model: str | None) -> Call:
        body = None if method in ("GET", "DELETE") else {}
        return Call(method, f"/api/v2/{model}/{new_object_id()}", body=body)

    return make


def _fixed(method: str, path: str, params: dict[str, str] | None = None, body: Any = None) -> Maker:
    return lambda org, model: Call(method, path, params, body)


REQUESTS: dict[tuple[str, str], Maker] = {
    (f"{XAPI}/about", "GET"): _fixed("GET", f"{XAPI}/about"),
    ("/health", "GET"): _fixed("GET", "/health"),
    ("/ready", "GET"): _fixed("GET", "/ready"),
    ("/ready", "HEAD"): _fixed("HEAD", "/ready"),
    ("/metrics", "GET"): _fixed("GET", "/metrics"),
    ("/api/openapi.json", "GET"): _fixed("GET", "/api/openapi.json"),
    ("/api/auth/client/info", "GET"): _fixed("GET", "/api/auth/client/info"),
    (f"{XAPI}/statements", "GET"): _fixed("GET", f"{XAPI}/statements"),
    (f"{XAPI}/statements", "HEAD"): _fixed("HEAD", f"{XAPI}/statements"),
    (f"{XAPI}/statements", "POST"): lambda org, model: Call(
        "POST", f"{XAPI}/statements", body=_statement()
    ),
    (f"{XAPI}/statements", "PUT"): lambda org, model: (
        lambda s: Call("PUT", f"{XAPI}/statements", {"statementId": s["id"]}, s)
    )(_statement()),
    **{
        (f"{XAPI}/activities", m): _fixed(m, f"{XAPI}/activities", {"activityId": ACTIVITY})
        for m in ("GET", "HEAD")
    },
    **{
        (f"{XAPI}/agents", m): _fixed(m, f"{XAPI}/agents", {"agent": AGENT})
        for m in ("GET", "HEAD")
    },
    **{
        (f"{XAPI}/{path}", m): _doc(path, m)
        for path in _DOCS
        for m in ("GET", "HEAD", "PUT", "POST", "DELETE")
    },
    ("/api/connection/{model}", "GET"): lambda org, model: Call("GET", f"/api/connection/{model}"),
    ("/api/statements/aggregate", "GET"): _fixed(
        "GET", "/api/statements/aggregate", {"pipeline": '[{"$count": "n"}]'}
    ),
    ("/api/statements/aggregateAsync", "GET"): _fixed(
        "GET", "/api/statements/aggregateAsync", {"pipeline": '[{"$count": "n"}]'}
    ),
    ("/api/statements/aggregate", "POST"): lambda org, model: Call(
        "POST", "/api/statements/aggregate", body={"pipeline": [{"$count": "n"}]}
    ),
    ("/api/v2/{model}", "GET"): lambda org, model: Call("GET", f"/api/v2/{model}"),
    ("/api/v2/{model}", "POST"): lambda org, model: Call("POST", f"/api/v2/{model}", body={}),
    ("/api/v2/{model}", "PUT"): lambda org, model: Call("PUT", f"/api/v2/{model}", body=[]),
    ("/api/v2/{model}", "PATCH"): lambda org, model: Call("PATCH", f"/api/v2/{model}", body=[]),
    ("/api/v2/{model}/count", "GET"): lambda org, model: Call("GET", f"/api/v2/{model}/count"),
    **{
        ("/api/v2/{model}/{id}", m): _one_model(m)
        for m in ("GET", "PUT", "POST", "PATCH", "DELETE")
    },
    ("/api/v2/{model}/{id}/{verb}", "POST"): lambda org, model: Call(
        "POST", f"/api/v2/{model}/{new_object_id()}/regenerate", body={}
    ),
    ("/api/organisation/{organisation}/downloadexport/{download}.csv", "GET"): lambda org, model: (
        Call("GET", f"/api/organisation/{org}/downloadexport/{new_object_id()}.csv")
    ),
}


def _send(client: testing.TestClient, call: Call, headers: dict[str, str]) -> testing.Result:
    all_headers = {**headers, **(call.headers or {})}
    if call.path.startswith(XAPI):
        all_headers["X-Experience-API-Version"] = "1.0.3"
    body = None
    if call.body is not None:
        body = orjson.dumps(call.body)
        all_headers["Content-Type"] = "application/json"
    return client.simulate_request(
        call.method, call.path, params=call.params, headers=all_headers, body=body
    )


@pytest.fixture
def scoped(store: Store) -> tuple[testing.TestClient, str, dict[str, dict[str, str]]]:
    """The app, the organisation id, and credentials of one store-bound client per scope (and
    one with no scope, under the key "")."""
    tenant = bootstrap(store, key="bootstrap-key", secret="bootstrap-secret")
    assert tenant is not None
    headers = {}
    for scope in ["", *(s.value for s in Scope)]:
        issued = new_client(
            tenant.organisation.id, tenant.lrs.id, title=scope, scopes=[scope] if scope else []
        )
        store.add_client(issued.client)
        headers[scope] = basic_auth(issued.client.basic_key, issued.secret)
    app = create_app(Settings(auth_cache_seconds=0, metrics=True), store)
    return testing.TestClient(app), tenant.organisation.id, headers


def test_every_route_with_every_scope(
    scoped: tuple[testing.TestClient, str, dict[str, dict[str, str]]], store: Store
) -> None:
    client, organisation_id, headers = scoped
    # Storage does not decide authorisation; PostgreSQL runs a few models, memory all of them.
    models = (
        sorted(MODELS) if isinstance(store, MemoryStore) else ["client", "persona", "statement"]
    )
    wrong = []
    count = 0
    for (template, method), make in REQUESTS.items():
        for model in models if template in _MODEL_ROUTES else [None]:
            access = effective(template, method, model)
            anonymous = _send(client, make(organisation_id, model), {})
            if access is PUBLIC:
                if not 200 <= anonymous.status_code < 300:
                    wrong.append((template, method, "anonymous", anonymous.status_code))
                continue
            if anonymous.status_code != 401:
                wrong.append((template, method, model, "anonymous", anonymous.status_code))
            for scope, auth in headers.items():
                response = _send(client, make(organisation_id, model), auth)
                count += 1
                granted = scope in README_GRANTS[access]
                if (template, method, model) in FORBIDDEN_TO_ALL:
                    granted = False
                status = response.status_code
                if granted and (status in (401, 403) or status >= 500):
                    wrong.append((template, method, model, scope, status, response.text[:200]))
                if not granted and status != 403:
                    wrong.append((template, method, model, scope, status, response.text[:200]))
    assert not wrong, "\n".join(map(str, wrong))
    assert count > 300
