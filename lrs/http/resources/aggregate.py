"""``GET|POST /api/statements/aggregate`` and ``GET /api/statements/aggregateAsync``: Learning
Locker's aggregation API.

GET takes ``pipeline`` (a JSON array), ``skip``, ``limit`` and ``maxTimeMS`` as query
parameters; POST takes the same names in a JSON object body, for pipelines too long for a URL.
The answer is a bare JSON array. The caller needs a statement read scope, and sees only the
statements that scope covers (its organisation, its store, and with ``statements/read/mine``
its own).

``aggregateAsync`` is what Learning Locker's UI polls: the same parameters plus ``sinceAt``, and
the answer wrapped as ``{"result": [...], "status": {"startedAt", "completedAt", "isRunning"}}``.
Learning Locker runs it in the background and caches the result; lrs runs it at once, so every
answer is complete and fresh (``isRunning`` false). As in Learning Locker, a result completed
at or before ``sinceAt`` is not given again: ``result`` and ``completedAt`` are null.
"""

from __future__ import annotations

from datetime import UTC, datetime
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


class _AggregationRoute:
    """What both routes share: running a pipeline in the caller's scope."""

    def __init__(self, service: AggregationService) -> None:
        self._service = service

    def _run(self, req: falcon.Request, values: dict[str, Any]) -> bytes:
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
        return self._service.aggregate(scope, request)


class AggregateResource(_AggregationRoute):
    """The aggregation route."""

    access = {"GET": Access.STATEMENTS_READ, "POST": Access.STATEMENTS_READ}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Run the ``pipeline`` query parameter."""
        params = p.single_valued_params(req, list(_PARAMS))
        self._answer(req, resp, _with_pipeline(params))

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
        resp.data = self._run(req, values)
        resp.content_type = falcon.MEDIA_JSON


class AggregateAsyncResource(_AggregationRoute):
    """Learning Locker's polled aggregation route, answered at once (see the module docstring)."""

    access = {"GET": Access.STATEMENTS_READ}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Run the ``pipeline`` query parameter; answer ``{result, status}``."""
        params = p.single_valued_params(req, [*_PARAMS, "sinceAt"])
        since = _instant(params.pop("sinceAt", None), "sinceAt")
        values = _with_pipeline(params)
        started = datetime.now(UTC)
        result: bytes | None = None
        completed = None
        if since is None or since < started:  # else nothing can complete after it
            result = self._run(req, values)
            completed = datetime.now(UTC)
        status = {
            "startedAt": _moment(started) if completed else None,
            "completedAt": _moment(completed) if completed else None,
            "isRunning": False,
        }
        resp.data = b'{"result":%b,"status":%b}' % (result or b"null", orjson.dumps(status))
        resp.content_type = falcon.MEDIA_JSON


def _with_pipeline(params: dict[str, str]) -> dict[str, Any]:
    """The query parameters with ``pipeline`` (required) decoded from JSON."""
    raw = params.get("pipeline")
    if raw is None:
        raise BadRequest("pipeline: the parameter is required", field="pipeline")
    try:
        pipeline = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest("pipeline: not valid JSON", field="pipeline") from None
    return {**params, "pipeline": pipeline}


def _moment(instant: datetime) -> str:
    """An instant as Learning Locker writes these (moment's ``YYYY-MM-DD HH:mm:ss.SSSZ``)."""
    return instant.isoformat(sep=" ", timespec="milliseconds")


def _instant(raw: str | None, name: str) -> datetime | None:
    """An ISO 8601 instant (``T`` or a space between date and time; UTC when no offset)."""
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise BadRequest(
            f"{name}: not an ISO 8601 date and time, got {raw!r}", field=name
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


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
