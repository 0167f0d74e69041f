"""The ``statement`` model (read, count, delete only) and ``export/:id/download`` (both stores)."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.http.conftest import Api
from tests.http.rest_support import API, client_headers, create, second_tenant


def statement(n: int, verb: str = "http://example.org/verb") -> dict[str, Any]:
    return {
        "actor": {"mbox": f"mailto:learner{n}@example.org"},
        "verb": {"id": verb},
        "object": {"id": f"http://example.org/activity/{n}"},
    }


def _store_count(api: Api) -> int:
    store = api.client.simulate_get(f"{API}/lrs/{api.tenant.lrs.id}", headers=api.auth)
    return store.json["statementCount"]


def test_statements_read_count_and_delete(api: Api) -> None:
    api.post_statements([statement(n) for n in range(3)])
    listed = api.client.simulate_get(f"{API}/statement", headers=api.auth, params={"sort": "_id"})
    assert listed.status_code == 200
    assert len(listed.json) == 3
    first = listed.json[0]
    assert first["statement"]["actor"]["mbox"].startswith("mailto:learner")
    assert first["organisation"] == api.tenant.organisation.id
    assert first["stored"].endswith("Z")

    query = '{"statement.actor.mbox": "mailto:learner1@example.org"}'
    count = api.client.simulate_get(
        f"{API}/statement/count", headers=api.auth, params={"query": query}
    )
    assert count.json == 1
    one = api.client.simulate_get(f"{API}/statement/{first['_id']}", headers=api.auth)
    assert one.status_code == 200
    assert one.json["_id"] == first["_id"]

    # Writes are not part of this model; delete needs statements/delete (not implied by all).
    for method in ("POST", "PUT", "PATCH"):
        url = f"{API}/statement/{first['_id']}"
        assert (
            api.client.simulate_request(method, url, json={}, headers=api.auth).status_code == 405
        )
    assert (
        api.client.simulate_post(f"{API}/statement", json={}, headers=api.auth).status_code == 405
    )
    url = f"{API}/statement/{first['_id']}"
    assert api.client.simulate_delete(url, headers=api.auth).status_code == 403
    deleter = client_headers(api, ["statements/delete", "statements/read"])
    assert _store_count(api) == 3
    assert api.client.simulate_delete(url, headers=deleter).status_code == 204
    assert api.client.simulate_get(url, headers=api.auth).status_code == 404
    assert api.client.simulate_delete(url, headers=deleter).status_code == 404
    assert api.client.simulate_get(f"{API}/statement/count", headers=api.auth).json == 2
    assert _store_count(api) == 2


def test_statements_need_a_read_scope_and_stay_in_their_organisation(api: Api) -> None:
    api.post_statements([statement(1)])
    writer = client_headers(api, ["statements/write"])
    assert api.client.simulate_get(f"{API}/statement", headers=writer).status_code == 403
    reader = client_headers(api, ["statements/read"])
    mine = api.client.simulate_get(f"{API}/statement", headers=reader).json
    assert len(mine) == 1
    # Populating admin models needs scope all.
    response = api.client.simulate_get(
        f"{API}/statement", headers=reader, params={"populate": "client"}
    )
    assert response.status_code == 403

    other = second_tenant(api, scopes=("all", "statements/delete"))
    assert api.client.simulate_get(f"{API}/statement", headers=other.headers).json == []
    url = f"{API}/statement/{mine[0]['_id']}"
    assert api.client.simulate_get(url, headers=other.headers).status_code == 404
    assert api.client.simulate_delete(url, headers=other.headers).status_code == 404
    assert api.client.simulate_get(f"{API}/statement/count", headers=api.auth).json == 1


def test_export_download_makes_a_csv_served_at_its_url(api: Api) -> None:
    api.post_statements([statement(1), statement(2, verb="http://example.org/other")])
    query = create(
        api,
        "query",
        {"name": "Verb", "conditions": {"statement.verb.id": "http://example.org/verb"}},
    )
    export = create(
        api,
        "export",
        {
            "name": "Verbs",
            "query": query["_id"],
            "projections": [{"_id": 0, "who": "$statement.actor.mbox", "verb": "$statement.verb"}],
        },
    )
    response = api.client.simulate_post(f"{API}/export/{export['_id']}/download", headers=api.auth)
    assert response.status_code == 200, response.text
    assert response.json["_id"] == export["_id"]
    assert len(response.json["downloads"]) == 1
    download_id = response.json["downloads"][0]

    download = api.client.simulate_get(f"{API}/download/{download_id}", headers=api.auth).json
    assert download["isReady"] is True
    assert download["export"] == export["_id"]
    assert "content" not in download
    organisation = api.tenant.organisation.id
    assert download["url"] == f"/api/organisation/{organisation}/downloadexport/{download_id}.csv"

    served = api.client.simulate_get(download["url"], headers=api.auth)
    assert served.status_code == 200
    assert served.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(served.text)))
    assert rows == [{"who": "mailto:learner1@example.org", "verb.id": "http://example.org/verb"}]

    populated = api.client.simulate_get(
        f"{API}/export/{export['_id']}", headers=api.auth, params={"populate": "downloads"}
    )
    assert populated.json["downloads"][0]["_id"] == download_id

    # Another organisation, or a client without scope all, cannot fetch it.
    other = second_tenant(api)
    assert api.client.simulate_get(download["url"], headers=other.headers).status_code == 404
    reader = client_headers(api, ["statements/read"])
    assert api.client.simulate_get(download["url"], headers=reader).status_code == 403


def test_export_without_query_uses_the_default_projection(api: Api) -> None:
    api.post_statements([statement(1)])
    export = create(api, "export", {"name": "All"})
    response = api.client.simulate_post(f"{API}/export/{export['_id']}/download", headers=api.auth)
    url = api.client.simulate_get(
        f"{API}/download/{response.json['downloads'][0]}", headers=api.auth
    ).json["url"]
    rows = list(csv.DictReader(io.StringIO(api.client.simulate_get(url, headers=api.auth).text)))
    assert len(rows) == 1
    assert rows[0]["actor.mbox"] == "mailto:learner1@example.org"
    assert rows[0]["verb.id"] == "http://example.org/verb"
    assert {"_id", "id", "timestamp", "stored"} <= set(rows[0])
