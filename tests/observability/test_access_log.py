"""The access log: one JSON line per request, with the expected fields and never a secret."""

from __future__ import annotations

import base64
import io
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import falcon
import orjson
import pytest

from lrs.core.settings import Settings
from lrs.http.observe.access_log import (
    CLIENT_ADDRESS_KEY,
    LOGGER_NAME,
    access_record,
    configure_access_logger,
    redact_query,
)
from lrs.http.observe.exchange import Exchange
from lrs.store.memory import MemoryStore
from tests.http.conftest import Api, basic_auth
from tests.observability.conftest import STATEMENT, XAPI, alternate_form, make_api

Lines = Callable[[], list[dict[str, Any]]]
FIELDS = {
    "time",
    "request_id",
    "method",
    "path",
    "query",
    "status",
    "duration_ms",
    "bytes",
    "client_id",
    "store_id",
    "remote_addr",
    "user_agent",
}


class Slow:
    auth_exempt = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        time.sleep(0.05)
        resp.media = {"slept": True}


class Streamed:
    auth_exempt = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.stream = iter([b"a" * 1000, b"b" * 234])
        resp.content_type = "text/plain"


def test_one_line_per_request_with_the_expected_fields(any_api: Api, access_lines: Lines) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    ok = any_api.client.simulate_get(
        "/data/xAPI/statements",
        query_string="limit=2&ascending=true",
        headers={**any_api.auth, **XAPI, "User-Agent": "probe/1.0", "X-Request-Id": "req-1"},
        remote_addr="192.0.2.7",
    )
    denied = any_api.client.simulate_get("/data/xAPI/statements", headers=XAPI)
    missing = any_api.client.simulate_get("/nowhere")
    assert (ok.status_code, denied.status_code, missing.status_code) == (200, 401, 404)

    first, second, third = access_lines()  # exactly three
    assert set(first) == FIELDS
    client = any_api.tenant.issued.client
    assert first["request_id"] == "req-1"
    assert first["method"] == "GET"
    assert first["path"] == "/data/xAPI/statements"
    assert first["query"] == "limit=2&ascending=true"
    assert first["status"] == 200
    assert first["bytes"] == len(ok.content)
    assert 0 <= first["duration_ms"] < 5000
    assert first["client_id"] == client.id
    assert first["store_id"] == client.lrs_id
    assert first["remote_addr"] == "192.0.2.7"
    assert first["user_agent"] == "probe/1.0"
    assert first["time"].endswith("Z")
    logged_at = datetime.fromisoformat(first["time"].replace("Z", "+00:00"))
    assert before <= logged_at <= datetime.now(UTC)

    assert second["status"] == 401
    assert second["client_id"] is None and second["store_id"] is None
    assert second["request_id"] == denied.headers["X-Request-Id"]
    assert second["error_id"] == denied.json["errorId"]
    assert third["status"] == 404
    assert third["error_id"] == missing.json["errorId"]


def test_credentials_never_reach_any_log(
    api: Api, access_lines: Lines, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cr3t-Value-9f8e"
    token = base64.b64encode(f"test-key:{secret}".encode()).decode()
    caplog.set_level(logging.DEBUG)
    api.client.simulate_get(
        "/data/xAPI/statements", headers={**basic_auth("test-key", secret), **XAPI}
    )
    api.client.simulate_post(
        "/data/xAPI/statements",
        query_string="method=GET",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=alternate_form({"Authorization": f"Basic {token}", **XAPI}),
    )
    api.client.simulate_get(
        "/data/xAPI/statements",
        query_string=f"auth=Basic%20{token}&limit=1",
        headers={**api.auth, **XAPI},
    )
    assert len(access_lines()) == 3
    everything = "\n".join(record.getMessage() for record in caplog.records)
    assert everything  # the requests were logged (and errors, at INFO)
    for leaked in (secret, token, "test-secret", api.auth["Authorization"].split()[1]):
        assert leaked not in everything


def test_the_alternate_syntax_is_logged_as_the_request_it_stands_for(
    api: Api, access_lines: Lines
) -> None:
    response = api.client.simulate_post(
        "/data/xAPI/statements",
        query_string="method=GET",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=alternate_form({**api.auth, **XAPI, "limit": "1", "content": ""}),
    )
    assert response.status_code == 200, response.text
    [line] = access_lines()
    assert line["method"] == "GET"
    assert line["query"] == "limit=1"
    assert line["alternate_syntax"] is True
    assert line["client_id"] == api.tenant.issued.client.id


@pytest.mark.parametrize(
    ("query", "logged"),
    [
        ("", ""),
        ("limit=10&since=2026-01-01T00:00:00Z", "limit=10&since=2026-01-01T00:00:00Z"),
        ("agent=%7B%22mbox%22%3A1%7D", "agent=%7B%22mbox%22%3A1%7D"),  # untouched, as sent
        ("key=public-key&limit=1", "key=public-key&limit=1"),
        ("auth=Basic%20abc&limit=1", "auth=[redacted]&limit=1"),
        ("Authorization=x", "Authorization=[redacted]"),
        ("access_token=x&refresh-token=y", "access_token=[redacted]&refresh-token=[redacted]"),
        (
            "client_secret=x&PASSWORD=y&api_key=z",
            "client_secret=[redacted]&PASSWORD=[redacted]&api_key=[redacted]",
        ),
        ("endpoint=x&note=Bearer%20eyJhbGciOi.payload", "endpoint=x&note=[redacted]"),
        ("%61uth=x", "auth=[redacted]"),  # names are compared decoded
    ],
)
def test_secret_looking_query_values_are_redacted(query: str, logged: str) -> None:
    assert redact_query(query) == logged


def test_redacted_queries_are_redacted_in_the_line(api: Api, access_lines: Lines) -> None:
    api.client.simulate_get(
        "/data/xAPI/statements",
        query_string="limit=1&token=abcdef",
        headers={**api.auth, **XAPI},
    )
    [line] = access_lines()
    assert line["query"] == "limit=1&token=[redacted]"


def test_the_client_address_from_the_proxy_handling_wins_over_the_socket_peer() -> None:
    # The trusted-proxy handling (lrs.http.proxies) leaves the client's address on the environ.
    exchange = Exchange(request_id="r", started=0.0, wall_started=0.0, status="200 OK")
    proxied = {"REMOTE_ADDR": "127.0.0.1", CLIENT_ADDRESS_KEY: "203.0.113.9"}
    direct = {"REMOTE_ADDR": "198.51.100.4"}
    assert access_record(exchange, proxied, 0.001, 0)["remote_addr"] == "203.0.113.9"
    assert access_record(exchange, direct, 0.001, 0)["remote_addr"] == "198.51.100.4"


def test_latency_counts_from_the_start_of_the_request(api: Api, access_lines: Lines) -> None:
    api.app.add_route("/slow", Slow())
    api.client.simulate_get("/slow")
    [line] = access_lines()
    assert line["duration_ms"] >= 50


def test_streamed_bodies_are_counted_as_sent(api: Api, access_lines: Lines) -> None:
    api.app.add_route("/streamed", Streamed())
    response = api.client.simulate_get("/streamed")
    assert len(response.content) == 1234
    [line] = access_lines()
    assert line["bytes"] == 1234


def test_statement_posts_are_logged_with_the_client(any_api: Api, access_lines: Lines) -> None:
    any_api.post_statements([STATEMENT, STATEMENT])
    [line] = access_lines()
    assert line["method"] == "POST"
    assert line["status"] == 200
    assert line["client_id"] == any_api.tenant.issued.client.id


def test_the_access_log_can_be_turned_off(access_lines: Lines) -> None:
    quiet = make_api(MemoryStore(), Settings(access_log=False))
    assert quiet.client.simulate_get("/health").status_code == 200
    assert access_lines() == []


@pytest.fixture
def restored_access_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger(LOGGER_NAME)
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield logger
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


def test_configured_logger_writes_bare_json_lines_once(
    api: Api, restored_access_logger: logging.Logger
) -> None:
    stream = io.StringIO()
    configure_access_logger(stream)
    configure_access_logger(stream)  # a second call adds no second handler
    restored_access_logger.root.setLevel(logging.ERROR)  # LRS_LOG_LEVEL does not silence it
    try:
        api.client.simulate_get("/health", headers={"X-Request-Id": "bare-1"})
    finally:
        restored_access_logger.root.setLevel(logging.WARNING)
    [line] = stream.getvalue().splitlines()
    assert orjson.loads(line)["request_id"] == "bare-1"
