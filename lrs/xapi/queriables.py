"""The per-statement lookup fields a store indexes, computed once when a statement is stored.

Learning Locker's queriable arrays (xapi-service ``storeStatements/queriables/*`` and
``postValidationSetup``), built from the statement as stored (after ``normalize_statement``):

``agents``
    IFI strings of the actor and of an Agent/Group object, Group members included.
``relatedAgents``
    ``agents`` plus context ``instructor`` and ``team``, the agents of ``contextAgents`` and the
    groups of ``contextGroups`` (xAPI 2.0.0), the ``authority``, and the actor, object and those
    context people of a SubStatement object (all with Group members).
``verbs``
    ``[verb.id]``.
``activities``
    ``[object.id]`` when the object is an Activity, else ``[]``.
``relatedActivities``
    ``activities`` plus every contextActivities id (parent, grouping, category, other), and the
    object Activity and contextActivities of a SubStatement object.
``registrations``
    ``[context.registration]`` as sent, or ``[]``.

Every array is de-duplicated keeping first-seen order. IFI strings are Learning Locker's (see
``lrs.xapi.agents``): ``mailto:ann@example.com``, ``https://lms.example.com|ann01`` (account
``homePage|name``), the ``openid`` URI, the 40-hex ``mbox_sha1sum``; an Anonymous Group has none,
only its members'. Learning Locker later adds a StatementRef target's arrays to the statements
that reference it; :func:`with_target` does that merge for a store that wants it.

The typed fields are for SQL columns: ``verb_id``; ``object_type`` (``Activity`` when absent);
``object_id`` (the Activity id, the StatementRef id lower-cased, or the Agent/Group IFI string;
``None`` for a SubStatement or an Anonymous Group); ``actor_ifi`` (``None`` for an Anonymous
Group); ``registration`` (lower-cased UUID or ``None``); ``statement_ref_id`` (lower-cased target
id when the object is a StatementRef, else ``None``); ``voiding`` (the verb is
``http://adlnet.gov/expapi/verbs/voided`` and the object a StatementRef).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from lrs.xapi.agents import ifi_string
from lrs.xapi.validate import VOIDED_VERB

__all__ = ["Queriables", "compute_queriables", "with_target"]

_CONTEXT_ACTIVITY_KEYS = ("parent", "grouping", "category", "other")


@dataclass(frozen=True, slots=True)
class Queriables:
    """What a store indexes for one statement (see the module docstring)."""

    agents: tuple[str, ...]
    related_agents: tuple[str, ...]
    verbs: tuple[str, ...]
    activities: tuple[str, ...]
    related_activities: tuple[str, ...]
    registrations: tuple[str, ...]
    verb_id: str
    object_type: str
    object_id: str | None
    actor_ifi: str | None
    registration: str | None
    statement_ref_id: str | None
    voiding: bool

    def as_document(self) -> dict[str, list[str]]:
        """The arrays under Learning Locker's field names, for the stored record."""
        return {
            "agents": list(self.agents),
            "relatedAgents": list(self.related_agents),
            "verbs": list(self.verbs),
            "activities": list(self.activities),
            "relatedActivities": list(self.related_activities),
            "registrations": list(self.registrations),
        }


def _unique(values: list[str | None]) -> tuple[str, ...]:
    """``values`` without ``None`` and repeats, first-seen order kept."""
    found = dict.fromkeys(values)
    found.pop(None, None)
    return tuple(found)  # type: ignore[arg-type]


# JSON objects are tested with ``isinstance(value, dict)``: a statement here is what orjson parsed
# and ``normalize_statement`` returned, and the ``Mapping`` ABC check costs several times more.


def _actor_idents(actor: Any, out: list[str | None]) -> None:
    """Append the IFI of an Agent/Group and, for a Group, its members' IFIs."""
    if not isinstance(actor, dict):
        return
    out.append(ifi_string(actor))
    if actor.get("objectType") == "Group":
        for member in actor.get("member") or ():
            if isinstance(member, dict):
                out.append(ifi_string(member))


def _narrow_agents(statement: Mapping[str, Any], out: list[str | None]) -> None:
    """Actor and object agents of a Statement or SubStatement."""
    _actor_idents(statement.get("actor"), out)
    target = statement.get("object")
    if isinstance(target, dict) and target.get("objectType") in ("Agent", "Group"):
        _actor_idents(target, out)


def _context_agents(context: Any, out: list[str | None]) -> None:
    """Team and instructor agents of a Statement's or SubStatement's context, then the agents
    of its ``contextAgents`` and the groups of its ``contextGroups`` (xAPI 2.0.0)."""
    if not isinstance(context, dict):
        return
    _actor_idents(context.get("team"), out)
    _actor_idents(context.get("instructor"), out)
    for key, member in (("contextAgents", "agent"), ("contextGroups", "group")):
        for item in context.get(key) or ():
            if isinstance(item, dict):
                _actor_idents(item.get(member), out)


def _object_activity(statement: Mapping[str, Any]) -> str | None:
    """The object's Activity id, or ``None`` when the object is not an Activity."""
    target = statement.get("object") or {}
    if target.get("objectType", "Activity") == "Activity":
        return target.get("id")
    return None


def _context_activity_ids(context: Any, out: list[str | None]) -> None:
    """Append every contextActivities id of a Statement's or SubStatement's context."""
    if not isinstance(context, dict):
        return
    activities = context.get("contextActivities")
    if not isinstance(activities, dict):
        return
    for key in _CONTEXT_ACTIVITY_KEYS:
        value = activities.get(key)
        if not value:
            continue
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, dict):
                out.append(item.get("id"))


def compute_queriables(statement: Mapping[str, Any]) -> Queriables:
    """The queriables of a validated (and normalized) statement."""
    target: Mapping[str, Any] = statement.get("object") or {}
    object_type = target.get("objectType", "Activity")
    sub = target if object_type == "SubStatement" else None
    context = statement.get("context")

    agents: list[str | None] = []
    _narrow_agents(statement, agents)
    related = list(agents)
    _context_agents(context, related)
    _actor_idents(statement.get("authority"), related)
    if sub is not None:
        _narrow_agents(sub, related)
        _context_agents(sub.get("context"), related)

    activity = target.get("id") if object_type == "Activity" else None
    related_activities: list[str | None] = [activity]
    _context_activity_ids(context, related_activities)
    if sub is not None:
        related_activities.append(_object_activity(sub))
        _context_activity_ids(sub.get("context"), related_activities)

    registration = context.get("registration") if isinstance(context, dict) else None
    verb_id = statement["verb"]["id"]
    statement_ref_id = None
    if object_type == "StatementRef":
        statement_ref_id = target["id"].lower()
        object_id: str | None = statement_ref_id
    elif object_type in ("Agent", "Group"):
        object_id = ifi_string(target)
    else:
        object_id = activity
    return Queriables(
        agents=_unique(agents),
        related_agents=_unique(related),
        verbs=(verb_id,),
        activities=(activity,) if activity is not None else (),
        related_activities=_unique(related_activities),
        registrations=(registration,) if registration is not None else (),
        verb_id=verb_id,
        object_type=object_type,
        object_id=object_id,
        actor_ifi=ifi_string(statement["actor"]),
        registration=registration.lower() if registration is not None else None,
        statement_ref_id=statement_ref_id,
        voiding=verb_id == VOIDED_VERB and statement_ref_id is not None,
    )


def with_target(referencing: Queriables, target: Queriables) -> Queriables:
    """``referencing`` with a StatementRef target's arrays added (Learning Locker's refs pass).

    Only the arrays change; the typed fields stay those of the referencing statement.
    """
    return replace(
        referencing,
        agents=_unique([*referencing.agents, *target.agents]),
        related_agents=_unique([*referencing.related_agents, *target.related_agents]),
        verbs=_unique([*referencing.verbs, *target.verbs]),
        activities=_unique([*referencing.activities, *target.activities]),
        related_activities=_unique([*referencing.related_activities, *target.related_activities]),
        registrations=_unique([*referencing.registrations, *target.registrations]),
    )
