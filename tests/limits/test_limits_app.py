"""Every limit answers a JSON error naming it, through the real Falcon app on both stores."""

from __future__ import annotations

import hashlib
import io
import urllib.parse
from typing import Any

import orjson
import pytest
from falcon import testing

from lrs.query.parse import MAX_DEPTH, MAX_NODES, MAX_PROJECTION_FIELDS, MAX_SORT_KEYS
from lrs.xapi.attachments import AttachmentPart, build_multipart
from tests.http.conftest import Api

XAPI = {"X-Experience-API-Version": "1.0.3"}
STATEMENTS = "/data/xAPI/statements"


def statement(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "actor": {"mbox": f"mailto:limits{n}@example.org"},
        "verb": {"id": "http://example.org/verbs/did"},
        "object": {"id": f"http://example.org/activities/{n}"},
        **extra,
    }


def stored_count(api: Api) -> int:
    response = api.client.simulate_get(
        STATEMENTS, headers={**api.auth, **XAPI}, query_string="limit=20"
    )
    assert response.status_code == 200, response.text
    return len(response.json["statements"])


def assert_json_error(response: testing.Result, status: int, *names: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    message = response.json["message"]
    for name in names:
        assert name in message, message


def call_raw(api: Api, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """Call the WSGI app with a hand-made environ (what a server gives for a chunked body)."""
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started["status"] = int(status.split()[0])
        started["headers"] = {k.lower(): v for k, v in headers}

    body = b"".join(api.app(environ, start_response))
    return started["status"], started["headers"], body


def chunked_environ(api: Api, body: bytes, path: str, content_type: str, query: str = "") -> dict:
    environ = testing.create_environ(
        path=path,
        query_string=query,
        method="POST",
        headers={**api.auth, **XAPI, "Content-Type": content_type},
    )
    environ.pop("CONTENT_LENGTH", None)
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input"] = io.BytesIO(body)  # the server has removed the chunk framing
    return environ


# Request body ---------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413(api: Api) -> None:
    body = orjson.dumps([statement(1, result={"response": "x" * 70_000})])
    response = api.client.simulate_post(
        STATEMENTS, headers={**api.auth, **XAPI, "Content-Type": "application/json"}, body=body
    )
    assert_json_error(response, 413, "65536")
    assert stored_count(api) == 0


def test_a_chunked_body_without_content_length_is_read_and_limited(api: Api) -> None:
    small = orjson.dumps([statement(1)])
    status, _, body = call_raw(api, chunked_environ(api, small, STATEMENTS, "application/json"))
    assert status == 200, body
    assert stored_count(api) == 1

    large = orjson.dumps([statement(2, result={"response": "x" * 70_000})])
    status, headers, body = call_raw(
        api, chunked_environ(api, large, STATEMENTS, "application/json")
    )
    assert status == 413, body
    assert headers["content-type"].startswith("application/json")
    assert "LRS_MAX_BODY_BYTES" in orjson.loads(body)["message"]
    assert stored_count(api) == 1


def alternate_form(statement_json: bytes, api: Api) -> bytes:
    return urllib.parse.urlencode(
        {
            "Authorization": api.auth["Authorization"],
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
            "content": statement_json.decode(),
        }
    ).encode()


def test_the_alternate_syntax_form_body_is_limited(api: Api) -> None:
    large = alternate_form(orjson.dumps(statement(1, result={"response": "x" * 70_000})), api)
    response = api.client.simulate_post(
        STATEMENTS,
        query_string="method=POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=large,
    )
    assert_json_error(response, 413, "65536")
    status, headers, body = call_raw(
        api,
        chunked_environ(
            api, large, STATEMENTS, "application/x-www-form-urlencoded", query="method=POST"
        ),
    )
    assert status == 413, body
    assert headers["content-type"].startswith("application/json")
    # A chunked form under the limit is the request it stands for.
    small = alternate_form(orjson.dumps(statement(2)), api)
    status, _, body = call_raw(
        api,
        chunked_environ(
            api, small, STATEMENTS, "application/x-www-form-urlencoded", query="method=POST"
        ),
    )
    assert status == 200, body
    assert stored_count(api) == 1


# Statements per batch and attachments ---------------------------------------------------------


def test_a_batch_over_the_limit_is_413_and_nothing_is_stored(api: Api) -> None:
    response = api.client.simulate_post(
        STATEMENTS,
        headers={**api.auth, **XAPI, "Content-Type": "application/json"},
        body=orjson.dumps([statement(n) for n in range(6)]),
    )
    assert_json_error(response, 413, "6 statements", "5", "LRS_MAX_STATEMENTS_PER_BATCH")
    assert stored_count(api) == 0
    api.post_statements([statement(n) for n in range(5)])
    assert stored_count(api) == 5


def attachment_request(data: bytes) -> tuple[bytes, str, str]:
    sha2 = hashlib.sha256(data).hexdigest()
    with_attachment = statement(
        1,
        attachments=[
            {
                "usageType": "http://example.org/usage",
                "display": {"en-US": "file"},
                "contentType": "text/plain",
                "length": len(data),
                "sha2": sha2,
            }
        ],
    )
    body, content_type = build_multipart(
        orjson.dumps([with_attachment]), [AttachmentPart(sha2, data, "text/plain")]
    )
    return body, content_type, sha2


def test_an_attachment_over_the_limit_is_413_naming_it(api: Api) -> None:
    body, content_type, sha2 = attachment_request(b"a" * 101)
    response = api.client.simulate_post(
        STATEMENTS, headers={**api.auth, **XAPI, "Content-Type": content_type}, body=body
    )
    assert_json_error(response, 413, sha2, "101 bytes", "LRS_MAX_ATTACHMENT_BYTES")
    assert stored_count(api) == 0
    body, content_type, _ = attachment_request(b"a" * 100)
    response = api.client.simulate_post(
        STATEMENTS, headers={**api.auth, **XAPI, "Content-Type": content_type}, body=body
    )
    assert response.status_code == 200, response.text
    assert stored_count(api) == 1


# Query language --------------------------------------------------------------------------------


def nested(depth: int) -> dict[str, Any]:
    query: dict[str, Any] = {"statement.verb.id": "http://example.org/verbs/did"}
    for _ in range(depth):
        query = {"$and": [query]}
    return query


TOO_DEEP = nested(MAX_DEPTH + 1)
TOO_LARGE = {"$or": [{"voided": False}] * MAX_NODES}
TOO_MANY_SORT_KEYS = {f"statement.context.extensions.k{n}": 1 for n in range(MAX_SORT_KEYS + 1)}
TOO_MANY_FIELDS = {
    f"statement.context.extensions.k{n}": 1 for n in range(MAX_PROJECTION_FIELDS + 1)
}


def get(api: Api, path: str, **params: Any) -> testing.Result:
    query = {
        k: v if isinstance(v, str | int) else orjson.dumps(v).decode() for k, v in params.items()
    }
    return api.client.simulate_get(
        path, headers=api.auth, query_string=urllib.parse.urlencode(query)
    )


@pytest.mark.parametrize(
    ("parameter", "value", "words"),
    [
        ("filter", TOO_DEEP, ("filter", "nested", str(MAX_DEPTH))),
        ("filter", TOO_LARGE, ("filter", str(MAX_NODES))),
        ("sort", TOO_MANY_SORT_KEYS, ("sort", str(MAX_SORT_KEYS))),
        ("project", TOO_MANY_FIELDS, ("project", str(MAX_PROJECTION_FIELDS))),
    ],
)
def test_connection_query_limits_are_400_naming_them(
    api: Api, parameter: str, value: Any, words: tuple[str, ...]
) -> None:
    response = get(api, "/api/connection/statement", **{parameter: value})
    assert_json_error(response, 400, *words)


@pytest.mark.parametrize(
    ("parameter", "value", "words"),
    [
        ("query", TOO_DEEP, ("query", "nested", str(MAX_DEPTH))),
        ("query", TOO_LARGE, ("query", str(MAX_NODES))),
        ("sort", TOO_MANY_SORT_KEYS, ("sort", str(MAX_SORT_KEYS))),
        ("select", TOO_MANY_FIELDS, ("select", str(MAX_PROJECTION_FIELDS))),
    ],
)
def test_rest_query_limits_are_400_naming_them(
    api: Api, parameter: str, value: Any, words: tuple[str, ...]
) -> None:
    response = get(api, "/api/v2/statement", **{parameter: value})
    assert_json_error(response, 400, *words)


# Page sizes ------------------------------------------------------------------------------------


def test_xapi_limit_over_the_maximum_is_served_in_pages_of_the_maximum(api: Api) -> None:
    api.post_statements([statement(n) for n in range(5)])
    for start in range(5, 25, 5):
        api.post_statements([statement(n) for n in range(start, start + 5)])
    response = api.client.simulate_get(
        STATEMENTS, headers={**api.auth, **XAPI}, query_string="limit=1000"
    )
    assert response.status_code == 200, response.text
    assert len(response.json["statements"]) == 20
    assert response.json["more"]


@pytest.mark.parametrize("parameter", ["first", "last"])
def test_connection_page_over_the_maximum_is_400(api: Api, parameter: str) -> None:
    assert get(api, "/api/connection/statement", **{parameter: 50}).status_code == 200
    response = get(api, "/api/connection/statement", **{parameter: 51})
    assert_json_error(response, 400, parameter, "50")


def test_rest_limit_over_the_maximum_is_400(api: Api) -> None:
    assert get(api, "/api/v2/statement", limit=50).status_code == 200
    response = get(api, "/api/v2/statement", limit=51)
    assert_json_error(response, 400, "limit", "50")


def test_a_url_over_the_limit_is_a_json_414(api: Api) -> None:
    response = get(api, "/api/connection/statement", filter={"x": "y" * 140_000})
    assert_json_error(response, 414, "LRS_MAX_URL_BYTES")
