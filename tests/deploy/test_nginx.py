"""The shipped nginx site (deploy/nginx/lrs.conf) in front of a real ``lrs serve``.

nginx serves HTTPS on a loopback port with a throwaway certificate, and plain HTTP that only
redirects; gunicorn runs the in-memory store with a 2-statement xAPI page so ``more`` links
appear. gunicorn's access log is switched on (through ``GUNICORN_CMD_ARGS``, as an operator
could) with a format that prints what the application saw of each request: the client address
``lrs.http.proxies`` recorded, the scheme and host absolute URLs are built from, and the upstream
connection's port (one port for two requests means nginx kept the connection).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import shlex
import socket
import ssl
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from lrs.ops.throwaway_postgres import free_port
from lrs.xapi.attachments import parse_multipart
from tests.deploy.nginx_support import Nginx, find_nginx, running_nginx
from tests.pg import IN_CI
from tests.server.test_gunicorn import running_server, server_env

pytestmark = pytest.mark.server

KEY, SECRET = "deploy-key", "deploy-secret"
AUTH = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
XAPI = {"Authorization": AUTH, "X-Experience-API-Version": "1.0.3"}
# One access-log line per request: client, scheme, Host, upstream port, method, path, query, status.
ACCESS_FORMAT = (
    "%({lrs.client_address}e)s %({wsgi.url_scheme}e)s %({http_host}e)s %({remote_port}e)s "
    "%(m)s %(U)s %(q)s %(s)s"
)
MAX_URL_BYTES = 65536  # LRS_MAX_URL_BYTES's default
UNTRUSTED_SOURCE = "127.0.0.2"  # loopback, but not in LRS_TRUSTED_PROXIES's default


@dataclass
class Response:
    """What came back: status, headers, body."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return orjson.loads(self.body)


@dataclass
class Stack:
    """nginx in front of gunicorn, and how to reach each."""

    nginx: Nginx
    upstream_port: int
    access_log: Path

    def https(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        source: str | None = None,
    ) -> Response:
        """A request to nginx over TLS, verifying the test certificate."""
        conn = http.client.HTTPSConnection(
            "127.0.0.1",
            self.nginx.https_port,
            context=self.nginx.tls_context(),
            timeout=30,
            source_address=(source, 0) if source else None,
        )
        return _exchange(conn, method, path, body, headers)

    def direct(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        source: str | None = None,
    ) -> Response:
        """A request straight to gunicorn, bypassing nginx."""
        conn = http.client.HTTPConnection(
            "127.0.0.1",
            self.upstream_port,
            timeout=30,
            source_address=(source, 0) if source else None,
        )
        return _exchange(conn, method, path, body, headers)

    def logged(self, probe: str) -> list[str]:
        """The access-log fields of the one request whose query held ``probe``."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = [
                line.split(" ")
                for line in self.access_log.read_text().splitlines()
                if f"probe={probe}" in line
            ]
            if lines:
                [fields] = lines
                return fields
            time.sleep(0.05)
        raise AssertionError(f"no access-log line for probe {probe}")


def _exchange(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str] | None,
) -> Response:
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """gunicorn (``lrs serve``, memory store) and nginx with the shipped site, both on loopback."""
    binary = find_nginx()
    if binary is None:
        if IN_CI:
            pytest.fail("CI=true but nginx is not installed (.ci/run installs it)")
        pytest.skip("nginx is not installed")
    directory = tmp_path_factory.mktemp("deploy")
    access_log = directory / "gunicorn-access.log"
    upstream_port = free_port()
    env = server_env(
        upstream_port,
        LRS_BOOTSTRAP_KEY=KEY,
        LRS_BOOTSTRAP_SECRET=SECRET,
        LRS_XAPI_MAX_LIMIT="2",
        GUNICORN_CMD_ARGS=shlex.join(
            ["--access-logfile", str(access_log), "--access-logformat", ACCESS_FORMAT]
        ),
    )
    with (
        running_server(env, directory / "serve.log"),
        running_nginx(
            binary,
            directory / "nginx",
            upstream_port=upstream_port,
            https_port=free_port(),
            http_port=free_port(),
        ) as nginx,
    ):
        yield Stack(nginx, upstream_port, access_log)


def _statement(activity: str, **extra: Any) -> dict[str, Any]:
    return {
        "actor": {"mbox": "mailto:deploy@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": activity},
        **extra,
    }


def _activity(tag: str) -> str:
    return f"http://example.com/deploy/{tag}/{uuid.uuid4().hex}"


def test_statement_batch_then_every_page_through_more(stack: Stack) -> None:
    activity = _activity("batch")
    batch = [_statement(activity) for _ in range(5)]
    posted = stack.https(
        "POST",
        "/data/xAPI/statements",
        orjson.dumps(batch),
        {**XAPI, "Content-Type": "application/json"},
    )
    assert posted.status == 200, posted.body
    assert posted.headers["X-Experience-API-Version"] == "1.0.3"
    assert posted.headers["Cache-Control"] == "no-store"
    ids = posted.json()
    assert len(ids) == 5

    seen: list[str] = []
    path = "/data/xAPI/statements?" + urllib.parse.urlencode({"activity": activity})
    pages = 0
    while path:
        page = stack.https("GET", path, headers=XAPI)
        assert page.status == 200, page.body
        assert page.headers["X-Experience-API-Version"] == "1.0.3"
        assert page.headers["X-Experience-API-Consistent-Through"].endswith("Z")
        body = page.json()
        assert len(body["statements"]) <= 2
        seen += [statement["id"] for statement in body["statements"]]
        path = body["more"]
        assert path == "" or path.startswith("/data/xAPI/statements?")
        pages += 1
        assert pages <= 5
    assert pages == 3
    assert sorted(seen) == sorted(ids)


def test_statement_with_an_attachment_in_multipart_mixed(stack: Stack) -> None:
    data = b"an attachment that travels through nginx\r\n--not-a-boundary\r\n" + os.urandom(2048)
    sha2 = hashlib.sha256(data).hexdigest()
    statement = _statement(
        _activity("attachment"),
        attachments=[
            {
                "usageType": "http://example.com/attachment-usage/test",
                "display": {"en-US": "A test attachment"},
                "contentType": "application/octet-stream",
                "length": len(data),
                "sha2": sha2,
            }
        ],
    )
    boundary = "deploy-" + uuid.uuid4().hex
    body = (
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode()
        + orjson.dumps(statement)
        + f"\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {sha2}\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    posted = stack.https(
        "POST",
        "/data/xAPI/statements",
        body,
        {**XAPI, "Content-Type": f"multipart/mixed; boundary={boundary}"},
    )
    assert posted.status == 200, posted.body
    [statement_id] = posted.json()

    query = urllib.parse.urlencode({"statementId": statement_id, "attachments": "true"})
    fetched = stack.https("GET", f"/data/xAPI/statements?{query}", headers=XAPI)
    assert fetched.status == 200, fetched.body
    assert fetched.headers["X-Experience-API-Consistent-Through"]
    content_type = fetched.headers["Content-Type"]
    assert content_type.startswith("multipart/mixed")
    parsed = parse_multipart(fetched.body, content_type)
    assert parsed.statements["id"] == statement_id
    assert {sha: part.data for sha, part in parsed.parts.items()} == {sha2: data}


def test_five_megabyte_state_document_round_trip(stack: Stack) -> None:
    document = os.urandom(5 * 1024 * 1024)
    query = urllib.parse.urlencode(
        {
            "activityId": _activity("state"),
            "agent": orjson.dumps({"mbox": "mailto:deploy@example.com"}).decode(),
            "stateId": "bookmark",
        }
    )
    path = f"/data/xAPI/activities/state?{query}"
    put = stack.https("PUT", path, document, {**XAPI, "Content-Type": "application/octet-stream"})
    assert put.status == 204, put.body
    assert put.headers["X-Experience-API-Version"] == "1.0.3"
    got = stack.https("GET", path, headers=XAPI)
    assert got.status == 200, got.body[:300]
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["ETag"] == f'"{hashlib.sha1(document).hexdigest()}"'
    assert got.body == document


def test_rest_v2_create_read_update_delete(stack: Stack) -> None:
    json_auth = {"Authorization": AUTH, "Content-Type": "application/json"}
    created = stack.https("POST", "/api/v2/persona", orjson.dumps({"name": "Ann"}), json_auth)
    assert created.status == 201, created.body
    url = f"/api/v2/persona/{created.json()['_id']}"
    read = stack.https("GET", url, headers=json_auth)
    assert (read.status, read.json()["name"]) == (200, "Ann")
    assert read.headers["Cache-Control"] == "no-store"
    patched = stack.https("PATCH", url, orjson.dumps({"name": "Anne"}), json_auth)
    assert (patched.status, patched.json()["name"]) == (200, "Anne")
    assert stack.https("GET", url, headers=json_auth).json()["name"] == "Anne"
    deleted = stack.https("DELETE", url, headers=json_auth)
    assert (deleted.status, deleted.body) == (204, b"")
    gone = stack.https("GET", url, headers=json_auth)
    assert gone.status == 404
    assert "message" in gone.json()


def _connection_path(activities: list[str], target_bytes: int) -> str:
    """A Connection API statement page whose ``$in`` filter makes the URL just over
    ``target_bytes`` long: the real activities, then padding ids."""

    def path(padding: int) -> str:
        ids = activities + [f"http://example.com/deploy/padding/{n:06d}" for n in range(padding)]
        query = urllib.parse.urlencode(
            {"filter": orjson.dumps({"statement.object.id": {"$in": ids}}).decode(), "first": 50}
        )
        return f"/api/connection/statement?{query}"

    per_id = len(path(1)) - len(path(0))
    padding = max(0, (target_bytes - len(path(0))) // per_id - 2)
    while len(path(padding)) < target_bytes:
        padding += 1
    return path(padding)


def test_connection_page_with_a_long_filter_url(stack: Stack) -> None:
    activities = [_activity("connection") for _ in range(3)]
    posted = stack.https(
        "POST",
        "/data/xAPI/statements",
        orjson.dumps([_statement(activity) for activity in activities]),
        {**XAPI, "Content-Type": "application/json"},
    )
    assert posted.status == 200, posted.body
    auth = {"Authorization": AUTH}
    # 8 KB: past gunicorn's default request-line limit (4094), so this checks gunicorn_conf;
    # 60 KB: still inside nginx's 68k buffer and LRS_MAX_URL_BYTES.
    for size in (8 * 1024, 60 * 1024):
        path = _connection_path(activities, size)
        for send in (stack.https, stack.direct):
            page = send("GET", path, headers=auth)
            assert page.status == 200, (size, send.__name__, page.body[:300])
            assert page.headers["Content-Type"].startswith("application/json")
            found = {edge["node"]["statement"]["object"]["id"] for edge in page.json()["edges"]}
            assert found == set(activities)


def test_urls_over_the_limits_get_json_414s(stack: Stack) -> None:
    auth = {"Authorization": AUTH}
    # Through nginx's buffer, over LRS_MAX_URL_BYTES: lrs refuses, naming its setting.
    over_lrs = _connection_path([], MAX_URL_BYTES + 200)
    for send in (stack.https, stack.direct):
        refused = send("GET", over_lrs, headers=auth)
        assert refused.status == 414, (send.__name__, refused.body[:300])
        assert "LRS_MAX_URL_BYTES" in refused.json()["message"]
    # Over nginx's request-line buffer (68k): nginx refuses, in JSON too.
    over_nginx = stack.https("GET", _connection_path([], 70 * 1024), headers=auth)
    assert over_nginx.status == 414
    assert over_nginx.headers["Content-Type"] == "application/json"
    assert "large_client_header_buffers" in over_nginx.json()["message"]


def test_long_headers_pass_up_to_nginx_limit_then_get_a_json_431(stack: Stack) -> None:
    # 67 KB: inside nginx's 68k buffer, so gunicorn (limit_request_field_size) must take it too.
    passed = stack.https("GET", "/data/xAPI/about", headers={"X-Long": "a" * 67_000})
    assert passed.status == 200, passed.body[:300]
    refused = stack.https("GET", "/data/xAPI/about", headers={"X-Long": "a" * 70_000})
    assert refused.status == 431
    assert "large_client_header_buffers" in refused.json()["message"]


def test_a_body_over_client_max_body_size_gets_nginx_json_413(stack: Stack) -> None:
    context = stack.nginx.tls_context()
    raw = socket.create_connection(("127.0.0.1", stack.nginx.https_port), timeout=10)
    with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        tls.sendall(
            b"POST /data/xAPI/statements HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: " + AUTH.encode() + b"\r\nX-Experience-API-Version: 1.0.3\r\n"
            b"Content-Type: application/json\r\nContent-Length: 20971521\r\n\r\n"
        )
        response = http.client.HTTPResponse(tls)  # type: ignore[arg-type]
        response.begin()
        body = response.read()
    assert response.status == 413
    assert response.headers["Content-Type"] == "application/json"
    assert "client_max_body_size" in orjson.loads(body)["message"]


def test_cors_preflight(stack: Stack) -> None:
    answer = stack.https(
        "OPTIONS",
        "/data/xAPI/statements",
        headers={
            "Origin": "https://content.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type, "
            "X-Experience-API-Version",
        },
    )
    assert answer.status == 200, answer.body
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    allowed = answer.headers["Access-Control-Allow-Headers"].lower()
    for name in ("authorization", "content-type", "x-experience-api-version"):
        assert name in allowed
    assert "X-Experience-API-Consistent-Through" in answer.headers["Access-Control-Expose-Headers"]


def test_plain_http_redirects_to_https_keeping_the_method(stack: Stack) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", stack.nginx.http_port, timeout=10)
    answer = _exchange(conn, "POST", "/data/xAPI/statements?x=1", b"[]", {})
    assert answer.status == 308
    assert answer.headers["Location"] == "https://127.0.0.1/data/xAPI/statements?x=1"


def _probe(
    stack: Stack, via: str, headers: dict[str, str] | None = None, source: str | None = None
) -> list[str]:
    """Send a uniquely marked request ``via`` nginx (https) or ``direct``ly; its log fields."""
    probe = uuid.uuid4().hex
    send = stack.https if via == "https" else stack.direct
    answer = send("GET", f"/data/xAPI/about?probe={probe}", headers=headers, source=source)
    assert answer.status == 200, answer.body
    return stack.logged(probe)


SPOOFED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "http",
    "Forwarded": "for=203.0.113.9;proto=http;host=evil.example",
}


def test_through_nginx_the_app_sees_the_client_its_scheme_and_host(stack: Stack) -> None:
    host = f"127.0.0.1:{stack.nginx.https_port}"
    # A client on an untrusted address: nginx's own headers win, the spoofed ones are ignored.
    client, scheme, seen_host, *_ = _probe(stack, "https", SPOOFED, source=UNTRUSTED_SOURCE)
    assert (client, scheme, seen_host) == (UNTRUSTED_SOURCE, "https", host)
    # A client on 127.0.0.1, a trusted address: it is the client (nginx appended it).
    client, scheme, seen_host, *_ = _probe(stack, "https")
    assert (client, scheme, seen_host) == ("127.0.0.1", "https", host)


def test_nginx_keeps_its_connection_to_gunicorn(stack: Stack) -> None:
    first = _probe(stack, "https")
    second = _probe(stack, "https")
    assert first[3] == second[3], "two requests came over different upstream connections"


def test_straight_to_gunicorn_forwarded_headers_count_only_from_trusted_peers(
    stack: Stack,
) -> None:
    host = f"127.0.0.1:{stack.upstream_port}"
    client, scheme, seen_host, *_ = _probe(stack, "direct", SPOOFED, source=UNTRUSTED_SOURCE)
    assert (client, scheme, seen_host) == (UNTRUSTED_SOURCE, "http", host)
    forwarded = {
        "X-Forwarded-For": "198.51.100.7",
        "X-Forwarded-Host": "lrs.example.com",
        "X-Forwarded-Proto": "https",
    }
    client, scheme, seen_host, *_ = _probe(stack, "direct", forwarded)
    assert (client, scheme, seen_host) == ("198.51.100.7", "https", "lrs.example.com")


def test_metrics_are_answered_only_to_this_machine(stack: Stack) -> None:
    local = stack.https("GET", "/metrics")
    assert local.status == 200, local.body[:300]
    assert b"lrs_http_requests_total" in local.body
    assert stack.https("GET", "/metrics", source=UNTRUSTED_SOURCE).status == 403
    for other_spelling in ("/metrics/", "/metrics%2F", "//metrics"):
        assert stack.https("GET", other_spelling, source=UNTRUSTED_SOURCE).status == 403


def test_tls_context_trusts_only_the_test_certificate(stack: Stack) -> None:
    """The HTTPS checks above verify nginx's certificate: a default context refuses it."""
    conn = http.client.HTTPSConnection(
        "127.0.0.1", stack.nginx.https_port, context=ssl.create_default_context(), timeout=10
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        _exchange(conn, "GET", "/data/xAPI/about", None, {})
