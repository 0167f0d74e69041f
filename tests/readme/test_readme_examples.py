"""The README's curl examples, run in order against a live ``lrs serve`` so they stay true.

Every ``curl`` command in a ```` ```sh ```` block of the README runs as written, with two
substitutions: the port of ``127.0.0.1:8080`` becomes the test server's, and ``curl`` gets
``-sS --fail-with-body`` so an HTTP error fails the test. The server is started with the
credentials the README's examples use (``my-key`` / ``my-secret``).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from lrs.ops.throwaway_postgres import free_port
from tests.server.test_gunicorn import running_server, server_env

pytestmark = pytest.mark.server
README = Path(__file__).resolve().parents[2] / "README.md"
_SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)


def readme_curl_commands(text: str) -> list[str]:
    """Each ``curl`` command of the README's sh blocks: a line starting with ``curl`` and the
    indented or backslash-continued lines after it, as written."""
    commands: list[list[str]] = []
    for block in _SH_BLOCK.findall(text):
        open_command = False
        for line in block.splitlines():
            if line.startswith("curl "):
                commands.append([line])
                open_command = True
            elif open_command and (commands[-1][-1].endswith("\\") or line[:1].isspace()):
                commands[-1].append(line)
            else:
                open_command = False
    return ["\n".join(lines) for lines in commands]


def test_the_readme_has_curl_examples_for_each_interface() -> None:
    commands = readme_curl_commands(README.read_text())
    for route in ("/data/xAPI/statements", "/api/v2/", "/api/connection/", "/api/openapi.json"):
        assert any(route in command for command in commands), route


def test_readme_curl_examples_work_against_a_live_server(tmp_path: Path) -> None:
    port = free_port()
    env = server_env(port, LRS_BOOTSTRAP_KEY="my-key", LRS_BOOTSTRAP_SECRET="my-secret")
    commands = readme_curl_commands(README.read_text())
    with running_server(env, tmp_path / "serve.log"):
        for command in commands:
            script = 'curl() { command curl -sS --fail-with-body "$@"; }\n' + command.replace(
                "127.0.0.1:8080", f"127.0.0.1:{port}"
            )
            result = subprocess.run(
                ["bash", "-c", script], capture_output=True, text=True, timeout=30, cwd=tmp_path
            )
            assert result.returncode == 0, (
                f"README example failed: {command}\n{result.stdout}\n{result.stderr}"
            )
