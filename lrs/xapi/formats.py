"""The three ``format`` renderings of a stored Statement for GET /statements (Communication 2.1.3).

* ``exact``: the statement as stored, unchanged.
* ``ids``: Agents and Identified Groups keep ``objectType`` (when present) and their one IFI;
  Anonymous Groups keep ``objectType`` and their members in ``ids`` form; Activities keep only
  ``id``; Verbs keep only ``id`` (no ``display``, Data 2.4.3.s6.b2). This applies to the actor,
  object, authority, context instructor/team/contextActivities, the agent of each contextAgent
  and the group of each contextGroup (xAPI 2.0.0), and inside a SubStatement.
  Everything else (result, timestamps, attachments, StatementRefs, ...) is kept.
* ``canonical``: every Activity's ``definition`` is the LRS's canonical one (looked up through
  ``activity_definition``, falling back to the statement's own), and every language map in it
  (``name``, ``description``, interaction components' ``description``) keeps one language, chosen
  by the request's ``Accept-Language``; a Verb's ``display`` likewise (canonical display via
  ``verb_display``). Agents and Groups are returned as in ``exact``.

The functions return new objects for what they change and share the rest with the input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from lrs.xapi.agents import IFI_KEYS
from lrs.xapi.languages import LanguagePreferences, choose_language

__all__ = ["Format", "format_canonical", "format_ids", "format_statement"]

Format = Literal["exact", "ids", "canonical"]
#: Looks up the LRS's canonical definition (or verb display) for an id; ``None`` when unknown.
Lookup = Callable[[str], Mapping[str, Any] | None]

_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


# --- ids -----------------------------------------------------------------------------------------


def _ids_actor(actor: Mapping[str, Any]) -> dict[str, Any]:
    """An Agent or Group reduced to ``objectType`` + IFI (anonymous Group: + members' IFIs)."""
    result: dict[str, Any] = {}
    if "objectType" in actor:
        result["objectType"] = actor["objectType"]
    for key in IFI_KEYS:
        if key in actor:
            result[key] = actor[key]
            return result
    members = actor.get("member")
    if isinstance(members, list):
        result["member"] = [_ids_actor(member) for member in members]
    return result


def _ids_activity(activity: Mapping[str, Any]) -> dict[str, Any]:
    """An Activity reduced to its ``id``."""
    return {"id": activity["id"]}


def _ids_object(target: Mapping[str, Any]) -> Mapping[str, Any]:
    """A statement object in ``ids`` form."""
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity":
        return _ids_activity(target)
    if object_type in ("Agent", "Group"):
        return _ids_actor(target)
    if object_type == "SubStatement":
        return _ids_body(target)
    return target


def _ids_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """A context with its agents and activities in ``ids`` form."""
    result = dict(context)
    for key in ("instructor", "team"):
        if key in result:
            result[key] = _ids_actor(result[key])
    for key, member in (("contextAgents", "agent"), ("contextGroups", "group")):
        if isinstance(result.get(key), list):
            result[key] = [
                {**item, member: _ids_actor(item[member])}
                if isinstance(item, Mapping) and isinstance(item.get(member), Mapping)
                else item
                for item in result[key]
            ]
    activities = result.get("contextActivities")
    if isinstance(activities, Mapping):
        result["contextActivities"] = {
            key: [_ids_activity(item) for item in value]
            if isinstance(value, list)
            else [_ids_activity(value)]
            for key, value in activities.items()
        }
    return result


def _ids_body(statement: Mapping[str, Any]) -> dict[str, Any]:
    """A Statement or SubStatement in ``ids`` form."""
    result = dict(statement)
    result["actor"] = _ids_actor(statement["actor"])
    result["verb"] = {"id": statement["verb"]["id"]}
    result["object"] = _ids_object(statement["object"])
    if "context" in result:
        result["context"] = _ids_context(result["context"])
    if "authority" in result:
        result["authority"] = _ids_actor(result["authority"])
    return result


def format_ids(statement: Mapping[str, Any]) -> dict[str, Any]:
    """``statement`` in ``format=ids`` form."""
    return _ids_body(statement)


# --- canonical -----------------------------------------------------------------------------------


def _one_language(language_map: Any, preferences: LanguagePreferences) -> Any:
    """A language map cut down to the preferred entry (non-maps are returned unchanged)."""
    if not isinstance(language_map, Mapping) or len(language_map) <= 1:
        return language_map
    key = choose_language(language_map, preferences)
    return {key: language_map[key]}


def _canonical_definition(
    definition: Mapping[str, Any], preferences: LanguagePreferences
) -> dict[str, Any]:
    """A definition with each of its language maps cut to one language."""
    result = dict(definition)
    for key in ("name", "description"):
        if key in result:
            result[key] = _one_language(result[key], preferences)
    for key in _COMPONENT_LISTS:
        components = result.get(key)
        if isinstance(components, list):
            result[key] = [
                {**item, "description": _one_language(item["description"], preferences)}
                if isinstance(item, Mapping) and "description" in item
                else item
                for item in components
            ]
    return result


def _canonical_activity(
    activity: Mapping[str, Any],
    preferences: LanguagePreferences,
    activity_definition: Lookup | None,
) -> dict[str, Any]:
    """An Activity with its canonical definition, one language per map."""
    result = dict(activity)
    definition = activity_definition(activity["id"]) if activity_definition else None
    if definition is None:
        definition = activity.get("definition")
    if definition is None:
        result.pop("definition", None)
    else:
        result["definition"] = _canonical_definition(definition, preferences)
    return result


def _canonical_body(
    statement: Mapping[str, Any],
    preferences: LanguagePreferences,
    activity_definition: Lookup | None,
    verb_display: Lookup | None,
) -> dict[str, Any]:
    """A Statement or SubStatement in ``canonical`` form."""
    result = dict(statement)
    verb = dict(statement["verb"])
    display = verb_display(verb["id"]) if verb_display else None
    if display is None:
        display = verb.get("display")
    if display is not None:
        verb["display"] = _one_language(display, preferences)
    result["verb"] = verb
    target = statement["object"]
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity":
        result["object"] = _canonical_activity(target, preferences, activity_definition)
    elif object_type == "SubStatement":
        result["object"] = _canonical_body(target, preferences, activity_definition, verb_display)
    context = statement.get("context")
    if isinstance(context, Mapping) and isinstance(context.get("contextActivities"), Mapping):
        result["context"] = {
            **context,
            "contextActivities": {
                key: [
                    _canonical_activity(item, preferences, activity_definition)
                    for item in (value if isinstance(value, list) else [value])
                ]
                for key, value in context["contextActivities"].items()
            },
        }
    return result


def format_canonical(
    statement: Mapping[str, Any],
    preferences: LanguagePreferences = (),
    *,
    activity_definition: Lookup | None = None,
    verb_display: Lookup | None = None,
) -> dict[str, Any]:
    """``statement`` in ``format=canonical`` form (``preferences``: ``parse_accept_language``)."""
    return _canonical_body(statement, preferences, activity_definition, verb_display)


def format_statement(
    statement: Mapping[str, Any],
    format: Format = "exact",
    preferences: LanguagePreferences = (),
    *,
    activity_definition: Lookup | None = None,
    verb_display: Lookup | None = None,
) -> Mapping[str, Any]:
    """Render ``statement`` in the requested ``format`` (see the module docstring)."""
    if format == "exact":
        return statement
    if format == "ids":
        return format_ids(statement)
    if format == "canonical":
        return format_canonical(
            statement,
            preferences,
            activity_definition=activity_definition,
            verb_display=verb_display,
        )
    raise ValueError(f"unknown statement format {format!r}")
