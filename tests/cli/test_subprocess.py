"""The installed ``lrs`` console script, run as a process: a pipe in, a pipe out, exit codes,
and progress lines on stderr when it is not a terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from lrs.tenancy.service import Bootstrap
from tests.cli.conftest import ndjson, statement

pytestmark = pytest.mark.postgres
LRS = str(Path(sys.executable).with_name("lrs"))


def _run(
    args: list[str], database_url: str, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "LRS_DATABASE_URL": database_url}
    return subprocess.run(
        [LRS, *args], input=stdin, capture_output=True, env=env, timeout=120, check=False
    )


def test_import_from_a_pipe_and_export_to_a_pipe(tenant: Bootstrap, cli_database_url: str) -> None:
    data = ndjson([statement(n) for n in range(20)]) + b'{"actor": "nobody"}\n'
    imported = _run(
        ["import", "--batch-size", "7", "--progress-every", "0"], cli_database_url, stdin=data
    )
    assert imported.returncode == 1, imported.stderr  # one rejected
    out = imported.stdout.decode()
    assert "stored           20" in out and "line 21: verb: is required" in out
    progress = [line for line in imported.stderr.decode().splitlines() if "statements in" in line]
    assert progress and progress[-1].startswith("lrs import: 2")  # plain lines, no bar

    exported = _run(["export", "--progress-every", "0"], cli_database_url)
    assert exported.returncode == 0, exported.stderr
    assert [orjson.loads(line)["id"] for line in exported.stdout.splitlines()] == [
        statement(n)["id"] for n in range(20)
    ]
    assert b"\r" not in exported.stderr  # no progress bar off a terminal

    again = _run(["import"], cli_database_url, stdin=exported.stdout)
    assert again.returncode == 0 and b"already present  20" in again.stdout


def test_an_export_piped_into_head_ends_quietly(tenant: Bootstrap, cli_database_url: str) -> None:
    imported = _run(["import"], cli_database_url, stdin=ndjson([statement(n) for n in range(1000)]))
    assert imported.returncode == 0
    env = {**os.environ, "LRS_DATABASE_URL": cli_database_url}
    piped = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {LRS} export | head -n 1"],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert orjson.loads(piped.stdout)["id"] == statement(0)["id"]
    assert b"Traceback" not in piped.stderr, piped.stderr
