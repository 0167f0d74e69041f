"""The built wheel, installed into a fresh virtualenv with no checkout around it, migrates a
throwaway PostgreSQL and serves xAPI.

The wheel is built from a copy of the project's files (what a clean clone holds) with the test
environment's setuptools. The fresh virtualenv gets the wheel itself with ``--no-deps``; its
dependencies come from the test environment's site-packages through a ``.pth`` file, so the test
downloads nothing and runs the same dependency versions ``make install`` resolved.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lrs import __version__
from lrs.ops.throwaway_postgres import free_port
from tests.pg import PostgresServer
from tests.server.test_gunicorn import running_server, server_env

pytestmark = [pytest.mark.server, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


def _project_files() -> list[str]:
    """The files a clean clone has: tracked ones, and new ones not ignored (during development)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return [name for name in listed if (ROOT / name).is_file()]


def _run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=300, **kwargs
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtualenv holding the built wheel; yields its ``bin`` folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    for name in _project_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _run(*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", work / "dist", source)
    wheels = list((work / "dist").glob("lrs-*.whl"))
    assert [w.name for w in wheels] == [f"lrs-{__version__}-py3-none-any.whl"]

    venv = work / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip()
    )
    (site / "test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(*pip, "--python", python, "install", "-q", "--no-deps", "--no-index", wheels[0])
    yield venv / "bin"


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LRS_", "PYTHON"))}
    env.update(extra)
    return env


def test_the_installed_package_has_no_checkout_around_it(installed: Path, tmp_path: Path) -> None:
    where = _run(
        installed / "python",
        "-c",
        "import lrs, lrs.ops.migrate as m; print(lrs.__file__); print(m.migrations_dir())",
        cwd=tmp_path,
        env=_clean_env(),
    ).stdout.split()
    package = Path(where[0]).parent
    assert package.parent.name == "site-packages"
    assert str(installed.parent) in where[0]
    assert Path(where[1]) == package / "migrations"
    assert (package / "migrations" / "versions").is_dir()
    for command in (
        [installed / "lrs", "--version"],
        [installed / "python", "-m", "lrs", "--version"],
    ):
        assert _run(*command, cwd=tmp_path, env=_clean_env()).stdout.strip() == f"lrs {__version__}"


def test_installed_lrs_migrates_and_serves_postgres(
    installed: Path, pg_server: PostgresServer, tmp_path: Path
) -> None:
    url = pg_server.create_database()
    migrated = _run(
        installed / "lrs", "migrate", cwd=tmp_path, env=_clean_env(LRS_DATABASE_URL=url)
    )
    assert "database is at revision" in migrated.stdout

    env = server_env(
        free_port(),
        LRS_DATABASE_URL=url,
        LRS_WORKERS="1",
        LRS_BOOTSTRAP_KEY="wheel-key",
        LRS_BOOTSTRAP_SECRET="wheel-secret",
    )
    env = {k: v for k, v in env.items() if not k.startswith("PYTHON")}
    with running_server(
        env, tmp_path / "serve.log", lrs=str(installed / "lrs"), cwd=tmp_path
    ) as base:
        token = base64.b64encode(b"wheel-key:wheel-secret").decode()
        headers = {
            "Authorization": f"Basic {token}",
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        }
        statement = {
            "actor": {"mbox": "mailto:wheel@example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": "http://example.com/activities/wheel"},
        }
        request = urllib.request.Request(
            f"{base}/data/xAPI/statements",
            data=json.dumps(statement).encode(),
            headers=headers,
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            (statement_id,) = json.loads(response.read())
        request = urllib.request.Request(
            f"{base}/data/xAPI/statements?statementId={statement_id}", headers=headers
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            stored = json.loads(response.read())
        assert stored["id"] == statement_id
        assert stored["object"]["id"] == "http://example.com/activities/wheel"
