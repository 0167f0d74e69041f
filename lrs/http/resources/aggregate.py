"""``GET|POST /api/statements/aggregate``: Learning Locker's aggregation API.

GET takes ``pipeline`` (a JSON array), ``skip``, ``limit`` and ``maxTimeMS`` as query
parameters; POST takes the same names in a JSON object body, for pipelines too long for a URL.
The answer is a bare JSON array. The caller needs a statement read scope, and sees only the
statements that scope covers (its organisation, its store, and with ``statements/read/mine``
its own).
"""

from __future__ import annotations

from typing import Any

import falcon
import orjson

from lrs.aggregate.parse import parse_pipeline
from lrs.aggregate.service import AggregationRequest, AggregationService
from lrs.core.errors import BadRequest
from lrs.http.auth import Principal
from lrs.http.resources import xapi_params as p
from lrs.store.find import StatementScope
from lrs.tenancy.scopes import Access

_PARAMS = ("pipeline", "skip", "limit", "maxTimeMS")


class AggregateResource:
    """The aggregation route."""

    access = {"GET": Access.STATEMENTS_READ, "POST": Access.STATEMENTS_READ}

    def __init__(self, service: AggregationService) -> None:
        self._service = service

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Run the ``pipeline`` query parameter."""
        params = p.single_valued_params(req, list(_PARAMS))
        raw = params.get("pipeline")
        if raw is None:
            raise BadRequest("pipeline: the parameter is required", field="pipeline")
        try:
            pipeline = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BadRequest("pipeline: not valid JSON", field="pipeline") from None
        self._answer(req, resp, {**params, "pipeline": pipeline})

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Run the pipeline of a JSON body ``{"pipeline": [...], "skip": ..., ...}``."""
        p.single_valued_params(req, [])
        try:
            body = orjson.loads(req.bounded_stream.read())
        except orjson.JSONDecodeError:
            raise BadRequest("body: not valid JSON", field="body") from None
        if not isinstance(body, dict):
            raise BadRequest('body: must be an object {"pipeline": [...]}', field="body")
        unknown = sorted(set(body) - set(_PARAMS))
        if unknown:
            raise BadRequest(f"{unknown[0]}: unknown field of the body", field=unknown[0])
        if "pipeline" not in body:
            raise BadRequest("pipeline: the field is required", field="pipeline")
        self._answer(req, resp, body)

    def _answer(self, req: falcon.Request, resp: falcon.Response, values: dict[str, Any]) -> None:
        principal: Principal = req.context.principal
        request = AggregationRequest(
            pipeline=parse_pipeline(values["pipeline"]),
            skip=_count(values, "skip") or 0,
            limit=_count(values, "limit"),
            max_time_ms=_count(values, "maxTimeMS"),
        )
        scope = StatementScope(
            organisation_id=principal.organisation.id,
            lrs_id=principal.client.lrs_id,
            client_id=principal.client.id if principal.reads_only_own_statements else None,
        )
        resp.data = self._service.aggregate(scope, request)
        resp.content_type = falcon.MEDIA_JSON


def _count(values: dict[str, Any], name: str) -> int | None:
    """A non-negative integer parameter; absent or -1 (Learning Locker's "none") is None."""
    raw = values.get(name)
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = int(raw.strip())
        except ValueError:
            raise BadRequest(f"{name}: must be an integer, got {raw!r}", field=name) from None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < -1:
        raise BadRequest(f"{name}: must be a non-negative integer or -1, got {raw!r}", field=name)
    return None if raw == -1 else raw
