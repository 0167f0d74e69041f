"""Fixtures for the aggregation API: the app over each store, with a small statement set."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from falcon import testing

from tests.http.conftest import Api, api, settings  # noqa: F401 - fixtures

VERBS = {
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "attempted": "http://adlnet.gov/expapi/verbs/attempted",
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
}


def statement(
    n: int, who: str, verb: str, activity: str, timestamp: str, **extra: Any
) -> dict[str, Any]:
    """A statement with a fixed id."""
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "actor": {"mbox": f"mailto:{who}@example.com", "name": who.title()},
        "verb": {"id": VERBS[verb]},
        "object": {"id": f"http://example.com/activities/{activity}"},
        "timestamp": timestamp,
        **extra,
    }


def scored(scaled: float | None, raw: Any = None) -> dict[str, Any]:
    score: dict[str, Any] = {}
    if scaled is not None:
        score["scaled"] = scaled
    if raw is not None:
        score["raw"] = raw
    return {"result": {"score": score}}


STATEMENTS = [
    statement(1, "ann", "completed", "a", "2026-03-01T10:00:00Z", **scored(0.5, 5)),
    statement(2, "ann", "attempted", "a", "2026-03-01T23:30:00Z", **scored(1.0, 10)),
    statement(3, "bob", "completed", "b", "2026-03-02T09:00:00Z", **scored(0.25, 2.5)),
    statement(4, "bob", "experienced", "a", "2026-03-08T12:00:00Z"),
    statement(5, "cat", "completed", "a", "2026-04-15T08:15:00+02:00", **scored(None, 7)),
    statement(
        6,
        "cat",
        "attempted",
        "b",
        "2026-04-16T00:30:00Z",
        context={
            "contextActivities": {
                "parent": [{"id": "http://example.com/courses/1"}],
                "grouping": [{"id": "http://example.com/programmes/x"}],
            }
        },
    ),
]


@pytest.fixture
def loaded(api: Api) -> Api:  # noqa: F811 - the fixture above
    """The app with ``STATEMENTS`` stored through the xAPI."""
    api.post_statements(STATEMENTS)
    return api


def aggregate(app: Api, pipeline: Any, **params: Any) -> testing.Result:
    """GET /api/statements/aggregate with the pipeline as JSON."""
    query = {"pipeline": orjson.dumps(pipeline).decode(), **{k: str(v) for k, v in params.items()}}
    return app.client.simulate_get("/api/statements/aggregate", params=query, headers=app.auth)


def rows(app: Api, pipeline: Any, **params: Any) -> Any:
    """The answer of a pipeline that must succeed."""
    response = aggregate(app, pipeline, **params)
    assert response.status_code == 200, response.text
    return response.json
