"""``GET /api/connection/<model>``: cursor pages of statements or any REST v2 model (seed 001)."""

from __future__ import annotations

from typing import Any

import falcon
import orjson

from lrs.connection.paging import PageRequest, paginate
from lrs.core.errors import BadRequest, NotFound
from lrs.http.auth import Principal
from lrs.http.resources import xapi_params as p
from lrs.models.documents import render
from lrs.models.query_params import filter_paths, refuse_hidden, schema_for
from lrs.models.registry import ModelSpec, model_named
from lrs.query.ast import KEEP_ALL
from lrs.query.cursor import with_tiebreaker
from lrs.query.hints import parse_hint
from lrs.query.parse import parse_filter, parse_projection, parse_sort
from lrs.store.base import Store
from lrs.store.find import FindQuery, StatementScope
from lrs.tenancy.scopes import Access

_PARAMS = ("filter", "sort", "project", "hint", "first", "last", "after", "before")


class ConnectionResource:
    """One route for every model; the model decides the scope it needs."""

    access = {"GET": Access.AUTHENTICATED}

    def __init__(self, store: Store, default_size: int, max_size: int) -> None:
        self._store = store
        self._default_size = default_size
        self._max_size = max_size

    def on_get(self, req: falcon.Request, resp: falcon.Response, model: str) -> None:
        """A page of ``model``: ``{"edges": [...], "pageInfo": {...}}``."""
        principal: Principal = req.context.principal
        spec = model_named(model)
        if spec is None:
            raise NotFound(f"no connection for model {model!r}")
        prepare = None
        if spec.name == "statement":
            principal.require(Access.STATEMENTS_READ)
            scope = StatementScope(
                organisation_id=principal.organisation.id,
                lrs_id=principal.client.lrs_id,
                client_id=principal.client.id if principal.reads_only_own_statements else None,
            )

            def fetch(query: FindQuery) -> list[dict[str, Any]]:
                return self._store.find_statement_documents(scope, query)

        else:
            principal.require(Access.ADMIN)
            organisation_id = principal.organisation.id

            def fetch(query: FindQuery) -> list[dict[str, Any]]:
                return self._store.find_models(spec.table, organisation_id, query)

            def prepare(doc: dict[str, Any]) -> dict[str, Any]:
                return render(spec, doc)

        params = p.single_valued_params(req, _PARAMS)
        request = _page_request(params, spec)
        page = paginate(
            fetch,
            request,
            default_size=self._default_size,
            max_size=self._max_size,
            prepare=prepare,
        )
        resp.data = page.to_bytes()
        resp.content_type = falcon.MEDIA_JSON


def _json_param(params: dict[str, str], name: str) -> Any:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest(f"{name}: must be URL-encoded JSON", field=name) from None


def _page_request(params: dict[str, str], spec: ModelSpec) -> PageRequest:
    schema = schema_for(spec)
    raw_filter = _json_param(params, "filter")
    raw_sort = _json_param(params, "sort")
    raw_project = _json_param(params, "project")
    raw_hint = _json_param(params, "hint")
    if raw_hint is not None:
        parse_hint(raw_hint)  # validated; never changes results
    condition = parse_filter({} if raw_filter is None else raw_filter, schema)
    sort = with_tiebreaker(parse_sort({"_id": 1} if raw_sort is None else raw_sort, schema))
    refuse_hidden(spec, filter_paths(condition), "filter")
    refuse_hidden(spec, [key.path for key in sort], "sort")
    return PageRequest(
        filter=condition,
        sort=sort,
        projection=parse_projection(raw_project) if raw_project is not None else KEEP_ALL,
        first=p.non_negative_int(params, "first"),
        last=p.non_negative_int(params, "last"),
        after=params.get("after"),
        before=params.get("before"),
    )
