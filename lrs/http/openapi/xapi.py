"""Descriptions of the xAPI resources under ``/data/xAPI``.

Parameter lists come from the resources' own declarations (the names ``StatementsResource``
accepts, a ``DocumentRoute``'s key parameters), so a parameter the code accepts cannot be left
out; each parameter name has one schema here (``PARAMETERS``).
"""

from __future__ import annotations

from typing import Any

from lrs.http.openapi.model import (
    JSON,
    Context,
    Operation,
    Paths,
    Route,
    array_of,
    header,
    json_query,
    json_response,
    query,
    response,
)
from lrs.http.openapi.schemas import IRI as _IRI
from lrs.http.openapi.schemas import Schema, ref
from lrs.http.resources import xapi_statements
from lrs.http.resources.about import AboutResource
from lrs.http.resources.xapi_activities_agents import ActivitiesResource, AgentsResource
from lrs.http.resources.xapi_documents import DocumentRoute, DocumentsResource
from lrs.http.resources.xapi_statements import StatementsResource
from lrs.xapi.versions import SUPPORTED_VERSIONS

TAG = "xAPI"

_UUID: Schema = {"type": "string", "format": "uuid"}

_BOOLEAN: Schema = {"type": "boolean"}
_TIMESTAMP: Schema = {"type": "string", "format": "date-time"}

VERSION_HEADER = header(
    "X-Experience-API-Version",
    {
        "type": "string",
        "pattern": "^[12]\\.0(\\.[0-9]+)?$",
        "examples": [version.name for version in SUPPORTED_VERSIONS],
    },
    "The xAPI version the client speaks: 1.0 or 1.0.x for 1.0.3's rules, 2.0 or 2.0.x for "
    "2.0.0's (400 when missing or other).",
    required=True,
)
_VERSION_OUT = {
    "X-Experience-API-Version": {
        "type": "string",
        "enum": [version.name for version in SUPPORTED_VERSIONS],
        "description": "The version in force: the one the request asked for, in full.",
    }
}
_LAST_MODIFIED = {"Last-Modified": {"type": "string"}}
_CONSISTENT = {"X-Experience-API-Consistent-Through": {"type": "string"}}
_ETAG = {"ETag": {"type": "string"}}


def _parameter(name: str, *, required: bool = False, description: str = "") -> dict[str, Any]:
    """The query parameter called ``name``, with its schema from ``PARAMETERS``."""
    kind, schema, default_description = PARAMETERS[name]
    text = description or default_description
    if kind == "json":
        return json_query(name, schema, text, required=required)
    return query(name, schema, text, required=required)


PARAMETERS: dict[str, tuple[str, Schema, str]] = {
    "statementId": ("plain", _UUID, "The id of one statement."),
    "voidedStatementId": ("plain", _UUID, "The id of one voided statement."),
    "agent": ("json", ref("Actor"), "An Agent or identified Group, as JSON."),
    "verb": ("plain", _IRI, "Only statements with this verb id."),
    "activity": ("plain", _IRI, "Only statements about this activity id."),
    "registration": ("plain", _UUID, "Only statements (documents) of this registration."),
    "related_activities": (
        "plain",
        _BOOLEAN,
        "With activity: also match the activity anywhere in the statement.",
    ),
    "related_agents": (
        "plain",
        _BOOLEAN,
        "With agent: also match the agent anywhere in the statement.",
    ),
    "since": ("plain", _TIMESTAMP, "Only items stored after this instant."),
    "until": ("plain", _TIMESTAMP, "Only statements stored at or before this instant."),
    "limit": ("plain", {"type": "integer", "minimum": 0}, ""),  # described per settings
    "ascending": ("plain", _BOOLEAN, "Oldest first (default: newest first)."),
    "format": (
        "plain",
        {"enum": ["exact", "ids", "canonical"]},
        "How statements are rendered (default exact).",
    ),
    "attachments": (
        "plain",
        _BOOLEAN,
        "Answer multipart/mixed with the attachments' data after the statements.",
    ),
    "more": ("plain", {"type": "string"}, "The token of a `more` link; no other parameter."),
    "activityId": ("plain", _IRI, "The activity id the documents belong to."),
    "stateId": ("plain", {"type": "string"}, "The id of one state document."),
    "profileId": ("plain", {"type": "string"}, "The id of one profile document."),
}


def _statement_parameters(names: tuple[str, ...], context: Context) -> list[dict[str, Any]]:
    limit = context.settings.xapi_max_limit
    described = {
        "limit": f"Statements per page; 0 or absent means {limit}, the most a page holds "
        f"(LRS_XAPI_MAX_LIMIT); a larger value is capped to it."
    }
    return [_parameter(name, description=described.get(name, "")) for name in names]


def _head_of(
    parameters: list[dict[str, Any]],
    headers: dict[str, Any],
    *,
    errors: tuple[int, ...] = (400,),
) -> Operation:
    """The HEAD twin of a GET: the same parameters and headers, no body."""
    return Operation(
        summary="The headers a GET would answer",
        parameters=parameters,
        responses={"200": response("No body", headers=headers)},
        errors=errors,
    )


def statements(route: Route, context: Context) -> Paths:
    """``/data/xAPI/statements``."""
    get_params = [
        *_statement_parameters(xapi_statements._GET_PARAMS, context),
        header(
            "Accept-Language",
            {"type": "string"},
            "Languages to keep in language maps with format=canonical.",
        ),
        VERSION_HEADER,
    ]
    ok_headers = {**_VERSION_OUT, **_CONSISTENT, **_LAST_MODIFIED}
    one_or_page: Schema = {"anyOf": [ref("StatementResult"), ref("StoredStatement")]}
    statements_body = {
        "required": True,
        "description": "One statement or an array of them; multipart/mixed when attachment "
        "data travels with them (the statements first, then one part per attachment).",
        "content": {
            JSON: {"schema": {"anyOf": [ref("Statement"), array_of("Statement")]}},
            "multipart/mixed": {"schema": {"type": "string"}},
        },
    }
    return {
        route.template: {
            "GET": Operation(
                summary="Get one statement, or a page of statements",
                description="With statementId or voidedStatementId: that statement (only "
                "format and attachments may accompany them). Otherwise a StatementResult "
                "filtered by the other parameters, whose `more` link gives the next page.",
                parameters=get_params,
                responses={
                    "200": response(
                        "The statement or the StatementResult",
                        {JSON: one_or_page, "multipart/mixed": {"type": "string"}},
                        ok_headers,
                    )
                },
                errors=(400, 404),
            ),
            "HEAD": _head_of(get_params, ok_headers, errors=(400, 404)),
            "PUT": Operation(
                summary="Store one statement with the given id",
                description="204 also when an identical statement is stored already; 409 "
                "when a different one has this id.",
                parameters=[
                    _parameter("statementId", required=True, description="The statement's id."),
                    VERSION_HEADER,
                ],
                request_body={
                    **statements_body,
                    "description": "One statement (multipart/mixed with attachment data).",
                    "content": {
                        JSON: {"schema": ref("Statement")},
                        "multipart/mixed": {"schema": {"type": "string"}},
                    },
                },
                responses={"204": response("Stored", headers={**_VERSION_OUT, **_CONSISTENT})},
                errors=(400, 409),
            ),
            "POST": Operation(
                summary="Store a statement or a batch",
                description="All or nothing; a statement without id gets one.",
                parameters=[VERSION_HEADER],
                request_body=statements_body,
                responses={
                    "200": json_response(
                        "The ids of the stored statements, in order",
                        {"type": "array", "items": _UUID},
                        {**_VERSION_OUT, **_CONSISTENT},
                    )
                },
                errors=(400, 409),
            ),
        }
    }


def documents(route: Route, context: Context) -> Paths:
    """``/activities/state``, ``/activities/profile`` and ``/agents/profile``."""
    spec: DocumentRoute = route.resource._route
    id_param = spec.id_param
    what = "state" if id_param == "stateId" else "profile"
    keys = [
        _parameter(name, required=name != "registration")
        for name, used in (
            ("activityId", spec.activity),
            ("agent", spec.agent),
            ("registration", spec.registration),
        )
        if used
    ]
    conditions = [
        header("If-Match", {"type": "string"}, "Write only if the document's ETag is one of these"),
        header("If-None-Match", {"type": "string"}, "`*`: write only if there is no document"),
    ]
    write_body = {
        "required": True,
        "description": "The document, stored byte for byte with its Content-Type. POST merges "
        "a JSON object into a stored JSON object.",
        "content": {
            JSON: {"schema": {"type": "object"}},
            "application/octet-stream": {"schema": {"type": "string"}},
        },
    }
    written = response("Stored", headers={**_VERSION_OUT, **_ETAG})
    overwrite_rule = (
        " A PUT needs If-Match (replace) or If-None-Match: * (create): 409 over an existing "
        "document without one, 400 otherwise."
        if spec.overwrite_needs_condition
        else ""
    )
    get_params = [
        *keys,
        _parameter(id_param, description=f"One {what} document; absent: the ids of all."),
        _parameter("since", description=f"Without {id_param}: only documents changed after."),
        VERSION_HEADER,
    ]
    get_ok = response(
        f"The document with its own Content-Type; without {id_param}, a JSON array of ids",
        {"*/*": {}},
        {**_VERSION_OUT, **_LAST_MODIFIED},
    )
    write_params = [
        *keys,
        _parameter(id_param, required=True, description=f"The {what} document's id."),
        *conditions,
        VERSION_HEADER,
    ]
    delete_id = (
        f"One {what} document; absent: every document of the activity, agent and registration."
        if spec.bulk_delete
        else f"The {what} document's id."
    )
    return {
        route.template: {
            "GET": Operation(
                summary=f"Get a {what} document, or the ids of the {what} documents",
                parameters=get_params,
                responses={"200": get_ok},
                errors=(400, 404),
            ),
            "HEAD": _head_of(get_params, _VERSION_OUT, errors=(400, 404)),
            "PUT": Operation(
                summary=f"Store or replace a {what} document",
                description=overwrite_rule.strip(),
                parameters=write_params,
                request_body=write_body,
                responses={"204": written},
                errors=(400, 409, 412),
            ),
            "POST": Operation(
                summary=f"Store a {what} document, or merge JSON into it",
                parameters=write_params,
                request_body=write_body,
                responses={"204": written},
                errors=(400, 409, 412),
            ),
            "DELETE": Operation(
                summary=f"Delete a {what} document"
                + (", or all of a scope" if spec.bulk_delete else ""),
                parameters=[
                    *keys,
                    _parameter(id_param, required=not spec.bulk_delete, description=delete_id),
                    *conditions,
                    VERSION_HEADER,
                ],
                responses={"204": response("Deleted (or there was nothing)", headers=_VERSION_OUT)},
                errors=(400, 412),
            ),
        }
    }


def activities(route: Route, context: Context) -> Paths:
    """``/data/xAPI/activities``: the canonical Activity."""
    params = [_parameter("activityId", required=True), VERSION_HEADER]
    return {
        route.template: {
            "GET": Operation(
                summary="The Activity, with the definition merged from the statements",
                parameters=params,
                responses={"200": json_response("The Activity", ref("Activity"), _VERSION_OUT)},
            ),
            "HEAD": _head_of(params, _VERSION_OUT),
        }
    }


def agents(route: Route, context: Context) -> Paths:
    """``/data/xAPI/agents``: the Person object of an Agent."""
    params = [
        _parameter("agent", required=True, description="An Agent (not a Group), as JSON."),
        VERSION_HEADER,
    ]
    return {
        route.template: {
            "GET": Operation(
                summary="The Person object of an Agent",
                parameters=params,
                responses={"200": json_response("The Person", ref("Person"), _VERSION_OUT)},
            ),
            "HEAD": _head_of(params, _VERSION_OUT),
        }
    }


def about(route: Route, context: Context) -> Paths:
    """``/data/xAPI/about``: no credentials, no version header needed."""
    return {
        route.template: {
            "GET": Operation(
                summary="The xAPI versions this LRS speaks",
                responses={"200": json_response("Versions", ref("About"), _VERSION_OUT)},
                errors=(),
            )
        }
    }


DESCRIBERS = {
    StatementsResource: statements,
    DocumentsResource: documents,
    ActivitiesResource: activities,
    AgentsResource: agents,
    AboutResource: about,
}
