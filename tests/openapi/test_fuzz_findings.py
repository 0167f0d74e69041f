"""Bugs the schemathesis run found, pinned as plain tests (both stores)."""

from __future__ import annotations

from falcon import testing

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.store.base import Store
from lrs.tenancy.service import bootstrap
from tests.openapi.support import basic


def test_an_export_whose_projections_are_null_downloads(store: Store) -> None:
    """``projections: null`` is a valid write (the field is optional); the download verb read
    it as a list and answered 500."""
    tenant = bootstrap(store, key="k", secret="s")
    assert tenant is not None
    client = testing.TestClient(create_app(Settings(auth_cache_seconds=0), store))
    auth = basic("k", "s")
    export = client.simulate_post("/api/v2/export", headers=auth, json={"projections": None})
    assert export.status_code == 201, export.text
    download = client.simulate_post(f"/api/v2/export/{export.json['_id']}/download", headers=auth)
    assert download.status_code == 200, download.text
    assert len(download.json["downloads"]) == 1
