"""``lrs store`` and ``lrs client``: created, listed without secrets, regenerated and disabled
secrets checked against the real Falcon app."""

from __future__ import annotations

import re
from typing import Any

import pytest
from falcon import testing

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.store.postgres import PostgresStore
from lrs.tenancy.service import Bootstrap
from tests.cli.conftest import KEY, SECRET
from tests.http.conftest import basic_auth

pytestmark = pytest.mark.postgres


def _field(text: str, name: str) -> str:
    match = re.search(rf"^{name}\s+(\S+)", text, re.M)
    assert match, text
    return match.group(1)


def _status(store: PostgresStore, key: str, secret: str) -> int:
    """``GET /api/auth/client/info`` on a fresh app (no cached credentials)."""
    app = create_app(Settings(auth_cache_seconds=0, database_url="postgresql://unused"), store)
    response = testing.TestClient(app).simulate_get(
        "/api/auth/client/info", headers=basic_auth(key, secret)
    )
    return response.status_code


def test_store_create_and_list(tenant: Bootstrap, lrs: Any, cli_store: PostgresStore) -> None:
    ran = lrs("store", "create", "--title", "Course pilots")
    assert ran.code == 0, ran
    store_id = _field(ran.out, "store")
    key, secret = _field(ran.out, "key"), _field(ran.out, "secret")
    created = cli_store.get_lrs(store_id)
    assert created is not None and created.title == "Course pilots"
    assert created.organisation_id == tenant.organisation.id
    assert _status(cli_store, key, secret) == 200  # its client works

    listed = lrs("store", "list")
    assert listed.code == 0
    assert re.search(
        rf"^{store_id}\s+Course pilots\s+{tenant.organisation.id}\s+0$", listed.out, re.M
    )
    assert tenant.lrs.id in listed.out

    missing = lrs("store", "create", "--title", "X", "--organisation", "0" * 24)
    assert missing.code == 2
    assert f"organisation {'0' * 24} does not exist" in missing.err


def test_client_create_list_never_shows_secrets(
    tenant: Bootstrap, lrs: Any, cli_store: PostgresStore
) -> None:
    ran = lrs(
        "client",
        "create",
        "--store",
        tenant.lrs.id,
        "--scopes",
        "statements/read",
        "--title",
        "Reader",
    )
    assert ran.code == 0, ran
    client_id, secret = _field(ran.out, "client"), _field(ran.out, "secret")

    listed = lrs("client", "list", "--store", tenant.lrs.id)
    assert listed.code == 0
    assert re.search(
        rf"^{client_id}\s+{tenant.lrs.id}\s+Reader\s+\w+\s+statements/read\s+enabled$",
        listed.out,
        re.M,
    )
    assert SECRET not in listed.out and secret not in listed.out
    assert "sha256$" not in listed.out
    everything = lrs("client", "list")
    assert client_id in everything.out and tenant.issued.client.id in everything.out

    unknown = lrs("client", "create", "--store", "f" * 24)
    assert unknown.code == 2 and "no such store" in unknown.err


def test_regenerate_makes_the_old_secret_fail(
    tenant: Bootstrap, lrs: Any, cli_store: PostgresStore
) -> None:
    client_id = tenant.issued.client.id
    assert _status(cli_store, KEY, SECRET) == 200
    ran = lrs("client", "regenerate", client_id)
    assert ran.code == 0, ran
    new_secret = _field(ran.out, "secret")
    assert _field(ran.out, "key") == KEY and new_secret != SECRET
    assert "LRS_AUTH_CACHE_SECONDS (5 s here)" in ran.out
    assert _status(cli_store, KEY, new_secret) == 200
    assert _status(cli_store, KEY, SECRET) == 401


def test_disable_makes_the_credentials_fail_and_enable_undoes_it(
    tenant: Bootstrap, lrs: Any, cli_store: PostgresStore
) -> None:
    client_id = tenant.issued.client.id
    ran = lrs("client", "disable", client_id)
    assert ran.code == 0, ran
    assert "is disabled" in ran.out
    assert _status(cli_store, KEY, SECRET) == 403
    assert re.search(rf"^{client_id}.*disabled$", lrs("client", "list").out, re.M)
    assert lrs("client", "enable", client_id).code == 0
    assert _status(cli_store, KEY, SECRET) == 200

    missing = lrs("client", "disable", "a" * 24)
    assert missing.code == 2 and f"client {'a' * 24} does not exist" in missing.err


def test_without_a_database_url_the_commands_explain_the_memory_store(
    lrs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LRS_DATABASE_URL", raising=False)
    for command in (("store", "list"), ("client", "list"), ("import", "x.json"), ("export",)):
        ran = lrs(*command)
        assert ran.code == 2, command
        assert "in-memory one, which lives only inside a running server process" in ran.err
