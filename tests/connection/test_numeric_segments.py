"""All-digit path segments through the Connection API, on both stores: a position in an array in
filters and sorts, a field name in projections (as in MongoDB)."""

from __future__ import annotations

import urllib.parse
from typing import Any

import orjson
from falcon import testing

from tests.http.conftest import Api

PATH = "/api/connection/statement"
PARENT = "statement.context.contextActivities.parent"
P1 = "http://www.example.org/parent/1"
P2 = "http://www.example.org/parent/2"


def page(api: Api, **params: Any) -> testing.Result:
    query = {key: orjson.dumps(value).decode() for key, value in params.items()}
    return api.client.simulate_get(
        PATH, headers=api.auth, query_string=urllib.parse.urlencode(query)
    )


def statement(n: int, parents: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "actor": {"mbox": f"mailto:test{n}@example.org"},
        "verb": {"id": "http://www.example.org/verb"},
        "object": {"id": "http://www.example.org/activity"},
    }
    if parents is not None:
        body["context"] = {"contextActivities": {"parent": [{"id": p} for p in parents]}}
    return body


def ids(result: testing.Result) -> list[str]:
    assert result.status_code == 200, result.text
    return [edge["node"]["statement"]["id"] for edge in result.json["edges"]]


def test_filter_and_sort_on_a_parent_by_position(api: Api) -> None:
    first, second, without = api.post_statements(
        [statement(1, [P1, P2]), statement(2, [P2, P1]), statement(3)]
    )
    assert ids(page(api, filter={f"{PARENT}.0.id": P1})) == [first]
    assert ids(page(api, filter={f"{PARENT}.1.id": P1})) == [second]
    # without a position, both statements have the parent P1 somewhere
    assert sorted(ids(page(api, filter={f"{PARENT}.id": P1}))) == sorted([first, second])
    assert ids(page(api, filter={f"{PARENT}.2.id": {"$exists": True}})) == []
    assert ids(page(api, filter={f"{PARENT}.0.id": {"$exists": False}})) == [without]
    assert sorted(ids(page(api, filter={f"{PARENT}.0.id": {"$ne": P1}}))) == sorted(
        [second, without]
    )
    assert ids(page(api, filter={f"{PARENT}.0": {"$size": 1}})) == []
    # missing sorts first, then P1 < P2 at position 0
    assert ids(page(api, sort={f"{PARENT}.0.id": 1})) == [without, first, second]
    assert ids(page(api, sort={f"{PARENT}.0.id": -1})) == [second, first, without]
    # "01" is never a position
    assert ids(page(api, filter={f"{PARENT}.01.id": P1})) == []
    # statement.verb.id is a typed text column on PostgreSQL: a string has no position
    every = sorted([first, second, without])
    assert sorted(ids(page(api, filter={"statement.verb.id.0": None}))) == every
    assert ids(page(api, filter={"statement.verb.id.0": {"$exists": True}})) == []
    assert ids(page(api, filter={"timestamp.0": {"$exists": True}})) == []


def test_project_by_position_keeps_a_field_name(api: Api) -> None:
    api.post_statements([statement(1, [P1, P2])])
    result = page(api, project={f"{PARENT}.0": 1, "_id": 0})
    assert result.status_code == 200, result.text
    [edge] = result.json["edges"]
    # MongoDB's find projection selects no element by position: the activities have no "0"
    assert edge["node"] == {"statement": {"context": {"contextActivities": {"parent": [{}, {}]}}}}
