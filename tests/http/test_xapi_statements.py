"""``/data/xAPI/statements`` through the real Falcon app, on both stores."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from falcon import testing

from lrs.xapi.attachments import AttachmentPart, build_multipart
from tests.http.conftest import Api, basic_auth

PATH = "/data/xAPI/statements"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def xapi(api: Api, **extra: str) -> dict[str, str]:
    return {**api.auth, "X-Experience-API-Version": "1.0.3", **extra}


def statement(verb: str = "http://example.com/verbs/did", **extra: Any) -> dict[str, Any]:
    return {
        "actor": {"mbox": "mailto:ann@example.com", "name": "Ann"},
        "verb": {"id": verb, "display": {"en-US": "did", "fr": "a fait"}},
        "object": {
            "id": "http://example.com/activities/a",
            "definition": {"name": {"en-US": "A", "fr": "Un"}},
        },
        **extra,
    }


def post(api: Api, body: Any, **headers: str) -> testing.Result:
    return api.client.simulate_post(
        PATH,
        headers=xapi(api, **{"Content-Type": "application/json", **headers}),
        body=orjson.dumps(body),
    )


def get(api: Api, **params: str) -> testing.Result:
    return api.client.simulate_get(PATH, headers=xapi(api), params=params)


def test_post_returns_ids_in_order_and_get_returns_the_stored_statements(api: Api) -> None:
    given = str(uuid.uuid4())
    response = post(api, [statement(), statement(id=given)])
    assert response.status_code == 200
    ids = response.json
    assert len(ids) == 2 and ids[1] == given
    assert response.headers["X-Experience-API-Consistent-Through"]
    page = get(api)
    assert page.status_code == 200
    assert [s["id"] for s in page.json["statements"]] == [given, ids[0]] or [
        s["id"] for s in page.json["statements"]
    ] == [ids[1], ids[0]]
    assert page.json["more"] == ""
    stored = page.json["statements"][0]
    assert stored["authority"] == api.tenant.issued.client.authority
    assert stored["version"] == "1.0.0"
    assert stored["stored"] and stored["timestamp"]
    assert page.headers["Last-Modified"]


def test_put_stores_under_statement_id_and_is_idempotent(api: Api) -> None:
    statement_id = str(uuid.uuid4())
    body = orjson.dumps(statement())
    headers = xapi(api, **{"Content-Type": "application/json"})
    first = api.client.simulate_put(
        PATH, params={"statementId": statement_id}, headers=headers, body=body
    )
    assert first.status_code == 204
    again = api.client.simulate_put(
        PATH, params={"statementId": statement_id}, headers=headers, body=body
    )
    assert again.status_code == 204
    different = api.client.simulate_put(
        PATH,
        params={"statementId": statement_id},
        headers=headers,
        body=orjson.dumps(statement("http://example.com/verbs/other")),
    )
    assert different.status_code == 409
    single = get(api, statementId=statement_id)
    assert single.status_code == 200
    assert single.json["id"] == statement_id
    assert single.json["verb"]["id"] == "http://example.com/verbs/did"


@pytest.mark.parametrize(
    ("params", "body", "message"),
    [
        ({}, statement(), "statementId: the parameter is required"),
        ({"statementId": "nope"}, statement(), "statementId"),
        ({"statementId": str(uuid.uuid4())}, statement(id=str(uuid.uuid4())), "differs"),
    ],
)
def test_put_errors_name_the_parameter(
    api: Api, params: dict[str, str], body: Any, message: str
) -> None:
    response = api.client.simulate_put(
        PATH,
        params=params,
        headers=xapi(api, **{"Content-Type": "application/json"}),
        body=orjson.dumps(body),
    )
    assert response.status_code == 400
    assert message in response.json["message"]


def test_invalid_statements_are_400_naming_the_path_and_store_nothing(api: Api) -> None:
    bad = statement()
    bad["actor"] = {"mbox": "ann@example.com"}
    response = post(api, [statement(), bad])
    assert response.status_code == 400
    assert "[1].actor.mbox" in response.json["message"]
    assert get(api).json["statements"] == []


def test_a_conflicting_batch_stores_nothing(api: Api) -> None:
    existing = str(uuid.uuid4())
    assert post(api, statement(id=existing)).status_code == 200
    fresh = str(uuid.uuid4())
    response = post(api, [statement(id=fresh), statement("http://example.com/v/x", id=existing)])
    assert response.status_code == 409
    assert existing in response.json["message"]
    assert get(api, statementId=fresh).status_code == 404


def test_duplicate_ids_in_a_batch_are_400(api: Api) -> None:
    same = str(uuid.uuid4())
    response = post(api, [statement(id=same), statement(id=same)])
    assert response.status_code == 400


def test_voided_statements_are_found_only_by_voided_statement_id(api: Api) -> None:
    [target] = post(api, statement()).json
    [void] = post(
        api,
        {
            "actor": {"mbox": "mailto:admin@example.com"},
            "verb": {"id": VOIDED},
            "object": {"objectType": "StatementRef", "id": target},
        },
    ).json
    assert get(api, statementId=target).status_code == 404
    assert get(api, voidedStatementId=target).json["id"] == target
    assert get(api, voidedStatementId=void).status_code == 404
    assert [s["id"] for s in get(api).json["statements"]] == [void]


def test_filters_and_more_links_page_through_everything(api: Api) -> None:
    ids = post(api, [statement() for _ in range(5)]).json
    post(api, statement("http://example.com/verbs/other"))
    seen: list[str] = []
    response = get(api, verb="http://example.com/verbs/did", limit="2", ascending="true")
    while True:
        assert response.status_code == 200
        seen.extend(s["id"] for s in response.json["statements"])
        more = response.json["more"]
        if not more:
            break
        assert more.startswith("/data/xAPI/statements?")
        response = api.client.simulate_get(more, headers=xapi(api))
    assert seen == ids


def test_agent_filter_takes_agent_json(api: Api) -> None:
    [mine] = post(api, statement()).json
    post(api, {**statement(), "actor": {"mbox": "mailto:bob@example.com"}})
    found = get(api, agent=orjson.dumps({"mbox": "mailto:ann@example.com"}).decode())
    assert [s["id"] for s in found.json["statements"]] == [mine]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"Verb": "http://e.com"}, "case-sensitive"),
        ({"foo": "bar"}, "foo: unknown parameter"),
        ({"agent": "{not json"}, "agent"),
        ({"agent": '{"mbox": "ann@example.com"}'}, "agent.mbox"),
        ({"since": "yesterday"}, "since"),
        ({"limit": "-1"}, "limit"),
        ({"ascending": "yes"}, "ascending"),
        ({"format": "full"}, "format"),
        ({"registration": "abc"}, "registration"),
        ({"statementId": str(uuid.uuid4()), "voidedStatementId": str(uuid.uuid4())}, "together"),
        ({"statementId": str(uuid.uuid4()), "verb": "http://e.com"}, "verb: not allowed"),
        ({"more": "garbage!"}, "more"),
    ],
)
def test_bad_get_parameters_are_400_naming_them(
    api: Api, params: dict[str, str], message: str
) -> None:
    response = get(api, **params)
    assert response.status_code == 400
    assert message in response.json["message"]


def test_formats_ids_and_canonical(api: Api) -> None:
    [statement_id] = post(api, statement()).json
    ids = get(api, statementId=statement_id, format="ids").json
    assert ids["object"] == {
        "id": "http://example.com/activities/a",
        "objectType": "Activity",
    } or ids["object"] == {"id": "http://example.com/activities/a"}
    assert "display" not in ids["verb"]
    canonical = api.client.simulate_get(
        PATH,
        params={"statementId": statement_id, "format": "canonical"},
        headers=xapi(api, **{"Accept-Language": "fr"}),
    ).json
    assert canonical["object"]["definition"]["name"] == {"fr": "Un"}


def test_head_has_headers_and_no_body(api: Api) -> None:
    post(api, statement())
    response = api.client.simulate_head(PATH, headers=xapi(api))
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["X-Experience-API-Consistent-Through"]


def test_attachments_go_in_and_come_out_as_multipart(api: Api) -> None:
    data = b"here is a text attachment"
    sha2 = hashlib.sha256(data).hexdigest()
    body = statement(
        attachments=[
            {
                "usageType": "http://example.com/attachment-usage/test",
                "display": {"en-US": "A test attachment"},
                "contentType": "text/plain",
                "length": len(data),
                "sha2": sha2,
            }
        ]
    )
    payload, content_type = build_multipart(
        orjson.dumps(body), [AttachmentPart(sha2=sha2, data=data, content_type="text/plain")]
    )
    response = api.client.simulate_post(
        PATH, headers=xapi(api, **{"Content-Type": content_type}), body=payload
    )
    assert response.status_code == 200, response.text
    [statement_id] = response.json
    out = get(api, statementId=statement_id, attachments="true")
    assert out.status_code == 200
    assert out.headers["Content-Type"].startswith("multipart/mixed")
    assert data in out.content and sha2.encode() in out.content
    missing = api.client.simulate_post(
        PATH,
        headers=xapi(api, **{"Content-Type": "application/json"}),
        body=orjson.dumps(body),
    )
    assert missing.status_code == 400


def test_scopes_guard_reading_and_writing(api: Api) -> None:
    from lrs.tenancy.service import new_client

    issued = new_client(
        api.tenant.organisation.id, api.tenant.lrs.id, title="w", scopes=["statements/write"]
    )
    api.store.add_client(issued.client)
    headers = {
        **basic_auth(issued.client.basic_key, issued.secret),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    assert (
        api.client.simulate_post(PATH, headers=headers, body=orjson.dumps(statement())).status_code
        == 200
    )
    assert api.client.simulate_get(PATH, headers=headers).status_code == 403


def test_read_mine_sees_only_its_own_statements(api: Api) -> None:
    from lrs.tenancy.service import new_client

    issued = new_client(
        api.tenant.organisation.id,
        api.tenant.lrs.id,
        title="mine",
        scopes=["statements/write", "statements/read/mine"],
    )
    api.store.add_client(issued.client)
    headers = {
        **basic_auth(issued.client.basic_key, issued.secret),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    [theirs] = post(api, statement()).json
    [mine] = api.client.simulate_post(PATH, headers=headers, body=orjson.dumps(statement())).json
    listed = api.client.simulate_get(PATH, headers=headers).json["statements"]
    assert [s["id"] for s in listed] == [mine]
    assert (
        api.client.simulate_get(PATH, headers=headers, params={"statementId": theirs}).status_code
        == 404
    )


def test_alternate_request_syntax(api: Api) -> None:
    statement_id = str(uuid.uuid4())
    form = urlencode(
        {
            "Authorization": api.auth["Authorization"],
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
            "statementId": statement_id,
            "content": orjson.dumps(statement()).decode(),
        }
    )
    response = api.client.simulate_post(
        PATH,
        params={"method": "PUT"},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=form,
    )
    assert response.status_code == 204, response.text
    assert get(api, statementId=statement_id).status_code == 200
    extra = api.client.simulate_post(
        PATH,
        query_string=f"method=PUT&statementId={statement_id}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=form,
    )
    assert extra.status_code == 400
    assert "method" in extra.json["message"]


def test_cors_preflight_needs_no_credentials(api: Api) -> None:
    response = api.client.simulate_options(
        PATH,
        headers={
            "Origin": "https://content.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-experience-api-version",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "x-experience-api-version" in response.headers["Access-Control-Allow-Headers"]
