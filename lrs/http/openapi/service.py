"""Descriptions of the service routes: health, readiness, metrics, the client's description."""

from __future__ import annotations

from lrs.http.openapi.model import Context, Operation, Paths, Route, json_response, response
from lrs.http.openapi.schemas import ref
from lrs.http.resources.client_info import ClientInfoResource
from lrs.http.resources.health import HealthResource

TAG = "Service"


def health(route: Route, context: Context) -> Paths:
    """``/health``: no credentials."""
    return {
        route.template: {
            "GET": Operation(
                summary="200 when the store answers, 503 when it does not",
                responses={
                    "200": json_response(
                        "The store answers",
                        {
                            "type": "object",
                            "properties": {"status": {"const": "ok"}},
                            "required": ["status"],
                            "additionalProperties": False,
                        },
                        {"Cache-Control": {"type": "string"}},
                    )
                },
                errors=(503,),
                tags=(TAG,),
            )
        }
    }


def client_info(route: Route, context: Context) -> Paths:
    """``/api/auth/client/info``."""
    return {
        route.template: {
            "GET": Operation(
                summary="Who the credentials belong to",
                responses={
                    "200": json_response(
                        "The calling client",
                        {
                            "type": "object",
                            "properties": {
                                "_id": ref("ObjectId"),
                                "title": {"type": "string"},
                                "organisation": ref("ObjectId"),
                                "lrs_id": {"anyOf": [ref("ObjectId"), {"type": "null"}]},
                                "scopes": {"type": "array", "items": {"type": "string"}},
                            },
                            "required": ["_id", "title", "organisation", "lrs_id", "scopes"],
                            "additionalProperties": False,
                        },
                    )
                },
                errors=(),
                tags=(TAG,),
            )
        }
    }


def ready(route: Route, context: Context) -> Paths:
    """``/ready``: no credentials; its 503 says which check failed."""
    not_ready = json_response(
        "Not ready: `cause` says whether the store or its schema is at fault",
        {
            "type": "object",
            "properties": {
                "status": {"const": "unavailable"},
                "cause": {"enum": ["store", "schema"]},
                "message": {"type": "string"},
            },
            "required": ["status", "cause", "message"],
            "additionalProperties": False,
        },
        _NO_STORE,
    )
    ready_body = {
        "type": "object",
        "properties": {"status": {"const": "ready"}},
        "required": ["status"],
        "additionalProperties": False,
    }
    return {
        route.template: {
            "GET": Operation(
                summary="200 when the store answers and its schema is current, else 503",
                responses={
                    "200": json_response("Ready", ready_body, _NO_STORE),
                    "503": not_ready,
                },
                errors=(),
                tags=(TAG,),
            ),
            "HEAD": Operation(
                summary="The status a GET would answer, without a body",
                responses={
                    "200": response("Ready", headers=_NO_STORE),
                    "503": response("Not ready", headers=_NO_STORE),
                },
                errors=(),
                tags=(TAG,),
            ),
        }
    }


def metrics(route: Route, context: Context) -> Paths:
    """``/metrics``: no credentials (mounted unless LRS_METRICS is off)."""
    return {
        route.template: {
            "GET": Operation(
                summary="Prometheus metrics, in the text exposition format",
                responses={
                    "200": response("The metrics", {"text/plain": {"type": "string"}}, _NO_STORE)
                },
                errors=(),
                tags=(TAG,),
            )
        }
    }


_NO_STORE = {"Cache-Control": {"type": "string"}}

DESCRIBERS = {HealthResource: health, ClientInfoResource: client_info}
# By name: this package does not import these resource modules.
DESCRIBERS_BY_NAME = {
    "lrs.http.resources.ready.ReadyResource": ready,
    "lrs.http.resources.metrics.MetricsResource": metrics,
}
