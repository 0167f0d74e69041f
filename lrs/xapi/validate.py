"""Validation of xAPI Statements (xAPI-Data 2.2 to 2.4, and 4) as the ADL suites test it.

The rules are 1.0.3's; under xAPI 2.0.0 (the ``version`` argument) a context may also hold
``contextAgents`` and ``contextGroups``, and a statement's ``version`` may be 2.0.x.

Every object is closed: a property the spec does not define for that object is rejected, and
property names are case-sensitive (Data 2.2.s4.b1.b5, b1.b7, s4.b8). ``null`` is rejected
everywhere except inside ``extensions`` values. Each failure raises
:class:`lrs.core.errors.BadRequest` whose message starts with the JSON path at fault, e.g.
``actor.mbox: ...`` or ``context.contextActivities.parent[0].id: ...``; ``BadRequest.field`` holds
the same path. In a batch the path starts with the statement's index:
``[2].object.definition.type: ...``.

The validators never modify their input and run on the parsed JSON (``dict``/``list``/``str``/
``int``/``float``/``bool``/``None``) as ``orjson`` or ``json`` produce it.

Beyond the per-object rules this module enforces:

* ``context.revision`` / ``context.platform`` only when the object is an Activity (Data 2.4.6.s4);
* the voided verb ``http://adlnet.gov/expapi/verbs/voided`` needs a ``StatementRef`` object;
* a SubStatement has no ``id``/``stored``/``version``/``authority`` and no SubStatement object;
* ``authority`` is an Agent, or an anonymous Group of exactly two Agents one of which is
  identified by ``account`` (the OAuth consumer, Data 2.4.9.s3.b1, s7.b2);
* interaction definitions: ``interactionType`` is required when any interaction property is
  present, and only the component lists its type supports are allowed (Data 2.4.4.1.s15), with
  distinct component ids (s16.b1);
* ``result.score``: ``scaled`` in [-1, 1], ``min`` < ``max``, ``min`` <= ``raw`` <= ``max``;
* duplicate statement ids inside one batch (Communication 2.1.2.s2.b6).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from lrs.core.errors import BadRequest
from lrs.xapi.datatypes import (
    INTERACTION_TYPES,
    is_duration,
    is_iri,
    is_language_tag,
    is_mailto_iri,
    is_media_type,
    is_sha1_hex,
    is_sha2_hex,
    is_uuid,
)
from lrs.xapi.timestamps import is_timestamp
from lrs.xapi.versions import XAPI_1_0_3, XapiVersion

__all__ = [
    "VOIDED_VERB",
    "validate_activity_id",
    "validate_actor",
    "validate_agent",
    "validate_language_tag",
    "validate_statement",
    "validate_statements",
    "validate_timestamp",
    "validate_uuid",
]

#: The reserved verb of a voiding statement (Data 2.3.2).
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"

_STATEMENT_KEYS = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    }
)
_SUBSTATEMENT_KEYS = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
_SUBSTATEMENT_FORBIDDEN = ("id", "stored", "version", "authority")
_AGENT_KEYS = frozenset({"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"})
_GROUP_KEYS = _AGENT_KEYS | {"member"}
_ACCOUNT_KEYS = frozenset({"homePage", "name"})
_VERB_KEYS = frozenset({"id", "display"})
_ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
_STATEMENT_REF_KEYS = frozenset({"objectType", "id"})
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_DEFINITION_KEYS = frozenset(
    {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        *_COMPONENT_LISTS,
    }
)
_INTERACTION_KEYS = ("correctResponsesPattern", *_COMPONENT_LISTS)
_LISTS_BY_INTERACTION: dict[str, frozenset[str]] = {
    "choice": frozenset({"choices"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
}
_COMPONENT_KEYS = frozenset({"id", "description"})
_RESULT_KEYS = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
_SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})
_CONTEXT_KEYS = frozenset(
    {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
)
#: What xAPI 2.0.0 adds to a Context (9274.1.1, 4.2.2.5): people and teams with their roles.
_CONTEXT_2_0_KEYS = frozenset({"contextAgents", "contextGroups"})
_CONTEXT_AGENT_KEYS = frozenset({"objectType", "agent", "relevantTypes"})
_CONTEXT_GROUP_KEYS = frozenset({"objectType", "group", "relevantTypes"})
_CONTEXT_ACTIVITY_KEYS = frozenset({"parent", "grouping", "category", "other"})
_ATTACHMENT_KEYS = frozenset(
    {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
)
_ATTACHMENT_REQUIRED = ("usageType", "display", "contentType", "length", "sha2")
_OBJECT_TYPES = ("Activity", "Agent", "Group", "SubStatement", "StatementRef")

# Lower-cased spellings of every property name the spec defines, to hint at case mistakes.
_KNOWN_KEYS: dict[str, str] = {
    key.lower(): key
    for keys in (
        _STATEMENT_KEYS,
        _SUBSTATEMENT_KEYS,
        _GROUP_KEYS,
        _ACCOUNT_KEYS,
        _DEFINITION_KEYS,
        _CONTEXT_2_0_KEYS,
        _CONTEXT_AGENT_KEYS,
        _RESULT_KEYS,
        _SCORE_KEYS,
        _CONTEXT_KEYS,
        _CONTEXT_ACTIVITY_KEYS,
        _ATTACHMENT_KEYS,
    )
    for key in keys
}


# --- helpers -------------------------------------------------------------------------------------


def _fail(path: str, message: str) -> NoReturn:
    """Raise the ``BadRequest`` for ``path``: ``"<path>: <message>"``."""
    raise BadRequest(f"{path or 'statement'}: {message}", field=path or None)


def _join(path: str, key: str) -> str:
    """``path.key``, or just ``key`` at the root."""
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    """The JSON type of ``value``, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _show(value: Any) -> str:
    """``repr(value)``, cut to 80 characters, for messages."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _object_at(value: Any, path: str) -> dict[str, Any]:
    """``value`` if it is a JSON object, else fail."""
    if not isinstance(value, dict):
        _fail(path, f"must be an object, not {_kind(value)}")
    return value


def _closed(obj: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
    """Fail on the first property of ``obj`` that is not in ``allowed``."""
    if obj.keys() <= allowed:
        return
    for key in obj:
        if key not in allowed:
            known = _KNOWN_KEYS.get(key.lower()) if isinstance(key, str) else None
            hint = f" (names are case-sensitive: did you mean '{known}'?)" if known else ""
            _fail(_join(path, key), f"is not an allowed property here{hint}")


def _string(value: Any, path: str) -> str:
    """``value`` if it is a string, else fail."""
    if not isinstance(value, str):
        _fail(path, f"must be a string, not {_kind(value)}")
    return value


def _iri(value: Any, path: str, what: str = "an IRI") -> None:
    """Fail unless ``value`` is an absolute IRI (scheme required)."""
    if not is_iri(_string(value, path)):
        _fail(path, f"must be {what} with a scheme, got {_show(value)}")


def _number(value: Any, path: str) -> float:
    """``value`` if it is a JSON number (not a boolean), else fail."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        _fail(path, f"must be a number, not {_kind(value)}")
    return value


def _boolean(value: Any, path: str) -> None:
    """Fail unless ``value`` is ``true`` or ``false``."""
    if not isinstance(value, bool):
        _fail(path, f"must be a boolean, not {_kind(value)}")


def _language_map(value: Any, path: str) -> None:
    """A language map: RFC 5646 tags to strings (Data 4.2)."""
    for tag, text in _object_at(value, path).items():
        if not is_language_tag(tag):
            _fail(_join(path, tag), "is not a valid RFC 5646 language tag")
        if not isinstance(text, str):
            _fail(_join(path, tag), f"must be a string, not {_kind(text)}")


def _extensions(value: Any, path: str) -> None:
    """Extensions: IRI keys; any value, ``null`` included (Data 4.1)."""
    for key in _object_at(value, path):
        if not is_iri(key):
            _fail(_join(path, key), "extension keys must be IRIs with a scheme")


# --- public checks for single values (also used by the HTTP parameter parsers) -------------------


def validate_uuid(value: Any, path: str) -> str:
    """``value`` if it is a UUID string in standard form, else ``BadRequest`` naming ``path``."""
    if not is_uuid(_string(value, path)):
        _fail(path, f"must be a UUID in standard string form, got {_show(value)}")
    return value


def validate_timestamp(value: Any, path: str) -> str:
    """``value`` if it is an ISO 8601 Timestamp (see ``lrs.xapi.timestamps``), else fail."""
    if not is_timestamp(_string(value, path)):
        _fail(path, f"must be an ISO 8601 timestamp, got {_show(value)}")
    return value


def validate_activity_id(value: Any, path: str) -> str:
    """``value`` if it is an IRI usable as an Activity id, else fail."""
    _iri(value, path)
    return value


def validate_language_tag(value: Any, path: str) -> str:
    """``value`` if it is a well-formed RFC 5646 language tag, else fail."""
    if not is_language_tag(_string(value, path)):
        _fail(path, f"must be an RFC 5646 language tag, got {_show(value)}")
    return value


# --- agents and groups ---------------------------------------------------------------------------


def _account(value: Any, path: str) -> None:
    """An Account object: ``homePage`` IRL and ``name`` string, both required (Data 2.4.2.4)."""
    prefix = f"{path}." if path else ""
    account = _object_at(value, path)
    _closed(account, _ACCOUNT_KEYS, path)
    if "homePage" not in account:
        _fail(f"{prefix}homePage", "is required")
    if "name" not in account:
        _fail(f"{prefix}name", "is required")
    _iri(account["homePage"], f"{prefix}homePage", "an IRL")
    _string(account["name"], f"{prefix}name")


def _ifi_count(obj: Mapping[str, Any], path: str) -> int:
    """Validate each IFI property present on ``obj`` and return how many there are."""
    prefix = f"{path}." if path else ""
    count = 0
    if "mbox" in obj:
        count += 1
        mbox = obj["mbox"]
        if not is_mailto_iri(_string(mbox, f"{prefix}mbox")):
            _fail(f"{prefix}mbox", f"must be 'mailto:' and an e-mail address, got {_show(mbox)}")
    if "mbox_sha1sum" in obj:
        count += 1
        sha1 = obj["mbox_sha1sum"]
        if not is_sha1_hex(_string(sha1, f"{prefix}mbox_sha1sum")):
            _fail(f"{prefix}mbox_sha1sum", f"must be a hex SHA-1 digest, got {_show(sha1)}")
    if "openid" in obj:
        count += 1
        _iri(obj["openid"], f"{prefix}openid", "a URI")
    if "account" in obj:
        count += 1
        _account(obj["account"], f"{prefix}account")
    return count


def _agent(obj: dict[str, Any], path: str) -> None:
    """An Agent: exactly one IFI, optional ``name`` (Data 2.4.2.1)."""
    prefix = f"{path}." if path else ""
    _closed(obj, _AGENT_KEYS, path)
    if "name" in obj:
        _string(obj["name"], f"{prefix}name")
    count = _ifi_count(obj, path)
    if count != 1:
        _fail(
            path,
            "an Agent must have exactly one of mbox, mbox_sha1sum, openid, account"
            f" (found {count})",
        )


def _group(obj: dict[str, Any], path: str) -> int:
    """A Group, anonymous or identified (Data 2.4.2.2); returns its number of members."""
    prefix = f"{path}." if path else ""
    _closed(obj, _GROUP_KEYS, path)
    if "name" in obj:
        _string(obj["name"], f"{prefix}name")
    count = _ifi_count(obj, path)
    if count > 1:
        _fail(path, f"an Identified Group must have exactly one IFI (found {count})")
    members = obj.get("member")
    if members is None and "member" not in obj:
        if count == 0:
            _fail(f"{prefix}member", "is required for an Anonymous Group (a Group with no IFI)")
        return 0
    member_path = f"{prefix}member"
    if not isinstance(members, list):
        _fail(member_path, f"must be an array of Agents, not {_kind(members)}")
    if count == 0 and not members:
        _fail(member_path, "an Anonymous Group must list at least one member")
    for index, member in enumerate(members):
        item_path = f"{member_path}[{index}]"
        agent = _object_at(member, item_path)
        object_type = agent.get("objectType", "Agent")
        if object_type == "Group":
            _fail(f"{item_path}.objectType", "a Group's members must be Agents, not Groups")
        if object_type != "Agent":
            _fail(f"{item_path}.objectType", f"must be 'Agent', got {_show(object_type)}")
        _agent(agent, item_path)
    return len(members)


def validate_actor(value: Any, path: str, *, object_type_required: bool = False) -> None:
    """An Agent or a Group (``objectType`` defaults to Agent unless ``object_type_required``)."""
    prefix = f"{path}." if path else ""
    obj = _object_at(value, path)
    if "objectType" not in obj:
        if object_type_required:
            _fail(f"{prefix}objectType", "is required ('Agent' or 'Group')")
        _agent(obj, path)
        return
    object_type = obj["objectType"]
    if object_type == "Agent":
        _agent(obj, path)
    elif object_type == "Group":
        _group(obj, path)
    else:
        _fail(f"{prefix}objectType", f"must be 'Agent' or 'Group', got {_show(object_type)}")


def validate_agent(value: Any, path: str = "agent") -> None:
    """An Agent, or an Identified Group, as the ``agent`` query parameter takes (Comm. 2.1.3)."""
    obj = _object_at(value, path)
    validate_actor(obj, path)
    if obj.get("objectType") == "Group" and not any(
        key in obj for key in ("mbox", "mbox_sha1sum", "openid", "account")
    ):
        _fail(path, "must be an Agent or an Identified Group (an IFI is required)")


def _team(value: Any, path: str) -> None:
    """``context.team``: a Group, so ``objectType: "Group"`` is required."""
    prefix = f"{path}." if path else ""
    obj = _object_at(value, path)
    object_type = obj.get("objectType")
    if object_type != "Group":
        _fail(
            f"{prefix}objectType", f"must be 'Group' (a team is a Group), got {_show(object_type)}"
        )
    _group(obj, path)


def _authority(value: Any, path: str) -> None:
    """``authority``: an Agent, or an anonymous Group of two Agents, one with an account."""
    prefix = f"{path}." if path else ""
    obj = _object_at(value, path)
    validate_actor(obj, path)
    if obj.get("objectType") != "Group":
        return
    if any(key in obj for key in ("mbox", "mbox_sha1sum", "openid", "account")):
        _fail(path, "an authority Group must be anonymous (the OAuth consumer and the user)")
    members = obj["member"]
    if len(members) != 2:
        _fail(
            f"{prefix}member",
            f"an authority Group must have exactly 2 Agents, not {len(members)}",
        )
    if not any("account" in member for member in members):
        _fail(f"{prefix}member", "one authority member (the OAuth consumer) needs an account")


# --- verb, activities, objects -------------------------------------------------------------------


def _verb(value: Any, path: str) -> str:
    """A Verb: ``id`` IRI, optional ``display`` language map. Returns the id."""
    prefix = f"{path}." if path else ""
    verb = _object_at(value, path)
    _closed(verb, _VERB_KEYS, path)
    if "id" not in verb:
        _fail(f"{prefix}id", "is required")
    _iri(verb["id"], f"{prefix}id")
    if "display" in verb:
        _language_map(verb["display"], f"{prefix}display")
    return verb["id"]


def _components(value: Any, path: str) -> None:
    """An interaction component list: objects with distinct string ``id`` s."""
    if not isinstance(value, list):
        _fail(path, f"must be an array of interaction components, not {_kind(value)}")
    seen: set[str] = set()
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        component = _object_at(item, item_path)
        _closed(component, _COMPONENT_KEYS, item_path)
        if "id" not in component:
            _fail(f"{item_path}.id", "is required")
        component_id = _string(component["id"], f"{item_path}.id")
        if component_id in seen:
            _fail(f"{item_path}.id", f"{_show(component_id)} is used twice in this list")
        seen.add(component_id)
        if "description" in component:
            _language_map(component["description"], f"{item_path}.description")


def _definition(value: Any, path: str) -> None:
    """An Activity Definition, including the interaction properties (Data 2.4.4.1)."""
    prefix = f"{path}." if path else ""
    definition = _object_at(value, path)
    _closed(definition, _DEFINITION_KEYS, path)
    if "name" in definition:
        _language_map(definition["name"], f"{prefix}name")
    if "description" in definition:
        _language_map(definition["description"], f"{prefix}description")
    if "type" in definition:
        _iri(definition["type"], f"{prefix}type")
    if "moreInfo" in definition:
        _iri(definition["moreInfo"], f"{prefix}moreInfo", "an IRL")
    if "extensions" in definition:
        _extensions(definition["extensions"], f"{prefix}extensions")
    if "interactionType" not in definition:
        for key in _INTERACTION_KEYS:
            if key in definition:
                _fail(f"{prefix}interactionType", f"is required when '{key}' is present")
        return
    interaction = definition["interactionType"]
    if not isinstance(interaction, str) or interaction not in INTERACTION_TYPES:
        _fail(
            f"{prefix}interactionType",
            f"must be one of {', '.join(sorted(INTERACTION_TYPES))}; got {_show(interaction)}",
        )
    if "correctResponsesPattern" in definition:
        pattern_path = f"{prefix}correctResponsesPattern"
        patterns = definition["correctResponsesPattern"]
        if not isinstance(patterns, list):
            _fail(pattern_path, f"must be an array of strings, not {_kind(patterns)}")
        for index, pattern in enumerate(patterns):
            _string(pattern, f"{pattern_path}[{index}]")
    allowed = _LISTS_BY_INTERACTION.get(interaction, frozenset())
    for key in _COMPONENT_LISTS:
        if key in definition:
            if key not in allowed:
                _fail(
                    _join(path, key), f"is not supported for interactionType {_show(interaction)}"
                )
            _components(definition[key], f"{prefix}{key}")


def _activity(obj: dict[str, Any], path: str) -> None:
    """An Activity object (``objectType`` already known to be absent or ``Activity``)."""
    prefix = f"{path}." if path else ""
    _closed(obj, _ACTIVITY_KEYS, path)
    if "id" not in obj:
        _fail(f"{prefix}id", "is required")
    _iri(obj["id"], f"{prefix}id")
    if "definition" in obj:
        _definition(obj["definition"], f"{prefix}definition")


def _activity_at(value: Any, path: str) -> None:
    """A value that must be an Activity (context activities)."""
    prefix = f"{path}." if path else ""
    obj = _object_at(value, path)
    object_type = obj.get("objectType", "Activity")
    if object_type != "Activity":
        _fail(f"{prefix}objectType", f"must be 'Activity', got {_show(object_type)}")
    _activity(obj, path)


def _statement_ref(obj: dict[str, Any], path: str) -> None:
    """A Statement Reference: ``objectType`` and a UUID ``id``."""
    prefix = f"{path}." if path else ""
    _closed(obj, _STATEMENT_REF_KEYS, path)
    if "id" not in obj:
        _fail(f"{prefix}id", "is required")
    validate_uuid(obj["id"], f"{prefix}id")


def _object(value: Any, path: str, *, nested: bool, version: XapiVersion) -> str:
    """A statement's ``object``; returns its objectType (``Activity`` when absent)."""
    prefix = f"{path}." if path else ""
    obj = _object_at(value, path)
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        if (
            "objectType" not in obj
            and "id" not in obj
            and any(key in obj for key in ("mbox", "mbox_sha1sum", "openid", "account", "member"))
        ):
            _fail(f"{prefix}objectType", "is required when the object is an Agent or Group")
        _activity(obj, path)
    elif object_type in ("Agent", "Group"):
        validate_actor(obj, path, object_type_required=True)
    elif object_type == "StatementRef":
        _statement_ref(obj, path)
    elif object_type == "SubStatement":
        if nested:
            _fail(f"{prefix}objectType", "a SubStatement cannot contain another SubStatement")
        _statement_body(obj, path, substatement=True, version=version)
    else:
        _fail(
            f"{prefix}objectType",
            f"must be one of {', '.join(_OBJECT_TYPES)}; got {_show(object_type)}",
        )
    return object_type


# --- result, context, attachments ----------------------------------------------------------------


def _score(value: Any, path: str) -> None:
    """A Score: numbers; ``scaled`` in [-1, 1]; ``min`` < ``max``; ``raw`` within them."""
    prefix = f"{path}." if path else ""
    score = _object_at(value, path)
    _closed(score, _SCORE_KEYS, path)
    for key in ("scaled", "raw", "min", "max"):
        if key in score:
            _number(score[key], f"{prefix}{key}")
    if "scaled" in score and not -1 <= score["scaled"] <= 1:
        _fail(f"{prefix}scaled", f"must be between -1 and 1, got {_show(score['scaled'])}")
    low, high, raw = score.get("min"), score.get("max"), score.get("raw")
    if low is not None and high is not None and not low < high:
        _fail(f"{prefix}min", f"must be less than max ({_show(low)} >= {_show(high)})")
    if raw is not None:
        if low is not None and raw < low:
            _fail(f"{prefix}raw", f"must not be less than min ({_show(raw)} < {_show(low)})")
        if high is not None and raw > high:
            _fail(f"{prefix}raw", f"must not be greater than max ({_show(raw)} > {_show(high)})")


def _result(value: Any, path: str) -> None:
    """A Result object (Data 2.4.5)."""
    prefix = f"{path}." if path else ""
    result = _object_at(value, path)
    _closed(result, _RESULT_KEYS, path)
    if "score" in result:
        _score(result["score"], f"{prefix}score")
    if "success" in result:
        _boolean(result["success"], f"{prefix}success")
    if "completion" in result:
        _boolean(result["completion"], f"{prefix}completion")
    if "response" in result:
        _string(result["response"], f"{prefix}response")
    if "duration" in result:
        duration = result["duration"]
        if not is_duration(_string(duration, f"{prefix}duration")):
            _fail(f"{prefix}duration", f"must be an ISO 8601 duration, got {_show(duration)}")
    if "extensions" in result:
        _extensions(result["extensions"], f"{prefix}extensions")


def _context_activities(value: Any, path: str) -> None:
    """contextActivities: parent/grouping/category/other, each an Activity or array of them."""
    prefix = f"{path}." if path else ""
    activities = _object_at(value, path)
    _closed(activities, _CONTEXT_ACTIVITY_KEYS, path)
    for key, entry in activities.items():
        entry_path = f"{prefix}{key}"
        if isinstance(entry, list):
            for index, item in enumerate(entry):
                _activity_at(item, f"{entry_path}[{index}]")
        elif isinstance(entry, dict):
            _activity_at(entry, entry_path)
        else:
            _fail(entry_path, f"must be an Activity or an array of Activities, not {_kind(entry)}")


def _relevant_types(value: Any, path: str) -> None:
    """``relevantTypes`` of a contextAgent or contextGroup: a non-empty array of IRIs."""
    if not isinstance(value, list) or not value:
        _fail(path, f"must be a non-empty array of IRIs, not {_show(value)}")
    for index, item in enumerate(value):
        _iri(item, f"{path}[{index}]")


def _context_people(context: dict[str, Any], path: str) -> None:
    """``contextAgents`` and ``contextGroups`` (xAPI 2.0.0): arrays of contextAgent objects
    (an Agent with the types of its role) and of contextGroup objects (a Group, likewise)."""
    prefix = f"{path}." if path else ""
    for key, object_type, member, keys in (
        ("contextAgents", "contextAgent", "agent", _CONTEXT_AGENT_KEYS),
        ("contextGroups", "contextGroup", "group", _CONTEXT_GROUP_KEYS),
    ):
        if key not in context:
            continue
        items = context[key]
        if not isinstance(items, list):
            _fail(
                f"{prefix}{key}", f"must be an array of {object_type} objects, not {_kind(items)}"
            )
        for index, item in enumerate(items):
            item_path = f"{prefix}{key}[{index}]"
            obj = _object_at(item, item_path)
            _closed(obj, keys, item_path)
            if obj.get("objectType") != object_type:
                _fail(
                    f"{item_path}.objectType",
                    f"must be {object_type!r}, got {_show(obj.get('objectType'))}",
                )
            if member not in obj:
                _fail(f"{item_path}.{member}", "is required")
            if member == "agent":
                agent = _object_at(obj["agent"], f"{item_path}.agent")
                if agent.get("objectType", "Agent") != "Agent":
                    _fail(
                        f"{item_path}.agent.objectType",
                        f"must be 'Agent', got {_show(agent.get('objectType'))}",
                    )
                _agent(agent, f"{item_path}.agent")
            else:
                _team(obj["group"], f"{item_path}.group")
            if "relevantTypes" in obj:
                _relevant_types(obj["relevantTypes"], f"{item_path}.relevantTypes")


def _context(value: Any, path: str, object_type: str, version: XapiVersion) -> None:
    """A Context object (Data 2.4.6); ``object_type`` is the statement object's type; xAPI
    2.0.0 adds ``contextAgents`` and ``contextGroups``."""
    prefix = f"{path}." if path else ""
    context = _object_at(value, path)
    if version.context_agents:
        _closed(context, _CONTEXT_KEYS | _CONTEXT_2_0_KEYS, path)
        _context_people(context, path)
    else:
        for key in sorted(_CONTEXT_2_0_KEYS & context.keys()):
            _fail(
                _join(path, key),
                "is an xAPI 2.0.0 property; send X-Experience-API-Version: 2.0.0 to use it",
            )
        _closed(context, _CONTEXT_KEYS, path)
    if "registration" in context:
        validate_uuid(context["registration"], f"{prefix}registration")
    if "instructor" in context:
        validate_actor(context["instructor"], f"{prefix}instructor")
    if "team" in context:
        _team(context["team"], f"{prefix}team")
    if "contextActivities" in context:
        _context_activities(context["contextActivities"], f"{prefix}contextActivities")
    for key in ("revision", "platform"):
        if key in context:
            _string(context[key], f"{prefix}{key}")
            if object_type != "Activity":
                _fail(
                    _join(path, key), "may only be used when the statement's object is an Activity"
                )
    if "language" in context:
        validate_language_tag(context["language"], f"{prefix}language")
    if "statement" in context:
        ref_path = f"{prefix}statement"
        ref = _object_at(context["statement"], ref_path)
        if ref.get("objectType") != "StatementRef":
            _fail(f"{ref_path}.objectType", "must be 'StatementRef'")
        _statement_ref(ref, ref_path)
    if "extensions" in context:
        _extensions(context["extensions"], f"{prefix}extensions")


def _attachments(value: Any, path: str) -> None:
    """The attachments array: Attachment objects (Data 2.4.11)."""
    if not isinstance(value, list):
        _fail(path, f"must be an array of Attachment objects, not {_kind(value)}")
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        attachment = _object_at(item, item_path)
        _closed(attachment, _ATTACHMENT_KEYS, item_path)
        for key in _ATTACHMENT_REQUIRED:
            if key not in attachment:
                _fail(_join(item_path, key), "is required")
        _iri(attachment["usageType"], f"{item_path}.usageType")
        _language_map(attachment["display"], f"{item_path}.display")
        if "description" in attachment:
            _language_map(attachment["description"], f"{item_path}.description")
        content_type = attachment["contentType"]
        if not is_media_type(_string(content_type, f"{item_path}.contentType")):
            _fail(f"{item_path}.contentType", f"must be a media type, got {_show(content_type)}")
        length = attachment["length"]
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            _fail(f"{item_path}.length", f"must be a non-negative integer, got {_show(length)}")
        sha2 = attachment["sha2"]
        if not is_sha2_hex(_string(sha2, f"{item_path}.sha2")):
            _fail(f"{item_path}.sha2", f"must be a hex SHA-2 digest, got {_show(sha2)}")
        if "fileUrl" in attachment:
            _iri(attachment["fileUrl"], f"{item_path}.fileUrl", "an IRL")


# --- statements ----------------------------------------------------------------------------------


def _statement_body(
    obj: dict[str, Any], path: str, *, substatement: bool, version: XapiVersion
) -> None:
    """What a Statement and a SubStatement share: actor, verb, object, result, context, ..."""
    prefix = f"{path}." if path else ""
    if substatement:
        for key in _SUBSTATEMENT_FORBIDDEN:
            if key in obj:
                _fail(_join(path, key), "is not allowed in a SubStatement")
        _closed(obj, _SUBSTATEMENT_KEYS, path)
    else:
        _closed(obj, _STATEMENT_KEYS, path)
    for key in ("actor", "verb", "object"):
        if key not in obj:
            _fail(_join(path, key), "is required")
    validate_actor(obj["actor"], f"{prefix}actor")
    verb_id = _verb(obj["verb"], f"{prefix}verb")
    object_type = _object(obj["object"], f"{prefix}object", nested=substatement, version=version)
    if verb_id == VOIDED_VERB and object_type != "StatementRef":
        _fail(
            f"{prefix}object.objectType",
            "a voiding statement's object must be a StatementRef",
        )
    if "result" in obj:
        _result(obj["result"], f"{prefix}result")
    if "context" in obj:
        _context(obj["context"], f"{prefix}context", object_type, version)
    if "timestamp" in obj:
        validate_timestamp(obj["timestamp"], f"{prefix}timestamp")
    if "attachments" in obj:
        _attachments(obj["attachments"], f"{prefix}attachments")


def validate_statement(statement: Any, path: str = "", version: XapiVersion = XAPI_1_0_3) -> None:
    """Validate one Statement under ``version``'s rules; ``path`` prefixes every error path
    (``""`` at the root)."""
    prefix = f"{path}." if path else ""
    obj = _object_at(statement, path)
    _statement_body(obj, path, substatement=False, version=version)
    if "id" in obj:
        validate_uuid(obj["id"], f"{prefix}id")
    if "stored" in obj:
        validate_timestamp(obj["stored"], f"{prefix}stored")
    if "authority" in obj:
        _authority(obj["authority"], f"{prefix}authority")
    if "version" in obj:
        _statement_version(obj["version"], f"{prefix}version", version)


def _statement_version(value: Any, path: str, version: XapiVersion) -> None:
    """A statement's ``version``: 1.0 or 1.0.x, and under xAPI 2.0.0 also 2.0 or 2.0.x."""
    if version.statement_versions.fullmatch(_string(value, path)) is None:
        _fail(
            path,
            f"must be {version.statement_versions_text} under xAPI {version.name}, "
            f"got {_show(value)}",
        )


def validate_statements(body: Any, version: XapiVersion = XAPI_1_0_3) -> list[dict[str, Any]]:
    """Validate a PUT/POST body (one Statement or an array) under ``version``'s rules and return
    it as a list.

    Paths of statements in an array start with their index (``[3].verb.id``). Two statements of a
    batch with the same id (compared case-insensitively) are rejected.
    """
    if isinstance(body, dict):
        validate_statement(body, version=version)
        return [body]
    if not isinstance(body, list):
        raise BadRequest(
            f"the body must be a Statement object or an array of Statements, not {_kind(body)}"
        )
    seen: dict[str, int] = {}
    for index, statement in enumerate(body):
        path = f"[{index}]"
        validate_statement(statement, path, version)
        statement_id = statement.get("id")
        if statement_id is not None:
            key = statement_id.lower()
            if key in seen:
                _fail(f"{path}.id", f"duplicates the id of statement [{seen[key]}] in this batch")
            seen[key] = index
    return body
