"""The vocabulary of route descriptions: what a describer gets (``Route``, ``Context``) and what it
returns (``Operation`` objects by path and method), plus helpers for common parameters.

A describer describes one mounted route; it may return several paths for it (``/api/v2/{model}``
becomes one path per model). The builder adds what every operation shares: security and the
scopes from the resource's ``access`` map, the error responses that authentication and body
limits bring, and path parameters a describer did not spell out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lrs.core.settings import Settings
from lrs.http.openapi.schemas import Schema, ref
from lrs.tenancy.scopes import Access

JSON = "application/json"


@dataclass(frozen=True)
class Route:
    """One route the app serves: its URI template, its resource and the responders it has."""

    template: str
    resource: Any
    methods: tuple[str, ...]


@dataclass(frozen=True)
class Context:
    """What descriptions may depend on besides the route: the settings (for limits)."""

    settings: Settings


@dataclass
class Operation:
    """One method on one path.

    ``responses`` holds the success responses (status -> OpenAPI response object); ``errors``
    the error statuses the operation itself can answer (400, 404, 409, ...); the builder adds
    401/403/503 for authenticated routes and 413 for operations with a body. ``access`` overrides
    the resource's ``access`` map where the resource checks a finer access itself (REST models).
    """

    summary: str
    description: str = ""
    parameters: list[dict[str, Any]] = field(default_factory=list)
    request_body: dict[str, Any] | None = None
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: tuple[int, ...] = (400,)
    access: Access | None = None
    tags: tuple[str, ...] = ()
    operation_id: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)


Paths = dict[str, dict[str, Operation]]
Describer = Callable[[Route, Context], Paths]


def query(name: str, schema: Schema, description: str, *, required: bool = False) -> dict[str, Any]:
    """A query parameter."""
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def json_query(
    name: str, schema: Schema, description: str, *, required: bool = False
) -> dict[str, Any]:
    """A query parameter holding URL-encoded JSON."""
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "content": {JSON: {"schema": schema}},
    }


def path_param(name: str, schema: Schema, description: str) -> dict[str, Any]:
    """A path parameter."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


def header(
    name: str, schema: Schema, description: str, *, required: bool = False
) -> dict[str, Any]:
    """A request header parameter."""
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": schema,
    }


def json_body(schema: Schema, description: str, *, required: bool = True) -> dict[str, Any]:
    """A JSON request body."""
    return {"required": required, "description": description, "content": {JSON: {"schema": schema}}}


def response(
    description: str,
    content: Mapping[str, Schema] | None = None,
    headers: Mapping[str, Schema] | None = None,
) -> dict[str, Any]:
    """A response object: ``content`` maps media types to schemas, ``headers`` names to schemas."""
    result: dict[str, Any] = {"description": description}
    if headers:
        result["headers"] = {name: {"schema": schema} for name, schema in headers.items()}
    if content is not None:
        result["content"] = {media: {"schema": schema} for media, schema in content.items()}
    return result


def json_response(
    description: str, schema: Schema, headers: Mapping[str, Schema] | None = None
) -> dict[str, Any]:
    """A JSON response."""
    return response(description, {JSON: schema}, headers)


def array_of(name: str) -> Schema:
    """An array of a component schema."""
    return {"type": "array", "items": ref(name)}
