"""One server, two xAPI versions: the ``X-Experience-API-Version`` of each request picks 1.0.3's
or 2.0.0's rules, on both stores."""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Any

import orjson
import pytest
from falcon import testing

from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.store.base import Store
from lrs.tenancy.service import bootstrap
from tests.http.conftest import Api, basic_auth

V1, V2 = "1.0.3", "2.0.0"
ANN = {"objectType": "Agent", "mbox": "mailto:ann@example.com"}
COACH = {"objectType": "Agent", "mbox": "mailto:coach@example.com"}
TEAM = {
    "objectType": "Group",
    "mbox": "mailto:team@example.com",
    "member": [{"objectType": "Agent", "mbox": "mailto:bea@example.com"}],
}
ROLE = "https://example.com/xapi/roles/coach"
CONTEXT_PEOPLE = {
    "contextAgents": [{"objectType": "contextAgent", "agent": COACH, "relevantTypes": [ROLE]}],
    "contextGroups": [{"objectType": "contextGroup", "group": TEAM}],
}


def _statement(**extra: Any) -> dict[str, Any]:
    return {
        "actor": ANN,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": "http://example.com/activities/match"},
        **extra,
    }


def _headers(api: Api, version: str, **extra: str) -> dict[str, str]:
    return {**api.auth, "X-Experience-API-Version": version, **extra}


def _post(api: Api, version: str, body: Any) -> testing.Result:
    return api.client.simulate_post(
        "/data/xAPI/statements",
        headers=_headers(api, version, **{"Content-Type": "application/json"}),
        body=orjson.dumps(body),
    )


def _get(api: Api, version: str, **params: str) -> testing.Result:
    return api.client.simulate_get(
        "/data/xAPI/statements", params=params, headers=_headers(api, version)
    )


@pytest.mark.parametrize(("asked", "in_force"), [("1.0", V1), ("1.0.1", V1), ("2.0", V2)])
def test_every_response_echoes_the_version_in_force(api: Api, asked: str, in_force: str) -> None:
    ok = _get(api, asked)
    assert ok.status_code == 200
    assert ok.headers["X-Experience-API-Version"] == in_force
    refused = _post(api, asked, {"not": "a statement"})
    assert refused.status_code == 400
    assert refused.headers["X-Experience-API-Version"] == in_force


def test_context_agents_and_groups_are_2_0_only(api: Api) -> None:
    statement = _statement(context=CONTEXT_PEOPLE)
    refused = _post(api, V1, statement)
    assert refused.status_code == 400
    assert refused.json["message"].startswith("context.contextAgents: is an xAPI 2.0.0 property")
    accepted = _post(api, V2, statement)
    assert accepted.status_code == 200, accepted.text
    [statement_id] = accepted.json
    stored = _get(api, V2, statementId=statement_id).json
    assert stored["context"] == CONTEXT_PEOPLE


@pytest.mark.parametrize(
    ("context", "path"),
    [
        ({"contextAgents": {"objectType": "contextAgent", "agent": COACH}}, "contextAgents"),
        (
            {"contextAgents": [{"objectType": "Agent", "agent": COACH}]},
            "contextAgents[0].objectType",
        ),
        ({"contextAgents": [{"objectType": "contextAgent"}]}, "contextAgents[0].agent"),
        ({"contextAgents": [{"objectType": "contextAgent", "agent": {"key": 1}}]}, "agent"),
        ({"contextAgents": [{"objectType": "contextAgent", "agent": TEAM}]}, "agent.objectType"),
        (
            {
                "contextAgents": [
                    {"objectType": "contextAgent", "agent": COACH, "relevantTypes": []}
                ]
            },
            "contextAgents[0].relevantTypes",
        ),
        (
            {
                "contextAgents": [
                    {"objectType": "contextAgent", "agent": COACH, "relevantTypes": ["abc"]}
                ]
            },
            "contextAgents[0].relevantTypes[0]",
        ),
        (
            {"contextAgents": [{"objectType": "contextAgent", "agent": COACH, "role": "x"}]},
            "contextAgents[0]",
        ),
        ({"contextGroups": [{"objectType": "contextGroup", "group": COACH}]}, "group.objectType"),
        ({"contextGroups": [{"objectType": "contextAgent", "group": TEAM}]}, "objectType"),
        (
            {"contextGroups": [{"objectType": "contextGroup", "group": TEAM, "member": []}]},
            "contextGroups[0]",
        ),
    ],
)
def test_malformed_context_people_are_refused_naming_the_field(
    api: Api, context: dict[str, Any], path: str
) -> None:
    for body in (
        _statement(context=context),
        _statement(
            object={
                "objectType": "SubStatement",
                "actor": ANN,
                "verb": {"id": "http://example.com/verbs/planned"},
                "object": {"id": "http://example.com/activities/match"},
                "context": context,
            }
        ),
    ):
        response = _post(api, V2, body)
        assert response.status_code == 400, body
        assert path in response.json["message"].split(":")[0]
    assert _get(api, V2).json["statements"] == []


def test_context_people_are_related_agents_to_readers_of_both_versions(api: Api) -> None:
    sub = {
        "objectType": "SubStatement",
        "actor": ANN,
        "verb": {"id": "http://example.com/verbs/planned"},
        "object": {"id": "http://example.com/activities/match"},
        "context": {"contextAgents": [{"objectType": "contextAgent", "agent": COACH}]},
    }
    direct, nested = _post(
        api, V2, [_statement(context=CONTEXT_PEOPLE), _statement(object=sub)]
    ).json
    for version in (V1, V2):
        for agent, expected in (
            (COACH, {direct, nested}),
            (TEAM, {direct}),
            ({"mbox": "mailto:bea@example.com"}, {direct}),
        ):
            found = _get(api, version, agent=orjson.dumps(agent).decode(), related_agents="true")
            assert {s["id"] for s in found.json["statements"]} == expected
            narrow = _get(api, version, agent=orjson.dumps(agent).decode())
            assert narrow.json["statements"] == []


def test_context_people_are_in_the_connection_apis_related_agents(api: Api) -> None:
    [statement_id] = _post(api, V2, [_statement(context=CONTEXT_PEOPLE)]).json
    _post(api, V2, [_statement()])
    query = urllib.parse.urlencode(
        {"filter": orjson.dumps({"relatedAgents": "mailto:coach@example.com"}).decode()}
    )
    page = api.client.simulate_get(
        "/api/connection/statement", headers=api.auth, query_string=query
    )
    assert page.status_code == 200, page.text
    edges = page.json["edges"]
    assert [edge["node"]["statement"]["id"] for edge in edges] == [statement_id]
    assert "mailto:team@example.com" in edges[0]["node"]["relatedAgents"]


def test_ids_format_reduces_context_people_to_their_identifiers(api: Api) -> None:
    named = {**COACH, "name": "Coach Carter"}
    context = {"contextAgents": [{"objectType": "contextAgent", "agent": named}]}
    [statement_id] = _post(api, V2, [_statement(context=context)]).json
    ids = _get(api, V2, statementId=statement_id, format="ids").json
    assert ids["context"]["contextAgents"] == [{"objectType": "contextAgent", "agent": COACH}]


@pytest.mark.parametrize(
    ("version", "sent", "kept"),
    [
        (V1, None, "1.0.0"),
        (V2, None, "2.0.0"),
        (V1, "1.0", "1.0"),
        (V2, "1.0.3", "1.0.3"),
        (V2, "2.0.0", "2.0.0"),
        (V2, "2.0", "2.0"),
    ],
)
def test_a_statement_keeps_the_version_it_was_sent_with(
    api: Api, version: str, sent: str | None, kept: str
) -> None:
    body = _statement() if sent is None else _statement(version=sent)
    [statement_id] = _post(api, version, body).json
    for reader in (V1, V2):
        assert _get(api, reader, statementId=statement_id).json["version"] == kept


@pytest.mark.parametrize(
    ("version", "sent"), [(V1, "2.0.0"), (V1, "2.0"), (V2, "1.1.0"), (V2, "3.0")]
)
def test_a_statement_version_outside_the_version_in_force_is_refused(
    api: Api, version: str, sent: str
) -> None:
    response = _post(api, version, _statement(version=sent))
    assert response.status_code == 400
    assert response.json["message"].startswith("version: must be ")
    assert f"under xAPI {version}" in response.json["message"]


def test_a_1_0_3_reader_gets_a_2_0_statement_as_it_was_stored(api: Api) -> None:
    """Statements are immutable and keep their version: a 1.0.3 reader gets contextAgents and
    ``"version": "2.0.0"`` as stored (what the README promises), in every format."""
    [statement_id] = _post(api, V2, [_statement(context=CONTEXT_PEOPLE)]).json
    for fmt in ("exact", "canonical"):
        one = _get(api, V1, statementId=statement_id, format=fmt)
        assert one.headers["X-Experience-API-Version"] == V1
        assert one.json["version"] == "2.0.0"
        assert one.json["context"] == CONTEXT_PEOPLE
    listed = _get(api, V1).json["statements"]
    assert [s["id"] for s in listed] == [statement_id]
    assert listed[0]["context"] == CONTEXT_PEOPLE


def test_a_1_0_3_client_can_void_and_reference_a_2_0_statement(api: Api) -> None:
    [target] = _post(api, V2, [_statement(context=CONTEXT_PEOPLE)]).json
    voiding = _statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
        object={"objectType": "StatementRef", "id": target},
    )
    assert _post(api, V1, [voiding]).status_code == 200
    assert _get(api, V2, statementId=target).status_code == 404
    assert _get(api, V1, voidedStatementId=target).json["id"] == target


STATE = {
    "activityId": "http://example.com/activities/match",
    "agent": orjson.dumps(ANN).decode(),
    "stateId": "bookmark",
}


def _put_state(api: Api, version: str, body: bytes, **headers: str) -> testing.Result:
    return api.client.simulate_put(
        "/data/xAPI/activities/state",
        params=STATE,
        body=body,
        headers=_headers(api, version, **{"Content-Type": "application/json", **headers}),
    )


def _state(api: Api, version: str = V2) -> testing.Result:
    return api.client.simulate_get(
        "/data/xAPI/activities/state", params=STATE, headers=_headers(api, version)
    )


def test_2_0_state_puts_need_a_condition_to_replace(api: Api) -> None:
    assert _put_state(api, V2, b'{"page": 1}').status_code == 204  # creating needs none
    conflict = _put_state(api, V2, b'{"page": 2}')
    assert conflict.status_code == 409
    assert "If-Match" in conflict.json["message"]
    wrong = _put_state(api, V2, b'{"page": 2}', **{"If-Match": '"1234"'})
    assert wrong.status_code == 412
    assert _state(api).json == {"page": 1}
    etag = _state(api).headers["ETag"]
    assert _put_state(api, V2, b'{"page": 2}', **{"If-Match": etag}).status_code == 204
    assert _state(api).json == {"page": 2}
    assert _put_state(api, V2, b"{}", **{"If-None-Match": "*"}).status_code == 412


def test_1_0_3_state_puts_still_replace_without_a_condition(api: Api) -> None:
    assert _put_state(api, V1, b'{"page": 1}').status_code == 204
    assert _put_state(api, V1, b'{"page": 2}').status_code == 204
    assert _state(api, V1).json == {"page": 2}


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_state_writes_with_a_wrong_if_match_change_nothing(api: Api, method: str) -> None:
    assert _put_state(api, V2, b'{"page": 1}').status_code == 204
    for version in (V1, V2):
        response = api.client.simulate_request(
            method,
            "/data/xAPI/activities/state",
            params=STATE,
            body=b'{"more": true}' if method == "POST" else b"",
            headers=_headers(
                api, version, **{"Content-Type": "application/json", "If-Match": '"1234"'}
            ),
        )
        assert response.status_code == 412
    assert _state(api).json == {"page": 1}


def _alternate(api: Api, form: dict[str, str]) -> testing.Result:
    statement_id = str(uuid.uuid4())
    return api.client.simulate_post(
        "/data/xAPI/statements",
        params={"method": "PUT"},
        body=urllib.parse.urlencode(
            {
                "statementId": statement_id,
                "content": orjson.dumps(_statement()).decode(),
                "Content-Type": "application/json",
                "Authorization": api.auth["Authorization"],
                **form,
            }
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def test_the_alternate_request_syntax_is_served_under_1_0_3_only(api: Api) -> None:
    assert _alternate(api, {"X-Experience-API-Version": V1}).status_code == 204
    refused = _alternate(api, {"X-Experience-API-Version": V2})
    assert refused.status_code == 400
    assert refused.json["message"].startswith("method: xAPI 2.0.0 has no alternate")
    assert refused.headers["X-Experience-API-Version"] == V2
    assert len(_get(api, V2).json["statements"]) == 1


@pytest.mark.parametrize("default", [V1, V2])
def test_requests_naming_no_version_are_answered_under_the_default(
    store: Store, default: str
) -> None:
    """``LRS_XAPI_DEFAULT_VERSION`` names the version of responses to requests that named none:
    ``/about`` and the 400 for a missing header."""
    bootstrap(store, key="k", secret="s")
    client = testing.TestClient(create_app(Settings(xapi_default_version=default), store))
    assert client.simulate_get("/data/xAPI/about").headers["X-Experience-API-Version"] == default
    missing = client.simulate_get("/data/xAPI/statements", headers=basic_auth("k", "s"))
    assert missing.status_code == 400
    assert missing.headers["X-Experience-API-Version"] == default
    named = client.simulate_get(
        "/data/xAPI/statements", headers={**basic_auth("k", "s"), "X-Experience-API-Version": "1.0"}
    )
    assert named.headers["X-Experience-API-Version"] == V1
