"""Every seed-000 route of every writable model, on both stores."""

from __future__ import annotations

import pytest

from lrs.core.ids import new_object_id
from tests.http.conftest import Api
from tests.http.rest_support import API, SAMPLES, WRITABLE_MODELS, client_headers, create


def _body(api: Api, model: str) -> dict:
    return SAMPLES[model][0](api, api.auth)


def _count(api: Api, model: str) -> int:
    response = api.client.simulate_get(f"{API}/{model}/count", headers=api.auth)
    assert response.status_code == 200
    assert isinstance(response.json, int)
    return response.json


@pytest.mark.parametrize("model", WRITABLE_MODELS)
def test_create_read_list_count(api: Api, model: str) -> None:
    before = _count(api, model)
    created = create(api, model, _body(api, model))
    assert len(created["_id"]) == 24
    assert created["organisation"] == api.tenant.organisation.id
    assert created["createdAt"].endswith("Z") and created["updatedAt"].endswith("Z")
    assert _count(api, model) == before + 1

    one = api.client.simulate_get(f"{API}/{model}/{created['_id']}", headers=api.auth)
    assert one.status_code == 200
    assert {k: v for k, v in one.json.items() if k != "api"} == {
        k: v for k, v in created.items() if k != "api"
    }

    listed = api.client.simulate_get(f"{API}/{model}", headers=api.auth)
    assert listed.status_code == 200
    assert isinstance(listed.json, list)
    assert created["_id"] in [doc["_id"] for doc in listed.json]


@pytest.mark.parametrize("model", WRITABLE_MODELS)
def test_put_and_post_by_id_overwrite(api: Api, model: str) -> None:
    created = create(api, model, _body(api, model))
    field, value = SAMPLES[model][1], SAMPLES[model][2]
    for method in ("PUT", "POST"):
        body = {**_body(api, model), field: value}
        if model == "user":
            body["email"] = f"{method.lower()}@example.com"
        if model == "personaidentifier":
            body["ifi"] = {"key": "mbox", "value": f"mailto:{method.lower()}@example.com"}
        response = api.client.simulate_request(
            method, f"{API}/{model}/{created['_id']}", json=body, headers=api.auth
        )
        assert response.status_code == 200, response.text
        assert response.json[field] == value
        assert response.json["_id"] == created["_id"]
        assert response.json["createdAt"] == created["createdAt"]


@pytest.mark.parametrize("model", WRITABLE_MODELS)
def test_put_by_a_new_id_creates(api: Api, model: str) -> None:
    model_id = new_object_id()
    response = api.client.simulate_put(
        f"{API}/{model}/{model_id}", json=_body(api, model), headers=api.auth
    )
    assert response.status_code == 201, response.text
    assert response.json["_id"] == model_id
    again = api.client.simulate_get(f"{API}/{model}/{model_id}", headers=api.auth)
    assert again.status_code == 200


@pytest.mark.parametrize("model", WRITABLE_MODELS)
def test_patch_changes_only_the_given_fields(api: Api, model: str) -> None:
    created = create(api, model, _body(api, model))
    field, value = SAMPLES[model][1], SAMPLES[model][2]
    response = api.client.simulate_patch(
        f"{API}/{model}/{created['_id']}", json={field: value}, headers=api.auth
    )
    assert response.status_code == 200, response.text
    created.pop("api", None)  # the secret is only in the creation's answer
    changed = {k for k in response.json if response.json[k] != created.get(k)}
    assert changed <= {field, "updatedAt", "api"}
    assert response.json[field] == value


@pytest.mark.parametrize("model", WRITABLE_MODELS)
def test_delete_then_404_everywhere(api: Api, model: str) -> None:
    created = create(api, model, _body(api, model))
    url = f"{API}/{model}/{created['_id']}"
    response = api.client.simulate_delete(url, headers=api.auth)
    assert response.status_code == 204
    assert response.text == ""
    assert api.client.simulate_get(url, headers=api.auth).status_code == 404
    assert api.client.simulate_delete(url, headers=api.auth).status_code == 404
    assert api.client.simulate_patch(url, json={}, headers=api.auth).status_code == 404
    # The id is never used again, not even by a PUT naming it.
    reused = api.client.simulate_put(url, json=_body(api, model), headers=api.auth)
    assert reused.status_code == 409
    assert "never reused" in reused.json["message"]


@pytest.mark.parametrize("model", WRITABLE_MODELS)
def test_absent_ids_are_404(api: Api, model: str) -> None:
    for model_id in (new_object_id(), "not-an-object-id"):
        url = f"{API}/{model}/{model_id}"
        assert api.client.simulate_get(url, headers=api.auth).status_code == 404
        assert api.client.simulate_delete(url, headers=api.auth).status_code == 404
        patched = api.client.simulate_patch(url, json={"name": "x"}, headers=api.auth)
        assert patched.status_code == 404


@pytest.mark.parametrize("model", WRITABLE_MODELS)
def test_admin_models_need_scope_all(api: Api, model: str) -> None:
    headers = client_headers(api, ["xapi/all", "statements/read", "statements/delete"])
    for method, url in (
        ("GET", f"{API}/{model}"),
        ("GET", f"{API}/{model}/count"),
        ("POST", f"{API}/{model}"),
        ("PUT", f"{API}/{model}"),
        ("GET", f"{API}/{model}/{new_object_id()}"),
        ("DELETE", f"{API}/{model}/{new_object_id()}"),
    ):
        response = api.client.simulate_request(method, url, json={}, headers=headers)
        assert response.status_code == 403, (method, url)
    assert api.client.simulate_get(f"{API}/{model}").status_code == 401


@pytest.mark.parametrize("model", WRITABLE_MODELS)
def test_unknown_and_read_only_fields_are_ignored(api: Api, model: str) -> None:
    body = {
        **_body(api, model),
        "unknownField": 1,
        "_id": "0" * 24,
        "organisation": "f" * 24,
        "createdAt": "2000-01-01T00:00:00.000Z",
    }
    created = create(api, model, body)
    assert "unknownField" not in created
    assert created["_id"] != "0" * 24
    assert created["organisation"] == api.tenant.organisation.id
    assert created["createdAt"] != "2000-01-01T00:00:00.000Z"


def test_unknown_model_is_404(api: Api) -> None:
    response = api.client.simulate_get(f"{API}/nosuchmodel", headers=api.auth)
    assert response.status_code == 404
    assert "nosuchmodel" in response.json["message"]


def test_model_names_are_case_insensitive(api: Api) -> None:
    created = create(api, "personaidentifier", SAMPLES["personaidentifier"][0](api, api.auth))
    response = api.client.simulate_get(
        f"{API}/personaIdentifier/{created['_id']}", headers=api.auth
    )
    assert response.status_code == 200
