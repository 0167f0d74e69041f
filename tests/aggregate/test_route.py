"""The aggregation route on both stores: scope, parameters, POST, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from tests.aggregate.conftest import STATEMENTS, aggregate, rows
from tests.http.conftest import Api


def test_count_by_verb(loaded: Api) -> None:
    answer = rows(
        loaded,
        [
            {"$group": {"_id": "$statement.verb.id", "count": {"$sum": 1}}},
            {"$sort": {"count": -1, "_id": 1}},
        ],
    )
    assert answer == [
        {"_id": "http://adlnet.gov/expapi/verbs/completed", "count": 3},
        {"_id": "http://adlnet.gov/expapi/verbs/attempted", "count": 2},
        {"_id": "http://adlnet.gov/expapi/verbs/experienced", "count": 1},
    ]


def test_skip_and_limit_apply_after_the_pipeline(loaded: Api) -> None:
    pipeline = [{"$sort": {"statement.id": 1}}, {"$project": {"_id": 0, "id": "$statement.id"}}]
    everything = rows(loaded, pipeline)
    assert [row["id"] for row in everything] == [s["id"] for s in STATEMENTS]
    assert rows(loaded, pipeline, skip=2, limit=2) == everything[2:4]
    assert rows(loaded, pipeline, skip=-1, limit=-1) == everything


def test_post_takes_the_pipeline_in_a_body(loaded: Api) -> None:
    response = loaded.client.simulate_post(
        "/api/statements/aggregate",
        headers={**loaded.auth, "Content-Type": "application/json"},
        body=orjson.dumps({"pipeline": [{"$count": "n"}], "limit": 5}),
    )
    assert response.status_code == 200, response.text
    assert response.json == [{"n": 6}]


def test_refused_stages_and_operators_are_named(loaded: Api) -> None:
    for pipeline, named in (
        ([{"$out": "x"}], "pipeline[0].$out: $out is not supported"),
        ([{"$match": {}}, {"$lookup": {"from": "personas"}}], "pipeline[1].$lookup"),
        ([{"$match": {"$expr": {"$eq": [1, 1]}}}], "$expr"),
        ([{"$group": {"_id": None, "x": {"$accumulator": {}}}}], "$accumulator"),
        ([{"$project": {"x": {"$function": {}}}}], "$function"),
        ([{"$bucket": {}}], "$bucket is not a supported stage"),
        ([{"$project": {"x": {"$dateFromString": {}}}}], "$dateFromString"),
    ):
        response = aggregate(loaded, pipeline)
        assert response.status_code == 400, pipeline
        assert named in response.json["message"], response.json["message"]


def test_bad_parameters_are_400s(loaded: Api) -> None:
    missing = loaded.client.simulate_get("/api/statements/aggregate", headers=loaded.auth)
    assert missing.status_code == 400
    assert missing.json["message"].startswith("pipeline:")
    not_json = loaded.client.simulate_get(
        "/api/statements/aggregate", params={"pipeline": "[{"}, headers=loaded.auth
    )
    assert not_json.status_code == 400
    assert aggregate(loaded, {"$match": {}}).status_code == 400
    assert aggregate(loaded, [], limit="ten").json["message"].startswith("limit:")
    assert aggregate(loaded, [], foo=1).status_code == 400


def test_runtime_type_errors_are_400s_naming_the_operator(loaded: Api) -> None:
    response = aggregate(loaded, [{"$project": {"x": {"$add": ["$statement.verb.id", 1]}}}])
    assert response.status_code == 400
    assert response.json["message"].startswith("$add:")
    date = aggregate(loaded, [{"$project": {"y": {"$year": "$statement.timestamp"}}}])
    assert date.status_code == 400
    assert "statement.timestamp is a string" in date.json["message"]


def test_credentials_are_required(loaded: Api) -> None:
    response = loaded.client.simulate_get("/api/statements/aggregate", params={"pipeline": "[]"})
    assert response.status_code == 401


def test_aggregate_async_answers_at_once_in_learning_lockers_shape(loaded: Api) -> None:
    pipeline = orjson.dumps([{"$count": "n"}]).decode()
    response = loaded.client.simulate_get(
        "/api/statements/aggregateAsync", params={"pipeline": pipeline}, headers=loaded.auth
    )
    assert response.status_code == 200, response.text
    body = response.json
    assert body["result"] == [{"n": len(STATEMENTS)}]
    status = body["status"]
    assert status["isRunning"] is False
    started = datetime.fromisoformat(status["startedAt"])
    completed = datetime.fromisoformat(status["completedAt"])
    assert status["completedAt"][10] == " " and status["completedAt"].endswith("+00:00")
    assert started <= completed <= datetime.now(UTC)

    def since(at: str) -> Any:
        params = {"pipeline": pipeline, "sinceAt": at}
        answer = loaded.client.simulate_get(
            "/api/statements/aggregateAsync", params=params, headers=loaded.auth
        )
        assert answer.status_code == 200, answer.text
        return answer.json

    assert since("2020-01-01T00:00:00Z")["result"] == [{"n": len(STATEMENTS)}]
    later = since((datetime.now(UTC) + timedelta(hours=1)).isoformat())
    assert later["result"] is None and later["status"]["completedAt"] is None


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"pipeline": "[]", "sinceAt": "yesterday"}, "sinceAt"),
        ({}, "pipeline"),
        ({"pipeline": '[{"$out": "x"}]'}, "$out"),
        ({"pipeline": "[]", "since": "2020-01-01"}, "since"),
    ],
)
def test_aggregate_async_refuses_bad_input(loaded: Api, params: dict[str, str], named: str) -> None:
    response = loaded.client.simulate_get(
        "/api/statements/aggregateAsync", params=params, headers=loaded.auth
    )
    assert response.status_code == 400, response.text
    assert named in response.json["message"]
    post = loaded.client.simulate_post("/api/statements/aggregateAsync", headers=loaded.auth)
    assert post.status_code == 405
