"""Fixtures for the ``lrs`` command's tests: a PostgreSQL database of their own, emptied and
bootstrapped before each test, ``LRS_DATABASE_URL`` pointing at it, and ``lrs`` run in-process."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from lrs.cli.main import main
from lrs.ops.migrate import upgrade_to_head
from lrs.store.postgres import PostgresStore
from lrs.tenancy.service import Bootstrap, bootstrap
from tests.pg import PostgresServer

KEY = "cli-key"
SECRET = "cli-secret"


@dataclass
class Ran:
    """What one ``lrs`` run printed and returned."""

    code: int
    out: str
    err: str


@pytest.fixture(scope="session")
def cli_database_url(pg_server: PostgresServer) -> str:
    """A migrated database for the CLI tests alone (they count stores and clients)."""
    url = pg_server.create_database()
    upgrade_to_head(url)
    return url


@pytest.fixture(scope="session")
def cli_store(cli_database_url: str) -> Iterator[PostgresStore]:
    """A store on that database, for setting up and checking what the commands did."""
    store = PostgresStore.from_url(cli_database_url, pool_size=2)
    yield store
    store.close()


@pytest.fixture
def tenant(
    cli_store: PostgresStore, cli_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Bootstrap:
    """An emptied database with one organisation, store and client (key ``cli-key``), and the
    environment of an ``lrs`` command pointing at it."""
    cli_store.reset()
    created = bootstrap(cli_store, key=KEY, secret=SECRET)
    assert created is not None
    for name in ("LRS_BOOTSTRAP_KEY", "LRS_BOOTSTRAP_SECRET", "LRS_AUTH_CACHE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LRS_DATABASE_URL", cli_database_url)
    return created


@pytest.fixture
def lrs(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """``lrs(*args, stdin=bytes)``: run the real command in-process; returns a ``Ran``."""

    def run(*args: str, stdin: bytes | None = None) -> Ran:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


def statement(n: int, **extra: Any) -> dict[str, Any]:
    """A small valid statement with a fixed id derived from ``n``."""
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "actor": {"mbox": f"mailto:learner{n}@example.com", "objectType": "Agent"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": f"http://example.com/activities/{n}", "objectType": "Activity"},
        **extra,
    }


def ndjson(statements: list[Any]) -> bytes:
    """One JSON document per line."""
    return b"".join(orjson.dumps(s) + b"\n" for s in statements)
