"""Statement validation: good statements pass, each bad one fails naming the JSON path at fault."""

from __future__ import annotations

from typing import Any

import pytest

from lrs.core.errors import BadRequest
from lrs.xapi.validate import (
    validate_actor,
    validate_agent,
    validate_statement,
    validate_statements,
)
from tests.xapi.xapi_samples import DELETE, MBOX, edited, full, minimal, substatement

OAUTH_CONSUMER = {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "key1"}}
ANON_GROUP = {"objectType": "Group", "member": [{"mbox": MBOX}, {"mbox": "mailto:b@example.com"}]}
IDENTIFIED_GROUP = {"objectType": "Group", "name": "G", "mbox": "mailto:group@example.com"}


def _interaction(kind: str, **lists: Any) -> dict[str, Any]:
    """A statement whose object is an interaction Activity of ``kind``."""
    definition = {"interactionType": kind, **lists}
    return edited(minimal(), "object.definition", definition)


def _components(*ids: str) -> list[dict[str, Any]]:
    """Interaction components with the given ids."""
    return [{"id": component_id, "description": {"en-US": component_id}} for component_id in ids]


GOOD: dict[str, dict[str, Any]] = {
    "minimal": minimal(),
    "full": full(),
    "substatement": substatement(),
    "agent by mbox_sha1sum": edited(
        minimal(), "actor", {"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"}
    ),
    "agent by openid": edited(minimal(), "actor", {"openid": "https://id.example.com/ann"}),
    "agent by account": edited(minimal(), "actor", {"account": {"homePage": "x:y", "name": ""}}),
    "anonymous group actor": edited(minimal(), "actor", ANON_GROUP),
    "identified group actor without members": edited(minimal(), "actor", IDENTIFIED_GROUP),
    "identified group with empty member list": edited(
        minimal(), "actor", {**IDENTIFIED_GROUP, "member": []}
    ),
    "agent object": edited(minimal(), "object", {"objectType": "Agent", "mbox": MBOX}),
    "group object": edited(minimal(), "object", ANON_GROUP),
    "statement ref object": edited(
        minimal(),
        "object",
        {"objectType": "StatementRef", "id": "6690E6C9-3EF0-4ED3-8B37-7F3964730BEE"},
    ),
    "voiding statement": {
        "actor": {"mbox": MBOX},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
    },
    "single context activity object": edited(
        minimal(), "context", {"contextActivities": {"parent": {"id": "http://example.com/p"}}}
    ),
    "empty context activity array": edited(
        minimal(), "context", {"contextActivities": {"other": []}}
    ),
    "instructor group": edited(minimal(), "context", {"instructor": ANON_GROUP}),
    "null and empty extension values": edited(
        minimal(),
        "result",
        {"extensions": {"http://example.com/a": None, "http://example.com/b": "", "urn:c": {}}},
    ),
    "empty extensions": edited(minimal(), "context", {"extensions": {}}),
    "oauth authority group": edited(
        minimal(), "authority", {"objectType": "Group", "member": [OAUTH_CONSUMER, {"mbox": MBOX}]}
    ),
    "version 1.0": edited(minimal(), "version", "1.0"),
    "version 1.0.9": edited(minimal(), "version", "1.0.9"),
    "future timestamp": edited(minimal(), "timestamp", "2091-11-25T12:17:43.660Z"),
    "timestamp with offset": edited(minimal(), "timestamp", "2015-06-01T10:00:00.5+05:30"),
    "timestamp without zone": edited(minimal(), "timestamp", "2015-06-01T10:00:00"),
    "basic format timestamp": edited(minimal(), "timestamp", "20150601T100000Z"),
    "stored is validated and accepted": edited(minimal(), "stored", "2015-06-01T10:00:00Z"),
    "score at the bounds": edited(
        minimal(), "result", {"score": {"scaled": -1, "raw": 0, "min": 0, "max": 0.5}}
    ),
    "duration weeks": edited(minimal(), "result", {"duration": "P4W"}),
    "duration fraction beyond hundredths": edited(minimal(), "result", {"duration": "PT0.0001S"}),
    "unicode IRIs and language tags": edited(
        minimal(),
        "verb",
        {"id": "http://example.com/فعل/خواندن", "display": {"zh-Hant-TW": "讀", "sgn-BE-FR": "x"}},
    ),
    "true-false interaction": _interaction("true-false", correctResponsesPattern=["true"]),
    "choice interaction": _interaction("choice", choices=_components("a", "b")),
    "sequencing interaction": _interaction("sequencing", choices=_components("a", "b")),
    "likert interaction": _interaction("likert", scale=_components("1", "2", "3")),
    "matching interaction": _interaction(
        "matching", source=_components("a"), target=_components("a"), correctResponsesPattern=[]
    ),
    "performance interaction": _interaction("performance", steps=_components("s1")),
    "numeric interaction": _interaction("numeric", correctResponsesPattern=["[:]4"]),
    "other interaction": _interaction("other"),
    "attachment without fileUrl": edited(full(), "attachments[0].fileUrl", DELETE),
    "attachment sha512": edited(full(), "attachments[0].sha2", "ab" * 64),
    "substatement with attachments": edited(substatement(), "object.attachments", []),
}


@pytest.mark.parametrize("statement", GOOD.values(), ids=GOOD.keys())
def test_valid_statements_pass(statement: dict[str, Any]) -> None:
    validate_statement(statement)


# (base statement, path to edit or None, new value or DELETE, path the error message starts with)
BAD: dict[str, tuple[dict[str, Any], str | None, Any, str]] = {
    # top level
    "missing actor": (minimal(), "actor", DELETE, "actor:"),
    "missing verb": (minimal(), "verb", DELETE, "verb:"),
    "missing object": (minimal(), "object", DELETE, "object:"),
    "unknown property": (minimal(), "extra", 1, "extra:"),
    "wrong case property": (minimal(), "Actor", {"mbox": MBOX}, "Actor:"),
    "id not a UUID": (minimal(), "id", "not-a-uuid", "id:"),
    "id with 13 trailing digits": (minimal(), "id", "AA97B177-9383-4934-8543-0F91A7A028368", "id:"),
    "id number": (minimal(), "id", 12345, "id:"),
    "id null": (minimal(), "id", None, "id:"),
    "version 1.1.0": (minimal(), "version", "1.1.0", "version:"),
    "version 0.95": (minimal(), "version", "0.95", "version:"),
    "version number": (minimal(), "version", 1.0, "version:"),
    "timestamp unknown offset -00:00": (
        minimal(),
        "timestamp",
        "2008-09-15T15:53:00.601-00:00",
        "timestamp:",
    ),
    "timestamp unknown offset -0000": (
        minimal(),
        "timestamp",
        "2008-09-15T15:53:00-0000",
        "timestamp:",
    ),
    "timestamp unknown offset -00": (
        minimal(),
        "timestamp",
        "2008-09-15T15:53:00-00",
        "timestamp:",
    ),
    "timestamp not a date": (minimal(), "timestamp", "01/011/2015", "timestamp:"),
    "timestamp impossible day": (minimal(), "timestamp", "2015-02-30T10:00:00Z", "timestamp:"),
    "timestamp date only": (minimal(), "timestamp", "2015-02-03", "timestamp:"),
    "stored invalid": (minimal(), "stored", "yesterday", "stored:"),
    "statement not an object": (minimal(), "object", "http://example.com/a", "object:"),
    # actor, agents, groups
    "actor lower-case objectType": (minimal(), "actor.objectType", "agent", "actor.objectType:"),
    "actor objectType Activity": (minimal(), "actor.objectType", "Activity", "actor.objectType:"),
    "actor without IFI": (minimal(), "actor", {"name": "Ann"}, "actor:"),
    "actor with two IFIs": (
        minimal(),
        "actor",
        {"mbox": MBOX, "openid": "https://id.example.com/a"},
        "actor:",
    ),
    "mbox without mailto": (minimal(), "actor.mbox", "ann@example.com", "actor.mbox:"),
    "mbox without @": (minimal(), "actor.mbox", "mailto:ann.example.com", "actor.mbox:"),
    "mbox http IRI": (minimal(), "actor.mbox", "http://should.fail.com", "actor.mbox:"),
    "mbox empty": (minimal(), "actor.mbox", "", "actor.mbox:"),
    "mbox_sha1sum not hex": (
        minimal(),
        "actor",
        {"mbox_sha1sum": "zz9b00a5611f94eaa7b1661edab976068e364975"},
        "actor.mbox_sha1sum:",
    ),
    "mbox_sha1sum object": (minimal(), "actor", {"mbox_sha1sum": {}}, "actor.mbox_sha1sum:"),
    "openid without scheme": (minimal(), "actor", {"openid": "open.id.com/ann"}, "actor.openid:"),
    "account without homePage": (
        minimal(),
        "actor",
        {"account": {"name": "a"}},
        "actor.account.homePage:",
    ),
    "account without name": (
        minimal(),
        "actor",
        {"account": {"homePage": "https://x.example"}},
        "actor.account.name:",
    ),
    "account homePage not IRL": (
        minimal(),
        "actor",
        {"account": {"homePage": "ab=c://x", "name": "a"}},
        "actor.account.homePage:",
    ),
    "account name not string": (
        minimal(),
        "actor",
        {"account": {"homePage": "https://x.example", "name": {}}},
        "actor.account.name:",
    ),
    "account extra property": (
        minimal(),
        "actor",
        {"account": {"homePage": "https://x.example", "name": "a", "id": 1}},
        "actor.account.id:",
    ),
    "agent name null": (minimal(), "actor.name", None, "actor.name:"),
    "agent with member": (minimal(), "actor.member", [], "actor.member:"),
    "anonymous group without member": (
        minimal(),
        "actor",
        {"objectType": "Group"},
        "actor.member:",
    ),
    "anonymous group with empty member": (
        minimal(),
        "actor",
        {"objectType": "Group", "member": []},
        "actor.member:",
    ),
    "group member is a group": (
        minimal(),
        "actor",
        {"objectType": "Group", "member": [IDENTIFIED_GROUP]},
        "actor.member[0].objectType:",
    ),
    "group member without IFI": (
        minimal(),
        "actor",
        {"objectType": "Group", "member": [{"name": "x"}]},
        "actor.member[0]:",
    ),
    "group member bad mbox": (
        minimal(),
        "actor",
        {"objectType": "Group", "member": [{"mbox": MBOX}, {"mbox": "x"}]},
        "actor.member[1].mbox:",
    ),
    "group member not an array": (
        minimal(),
        "actor",
        {"objectType": "Group", "member": {"mbox": MBOX}},
        "actor.member:",
    ),
    "identified group with two IFIs": (
        minimal(),
        "actor",
        {**IDENTIFIED_GROUP, "openid": "https://id.example.com/g"},
        "actor:",
    ),
    # verb
    "verb id missing": (minimal(), "verb.id", DELETE, "verb.id:"),
    "verb id without scheme": (minimal(), "verb.id", "adlnet.gov/expapi/verbs/x", "verb.id:"),
    "verb display string": (minimal(), "verb.display", "answered", "verb.display:"),
    "verb display bad language tag": (
        minimal(),
        "verb.display",
        {"a12345678": "x"},
        "verb.display.a12345678:",
    ),
    "verb display value not string": (
        minimal(),
        "verb.display",
        {"en-US": 1},
        "verb.display.en-US:",
    ),
    "verb extra property": (minimal(), "verb.name", {"en": "x"}, "verb.name:"),
    "voided verb with activity": (
        minimal(),
        "verb.id",
        "http://adlnet.gov/expapi/verbs/voided",
        "object.objectType:",
    ),
    # object: activities and definitions
    "object objectType lower case": (
        minimal(),
        "object.objectType",
        "activity",
        "object.objectType:",
    ),
    "activity without id": (minimal(), "object.id", DELETE, "object.id:"),
    "activity id not IRI": (minimal(), "object.id", "ab=c://should.fail.com", "object.id:"),
    "agent object without objectType": (minimal(), "object", {"mbox": MBOX}, "object.objectType:"),
    "definition not object": (minimal(), "object.definition", "d", "object.definition:"),
    "definition unknown property": (
        minimal(),
        "object.definition",
        {"title": "x"},
        "object.definition.title:",
    ),
    "definition type not IRI": (
        minimal(),
        "object.definition",
        {"type": "meeting"},
        "object.definition.type:",
    ),
    "definition moreInfo not IRL": (
        minimal(),
        "object.definition",
        {"moreInfo": "example.com"},
        "object.definition.moreInfo:",
    ),
    "definition name not a map": (
        minimal(),
        "object.definition",
        {"name": 1},
        "object.definition.name:",
    ),
    "definition extension key not IRI": (
        minimal(),
        "object.definition",
        {"extensions": {"not.valid.com/extension": 1}},
        "object.definition.extensions.not.valid.com/extension:",
    ),
    "interactionType wrong case": (
        _interaction("choice"),
        "object.definition.interactionType",
        "Choice",
        "object.definition.interactionType:",
    ),
    "interactionType missing with choices": (
        _interaction("choice", choices=_components("a")),
        "object.definition.interactionType",
        DELETE,
        "object.definition.interactionType:",
    ),
    "interactionType missing with correctResponsesPattern": (
        _interaction("other", correctResponsesPattern=["x"]),
        "object.definition.interactionType",
        DELETE,
        "object.definition.interactionType:",
    ),
    "scale on a choice interaction": (
        _interaction("choice", scale=_components("a")),
        None,
        None,
        "object.definition.scale:",
    ),
    "choices on a true-false interaction": (
        _interaction("true-false", choices=_components("a")),
        None,
        None,
        "object.definition.choices:",
    ),
    "duplicate component ids": (
        _interaction("choice", choices=_components("a", "a")),
        None,
        None,
        "object.definition.choices[1].id:",
    ),
    "component without id": (
        _interaction("likert", scale=[{"description": {"en": "x"}}]),
        None,
        None,
        "object.definition.scale[0].id:",
    ),
    "component extra property": (
        _interaction("performance", steps=[{"id": "s", "name": "x"}]),
        None,
        None,
        "object.definition.steps[0].name:",
    ),
    "correctResponsesPattern not strings": (
        _interaction("numeric", correctResponsesPattern=[4]),
        None,
        None,
        "object.definition.correctResponsesPattern[0]:",
    ),
    "statement ref without id": (minimal(), "object", {"objectType": "StatementRef"}, "object.id:"),
    "statement ref id not UUID": (
        minimal(),
        "object",
        {"objectType": "StatementRef", "id": "x"},
        "object.id:",
    ),
    "statement ref extra property": (
        minimal(),
        "object",
        {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee", "x": 1},
        "object.x:",
    ),
    # substatements
    "substatement with id": (
        substatement(),
        "object.id",
        "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "object.id:",
    ),
    "substatement with stored": (
        substatement(),
        "object.stored",
        "2015-06-01T10:00:00Z",
        "object.stored:",
    ),
    "substatement with version": (substatement(), "object.version", "1.0.0", "object.version:"),
    "substatement with authority": (
        substatement(),
        "object.authority",
        {"mbox": MBOX},
        "object.authority:",
    ),
    "nested substatement": (
        substatement(),
        "object.object",
        substatement()["object"],
        "object.object.objectType:",
    ),
    "substatement without verb": (substatement(), "object.verb", DELETE, "object.verb:"),
    "substatement bad timestamp": (substatement(), "object.timestamp", "x", "object.timestamp:"),
    "substatement context instructor bad": (
        substatement(),
        "object.context.instructor.mbox",
        "x",
        "object.context.instructor.mbox:",
    ),
    "substatement context activity bad id": (
        substatement(),
        "object.context.contextActivities.parent.id",
        "nope",
        "object.context.contextActivities.parent.id:",
    ),
    # result and score
    "success as string": (minimal(), "result", {"success": "true"}, "result.success:"),
    "completion as number": (minimal(), "result", {"completion": 1}, "result.completion:"),
    "response as number": (minimal(), "result", {"response": 1}, "result.response:"),
    "duration invalid": (minimal(), "result", {"duration": "PA1H0M0S"}, "result.duration:"),
    "duration weeks combined": (minimal(), "result", {"duration": "P4W1D"}, "result.duration:"),
    "duration empty time part": (minimal(), "result", {"duration": "P1DT"}, "result.duration:"),
    "duration bare P": (minimal(), "result", {"duration": "P"}, "result.duration:"),
    "duration fraction not last": (
        minimal(),
        "result",
        {"duration": "PT1.5H3M"},
        "result.duration:",
    ),
    "duration alternative format": (
        minimal(),
        "result",
        {"duration": "P0003-02-01"},
        "result.duration:",
    ),
    "score not an object": (minimal(), "result", {"score": 5}, "result.score:"),
    "scaled above 1": (minimal(), "result", {"score": {"scaled": 1.01}}, "result.score.scaled:"),
    "scaled below -1": (
        minimal(),
        "result",
        {"score": {"scaled": -1.00001}},
        "result.score.scaled:",
    ),
    "raw above max": (minimal(), "result", {"score": {"raw": 11, "max": 10}}, "result.score.raw:"),
    "raw below min": (minimal(), "result", {"score": {"raw": 1, "min": 2}}, "result.score.raw:"),
    "min not below max": (
        minimal(),
        "result",
        {"score": {"min": 5, "max": 5}},
        "result.score.min:",
    ),
    "raw as string": (minimal(), "result", {"score": {"raw": "95"}}, "result.score.raw:"),
    "scaled as boolean": (minimal(), "result", {"score": {"scaled": True}}, "result.score.scaled:"),
    "score extra property": (
        minimal(),
        "result",
        {"score": {"percent": 5}},
        "result.score.percent:",
    ),
    "result extension key not IRI": (
        minimal(),
        "result",
        {"extensions": {"example.com/x": 1}},
        "result.extensions.example.com/x:",
    ),
    "result extensions null": (minimal(), "result", {"extensions": None}, "result.extensions:"),
    # context
    "registration not UUID": (
        full(),
        "context.registration",
        "should fail",
        "context.registration:",
    ),
    "instructor string": (full(), "context.instructor", "ann", "context.instructor:"),
    "team is an agent": (
        full(),
        "context.team",
        {"objectType": "Agent", "mbox": MBOX},
        "context.team.objectType:",
    ),
    "team without objectType": (
        full(),
        "context.team.objectType",
        DELETE,
        "context.team.objectType:",
    ),
    "contextActivities unknown key": (
        full(),
        "context.contextActivities.consequences",
        [],
        "context.contextActivities.consequences:",
    ),
    "context activity not an activity": (
        full(),
        "context.contextActivities.parent[0].objectType",
        "Agent",
        "context.contextActivities.parent[0].objectType:",
    ),
    "context activity id missing": (
        full(),
        "context.contextActivities.parent[0].id",
        DELETE,
        "context.contextActivities.parent[0].id:",
    ),
    "context activity extra property": (
        full(),
        "context.contextActivities.other[0].key",
        "v",
        "context.contextActivities.other[0].key:",
    ),
    "context activities value a string": (
        full(),
        "context.contextActivities.parent",
        "http://x.example",
        "context.contextActivities.parent:",
    ),
    "revision with agent object": (
        edited(minimal(), "object", {"objectType": "Agent", "mbox": MBOX}),
        "context",
        {"revision": "r1"},
        "context.revision:",
    ),
    "platform with statement ref object": (
        edited(
            minimal(),
            "object",
            {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
        ),
        "context",
        {"platform": "web"},
        "context.platform:",
    ),
    "platform with substatement object": (
        substatement(),
        "context",
        {"platform": "web"},
        "context.platform:",
    ),
    "revision number": (full(), "context.revision", 2, "context.revision:"),
    "language invalid": (full(), "context.language", "something", "context.language:"),
    "context statement without objectType": (
        full(),
        "context.statement.objectType",
        DELETE,
        "context.statement.objectType:",
    ),
    "context statement bad id": (full(), "context.statement.id", "nope", "context.statement.id:"),
    "context null value": (full(), "context.registration", None, "context.registration:"),
    # authority
    "authority identified group": (
        minimal(),
        "authority",
        {**IDENTIFIED_GROUP, "member": [OAUTH_CONSUMER, {"mbox": MBOX}]},
        "authority:",
    ),
    "authority group of three": (
        minimal(),
        "authority",
        {
            "objectType": "Group",
            "member": [OAUTH_CONSUMER, {"mbox": MBOX}, {"mbox": "mailto:c@example.com"}],
        },
        "authority.member:",
    ),
    "authority group of one": (
        minimal(),
        "authority",
        {"objectType": "Group", "member": [OAUTH_CONSUMER]},
        "authority.member:",
    ),
    "authority group without oauth consumer": (
        minimal(),
        "authority",
        ANON_GROUP,
        "authority.member:",
    ),
    "authority lower-case objectType": (
        minimal(),
        "authority",
        {"objectType": "agent", "mbox": MBOX},
        "authority.objectType:",
    ),
    # attachments
    "attachments not an array": (full(), "attachments", {}, "attachments:"),
    "attachment not an object": (full(), "attachments[0]", "a", "attachments[0]:"),
    "attachment usageType not IRI": (
        full(),
        "attachments[0].usageType",
        "test",
        "attachments[0].usageType:",
    ),
    "attachment display missing": (
        full(),
        "attachments[0].display",
        DELETE,
        "attachments[0].display:",
    ),
    "attachment display bad tag": (
        full(),
        "attachments[0].display",
        {"a12345678": "x"},
        "attachments[0].display.a12345678:",
    ),
    "attachment contentType number": (
        full(),
        "attachments[0].contentType",
        1,
        "attachments[0].contentType:",
    ),
    "attachment contentType not media type": (
        full(),
        "attachments[0].contentType",
        "text",
        "attachments[0].contentType:",
    ),
    "attachment length string": (full(), "attachments[0].length", "27", "attachments[0].length:"),
    "attachment length negative": (full(), "attachments[0].length", -1, "attachments[0].length:"),
    "attachment length float": (full(), "attachments[0].length", 27.5, "attachments[0].length:"),
    "attachment sha2 empty": (full(), "attachments[0].sha2", "", "attachments[0].sha2:"),
    "attachment sha2 sha1 length": (
        full(),
        "attachments[0].sha2",
        "ab" * 20,
        "attachments[0].sha2:",
    ),
    "attachment fileUrl without scheme": (
        full(),
        "attachments[0].fileUrl",
        "over.there.com/file.txt",
        "attachments[0].fileUrl:",
    ),
    "attachment extra property": (full(), "attachments[0].data", "x", "attachments[0].data:"),
}


@pytest.mark.parametrize(("base", "path", "value", "error_path"), BAD.values(), ids=BAD.keys())
def test_invalid_statements_name_the_path(
    base: dict[str, Any], path: str | None, value: Any, error_path: str
) -> None:
    statement = base if path is None else edited(base, path, value)
    with pytest.raises(BadRequest) as caught:
        validate_statement(statement)
    assert caught.value.message.startswith(error_path), caught.value.message
    assert caught.value.field == error_path.rstrip(":")


def test_case_mistake_in_property_name_gets_a_hint() -> None:
    with pytest.raises(BadRequest, match="did you mean 'timestamp'"):
        validate_statement({**minimal(), "timeStamp": "2015-06-01T10:00:00Z"})


def test_batch_paths_carry_the_statement_index() -> None:
    bad = edited(minimal(), "actor.mbox", "nope")
    with pytest.raises(BadRequest) as caught:
        validate_statements([minimal(), bad])
    assert caught.value.message.startswith("[1].actor.mbox:")


def test_batch_rejects_duplicate_ids_case_insensitively() -> None:
    first = edited(minimal(), "id", "6690e6c9-3ef0-4ed3-8b37-7f3964730bee")
    second = edited(minimal(), "id", "6690E6C9-3EF0-4ED3-8B37-7F3964730BEE")
    with pytest.raises(BadRequest, match=r"^\[1\]\.id: duplicates the id of statement \[0\]"):
        validate_statements([first, second])


@pytest.mark.parametrize("body", [None, "s", 1, True], ids=["null", "string", "number", "bool"])
def test_body_must_be_object_or_array(body: Any) -> None:
    with pytest.raises(BadRequest, match="Statement object or an array"):
        validate_statements(body)


def test_batch_entries_must_be_objects() -> None:
    with pytest.raises(BadRequest, match=r"^\[0\]: must be an object"):
        validate_statements(["x"])


def test_single_statement_and_empty_batch_are_returned_as_lists() -> None:
    statement = minimal()
    assert validate_statements(statement) == [statement]
    assert validate_statements([]) == []


def test_validation_does_not_modify_the_statement() -> None:
    statement = substatement()
    snapshot = repr(statement)
    validate_statements([statement])
    assert repr(statement) == snapshot


@pytest.mark.parametrize(
    ("agent", "ok"),
    [
        ({"mbox": MBOX}, True),
        ({"objectType": "Agent", "account": {"homePage": "https://x.example", "name": "a"}}, True),
        (IDENTIFIED_GROUP, True),
        (ANON_GROUP, False),
        ({"objectType": "Person", "mbox": [MBOX]}, False),
        ({"mbox": "nope"}, False),
    ],
)
def test_agent_parameter(agent: dict[str, Any], ok: bool) -> None:
    if ok:
        validate_agent(agent)
    else:
        with pytest.raises(BadRequest, match=r"^agent"):
            validate_agent(agent)


def test_actor_object_type_required_when_asked() -> None:
    with pytest.raises(BadRequest, match=r"^x\.objectType: is required"):
        validate_actor({"mbox": MBOX}, "x", object_type_required=True)
