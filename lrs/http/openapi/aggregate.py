"""Description of Learning Locker's aggregation API (``/api/statements/aggregate`` and
``/api/statements/aggregateAsync``)."""

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
    query,
)
from lrs.http.openapi.schemas import Schema
from lrs.http.resources.aggregate import AggregateAsyncResource, AggregateResource

AGGREGATION_TAG = "Aggregation"

_PIPELINE: Schema = {
    "type": "array",
    "items": {"type": "object", "minProperties": 1, "maxProperties": 1},
    "maxItems": 50,
    "description": "MongoDB aggregation stages: $match, $project, $addFields/$set, $group, "
    "$unwind, $sort, $skip, $limit, $count, $sortByCount, $sample (README, Aggregation API).",
}
_COUNT: Schema = {"type": "integer", "minimum": -1}
_ANSWER: Schema = {"type": "array", "items": {"type": "object"}}
_ERRORS = (400, 504)
_DESCRIPTION = (
    "Runs the pipeline over the statement records the caller's scope covers (voided ones "
    "included), each with a synthetic `person`. The answer is a bare JSON array. A stage, "
    "operator or value outside the subset is a 400 naming it; answers over 10,000 documents or "
    "16 MiB are a 400 asking for $limit; a run past maxTimeMS (capped by "
    "LRS_STATEMENT_TIMEOUT_MS) is a 504."
)


def _params() -> list[Any]:
    return [
        query("skip", _COUNT, "Documents of the answer to skip (-1 or absent: none)."),
        query("limit", _COUNT, "Documents of the answer to keep (-1 or absent: all)."),
        query("maxTimeMS", _COUNT, "Milliseconds the run may take (capped by the server's)."),
    ]


def aggregate(route: Route, context: Context) -> Paths:
    """``GET`` with the pipeline in the query string, ``POST`` with it in a JSON body."""
    params = _params()
    body: Schema = {
        "type": "object",
        "properties": {
            "pipeline": _PIPELINE,
            "skip": _COUNT,
            "limit": _COUNT,
            "maxTimeMS": _COUNT,
        },
        "required": ["pipeline"],
        "additionalProperties": False,
    }
    return {
        route.template: {
            "GET": Operation(
                summary="Run an aggregation pipeline over the statements",
                description=_DESCRIPTION,
                parameters=[
                    json_query("pipeline", _PIPELINE, "The pipeline.", required=True),
                    *params,
                ],
                responses={"200": json_response("The pipeline's documents", _ANSWER)},
                errors=_ERRORS,
                tags=(AGGREGATION_TAG,),
            ),
            "POST": Operation(
                summary="Run an aggregation pipeline sent in a JSON body",
                description=_DESCRIPTION,
                request_body=json_body(body, "The pipeline, and skip, limit and maxTimeMS"),
                responses={"200": json_response("The pipeline's documents", _ANSWER)},
                errors=_ERRORS,
                tags=(AGGREGATION_TAG,),
            ),
        }
    }


_INSTANT: Schema = {"type": ["string", "null"], "description": "YYYY-MM-DD HH:mm:ss.SSS+00:00"}
_POLLED: Schema = {
    "type": "object",
    "properties": {
        "result": {"anyOf": [_ANSWER, {"type": "null"}]},
        "status": {
            "type": "object",
            "properties": {
                "startedAt": _INSTANT,
                "completedAt": _INSTANT,
                "isRunning": {"type": "boolean"},
            },
            "required": ["startedAt", "completedAt", "isRunning"],
        },
    },
    "required": ["result", "status"],
}


def aggregate_async(route: Route, context: Context) -> Paths:
    """``GET`` as Learning Locker's UI polls it."""
    return {
        route.template: {
            "GET": Operation(
                summary="Run an aggregation pipeline, answered as Learning Locker's polled form",
                description=_DESCRIPTION.replace("The answer is a bare JSON array.", "")
                + " The answer is `{result, status}`: lrs runs the pipeline at once, so the result"
                " is complete and `isRunning` is false; `result` and `completedAt` are null when"
                " `sinceAt` is not before the run (nothing newer to give).",
                parameters=[
                    json_query("pipeline", _PIPELINE, "The pipeline.", required=True),
                    *_params(),
                    query(
                        "sinceAt",
                        {"type": "string"},
                        "Give a result only if completed after this ISO 8601 instant.",
                    ),
                ],
                responses={"200": json_response("The result and its status", _POLLED)},
                errors=_ERRORS,
                tags=(AGGREGATION_TAG,),
            )
        }
    }


DESCRIBERS = {AggregateResource: aggregate, AggregateAsyncResource: aggregate_async}
