"""A throwaway PostgreSQL cluster for development (``make pg``) and tests.

It runs the server binaries found in ``/usr/lib/postgresql/*/bin`` (or on ``PATH``) on a data
directory of its own, listening on 127.0.0.1 only, with trust authentication for the local
``postgres`` superuser. PostgreSQL refuses to run as root, so when we are root every server
command runs as the ``postgres`` system user on a directory it owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

import psycopg


class PostgresNotFound(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bin_dir() -> Path | None:
    """The newest directory holding ``initdb`` and ``pg_ctl``, or None."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayPostgres:
    """One PostgreSQL cluster in ``directory`` on ``127.0.0.1:port``."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise PostgresNotFound(
                "no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin "
                "or on PATH; install the postgresql package"
            )
        self.bin_dir = bin_dir
        self.directory = directory.resolve()
        self.data_dir = self.directory / "data"
        self.port = port or free_port()

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Initialise the data directory if needed, then start the server and wait for it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._give_to_postgres_user(self.directory)
        if self.is_running():
            return
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-o",
            options,
            "-l",
            str(self.directory / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        self._wait_ready()

    def stop(self) -> None:
        """Stop the server (fast shutdown); quiet if it is not running."""
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False)

    def is_running(self) -> bool:
        """True when this cluster's server answers."""
        try:
            with psycopg.connect(self._dsn("postgres"), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        with psycopg.connect(self._dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{_identifier(name)}"')  # name is ours, checked
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting its sessions."""
        with psycopg.connect(self._dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{_identifier(name)}" WITH (FORCE)')

    def _dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self._dsn("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:
            runuser = shutil.which("runuser", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
            command = [runuser or "runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {result.stderr.strip() or result.stdout}"
            )

    @staticmethod
    def _give_to_postgres_user(directory: Path) -> None:
        if os.geteuid() != 0:
            return
        entry = pwd.getpwnam("postgres")
        os.chown(directory, entry.pw_uid, entry.pw_gid)


def _identifier(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"database name must be alphanumeric or '_': {name!r}")
    return name
