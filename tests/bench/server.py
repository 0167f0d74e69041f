"""Starting and stopping what a benchmark runs against: a throwaway PostgreSQL and ``lrs serve``.

Both are context managers that stop what they started on the way out, also after an error or
Ctrl-C. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import sqlalchemy as sa

from lrs.ops.migrate import upgrade_to_head
from lrs.ops.throwaway_postgres import ThrowawayPostgres, free_port
from tests.bench.client import XAPI, BenchError, Credentials
from tests.bench.cpu import CpuSnapshot, postmaster_pid
from tests.bench.options import progress
from tests.bench.pg_settings import PgSettings, apply
from tests.bench.report import RESULTS_DIR

LRS = str(Path(sys.executable).with_name("lrs"))
HOST = "127.0.0.1"
BOOTSTRAP_KEY = "bench-key"
BOOTSTRAP_SECRET = "bench-secret"


@dataclass(frozen=True)
class Database:
    """A migrated database on a throwaway cluster."""

    url: str
    cluster: ThrowawayPostgres
    settings: PgSettings = field(default_factory=PgSettings)
    overrides: tuple[tuple[str, str], ...] = ()  # what ``settings`` put on the command line

    @property
    def dsn(self) -> str:
        """A libpq connection string for psycopg."""
        url = sa.make_url(self.url)
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    def execute(self, sql: str) -> None:
        """Run one statement in autocommit mode (VACUUM cannot run in a transaction)."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]  # our own constant SQL

    def server_version(self) -> str:
        """``SHOW server_version``."""
        with psycopg.connect(self.dsn) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def table_size(self, table: str) -> int:
        """Bytes on disk of a table with its indexes and TOAST."""
        with psycopg.connect(self.dsn) as conn:
            row = conn.execute("SELECT pg_total_relation_size(%s)", (table,)).fetchone()
        return int(row[0]) if row else 0


@contextmanager
def throwaway_database(
    name: str = "lrs_bench", settings: PgSettings | None = None
) -> Iterator[Database]:
    """A throwaway cluster in a temporary directory with one database at the newest migration.

    The directory is a fresh ``mkdtemp`` of its own (not inside another temporary directory):
    as root the cluster runs as ``postgres``, which must be able to enter it. ``settings``:
    a ``BENCH_PG_SETTINGS`` profile (``tests.bench.pg_settings``; default: the cluster's own).
    """
    settings = settings or PgSettings()
    with work_directory("lrs-bench-pg-") as directory:
        cluster = ThrowawayPostgres(directory)
        try:
            cluster.start()
            overrides = apply(cluster, settings)
            url = cluster.create_database(name)
            upgrade_to_head(url)
            yield Database(url, cluster, settings, tuple(overrides.items()))
        finally:
            cluster.stop()


@dataclass(frozen=True)
class RunningServer:
    """A started ``lrs serve``."""

    credentials: Credentials
    process: subprocess.Popen[bytes]
    log_path: Path
    workers: int
    threads: int

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's output."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def server_env(port: int, database_url: str | None, workers: int, threads: int) -> dict[str, str]:
    """The environment of ``lrs serve``: ours without ``LRS_*``, plus the benchmark's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LRS_")}
    env.update(
        LRS_HOST=HOST,
        LRS_PORT=str(port),
        LRS_WORKERS=str(workers),
        LRS_THREADS=str(threads),
        LRS_BOOTSTRAP_KEY=BOOTSTRAP_KEY,
        LRS_BOOTSTRAP_SECRET=BOOTSTRAP_SECRET,
        LRS_LOG_LEVEL="warning",
    )
    if database_url is not None:
        env["LRS_DATABASE_URL"] = database_url
    return env


@contextmanager
def lrs_server(
    log_path: Path,
    database_url: str | None,
    workers: int,
    threads: int = 8,
    start_timeout: float = 60.0,
) -> Iterator[RunningServer]:
    """Run ``lrs serve`` on a free loopback port until the block ends.

    The server runs in a session of its own, so a Ctrl-C reaches only us and we stop it in
    order (SIGTERM to the gunicorn master, which stops its workers; SIGKILL after 30 s).
    """
    port = free_port()
    env = server_env(port, database_url, workers, threads)
    credentials = Credentials(HOST, port, BOOTSTRAP_KEY, BOOTSTRAP_SECRET)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [LRS, "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_serving(process, credentials, log_path, start_timeout)
            yield RunningServer(
                credentials=credentials,
                process=process,
                log_path=log_path,
                workers=workers if database_url is not None else 1,
                threads=threads,
            )
        finally:
            _stop(process)


def _wait_until_serving(
    process: subprocess.Popen[bytes], credentials: Credentials, log_path: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    url = f"{credentials.base_url}{XAPI}/about"
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"lrs serve exited with {process.returncode}:\n{log_path.read_text()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"lrs serve did not answer within {timeout:.0f} s")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        # The master did not stop: kill its whole session (the group it leads, by its own id).
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def work_directory(prefix: str = "lrs-bench-") -> Iterator[Path]:
    """A temporary directory, removed at the end."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@dataclass(frozen=True)
class ServedStore:
    """A running server and, for PostgreSQL, its database."""

    store: str  # "postgres" or "memory"
    server: RunningServer
    database: Database | None

    def cpu(self) -> CpuSnapshot:
        """CPU seconds so far of the server's process tree and PostgreSQL's."""
        pg_pid = postmaster_pid(self.database.cluster.data_dir) if self.database else None
        return CpuSnapshot.take(self.server.process.pid, pg_pid)

    def describe(self) -> str:
        """``lrs serve, 3 worker(s) x 8 threads (gthread, no keep-alive), PostgreSQL 16.4``."""
        keepalive = "no keep-alive" if self.server.workers > 1 else "keep-alive"
        text = (
            f"lrs serve, {self.server.workers} worker(s) x {self.server.threads} threads "
            f"(gthread, {keepalive})"
        )
        if self.database is not None:
            text += f", PostgreSQL {self.database.server_version()}"
        return text

    @contextmanager
    def explaining_errors(self) -> Iterator[None]:
        """Re-raise a ``BenchError`` of the block with what the logs say about it.

        Prints the end of the server's log, copies the logs to ``bench-results/logs/`` and adds
        PostgreSQL's deadlock and time-out counts to the message.
        """
        try:
            yield
        except BenchError as error:
            tail = self.server.log_tail(20)
            if tail:
                progress(f"{self.store}: last lines of the server log:\n{tail}")
            saved = self.save_logs(RESULTS_DIR / "logs")
            for path in saved:
                progress(f"{self.store}: saved {path}")
            hints = [self.database_log_summary()]
            if saved:
                hints.append(f"logs in {saved[0].parent}")
            hint = "; ".join(h for h in hints if h)
            raise BenchError(f"{error}\n({hint})" if hint else str(error)) from None

    def database_log_summary(self) -> str:
        """How many deadlocks and statement time-outs PostgreSQL logged (empty for memory)."""
        if self.database is None:
            return ""
        try:
            text = (self.database.cluster.directory / "server.log").read_text(errors="replace")
        except OSError:
            return ""
        deadlocks = text.count("deadlock detected")
        timeouts = text.count("canceling statement due to statement timeout")
        if not deadlocks and not timeouts:
            return ""
        return f"PostgreSQL logged {deadlocks} deadlock(s) and {timeouts} statement time-out(s)"

    def save_logs(self, directory: Path) -> list[Path]:
        """Copy the server's (and PostgreSQL's) log into ``directory``; return the copies."""
        directory.mkdir(parents=True, exist_ok=True)
        sources = [(self.server.log_path, f"{self.store}-lrs-serve.log")]
        if self.database is not None:
            sources.append((self.database.cluster.directory / "server.log", "postgres.log"))
        saved = []
        for source, name in sources:
            if source.is_file():
                shutil.copyfile(source, directory / name)
                saved.append(directory / name)
        return saved


@contextmanager
def serving(
    store: str,
    work_dir: Path,
    workers: int,
    threads: int,
    pg_settings: PgSettings | None = None,
) -> Iterator[ServedStore]:
    """``lrs serve`` on ``store``: a fresh throwaway PostgreSQL database (with ``pg_settings``),
    or the memory store."""
    log_path = work_dir / f"lrs-serve-{store}.log"
    if store == "memory":
        with lrs_server(log_path, None, 1, threads) as server:
            yield ServedStore(store, server, None)
        return
    if store != "postgres":
        raise ValueError(f"unknown store {store!r}: postgres or memory")
    with (
        throwaway_database(settings=pg_settings) as database,
        lrs_server(log_path, database.url, workers, threads) as server,
    ):
        yield ServedStore(store, server, database)
