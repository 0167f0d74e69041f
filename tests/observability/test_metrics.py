"""``/metrics``: requests by route family, method and status, latency, statements stored."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from lrs.core.settings import Settings
from lrs.http.observe import multiprocess
from lrs.http.observe.metrics import multiprocess_mode, route_family
from lrs.store.memory import MemoryStore
from tests.http.conftest import Api
from tests.observability.conftest import STATEMENT, XAPI, make_api
from tests.observability.metrics_support import sample

REQUESTS = "lrs_http_requests_total"
LATENCY_COUNT = "lrs_http_request_duration_seconds_count"
STORED = "lrs_statements_stored_total"


def scrape(api: Api) -> str:
    response = api.client.simulate_get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return response.text


@pytest.mark.parametrize(
    ("template", "family"),
    [
        ("/data/xAPI/statements", "xapi"),
        ("/data/xAPI/activities/state", "xapi"),
        ("/api/v2/{model}/{id}", "rest"),
        ("/api/organisation/{organisation}/downloadexport/{download}.csv", "rest"),
        ("/api/connection/{model}", "connection"),
        ("/api/auth/client/info", "auth"),
        ("/health", "health"),
        ("/ready", "health"),
        ("/metrics", "metrics"),
        ("/probe", "other"),
        (None, "unmatched"),
    ],
)
def test_route_families_come_from_the_route_template(template: str | None, family: str) -> None:
    assert route_family(template) == family


def test_tests_run_with_the_single_process_registry() -> None:
    # The gunicorn test covers multiprocess mode; here the app's own registry serves.
    assert not multiprocess_mode()


@pytest.mark.filterwarnings("ignore:Unknown REQUEST_METHOD")
def test_requests_are_counted_by_family_method_and_status(api: Api) -> None:
    for _ in range(3):
        api.client.simulate_get("/health")
    api.client.simulate_get("/data/xAPI/statements", headers={**api.auth, **XAPI})
    api.client.simulate_get("/data/xAPI/statements", headers=XAPI)  # 401
    api.client.simulate_get("/nowhere")
    api.client.simulate_request("BREW", "/health")  # unknown methods share one label
    text = scrape(api)
    assert sample(text, REQUESTS, family="health", method="GET", status="200") == 3
    assert sample(text, REQUESTS, family="xapi", method="GET", status="200") == 1
    assert sample(text, REQUESTS, family="xapi", method="GET", status="401") == 1
    assert sample(text, REQUESTS, family="unmatched", method="GET", status="404") == 1
    assert sample(text, REQUESTS, family="health", method="other", status="400") == 1
    assert sample(text, LATENCY_COUNT, family="health") == 4
    assert sample(text, LATENCY_COUNT, family="xapi") == 2
    # The scrape is counted once it has answered: the next one sees it.
    assert sample(scrape(api), REQUESTS, family="metrics", method="GET", status="200") == 1


def test_raw_paths_never_become_labels(api: Api) -> None:
    api.client.simulate_get("/api/v2/statement/0123456789abcdef01234567", headers=api.auth)
    api.client.simulate_get("/no/such/path/7f3a9c")
    text = scrape(api)
    assert "0123456789abcdef01234567" not in text
    assert "7f3a9c" not in text
    assert sample(text, REQUESTS, family="rest", method="GET", status="404") == 1


def test_statements_stored_are_counted(any_api: Api) -> None:
    any_api.post_statements([STATEMENT, STATEMENT, STATEMENT])
    put = any_api.client.simulate_put(
        "/data/xAPI/statements",
        params={"statementId": "6690d3c4-5b0b-4d5c-8c7b-2a1f0e4d9b11"},
        headers={**any_api.auth, **XAPI},
        body=orjson.dumps(STATEMENT),
        content_type="application/json",
    )
    assert put.status_code == 204, put.text
    refused = any_api.client.simulate_post(
        "/data/xAPI/statements",
        headers={**any_api.auth, **XAPI},
        body=orjson.dumps([STATEMENT, {"verb": "not a statement"}]),
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert sample(scrape(any_api), STORED) == 4
    again = any_api.client.simulate_put(
        "/data/xAPI/statements",
        params={"statementId": "6690d3c4-5b0b-4d5c-8c7b-2a1f0e4d9b11"},
        headers={**any_api.auth, **XAPI},
        body=orjson.dumps(STATEMENT),
        content_type="application/json",
    )
    assert again.status_code == 204, again.text
    assert sample(scrape(any_api), STORED) == 4  # accepted again, but not added


def test_metrics_can_be_turned_off() -> None:
    quiet = make_api(MemoryStore(), Settings(metrics=False))
    assert quiet.client.simulate_get("/health").status_code == 200
    assert quiet.client.simulate_get("/metrics").status_code == 404
    quiet.post_statements([STATEMENT])  # storing works without a counter to tell


def test_every_app_counts_from_zero() -> None:
    first, second = make_api(MemoryStore()), make_api(MemoryStore())
    first.client.simulate_get("/health")
    assert sample(scrape(second), REQUESTS, family="health", method="GET", status="200") == 0


def test_a_fresh_directory_is_made_when_none_is_configured() -> None:
    environ: dict[str, str] = {}
    directory, created = multiprocess.prepare_directory(environ)
    try:
        assert created
        assert environ[multiprocess.VARIABLE] == str(directory)
        assert directory.is_dir() and not any(directory.iterdir())
    finally:
        multiprocess.remove_directory(directory)
    assert not directory.exists()


def test_a_configured_directory_loses_only_old_value_files(tmp_path: Path) -> None:
    for name in ("counter_41.db", "histogram_41.db", "gauge_livesum_41.db", "notes.txt"):
        (tmp_path / name).write_bytes(b"old")
    environ = {multiprocess.VARIABLE: str(tmp_path)}
    directory, created = multiprocess.prepare_directory(environ)
    assert (directory, created) == (tmp_path, False)
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]
