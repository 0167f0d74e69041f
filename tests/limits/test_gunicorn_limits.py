"""The limits under a real gunicorn (``lrs serve``), in memory and on PostgreSQL: a 64 KB
Connection filter URL is answered by our code, a longer one gets our JSON 414, a chunked body is
read and limited, and what an oversized header gets."""

from __future__ import annotations

import base64
import http.client
import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from lrs.ops.migrate import upgrade_to_head
from lrs.ops.throwaway_postgres import free_port
from tests.pg import PostgresServer
from tests.server.test_gunicorn import running_server, server_env

pytestmark = pytest.mark.server
KEY, SECRET = "limits-key", "limits-secret"
HEADERS = {
    "Authorization": "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode(),
    "X-Experience-API-Version": "1.0.3",
}
URL_LIMIT = 64 * 1024


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def base_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """``lrs serve`` with the default limits (bar a 64 KB body limit), on each store."""
    extra = {"LRS_BOOTSTRAP_KEY": KEY, "LRS_BOOTSTRAP_SECRET": SECRET}
    extra["LRS_MAX_BODY_BYTES"] = str(64 * 1024)
    if request.param == "postgres":
        pg_server: PostgresServer = request.getfixturevalue("pg_server")
        url = pg_server.create_database()
        upgrade_to_head(url)
        extra.update(LRS_DATABASE_URL=url, LRS_WORKERS="1")
    with running_server(server_env(free_port(), **extra), tmp_path / "serve.log") as base:
        yield base


def send(
    base: str,
    method: str,
    target: str,
    body: bytes | list[bytes] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection; a list body is sent chunked (no Content-Length)."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        chunked = isinstance(body, list)
        conn.request(
            method,
            target,
            body=iter(body) if isinstance(body, list) else body,
            headers={**HEADERS, **(headers or {})},
            encode_chunked=chunked,
        )
        response = conn.getresponse()
        return (
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read(),
        )
    finally:
        conn.close()


def filter_url(activity_ids: list[str]) -> str:
    query = {"statement.object.id": {"$in": activity_ids}}
    return "/api/connection/statement?" + urllib.parse.urlencode(
        {"filter": orjson.dumps(query).decode()}
    )


def url_of_size(size: int) -> str:
    """A Connection URL filtering on as many activity ids as make it about ``size`` bytes."""
    ids: list[str] = []
    while len(filter_url(ids)) < size - 200:
        ids.append(f"http://example.org/activities/{len(ids)}")
    return filter_url(ids)


def statement(activity: str, **extra: object) -> dict[str, object]:
    return {
        "actor": {"mbox": "mailto:ann@example.org"},
        "verb": {"id": "http://example.org/verbs/did"},
        "object": {"id": activity},
        **extra,
    }


def test_a_64_kb_connection_filter_is_answered_and_a_longer_url_is_a_json_414(
    base_url: str,
) -> None:
    status, _, body = send(
        base_url,
        "POST",
        "/data/xAPI/statements",
        orjson.dumps(statement("http://example.org/activities/7")),
        {"Content-Type": "application/json"},
    )
    assert status == 200, body
    target = url_of_size(URL_LIMIT)
    assert URL_LIMIT - 300 < len(target) <= URL_LIMIT
    status, headers, body = send(base_url, "GET", target)
    assert status == 200, body[:300]
    assert len(orjson.loads(body)["edges"]) == 1

    status, headers, body = send(base_url, "GET", url_of_size(URL_LIMIT + 4096))
    assert status == 414, body[:300]
    assert headers["content-type"].startswith("application/json")
    assert "LRS_MAX_URL_BYTES" in orjson.loads(body)["message"]


def test_a_chunked_body_is_read_and_limited(base_url: str) -> None:
    small = orjson.dumps([statement("http://example.org/activities/chunked")])
    status, _, body = send(
        base_url,
        "POST",
        "/data/xAPI/statements",
        [small[:20], small[20:]],
        {"Content-Type": "application/json"},
    )
    assert status == 200, body
    [stored_id] = orjson.loads(body)

    large = orjson.dumps(
        [statement("http://example.org/activities/big", result={"response": "x" * 70_000})]
    )
    status, headers, body = send(
        base_url,
        "POST",
        "/data/xAPI/statements",
        [large[i : i + 8192] for i in range(0, len(large), 8192)],
        {"Content-Type": "application/json"},
    )
    assert status == 413, body[:300]
    assert headers["content-type"].startswith("application/json")
    assert "LRS_MAX_BODY_BYTES" in orjson.loads(body)["message"]

    status, _, body = send(base_url, "GET", "/data/xAPI/statements")
    assert status == 200
    assert [s["id"] for s in orjson.loads(body)["statements"]] == [stored_id]


def test_headers_up_to_the_url_limit_reach_the_application(base_url: str) -> None:
    """A header may repeat the URL (Referer): up to LRS_MAX_URL_BYTES + 8 KB it reaches lrs.
    Above that, or with more than 100 headers, gunicorn itself answers 431, in JSON like every
    other error (lrs.ops.gunicorn_errors), not with its HTML page."""
    status, _, body = send(
        base_url, "GET", "/data/xAPI/about", headers={"Referer": "x" * URL_LIMIT}
    )
    assert status == 200, body[:300]
    status, headers, body = send(
        base_url, "GET", "/data/xAPI/about", headers={"Referer": "x" * (URL_LIMIT + 8192 + 1)}
    )
    assert status == 431
    assert headers["content-type"] == "application/json"
    assert "request headers" in orjson.loads(body)["message"]
    many = {f"X-Header-{n}": "v" for n in range(101)}
    status, headers, body = send(base_url, "GET", "/data/xAPI/about", headers=many)
    assert status == 431
    assert headers["content-type"] == "application/json"
    assert "100 headers" in orjson.loads(body)["message"]


def test_a_malformed_request_gets_gunicorns_refusal_in_json(base_url: str) -> None:
    """A request gunicorn cannot parse never reaches lrs; its 400 is JSON all the same."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"GET /data/xAPI/about HTTP/9.9\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), head
    assert b"Content-Type: application/json" in head
    message = orjson.loads(body)["message"]
    assert message.startswith("malformed request") and "<" not in message
