"""What public xAPI client libraries really send (xapi.js, TinCanJS, TinCanPython, cmi5 players),
answered as those clients need, on both stores."""

from __future__ import annotations

import hashlib

import orjson

from tests.http.conftest import Api

ACTIVITY = "http://www.example.org/activity"
AGENT = '{"mbox":"mailto:learner@example.org"}'
REGISTRATIONS = ("6fd2a3b2-9bd1-4f35-a0a8-9a0f0a5a8c11", "0e9c5d1e-1d43-4c1b-9e2f-3b3f1f7f2a22")


def _headers(api: Api, **extra: str) -> dict[str, str]:
    return {**api.auth, "X-Experience-API-Version": "1.0.3", **extra}


def test_state_ids_without_a_registration_list_each_id_once(api: Api) -> None:
    """A player that stored ``bookmark`` under two registrations and ``plain`` under none, then
    lists the state ids of the activity and agent (no registration), gets each id once."""
    for registration, state_id in (
        (REGISTRATIONS[0], "bookmark"),
        (REGISTRATIONS[1], "bookmark"),
        (None, "plain"),
    ):
        params = {"activityId": ACTIVITY, "agent": AGENT, "stateId": state_id}
        if registration:
            params["registration"] = registration
        put = api.client.simulate_put(
            "/data/xAPI/activities/state",
            params=params,
            body=b'{"at": 1}',
            headers=_headers(api, **{"Content-Type": "application/json"}),
        )
        assert put.status_code == 204, put.text
    listed = api.client.simulate_get(
        "/data/xAPI/activities/state",
        params={"activityId": ACTIVITY, "agent": AGENT},
        headers=_headers(api),
    )
    assert listed.status_code == 200, listed.text
    assert orjson.loads(listed.content) == ["bookmark", "plain"]
    one = api.client.simulate_get(
        "/data/xAPI/activities/state",
        params={"activityId": ACTIVITY, "agent": AGENT, "registration": REGISTRATIONS[1]},
        headers=_headers(api),
    )
    assert orjson.loads(one.content) == ["bookmark"]


def _statement() -> bytes:
    return orjson.dumps(
        {
            "actor": {"mbox": "mailto:learner@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": ACTIVITY},
        }
    )


def test_cache_busters_are_ignored_and_other_unknown_parameters_refused(api: Api) -> None:
    """xapi.js with ``useCacheBuster`` adds ``cachebuster=<ms>`` to every GET (jQuery: ``_``);
    ``foo=bar`` is still a 400 naming it, as the conformance suite requires."""
    stored = api.client.simulate_post(
        "/data/xAPI/statements",
        body=_statement(),
        headers=_headers(api, **{"Content-Type": "application/json"}),
    )
    assert stored.status_code == 200, stored.text
    for query in (
        "verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fexperienced&cachebuster=1764674155123",
        "_=1764674155123",
    ):
        got = api.client.simulate_get(
            "/data/xAPI/statements", query_string=query, headers=_headers(api)
        )
        assert got.status_code == 200, got.text
        assert len(orjson.loads(got.content)["statements"]) == 1
    state = api.client.simulate_get(
        "/data/xAPI/activities/state",
        query_string=f"activityId={ACTIVITY}&agent={AGENT}&cachebuster=1764674155123",
        headers=_headers(api),
    )
    assert state.status_code == 200, state.text
    refused = api.client.simulate_get(
        "/data/xAPI/statements", query_string="foo=bar", headers=_headers(api)
    )
    assert refused.status_code == 400
    assert orjson.loads(refused.content)["message"].startswith("foo: unknown parameter")


def test_since_with_a_space_between_date_and_time(api: Api) -> None:
    """TinCanPython sends ``since=2026-12-02 11:15:55+00:00`` (URL-encoded: a ``+`` for the
    space, ``%2B`` for the plus), which RFC 3339 allows."""
    stored = api.client.simulate_post(
        "/data/xAPI/statements",
        body=_statement(),
        headers=_headers(api, **{"Content-Type": "application/json"}),
    )
    assert stored.status_code == 200, stored.text
    before = api.client.simulate_get(
        "/data/xAPI/statements",
        query_string="since=2000-01-01+00%3A00%3A00%2B00%3A00",
        headers=_headers(api),
    )
    assert before.status_code == 200, before.text
    assert len(orjson.loads(before.content)["statements"]) == 1
    after = api.client.simulate_get(
        "/data/xAPI/statements",
        query_string="until=2000-01-01+00%3A00%3A00.000%2B00%3A00",
        headers=_headers(api),
    )
    assert after.status_code == 200 and orjson.loads(after.content)["statements"] == []
    for ambiguous in ("2000-01-01++00%3A00%3A00Z", "2000-01-01%2000"):
        bad = api.client.simulate_get(
            "/data/xAPI/statements", query_string=f"since={ambiguous}", headers=_headers(api)
        )
        assert bad.status_code == 400, (ambiguous, bad.text)
        assert "since" in orjson.loads(bad.content)["message"]


def test_statements_with_attachments_come_with_an_unquoted_boundary(api: Api) -> None:
    """TinCanJS keeps the quotes of ``boundary="..."`` as part of the boundary and then finds
    no parts: a boundary of token characters goes bare."""
    content = b"attachment text"
    sha2 = hashlib.sha256(content).hexdigest()
    statement = {
        **orjson.loads(_statement()),
        "attachments": [
            {
                "usageType": "http://example.com/usage",
                "display": {"en-US": "text"},
                "contentType": "text/plain",
                "length": len(content),
                "sha2": sha2,
            }
        ],
    }
    body = (
        b"--abc\r\nContent-Type: application/json\r\n\r\n"
        + orjson.dumps(statement)
        + b"\r\n--abc\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
        + f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode()
        + content
        + b"\r\n--abc--\r\n"
    )
    stored = api.client.simulate_post(
        "/data/xAPI/statements",
        body=body,
        headers=_headers(api, **{"Content-Type": 'multipart/mixed; boundary="abc"'}),
    )
    assert stored.status_code == 200, stored.text
    got = api.client.simulate_get(
        "/data/xAPI/statements", query_string="attachments=true", headers=_headers(api)
    )
    assert got.status_code == 200, got.text
    content_type = got.headers["content-type"]
    assert content_type.startswith("multipart/mixed; boundary=") and '"' not in content_type
    boundary = content_type.split("boundary=", 1)[1].encode()
    assert got.content.startswith(b"--" + boundary + b"\r\n")
    assert got.content.endswith(b"--" + boundary + b"--\r\n")
    assert content in got.content


def test_python_spelled_booleans(api: Api) -> None:
    """TinCanPython sends ``related_activities=True``; other spellings stay a 400."""
    stored = api.client.simulate_post(
        "/data/xAPI/statements",
        body=_statement(),
        headers=_headers(api, **{"Content-Type": "application/json"}),
    )
    assert stored.status_code == 200, stored.text
    for value, found in (("True", 1), ("False", 1), ("true", 1)):
        got = api.client.simulate_get(
            "/data/xAPI/statements",
            query_string=f"activity={ACTIVITY}&related_activities={value}",
            headers=_headers(api),
        )
        assert got.status_code == 200, got.text
        assert len(orjson.loads(got.content)["statements"]) == found
    for value in ("TRUE", "yes", "1"):
        bad = api.client.simulate_get(
            "/data/xAPI/statements",
            query_string=f"related_activities={value}",
            headers=_headers(api),
        )
        assert bad.status_code == 400, (value, bad.text)
        assert "related_activities" in orjson.loads(bad.content)["message"]
