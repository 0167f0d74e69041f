"""Hypothesis strategies for bad input: malformed JSON bodies, statements with one validation rule
broken, hostile query-language parameters and cursors, odd query parameters and headers, and broken
multipart/mixed bodies.

Every strategy yields a :class:`Case`: what to send, and whether the LRS must refuse it
(``must_reject``) or may also accept it (valid-but-odd input such as a duplicate key whose last
value is valid, or a deeply nested extension within the parser's limit).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
from hypothesis import strategies as st

from tests.query.strategies import filters as query_filters
from tests.query.strategies import sorts as query_sorts
from tests.xapi.xapi_samples import DELETE, edited, full, minimal, substatement

JSON = "application/json"


@dataclass(frozen=True)
class Case:
    """One request: method, path, query parameters, headers and body, and what may answer it."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    must_reject: bool = True
    note: str = ""


def uuids() -> st.SearchStrategy[str]:
    """Random version-4 UUID strings (so batches differ from one example to the next)."""
    return st.uuids(version=4).map(str)


# ---------------------------------------------------------------------------------------------
# Valid statements, as bases for mutation and as neighbours of a bad statement in a batch.


@st.composite
def valid_statements(draw: st.DrawFn) -> dict[str, Any]:
    """A valid statement (minimal, full or with a SubStatement) with a fresh id."""
    base = draw(st.sampled_from((minimal, full, substatement)))()
    base["id"] = draw(uuids())
    return base


# ---------------------------------------------------------------------------------------------
# Invalid statements: one validation rule broken at a time.

_BAD_IRIS = ("", "not an iri", "example.com/no-scheme", "http://exa mple.com", 5, None, ["x"])
_BAD_MBOXES = ("ann@example.com", "mailto:", "mailto:not-an-address", "MAILTO", 7, None)
_BAD_UUIDS = (
    "",
    "not-a-uuid",
    "3f2b0c1e8a4d4f3b9c2e7d1a5b6c8e9",
    "zzzzzzzz-8a4d-4f3b-9c2e-7d1a5b6c8e90",
    1,
)
# past datetime.max / before datetime.min once converted to UTC (found: a 500 before the fix)
_OUT_OF_RANGE = ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00")
_BAD_TIMESTAMPS = (
    *_OUT_OF_RANGE,
    "",
    "yesterday",
    "2024-13-01T00:00:00Z",
    "2024-05-01T25:00:00Z",
    "2024-05-01",
    0,
)
_BAD_DURATIONS = ("", "1 hour", "P", "PT", "PT1H0M0.5", "P1Y2Q", 3600, "-PT1H")
_BAD_LANG_MAPS = ({"not a language tag!": "x"}, {"en-US": 5}, ["en-US", "x"], "answered", {"": "x"})
_WRONG_TYPES = (5, 1.5, True, "text", [], {}, None)
_BAD_SHA2 = ("", "xyz", "A" * 64 + "g", 5, None)

# (path, bad value) pairs on ``full()``; DELETE removes a required property.
_FULL_MUTATIONS: tuple[tuple[str, Any], ...] = (
    *(("id", v) for v in _BAD_UUIDS),
    ("actor", DELETE),
    ("verb", DELETE),
    ("object", DELETE),
    ("verb.id", DELETE),
    ("object.id", DELETE),
    *(("actor", v) for v in _WRONG_TYPES),
    *(("verb", v) for v in _WRONG_TYPES),
    *(("object", v) for v in (5, "x", [], None)),
    *(("verb.id", v) for v in _BAD_IRIS),
    *(("object.id", v) for v in _BAD_IRIS),
    *(("actor.mbox", v) for v in _BAD_MBOXES),
    ("actor.mbox_sha1sum", "0" * 40),  # a second IFI
    ("actor.objectType", "Person"),
    ("actor.objectType", "agent"),
    ("actor.name", 5),
    ("actor.account", {"homePage": "not an iri", "name": "x"}),
    *(("verb.display", v) for v in _BAD_LANG_MAPS),
    *(("object.definition.name", v) for v in _BAD_LANG_MAPS),
    ("object.objectType", "Activity "),
    ("object.objectType", "Thing"),
    ("object.objectType", 5),
    ("object.definition.type", "not an iri"),
    ("object.definition.interactionType", "guess"),
    ("object.definition.choices", "golf"),
    ("object.definition.extensions", {"not an iri": 1}),
    ("object.definition.extensions", []),
    ("object.unknownProperty", 1),
    ("result.score.scaled", 1.5),
    ("result.score.scaled", -1.01),
    ("result.score.scaled", "0.5"),
    ("result.score.raw", 101),
    ("result.score.raw", -1),
    ("result.score.min", 200),
    ("result.score.max", -5),
    ("result.score", 5),
    ("result.success", "yes"),
    ("result.completion", 1),
    ("result.response", 5),
    *(("result.duration", v) for v in _BAD_DURATIONS),
    ("result.extensions", {"relative/iri": 1}),
    ("result.unknown", True),
    *(("context.registration", v) for v in _BAD_UUIDS),
    ("context.instructor", {"name": "no ifi"}),
    ("context.team", {"objectType": "Agent", "mbox": "mailto:x@example.com"}),
    ("context.contextActivities.parent", 5),
    ("context.contextActivities.parent", [{"id": "not an iri"}]),
    ("context.contextActivities.sibling", [{"id": "http://example.com/a"}]),
    ("context.revision", 5),
    ("context.platform", ["x"]),
    ("context.language", "not a language tag!"),
    ("context.statement", {"objectType": "StatementRef", "id": "nope"}),
    ("context.statement", {"id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}),
    ("context.extensions", {"x": 1}),
    # xAPI 2.0.0's context people: refused under 1.0.3, which these requests speak.
    (
        "context.contextAgents",
        [{"objectType": "contextAgent", "agent": {"mbox": "mailto:coach@example.com"}}],
    ),
    ("context.contextGroups", []),
    *(("timestamp", v) for v in _BAD_TIMESTAMPS),
    *(("stored", v) for v in _BAD_TIMESTAMPS),
    ("authority", {"name": "no ifi"}),
    ("authority", 5),
    ("version", "2.0.0"),
    ("version", "one"),
    ("version", 1),
    ("attachments", {}),
    ("attachments", [5]),
    ("attachments[0].usageType", DELETE),
    *(("attachments[0].usageType", v) for v in _BAD_IRIS),
    ("attachments[0].length", -1),
    ("attachments[0].length", "27"),
    ("attachments[0].length", 2.5),
    ("attachments[0].length", DELETE),
    *(("attachments[0].sha2", v) for v in _BAD_SHA2),
    ("attachments[0].sha2", DELETE),
    ("attachments[0].contentType", DELETE),
    ("attachments[0].contentType", 5),
    ("attachments[0].display", DELETE),
    ("attachments[0].display", {"en-US": 5}),
    ("attachments[0].fileUrl", "not an iri"),
    ("unknownTopLevel", 1),
    ("actor", {"objectType": "Group"}),  # an anonymous group needs members
    ("actor", {"objectType": "Group", "member": [{"objectType": "Group", "member": []}]}),
    *((key, None) for key in ("id", "result", "context", "timestamp", "authority", "version")),
    ("result.score.raw", None),
    ("context.registration", None),
    ("verb.display", {"en-US": None}),
    # NUL characters: PostgreSQL cannot store them, so both stores refuse them (found: a 500)
    ("actor.name", "a\x00b"),
    ("verb.display", {"en-US": "x\x00"}),
    ("result.response", "\x00"),
    ("result.extensions", {"http://example.com/ext/x": "\x00"}),
    ("context.extensions", {"http://example.com/ext/\x00": 1}),
    ("object", {"objectType": "Agent", "mbox": "mailto:a\x00@example.com"}),
    # nesting past MAX_JSON_DEPTH (222; found: RecursionError / encoder limit, a 500); the test's
    # encoder stops at 254 levels, so deeper bodies are built as bytes (test_regressions)
    ("context.extensions", {"http://example.com/ext/deep": orjson.loads(b"[" * 230 + b"]" * 230)}),
    (
        "result.extensions",
        {"http://example.com/ext/deep": orjson.loads(b'{"a":' * 240 + b"1" + b"}" * 240)},
    ),
)

_SUB_MUTATIONS: tuple[tuple[str, Any], ...] = (
    ("object.id", "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"),  # a SubStatement has no id
    ("object.stored", "2024-05-01T12:30:00Z"),
    ("object.version", "1.0.0"),
    ("object.authority", {"mbox": "mailto:a@example.com"}),
    ("object.object", {"objectType": "SubStatement", **substatement()["object"]}),  # nested
    ("object.actor", DELETE),
    ("object.verb", 5),
    ("object.timestamp", "yesterday"),
)

_VOIDING = "http://adlnet.gov/expapi/verbs/voided"

_MINIMAL_MUTATIONS: tuple[tuple[str, Any], ...] = (
    # voiding statements must target a StatementRef
    ("verb.id", _VOIDING),
    ("verb", {"id": _VOIDING}),
)


@st.composite
def invalid_statements(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A statement breaking exactly one validation rule, and the rule (for the failure message)."""
    kind = draw(st.sampled_from(("full", "full", "full", "sub", "void")))
    if kind == "sub":
        path, value = draw(st.sampled_from(_SUB_MUTATIONS))
        base = substatement()
    elif kind == "void":
        path, value = draw(st.sampled_from(_MINIMAL_MUTATIONS))
        base = minimal()
    else:
        path, value = draw(st.sampled_from(_FULL_MUTATIONS))
        base = full()
    if path != "id":
        base["id"] = draw(uuids())
    return edited(base, path, value), f"{kind}:{path}={value!r}"


@st.composite
def invalid_batches(draw: st.DrawFn) -> tuple[list[dict[str, Any]], str]:
    """A batch of valid statements with one invalid statement somewhere in it."""
    bad, rule = draw(invalid_statements())
    good = draw(st.lists(valid_statements(), max_size=3))
    position = draw(st.integers(0, len(good)))
    return [*good[:position], bad, *good[position:]], rule


# ---------------------------------------------------------------------------------------------
# Malformed JSON and encodings.


def _huge_number_body(number: bytes, base: dict[str, Any]) -> bytes:
    base = copy.deepcopy(base)
    base["result"] = {"score": {"scaled": 0.5}}
    raw = orjson.dumps(base)
    return raw.replace(b'"scaled":0.5', b'"scaled":' + number)


@st.composite
def malformed_json(
    draw: st.DrawFn, valid: dict[str, Any] | list[Any], strict: bool = True
) -> tuple[bytes, bool, str]:
    """A body derived from ``valid``'s JSON that is malformed: (body, must_reject, note).

    One kind is well-formed: a duplicate key whose last value is wrong. The JSON parser keeps the
    last value, so it must be refused where that value is checked (``strict``, as in statements)
    and may be accepted elsewhere (an xAPI document, a REST field the model ignores)."""
    raw = orjson.dumps(valid)
    kind = draw(
        st.sampled_from(
            (
                "truncated",
                "invalid-utf8",
                "utf16-bom",
                "utf8-bom",
                "nan",
                "huge-number",
                "deep",
                "duplicate-last-bad",
                "wrong-top-level",
                "empty",
                "garbage",
                "trailing",
            )
        )
    )
    if kind == "truncated":
        return raw[: draw(st.integers(0, len(raw) - 1))], True, kind
    if kind == "invalid-utf8":
        junk = draw(
            st.sampled_from((b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80", b"\x80"))
        )
        quote = draw(st.sampled_from([i for i, c in enumerate(raw) if c == ord('"')]))
        return raw[: quote + 1] + junk + raw[quote + 1 :], True, kind
    if kind == "utf16-bom":
        codec = draw(st.sampled_from(("utf-16", "utf-16-be", "utf-32")))
        return raw.decode().encode(codec), True, f"{kind}:{codec}"
    if kind == "utf8-bom":
        return b"\xef\xbb\xbf" + raw, True, kind
    if kind == "nan":
        literal = draw(st.sampled_from((b"NaN", b"Infinity", b"-Infinity", b"nan", b"inf")))
        return _huge_number_body(literal, _as_statement(valid)), True, f"{kind}:{literal!r}"
    if kind == "huge-number":
        literal = draw(st.sampled_from((b"1e400", b"-1e400", b"1" + b"0" * 400, b"1e-400x")))
        return _huge_number_body(literal, _as_statement(valid)), True, f"{kind}:{literal[:8]!r}"
    if kind == "deep":
        depth = draw(st.integers(1100, 5000))
        return b"[" * depth + b"]" * depth, True, f"{kind}:{depth}"
    if kind == "duplicate-last-bad":
        key = draw(st.sampled_from(sorted(_top_keys(valid))))
        bad = draw(st.sampled_from((b"5", b"null", b'"x"', b"[]")))
        body = raw[:-1] + b',"' + key.encode() + b'":' + bad + b"}"
        if isinstance(valid, list):
            body = raw[:-2] + b',"' + key.encode() + b'":' + bad + b"}]"
        return body, strict, f"{kind}:{key}"
    if kind == "wrong-top-level":
        top = draw(st.sampled_from((b"5", b'"text"', b"null", b"true", b"[[]]", b"[5]", b'["x"]')))
        return top, True, f"{kind}:{top!r}"
    if kind == "empty":
        return draw(st.sampled_from((b"", b" ", b"\n"))), True, kind
    if kind == "garbage":
        return draw(st.binary(min_size=1, max_size=40).filter(_not_json)), True, kind
    # trailing junk after a complete document
    return raw + draw(st.sampled_from((b"x", b"}", b",", b"{}", b"]"))), True, kind


def _as_statement(valid: Any) -> dict[str, Any]:
    if isinstance(valid, list):
        return dict(valid[0]) if valid else minimal()
    return dict(valid)


def _top_keys(valid: Any) -> set[str]:
    target = valid[0] if isinstance(valid, list) and valid else valid
    keys = set(target) if isinstance(target, dict) else set()
    return keys or {"a"}


def _not_json(data: bytes) -> bool:
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return True
    return False


# ---------------------------------------------------------------------------------------------
# Odd query parameters and headers on xAPI routes.

_BAD_AGENTS = (
    # NUL through a JSON escape (found: a 500 on PostgreSQL)
    '{"mbox":"mailto:a\\u0000@example.com"}',
    '{"account":{"homePage":"http://example.com","name":"a\\u0000"}}',
    "not json",
    "{",
    "5",
    "[]",
    '{"name":"no ifi"}',
    '{"mbox":"ann@example.com"}',
    '{"mbox":"mailto:a@example.com","openid":"http://x.example.com"}',
    '{"objectType":"Group","member":[]}',
    '{"account":{"homePage":"not an iri","name":"x"}}',
    "%7B%22mbox%22",
    "\x00",
)
_BAD_SINCE = (
    *_OUT_OF_RANGE,
    "2024-05-01T12:00:00\x00Z",
    "yesterday",
    "2024-13-01T00:00:00Z",
    "0",
    "",
    "2024-05-01T12:00:99Z",
    "NaN",
)
_BAD_LIMIT = ("-1", "x", "1.5", "", "1e3", "+-1", " 1", "0x10")
_BAD_BOOL = ("yes", "1", "True", "")
_BAD_VERSIONS = ("", "0.9", "0.95", "2.1.0", "3.0.0", "1.1.0", "x", "1.0.3x", "1", "2")
_BAD_ETAGS = ("x", '"', 'W/"x"', '"a", x', "\x01")
BAD_UUIDS = ("", "x", "3f2b0c1e-8a4d-4f3b-9c2e", "3f2b0c1e-8a4d-4f3b-9c2e-7d1a5b6c8e90x", "{3f2b}")

STATEMENT_PARAMS = (
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
)


def _bad_param_value(name: str) -> st.SearchStrategy[str]:
    table: dict[str, tuple[str, ...]] = {
        "agent": _BAD_AGENTS,
        "since": _BAD_SINCE,
        "until": _BAD_SINCE,
        "limit": _BAD_LIMIT,
        "registration": BAD_UUIDS,
        "statementId": BAD_UUIDS,
        "voidedStatementId": BAD_UUIDS,
        "verb": ("not an iri", "", "x:"),
        "activity": ("not an iri", "", "a b"),
        "format": ("full", "", "EXACT", "ids "),
        "attachments": _BAD_BOOL,
        "ascending": _BAD_BOOL,
        "related_activities": _BAD_BOOL,
        "related_agents": _BAD_BOOL,
    }
    return st.sampled_from(table.get(name, ("x",)))


@st.composite
def odd_statement_queries(draw: st.DrawFn) -> Case:
    """A GET /statements with one odd parameter or header."""
    kind = draw(
        st.sampled_from(("bad-value", "unknown", "miscased", "repeated", "version", "combo"))
    )
    params: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    if kind == "bad-value":
        name = draw(st.sampled_from(STATEMENT_PARAMS))
        params.append((name, draw(_bad_param_value(name))))
    elif kind == "unknown":
        params.append((draw(st.text("abcxyz_", min_size=1, max_size=8)), "1"))
    elif kind == "miscased":
        name = draw(st.sampled_from(STATEMENT_PARAMS))
        params.append((name.upper() if name != name.upper() else name.lower(), "1"))
    elif kind == "repeated":
        name = draw(st.sampled_from(("limit", "since", "verb", "format", "ascending")))
        params.extend([(name, "1" if name == "limit" else "true"), (name, "2")])
    elif kind == "version":
        headers["X-Experience-API-Version"] = draw(st.sampled_from(_BAD_VERSIONS))
    else:  # statementId with any other filter is refused
        params.append(("statementId", draw(uuids())))
        params.append((draw(st.sampled_from(("agent", "verb", "limit", "since"))), "1"))
    path = draw(st.sampled_from(("statements",) * 4 + ("activities", "agents")))
    if path == "activities" and kind == "bad-value":
        params = [("activityId", draw(st.sampled_from(("not an iri", ""))))]
    if path == "agents" and kind == "bad-value":
        params = [("agent", draw(st.sampled_from(_BAD_AGENTS)))]
    return Case("GET", f"/data/xAPI/{path}", tuple(params), headers, None, True, f"{path}:{kind}")


# ---------------------------------------------------------------------------------------------
# xAPI document routes.

DOC_ROUTES = {
    "activities/state": ("stateId", True, True),  # id param, needs activityId, needs agent
    "activities/profile": ("profileId", True, False),
    "agents/profile": ("profileId", False, True),
}
ACTIVITY = "http://example.com/activities/doc-activity"
AGENT = '{"mbox":"mailto:doc@example.com"}'


def _doc_params(route: str, doc_id: str) -> list[tuple[str, str]]:
    id_param, needs_activity, needs_agent = DOC_ROUTES[route]
    params = [(id_param, doc_id)]
    if needs_activity:
        params.append(("activityId", ACTIVITY))
    if needs_agent:
        params.append(("agent", AGENT))
    return params


@st.composite
def bad_document_requests(draw: st.DrawFn) -> Case:
    """A request to a document route with one thing wrong."""
    route = draw(st.sampled_from(sorted(DOC_ROUTES)))
    id_param, needs_activity, _needs_agent = DOC_ROUTES[route]
    method = draw(st.sampled_from(("PUT", "POST", "DELETE", "GET")))
    doc_id = draw(st.sampled_from(("doc-a", "doc-new")))
    nul = draw(st.integers(0, 9)) == 0  # found: NUL in a document id was a 500 on PostgreSQL
    params = _doc_params(route, doc_id + ("\x00" if nul else ""))
    headers: dict[str, str] = {"Content-Type": JSON}
    body: bytes | None = b'{"k": 1}' if method in ("PUT", "POST") else None
    must_reject = True
    kinds = [
        "drop-param",
        "bad-agent",
        "bad-activity",
        "unknown",
        "repeated",
        "version",
        "bad-since",
    ]
    if route == "activities/state":
        kinds.append("bad-registration")
    if method in ("PUT", "POST", "DELETE"):
        kinds.append("if-match")
    if method == "POST":
        kinds += ["post-not-json", "post-not-object", "post-wrong-type", "too-deep"]
    if method == "PUT":
        kinds += ["if-match-none", "too-deep"]
    kind = draw(st.sampled_from(kinds))
    if method == "PUT" and route.endswith("profile") and kind != "if-match":
        headers["If-None-Match"] = "*"  # profiles are created only with a precondition
    if kind == "drop-param":
        drop = draw(st.sampled_from([name for name, _ in params]))
        if method in ("GET", "DELETE") and drop == id_param:
            # without the id, GET lists ids and DELETE (state) clears all: drop a required one
            drop = "activityId" if needs_activity else "agent"
        params = [(n, v) for n, v in params if n != drop]
    elif kind == "bad-agent":
        agent = draw(st.sampled_from(_BAD_AGENTS))
        params = [(n, v) for n, v in params if n != "agent"] + [("agent", agent)]
    elif kind == "bad-activity":
        params = [(n, v) for n, v in params if n != "activityId"]
        params.append(("activityId", draw(st.sampled_from(("not an iri", "", "a b")))))
    elif kind == "unknown":
        params.append((draw(st.sampled_from(("foo", "StateId", "ACTIVITYID", "agentx"))), "1"))
    elif kind == "repeated":
        params.append(draw(st.sampled_from(params)))
    elif kind == "version":
        headers["X-Experience-API-Version"] = draw(st.sampled_from(_BAD_VERSIONS))
    elif kind == "bad-since":
        params = [(n, v) for n, v in params if n != id_param]
        params.append(("since", draw(st.sampled_from(_BAD_SINCE))))
    elif kind == "bad-registration":
        params.append(("registration", draw(st.sampled_from(BAD_UUIDS))))
    elif kind == "if-match":
        # malformed, or well-formed but not the document's ETag (or no document at all)
        headers["If-Match"] = draw(st.sampled_from((*_BAD_ETAGS, '"0000"', '"deadbeef"')))
    elif kind == "if-match-none":
        headers["If-None-Match"] = "*"
        doc_id = "doc-a"
        params = _doc_params(route, doc_id)
    elif kind == "post-not-json":
        body, must_reject, _ = draw(malformed_json({"k": 1}, strict=False))
    elif kind == "too-deep":  # found: a POST merge re-encoding it was a 500
        depth = draw(st.integers(223, 1000))
        body = b'{"a":' * depth + b"1" + b"}" * depth
    elif kind == "post-not-object":
        body = draw(st.sampled_from((b"[1]", b"5", b'"s"', b"null")))
    else:  # POST merges JSON objects only
        headers["Content-Type"] = draw(st.sampled_from(("text/plain", "application/octet-stream")))
    return Case(
        method,
        f"/data/xAPI/{route}",
        tuple(params),
        headers,
        body,
        must_reject,
        f"{route}:{method}:{kind}",
    )


# ---------------------------------------------------------------------------------------------
# Multipart/mixed statement bodies.

ATTACHMENT = b"here is a simple attachment"
ATTACHMENT_SHA2 = hashlib.sha256(ATTACHMENT).hexdigest()


def _attachment_statement(statement_id: str, sha2: str, length: int) -> dict[str, Any]:
    statement = minimal()
    statement["id"] = statement_id
    statement["attachments"] = [
        {
            "usageType": "http://adlnet.gov/expapi/attachments/signature",
            "display": {"en-US": "a"},
            "contentType": "text/plain",
            "length": length,
            "sha2": sha2,
        }
    ]
    return statement


@st.composite
def broken_multipart(draw: st.DrawFn) -> tuple[bytes, str, str]:
    """A multipart/mixed statement body with one thing broken: (body, content type, note)."""
    boundary = draw(st.sampled_from(("abcABC0123", "b", "----x-y")))
    statement = _attachment_statement(draw(uuids()), ATTACHMENT_SHA2, len(ATTACHMENT))
    first_headers = [b"Content-Type: application/json"]
    part_headers = [
        b"Content-Type: text/plain",
        b"Content-Transfer-Encoding: binary",
        b"X-Experience-API-Hash: " + ATTACHMENT_SHA2.encode(),
    ]
    content = ATTACHMENT
    first = orjson.dumps(statement)
    content_type = f"multipart/mixed; boundary={boundary}"
    kind = draw(
        st.sampled_from(
            (
                "no-boundary",
                "wrong-boundary",
                "no-hash",
                "hash-mismatch",
                "cte-base64",
                "cte-garbage",
                "truncated",
                "no-closing",
                "no-parts",
                "missing-attachment",
                "first-not-json",
                "first-bad-json",
                "extra-part",
                "length-mismatch",
            )
        )
    )
    if kind == "no-boundary":
        content_type = "multipart/mixed"
    elif kind == "wrong-boundary":
        content_type = "multipart/mixed; boundary=zzz-other"
    elif kind == "no-hash":
        part_headers = part_headers[:2]
    elif kind == "hash-mismatch":
        part_headers[2] = b"X-Experience-API-Hash: " + hashlib.sha256(b"other").hexdigest().encode()
    elif kind == "cte-base64":
        part_headers[1] = b"Content-Transfer-Encoding: base64"
        content = base64.b64encode(ATTACHMENT)
    elif kind == "cte-garbage":
        part_headers[1] = b"Content-Transfer-Encoding: " + draw(
            st.sampled_from((b"7bit-ish", b"quoted-printable", b"x"))
        )
    elif kind == "first-not-json":
        first_headers = [b"Content-Type: text/plain"]
    elif kind == "first-bad-json":
        first = first[: draw(st.integers(1, len(first) - 1))]
    elif kind == "length-mismatch":
        statement["attachments"][0]["length"] = len(ATTACHMENT) + draw(st.integers(1, 50))
        first = orjson.dumps(statement)
    b = boundary.encode()
    parts = [(first_headers, first)]
    if kind not in ("no-parts", "missing-attachment"):
        parts.append((part_headers, content))
    if kind == "extra-part":
        parts.append(([b"Content-Type: text/plain", b"X-Experience-API-Hash: " + b"1" * 64], b"x"))
    body = b"".join(
        b"--" + b + b"\r\n" + b"\r\n".join(h) + b"\r\n\r\n" + c + b"\r\n" for h, c in parts
    )
    if kind == "no-parts":
        body = b"--" + b + b"--\r\n"
    elif kind != "no-closing":
        body += b"--" + b + b"--\r\n"
    if kind == "truncated":
        body = body[: draw(st.integers(1, len(body) - 10))]
    return body, content_type, kind


# ---------------------------------------------------------------------------------------------
# Hostile query language: Connection filter/sort/project/hint/cursors, REST query/sort/select/...

_HOSTILE_FILTERS: tuple[Any, ...] = (
    5,
    "x",
    [],
    [{}],
    None,
    {"$where": "sleep(1000)"},
    {"$expr": {"$gt": ["$a", 1]}},
    {"$function": {}},
    {"a": {"$regex": "("}},
    {"a": {"$regex": "(a+)+$", "$options": "q"}},
    {"a": {"$regex": 5}},
    {"a": {"$in": 5}},
    {"a": {"$nin": "x"}},
    {"a": {"$size": -1}},
    {"a": {"$size": "x"}},
    {"a": {"$exists": "maybe"}},
    {"a": {"$elemMatch": 5}},
    {"a": {"$not": 5}},
    {"a": {"$unknownOp": 1}},
    {"$and": []},
    {"$and": 5},
    {"$or": [5]},
    {"$nor": {}},
    {"": 1},
    {"a..b": 1},
    {".a": 1},
    {"a.": 1},
    {"a\x00b": 1},
    {"$": 1},
    {"a": {"$gt": {"$date": "not a date"}}},
    {"timestamp": {"$gt": "not a date"}},
    {"a": {"$gt": 1, "b": 2}},
    {"a": {"$oid": "zz"}},
    {"_id": {"$oid": "not-an-object-id"}},
    {"a": {"$type": "string"}},
    {"a": {"$mod": [2, 0]}},
    {"a": 1e300},
    {"a": {"$in": [1] * 5}},
    {"a": {"$size": 1e300}},  # found: bigint out of range on PostgreSQL, a 500
    {"a": {"$size": 2**62}},
    {"a": orjson.Fragment(b'{"a":' * 200 + b"1" + b"}" * 200)},  # found: encoder limit, a 500
    {"a": {"$in": [orjson.Fragment(b"[" * 100 + b"]" * 100)]}},
    {"a": "\x00"},
    {"a\x00": 1},
)
_HOSTILE_SORTS: tuple[Any, ...] = (
    5,
    "a",
    [],
    [["a", 1]],
    {"a": 2},
    {"a": 0},
    {"a": "asc"},
    {"a": None},
    {"": 1},
    {"$a": 1},
    {"a..b": 1},
    {"a": {"$meta": "textScore"}},
    {"a": True},
    {"a": 1.5},
)
_HOSTILE_PROJECTIONS: tuple[Any, ...] = (
    5,
    "a",
    [],
    {"a": 2},
    {"a": "x"},
    {"a": 1, "b": 0},
    {"": 1},
    {"$a": 1},
    {"a": {"$slice": 1}},
    {"a": {"$elemMatch": {}}},
    {"a": None},
    {"a..b": 1},
)
_HOSTILE_HINTS: tuple[Any, ...] = (5, "x", [], {"a": "x"}, {"": 1}, {"a": 2}, None)
_BAD_CURSORS_RAW = (
    "",
    "x",
    "!!!",
    "====",
    "a" * 300,
    "eyJ4IjoxfQ",
    "e30=",
    "bnVsbA==",
    "W10=",
    "NQ==",
)

TRASH_TEXT = st.text(max_size=30)


@st.composite
def json_param(draw: st.DrawFn, hostile: tuple[Any, ...], valid: st.SearchStrategy[Any]) -> str:
    """A JSON parameter: a known hostile value, random text, or a valid value mangled."""
    kind = draw(st.sampled_from(("hostile", "hostile", "text", "mangled", "valid")))
    if kind == "hostile":
        return orjson.dumps(draw(st.sampled_from(hostile))).decode()
    if kind == "text":
        return draw(TRASH_TEXT)
    encoded = orjson.dumps(draw(valid)).decode()
    if kind == "mangled":
        return encoded[: draw(st.integers(0, max(0, len(encoded) - 1)))]
    return encoded


@st.composite
def cursors(draw: st.DrawFn, real: list[str]) -> str:
    """A tampered cursor: garbage, base64 of garbage, a real cursor bit-flipped or truncated, or
    another query's real cursor (``real`` holds cursors the test fetched)."""
    kind = draw(st.sampled_from(("raw", "b64-json", "b64-bytes", "flip", "cut", "foreign")))
    if kind == "raw" or (not real and kind in ("flip", "cut", "foreign")):
        return draw(st.sampled_from(_BAD_CURSORS_RAW))
    if kind == "b64-json":
        value = draw(
            st.one_of(
                st.sampled_from(_HOSTILE_FILTERS[:12]),
                st.lists(st.integers(-(2**63), 2**63 - 1), max_size=3),
            )
        )
        return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")
    if kind == "b64-bytes":
        return base64.urlsafe_b64encode(draw(st.binary(max_size=40))).decode()
    cursor = draw(st.sampled_from(real))
    if kind == "flip":
        index = draw(st.integers(0, len(cursor) - 1))
        replacement = draw(st.sampled_from("AZaz09-_=+/!"))
        return cursor[:index] + replacement + cursor[index + 1 :]
    if kind == "cut":
        return cursor[: draw(st.integers(0, len(cursor) - 1))]
    return cursor


CONNECTION_MODELS = (
    "statement",
    "persona",
    "store",
    "client",
    "query",
    "dashboard",
    "journey",
    "nope",
    "Statement",
)


@st.composite
def connection_requests(draw: st.DrawFn, real_cursors: list[str]) -> Case:
    """A Connection GET with hostile filter/sort/project/hint/first/last/after/before."""
    model = draw(st.sampled_from(CONNECTION_MODELS))
    params: list[tuple[str, str]] = []
    chosen = draw(
        st.lists(
            st.sampled_from(
                ("filter", "sort", "project", "hint", "first", "last", "after", "before", "unknown")
            ),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    for name in chosen:
        if name == "filter":
            params.append((name, draw(json_param(_HOSTILE_FILTERS, query_filters(1)))))
        elif name == "sort":
            params.append((name, draw(json_param(_HOSTILE_SORTS, query_sorts))))
        elif name == "project":
            params.append((name, draw(json_param(_HOSTILE_PROJECTIONS, st.just({"a": 1})))))
        elif name == "hint":
            params.append((name, draw(json_param(_HOSTILE_HINTS, st.just({"_id": 1})))))
        elif name in ("first", "last"):
            params.append(
                (name, draw(st.sampled_from(("-1", "x", "1.5", "", "99999999999999999999", "10"))))
            )
        elif name in ("after", "before"):
            params.append((name, draw(cursors(real_cursors))))
        else:
            params.append((draw(st.sampled_from(("Filter", "limit", "skip", "foo"))), "1"))
    if draw(st.booleans()):
        params.append(draw(st.sampled_from(params)))  # a repeated parameter
    return Case(
        "GET",
        f"/api/connection/{model}",
        tuple(params),
        must_reject=False,
        note=f"{model}:{chosen}",
    )


REST_MODELS = (
    "statement",
    "persona",
    "store",
    "client",
    "query",
    "dashboard",
    "journey",
    "personaidentifier",
    "nope",
)
# Writes leave the bootstrap client, its store and organisation alone, so the harness keeps its
# credentials (changing those is the scope and isolation matrices' job).
REST_WRITE_MODELS = (
    "statement",
    "persona",
    "query",
    "dashboard",
    "journey",
    "personaidentifier",
    "visualisation",
    "nope",
)
_REST_PARAMS = (
    "query",
    "sort",
    "select",
    "populate",
    "distinct",
    "skip",
    "limit",
    "project",
    "unknown",
)


@st.composite
def rest_read_requests(draw: st.DrawFn) -> Case:
    """A REST v2 GET (list, count or one id) with hostile query/sort/select/... parameters."""
    model = draw(st.sampled_from(REST_MODELS))
    shape = draw(st.sampled_from(("list", "list", "count", "id")))
    path = (
        f"/api/v2/{model}"
        + {
            "list": "",
            "count": "/count",
            "id": "/" + draw(st.sampled_from(("x", "0" * 24, "%00", ".."))),
        }[shape]
    )
    chosen = draw(st.lists(st.sampled_from(_REST_PARAMS), min_size=1, max_size=3, unique=True))
    params: list[tuple[str, str]] = []
    for name in chosen:
        if name == "query":
            params.append((name, draw(json_param(_HOSTILE_FILTERS, query_filters(1)))))
        elif name == "sort":
            params.append((name, draw(json_param(_HOSTILE_SORTS, query_sorts))))
        elif name in ("select", "project"):
            params.append((name, draw(json_param(_HOSTILE_PROJECTIONS, st.just({"a": 1})))))
        elif name == "populate":
            params.append(
                (
                    name,
                    draw(
                        st.one_of(
                            TRASH_TEXT,
                            st.sampled_from(("lrs", "client,store", '["x"]', "{}", "persona")),
                        )
                    ),
                )
            )
        elif name == "distinct":
            params.append(
                (
                    name,
                    draw(
                        st.one_of(
                            TRASH_TEXT,
                            st.sampled_from(("", "$a", "a..b", "_id", "statement.verb.id")),
                        )
                    ),
                )
            )
        elif name in ("skip", "limit"):
            params.append(
                (
                    name,
                    draw(
                        st.sampled_from(
                            (
                                "-1",
                                "x",
                                "1.5",
                                "",
                                "1e3",
                                "99999999999999999999",
                                "9223372036854775808",
                                "0",
                            )
                        )
                    ),
                )
            )
        else:
            params.append((draw(st.sampled_from(("foo", "Query", "filter", "$where"))), "1"))
    if draw(st.booleans()):
        params.append(draw(st.sampled_from(params)))
    return Case("GET", path, tuple(params), must_reject=False, note=f"{model}:{shape}:{chosen}")


_WRONG_TOP_LEVEL_BODIES: tuple[Any, ...] = (5, "x", None, True, [5], [[]], ["x"])
_PERSONA_BAD_FIELDS: tuple[Any, ...] = ({"name": 5}, {"name": ["x"]}, {"name": {"a": 1}})
# Unknown or read-only fields are dropped, as Learning Locker's models do: may be accepted.
_ODD_MODEL_BODIES: tuple[Any, ...] = (
    {"_id": 5},
    {"organisation": "not-ours"},
    {"name": 5},
    {"title": ["x"]},
    {"$set": {"a": 1}},
    {"createdAt": "yesterday"},
    {"updatedAt": 5},
    {"isPublic": "maybe"},
    {"scopes": "all"},
    {"scopes": ["not-a-scope"]},
    {"lrs_id": "0" * 24},
    {"api": 5},
    {"a" * 300: 1},
    {"limit": 1e300},
    {"": 1},
    {"$where": 1},
)


@st.composite
def rest_write_requests(draw: st.DrawFn, existing: dict[str, str]) -> Case:
    """A REST v2 write (POST/PUT/PATCH/DELETE, a verb) with a malformed or invalid body, or at a
    model or id that does not exist; ``existing`` maps model names to a stored id."""
    model = draw(st.sampled_from(REST_WRITE_MODELS))
    model_id = existing.get(model, "0" * 24)
    shape = draw(
        st.sampled_from(("create", "create", "bulk", "one", "one", "verb", "delete-missing"))
    )
    headers = {"Content-Type": JSON}
    if shape == "delete-missing":
        return Case(
            "DELETE",
            f"/api/v2/{model}/{draw(st.sampled_from(('f' * 24, 'x', '%00')))}",
            (),
            headers,
            None,
            True,
            f"{model}:{shape}",
        )
    body_kind = draw(
        st.sampled_from(("malformed", "malformed", "top-level", "persona-field", "odd"))
    )
    must_reject = True
    if body_kind == "malformed":
        body, must_reject, note = draw(malformed_json({"name": "x"}, strict=False))
    elif body_kind == "top-level":
        body, note = orjson.dumps(draw(st.sampled_from(_WRONG_TOP_LEVEL_BODIES))), body_kind
    elif body_kind == "persona-field":
        model, model_id = "persona", existing["persona"]
        body, note = orjson.dumps(draw(st.sampled_from(_PERSONA_BAD_FIELDS))), body_kind
    else:
        body, note, must_reject = (
            orjson.dumps(draw(st.sampled_from(_ODD_MODEL_BODIES))),
            body_kind,
            False,
        )
    if draw(st.integers(0, 9)) == 0:
        headers["Content-Type"] = draw(st.sampled_from(("text/plain", "application/xml", "")))
        body = orjson.dumps({"name": "x"})
        note = "content-type"  # REST v2 reads the body as JSON whatever its declared type
        must_reject = False
    if shape == "create":
        method, path = "POST", f"/api/v2/{model}"
    elif shape == "bulk":
        method, path = draw(st.sampled_from(("PATCH", "PUT"))), f"/api/v2/{model}"
    elif shape == "one":
        method, path = draw(st.sampled_from(("PATCH", "PUT"))), f"/api/v2/{model}/{model_id}"
    else:
        verb = draw(st.sampled_from(("regenerate", "merge", "download", "nope")))
        method, path = "POST", f"/api/v2/{model}/{model_id}/{verb}"
    return Case(method, path, (), headers, body, must_reject, f"{model}:{shape}:{method}:{note}")


def fresh_id() -> str:
    """A random statement id (for cases built outside hypothesis)."""
    return str(uuid.uuid4())


# ---------------------------------------------------------------------------------------------
# xAPI's alternate request syntax: the same bad request as a form POST, and broken forms.

_FORM = "application/x-www-form-urlencoded"


@st.composite
def alternate_syntax(draw: st.DrawFn, case: Case) -> Case:
    """``case`` (an xAPI request) as an alternate-syntax form POST: its parameters, headers and
    body as form fields. Bodies that are not UTF-8 cannot be form content, and an empty header
    field is no header (a form without Content-Type means JSON): those cases stay as they are."""
    if any(not value for value in case.headers.values()):
        return case
    if case.body is not None:
        try:
            content = case.body.decode("utf-8")
        except UnicodeDecodeError:
            return case
    else:
        content = None
    fields: list[tuple[str, str]] = list(case.params)
    fields += [(name, value) for name, value in case.headers.items()]
    if content is not None:
        fields.append(("content", content))
    if draw(st.booleans()):
        fields.reverse()
    body = urllib.parse.urlencode(fields).encode()
    return Case(
        "POST",
        case.path,
        (("method", case.method),),
        {"Content-Type": _FORM},
        body,
        case.must_reject,
        "alternate:" + case.note,
    )


@st.composite
def broken_alternate_syntax(draw: st.DrawFn, path: str) -> Case:
    """An alternate-syntax request that is itself malformed."""
    kind = draw(
        st.sampled_from(("method", "get", "extra-param", "repeated", "not-form", "not-utf8"))
    )
    params: tuple[tuple[str, str], ...] = (("method", "PUT"),)
    method, headers, body = "POST", {"Content-Type": _FORM}, b"content=%7B%7D"
    if kind == "method":
        params = (("method", draw(st.sampled_from(("FOO", "", "PATCH", "post ", "OPTIONS")))),)
    elif kind == "get":
        method, body = "GET", None
    elif kind == "extra-param":
        params = (*params, ("statementId", fresh_id()))
    elif kind == "repeated":
        params = (("method", "PUT"), ("method", "POST"))
    elif kind == "not-form":
        headers = {"Content-Type": draw(st.sampled_from((JSON, "text/plain", "")))}
    else:
        body = b"content=" + draw(st.sampled_from((b"\xff", b"%FF%FE", b"\xc3\x28")))
    return Case(method, path, params, headers, body, True, f"alternate-broken:{kind}")
