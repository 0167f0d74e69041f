"""Client secrets never reach logs, error bodies or the OpenAPI document, and are compared in
constant time (issue 15, point 6).

Traffic with right and wrong credentials (Basic header, the alternate request syntax's
``Authorization`` form field, a REST client create and a ``regenerate`` verb) runs through the
real app with every logger at DEBUG, and through a real ``lrs serve`` whose stderr is kept; every
captured line is searched for the clear secrets, their Basic tokens and the stored hashes.
"""

from __future__ import annotations

import base64
import hmac
import logging
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from falcon import testing

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.ops.throwaway_postgres import free_port
from lrs.store.base import Store
from lrs.tenancy.service import bootstrap
from tests.server.test_gunicorn import LRS, server_env

KEY = "secrets-key"
SECRET = "the-bootstrap-secret-value"
WRONG = "a-wrong-secret-value"
STORED_HASH = re.compile(r"sha256\$[0-9a-f]{32}\$[0-9a-f]{64}")
XAPI = "/data/xAPI"


def token(key: str, secret: str) -> str:
    """The Basic token of ``key:secret``."""
    return base64.b64encode(f"{key}:{secret}".encode()).decode()


def basic(key: str, secret: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Basic {token(key, secret)}"}


def forbidden_strings(key: str, secrets: list[str], hashes: list[str]) -> set[str]:
    """What must never be logged: each secret, its Basic token (also with the wrong key), each
    stored hash and its digest."""
    out: set[str] = set()
    for secret in secrets:
        out |= {secret, token(key, secret), urllib.parse.quote(token(key, secret), safe="")}
    for stored in hashes:
        out |= {stored, stored.split("$")[2]}
    return out


# --- constant time ------------------------------------------------------------------------------


@pytest.fixture
def compare_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """Record every ``hmac.compare_digest`` call (the real function still answers)."""
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def recording(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    return calls


@pytest.mark.parametrize("cache_seconds", [0, 5])
def test_every_credential_check_compares_in_constant_time(
    store: Store, compare_calls: list[tuple[Any, Any]], cache_seconds: int
) -> None:
    bootstrap(store, key=KEY, secret=SECRET)
    client = testing.TestClient(create_app(Settings(auth_cache_seconds=cache_seconds), store))
    for key, secret, status in [
        ("no-such-key", SECRET, 401),  # the key lookup path: a dummy hash is compared
        (KEY, WRONG, 401),
        (KEY, SECRET[:-1], 401),
        (KEY, SECRET, 200),
    ]:
        compare_calls.clear()
        response = client.simulate_get("/api/auth/client/info", headers=basic(key, secret))
        assert response.status_code == status
        # One comparison of two full-length hex digests, whatever went wrong.
        assert len(compare_calls) == 1, (key, secret, compare_calls)
        [(candidate, stored)] = compare_calls
        assert len(candidate) == len(stored) == 64


# --- logs and bodies, in process ----------------------------------------------------------------


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], str]]:
    """Every log record of every logger at DEBUG, ``lrs.access`` included (which may not
    propagate to the root logger), as one text: messages, arguments and extra fields."""
    caplog.set_level(logging.DEBUG)
    access = logging.getLogger("lrs.access")
    level = access.level
    access.setLevel(logging.DEBUG)
    access.addHandler(caplog.handler)
    try:
        yield lambda: "\n".join(
            f"{record.getMessage()} {record.__dict__!r} {caplog.handler.format(record)}"
            for record in caplog.records
        )
    finally:
        access.removeHandler(caplog.handler)
        access.setLevel(level)


def _alternate(client: testing.TestClient, key: str, secret: str) -> testing.Result:
    form = urllib.parse.urlencode(
        {"Authorization": f"Basic {token(key, secret)}", "X-Experience-API-Version": "1.0.3"}
    )
    return client.simulate_post(
        f"{XAPI}/statements",
        params={"method": "GET"},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=form,
    )


def test_secrets_stay_out_of_logs_and_error_bodies(
    store: Store, captured: Callable[[], str]
) -> None:
    tenant = bootstrap(store, key=KEY, secret=SECRET)
    assert tenant is not None
    settings = Settings(auth_cache_seconds=0, access_log=True, metrics=True)
    client = testing.TestClient(create_app(settings, store))
    xapi = {"X-Experience-API-Version": "1.0.3"}
    refused: list[testing.Result] = []
    ok = basic(KEY, SECRET)

    def wrong(response: testing.Result) -> None:
        assert response.status_code == 401, response.text
        refused.append(response)

    # The Basic header, right and wrong, on each interface.
    for path in (f"{XAPI}/statements", "/api/v2/client", "/api/connection/statement"):
        assert client.simulate_get(path, headers={**xapi, **ok}).status_code == 200
        wrong(client.simulate_get(path, headers={**xapi, **basic(KEY, WRONG)}))
        wrong(client.simulate_get(path, headers={**xapi, **basic(WRONG, SECRET)}))
    # Credentials sent in clear instead of base64, and with another scheme.
    wrong(
        client.simulate_get(
            f"{XAPI}/statements", headers={**xapi, "Authorization": f"Basic {KEY}:{WRONG}"}
        )
    )
    wrong(
        client.simulate_get(
            f"{XAPI}/statements", headers={**xapi, "Authorization": f"Bearer {WRONG}"}
        )
    )
    # The alternate request syntax's form field, and a launch link's auth sent in the query.
    assert _alternate(client, KEY, SECRET).status_code == 200
    wrong(_alternate(client, KEY, WRONG))
    wrong(
        client.simulate_get(
            f"{XAPI}/statements", params={"auth": f"Basic {token(KEY, WRONG)}"}, headers=xapi
        )
    )
    # A REST client create shows a new secret once; the regenerate verb shows another.
    created = client.simulate_post(
        "/api/v2/client",
        json={"title": "Made", "scopes": ["xapi/all"], "lrs_id": tenant.lrs.id},
        headers=ok,
    )
    assert created.status_code == 201, created.text
    made_key, made_secret = created.json["api"]["basic_key"], created.json["api"]["basic_secret"]
    made = basic(made_key, made_secret)
    assert client.simulate_get(f"{XAPI}/statements", headers={**xapi, **made}).status_code == 200
    hash_before = store.get_client_by_key(made_key).secret_hash  # type: ignore[union-attr]
    regenerated = client.simulate_post(
        f"/api/v2/client/{created.json['_id']}/regenerate", json={}, headers=ok
    )
    assert regenerated.status_code == 200, regenerated.text
    new_secret = regenerated.json["api"]["basic_secret"]
    assert new_secret != made_secret
    wrong(client.simulate_get(f"{XAPI}/statements", headers={**xapi, **made}))
    renewed = basic(made_key, new_secret)
    assert client.simulate_get(f"{XAPI}/statements", headers={**xapi, **renewed}).status_code == 200
    # The models never show a stored hash, whatever is asked.
    listed = [
        client.simulate_get("/api/v2/client", headers=ok),
        client.simulate_get("/api/v2/client", params={"project": '{"api": 1}'}, headers=ok),
        client.simulate_get(f"/api/v2/client/{created.json['_id']}", headers=ok),
        client.simulate_get("/api/connection/client", params={"project": '{"api": 1}'}, headers=ok),
    ]
    for response in listed:
        assert response.status_code == 200
        assert STORED_HASH.search(response.text) is None, response.text

    hashes = [
        hash_before,
        store.get_client_by_key(made_key).secret_hash,  # type: ignore[union-attr]
        store.get_client_by_key(KEY).secret_hash,  # type: ignore[union-attr]
    ]
    secrets = [SECRET, WRONG, made_secret, new_secret]
    forbidden = forbidden_strings(KEY, secrets, hashes)
    forbidden |= forbidden_strings(made_key, secrets, []) | forbidden_strings(WRONG, secrets, [])
    logs = captured()
    assert "lrs.access" in logs and '"status":401' in logs  # the access log was captured
    assert {s for s in forbidden if s in logs} == set()
    assert STORED_HASH.search(logs) is None
    for response in refused:
        assert {s for s in forbidden if s in response.text} == set(), response.text
        assert response.json["message"]
    for public in ("/api/openapi.json", "/metrics"):
        response = client.simulate_get(public)
        assert response.status_code == 200
        assert {s for s in forbidden | {KEY, made_key} if s in response.text} == set(), public


# --- a real server ------------------------------------------------------------------------------


def _call(
    base: str,
    path: str,
    auth: tuple[str, str] | None,
    method: str = "GET",
    body: Any = None,
    **headers: str,
) -> tuple[int, bytes]:
    data = None if body is None else (body if isinstance(body, bytes) else orjson.dumps(body))
    request = urllib.request.Request(base + path, data=data, method=method)
    if auth is not None:
        request.add_header("Authorization", f"Basic {token(*auth)}")
    if body is not None and "Content-Type" not in headers:
        request.add_header("Content-Type", "application/json")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


@contextmanager
def serving(env: dict[str, str], stdout: Path, stderr: Path) -> Iterator[str]:
    """``lrs serve`` with stdout and stderr in separate files; yields its base URL."""
    base = f"http://127.0.0.1:{env['LRS_PORT']}"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen([LRS, "serve"], env=env, stdout=out, stderr=err)
        try:
            deadline = time.monotonic() + 30
            while _call(base, f"{XAPI}/about", None)[0] != 200:
                assert process.poll() is None, stderr.read_text()
                assert time.monotonic() < deadline, stderr.read_text()
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.mark.server
def test_lrs_serve_logs_no_secret_at_debug(tmp_path: Path) -> None:
    port = free_port()
    env = server_env(
        port,
        LRS_BOOTSTRAP_KEY=KEY,
        LRS_BOOTSTRAP_SECRET=SECRET,
        LRS_LOG_LEVEL="debug",
        LRS_ACCESS_LOG="true",
        LRS_AUTH_CACHE_SECONDS="0",
    )
    stderr_path = tmp_path / "stderr.log"
    version = {"X_Experience_API_Version": "1.0.3"}
    with serving(env, tmp_path / "stdout.log", stderr_path) as base:
        assert _call(base, f"{XAPI}/statements", (KEY, SECRET), **version)[0] == 200
        assert _call(base, f"{XAPI}/statements", (KEY, WRONG), **version)[0] == 401
        assert _call(base, f"{XAPI}/statements", ("no-such-key", SECRET), **version)[0] == 401
        form = urllib.parse.urlencode(
            {"Authorization": f"Basic {token(KEY, WRONG)}", "X-Experience-API-Version": "1.0.3"}
        ).encode()
        status, _ = _call(
            base,
            f"{XAPI}/statements?method=GET",
            None,
            "POST",
            form,
            Content_Type="application/x-www-form-urlencoded",
        )
        assert status == 401
        status, body = _call(
            base, "/api/v2/client", (KEY, SECRET), "POST", {"title": "Made", "scopes": ["all"]}
        )
        assert status == 201, body
        made = orjson.loads(body)
        status, body = _call(
            base, f"/api/v2/client/{made['_id']}/regenerate", (KEY, SECRET), "POST", {}
        )
        assert status == 200, body
        renewed = orjson.loads(body)["api"]["basic_secret"]
        made_key = made["api"]["basic_key"]
        assert _call(base, "/api/auth/client/info", (made_key, renewed))[0] == 200
        status, openapi = _call(base, "/api/openapi.json", None)
        assert status == 200
    secrets = [SECRET, WRONG, made["api"]["basic_secret"], renewed]
    forbidden = forbidden_strings(KEY, secrets, []) | forbidden_strings(made_key, secrets, [])
    text = openapi.decode()
    assert {s for s in forbidden | {KEY} if s in text} == set()
    assert STORED_HASH.search(text) is None
    # stdout carries the bootstrap banner (the one place the secret is shown); stderr is the log.
    stderr = stderr_path.read_text()
    assert "DEBUG" in stderr and '"status":401' in stderr  # debug logging and the access log ran
    assert {s for s in forbidden if s in stderr} == set()
    assert STORED_HASH.search(stderr) is None
