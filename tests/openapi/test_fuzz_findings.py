"""Bugs the schemathesis run found, pinned as plain tests (both stores)."""

from __future__ import annotations

from falcon import testing

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.store.base import Store
from lrs.tenancy.service import bootstrap
from tests.openapi.support import basic


def _client(store: Store) -> testing.TestClient:
    assert bootstrap(store, key="k", secret="s") is not None
    return testing.TestClient(create_app(Settings(auth_cache_seconds=0), store))


def test_an_export_whose_projections_are_null_downloads(store: Store) -> None:
    """``projections: null`` is a valid write (the field is optional); the download verb read
    it as a list and answered 500."""
    client = _client(store)
    auth = basic("k", "s")
    export = client.simulate_post("/api/v2/export", headers=auth, json={"projections": None})
    assert export.status_code == 201, export.text
    download = client.simulate_post(f"/api/v2/export/{export.json['_id']}/download", headers=auth)
    assert download.status_code == 200, download.text
    assert len(download.json["downloads"]) == 1


def test_an_integer_field_beyond_64_bits_is_refused(store: Store) -> None:
    """``8.15e20`` (or the integer literal, which the JSON parser reads as that float) passed as
    an integer, was stored, and every response holding it failed to serialise: 500."""
    client = _client(store)
    auth = basic("k", "s")
    for value in (b"815012832905045737472", b"1e300", b"-1e19"):
        body = b'{"barChartGroupingLimit": ' + value + b"}"
        response = client.simulate_post(
            "/api/v2/visualisation", headers={**auth, "Content-Type": "application/json"}, body=body
        )
        assert response.status_code == 400, response.text
        assert response.json["message"].startswith("barChartGroupingLimit: must be a 64-bit")
    assert client.simulate_get("/api/v2/visualisation", headers=auth).json == []
    largest = {"barChartGroupingLimit": 2**63 - 1}
    created = client.simulate_post("/api/v2/visualisation", headers=auth, json=largest)
    assert created.status_code == 201, created.text
    assert created.json["barChartGroupingLimit"] == 2**63 - 1
