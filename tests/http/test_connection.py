"""The Connection API through the real Falcon app, on both stores."""

from __future__ import annotations

import urllib.parse
from typing import Any

import orjson
import pytest
from falcon import testing

from tests.http.conftest import Api

PATH = "/api/connection/statement"


def page(api: Api, path: str = PATH, **params: Any) -> testing.Result:
    query = {
        key: value if isinstance(value, str | int) else orjson.dumps(value).decode()
        for key, value in params.items()
    }
    return api.client.simulate_get(
        path, headers=api.auth, query_string=urllib.parse.urlencode(query)
    )


def statement(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "actor": {"mbox": f"mailto:test{n}@example.org"},
        "verb": {"id": "http://www.example.org/verb"},
        "object": {"id": "http://www.example.org/activity"},
        **extra,
    }


def test_seed_001_pagination_walkthrough(api: Api) -> None:
    first_id, second_id = api.post_statements([statement(1), statement(2)])
    one = page(api, first=1)
    assert one.status_code == 200
    [edge] = one.json["edges"]
    assert edge["node"]["statement"]["id"] == first_id
    assert edge["node"]["statement"]["actor"]["mbox"] == "mailto:test1@example.org"
    assert len(edge["node"]["_id"]) == 24
    assert one.json["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": edge["cursor"],
        "endCursor": edge["cursor"],
    }
    two = page(api, first=1, after=one.json["pageInfo"]["endCursor"])
    [edge2] = two.json["edges"]
    assert edge2["node"]["statement"]["id"] == second_id
    assert two.json["pageInfo"]["hasNextPage"] is False
    assert two.json["pageInfo"]["hasPreviousPage"] is True
    back = page(api, last=1, before=two.json["pageInfo"]["startCursor"])
    assert [e["node"]["statement"]["id"] for e in back.json["edges"]] == [first_id]
    assert back.json["pageInfo"]["hasPreviousPage"] is False
    assert back.json["pageInfo"]["hasNextPage"] is True


def test_seed_001_filter_sort_and_project(api: Api) -> None:
    account = {"homePage": "http://www.example.org/user", "name": "123"}
    api.post_statements(
        [
            {**statement(1), "actor": {"account": account}},
            {**statement(2), "verb": {"id": "http://www.example.org/other"}},
            {
                **statement(3),
                "verb": {"id": "http://www.example.org/other", "display": {"en": "x"}},
                "context": {"extensions": {"http://www.example.com/extension": "example_value"}},
            },
        ],
    )
    found = page(
        api,
        filter={
            "$or": [
                {
                    "statement.actor.account.name": "123",
                    "statement.actor.account.homePage": "http://www.example.org/user",
                },
                {"statement.verb.id": "http://www.example.org/verb"},
            ]
        },
        sort={"timestamp": -1, "statement.id": 1},
        project={
            "userId": "$statement.actor.account.name",
            "statement.verb": {"display": 0},
            "statement.object.id": 1,
        },
    )
    assert found.status_code == 200, found.text
    nodes = [edge["node"] for edge in found.json["edges"]]
    assert len(nodes) == 1
    assert nodes[0]["userId"] == "123"
    assert nodes[0]["statement"] == {
        "verb": {"id": "http://www.example.org/verb"},
        "object": {"id": "http://www.example.org/activity"},
    }
    extension = page(
        api,
        filter={
            "statement.context.extensions.http://www&46;example&46;com/extension": {
                "$ne": "example_value"
            }
        },
        sort={"statement.context.extensions.http://www&46;example&46;com/extension": 1},
        project={"statement.context.extensions.http://www&46;example&46;com/extension": 1},
    )
    assert extension.status_code == 200, extension.text
    assert len(extension.json["edges"]) == 2


def test_paging_through_ties_both_ways_visits_each_once(api: Api) -> None:
    ids = api.post_statements([statement(n) for n in range(23)])  # one stored instant: ties
    sort = {"stored": -1}
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"first": 5, "sort": sort}
        if cursor:
            params["after"] = cursor
        result = page(api, **params).json
        seen += [e["node"]["statement"]["id"] for e in result["edges"]]
        if not result["pageInfo"]["hasNextPage"]:
            break
        cursor = result["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(ids) and len(seen) == 23
    backwards: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"last": 5, "sort": sort}
        if cursor:
            params["before"] = cursor
        result = page(api, **params).json
        backwards = [e["node"]["statement"]["id"] for e in result["edges"]] + backwards
        if not result["pageInfo"]["hasPreviousPage"]:
            break
        cursor = result["pageInfo"]["startCursor"]
    assert backwards == seen


def test_an_insert_between_pages_does_not_shift_the_next_page(api: Api) -> None:
    api.post_statements([statement(n) for n in range(6)])
    first = page(api, first=3, sort={"_id": 1}).json
    second_before = page(api, first=3, sort={"_id": 1}, after=first["pageInfo"]["endCursor"]).json
    api.post_statements([statement(99)])
    second_after = page(api, first=3, sort={"_id": 1}, after=first["pageInfo"]["endCursor"]).json
    assert second_before["edges"] == second_after["edges"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"filter": "{not json"}, "filter"),
        ({"filter": {"$where": "1"}}, "$where"),
        ({"sort": {"timestamp": 2}}, "direction"),
        ({"after": "garbage"}, "after"),
        ({"first": "-1"}, "first"),
        ({"first": 5000}, "at most"),
        ({"project": {"a": 1, "b": 0}}, "mix"),
        ({"Filter": {}}, "Filter"),
    ],
)
def test_bad_parameters_are_400_naming_them(api: Api, params: dict[str, Any], message: str) -> None:
    response = page(api, **params)
    assert response.status_code == 400
    assert message in response.json["message"]


def test_a_cursor_from_another_sort_is_refused(api: Api) -> None:
    api.post_statements([statement(1), statement(2)])
    cursor = page(api, first=1, sort={"stored": -1}).json["pageInfo"]["endCursor"]
    response = page(api, first=1, sort={"timestamp": -1}, after=cursor)
    assert response.status_code == 400
    assert "another sort" in response.json["message"]


def test_models_page_and_hide_secrets(api: Api) -> None:
    result = page(api, "/api/connection/client").json
    [node] = [edge["node"] for edge in result["edges"]]
    assert node["api"]["basic_key"] == "test-key"
    assert "basic_secret_hash" not in node["api"]
    stores = page(api, "/api/connection/store").json
    assert [edge["node"]["_id"] for edge in stores["edges"]] == [api.tenant.lrs.id]
    assert page(api, "/api/connection/nothing").status_code == 404


def test_statements_need_a_read_scope_and_models_need_all(api: Api) -> None:
    from lrs.tenancy.service import new_client
    from tests.http.conftest import basic_auth

    issued = new_client(
        api.tenant.organisation.id, api.tenant.lrs.id, title="w", scopes=["statements/write"]
    )
    api.store.add_client(issued.client)
    headers = basic_auth(issued.client.basic_key, issued.secret)
    assert api.client.simulate_get(PATH, headers=headers).status_code == 403
    assert api.client.simulate_get("/api/connection/client", headers=headers).status_code == 403


def test_secrets_cannot_be_read_filtered_or_projected(api: Api) -> None:
    created = api.client.simulate_post(
        "/api/v2/user",
        headers={**api.auth, "Content-Type": "application/json"},
        body=orjson.dumps({"email": "ann@example.com", "name": "Ann", "password": "s3cret-pass"}),
    )
    assert created.status_code == 201, created.text
    [node] = [edge["node"] for edge in page(api, "/api/connection/user").json["edges"]]
    assert node["email"] == "ann@example.com" and "password" not in node
    renamed = page(api, "/api/connection/user", project={"leak": "$password"}).json
    assert "leak" not in renamed["edges"][0]["node"]
    refused = page(api, "/api/connection/user", filter={"password": {"$regex": "^\\$2"}})
    assert refused.status_code == 400
    assert "password" in refused.json["message"]
    assert page(api, "/api/connection/client", sort={"api.basic_secret_hash": 1}).status_code == 400
