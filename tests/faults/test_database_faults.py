"""PostgreSQL crashes and a gunicorn worker killed, under a write load on real ``lrs serve``:
bounded JSON 503s with ``Retry-After`` during the outage, service again after it without a
restart, and every acknowledged statement kept."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import orjson
import pytest

from tests.faults.conftest import (
    ANSWER_WITHIN,
    Answer,
    CrashableCluster,
    Server,
    WriteLoad,
    batch,
    request,
)

pytestmark = [pytest.mark.postgres, pytest.mark.server]
LOAD_THREADS = 4


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def successes_since(load: WriteLoad, instant: float) -> int:
    return sum(1 for a in load.snapshot() if a.started > instant and a.status == 200)


def missing_acknowledged(cluster: CrashableCluster, database: str, ids: list[str]) -> int:
    rows = cluster.sql(
        database,
        "SELECT count(DISTINCT statement_id) FROM statements WHERE statement_id::text = ANY(%s)",
        (ids,),
    )
    return len(set(ids)) - int(rows[0][0])  # type: ignore[call-overload]


def counts_agree(cluster: CrashableCluster, database: str) -> tuple[object, object]:
    """The store's ``statementCount`` and the number of statement rows."""
    rows = cluster.sql(
        database,
        "SELECT (SELECT (doc->>'statementCount')::bigint FROM models WHERE model = 'lrs'), "
        "(SELECT count(*) FROM statements)",
    )
    return rows[0][0], rows[0][1]


def replaced(server: Server, killed: int) -> bool:
    """gunicorn runs two workers again, none of them ``killed``."""
    now = server.worker_pids()
    return len(now) == 2 and killed not in now


def assert_serves(server: Server, times: int = 6) -> None:
    """Several sequential writes, each answered 200 (both workers are reached)."""
    for _ in range(times):
        _, body = batch(2)
        answer = request(server, "POST", "/data/xAPI/statements", body)
        assert answer.status == 200, (answer.status, answer.body, answer.error)


def describe(answers: list[Answer]) -> str:
    return repr([(a.status, round(a.seconds, 2), a.body[:120], a.error) for a in answers][:20])


def test_postgres_crash_gives_bounded_json_503s_then_service_resumes_losing_nothing(
    crashable: tuple[CrashableCluster, str], lrs_server: Server
) -> None:
    cluster, database = crashable
    workers = lrs_server.worker_pids()
    with WriteLoad(lrs_server, threads=LOAD_THREADS) as load:
        wait_for(lambda: successes_since(load, 0) >= 10, 20, "writes before the crash")
        cluster.crash()
        crashed = time.monotonic()
        # A worker replaced during the outage must boot without the database: gunicorn stops
        # the whole server when a worker fails to boot.
        os.kill(workers[0], signal.SIGKILL)
        wait_for(lambda: replaced(lrs_server, workers[0]), 10, "the killed worker replaced")
        wait_for(
            lambda: "start-up checks skipped" in lrs_server.log_path.read_text(),
            ANSWER_WITHIN,
            "the new worker to boot without the database",
        )
        time.sleep(max(0.0, 2 - (time.monotonic() - crashed)))
        assert lrs_server.process.poll() is None, lrs_server.log_path.read_text()[-3000:]
        cluster.start()
        restarted = time.monotonic()
        wait_for(lambda: successes_since(load, restarted) >= 20, 30, "writes after the restart")
    answers = load.snapshot()
    during = [a for a in answers if crashed < a.started < restarted]
    refused = [a for a in answers if a.status == 503]
    assert during and refused, "the load saw no outage: " + describe(answers)
    # The requests in flight on the killed worker have no answer (the connection drops).
    unexpected = [a for a in answers if a.status not in (0, 200, 503)]
    assert not unexpected, describe(unexpected)
    assert sum(1 for a in answers if a.status == 0) <= LOAD_THREADS, describe(answers)
    for answer in refused:
        assert answer.headers.get("content-type", "").startswith("application/json")
        assert orjson.loads(answer.body)["message"]
        assert int(answer.headers["retry-after"]) > 0
    slow = [a for a in answers if a.seconds > ANSWER_WITHIN]
    assert not slow, describe(slow)
    assert_serves(lrs_server)
    assert missing_acknowledged(cluster, database, load.acknowledged) == 0
    statement_count, rows = counts_agree(cluster, database)
    assert statement_count == rows


def test_a_worker_killed_mid_request_loses_nothing_acknowledged(
    crashable: tuple[CrashableCluster, str], lrs_server: Server
) -> None:
    cluster, database = crashable
    workers = lrs_server.worker_pids()
    assert len(workers) == 2, workers
    with WriteLoad(lrs_server, threads=LOAD_THREADS) as load:
        wait_for(lambda: successes_since(load, 0) >= 10, 20, "writes before the kill")
        os.kill(workers[0], signal.SIGKILL)
        killed = time.monotonic()

        wait_for(lambda: replaced(lrs_server, workers[0]), 30, "the killed worker replaced")
        wait_for(lambda: successes_since(load, killed) >= 20, 30, "writes after the kill")
    answers = load.snapshot()
    # A request on the killed worker has no answer (the connection drops): never acknowledged.
    unexpected = [a for a in answers if a.status not in (0, 200)]
    assert not unexpected, describe(unexpected)
    assert sum(1 for a in answers if a.status == 0) <= LOAD_THREADS, describe(answers)
    assert lrs_server.process.poll() is None
    assert_serves(lrs_server)
    assert missing_acknowledged(cluster, database, load.acknowledged) == 0
    statement_count, rows = counts_agree(cluster, database)
    assert statement_count == rows
