"""``lrs check``'s "database settings": the recommendations, their units, and a real server.

The server tests run a PostgreSQL cluster of their own, because they change its configuration
with ``ALTER SYSTEM`` (and restart it once): the session's shared cluster must not see that.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from lrs.cli.check import report_lines
from lrs.ops.check import CheckResult, settings_result
from lrs.ops.migrate import upgrade_to_head
from lrs.ops.pg_settings import (
    GB,
    MB,
    RECOMMENDATIONS,
    Setting,
    format_bytes,
    format_seconds,
    judge,
    normalise,
)
from lrs.ops.throwaway_postgres import PostgresNotFound, ThrowawayPostgres
from tests.pg import IN_CI, unavailable_reason

DEPLOY_README = Path(__file__).resolve().parents[2] / "deploy" / "README.md"

# pg_settings' rows on a fresh PostgreSQL 15 cluster (initdb's defaults; name, setting, unit).
INITDB_DEFAULTS = {
    "shared_buffers": ("16384", "8kB"),
    "effective_cache_size": ("524288", "8kB"),
    "max_wal_size": ("1024", "MB"),
    "checkpoint_timeout": ("300", "s"),
    "checkpoint_completion_target": ("0.9", None),
    "wal_compression": ("off", None),
    "synchronous_commit": ("on", None),
    "fsync": ("on", None),
    "full_page_writes": ("on", None),
    "autovacuum": ("on", None),
    "maintenance_work_mem": ("65536", "kB"),
    "work_mem": ("4096", "kB"),
    "random_page_cost": ("4", None),
    "jit": ("on", None),
}


def settings(**changes: tuple[str, str | None]) -> dict[str, Setting]:
    rows = {**INITDB_DEFAULTS, **changes}
    return {name: Setting(name, setting, unit) for name, (setting, unit) in rows.items()}


def off(found: dict[str, Setting]) -> dict[str, str]:
    """Each setting found off, with its level."""
    return {finding.name: finding.level for finding in judge(found)}


# --- units -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "unit", "expected"),
    [
        ("16384", "8kB", 128 * MB),  # shared_buffers: 8 kB pages
        ("524288", "8kB", 4 * GB),
        ("1024", "MB", 1 * GB),  # max_wal_size
        ("65536", "kB", 64 * MB),  # maintenance_work_mem
        ("64", "16MB", 1 * GB),  # a unit with a multiplier other than 8
        ("300", "s", 300),  # checkpoint_timeout
        ("60000", "ms", 60),
        ("15", "min", 900),
        ("0.9", None, 0.9),
        ("4", None, 4),
        ("Off", None, "off"),
        ("lz4", None, "lz4"),
    ],
)
def test_pg_settings_units_become_bytes_and_seconds(
    setting: str, unit: str | None, expected: float | str
) -> None:
    assert normalise(setting, unit) == expected


def test_values_are_shown_as_in_postgresql_conf() -> None:
    assert format_bytes(128 * MB) == "128MB"
    assert format_bytes(4 * GB) == "4GB"
    assert format_bytes(1536 * MB) == "1536MB"
    assert format_bytes(8 * 1024) == "8kB"
    assert format_seconds(300) == "5min"
    assert format_seconds(90) == "90s"
    assert format_seconds(3600) == "1h"
    assert format_seconds(0.25) == "250ms"
    assert Setting("shared_buffers", "16384", "8kB").shown() == "128MB"
    assert Setting("checkpoint_timeout", "900", "s").shown() == "15min"
    assert Setting("random_page_cost", "1.1", None).shown() == "1.1"


# --- judging -----------------------------------------------------------------------------------


def test_initdb_defaults_are_judged() -> None:
    assert off(settings()) == {
        "shared_buffers": "warn",
        "max_wal_size": "warn",
        "wal_compression": "warn",
        "maintenance_work_mem": "warn",
        "random_page_cost": "note",
        "jit": "warn",
    }
    lines = [finding.line() for finding in judge(settings())]
    assert lines[0] == (
        "shared_buffers = 128MB; recommended about 25% of RAM, at least 1GB (lrs check cannot "
        "see the host's RAM): PostgreSQL's cache of statements and indexes"
    )
    assert lines[1].startswith("max_wal_size = 1GB; recommended 8GB-16GB for bulk loads")


def test_the_recommended_settings_for_16_gb_pass() -> None:
    tuned = settings(
        shared_buffers=("524288", "8kB"),  # 4GB
        effective_cache_size=("1572864", "8kB"),  # 12GB
        max_wal_size=("16384", "MB"),
        checkpoint_timeout=("900", "s"),
        wal_compression=("lz4", None),
        maintenance_work_mem=("1048576", "kB"),  # 1GB
        work_mem=("16384", "kB"),
        random_page_cost=("1.1", None),
        jit=("off", None),
    )
    assert off(tuned) == {}
    result = settings_result(judge(tuned))
    assert result.status == "ok"
    assert result.details == ()


@pytest.mark.parametrize(
    ("name", "value", "level"),
    [
        ("shared_buffers", ("131071", "8kB"), "warn"),  # one page under 1GB
        ("max_wal_size", ("4095", "MB"), "warn"),
        ("checkpoint_timeout", ("299", "s"), "warn"),
        ("checkpoint_completion_target", ("0.5", None), "warn"),
        ("synchronous_commit", ("off", None), "warn"),
        ("fsync", ("off", None), "warn"),
        ("full_page_writes", ("off", None), "warn"),
        ("autovacuum", ("off", None), "fail"),
        ("maintenance_work_mem", ("262143", "kB"), "warn"),
        ("work_mem", ("1024", "kB"), "note"),
        ("random_page_cost", ("2.1", None), "note"),
    ],
)
def test_each_threshold(name: str, value: tuple[str, str | None], level: str) -> None:
    tuned = settings(
        shared_buffers=("131072", "8kB"),  # exactly 1GB: not below
        max_wal_size=("4096", "MB"),
        maintenance_work_mem=("262144", "kB"),
        wal_compression=("on", None),
        random_page_cost=("2", None),
        jit=("off", None),
    )
    assert off(tuned) == {}
    assert off({**tuned, name: Setting(name, *value)}) == {name: level}


def test_effective_cache_size_is_judged_against_shared_buffers() -> None:
    # 4GB of shared_buffers (25% of 16 GB) with the default 4GB effective_cache_size
    found = off(settings(shared_buffers=("524288", "8kB")))
    assert found["effective_cache_size"] == "warn"
    assert "effective_cache_size" not in off(settings(shared_buffers=("262144", "8kB")))


def test_settings_the_server_lacks_are_not_judged() -> None:
    found = settings()
    del found["jit"], found["shared_buffers"]
    expected = {"max_wal_size", "wal_compression", "maintenance_work_mem", "random_page_cost"}
    assert set(off(found)) == expected


def test_the_check_result_and_its_lines() -> None:
    warned = settings_result(judge(settings()))
    assert warned.status == "warn"
    assert warned.message.startswith(
        "5 settings are far from the recommendations for an LRS, 1 more to consider"
    )
    assert settings_result(judge(settings(autovacuum=("off", None)))).status == "fail"
    noted = settings_result(
        judge(
            settings(
                shared_buffers=("131072", "8kB"),
                max_wal_size=("8192", "MB"),
                wal_compression=("lz4", None),
                maintenance_work_mem=("524288", "kB"),
                jit=("off", None),
            )
        )
    )
    assert noted.status == "ok"
    assert noted.message.startswith("the 14 settings checked are within the recommendations")
    assert "1 more to consider" in noted.message
    lines = report_lines([CheckResult("schema", "ok", "at the newest revision (0011)"), noted])
    assert lines == [
        "ok    schema             at the newest revision (0011)",
        f"ok    database settings  {noted.message}",
        "      note  random_page_cost = 4; recommended 1.1 on SSD (keep 4 on spinning disks): "
        "on SSD an index read costs about what a sequential one does",
    ]


def test_the_deploy_guide_lists_every_recommended_setting() -> None:
    text = DEPLOY_README.read_text()
    section = text.split("## PostgreSQL settings for an LRS", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    assert rows == {recommendation.name for recommendation in RECOMMENDATIONS}


# --- a real server -----------------------------------------------------------------------------


class Server:
    """A cluster of this module's own and a migrated database on it."""

    def __init__(self, cluster: ThrowawayPostgres, database: str) -> None:
        self.cluster = cluster
        self.database = database
        self.url = cluster.url(database)
        self.dsn = f"host=127.0.0.1 port={cluster.port} user=postgres dbname={database}"

    def execute(self, *statements: sql.Composable) -> None:
        """Run these statements, then reload the configuration and wait until new sessions
        see it (pg_reload_conf only signals the server)."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            loaded = conn.execute("SELECT pg_conf_load_time()").fetchone()
            for statement in statements:
                conn.execute(statement)
            conn.execute("SELECT pg_reload_conf()")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with psycopg.connect(self.dsn) as conn:
                if conn.execute("SELECT pg_conf_load_time()").fetchone() != loaded:
                    return
            time.sleep(0.05)
        raise AssertionError("the server did not reload its configuration within 10 s")

    def alter_system(self, **values: str) -> None:
        """``ALTER SYSTEM SET name = 'value'`` for each, then reload."""
        self.execute(
            *(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(v))
                for name, v in values.items()
            )
        )


@pytest.fixture(scope="module")
def own_server() -> Iterator[Server]:
    """A throwaway cluster for this module alone, with a migrated database."""
    try:
        cluster = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="lrs-test-pg-settings-")))
    except PostgresNotFound:
        if IN_CI:
            pytest.fail("CI=true but no PostgreSQL is available: " + unavailable_reason())
        pytest.skip(unavailable_reason())
    cluster.start()
    try:
        cluster.create_database("lrs_settings")
        server = Server(cluster, "lrs_settings")
        upgrade_to_head(server.url)
        yield server
    finally:
        cluster.stop()


@pytest.fixture
def server(own_server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """The module's server with initdb's configuration, ``LRS_DATABASE_URL`` pointing at it."""
    monkeypatch.setenv("LRS_DATABASE_URL", own_server.url)
    yield own_server
    own_server.execute(
        sql.SQL("ALTER SYSTEM RESET ALL"),
        sql.SQL("ALTER DATABASE {} RESET ALL").format(sql.Identifier(own_server.database)),
    )


def setting_lines(out: str) -> dict[str, str]:
    """The lines under "database settings", by setting name: ``{"shared_buffers": "warn  ..."}``."""
    found = re.findall(r"^      ((?:warn|note|FAIL)  (\w+) = .*)$", out, re.M)
    return {name: line for line, name in found}


@pytest.mark.postgres
def test_initdb_defaults_warn_but_pass(server: Server, lrs: Any) -> None:
    ran = lrs("check")
    assert ran.code == 0, ran
    assert re.search(r"^ok    schema +at the newest revision", ran.out, re.M), ran.out
    assert re.search(r"^warn  database settings  \d+ settings are far from", ran.out, re.M)
    lines = setting_lines(ran.out)
    assert lines["shared_buffers"].startswith("warn  shared_buffers = 128MB; recommended about")
    assert lines["max_wal_size"].startswith("warn  max_wal_size = 1GB; recommended 8GB-16GB")
    assert lines["wal_compression"].startswith("warn  wal_compression = off; recommended lz4")
    assert lines["maintenance_work_mem"].startswith("warn  maintenance_work_mem = 64MB;")
    # the throwaway cluster runs with these off, for speed
    assert lines["synchronous_commit"].startswith("warn  synchronous_commit = off; recommended on")
    assert lines["fsync"].startswith("warn  fsync = off")
    assert lines["random_page_cost"].startswith("note  random_page_cost = 4;")
    for fine in ("checkpoint_timeout", "checkpoint_completion_target", "autovacuum", "work_mem"):
        assert fine not in lines
    assert "effective_cache_size" not in lines
    assert ran.out.splitlines()[-1] == "lrs check: passed, with warnings (database settings)"


@pytest.mark.postgres
def test_reloaded_settings_stop_warning(server: Server, lrs: Any) -> None:
    reloadable = (
        "max_wal_size",
        "checkpoint_timeout",
        "wal_compression",
        "checkpoint_completion_target",
        "maintenance_work_mem",
    )
    server.alter_system(checkpoint_timeout="1min", checkpoint_completion_target="0.5")
    before = setting_lines(lrs("check").out)
    assert set(reloadable) <= set(before), before
    assert before["checkpoint_timeout"].startswith("warn  checkpoint_timeout = 1min;")
    server.alter_system(
        max_wal_size="16GB",
        checkpoint_timeout="15min",
        wal_compression="lz4",
        checkpoint_completion_target="0.9",
        maintenance_work_mem="1GB",
    )
    ran = lrs("check")
    assert ran.code == 0
    after = setting_lines(ran.out)
    assert not set(reloadable) & set(after), after
    assert "shared_buffers" in after  # needs a restart: still the default


@pytest.mark.postgres
def test_autovacuum_off_fails_the_check(server: Server, lrs: Any) -> None:
    server.alter_system(autovacuum="off")
    ran = lrs("check")
    assert ran.code == 1
    assert re.search(r"^FAIL  database settings  ", ran.out, re.M), ran.out
    assert setting_lines(ran.out)["autovacuum"].startswith(
        "FAIL  autovacuum = off; recommended on: without it tables bloat"
    )
    assert ran.out.splitlines()[-1] == "lrs check: FAILED (database settings)"


@pytest.mark.postgres
def test_database_level_settings_count(server: Server, lrs: Any) -> None:
    """The check reads the settings as the LRS's own sessions get them: ALTER DATABASE wins over
    the server's command line (synchronous_commit=off) and over its defaults (work_mem)."""
    name = sql.Identifier(server.database)
    server.execute(
        sql.SQL("ALTER DATABASE {} SET synchronous_commit = on").format(name),
        sql.SQL("ALTER DATABASE {} SET work_mem = '1MB'").format(name),
    )
    lines = setting_lines(lrs("check").out)
    assert "synchronous_commit" not in lines
    assert lines["work_mem"].startswith("note  work_mem = 1MB; recommended 4MB")


@pytest.mark.postgres
def test_shared_buffers_after_a_restart(server: Server, lrs: Any) -> None:
    server.alter_system(shared_buffers="1GB", effective_cache_size="1GB")
    server.cluster.stop()
    server.cluster.start()
    try:
        lines = setting_lines(lrs("check").out)
        assert "shared_buffers" not in lines
        assert lines["effective_cache_size"].startswith(
            "warn  effective_cache_size = 1GB; recommended 50-75% of RAM, at least twice"
        )
    finally:
        server.alter_system(shared_buffers="128MB", effective_cache_size="4GB")
        server.cluster.stop()
        server.cluster.start()
