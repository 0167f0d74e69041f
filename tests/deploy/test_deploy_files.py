"""The shipped deploy/ files agree with lrs's settings and with each other."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lrs.core.settings import SETTINGS_DOC, Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX = (DEPLOY / "nginx" / "lrs.conf").read_text()
UNIT = (DEPLOY / "systemd" / "lrs.service").read_text()


def _env_file() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "lrs.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def _nginx_size(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([km]?)", text).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit]


def _unit_values(key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in UNIT.splitlines() if line.startswith(f"{key}=")]


def test_the_example_env_file_names_only_real_settings_and_parses() -> None:
    env = _env_file()
    assert set(env) <= set(SETTINGS_DOC), set(env) - set(SETTINGS_DOC)
    settings = Settings.from_env(env)
    assert settings.host == "127.0.0.1"
    assert settings.uses_postgres


def test_nginx_limits_match_lrs_defaults() -> None:
    defaults = Settings()
    [body] = re.findall(r"client_max_body_size (\S+);", NGINX)
    assert _nginx_size(body) == defaults.max_body_bytes
    [buffers] = re.findall(r"large_client_header_buffers \d+ (\S+);", NGINX)
    # The request line (method, URL, protocol) fits, so lrs gives its own 414 first.
    assert _nginx_size(buffers) > defaults.max_url_bytes + len("OPTIONS  HTTP/1.1\r\n")
    from lrs.ops import gunicorn_conf

    assert gunicorn_conf.limit_request_field_size > _nginx_size(buffers)
    [body_lrs] = re.findall(r"LRS_MAX_BODY_BYTES=(\d+)", (DEPLOY / "lrs.env").read_text())
    assert int(body_lrs) == defaults.max_body_bytes


def test_nginx_upstream_is_the_default_lrs_address() -> None:
    defaults = Settings()
    assert f"server {defaults.host}:{defaults.port};" in NGINX


def test_the_unit_runs_lrs_as_its_own_user_with_hardening() -> None:
    assert _unit_values("User") == ["lrs"] and _unit_values("Group") == ["lrs"]
    assert _unit_values("EnvironmentFile") == ["/etc/lrs/lrs.env"]
    assert _unit_values("ExecStartPre") == ["/opt/lrs/bin/lrs migrate"]
    assert _unit_values("ExecStart") == ["/opt/lrs/bin/lrs serve"]
    assert _unit_values("Restart") == ["on-failure"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert _unit_values(key) == [value], key


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify wants the binaries and the environment file to exist; point them at stand-ins.
    env_file = tmp_path / "lrs.env"
    env_file.write_text("")
    unit = tmp_path / "lrs.service"
    unit.write_text(
        UNIT.replace("/opt/lrs/bin/lrs", shutil.which("true") or "/bin/true").replace(
            "/etc/lrs/lrs.env", str(env_file)
        )
    )
    checked = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stderr
    # Unknown keys and bad values are only warned about ("..., ignoring").
    assert "ignoring" not in checked.stderr, checked.stderr
