"""Settings come from LRS_* variables, with defaults and clear errors."""

from __future__ import annotations

import pytest

from lrs.core.settings import SETTINGS_DOC, Settings, SettingsError


def test_defaults_serve_memory_on_loopback() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.uses_postgres is False
    assert settings.worker_count == 1
    assert settings.xapi_endpoint == "http://127.0.0.1:8080/data/xAPI"


def test_postgres_settings_are_read() -> None:
    settings = Settings.from_env(
        {
            "LRS_DATABASE_URL": "postgresql+psycopg://lrs@db:5432/lrs",
            "LRS_WORKERS": "3",
            "LRS_PORT": "9000",
            "LRS_HOST": "::1",
            "LRS_BOOTSTRAP_SECRET": "hidden",
        }
    )
    assert settings.uses_postgres and settings.worker_count == 3
    assert settings.xapi_endpoint == "http://[::1]:9000/data/xAPI"
    assert "hidden" not in repr(settings)


def test_memory_always_runs_one_worker() -> None:
    assert Settings.from_env({"LRS_WORKERS": "4"}).worker_count == 1


def test_keepalive_is_off_with_several_workers_unless_set() -> None:
    postgres = {"LRS_DATABASE_URL": "postgresql+psycopg://lrs@db:5432/lrs"}
    assert Settings.from_env({**postgres, "LRS_WORKERS": "3"}).keepalive == 0
    assert Settings.from_env({**postgres, "LRS_WORKERS": "1"}).keepalive == 5
    assert Settings.from_env({}).keepalive == 5
    assert Settings.from_env({**postgres, "LRS_KEEPALIVE_SECONDS": "2"}).keepalive == 2
    assert Settings.from_env({"LRS_KEEPALIVE_SECONDS": "0"}).keepalive == 0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LRS_PORT": "eighty"}, "LRS_PORT must be an integer"),
        ({"LRS_WORKERS": "0"}, "LRS_WORKERS must be at least 1"),
        ({"LRS_KEEPALIVE_SECONDS": "-1"}, "LRS_KEEPALIVE_SECONDS must be at least 0"),
        ({"LRS_LOG_LEVEL": "loud"}, "LRS_LOG_LEVEL"),
        ({"LRS_DATABASE_URL": "mysql://x"}, "LRS_DATABASE_URL"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_every_setting_is_documented_in_the_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for name in SETTINGS_DOC:
        assert f"`{name}`" in readme, name
