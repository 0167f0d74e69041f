"""The pytest plugin as a user meets it: their test file in a fresh directory, run by a pytest
subprocess with nothing set up, finds the ``lrs`` fixture through the installed entry point."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pg import PostgresServer

pytest_plugins = ["pytester"]

HERE = Path(__file__).resolve().parent
README_EXAMPLE = (HERE / "readme_example.py").read_text()
README = HERE.parents[1] / "README.md"
_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


@pytest.fixture
def user_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A directory holding only the README's example as the user's test file; the environment
    carries settings that must not reach the embedded server."""
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("PYTEST_PLUGINS", raising=False)
    monkeypatch.setenv("LRS_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    monkeypatch.setenv("LRS_BOOTSTRAP_KEY", "from-the-environment")
    pytester.makepyfile(test_user=README_EXAMPLE)
    return pytester


def test_the_readme_example_passes_with_nothing_set_up(user_project: pytest.Pytester) -> None:
    assert not list(user_project.path.glob("conftest.py"))
    assert not (user_project.path / "setup.cfg").exists()
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    # rootdir is the user's directory: neither our conftest.py nor our setup.cfg took part.
    result.stdout.fnmatch_lines([f"rootdir: {user_project.path}*"])
    result.stdout.no_fnmatch_line("*PostgreSQL-backed tests*")


def test_the_fixtures_come_from_the_plugin_named_lrs(user_project: pytest.Pytester) -> None:
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:lrs")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*fixture 'lrs' not found*"])


@pytest.mark.postgres
def test_the_fixtures_serve_from_postgres_when_given_a_database(
    user_project: pytest.Pytester, pg_server: PostgresServer
) -> None:
    url = pg_server.create_database()  # not migrated: the plugin migrates it
    user_project.makepyfile(
        test_store_kind=(
            "def test_the_store_is_postgres(lrs):\n"
            "    assert type(lrs.store).__name__ == 'PostgresStore'\n"
        )
    )
    result = user_project.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--lrs-database-url={url}"
    )
    result.assert_outcomes(passed=3)


def test_loading_the_plugin_imports_none_of_lrs_itself() -> None:
    probe = (
        "import sys, lrs.testing.pytest_plugin\n"
        "print(sorted(m for m in ('falcon', 'sqlalchemy', 'lrs.http.app', 'lrs.store.memory')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_readme_shows_this_example_once_it_has_one() -> None:
    examples = [b for b in _PYTHON_BLOCK.findall(README.read_text()) if "(lrs)" in b]
    if not examples:
        pytest.skip("the README has no example using the lrs fixture yet")
    assert README_EXAMPLE in examples, "the README's lrs fixture example differs from ours"
