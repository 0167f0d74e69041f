"""``lrs serve`` for real: gunicorn on a free loopback port, in memory and on PostgreSQL."""

from __future__ import annotations

import base64
import http.client
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path

import pytest

from lrs.ops.migrate import upgrade_to_head
from lrs.ops.throwaway_postgres import free_port
from tests.pg import PostgresServer

pytestmark = pytest.mark.server
LRS = str(Path(sys.executable).with_name("lrs"))


def server_env(port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LRS_")}
    env.update(LRS_HOST="127.0.0.1", LRS_PORT=str(port), LRS_THREADS="4", **extra)
    return env


@contextmanager
def running_server(
    env: dict[str, str], log_path: Path, lrs: str = LRS, cwd: Path | None = None
) -> Iterator[str]:
    """Start ``lrs serve`` (the ``lrs`` executable given), wait until it answers, yield its base
    URL, stop it."""
    base = f"http://127.0.0.1:{env['LRS_PORT']}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [lrs, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    pytest.fail(f"lrs serve exited early:\n{log_path.read_text()}")
                try:
                    urllib.request.urlopen(f"{base}/data/xAPI/about", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"lrs serve did not answer:\n{log_path.read_text()}")
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def get(url: str, key: str | None = None, secret: str | None = None) -> tuple[int, bytes, Message]:
    request = urllib.request.Request(url)
    if key is not None:
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def connection_header(base: str) -> str:
    """The ``Connection`` header of a response to an HTTP/1.1 request that allows keep-alive."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", "/data/xAPI/about")
        response = conn.getresponse()
        response.read()
        return (response.getheader("Connection") or "").lower()
    finally:
        conn.close()


def check_serving(base: str, key: str, secret: str) -> None:
    status, body, headers = get(f"{base}/data/xAPI/about")
    assert status == 200
    assert b'"2.0.0","1.0.3"' in body
    assert headers["X-Experience-API-Version"] == "2.0.0"
    status, body, _ = get(f"{base}/api/auth/client/info", key, secret)
    assert status == 200, body
    status, body, headers = get(f"{base}/api/auth/client/info", key, "wrong")
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="lrs"'
    assert get(f"{base}/health")[0] == 200


def test_serve_in_memory_bootstraps_and_authenticates(tmp_path: Path) -> None:
    env = server_env(free_port(), LRS_BOOTSTRAP_KEY="mem-key", LRS_BOOTSTRAP_SECRET="mem-secret")
    log = tmp_path / "serve.log"
    with running_server(env, log) as base:
        check_serving(base, "mem-key", "mem-secret")
        # One worker: nothing to balance, so client connections are kept.
        assert connection_header(base) == "keep-alive"
    output = log.read_text()
    assert f"xAPI endpoint {base}/data/xAPI" in output
    assert "key           mem-key" in output
    assert "secret        mem-secret" in output


def test_serve_prints_random_credentials_that_work(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with running_server(server_env(free_port()), log) as base:
        lines = dict(
            line.split(None, 1) for line in log.read_text().splitlines() if line.startswith("  ")
        )
        check_serving(base, lines["key"].strip(), lines["secret"].strip())


@pytest.mark.postgres
def test_serve_refuses_an_unmigrated_database_then_serves_after_migrate(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    url = pg_server.create_database()
    env = server_env(
        free_port(),
        LRS_DATABASE_URL=url,
        LRS_WORKERS="2",
        LRS_BOOTSTRAP_KEY="pg-key",
        LRS_BOOTSTRAP_SECRET="pg-secret",
    )
    refused = subprocess.run([LRS, "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0
    assert "lrs migrate" in refused.stderr

    migrated = subprocess.run([LRS, "migrate"], env=env, capture_output=True, text=True, timeout=60)
    assert migrated.returncode == 0, migrated.stderr
    log = tmp_path / "serve.log"
    with running_server(env, log) as base:
        check_serving(base, "pg-key", "pg-secret")
        # Several workers: each request goes to a free worker, none stays tied to a connection.
        assert connection_header(base) == "close"
    assert "key           pg-key" in log.read_text()
    # The tenant lives in PostgreSQL: a second start finds it and creates nothing.
    with running_server(env, tmp_path / "again.log") as base:
        check_serving(base, "pg-key", "pg-secret")
    assert "created an organisation" not in (tmp_path / "again.log").read_text()


@pytest.mark.postgres
def test_client_create_command_issues_working_credentials(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    url = pg_server.create_database()
    upgrade_to_head(url)
    env = server_env(free_port(), LRS_DATABASE_URL=url, LRS_WORKERS="1")
    booted = subprocess.run(
        [LRS, "bootstrap"], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    store_id = next(
        line.split()[1] for line in booted.stdout.splitlines() if line.startswith("  store")
    )
    created = subprocess.run(
        [LRS, "client", "create", "--store", store_id, "--scopes", "state", "profile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    fields = dict(line.split(None, 1) for line in created.stdout.splitlines())
    assert fields["scopes"] == "state profile"
    with running_server(env, tmp_path / "serve.log") as base:
        status, body, _ = get(f"{base}/api/auth/client/info", fields["key"], fields["secret"])
        assert status == 200
        assert b'"state"' in body
    again = subprocess.run(
        [LRS, "bootstrap"], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert "nothing was created" in again.stdout
