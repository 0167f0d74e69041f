"""Descriptions of REST API v2 (``/api/v2/<model>``), the Connection API and CSV downloads.

One route serves every model, so each route is described once per model of
``lrs.models.registry.MODELS``: its fields give the body and response schemas, its verbs the
verb paths, ``writable`` the methods, and the resource's own access rule the scopes.
"""

from __future__ import annotations

from typing import Any

from lrs.http.openapi.model import (
    Context,
    Operation,
    Paths,
    Route,
    json_body,
    json_query,
    json_response,
    path_param,
    query,
    response,
)
from lrs.http.openapi.schemas import Schema, model_schema_names, ref
from lrs.http.resources import rest_models
from lrs.http.resources.connection import ConnectionResource
from lrs.http.resources.rest_models import (
    CountResource,
    DownloadExportResource,
    ModelResource,
    ModelsResource,
    VerbResource,
)
from lrs.models.query_params import DEFAULT_LIMIT
from lrs.models.registry import MODELS, ModelSpec

REST_TAG = "REST v2"
CONNECTION_TAG = "Connection"

_ID_PARAM = path_param("id", ref("ObjectId"), "The model's id.")

_VERB_BODIES: dict[tuple[str, str], Schema] = {
    ("persona", "merge"): {
        "type": "object",
        "properties": {"mergePersonaFromId": ref("ObjectId")},
        "required": ["mergePersonaFromId"],
    },
}
_VERB_SUMMARIES = {
    ("client", "regenerate"): "Give the client a new secret (in the answer, once)",
    ("persona", "merge"): "Move another persona's identifiers to this one and delete it",
    ("export", "download"): "Run the export into a new CSV download",
}


_NOT_OBJECT: Schema = {"not": {"type": "object"}}


def _served(ops: dict[str, Operation], route: Route) -> dict[str, Operation]:
    """The operations whose method the route's resource responds to."""
    return {method: op for method, op in ops.items() if method in route.methods}


def _expand(template: str, spec: ModelSpec) -> str:
    return template.replace("{model}", spec.name)


def _query_params(*names: str, context: Context) -> list[dict[str, Any]]:
    limit = context.settings.rest_max_limit
    default = min(DEFAULT_LIMIT, limit)
    catalogue = {
        "query": query(
            "query",
            {"type": "string"},
            "A JSON filter (MongoDB operators; `~re`, `>x`, `<=x`, `!=x` string sugar).",
        ),
        "sort": query(
            "sort",
            {"type": "string"},
            'JSON (`{"createdAt": -1}`) or Mongoose style (`-createdAt name`); _id last.',
        ),
        "select": query(
            "select", {"type": "string"}, "A JSON projection or a comma list (`name,-title`)."
        ),
        "populate": query(
            "populate",
            {"type": "string"},
            "Reference fields to replace by their models (a comma list or JSON).",
        ),
        "skip": query(
            "skip", {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}, "Models to skip."
        ),
        "limit": query(
            "limit",
            {"type": "integer", "minimum": 0, "maximum": limit},
            f"Models per page (default and 0: {default}; at most {limit}, LRS_REST_MAX_LIMIT).",
        ),
        "distinct": query(
            "distinct",
            {"type": "string"},
            "A path: answer the distinct values there instead of models.",
        ),
    }
    return [catalogue[name] for name in names]


def _operation(spec: ModelSpec, method: str, **kwargs: Any) -> Operation:
    return Operation(tags=(REST_TAG,), access=rest_models._access(spec, method), **kwargs)


def models(route: Route, context: Context) -> Paths:
    """``/api/v2/<model>``: list, create, bulk overwrite, bulk patch."""
    paths: Paths = {}
    for spec in MODELS.values():
        read, write, patch = model_schema_names(spec)
        ops = {
            "GET": _operation(
                spec,
                "GET",
                summary=f"List {spec.name} models (or distinct values)",
                parameters=_query_params(
                    "query",
                    "sort",
                    "select",
                    "populate",
                    "skip",
                    "limit",
                    "distinct",
                    context=context,
                ),
                responses={
                    "200": json_response(
                        f"A bare array of {spec.name} models; with `distinct`, of values",
                        {"type": "array", "items": {"anyOf": [ref(read), _NOT_OBJECT]}},
                    )
                },
            )
        }
        if spec.writable:
            ops["POST"] = _operation(
                spec,
                "POST",
                summary=f"Create a {spec.name}",
                request_body=json_body(ref(write), f"The new {spec.name}"),
                responses={"201": json_response(f"The stored {spec.name}", ref(read))},
                errors=(400, 404, 409),
            )
            for method, schema, verb in (("PUT", write, "Overwrite"), ("PATCH", patch, "Patch")):
                item = {
                    "allOf": [
                        ref(schema),
                        {"properties": {"_id": ref("ObjectId")}, "required": ["_id"]},
                    ]
                }
                ops[method] = _operation(
                    spec,
                    method,
                    summary=f"{verb} every {spec.name} of an array, all or nothing",
                    request_body=json_body(
                        {"type": "array", "items": item},
                        f"{spec.name} models, each naming its `_id`",
                    ),
                    responses={
                        "200": json_response(
                            f"The stored {spec.name} models, in order",
                            {"type": "array", "items": ref(read)},
                        )
                    },
                    errors=(400, 404, 409),
                )
        paths[_expand(route.template, spec)] = _served(ops, route)
    return paths


def count(route: Route, context: Context) -> Paths:
    """``/api/v2/<model>/count``."""
    return {
        _expand(route.template, spec): {
            "GET": _operation(
                spec,
                "GET",
                summary=f"Count {spec.name} models",
                parameters=_query_params("query", context=context),
                responses={"200": json_response("The count", {"type": "integer", "minimum": 0})},
            )
        }
        for spec in MODELS.values()
    }


def model(route: Route, context: Context) -> Paths:
    """``/api/v2/<model>/<id>``: read, overwrite or create, patch, delete."""
    paths: Paths = {}
    for spec in MODELS.values():
        read, write, patch = model_schema_names(spec)
        ops = {
            "GET": _operation(
                spec,
                "GET",
                summary=f"Get a {spec.name}",
                parameters=[_ID_PARAM, *_query_params("select", "populate", context=context)],
                responses={"200": json_response(f"The {spec.name}", ref(read))},
                errors=(400, 404),
            ),
            "DELETE": _operation(
                spec,
                "DELETE",
                summary=f"Delete a {spec.name} (its id is never used again)",
                parameters=[_ID_PARAM],
                responses={"204": response("Deleted")},
                errors=(400, 404),
            ),
        }
        if spec.writable:
            put = {
                "summary": f"Overwrite the {spec.name}, or create it with this id",
                "parameters": [_ID_PARAM],
                "request_body": json_body(ref(write), f"The {spec.name}"),
                "responses": {
                    "200": json_response(f"The overwritten {spec.name}", ref(read)),
                    "201": json_response(f"The created {spec.name}", ref(read)),
                },
                "errors": (400, 404, 409),
            }
            ops["PUT"] = _operation(spec, "PUT", **put)
            ops["POST"] = _operation(
                spec, "POST", **{**put, "summary": f"{put['summary']} (as PUT)"}
            )
            ops["PATCH"] = _operation(
                spec,
                "PATCH",
                summary=f"Change only the given fields of the {spec.name}",
                parameters=[_ID_PARAM],
                request_body=json_body(ref(patch), "The fields to change"),
                responses={"200": json_response(f"The patched {spec.name}", ref(read))},
                errors=(400, 404, 409),
            )
        paths[_expand(route.template, spec)] = _served(ops, route)
    return paths


def verbs(route: Route, context: Context) -> Paths:
    """``POST /api/v2/<model>/<id>/<verb>`` for every verb a model declares."""
    paths: Paths = {}
    for spec in MODELS.values():
        read = model_schema_names(spec)[0]
        for verb in sorted(spec.verbs):
            body = _VERB_BODIES.get((spec.name, verb))
            path = _expand(route.template, spec).replace("{verb}", verb)
            paths[path] = {
                "POST": _operation(
                    spec,
                    "POST",
                    summary=_VERB_SUMMARIES.get((spec.name, verb), f"{verb} a {spec.name}"),
                    parameters=[_ID_PARAM],
                    request_body=json_body(body, "The verb's arguments")
                    if body is not None
                    else None,
                    responses={"200": json_response(f"The {spec.name}'s new state", ref(read))},
                    errors=(400, 404),
                )
            }
    return paths


def _page_of(spec: ModelSpec) -> Schema:
    """A connection page whose nodes are models of ``spec`` (projected by ``project``)."""
    node = {"properties": {"node": ref(model_schema_names(spec)[0])}}
    return {"allOf": [ref("ConnectionPage"), {"properties": {"edges": {"items": node}}}]}


def connection(route: Route, context: Context) -> Paths:
    """``/api/connection/<model>``: cursor pages of any model."""
    size = context.settings.connection_max_page
    resource: ConnectionResource = route.resource
    page_size = {"type": "integer", "minimum": 0, "maximum": size}
    params = [
        json_query("filter", {"type": "object"}, "A filter in the query language."),
        json_query("sort", {"type": "object"}, 'Sort keys (`{"timestamp": -1}`); _id last.'),
        json_query("project", {"type": "object"}, "A projection of each node."),
        json_query("hint", {"type": ["object", "string"]}, "An index hint (checked, not used)."),
        query(
            "first",
            page_size,
            f"Page size forwards (default {resource._default_size}; at most {size}, "
            "LRS_CONNECTION_MAX_PAGE).",
        ),
        query("last", page_size, f"Page size backwards (at most {size})."),
        query("after", {"type": "string"}, "The cursor to continue after."),
        query("before", {"type": "string"}, "The cursor to continue before."),
    ]
    paths: Paths = {}
    for spec in MODELS.values():
        paths[_expand(route.template, spec)] = {
            "GET": Operation(
                summary=f"A page of {spec.name} models",
                parameters=params,
                responses={"200": json_response("The page", _page_of(spec))},
                access=rest_models._access(spec, "GET"),
                tags=(CONNECTION_TAG,),
            )
        }
    return paths


def download_export(route: Route, context: Context) -> Paths:
    """The CSV a download holds."""
    return {
        route.template: {
            "GET": Operation(
                summary="A download's CSV",
                parameters=[
                    path_param("organisation", ref("ObjectId"), "The caller's organisation."),
                    path_param("download", ref("ObjectId"), "The download's id."),
                ],
                responses={
                    "200": response(
                        "The CSV, as an attachment",
                        {"text/csv": {"type": "string"}},
                        {"Content-Disposition": {"type": "string"}},
                    )
                },
                errors=(404,),
                tags=(REST_TAG,),
            )
        }
    }


DESCRIBERS = {
    ModelsResource: models,
    CountResource: count,
    ModelResource: model,
    VerbResource: verbs,
    ConnectionResource: connection,
    DownloadExportResource: download_export,
}
