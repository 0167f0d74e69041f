"""Every response carries ``X-Request-Id``: the caller's when it is sane, a new one otherwise."""

from __future__ import annotations

import re
from typing import Any

import falcon
import orjson
import pytest

from lrs.http.observe.request_ids import is_sane, request_id_for
from tests.http.conftest import Api, basic_auth
from tests.observability.conftest import XAPI, alternate_form

NEW_ID = re.compile(r"[0-9a-f]{32}")
SANE = ["abc", "A1-b2_c3.d4:e5", "x" * 128, "0", "req:2026-11-25T12:00:00.000Z"]
INSANE = [
    "",
    "x" * 129,
    "has space",
    "tab\there",
    "new\nline",
    "nul\x00",
    "caf\u00e9",
    "a/b",
    "a,b",
    'quote"d',
    "semi;colon",
]


class ContextProbe:
    """Answers with the request id the resources see."""

    auth_exempt = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"request_id": req.context.request_id}


class Exploding:
    auth_exempt = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise RuntimeError("boom")


@pytest.mark.parametrize("value", SANE)
def test_sane_values_are_kept(value: str) -> None:
    assert is_sane(value)
    assert request_id_for(value) == value


@pytest.mark.parametrize("value", [*INSANE, None])
def test_insane_or_missing_values_are_replaced(value: str | None) -> None:
    assert not is_sane(value)
    assert NEW_ID.fullmatch(request_id_for(value))


def test_new_ids_differ() -> None:
    assert len({request_id_for(None) for _ in range(100)}) == 100


def requests(api: Api) -> dict[str, dict[str, Any]]:
    """One request of each kind the header must survive, as ``simulate_request`` arguments."""
    api.app.add_route("/explode", Exploding())
    form = alternate_form({**api.auth, **XAPI, "limit": "1"})
    return {
        "about": {"method": "GET", "path": "/data/xAPI/about"},
        "statements": {
            "method": "GET",
            "path": "/data/xAPI/statements",
            "headers": {**api.auth, **XAPI},
        },
        "401": {"method": "GET", "path": "/data/xAPI/statements", "headers": XAPI},
        "401 wrong secret": {
            "method": "GET",
            "path": "/data/xAPI/statements",
            "headers": {**basic_auth("test-key", "wrong"), **XAPI},
        },
        "400 no version": {"method": "GET", "path": "/data/xAPI/statements", "headers": api.auth},
        "404": {"method": "GET", "path": "/nowhere"},
        "405": {"method": "DELETE", "path": "/data/xAPI/about"},
        "413": {"method": "POST", "path": "/api/auth/client/info", "body": b"x" * 5000},
        "500": {"method": "GET", "path": "/explode"},
        "preflight": {
            "method": "OPTIONS",
            "path": "/data/xAPI/statements",
            "headers": {
                "Origin": "https://content.example",
                "Access-Control-Request-Method": "PUT",
            },
        },
        "alternate syntax": {
            "method": "POST",
            "path": "/data/xAPI/statements",
            "query_string": "method=GET",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            "body": form,
        },
        "alternate syntax 400": {
            "method": "GET",
            "path": "/data/xAPI/statements",
            "query_string": "method=PUT",
        },
    }


EXPECTED_STATUS = {
    "about": 200,
    "statements": 200,
    "401": 401,
    "401 wrong secret": 401,
    "400 no version": 400,
    "404": 404,
    "405": 405,
    "413": 413,
    "500": 500,
    "preflight": 200,
    "alternate syntax": 200,
    "alternate syntax 400": 400,
}


@pytest.mark.parametrize("kind", EXPECTED_STATUS)
def test_every_kind_of_response_echoes_a_sane_id_and_replaces_an_insane_one(
    api: Api, kind: str
) -> None:
    request = requests(api)[kind]
    headers = request.pop("headers", {})
    sane = api.client.simulate_request(
        **request, headers={**headers, "X-Request-Id": "trace-7.a:b"}
    )
    assert sane.status_code == EXPECTED_STATUS[kind], sane.text
    assert sane.headers["X-Request-Id"] == "trace-7.a:b"

    insane = api.client.simulate_request(**request, headers={**headers, "X-Request-Id": "a b\x01"})
    assert insane.status_code == EXPECTED_STATUS[kind]
    assert NEW_ID.fullmatch(insane.headers["X-Request-Id"])

    missing = api.client.simulate_request(**request, headers=headers)
    assert NEW_ID.fullmatch(missing.headers["X-Request-Id"])
    assert missing.headers["X-Request-Id"] != insane.headers["X-Request-Id"]


def test_resources_see_the_id_on_the_request_context(api: Api) -> None:
    api.app.add_route("/probe", ContextProbe())
    echoed = api.client.simulate_get("/probe", headers={"X-Request-Id": "mine-1"})
    assert echoed.json == {"request_id": "mine-1"}
    fresh = api.client.simulate_get("/probe")
    assert fresh.json["request_id"] == fresh.headers["X-Request-Id"]


def test_browsers_may_read_the_header_cross_origin(api: Api) -> None:
    response = api.client.simulate_get(
        "/data/xAPI/about", headers={"Origin": "https://content.example"}
    )
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "X-Request-Id" in [name.strip() for name in exposed.split(",")]


def test_the_alternate_syntax_answers_with_the_rewritten_request(api: Api) -> None:
    # Guards the "alternate syntax" case above: it really ran as a GET of the statements.
    response = api.client.simulate_post(
        "/data/xAPI/statements",
        query_string="method=GET",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=alternate_form({**api.auth, **XAPI}),
    )
    assert response.status_code == 200
    assert orjson.loads(response.content)["statements"] == []
