"""Seed 000's examples, request by request, with ``lrs`` as the model (both stores)."""

from __future__ import annotations

from tests.http.conftest import Api

URL = "/api/v2/lrs"


def _json_type(response) -> None:  # type: ignore[no-untyped-def]
    assert response.headers["Content-Type"].startswith("application/json")


def test_seed_000_examples(api: Api) -> None:
    organisation = api.tenant.organisation.id

    # GET /count: 200 with the bare number.
    response = api.client.simulate_get(f"{URL}/count", headers=api.auth)
    assert response.status_code == 200
    _json_type(response)
    assert response.json == 1  # the bootstrap store

    # POST /: 201 with the created model.
    response = api.client.simulate_post(URL, json={"title": "Example Store"}, headers=api.auth)
    assert response.status_code == 201
    _json_type(response)
    created = response.json
    assert created["title"] == "Example Store"
    assert created["organisation"] == organisation
    assert created["statementCount"] == 0
    assert set(created) >= {"_id", "createdAt", "updatedAt"}
    store_id = created["_id"]

    # GET /: a bare array of models with the example's shape.
    response = api.client.simulate_get(URL, headers=api.auth)
    assert response.status_code == 200
    assert isinstance(response.json, list)
    listed = {doc["_id"]: doc for doc in response.json}
    assert listed[store_id] == created
    assert set(listed[store_id]) >= {
        "createdAt",
        "organisation",
        "statementCount",
        "title",
        "updatedAt",
        "_id",
    }

    # GET /:id: 200 with the model; 404 when it does not exist.
    response = api.client.simulate_get(f"{URL}/{store_id}", headers=api.auth)
    assert response.status_code == 200
    assert response.json == created
    assert (
        api.client.simulate_get(f"{URL}/111aaa1111a111111aa11112", headers=api.auth).status_code
        == 404
    )

    # PUT /:id with the example's whole body (read-only fields included): 200, title updated.
    body = {
        "createdAt": "2017-08-08T14:35:18.400Z",
        "organisation": "111aaa1111a111111aa11111",
        "statementCount": 987,
        "title": "Updated Title",
        "updatedAt": "2017-08-08T14:35:33.721Z",
        "_id": "111aaa1111a111111aa11112",
    }
    response = api.client.simulate_put(f"{URL}/{store_id}", json=body, headers=api.auth)
    assert response.status_code == 200
    updated = response.json
    assert updated["title"] == "Updated Title"
    assert updated["_id"] == store_id
    assert updated["organisation"] == organisation
    assert updated["statementCount"] == 0  # read-only: ignored
    assert updated["createdAt"] == created["createdAt"]

    # POST /:id does the same.
    response = api.client.simulate_post(
        f"{URL}/{store_id}", json={**body, "title": "Posted Title"}, headers=api.auth
    )
    assert response.status_code == 200
    assert response.json["title"] == "Posted Title"

    # PATCH /:id: 200 with only the given field changed.
    response = api.client.simulate_patch(
        f"{URL}/{store_id}", json={"title": "Patched Title"}, headers=api.auth
    )
    assert response.status_code == 200
    assert response.json["title"] == "Patched Title"
    assert response.json["description"] == created["description"]

    # DELETE /:id: 204 with no body, then 404.
    response = api.client.simulate_delete(f"{URL}/{store_id}", headers=api.auth)
    assert response.status_code == 204
    assert response.content == b""
    assert api.client.simulate_get(f"{URL}/{store_id}", headers=api.auth).status_code == 404
    count = api.client.simulate_get(f"{URL}/count", headers=api.auth)
    assert count.json == 1


def test_store_is_also_reachable_as_store(api: Api) -> None:
    created = api.client.simulate_post(URL, json={"title": "S"}, headers=api.auth).json
    response = api.client.simulate_get(f"/api/v2/store/{created['_id']}", headers=api.auth)
    assert response.status_code == 200
    assert response.json == created
