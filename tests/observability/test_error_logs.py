"""Error log lines carry the errorId and the request id; a 500's body still carries no trace."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import falcon
import pytest

from lrs.core.errors import NotFound
from tests.http.conftest import Api

Lines = Callable[[], list[dict[str, Any]]]


class Exploding:
    auth_exempt = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise RuntimeError("connection string postgresql://admin:hunter2@db")


class Missing:
    auth_exempt = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise NotFound("no such thing")


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "lrs.errors"]


def test_an_unexpected_error_is_logged_with_its_error_id_and_request_id(
    api: Api, caplog: pytest.LogCaptureFixture, access_lines: Lines
) -> None:
    api.app.add_route("/explode", Exploding())
    with caplog.at_level(logging.INFO, logger="lrs.errors"):
        response = api.client.simulate_get("/explode", headers={"X-Request-Id": "trace-500"})
    assert response.status_code == 500
    assert set(response.json) == {"errorId", "message"}
    assert "hunter2" not in response.text and "Traceback" not in response.text
    error_id = response.json["errorId"]

    [record] = errors_logged(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None  # the trace goes to the log
    assert record.error_id == error_id  # type: ignore[attr-defined]
    assert record.request_id == "trace-500"  # type: ignore[attr-defined]
    assert f"errorId={error_id}" in record.getMessage()
    assert "requestId=trace-500" in record.getMessage()
    # The access line ties the two together as well.
    [line] = access_lines()
    assert (line["status"], line["request_id"], line["error_id"]) == (500, "trace-500", error_id)


def test_a_generated_request_id_is_the_one_logged(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    api.app.add_route("/explode", Exploding())
    with caplog.at_level(logging.INFO, logger="lrs.errors"):
        response = api.client.simulate_get("/explode", headers={"X-Request-Id": "not sane"})
    [record] = errors_logged(caplog)
    assert record.request_id == response.headers["X-Request-Id"] != "not sane"  # type: ignore[attr-defined]


def test_domain_errors_are_logged_with_both_ids(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    api.app.add_route("/missing", Missing())
    with caplog.at_level(logging.INFO, logger="lrs.errors"):
        response = api.client.simulate_get("/missing", headers={"X-Request-Id": "trace-404"})
    assert response.status_code == 404
    [record] = errors_logged(caplog)
    assert record.error_id == response.json["errorId"]  # type: ignore[attr-defined]
    assert record.request_id == "trace-404"  # type: ignore[attr-defined]
    assert "requestId=trace-404" in record.getMessage()
