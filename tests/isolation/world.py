"""Two organisations, three stores and their clients, with data in each, behind the real app.

Organisation A has stores A and A2; organisation B has store B. Every store gets statements (one
with an attachment), a state document, an activity profile and an agent profile; organisation B
also gets one of every writable REST model and a ready download. Everything a tenant stores
carries its ``hidden`` string, which nobody else ever sends, so a leak is found by searching
bodies; identifiers (activity, agent, document ids) carry its ``marker``.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import falcon
import orjson
from falcon import testing

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.store.base import Store
from lrs.tenancy.service import bootstrap, new_client, new_lrs, new_organisation
from lrs.xapi.attachments import AttachmentPart, build_multipart
from tests.http.conftest import Api, basic_auth
from tests.http.rest_support import SAMPLES, WRITABLE_MODELS

XAPI = "/data/xAPI"
API = "/api/v2"
VERSION = {"X-Experience-API-Version": "1.0.3"}
FULL_SCOPES = ["all", "statements/delete"]


@dataclass
class Party:
    """A client and the tenant it belongs to, plus what that tenant stored."""

    name: str
    organisation_id: str
    lrs_id: str | None
    headers: dict[str, str]
    key: str
    secret: str
    marker: str = field(default_factory=lambda: f"mark{uuid.uuid4().hex}")
    # Only in what the tenant stores, never in an identifier, so no other client ever sends it.
    hidden: str = field(default_factory=lambda: f"hide{uuid.uuid4().hex}")
    statement_ids: list[str] = field(default_factory=list)
    statement_doc_ids: list[str] = field(default_factory=list)
    activity_id: str = ""
    agent: dict[str, Any] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    download_id: str = ""

    def xapi(self, **extra: str) -> dict[str, str]:
        """Headers for an xAPI request as this party."""
        return {**self.headers, **VERSION, **extra}

    def secrets(self) -> set[str]:
        """Strings of this tenant that must never reach another tenant's client."""
        values = {self.marker, self.hidden, self.organisation_id, *self.statement_ids}
        values |= set(self.statement_doc_ids) | set(self.models.values())
        if self.lrs_id:
            values.add(self.lrs_id)
        if self.download_id:
            values.add(self.download_id)
        return values


@dataclass
class World:
    """The app and its tenants."""

    app: falcon.App
    client: testing.TestClient
    store: Store
    a_store: Party  # a client of store A (organisation A)
    a_org: Party  # an organisation-wide client of organisation A
    a2: Party  # the owner of store A2 (organisation A)
    b: Party  # the owner of store B (organisation B)

    def api(self) -> Api:
        """A ``tests.http`` ``Api`` view of the app, for ``SAMPLES``' body makers (which are
        always given the credentials to use, so it needs no tenant)."""
        return Api(app=self.app, client=self.client, store=self.store, tenant=None)  # type: ignore[arg-type]


def _client(store: Store, name: str, organisation_id: str, lrs_id: str | None) -> Party:
    issued = new_client(organisation_id, lrs_id, title=name, scopes=FULL_SCOPES)
    store.add_client(issued.client)
    key = issued.client.basic_key
    return Party(name, organisation_id, lrs_id, basic_auth(key, issued.secret), key, issued.secret)


def build_world(store: Store, settings: Settings | None = None) -> World:
    """Create the tenants in ``store``, the app over it, and every tenant's data."""
    tenant = bootstrap(store, key="bootstrap-key", secret="bootstrap-secret")
    assert tenant is not None
    org_a = tenant.organisation.id
    a_store = _client(store, "store A", org_a, tenant.lrs.id)
    a_org = _client(store, "organisation A", org_a, None)
    lrs_a2 = new_lrs(org_a, "Store A2")
    store.add_lrs(lrs_a2)
    a2 = _client(store, "store A2", org_a, lrs_a2.id)
    organisation_b = new_organisation("Organisation B")
    store.add_organisation(organisation_b)
    lrs_b = new_lrs(organisation_b.id, "Store B")
    store.add_lrs(lrs_b)
    b = _client(store, "store B", organisation_b.id, lrs_b.id)
    app = create_app(settings or Settings(auth_cache_seconds=0, metrics=True), store)
    world = World(app, testing.TestClient(app), store, a_store, a_org, a2, b)
    for party in (a_store, a2, b):
        seed_xapi(world, party)
    seed_models(world, b)
    return world


def check(response: testing.Result, *expected: int) -> testing.Result:
    """Assert the status is one of ``expected``."""
    assert response.status_code in expected, (response.status_code, response.text)
    return response


def statement(party: Party, **extra: Any) -> dict[str, Any]:
    """A statement about the party's activity and agent."""
    return {
        "actor": party.agent,
        "verb": {"id": "http://example.com/verbs/did", "display": {"en-US": party.hidden}},
        "object": {
            "id": party.activity_id,
            "definition": {"name": {"en-US": f"activity {party.hidden}"}},
        },
        **extra,
    }


def seed_xapi(world: World, party: Party) -> None:
    """Statements (one with an attachment) and one document of each kind in the party's store."""
    c = world.client
    party.activity_id = f"http://example.com/activities/{party.marker}"
    party.agent = {"objectType": "Agent", "mbox": f"mailto:{party.marker}@example.com"}
    data = f"attachment {party.hidden}".encode()
    sha2 = hashlib.sha256(data).hexdigest()
    with_attachment = statement(
        party,
        id=str(uuid.uuid4()),
        attachments=[
            {
                "usageType": "http://example.com/usage",
                "display": {"en-US": party.hidden},
                "contentType": "text/plain",
                "length": len(data),
                "sha2": sha2,
            }
        ],
    )
    payload, content_type = build_multipart(
        orjson.dumps(with_attachment),
        [AttachmentPart(sha2=sha2, data=data, content_type="text/plain")],
    )
    check(
        c.simulate_post(
            f"{XAPI}/statements", headers=party.xapi(**{"Content-Type": content_type}), body=payload
        ),
        200,
    )
    plain = statement(party, id=str(uuid.uuid4()))
    check(c.simulate_post(f"{XAPI}/statements", headers=party.xapi(), json=plain), 200)
    party.statement_ids = [with_attachment["id"], plain["id"]]
    content = {"owner": party.hidden}
    for path, params in document_params(party).items():
        headers = party.xapi() if path.endswith("state") else party.xapi(**{"If-None-Match": "*"})
        check(c.simulate_put(f"{XAPI}/{path}", params=params, headers=headers, json=content), 204)
    listed = check(c.simulate_get(f"{API}/statement", headers=party.headers), 200).json
    party.statement_doc_ids = [doc["_id"] for doc in listed]
    assert len(party.statement_doc_ids) == 2


def document_params(party: Party) -> dict[str, dict[str, str]]:
    """The parameters naming the party's one document on each document route."""
    agent = orjson.dumps(party.agent).decode()
    return {
        "activities/state": {
            "activityId": party.activity_id,
            "agent": agent,
            "stateId": f"state-{party.marker}",
        },
        "activities/profile": {
            "activityId": party.activity_id,
            "profileId": f"profile-{party.marker}",
        },
        "agents/profile": {"agent": agent, "profileId": f"profile-{party.marker}"},
    }


def seed_models(world: World, party: Party) -> None:
    """One of every writable REST model, an export and a ready download of it."""
    api = world.api()
    for model in WRITABLE_MODELS:
        body = SAMPLES[model][0](api, party.headers)
        for name in ("title", "name", "description"):
            if isinstance(body.get(name), str):
                body[name] = f"{body[name]} {party.hidden}"
        created = check(
            world.client.simulate_post(f"{API}/{model}", json=body, headers=party.headers), 201
        )
        party.models[model] = created.json["_id"]
    exported = check(
        world.client.simulate_post(
            f"{API}/export/{party.models['export']}/download", json={}, headers=party.headers
        ),
        200,
    ).json
    party.download_id = exported["downloads"][-1]
