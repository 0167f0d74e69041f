"""Model rules, bulk updates, verbs and query parameters of REST v2 (both stores)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lrs.core.ids import new_object_id
from lrs.models.passwords import verify_password
from tests.http.conftest import Api, basic_auth
from tests.http.rest_support import API, create


def _get(api: Api, path: str, **params: Any) -> Any:
    response = api.client.simulate_get(f"{API}/{path}", headers=api.auth, params=params)
    assert response.status_code == 200, response.text
    return response.json


# Clients


def test_new_client_secret_is_shown_once_and_works(api: Api) -> None:
    created = create(api, "client", {"title": "C", "scopes": ["all"]})
    key, secret = created["api"]["basic_key"], created["api"]["basic_secret"]
    assert len(key) == 40 and len(secret) == 40
    shown = _get(api, f"client/{created['_id']}")
    assert shown["api"] == {"basic_key": key}
    assert "basic_secret_hash" not in str(_get(api, "client"))
    assert api.client.simulate_get(f"{API}/lrs", headers=basic_auth(key, secret)).status_code == 200

    regenerated = api.client.simulate_post(
        f"{API}/client/{created['_id']}/regenerate", headers=api.auth
    )
    assert regenerated.status_code == 200
    new_secret = regenerated.json["api"]["basic_secret"]
    assert regenerated.json["api"]["basic_key"] == key and new_secret != secret
    assert api.client.simulate_get(f"{API}/lrs", headers=basic_auth(key, secret)).status_code == 401
    assert (
        api.client.simulate_get(f"{API}/lrs", headers=basic_auth(key, new_secret)).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": ["all", "nope"]}, "scopes"),
        ({"scopes": "all"}, "scopes"),
        ({"authority": {"objectType": "Agent", "name": "no ifi"}}, "authority"),
        ({"authority": "not json"}, "authority"),
        ({"isTrusted": "yes"}, "isTrusted"),
        ({"lrs_id": "nope"}, "lrs_id"),
        ({"lrs_id": "0" * 24}, "lrs_id"),
        ({"title": 5}, "title"),
    ],
)
def test_bad_client_fields_are_400_naming_them(api: Api, body: dict, field: str) -> None:
    response = api.client.simulate_post(f"{API}/client", json=body, headers=api.auth)
    assert response.status_code == 400, response.text
    assert response.json["message"].startswith(field)
    assert _get(api, "client/count") == 1


def test_client_authority_round_trips_as_an_object(api: Api) -> None:
    authority = {"objectType": "Agent", "name": "Me", "mbox": "mailto:me@example.com"}
    created = create(api, "client", {"authority": authority})
    assert created["authority"] == authority


def test_a_new_store_gets_an_xapi_client(api: Api) -> None:
    store = create(api, "lrs", {"title": "Shop"})
    clients = _get(api, "client", query=f'{{"lrs_id": "{store["_id"]}"}}')
    assert len(clients) == 1
    assert clients[0]["scopes"] == ["xapi/all"]
    assert clients[0]["title"] == "Shop client"
    missing = api.client.simulate_post(f"{API}/lrs", json={"description": "x"}, headers=api.auth)
    assert missing.status_code == 400
    assert missing.json["message"] == "title: is required"


# Users


def test_user_password_is_hashed_and_never_returned(api: Api) -> None:
    created = create(api, "user", {"email": "Ann@Example.com", "password": "s3cret!"})
    assert "password" not in created
    assert created["email"] == "ann@example.com"
    assert created["organisations"] == [api.tenant.organisation.id]
    stored = api.store.get_model("user", None, created["_id"])
    assert stored is not None and stored["password"] != "s3cret!"
    assert verify_password("s3cret!", stored["password"])
    # An overwrite without a password keeps it; select cannot reveal it; query cannot probe it.
    api.client.simulate_put(
        f"{API}/user/{created['_id']}", json={"email": "ann@example.com"}, headers=api.auth
    )
    assert api.store.get_model("user", None, created["_id"])["password"] == stored["password"]
    assert "password" not in _get(api, f"user/{created['_id']}", select="password,email")
    probe = api.client.simulate_get(
        f"{API}/user", headers=api.auth, params={"query": '{"password": {"$regex": "^x"}}'}
    )
    assert probe.status_code == 400
    assert probe.json["message"].startswith("query:")
    dup = api.client.simulate_post(
        f"{API}/user", json={"email": "ANN@example.com"}, headers=api.auth
    )
    assert dup.status_code == 409
    assert "email" in dup.json["message"]


def test_personaidentifier_rules(api: Api) -> None:
    persona = create(api, "persona", {"name": "P"})
    ifi = {"key": "mbox", "value": "mailto:p@example.com"}
    create(api, "personaidentifier", {"persona": persona["_id"], "ifi": ifi})
    dup = api.client.simulate_post(
        f"{API}/personaidentifier", json={"persona": persona["_id"], "ifi": ifi}, headers=api.auth
    )
    assert dup.status_code == 409
    bad = api.client.simulate_post(
        f"{API}/personaidentifier",
        json={"persona": persona["_id"], "ifi": {"key": "mbox", "value": "p@example.com"}},
        headers=api.auth,
    )
    assert bad.status_code == 400
    assert bad.json["message"].startswith("ifi")


def test_persona_merge_moves_identifiers(api: Api) -> None:
    keep = create(api, "persona", {"name": "Keep"})
    gone = create(api, "persona", {"name": "Gone"})
    ident = create(
        api,
        "personaidentifier",
        {"persona": gone["_id"], "ifi": {"key": "mbox", "value": "mailto:g@example.com"}},
    )
    url = f"{API}/persona/{keep['_id']}/merge"
    response = api.client.simulate_post(
        url, json={"mergePersonaFromId": gone["_id"]}, headers=api.auth
    )
    assert response.status_code == 200, response.text
    assert response.json["_id"] == keep["_id"]
    assert _get(api, f"personaidentifier/{ident['_id']}")["persona"] == keep["_id"]
    gone_url = f"{API}/persona/{gone['_id']}"
    assert api.client.simulate_get(gone_url, headers=api.auth).status_code == 404
    for body, status in (
        ({}, 400),
        ({"mergePersonaFromId": keep["_id"]}, 400),
        ({"mergePersonaFromId": gone["_id"]}, 404),
    ):
        assert api.client.simulate_post(url, json=body, headers=api.auth).status_code == status
    unknown = api.client.simulate_post(f"{API}/persona/{keep['_id']}/explode", headers=api.auth)
    assert unknown.status_code == 404
    assert "explode" in unknown.json["message"]


def test_role_scopes_and_query_conditions_are_checked(api: Api) -> None:
    role = api.client.simulate_post(
        f"{API}/role", json={"scopes": ["org/all/nothing"]}, headers=api.auth
    )
    assert role.status_code == 400 and role.json["message"].startswith("scopes")
    query = api.client.simulate_post(
        f"{API}/query", json={"conditions": {"$where": "1"}}, headers=api.auth
    )
    assert query.status_code == 400 and query.json["message"].startswith("conditions")
    created = create(api, "query", {"conditions": '{"a": 1}'})
    assert created["conditions"] == {"a": 1}


# Bulk updates (seed 003)


def test_bulk_put_and_patch_are_all_or_nothing(api: Api) -> None:
    a = create(api, "dashboard", {"title": "A"})
    b = create(api, "dashboard", {"title": "B"})
    response = api.client.simulate_patch(
        f"{API}/dashboard",
        json=[{"_id": a["_id"], "title": "A2"}, {"_id": b["_id"], "isPublic": "yes"}],
        headers=api.auth,
    )
    assert response.status_code == 400
    assert response.json["message"].startswith("[1].isPublic:")
    assert _get(api, f"dashboard/{a['_id']}")["title"] == "A"

    response = api.client.simulate_patch(
        f"{API}/dashboard",
        json=[{"_id": a["_id"], "title": "A2"}, {"_id": new_object_id(), "title": "x"}],
        headers=api.auth,
    )
    assert response.status_code == 404
    assert response.json["message"].startswith("[1]:")
    assert _get(api, f"dashboard/{a['_id']}")["title"] == "A"

    response = api.client.simulate_patch(
        f"{API}/dashboard",
        json=[{"_id": a["_id"], "title": "A2"}, {"_id": b["_id"], "isPublic": True}],
        headers=api.auth,
    )
    assert response.status_code == 200
    assert [doc["title"] for doc in response.json] == ["A2", "B"]
    assert _get(api, f"dashboard/{b['_id']}")["isPublic"] is True

    new_id = new_object_id()
    response = api.client.simulate_put(
        f"{API}/dashboard",
        json=[{"_id": a["_id"], "title": "A3"}, {"_id": new_id, "title": "C"}],
        headers=api.auth,
    )
    assert response.status_code == 200
    assert _get(api, f"dashboard/{a['_id']}")["isPublic"] is False
    assert _get(api, f"dashboard/{new_id}")["title"] == "C"

    for body, message in (
        ({"_id": a["_id"]}, "body:"),
        ([{"title": "no id"}], "[0]._id:"),
        ([{"_id": a["_id"]}, {"_id": a["_id"]}], "[1]._id:"),
        (["x"], "[0]:"),
    ):
        response = api.client.simulate_put(f"{API}/dashboard", json=body, headers=api.auth)
        assert response.status_code == 400
        assert response.json["message"].startswith(message)


def test_bulk_unique_values_clash_within_one_request(api: Api) -> None:
    persona = create(api, "persona", {"name": "P"})
    item = {"persona": persona["_id"], "ifi": {"key": "openid", "value": "http://a.example"}}
    response = api.client.simulate_put(
        f"{API}/personaidentifier",
        json=[{**item, "_id": new_object_id()}, {**item, "_id": new_object_id()}],
        headers=api.auth,
    )
    assert response.status_code == 409
    assert response.json["message"].startswith("[1].ifi")
    assert _get(api, "personaidentifier/count") == 0


# Query parameters


@pytest.fixture
def roles(api: Api) -> list[dict[str, Any]]:
    return [
        create(api, "role", {"title": title, "description": description})
        for title, description in (("alpha", "1"), ("Beta", "2"), ("gamma", "3"), ("delta", "2"))
    ]


def _titles(docs: list[dict[str, Any]]) -> list[str]:
    return [doc["title"] for doc in docs]


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"query": '{"title": "~^B"}', "sort": "title"}, ["Beta"]),
        ({"query": '{"title": "~a$"}', "sort": "-title"}, ["gamma", "delta", "alpha", "Beta"]),
        ({"query": '{"title": ">c"}', "sort": "title"}, ["delta", "gamma"]),
        ({"query": '{"title": ">=delta"}', "sort": "title"}, ["delta", "gamma"]),
        ({"query": '{"title": "<alpha"}', "sort": "title"}, ["Beta"]),
        ({"query": '{"title": "<=alpha"}', "sort": "title"}, ["Beta", "alpha"]),
        ({"query": '{"description": "!=2"}', "sort": "title"}, ["alpha", "gamma"]),
        ({"query": '{"title": ["alpha", "gamma"]}', "sort": '{"title": -1}'}, ["gamma", "alpha"]),
        ({"sort": "description -title"}, ["alpha", "delta", "Beta", "gamma"]),
        ({"sort": "title", "skip": "1", "limit": "2"}, ["alpha", "delta"]),
    ],
)
def test_query_sugar_sort_skip_limit(
    api: Api, roles: list[dict[str, Any]], params: dict[str, str], titles: list[str]
) -> None:
    assert _titles(_get(api, "role", **params)) == titles


def test_select_distinct_populate_and_count(api: Api, roles: list[dict[str, Any]]) -> None:
    assert _get(api, "role", select="title", sort="title")[0] == {
        "_id": roles[1]["_id"],
        "title": "Beta",
    }
    assert "description" not in _get(api, "role", select="-description")[0]
    assert _get(api, "role", select='{"title": 1, "_id": 0}', sort="title")[0] == {"title": "Beta"}
    assert sorted(_get(api, "role", distinct="description")) == ["1", "2", "3"]
    assert _get(api, "role/count", query='{"description": "2"}') == 2
    assert _get(api, "role/count", query='{"createdAt": ">2000-01-01T00:00:00Z"}') == 4

    store = _get(api, f"lrs/{api.tenant.lrs.id}")
    client = _get(api, f"client/{api.tenant.issued.client.id}", populate="lrs_id,organisation")
    assert client["lrs_id"] == store
    assert client["organisation"]["_id"] == api.tenant.organisation.id
    selected = _get(
        api,
        f"client/{api.tenant.issued.client.id}",
        populate='[{"path": "lrs_id", "select": "title"}]',
    )
    assert selected["lrs_id"] == {"_id": store["_id"], "title": store["title"]}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"query": "{not json"}, "query"),
        ({"query": "[1]"}, "query"),
        ({"query": '{"$where": "1"}'}, "query"),
        ({"query": '{"title": "~("}'}, "query"),
        ({"sort": '{"title": 2}'}, "sort"),
        ({"select": '{"a": 1, "b": 0}'}, "select"),
        ({"populate": "title"}, "populate"),
        ({"skip": "-1"}, "skip"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"distinct": "a..b"}, "distinct"),
    ],
)
def test_bad_parameters_are_400_naming_them(api: Api, params: dict[str, str], name: str) -> None:
    response = api.client.simulate_get(f"{API}/role", headers=api.auth, params=params)
    assert response.status_code == 400, response.text
    assert response.json["message"].startswith(f"{name}:")


def test_limit_has_a_default(api: Api) -> None:
    now = datetime.now(UTC)
    organisation = api.tenant.organisation.id
    api.store.put_models(
        "persona",
        [
            {
                "_id": new_object_id(),
                "organisation": organisation,
                "name": str(n),
                "createdAt": now,
                "updatedAt": now,
            }
            for n in range(105)
        ],
    )
    assert len(_get(api, "persona")) == 100
    assert len(_get(api, "persona", limit="1000")) == 105


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"", "body:"), (b"{oops", "body:"), (b"[1]", "body:")],
)
def test_bad_bodies_are_400(api: Api, body: bytes, message: str) -> None:
    response = api.client.simulate_post(
        f"{API}/role", body=body, headers={**api.auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["message"].startswith(message)
