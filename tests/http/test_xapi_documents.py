"""Document resources, /activities and /agents through the real Falcon app, on both stores."""

from __future__ import annotations

import hashlib
import threading
import uuid
from typing import Any

import orjson
import pytest
from falcon import testing

from tests.http.conftest import Api

ACTIVITY = "http://www.example.org/activity"
AGENT = orjson.dumps({"mbox": "mailto:test@example.org"}).decode()


def xapi(api: Api, **extra: str) -> dict[str, str]:
    return {**api.auth, "X-Experience-API-Version": "1.0.3", **extra}


def call(
    api: Api, method: str, path: str, params: dict[str, str], body: Any = None, **headers: str
) -> testing.Result:
    data = body if isinstance(body, bytes) or body is None else orjson.dumps(body)
    all_headers = xapi(api, **headers)
    if data is not None and "Content-Type" not in headers:
        all_headers["Content-Type"] = "application/json; charset=utf-8"
    return api.client.simulate_request(method, path, params=params, headers=all_headers, body=data)


def test_seed_002_activity_definitions_are_merged(api: Api) -> None:
    first = {
        "actor": {"mbox": "mailto:test@example.org"},
        "verb": {"id": "http://www.example.org/verb"},
        "object": {
            "id": ACTIVITY,
            "definition": {
                "name": {"en-GB": "GB Activity Name"},
                "description": {"en-GB": "GB Activity Description"},
                "extensions": {"http://www.example.com/extension/1": "extension_value_1"},
                "moreInfo": "http://www.example.org/activity/moreinfo1",
                "type": "http://www.example.org/activity/type1",
            },
        },
    }
    second = {
        **first,
        "object": {
            "id": ACTIVITY,
            "definition": {
                "name": {"en-US": "US Activity Name"},
                "description": {"en-US": "US Activity Description"},
                "extensions": {"http://www.example.com/extension/2": "extension_value_2"},
                "moreInfo": "http://www.example.org/activity/moreinfo2",
                "type": "http://www.example.org/activity/type2",
            },
        },
    }
    assert call(api, "POST", "/data/xAPI/statements", {}, [first, second]).status_code == 200
    response = call(api, "GET", "/data/xAPI/activities", {"activityId": ACTIVITY})
    assert response.status_code == 200
    assert response.json == {
        "objectType": "Activity",
        "id": ACTIVITY,
        "definition": {
            "name": {"en-GB": "GB Activity Name", "en-US": "US Activity Name"},
            "description": {
                "en-GB": "GB Activity Description",
                "en-US": "US Activity Description",
            },
            "extensions": {
                "http://www.example.com/extension/1": "extension_value_1",
                "http://www.example.com/extension/2": "extension_value_2",
            },
            "moreInfo": "http://www.example.org/activity/moreinfo2",
            "type": "http://www.example.org/activity/type2",
        },
    }


def test_an_unknown_activity_is_just_its_id(api: Api) -> None:
    response = call(api, "GET", "/data/xAPI/activities", {"activityId": "http://unknown.example"})
    assert response.json == {"objectType": "Activity", "id": "http://unknown.example"}
    assert call(api, "GET", "/data/xAPI/activities", {}).status_code == 400


def test_seed_002_profile_put_walkthrough(api: Api) -> None:
    path = "/data/xAPI/activities/profile"
    params = {"activityId": ACTIVITY, "profileId": "example_profile_id"}
    initial = {"key_to_remove": "value_to_remove", "key_to_change": "value_before_changed"}
    created = call(api, "PUT", path, params, initial, **{"If-None-Match": '"*"'})
    assert created.status_code == 204
    assert call(api, "PUT", path, params, initial, **{"If-None-Match": '"*"'}).status_code == 412
    got = call(api, "GET", path, params)
    assert got.status_code == 200
    assert got.json == initial
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    etag = got.headers["ETag"]
    assert etag == f'"{hashlib.sha1(got.content).hexdigest()}"'
    assert got.headers["Last-Modified"]
    change = {"key_to_change": "value_after_change", "key_to_add": "value_to_add"}
    assert call(api, "PUT", path, params, change).status_code == 409
    assert call(api, "PUT", path, params, change, **{"If-Match": '"0000"'}).status_code == 412
    assert call(api, "PUT", path, params, change, **{"If-Match": etag.upper()}).status_code == 204
    assert call(api, "GET", path, params).json == change


def test_seed_002_profile_post_walkthrough(api: Api) -> None:
    path = "/data/xAPI/activities/profile"
    params = {"activityId": ACTIVITY, "profileId": "example_profile_id"}
    # The seed's body has a trailing comma, a typo: strict JSON is required to merge.
    initial = {"key_to_keep": "value_to_keep", "key_to_change": "value_before_change"}
    assert call(api, "POST", path, params, initial, **{"If-None-Match": '"*"'}).status_code == 204
    etag = call(api, "GET", path, params).headers["ETag"]
    change = {"key_to_change": "value_after_change", "key_to_add": "value_to_add"}
    assert call(api, "POST", path, params, change, **{"If-Match": etag}).status_code == 204
    assert call(api, "GET", path, params).json == {
        "key_to_keep": "value_to_keep",
        "key_to_change": "value_after_change",
        "key_to_add": "value_to_add",
    }
    ids = call(api, "GET", path, {"activityId": ACTIVITY})
    assert ids.json == ["example_profile_id"]
    later = call(api, "GET", path, {"activityId": ACTIVITY, "since": "2999-01-01T00:00:00Z"})
    assert later.json == []
    assert call(api, "DELETE", path, params).status_code == 204
    assert call(api, "GET", path, params).status_code == 404


def test_state_lifecycle_with_registration(api: Api) -> None:
    path = "/data/xAPI/activities/state"
    registration = str(uuid.uuid4())
    base = {"activityId": ACTIVITY, "agent": AGENT}
    assert (
        call(
            api,
            "PUT",
            path,
            {**base, "stateId": "a"},
            b"raw bytes",
            **{"Content-Type": "text/plain"},
        ).status_code
        == 204
    )
    assert (
        call(
            api, "PUT", path, {**base, "stateId": "b", "registration": registration}, {"x": 1}
        ).status_code
        == 204
    )
    got = call(api, "GET", path, {**base, "stateId": "a"})
    assert got.content == b"raw bytes" and got.headers["Content-Type"] == "text/plain"
    assert call(api, "GET", path, {**base, "stateId": "b"}).status_code == 404
    assert call(api, "GET", path, base).json == ["a", "b"]
    assert call(api, "GET", path, {**base, "registration": registration}).json == ["b"]
    head = call(api, "HEAD", path, {**base, "stateId": "a"})
    assert head.status_code == 200 and head.content == b"" and head.headers["ETag"]
    assert call(api, "DELETE", path, base).status_code == 204
    assert call(api, "GET", path, base).json == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"agent": AGENT, "stateId": "s"}, "activityId"),
        ({"activityId": ACTIVITY, "stateId": "s"}, "agent"),
        ({"activityId": "not an iri", "agent": AGENT, "stateId": "s"}, "activityId"),
        ({"activityId": ACTIVITY, "agent": '{"mbox": "x"}', "stateId": "s"}, "agent.mbox"),
        (
            {"activityId": ACTIVITY, "agent": AGENT, "stateId": "s", "registration": "r"},
            "registration",
        ),
        ({"activityId": ACTIVITY, "agent": AGENT, "stateID": "s"}, "stateID"),
    ],
)
def test_bad_state_parameters_are_400_naming_them(
    api: Api, params: dict[str, str], message: str
) -> None:
    response = call(api, "PUT", "/data/xAPI/activities/state", params, {"a": 1})
    assert response.status_code == 400
    assert message in response.json["message"]


def test_post_of_a_non_object_is_400_and_changes_nothing(api: Api) -> None:
    path = "/data/xAPI/agents/profile"
    params = {"agent": AGENT, "profileId": "p"}
    assert call(api, "POST", path, params, {"a": 1}).status_code == 204
    rejected = call(api, "POST", path, params, b"[1,2]")
    assert rejected.status_code == 400
    assert call(api, "GET", path, params).json == {"a": 1}


def test_agents_resource_returns_a_person(api: Api) -> None:
    agent = orjson.dumps({"name": "Ann", "mbox": "mailto:ann@example.com"}).decode()
    response = call(api, "GET", "/data/xAPI/agents", {"agent": agent})
    assert response.json == {
        "objectType": "Person",
        "name": ["Ann"],
        "mbox": ["mailto:ann@example.com"],
    }
    assert call(api, "GET", "/data/xAPI/agents", {}).status_code == 400


def test_document_scopes(api: Api) -> None:
    from lrs.tenancy.service import new_client
    from tests.http.conftest import basic_auth

    issued = new_client(api.tenant.organisation.id, api.tenant.lrs.id, title="s", scopes=["state"])
    api.store.add_client(issued.client)
    headers = {
        **basic_auth(issued.client.basic_key, issued.secret),
        "X-Experience-API-Version": "1.0.3",
    }
    state = api.client.simulate_get(
        "/data/xAPI/activities/state",
        params={"activityId": ACTIVITY, "agent": AGENT},
        headers=headers,
    )
    assert state.status_code == 200
    profile = api.client.simulate_get(
        "/data/xAPI/activities/profile", params={"activityId": ACTIVITY}, headers=headers
    )
    assert profile.status_code == 403


def test_threaded_etag_race_over_http(api: Api) -> None:
    path = "/data/xAPI/activities/profile"
    params = {"activityId": ACTIVITY, "profileId": "race"}
    call(api, "PUT", path, params, {"n": 0}, **{"If-None-Match": "*"})
    etag = call(api, "GET", path, params).headers["ETag"]
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def writer(n: int) -> None:
        client = testing.TestClient(api.app)
        barrier.wait()
        response = client.simulate_put(
            path,
            params=params,
            headers=xapi(api, **{"If-Match": etag, "Content-Type": "application/json"}),
            body=orjson.dumps({"n": n}),
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [204] + [412] * 5
