"""A client of one organisation can neither see nor change anything of another (both stores)."""

from __future__ import annotations

import pytest

from tests.http.conftest import Api
from tests.http.rest_support import API, SAMPLES, WRITABLE_MODELS, create, second_tenant

VERBS = {"client": "regenerate", "export": "download", "persona": "merge"}


@pytest.mark.parametrize("model", WRITABLE_MODELS)
def test_another_organisations_model_is_404_on_every_route(api: Api, model: str) -> None:
    other = second_tenant(api)
    theirs = create(api, model, SAMPLES[model][0](api, other.headers), other.headers)
    url = f"{API}/{model}/{theirs['_id']}"
    body = SAMPLES[model][0](api, api.auth)

    assert api.client.simulate_get(url, headers=api.auth).status_code == 404
    for method in ("PUT", "POST", "PATCH"):
        response = api.client.simulate_request(method, url, json=body, headers=api.auth)
        assert response.status_code == 404, (method, response.text)
    assert api.client.simulate_delete(url, headers=api.auth).status_code == 404
    for method in ("PUT", "PATCH"):
        response = api.client.simulate_request(
            method, f"{API}/{model}", json=[{**body, "_id": theirs["_id"]}], headers=api.auth
        )
        assert response.status_code == 404, (method, response.text)
        assert "[0]" in response.json["message"]
    if model in VERBS:
        response = api.client.simulate_post(
            f"{url}/{VERBS[model]}", json={"mergePersonaFromId": theirs["_id"]}, headers=api.auth
        )
        assert response.status_code == 404

    listed = api.client.simulate_get(f"{API}/{model}", headers=api.auth).json
    assert theirs["_id"] not in [doc["_id"] for doc in listed]
    query = f'{{"_id": "{theirs["_id"]}"}}'
    count = api.client.simulate_get(
        f"{API}/{model}/count", params={"query": query}, headers=api.auth
    )
    assert count.json == 0

    # Nothing of theirs changed.
    again = api.client.simulate_get(url, headers=other.headers)
    assert again.status_code == 200
    assert {k: v for k, v in again.json.items() if k != "api"} == {
        k: v for k, v in theirs.items() if k != "api"
    }


def test_organisation_model_shows_only_the_callers_own(api: Api) -> None:
    other = second_tenant(api)
    listed = api.client.simulate_get(f"{API}/organisation", headers=api.auth).json
    assert [doc["_id"] for doc in listed] == [api.tenant.organisation.id]
    url = f"{API}/organisation/{other.organisation_id}"
    assert api.client.simulate_get(url, headers=api.auth).status_code == 404
    assert api.client.simulate_patch(url, json={"name": "x"}, headers=api.auth).status_code == 404
    assert api.client.simulate_delete(url, headers=api.auth).status_code == 404
    own = f"{API}/organisation/{api.tenant.organisation.id}"
    patched = api.client.simulate_patch(own, json={"name": "Renamed"}, headers=api.auth)
    assert patched.status_code == 200
    assert patched.json["name"] == "Renamed"
    assert api.client.simulate_delete(own, headers=api.auth).status_code == 403
    created = api.client.simulate_post(f"{API}/organisation", json={"name": "x"}, headers=api.auth)
    assert created.status_code == 403


def test_references_to_another_organisation_are_refused(api: Api) -> None:
    other = second_tenant(api)
    response = api.client.simulate_post(
        f"{API}/client", json={"title": "x", "lrs_id": other.lrs_id}, headers=api.auth
    )
    assert response.status_code == 400
    assert response.json["message"].startswith("lrs_id:")
    count = api.client.simulate_get(f"{API}/client/count", headers=api.auth).json
    assert count == 1


def test_populate_never_crosses_organisations(api: Api) -> None:
    other = second_tenant(api)
    theirs = create(api, "persona", {"name": "Theirs"}, other.headers)
    identifier = create(
        api,
        "personaidentifier",
        {"persona": theirs["_id"], "ifi": {"key": "mbox", "value": "mailto:t@example.com"}},
        other.headers,
    )
    # Their identifier is invisible; ours cannot point at their persona.
    url = f"{API}/personaidentifier/{identifier['_id']}"
    assert api.client.simulate_get(url, headers=api.auth).status_code == 404
    response = api.client.simulate_post(
        f"{API}/personaidentifier",
        json={"persona": theirs["_id"], "ifi": {"key": "mbox", "value": "mailto:o@example.com"}},
        headers=api.auth,
    )
    assert response.status_code == 400
    assert "persona" in response.json["message"]


def test_same_unique_values_in_two_organisations_do_not_clash(api: Api) -> None:
    other = second_tenant(api)
    create(api, "user", {"email": "same@example.com"}, other.headers)
    create(api, "user", {"email": "same@example.com"})
