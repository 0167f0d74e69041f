"""Fault fixtures: a PostgreSQL cluster of the test's own (it gets crashed), ``lrs serve`` (real
gunicorn, two workers) on it, and a write load of client threads that records every answer."""

from __future__ import annotations

import base64
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import psycopg
import pytest

from lrs.ops.migrate import upgrade_to_head
from lrs.ops.throwaway_postgres import PostgresNotFound, ThrowawayPostgres, free_port
from tests.pg import IN_CI
from tests.soak.memory import children

LRS = str(Path(sys.executable).with_name("lrs"))
KEY, SECRET = "fault-key", "fault-secret"
#: No request may take longer than this, outage or not.
ANSWER_WITHIN = 15.0


class CrashableCluster(ThrowawayPostgres):
    """A throwaway cluster the test may kill (``pg_ctl stop -m immediate``) and start again."""

    def crash(self) -> None:
        """Stop the server abruptly: no checkpoint, every backend killed, as in a crash."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")

    def sql(self, database: str, query: str, params: object = None) -> list[tuple[object, ...]]:
        """Run one query as the superuser (autocommit) and return its rows."""
        with psycopg.connect(self._dsn(database), autocommit=True) as conn:
            cursor = conn.execute(query, params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []


@pytest.fixture
def crashable() -> Iterator[tuple[CrashableCluster, str]]:
    """A started cluster of this test's own and the name of a migrated database on it.

    Commits are synchronous on that database (the shared test clusters run with
    ``synchronous_commit=off``, which may lose the last acknowledged commits in a crash).
    """
    directory = Path(tempfile.mkdtemp(prefix="lrs-fault-pg-"))
    try:
        cluster = CrashableCluster(directory)
    except PostgresNotFound as error:
        # LRS_TEST_DATABASE_URL does not help: these tests crash a server, so it is their own.
        reason = f"the fault tests start (and crash) a cluster of their own: {error}"
        if IN_CI:
            pytest.fail("CI=true but " + reason)
        pytest.skip(reason)
    cluster.start()
    try:
        url = cluster.create_database("lrs_fault")
        cluster.sql("postgres", "ALTER DATABASE lrs_fault SET synchronous_commit = on")
        upgrade_to_head(url)
        yield cluster, "lrs_fault"
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Server:
    """A running ``lrs serve``: its gunicorn master's pid and address."""

    process: subprocess.Popen[bytes]
    host: str
    port: int
    log_path: Path

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's child processes."""
        return children(self.process.pid)


@pytest.fixture
def lrs_server(crashable: tuple[CrashableCluster, str], tmp_path: Path) -> Iterator[Server]:
    """``lrs serve`` with two workers on the crashable cluster, answering."""
    cluster, database = crashable
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LRS_")}
    env.update(
        LRS_HOST="127.0.0.1",
        LRS_PORT=str(port),
        LRS_WORKERS="2",
        LRS_THREADS="4",
        LRS_DATABASE_URL=cluster.url(database),
        LRS_BOOTSTRAP_KEY=KEY,
        LRS_BOOTSTRAP_SECRET=SECRET,
        LRS_ACCESS_LOG="off",
    )
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([LRS, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, "127.0.0.1", port, log_path)
    try:
        deadline = time.monotonic() + 30
        while request(server, "GET", "/data/xAPI/about").status != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"lrs serve did not answer:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class Answer:
    """One request's outcome (``status`` 0: no HTTP answer, ``error`` says why)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""
    started: float = 0.0  # time.monotonic() when the request was sent


def request(server: Server, method: str, path: str, body: bytes | None = None) -> Answer:
    """One request on a fresh connection, as the bootstrap client."""
    token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    headers = {
        "Authorization": f"Basic {token}",
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    started = time.monotonic()
    conn = http.client.HTTPConnection(server.host, server.port, timeout=ANSWER_WITHIN + 15)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return Answer(
            response.status,
            data,
            {k.lower(): v for k, v in response.getheaders()},
            time.monotonic() - started,
            started=started,
        )
    except OSError as error:
        return Answer(0, seconds=time.monotonic() - started, error=repr(error), started=started)
    finally:
        conn.close()


def batch(size: int) -> tuple[list[str], bytes]:
    """``size`` statements with client-chosen ids, and the JSON body posting them."""
    ids = [str(uuid.uuid4()) for _ in range(size)]
    statements = [
        {
            "id": statement_id,
            "actor": {"mbox": "mailto:load@example.com", "objectType": "Agent"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": f"http://example.com/activities/{statement_id[:2]}"},
        }
        for statement_id in ids
    ]
    return ids, orjson.dumps(statements)


class WriteLoad:
    """Client threads POSTing batches of statements until stopped; every answer is kept, and
    the ids of every batch answered 200 (acknowledged)."""

    def __init__(self, server: Server, threads: int = 4, batch_size: int = 5) -> None:
        self.server = server
        self.batch_size = batch_size
        self.answers: list[Answer] = []
        self.acknowledged: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def __enter__(self) -> WriteLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(ANSWER_WITHIN + 30)
            assert not thread.is_alive(), "a load thread hung"

    def _run(self) -> None:
        while not self._stop.is_set():
            ids, body = batch(self.batch_size)
            answer = request(self.server, "POST", "/data/xAPI/statements", body)
            with self._lock:
                self.answers.append(answer)
                if answer.status == 200:
                    self.acknowledged.extend(ids)
            if answer.status != 200:
                time.sleep(0.05)  # a failing server is not hammered in a tight loop

    def answered(self) -> int:
        """How many answers so far."""
        with self._lock:
            return len(self.answers)

    def snapshot(self) -> list[Answer]:
        """The answers so far."""
        with self._lock:
            return list(self.answers)
