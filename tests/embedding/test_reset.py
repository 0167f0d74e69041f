"""``RunningLrs.reset()`` on both stores: every kind of data goes, the credentials stay."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlencode

import orjson

from lrs.testing import RunningLrs, running_lrs
from lrs.xapi.attachments import AttachmentPart, build_multipart
from tests.embedding.support import basic, call, statement

ACTIVITY = "http://example.com/activities/reset"
AGENT = json.dumps({"objectType": "Agent", "mbox": "mailto:ada@example.com"})
STATE = "/data/xAPI/activities/state?" + urlencode(
    {"activityId": ACTIVITY, "agent": AGENT, "stateId": "bookmark"}
)
ACTIVITY_PROFILE = "/data/xAPI/activities/profile?" + urlencode(
    {"activityId": ACTIVITY, "profileId": "settings"}
)
AGENT_PROFILE = "/data/xAPI/agents/profile?" + urlencode({"agent": AGENT, "profileId": "prefs"})
DOCUMENTS = (STATE, ACTIVITY_PROFILE, AGENT_PROFILE)


def _post_statement_with_attachment(served: RunningLrs) -> tuple[str, str]:
    data = b"an attachment that must not survive a reset"
    sha2 = hashlib.sha256(data).hexdigest()
    body = statement(
        ACTIVITY,
        attachments=[
            {
                "usageType": "http://example.com/attachment-usage/test",
                "display": {"en-US": "a test attachment"},
                "contentType": "text/plain",
                "length": len(data),
                "sha2": sha2,
            }
        ],
    )
    body["object"]["definition"] = {"name": {"en-US": "Reset course"}}
    payload, content_type = build_multipart(
        orjson.dumps(body), [AttachmentPart(sha2=sha2, data=data, content_type="text/plain")]
    )
    reply = call(
        served,
        "POST",
        "/data/xAPI/statements",
        body=payload,
        headers={"Content-Type": content_type},
    )
    assert reply.status == 200, reply.body
    [statement_id] = reply.json()
    return statement_id, sha2


def _fill(served: RunningLrs) -> dict[str, str]:
    """One of everything; returns the ids the checks need."""
    statement_id, sha2 = _post_statement_with_attachment(served)
    for path in DOCUMENTS:
        reply = call(served, "PUT", path, json={"page": 3}, headers={"If-None-Match": "*"})
        assert reply.status == 204, (path, reply.body)
    persona = call(served, "POST", "/api/v2/persona", json={"name": "Ada"})
    assert persona.status == 201, persona.body
    query = call(served, "POST", "/api/v2/query", json={"name": "gone soon"})
    assert query.status == 201, query.body
    deleted_id = query.json()["_id"]
    assert call(served, "DELETE", f"/api/v2/query/{deleted_id}").status == 204
    other_store = call(served, "POST", "/api/v2/store", json={"title": "Another store"})
    assert other_store.status == 201, other_store.body
    renamed = call(
        served, "PATCH", f"/api/v2/client/{served.client_id}", json={"title": "Renamed client"}
    )
    assert renamed.status == 200, renamed.body
    return {"statement_id": statement_id, "sha2": sha2, "deleted_query_id": deleted_id}


def _count(served: RunningLrs, model: str) -> int:
    reply = call(served, "GET", f"/api/v2/{model}/count")
    assert reply.status == 200, reply.body
    return int(reply.json())


def test_reset_empties_statements_documents_and_models_and_keeps_the_credentials(
    served: RunningLrs,
) -> None:
    ids = _fill(served)
    assert served.store.get_attachments(served.lrs_id, [ids["sha2"]])
    assert served.store.get_activity_definitions(served.lrs_id, [ACTIVITY])
    assert _count(served, "persona") == 1
    assert _count(served, "store") == 2

    served.reset()

    listed = call(served, "GET", "/data/xAPI/statements")
    assert listed.status == 200, listed.body  # the same key and secret still work
    assert listed.json()["statements"] == []
    single = call(served, "GET", "/data/xAPI/statements?statementId=" + ids["statement_id"])
    assert single.status == 404
    assert served.store.get_attachments(served.lrs_id, [ids["sha2"]]) == {}
    assert served.store.get_activity_definitions(served.lrs_id, [ACTIVITY]) == {}
    for path in DOCUMENTS:
        assert call(served, "GET", path).status == 404, path
    state_ids = call(
        served,
        "GET",
        "/data/xAPI/activities/state?" + urlencode({"activityId": ACTIVITY, "agent": AGENT}),
    )
    assert state_ids.json() == []
    assert _count(served, "persona") == 0
    assert _count(served, "query") == 0
    [store] = call(served, "GET", "/api/v2/store").json()
    assert (store["_id"], store["title"], store["statementCount"]) == (
        served.lrs_id,
        "Default store",
        0,
    )
    [client] = call(served, "GET", "/api/v2/client").json()
    assert (client["_id"], client["title"]) == (served.client_id, "Default client")
    assert client["scopes"] == ["all"]
    assert [o["_id"] for o in call(served, "GET", "/api/v2/organisation").json()] == [
        served.organisation_id
    ]
    # Tombstones go too: the id of a model deleted before the reset may be used again.
    recreated = call(
        served, "PUT", f"/api/v2/query/{ids['deleted_query_id']}", json={"name": "again"}
    )
    assert recreated.status == 201, recreated.body


def test_the_server_serves_as_before_after_a_reset(served: RunningLrs) -> None:
    served.reset()
    posted = call(served, "POST", "/data/xAPI/statements", json=statement())
    assert posted.status == 200, posted.body
    [statement_id] = posted.json()
    got = call(served, "GET", "/data/xAPI/statements?statementId=" + statement_id)
    assert got.json()["id"] == statement_id
    [store] = call(served, "GET", "/api/v2/store").json()
    assert store["statementCount"] == 1


def test_credentials_issued_during_a_test_stop_working_after_reset_even_when_cached() -> None:
    # A long auth cache would remember the second client past the reset, were the application
    # (and its cache) not rebuilt.
    with running_lrs(auth_cache_seconds=600) as served:
        made = call(served, "POST", "/api/v2/client", json={"title": "extra", "scopes": ["all"]})
        assert made.status == 201, made.body
        api = made.json()["api"]
        extra = basic(api["basic_key"], api["basic_secret"])
        assert call(served, "GET", "/api/v2/store", authorization=extra).status == 200

        served.reset()

        assert call(served, "GET", "/api/v2/store", authorization=extra).status == 401
        assert call(served, "GET", "/api/v2/store").status == 200


def test_without_a_cache_setting_a_deleted_client_is_refused_at_once() -> None:
    with running_lrs() as served:
        made = call(served, "POST", "/api/v2/client", json={"title": "extra", "scopes": ["all"]})
        api = made.json()["api"]
        extra = basic(api["basic_key"], api["basic_secret"])
        assert call(served, "GET", "/api/v2/store", authorization=extra).status == 200
        assert call(served, "DELETE", f"/api/v2/client/{made.json()['_id']}").status == 204
        assert call(served, "GET", "/api/v2/store", authorization=extra).status == 401


def test_reset_can_run_again_and_again(served: RunningLrs) -> None:
    for _ in range(3):
        assert call(served, "POST", "/data/xAPI/statements", json=statement()).status == 200
        served.reset()
        assert call(served, "GET", "/data/xAPI/statements").json()["statements"] == []
