"""Metrics under real gunicorn with several workers: whichever worker answers ``/metrics``, it
reports the totals of all of them, and a replaced worker's counts stay in the totals."""

from __future__ import annotations

import base64
import json
import os
import signal
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from lrs.ops.migrate import upgrade_to_head
from lrs.ops.throwaway_postgres import free_port
from tests.observability.conftest import STATEMENT
from tests.observability.metrics_support import sample
from tests.pg import PostgresServer
from tests.server.test_gunicorn import get, running_server, server_env

pytestmark = [pytest.mark.server, pytest.mark.postgres]

REQUESTS = "lrs_http_requests_total"
HEALTH = {"family": "health", "method": "GET", "status": "200"}
KEY, SECRET = "obs-key", "obs-secret"


def health_counts_by_worker(directory: Path) -> dict[int, float]:
    """Each worker's own count of ``GET /health`` 200s, read from its value file."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.removeprefix("counter_"))
        text_samples = [
            s
            for metric in MultiProcessCollector.merge([str(path)])
            for s in metric.samples
            if s.name == REQUESTS and s.labels == HEALTH
        ]
        counts[pid] = sum(s.value for s in text_samples)
    return counts


def scrape(base: str) -> str:
    status, body, headers = get(f"{base}/metrics")
    assert status == 200
    assert headers["X-Request-Id"]
    return body.decode()


def post_statements(base: str, count: int) -> None:
    token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    request = urllib.request.Request(
        f"{base}/data/xAPI/statements",
        data=orjson.dumps([STATEMENT] * count),
        headers={
            "Authorization": f"Basic {token}",
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def send_health(base: str, count: int) -> int:
    """``count`` GET /health, 8 at a time, each on its own connection (urllib closes it)."""
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: get(f"{base}/health")[0], range(count)))
    assert statuses == [200] * count
    return count


def test_metrics_add_up_across_workers_and_survive_a_replaced_worker(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    url = pg_server.create_database()
    upgrade_to_head(url)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = server_env(
        free_port(),
        LRS_DATABASE_URL=url,
        LRS_WORKERS="2",
        LRS_BOOTSTRAP_KEY=KEY,
        LRS_BOOTSTRAP_SECRET=SECRET,
        TMPDIR=str(temp),  # where gunicorn_conf makes the metrics directory
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "serve.log"
    with running_server(env, log) as base:
        [directory] = temp.glob("lrs-metrics-*")
        sent = 0
        for _ in range(20):  # until both workers have answered some
            sent += send_health(base, 16)
            if len([n for n in health_counts_by_worker(directory).values() if n]) >= 2:
                break
        else:
            pytest.fail(f"one worker answered every request: {health_counts_by_worker(directory)}")
        assert sum(health_counts_by_worker(directory).values()) == sent

        for _ in range(6):  # the scrapes land on either worker; each sees the total
            assert sample(scrape(base), REQUESTS, **HEALTH) == sent

        for _ in range(4):
            post_statements(base, 3)
        assert sample(scrape(base), "lrs_statements_stored_total") == 12

        victim = max(health_counts_by_worker(directory).items(), key=lambda item: item[1])[0]
        os.kill(victim, signal.SIGTERM)  # a worker of the gunicorn this test started
        deadline = time.monotonic() + 20
        while Path(f"/proc/{victim}").exists() or len(health_counts_by_worker(directory)) < 3:
            assert time.monotonic() < deadline, "gunicorn did not replace the worker"
            time.sleep(0.1)
        sent += send_health(base, 8)
        for _ in range(4):
            assert sample(scrape(base), REQUESTS, **HEALTH) == sent

    # One access line per request, from the application; gunicorn's own access log is off.
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert len([line for line in lines if line["path"] == "/health"]) == sent
    assert all(line["request_id"] for line in lines)
    assert '"GET /health HTTP/1.1"' not in log.read_text()
    assert not directory.exists()  # removed when gunicorn stopped
