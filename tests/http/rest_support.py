"""Helpers for the REST v2 tests: a valid body for every writable model, and a second tenant."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lrs.tenancy.service import new_client, new_lrs, new_organisation
from tests.http.conftest import Api, basic_auth

API = "/api/v2"


def create(
    api: Api, model: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    """POST a model and return its body (asserting 201)."""
    response = api.client.simulate_post(f"{API}/{model}", json=body, headers=headers or api.auth)
    assert response.status_code == 201, response.text
    return response.json


def _persona(api: Api, headers: dict[str, str]) -> str:
    return create(api, "persona", {"name": "Someone"}, headers)["_id"]


def _journey(api: Api, headers: dict[str, str]) -> str:
    return create(api, "journey", {"description": "J"}, headers)["_id"]


# model -> (body maker, a field to patch, its new value)
SAMPLES: dict[str, tuple[Callable[[Api, dict[str, str]], dict[str, Any]], str, Any]] = {
    "client": (lambda api, h: {"title": "A client", "scopes": ["xapi/read"]}, "title", "B"),
    "dashboard": (lambda api, h: {"title": "Dash", "widgets": []}, "title", "Dash 2"),
    "download": (lambda api, h: {"name": "A download"}, "name", "Renamed"),
    "export": (lambda api, h: {"name": "An export"}, "name", "Renamed"),
    "journey": (lambda api, h: {"description": "A journey"}, "isActive", True),
    "journeyprogress": (
        lambda api, h: {"journey": _journey(api, h), "isCompleted": False},
        "isCompleted",
        True,
    ),
    "persona": (lambda api, h: {"name": "Ann"}, "name", "Anne"),
    "personaidentifier": (
        lambda api, h: {
            "persona": _persona(api, h),
            "ifi": {"key": "mbox", "value": "mailto:ann@example.com"},
        },
        "locked",
        True,
    ),
    "query": (lambda api, h: {"name": "Q", "conditions": {"verbs": "x"}}, "name", "Q2"),
    "role": (lambda api, h: {"title": "R", "scopes": ["org/all/query/view"]}, "title", "R2"),
    "store": (lambda api, h: {"title": "Example Store"}, "title", "Patched Title"),
    "lrs": (lambda api, h: {"title": "Example Store"}, "title", "Patched Title"),
    "user": (lambda api, h: {"email": "ann@example.com", "name": "Ann"}, "name", "Anne"),
    "visualisation": (lambda api, h: {"description": "V", "type": "LEADERBOARD"}, "stacked", False),
}
WRITABLE_MODELS = sorted(SAMPLES)


@dataclass
class Tenant:
    """Another organisation with a store and an ``all`` client."""

    organisation_id: str
    lrs_id: str
    headers: dict[str, str]


def second_tenant(api: Api, scopes: tuple[str, ...] = ("all",)) -> Tenant:
    """Create another organisation, its store and a client, straight in the store."""
    organisation = new_organisation("Other organisation")
    api.store.add_organisation(organisation)
    lrs = new_lrs(organisation.id, "Other store")
    api.store.add_lrs(lrs)
    issued = new_client(organisation.id, lrs.id, title="Other client", scopes=list(scopes))
    api.store.add_client(issued.client)
    return Tenant(organisation.id, lrs.id, basic_auth(issued.client.basic_key, issued.secret))


def client_headers(api: Api, scopes: list[str], lrs_id: str | None = None) -> dict[str, str]:
    """Credentials of a new client of the bootstrap organisation with these scopes."""
    tenant = api.tenant
    issued = new_client(tenant.organisation.id, lrs_id, title="Scoped", scopes=scopes)
    api.store.add_client(issued.client)
    return basic_auth(issued.client.basic_key, issued.secret)
