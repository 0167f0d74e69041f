"""What the OpenAPI tests share: an app over a bootstrapped in-memory store, and the comparison
of the app's routes with a document's paths."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import falcon
import orjson
from falcon import testing

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.http.openapi.builder import routes_of
from lrs.store.memory import MemoryStore
from lrs.tenancy.service import Bootstrap, bootstrap, new_client

KEY = "openapi-key"
SECRET = "openapi-secret"
SUPERUSER_KEY = "fuzz-key"
SUPERUSER_SECRET = "fuzz-secret"
METHODS = ("get", "head", "post", "put", "patch", "delete", "options", "trace")


@dataclass
class Served:
    """An app, its store's bootstrap tenant and the Basic header of its client (scope ``all``)."""

    app: falcon.App
    store: MemoryStore
    tenant: Bootstrap
    auth: dict[str, str]


def basic(key: str, secret: str) -> dict[str, str]:
    """A Basic Authorization header."""
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def serve(settings: Settings | None = None) -> Served:
    """A fresh app over a bootstrapped in-memory store."""
    store = MemoryStore()
    tenant = bootstrap(store, key=KEY, secret=SECRET)
    assert tenant is not None
    app = create_app(settings or Settings(auth_cache_seconds=0), store)
    return Served(app=app, store=store, tenant=tenant, auth=basic(KEY, SECRET))


def superuser(served: Served) -> dict[str, str]:
    """Basic headers of a new client of the bootstrap store that may do everything, deleting
    statements included (scope ``all`` does not imply ``statements/delete``)."""
    tenant = served.tenant
    issued = new_client(
        tenant.organisation.id,
        tenant.lrs.id,
        title="fuzzer",
        scopes=["all", "statements/delete"],
        key=SUPERUSER_KEY,
        secret=SUPERUSER_SECRET,
    )
    served.store.add_client(issued.client)
    return basic(SUPERUSER_KEY, SUPERUSER_SECRET)


_ACTOR = {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.com"}
_ACTIVITY = {
    "objectType": "Activity",
    "id": "http://example.com/quiz/1",
    "definition": {
        "name": {"en-US": "Quiz 1"},
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "interactionType": "choice",
        "correctResponsesPattern": ["a"],
        "choices": [{"id": "a", "description": {"en-US": "A"}}, {"id": "b"}],
    },
}
SEED_STATEMENTS: list[dict[str, Any]] = [
    {
        "actor": _ACTOR,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": _ACTIVITY,
        "result": {"score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10}, "success": True},
        "context": {
            "registration": "6fbd600f-d17c-4c74-801a-2ec2e53231c3",
            "contextActivities": {"parent": [{"id": "http://example.com/course"}]},
            "extensions": {"http://example.com/ext": {"nested": [1, None]}},
            "language": "en-US",
        },
        "timestamp": "2024-05-01T10:00:00.000Z",
    },
    {
        "actor": {
            "objectType": "Group",
            "name": "Team",
            "account": {"homePage": "http://example.com", "name": "team-1"},
            "member": [{"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}],
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/shared"},
        "object": {"objectType": "Agent", "openid": "http://openid.example.com/bob"},
        "attachments": [
            {
                "usageType": "http://example.com/usage/report",
                "display": {"en-US": "Report"},
                "contentType": "text/plain",
                "length": 5,
                "sha2": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                "fileUrl": "http://example.com/report.txt",
            }
        ],
    },
    {
        "actor": _ACTOR,
        "verb": {"id": "http://example.com/verbs/planned"},
        "object": {
            "objectType": "SubStatement",
            "actor": _ACTOR,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
            "object": {"id": "http://example.com/quiz/2"},
        },
    },
]


def seed(served: Served, auth: dict[str, str]) -> dict[str, list[str]]:
    """Statements, documents and one REST model of each kind for the operations to find;
    returns the REST models' ids by model name.

    The fuzzing client's own store and client are left out of the ids: changing or deleting
    them would turn every later request into a 401 or 403.
    """
    client = testing.TestClient(served.app)
    xapi = {**auth, "X-Experience-API-Version": "1.0.3"}

    def ok(response: testing.Result) -> Any:
        assert response.status_code < 300, response.text
        return response.json

    ids = ok(client.simulate_post("/data/xAPI/statements", headers=xapi, json=SEED_STATEMENTS))
    voiding = {
        "actor": _ACTOR,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": ids[2]},
    }
    ok(client.simulate_post("/data/xAPI/statements", headers=xapi, json=voiding))
    agent = orjson.dumps(_ACTOR).decode()
    documents = [
        ("/data/xAPI/activities/state", {"activityId": _ACTIVITY["id"], "agent": agent}, "stateId"),
        ("/data/xAPI/activities/profile", {"activityId": _ACTIVITY["id"]}, "profileId"),
        ("/data/xAPI/agents/profile", {"agent": agent}, "profileId"),
    ]
    for path, params, id_param in documents:
        for document_id, body, media in (
            ("json", b'{"a": 1}', "application/json"),
            ("text", b"hi", "text/plain"),
        ):
            client.simulate_put(
                path,
                params={**params, id_param: document_id},
                headers={**xapi, "Content-Type": media, "If-None-Match": "*"},
                body=body,
            )

    models: dict[str, list[str]] = {}

    def create(model: str, body: dict[str, Any]) -> str:
        created = ok(client.simulate_post(f"/api/v2/{model}", headers=auth, json=body))
        models.setdefault(model, []).append(created["_id"])
        return str(created["_id"])

    for _ in range(2):  # the fuzz test deletes the last of each
        persona = create("persona", {"name": "P"})
        mbox = f"mailto:p{len(models['persona'])}@example.com"
        create("personaidentifier", {"persona": persona, "ifi": {"key": "mbox", "value": mbox}})
        query = create("query", {"name": "Q", "conditions": {"verb.id": {"$exists": True}}})
        export = create("export", {"query": query})
        ok(client.simulate_post(f"/api/v2/export/{export}/download", headers=auth, json={}))
        journey = create("journey", {"description": "J"})
        create("journeyprogress", {"journey": journey})
        for model, body in (
            ("client", {"title": "another client"}),
            ("store", {"title": "another store"}),
            ("dashboard", {}),
            ("role", {}),
            ("visualisation", {}),
            ("user", {"email": f"user{len(models.get('user', []))}@example.com"}),
        ):
            create(model, body)
    for model in ("download", "statement", "organisation"):
        models[model] = [
            doc["_id"] for doc in ok(client.simulate_get(f"/api/v2/{model}", headers=auth))
        ]
    return models


def app_operations(app: falcon.App) -> set[tuple[str, str]]:
    """(URI template, METHOD) of every responder the app's resources define."""
    return {(route.template, method) for route in routes_of(app) for method in route.methods}


def document_operations(app: falcon.App, document: dict[str, Any]) -> set[tuple[str, str]]:
    """(URI template, METHOD) of the routes that serve the document's operations.

    Each documented path is looked up in the app's own router (a ``{name}`` placeholder
    matches a field like any other text), so this does not trust the builder's bookkeeping.
    A path the router does not know is reported as ``("<unrouted> path", METHOD)``.
    """
    found = set()
    for path, item in document["paths"].items():
        match = app._router.find(path)
        for method in (m for m in METHODS if m in item):
            template = match[3] if match is not None else f"<unrouted> {path}"
            found.add((template, method.upper()))
    return found
