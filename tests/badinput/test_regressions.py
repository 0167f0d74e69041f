"""Bad input that answered 500 before issue 15's fixes, pinned on both stores: each is now a 4xx
JSON error that changes nothing, or (when the input is valid) stored and served back."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from lrs.xapi.intake import MAX_JSON_DEPTH
from tests.badinput.conftest import Harness
from tests.badinput.strategies import ACTIVITY, AGENT, Case, fresh_id
from tests.xapi.xapi_samples import minimal

JSON = {"Content-Type": "application/json"}
DOC_ROUTES = (
    ("activities/state", "stateId", (("activityId", ACTIVITY), ("agent", AGENT))),
    ("activities/profile", "profileId", (("activityId", ACTIVITY),)),
    ("agents/profile", "profileId", (("agent", AGENT),)),
)


def nested(levels: int) -> bytes:
    """JSON bytes of objects nested ``levels`` deep around a number (built as bytes: the test's
    encoder stops at 254 levels)."""
    return b'{"a":' * levels + b"1" + b"}" * levels


def statement_body(**parts: Any) -> dict[str, Any]:
    """A minimal statement with a fresh id and ``parts`` set."""
    statement = minimal()
    statement["id"] = fresh_id()
    statement.update(parts)
    return statement


def post_with_extension(value: bytes) -> Case:
    """POST one statement whose context extension holds the raw JSON ``value``."""
    body = orjson.dumps(
        statement_body(context={"extensions": {"http://example.com/ext/x": orjson.Fragment(value)}})
    )
    return Case("POST", "/data/xAPI/statements", (), JSON, body)


REFUSED: list[tuple[str, Case]] = [
    # RecursionError in the conflict form, or the encoder's 254-level limit (statement depth is
    # the extension value's plus 3: statement, context, extensions).
    ("extension nested 1000 deep", post_with_extension(nested(1000))),
    ("extension nested 300 deep", post_with_extension(nested(300))),
    ("just past MAX_JSON_DEPTH", post_with_extension(nested(MAX_JSON_DEPTH - 2))),
    # datetime overflow converting to UTC
    *(
        (
            f"timestamp {value}",
            Case(
                "POST",
                "/data/xAPI/statements",
                (),
                JSON,
                orjson.dumps(statement_body(timestamp=value)),
            ),
        )
        for value in ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00")
    ),
    *(
        (f"since {value}", Case("GET", "/data/xAPI/statements", (("since", value),)))
        for value in ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00")
    ),
    (
        "document since out of range",
        Case(
            "GET",
            "/data/xAPI/activities/state",
            (("activityId", ACTIVITY), ("agent", AGENT), ("since", "9999-12-31T23:59:59-05:00")),
        ),
    ),
    # NUL characters: PostgreSQL text and jsonb cannot hold them (500 on PostgreSQL only)
    *(
        (
            f"NUL in {where}",
            Case("POST", "/data/xAPI/statements", (), JSON, orjson.dumps(statement_body(**part))),
        )
        for where, part in (
            ("actor name", {"actor": {"mbox": "mailto:a@example.com", "name": "a\x00b"}}),
            ("verb display", {"verb": {"id": "http://e.example.com/v", "display": {"en": "\x00"}}}),
            ("extension", {"context": {"extensions": {"http://e.example.com/x": "a\x00"}}}),
            ("mbox", {"object": {"objectType": "Agent", "mbox": "mailto:a\x00@example.com"}}),
        )
    ),
    *(
        (
            f"NUL in {route} id, {method}",
            Case(
                method,
                f"/data/xAPI/{route}",
                ((id_param, "a\x00b"), *extra),
                {**JSON, "If-None-Match": "*"} if method == "PUT" else JSON,
                b'{"a":1}' if method in ("PUT", "POST") else None,
            ),
        )
        for route, id_param, extra in DOC_ROUTES
        for method in ("GET", "PUT", "POST", "DELETE")
    ),
    # NUL through a JSON escape in an agent parameter (500 on PostgreSQL only)
    *(
        (f"NUL-escaped agent on {path}", Case("GET", path, (*extra, ("agent", agent))))
        for path, extra in (
            ("/data/xAPI/statements", ()),
            ("/data/xAPI/activities/state", (("activityId", ACTIVITY), ("stateId", "x"))),
            ("/data/xAPI/agents/profile", ()),
        )
        for agent in (
            '{"mbox":"mailto:a\\u0000@example.com"}',
            '{"account":{"homePage":"http://example.com","name":"a\\u0000"}}',
        )
    ),
    # a JSON document nested past MAX_JSON_DEPTH: a POST merge re-encoded it (500)
    *(
        (
            f"document nested {levels} deep, {method} {route}",
            Case(
                method,
                f"/data/xAPI/{route}",
                ((id_param, "doc-a"), *extra),
                {**JSON, "If-Match": "*"} if method == "PUT" else JSON,
                nested(levels),
            ),
        )
        for route, id_param, extra in DOC_ROUTES
        for method in ("POST", "PUT")
        for levels in (MAX_JSON_DEPTH + 1, 300, 1000)
    ),
    # skip past PostgreSQL's bigint (OFFSET out of range, 500 on PostgreSQL only)
    *(
        (f"skip {skip} on {path}", Case("GET", path, (("skip", skip),)))
        for path in ("/api/v2/statement", "/api/v2/persona")
        for skip in ("9223372036854775808", "99999999999999999999999")
    ),
    # $size beyond PostgreSQL's integer (bigint out of range), and a filter value nested past
    # the encoder's limit
    *(
        (
            f"{path} {raw[:30]}",
            Case("GET", path, ((name, raw),)),
        )
        for path, name in (
            ("/api/connection/statement", "filter"),
            ("/api/connection/persona", "filter"),
            ("/api/v2/statement", "query"),
            ("/api/v2/persona/count", "query"),
        )
        for raw in (
            '{"a":{"$size":100000000000000000000}}',
            '{"a":{"$size":1e300}}',
            '{"a":' + nested(500).decode() + "}",
        )
    ),
]


def test_refused(harness: Harness) -> None:
    """Each is a 4xx JSON error with a message, and a refused write changes nothing (one test
    per store, listing every case that fails, since seeding a store per case costs more)."""
    failures = []
    for name, case in REFUSED:
        try:
            response = harness.check(case, "regressions")
            assert 400 <= response.status_code < 500, response.status
        except AssertionError as error:
            failures.append(f"{name}: {error}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "statement",
    [
        # deep, but within MAX_JSON_DEPTH: stored, and served by the xAPI and the Connection API
        statement_body(
            context={
                "extensions": {"http://example.com/ext/x": orjson.loads(nested(MAX_JSON_DEPTH - 3))}
            }
        ),
        # integral floats past 64 bits: the conflict form turned them into ints it then could not
        # encode (500)
        statement_body(result={"score": {"raw": 1e308, "min": 0, "max": 1.7e308}}),
    ],
    ids=["deep-within-limit", "huge-integral-score"],
)
def test_accepted_and_served(harness: Harness, statement: dict[str, Any]) -> None:
    """Valid statements at the edges are stored and served back on both APIs."""
    case = Case("POST", "/data/xAPI/statements", (), JSON, orjson.dumps(statement), False, "edge")
    response = harness.check(case, "regressions")
    assert response.status_code == 200, response.text
    got = harness.send(Case("GET", "/data/xAPI/statements", (("statementId", statement["id"]),)))
    assert got.status_code == 200, got.text
    assert got.json["id"] == statement["id"]
    page = harness.send(
        Case(
            "GET",
            "/api/connection/statement",
            (("filter", '{"statement.id":"' + statement["id"] + '"}'),),
        )
    )
    assert page.status_code == 200, page.text
    assert len(page.json["edges"]) == 1
