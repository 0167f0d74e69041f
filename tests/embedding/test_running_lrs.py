"""``running_lrs`` in memory: real HTTP on loopback, settings, several at once, a clean stop."""

from __future__ import annotations

import gc
import http.client
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from lrs.core.settings import Settings
from lrs.testing import RunningLrs, running_lrs
from tests.embedding.support import XAPI_VERSION, basic, call, statement


@pytest.fixture
def served() -> Iterator[RunningLrs]:
    """An in-memory embedded lrs for one test (overrides the two-store fixture here)."""
    with running_lrs() as server:
        yield server


def _server_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("lrs-testing-")]


def test_it_serves_xapi_with_its_credentials_over_real_http(served: RunningLrs) -> None:
    assert served.endpoint == f"http://127.0.0.1:{served.port}/data/xAPI"
    assert served.base_url == f"http://127.0.0.1:{served.port}"
    assert served.auth == (served.key, served.secret)
    headers = {"Authorization": served.authorization, **XAPI_VERSION}
    posted = urllib.request.urlopen(
        urllib.request.Request(
            f"{served.endpoint}/statements",
            data=json.dumps(statement()).encode(),
            headers={**headers, "Content-Type": "application/json"},
        ),
        timeout=10,
    )
    [statement_id] = json.load(posted)
    got = urllib.request.urlopen(
        urllib.request.Request(
            f"{served.endpoint}/statements?statementId={statement_id}", headers=headers
        ),
        timeout=10,
    )
    assert json.load(got)["id"] == statement_id


def test_wrong_credentials_are_refused_with_a_json_401(served: RunningLrs) -> None:
    reply = call(
        served, "GET", "/data/xAPI/statements", authorization=basic(served.key, "not-the-secret")
    )
    assert reply.status == 401
    assert "secret" in reply.json()["message"]


def test_the_secret_stays_out_of_repr(served: RunningLrs) -> None:
    assert served.secret not in repr(served)
    assert served.key in repr(served)


def test_key_and_secret_can_be_chosen() -> None:
    with running_lrs(key="my-key", secret="my-secret") as served:
        assert served.auth == ("my-key", "my-secret")
        assert call(served, "GET", "/api/v2/store").status == 200
    with running_lrs(bootstrap_key="other-key", bootstrap_secret="other") as served:
        assert served.auth == ("other-key", "other")


def test_settings_reach_the_application() -> None:
    with running_lrs(xapi_max_limit=2, max_body_bytes=2048) as served:
        for n in range(3):
            call(served, "POST", "/data/xAPI/statements", json=statement(f"http://e.com/{n}"))
        page = call(served, "GET", "/data/xAPI/statements").json()
        assert len(page["statements"]) == 2 and page["more"]
        too_big = call(served, "POST", "/data/xAPI/statements", json=statement(pad="x" * 4096))
        assert too_big.status == 413
        assert "2048" in too_big.json()["message"]
        assert served.settings.xapi_max_limit == 2


def test_unknown_settings_are_a_type_error_naming_them() -> None:
    with pytest.raises(TypeError, match="colour, flavour"), running_lrs(flavour="x", colour="y"):
        pass
    with pytest.raises(TypeError, match="workers"), running_lrs(workers=4):
        pass
    with (
        pytest.raises(TypeError, match="key and bootstrap_key"),
        running_lrs(key="a", bootstrap_key="b"),
    ):
        pass
    with pytest.raises(TypeError, match="database_url"), running_lrs(migrate=True):
        pass


def test_the_process_environment_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRS_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    monkeypatch.setenv("LRS_BOOTSTRAP_KEY", "from-the-environment")
    monkeypatch.setenv("LRS_XAPI_MAX_LIMIT", "1")
    with running_lrs() as served:
        assert served.settings.database_url is None
        assert served.key != "from-the-environment"
        assert served.settings.xapi_max_limit == Settings().xapi_max_limit
        assert call(served, "GET", "/data/xAPI/statements").status == 200


def test_environment_variables_do_not_pose_as_request_headers() -> None:
    # wsgiref copies os.environ (as of its import) into every request's environ unless told not
    # to; HTTP_X_EXPERIENCE_API_VERSION there would stand in for the missing header.
    script = (
        "import urllib.request, urllib.error\n"
        "from lrs.testing import running_lrs\n"
        "with running_lrs() as lrs:\n"
        "    request = urllib.request.Request(lrs.endpoint + '/statements',"
        " headers={'Authorization': lrs.authorization})\n"
        "    try:\n"
        "        print(urllib.request.urlopen(request).status)\n"
        "    except urllib.error.HTTPError as error:\n"
        "        print(error.code)\n"
    )
    env = {**os.environ, "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "400", result.stderr


def test_several_run_at_once_on_their_own_ports_and_stores() -> None:
    with running_lrs() as first, running_lrs() as second, running_lrs() as third:
        assert len({first.port, second.port, third.port}) == 3
        assert first.store is not second.store
        assert call(first, "POST", "/data/xAPI/statements", json=statement()).status == 200
        assert len(call(first, "GET", "/data/xAPI/statements").json()["statements"]) == 1
        assert call(second, "GET", "/data/xAPI/statements").json()["statements"] == []
        other = call(third, "GET", "/api/v2/store", authorization=first.authorization)
        assert other.status == 401


def test_concurrent_requests_are_served(served: RunningLrs) -> None:
    def post(n: int) -> int:
        return call(
            served, "POST", "/data/xAPI/statements", json=statement(f"http://e.com/{n}")
        ).status

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert list(pool.map(post, range(48))) == [200] * 48
    [store] = call(served, "GET", "/api/v2/store").json()
    assert store["statementCount"] == 48


def test_a_keep_alive_client_is_told_to_reconnect_and_does(served: RunningLrs) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    headers = {"Authorization": served.authorization, **XAPI_VERSION, "Connection": "keep-alive"}
    try:
        for _ in range(3):
            connection.request("GET", "/data/xAPI/statements", headers=headers)
            response = connection.getresponse()
            assert response.status == 200
            assert response.getheader("Connection") == "close"
            assert json.loads(response.read())["statements"] == []
    finally:
        connection.close()


def test_a_chunked_request_body_is_read(served: RunningLrs) -> None:
    body = json.dumps(statement()).encode()
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        connection.request(
            "POST",
            "/data/xAPI/statements",
            body=iter([body[:10], body[10:50], body[50:]]),
            headers={
                "Authorization": served.authorization,
                **XAPI_VERSION,
                "Content-Type": "application/json",
            },
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert response.status == 200, response.read()
        [statement_id] = json.loads(response.read())
    finally:
        connection.close()
    assert call(served, "GET", f"/data/xAPI/statements?statementId={statement_id}").status == 200


def _raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_a_chunked_body_above_the_limit_is_a_413_and_a_malformed_one_a_400() -> None:
    with running_lrs(max_body_bytes=100) as served:
        head = (
            "POST /data/xAPI/statements HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: {served.authorization}\r\nX-Experience-API-Version: 1.0.3\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        big = _raw_exchange(served.port, head + b"80\r\n" + b"x" * 128 + b"\r\n0\r\n\r\n")
        assert big.startswith(b"HTTP/1.1 413"), big
        malformed = _raw_exchange(served.port, head + b"zz\r\nhello\r\n0\r\n\r\n")
        assert malformed.startswith(b"HTTP/1.1 400"), malformed
        assert b'"message":"the chunked request body is malformed"' in malformed
        gzipped = _raw_exchange(served.port, head.replace(b"chunked", b"gzip") + b"0\r\n\r\n")
        assert gzipped.startswith(b"HTTP/1.1 501"), gzipped


def test_expect_100_continue_is_answered_before_the_body(served: RunningLrs) -> None:
    body = json.dumps(statement()).encode()
    head = (
        "POST /data/xAPI/statements HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {served.authorization}\r\nX-Experience-API-Version: 1.0.3\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Expect: 100-continue\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(head)
        assert sock.recv(1024).startswith(b"HTTP/1.1 100 Continue\r\n")
        sock.sendall(body)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    assert response.startswith(b"HTTP/1.1 200"), response


def test_a_large_document_goes_in_and_comes_back_whole(served: RunningLrs) -> None:
    content = os.urandom(8 * 1024 * 1024)
    path = "/data/xAPI/activities/state?" + urlencode(
        {
            "activityId": "http://example.com/a",
            "agent": json.dumps({"mbox": "mailto:ada@example.com"}),
            "stateId": "big",
        }
    )
    stored = call(
        served, "PUT", path, body=content, headers={"Content-Type": "application/octet-stream"}
    )
    assert stored.status == 204, stored.body
    assert call(served, "GET", path).body == content


def test_head_answers_headers_without_a_body(served: RunningLrs) -> None:
    call(served, "POST", "/data/xAPI/statements", json=statement())
    reply = call(served, "HEAD", "/data/xAPI/statements")
    assert reply.status == 200
    assert reply.body == b""
    assert reply.headers["X-Experience-API-Consistent-Through"]


def test_starting_is_quick() -> None:
    import lrs.testing.embedded  # noqa: F401 (the import is not what is timed)

    began = time.monotonic()
    with running_lrs() as served:
        elapsed = time.monotonic() - began
        assert call(served, "GET", "/data/xAPI/about").status == 200
    assert elapsed < 5, elapsed  # a sanity bound: in memory it takes milliseconds


def test_stopping_frees_the_port_joins_every_thread_and_leaks_nothing() -> None:
    before = _server_threads()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with running_lrs() as served:
            port = served.port
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/data/xAPI/about")
            assert connection.getresponse().status == 200
            connection.close()
            assert len(_server_threads()) > len(before)
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert _server_threads() == before
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))


def test_stopping_does_not_wait_on_a_client_that_never_sends() -> None:
    with running_lrs() as served:
        idle = socket.create_connection(("127.0.0.1", served.port), timeout=10)
        deadline = time.monotonic() + 10
        while not any(t.name.startswith("lrs-testing-request-") for t in _server_threads()):
            assert time.monotonic() < deadline, "the server never accepted the connection"
            time.sleep(0.01)
        began = time.monotonic()  # its thread now waits for a request line
    try:
        assert time.monotonic() - began < 1  # cut at once, not after the 2 s grace
        assert idle.recv(1) == b""  # the server closed it
    finally:
        idle.close()
    assert _server_threads() == []


def test_an_error_in_the_block_still_stops_the_server() -> None:
    with pytest.raises(RuntimeError, match="the test failed"), running_lrs() as served:
        port = served.port
        raise RuntimeError("the test failed")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert _server_threads() == []


def test_after_the_block_nothing_answers_and_reset_is_refused() -> None:
    with running_lrs() as served:
        pass
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{served.endpoint}/about", timeout=2)
    with pytest.raises(RuntimeError, match="stopped"):
        served.reset()


def test_it_is_quiet_and_leaves_logging_alone(
    served: RunningLrs, capfd: pytest.CaptureFixture[str]
) -> None:
    root_handlers = list(logging.getLogger().handlers)
    call(served, "GET", "/data/xAPI/statements")
    call(served, "GET", "/no/such/route")
    call(served, "GET", "/data/xAPI/statements", authorization=basic("nobody", "nothing"))
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert logging.getLogger().handlers == root_handlers
