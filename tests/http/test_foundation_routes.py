"""About, health, authentication, scopes and error rendering through the real Falcon app."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import falcon
import pytest
from falcon import testing

from lrs.core.settings import Settings
from lrs.core.timeutil import utc_now
from lrs.http.app import create_app
from lrs.ops.throwaway_postgres import free_port
from lrs.store.base import Store
from lrs.store.models import Organisation
from lrs.store.postgres import PostgresStore
from lrs.tenancy.scopes import Access
from lrs.tenancy.service import new_client, new_lrs, new_organisation
from tests.http.conftest import Api, basic_auth


def test_about_needs_no_credentials_and_names_the_versions(api: Api) -> None:
    response = api.client.simulate_get("/data/xAPI/about")
    assert response.status_code == 200
    assert response.json == {"version": ["2.0.0", "1.0.3"], "extensions": {}}
    assert response.headers["X-Experience-API-Version"] == "2.0.0"
    assert response.headers["Content-Type"].startswith("application/json")
    for asked, echoed in (("1.0", "1.0.3"), ("1.0.3", "1.0.3"), ("2.0", "2.0.0")):
        answer = api.client.simulate_get(
            "/data/xAPI/about", headers={"X-Experience-API-Version": asked}
        )
        assert answer.headers["X-Experience-API-Version"] == echoed


def test_xapi_errors_carry_the_version_header_too(api: Api) -> None:
    response = api.client.simulate_get(
        "/data/xAPI/no-such-resource", headers={"X-Experience-API-Version": "1.0.3"}
    )
    assert response.status_code == 404
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert "/data/xAPI/no-such-resource" in response.json["message"]


@pytest.mark.parametrize(
    ("version", "message"),
    [(None, "missing"), ("0.95", "not supported"), ("1.1.0", "not"), ("3.0.0", "not")],
)
def test_xapi_requests_need_a_served_version_header(
    api: Api, version: str | None, message: str
) -> None:
    headers = dict(api.auth)
    if version is not None:
        headers["X-Experience-API-Version"] = version
    response = api.client.simulate_get("/data/xAPI/statements", headers=headers)
    assert response.status_code == 400
    assert message in response.json["message"]
    assert "X-Experience-API-Version" in response.json["message"]
    assert "send 2.0.0 or 1.0.3" in response.json["message"]
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


def test_health_is_ok_when_the_store_answers(api: Api) -> None:
    response = api.client.simulate_get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_health_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    nothing_listens = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/lrs"
    store = PostgresStore.from_url(nothing_listens)
    try:
        response = testing.TestClient(create_app(settings, store)).simulate_get("/health")
    finally:
        store.close()
    assert response.status_code == 503
    assert set(response.json) == {"errorId", "message"}
    assert "database" in response.json["message"]


def test_right_credentials_reach_an_authenticated_route(api: Api) -> None:
    response = api.client.simulate_get("/api/auth/client/info", headers=api.auth)
    assert response.status_code == 200
    client = api.tenant.issued.client
    assert response.json == {
        "_id": client.id,
        "title": client.title,
        "organisation": client.organisation_id,
        "lrs_id": client.lrs_id,
        "scopes": ["all"],
    }


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing"),
        (basic_auth("test-key", "wrong-secret"), "wrong"),
        (basic_auth("unknown-key", "test-secret"), "wrong"),
        ({"Authorization": "Basic not*base64"}, "base64"),
        ({"Authorization": "Bearer token"}, "Basic scheme"),
    ],
)
def test_missing_or_wrong_credentials_get_401_with_a_challenge(
    api: Api, headers: dict[str, str], message: str
) -> None:
    response = api.client.simulate_get("/api/auth/client/info", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="lrs"'
    assert message in response.json["message"]
    assert response.json["errorId"]


def add_client(api: Api, scopes: list[str], key: str, *, trusted: bool = True) -> dict[str, str]:
    issued = new_client(
        api.tenant.organisation.id, api.tenant.lrs.id, title=key, scopes=scopes, key=key
    )
    api.store.add_client(replace(issued.client, is_trusted=trusted))
    return basic_auth(key, issued.secret)


def test_a_disabled_client_gets_403(api: Api) -> None:
    headers = add_client(api, ["all"], "disabled", trusted=False)
    response = api.client.simulate_get("/api/auth/client/info", headers=headers)
    assert response.status_code == 403
    assert "isTrusted" in response.json["message"]


def test_a_client_of_an_expired_organisation_gets_403(store: Store, settings: Settings) -> None:
    fresh = new_organisation("Expired")
    expired = Organisation(
        id=fresh.id,
        name=fresh.name,
        created_at=fresh.created_at,
        updated_at=fresh.updated_at,
        expiration=utc_now() - timedelta(seconds=1),
    )
    store.add_organisation(expired)
    lrs = new_lrs(expired.id, "s")
    store.add_lrs(lrs)
    issued = new_client(expired.id, lrs.id, title="c", scopes=["all"], key="exp")
    store.add_client(issued.client)
    client = testing.TestClient(create_app(settings, store))
    response = client.simulate_get(
        "/api/auth/client/info", headers=basic_auth("exp", issued.secret)
    )
    assert response.status_code == 403
    assert "expired" in response.json["message"]


class StatementsProbe:
    """A test-only resource declaring the access real statement routes will declare."""

    access = {"GET": Access.STATEMENTS_READ, "POST": Access.STATEMENTS_WRITE}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"client": req.context.principal.client.id}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.status = falcon.HTTP_204

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.status = falcon.HTTP_204


class Exploding:
    """A test-only resource that fails unexpectedly."""

    auth_exempt = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise RuntimeError("connection string postgresql://admin:hunter2@db")


def test_scopes_decide_per_method_and_unlisted_methods_need_all(api: Api) -> None:
    api.app.add_route("/probe", StatementsProbe())
    reader = add_client(api, ["statements/read"], "reader")
    writer = add_client(api, ["statements/write"], "writer")
    assert api.client.simulate_get("/probe", headers=reader).status_code == 200
    denied = api.client.simulate_post("/probe", headers=reader)
    assert denied.status_code == 403
    assert "statements/read" in denied.json["message"]
    assert "write statements" in denied.json["message"]
    assert api.client.simulate_post("/probe", headers=writer).status_code == 204
    assert api.client.simulate_get("/probe", headers=writer).status_code == 403
    assert api.client.simulate_delete("/probe", headers=writer).status_code == 403
    assert api.client.simulate_delete("/probe", headers=api.auth).status_code == 204


def test_unexpected_errors_are_500_json_without_details_and_logged(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    api.app.add_route("/explode", Exploding())
    with caplog.at_level(logging.ERROR, logger="lrs.errors"):
        response = api.client.simulate_get("/explode")
    assert response.status_code == 500
    assert set(response.json) == {"errorId", "message"}
    assert "hunter2" not in response.text and "Traceback" not in response.text
    logged = [r for r in caplog.records if response.json["errorId"] in r.getMessage()]
    assert logged and logged[0].exc_info is not None


def test_unknown_routes_and_methods_are_json_errors(api: Api) -> None:
    missing = api.client.simulate_get("/nowhere")
    assert missing.status_code == 404
    assert missing.json["message"] == "no resource at /nowhere"
    wrong_method = api.client.simulate_delete("/data/xAPI/about")
    assert wrong_method.status_code == 405
    assert "DELETE" in wrong_method.json["message"]


def test_bodies_over_the_limit_get_413(api: Api) -> None:
    response = api.client.simulate_post("/api/auth/client/info", headers=api.auth, body=b"x" * 5000)
    assert response.status_code == 413
    assert response.json["message"].endswith("the limit is 4096 (LRS_MAX_BODY_BYTES)")
