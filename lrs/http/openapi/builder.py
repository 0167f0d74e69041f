"""Build the OpenAPI 3.1 document from the app itself, so it cannot drift from what is served.

The routes and their responders come from Falcon's own inspection (``falcon.inspect``); each
route is described by, in order:

1. its resource's ``openapi`` attribute: ``{"GET": Operation(...) or {Operation's fields}}``,
   the way to describe a new route next to its resource;
2. the describer registered for its resource class (``lrs.http.openapi.describers``);
3. a placeholder built from the responder's docstring, marked ``x-lrs-undescribed`` (the tests
   fail on it, so a new route gets a real description before it ships).

Security and scopes come from the resource's ``auth_exempt`` and ``access`` map (as
``lrs.http.middleware.Authentication`` reads them); limits from the settings.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Mapping
from typing import Any

import falcon
import falcon.inspect

import lrs
from lrs.core.settings import Settings
from lrs.http.middleware import XAPI_PREFIX
from lrs.http.openapi.describers import describer_for
from lrs.http.openapi.model import (
    JSON,
    Context,
    Describer,
    Operation,
    Paths,
    Route,
    path_param,
    response,
)
from lrs.http.openapi.schemas import component_schemas, ref
from lrs.tenancy.scopes import Access, Scope, allows

SECURITY_SCHEME = "basicAuth"
UNDESCRIBED = "x-lrs-undescribed"
SCOPES = "x-lrs-scopes"

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is malformed; `message` names the field or parameter"),
    401: ("Unauthorized", "Credentials are missing or wrong"),
    403: ("Forbidden", "The client's scopes do not allow this, or the client is disabled"),
    404: ("NotFound", "Nothing at this address in the caller's organisation or store"),
    409: ("Conflict", "The request conflicts with what is stored"),
    412: ("PreconditionFailed", "An If-Match / If-None-Match precondition does not hold"),
    413: ("PayloadTooLarge", "The body is larger than LRS_MAX_BODY_BYTES"),
    503: ("Unavailable", "The store cannot be reached or timed out"),
    504: ("TimedOut", "The request ran past the time it was given"),
}
_TAGS = {
    "xAPI": "xAPI 2.0.0 or 1.0.3, as each request's X-Experience-API-Version says. Under "
    "1.0.3 each operation is also reachable through xAPI's alternate request syntax: POST "
    "?method=<METHOD> with a form body holding the parameters, headers and `content`.",
    "REST v2": "Learning Locker's REST API v2, one set of paths per model",
    "Connection": "Learning Locker's Connection API: cursor pages of any model",
    "Aggregation": "Learning Locker's aggregation API: MongoDB pipelines over the statements",
    "Service": "Health and service routes",
}
_FIELD = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def routes_of(app: falcon.App) -> list[Route]:
    """Every route the app serves, with the methods its resource responds to.

    Falcon's own responders (the OPTIONS default, 405 for the rest) are not listed.
    """
    resources = dict(_resources(app._router._roots, ""))
    routes = []
    for info in falcon.inspect.inspect_app(app).routes:
        methods = tuple(sorted(m.method for m in info.methods if not m.internal))
        routes.append(Route(info.path, resources[info.path], methods))
    return routes


def _resources(nodes: Iterable[Any], parent: str) -> Iterable[tuple[str, Any]]:
    """(path, resource) pairs of the compiled router, with paths built as ``falcon.inspect``
    builds them."""
    for node in nodes:
        path = f"{parent}/{node.raw_segment}"
        if node.resource is not None:
            yield path, node.resource
        yield from _resources(node.children or (), path)


def openapi_path(template: str) -> str:
    """A Falcon URI template as an OpenAPI path (field converters dropped)."""
    return _FIELD.sub(r"{\1}", template)


def build_document(app: falcon.App, settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route ``app`` serves."""
    context = Context(settings=settings)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes_of(app):
        described = _describe(route, context)
        for path, operations in described.items():
            item = paths.setdefault(openapi_path(path), {})
            for method, operation in operations.items():
                item[method.lower()] = _operation(route, openapi_path(path), method, operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "lrs",
            "version": lrs.__version__,
            "description": "A Learning Record Store: xAPI 2.0.0 and 1.0.3 at /data/xAPI, Learning "
            "Locker's REST API v2 at /api/v2/<model> and Connection API at "
            "/api/connection/<model>. Every error is JSON `{errorId, message}` (plus "
            "`warnings` when there are any). Credentials are a client's key and secret as "
            "HTTP Basic; `x-lrs-scopes` on an operation lists the scopes of which the client "
            "needs one (empty: any valid client).",
        },
        "tags": [{"name": name, "description": text} for name, text in _TAGS.items()],
        "paths": {path: paths[path] for path in sorted(paths)},
        "components": {
            "schemas": component_schemas(),
            "responses": _error_responses(),
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "basic",
                    "description": "A client's key (user) and secret (password).",
                }
            },
        },
    }


def _describe(route: Route, context: Context) -> Paths:
    declared = getattr(route.resource, "openapi", None)
    if isinstance(declared, Mapping):
        return {
            route.template: {
                method: value if isinstance(value, Operation) else Operation(**value)
                for method, value in declared.items()
            }
        }
    describer: Describer | None = describer_for(type(route.resource))
    if describer is not None:
        return describer(route, context)
    return _undescribed(route)


def _undescribed(route: Route) -> Paths:
    operations = {}
    for method in route.methods:
        doc = inspect.getdoc(getattr(route.resource, f"on_{method.lower()}", None)) or ""
        operations[method] = Operation(
            summary=doc.splitlines()[0] if doc else f"{method} {route.template}",
            responses={"200": response("Success", {"*/*": {}})},
            errors=(400, 404),
            extensions={UNDESCRIBED: True},
        )
    return {route.template: operations}


def _operation(route: Route, path: str, method: str, op: Operation) -> dict[str, Any]:
    public = bool(getattr(route.resource, "auth_exempt", False))
    access_map: Mapping[str, Access] = getattr(route.resource, "access", {})
    access = op.access or access_map.get(method, Access.ADMIN)
    errors = set(op.errors)
    if not public:
        errors |= {401, 403, 503}
    if op.request_body is not None:
        errors.add(413)
    result: dict[str, Any] = {
        "operationId": op.operation_id or _operation_id(method, path),
        "summary": op.summary,
        "tags": list(op.tags) or [_default_tag(path)],
    }
    description = op.description
    if not public:
        scopes = _scopes(access)
        who = (
            f"a client with one of the scopes {', '.join(scopes)}"
            if len(scopes) > 1
            else f"a client with scope {scopes[0]}"
            if scopes
            else "any valid client"
        )
        description = f"{description}\n\nCredentials: {who}.".strip()
        result[SCOPES] = scopes
    if description:
        result["description"] = description
    result["parameters"] = _with_path_parameters(path, op.parameters)
    if op.request_body is not None:
        result["requestBody"] = op.request_body
    responses = dict(op.responses)
    for status in sorted(errors):
        responses.setdefault(str(status), {"$ref": f"#/components/responses/{_ERRORS[status][0]}"})
    result["responses"] = responses
    result["security"] = [] if public else [{SECURITY_SCHEME: []}]
    result.update(op.extensions)
    return result


def _scopes(access: Access) -> list[str]:
    if access is Access.AUTHENTICATED:
        return []
    return [scope.value for scope in Scope if allows([scope.value], access)]


def _with_path_parameters(path: str, parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    declared = {p["name"] for p in parameters if p.get("in") == "path"}
    missing = [
        path_param(name, {"type": "string"}, f"The {name}.")
        for name in _FIELD.findall(path)
        if name not in declared
    ]
    return [*missing, *parameters]


def _operation_id(method: str, path: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_")
    return f"{method.lower()}_{slug}"


def _default_tag(path: str) -> str:
    return "xAPI" if path.startswith(XAPI_PREFIX) else "Service"


def _error_responses() -> dict[str, Any]:
    responses = {}
    for status, (name, text) in _ERRORS.items():
        headers = {
            401: {"WWW-Authenticate": {"type": "string"}},
            503: {"Retry-After": {"type": "string", "description": "Seconds to wait"}},
        }.get(status)
        responses[name] = response(f"{status}: {text}", {JSON: ref("Error")}, headers)
    return responses
