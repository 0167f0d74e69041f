"""REST API v2 (seed 000, with seed 003's bulk updates and verbs): ``/api/v2/<model>``.

HTTP only: find the model, check the caller's access for it, read parameters and body, call
``ModelService``, render. Resources declare ``Access.AUTHENTICATED`` to the middleware and
check the model-specific access themselves in ``_resolve``, which every responder calls first:
admin models need scope ``all``; ``statement`` needs a statement read scope, and
``statements/delete`` to delete.
"""

from __future__ import annotations

from typing import Any

import falcon
import orjson

from lrs.core.errors import BadRequest, NotFound
from lrs.http.auth import Principal
from lrs.models.query_params import ListParams, parse_list_params, parse_query
from lrs.models.registry import ModelSpec, model_named
from lrs.models.rules import Caller
from lrs.models.service import ModelService
from lrs.models.verbs import run_verb
from lrs.tenancy.scopes import Access, allows

PREFIX = "/api/v2"
_ANY = {method: Access.AUTHENTICATED for method in ("GET", "POST", "PUT", "PATCH", "DELETE")}


def caller_of(principal: Principal) -> Caller:
    """The service's view of an authenticated client."""
    return Caller(
        organisation_id=principal.organisation.id,
        client_id=principal.client.id,
        lrs_id=principal.client.lrs_id,
        reads_only_own_statements=principal.reads_only_own_statements,
        is_admin=allows(principal.client.scopes, Access.ADMIN),
    )


def _access(spec: ModelSpec, method: str) -> Access:
    if spec.name != "statement":
        return Access.ADMIN
    return Access.STATEMENTS_DELETE if method == "DELETE" else Access.STATEMENTS_READ


def _resolve(req: falcon.Request, model: str) -> tuple[ModelSpec, Caller]:
    """The model named in the path and the caller, once the caller's access is checked."""
    spec = model_named(model)
    if spec is None:
        raise NotFound(f"no REST model {model!r}")
    principal: Principal = req.context.principal
    principal.require(_access(spec, req.method))
    return spec, caller_of(principal)


def _writable(spec: ModelSpec, req: falcon.Request) -> None:
    if not spec.writable:
        raise falcon.HTTPMethodNotAllowed(
            ["GET", "DELETE"],
            description=f"{spec.name}: {req.method} is not allowed; statements are read, "
            "counted and deleted only",
        )


def _body(req: falcon.Request) -> Any:
    """The JSON body; a missing or malformed one is a 400 naming ``body``."""
    raw = req.bounded_stream.read()
    if not raw.strip():
        raise BadRequest("body: a JSON body is required", field="body")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest("body: not valid JSON", field="body") from None


def _json(resp: falcon.Response, value: Any, status: str = falcon.HTTP_200) -> None:
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = orjson.dumps(value)


class _Base:
    access = _ANY

    def __init__(self, service: ModelService, *, max_limit: int, default_limit: int) -> None:
        self._service = service
        self._max_limit = max_limit
        self._default_limit = default_limit

    def _params(self, spec: ModelSpec, req: falcon.Request) -> ListParams:
        return parse_list_params(
            spec, req.params, max_limit=self._max_limit, default_limit=self._default_limit
        )


class ModelsResource(_Base):
    """``/api/v2/<model>``: list, create, and bulk overwrite or patch."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, model: str) -> None:
        """A bare array of models (``distinct``: of values)."""
        spec, caller = _resolve(req, model)
        _json(resp, self._service.list(spec, caller, self._params(spec, req)))

    def on_post(self, req: falcon.Request, resp: falcon.Response, model: str) -> None:
        """Create a model: 201 with it."""
        spec, caller = _resolve(req, model)
        _writable(spec, req)
        _json(resp, self._service.create(spec, caller, _body(req)), falcon.HTTP_201)

    def on_put(self, req: falcon.Request, resp: falcon.Response, model: str) -> None:
        """Overwrite (or create) every model of an array, all or nothing."""
        spec, caller = _resolve(req, model)
        _writable(spec, req)
        _json(resp, self._service.bulk(spec, caller, _body(req), patch=False))

    def on_patch(self, req: falcon.Request, resp: falcon.Response, model: str) -> None:
        """Patch every model of an array, all or nothing."""
        spec, caller = _resolve(req, model)
        _writable(spec, req)
        _json(resp, self._service.bulk(spec, caller, _body(req), patch=True))


class CountResource(_Base):
    """``/api/v2/<model>/count``: the bare number of matching models."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, model: str) -> None:
        """Count models matching ``query``."""
        spec, caller = _resolve(req, model)
        if isinstance(req.params.get("query"), list):
            raise BadRequest("query: the parameter is given more than once", field="query")
        condition = parse_query(spec, req.params.get("query"))
        _json(resp, self._service.count(spec, caller, condition))


class ModelResource(_Base):
    """``/api/v2/<model>/<id>``: read, overwrite or create, patch, delete."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, model: str, id: str) -> None:
        """One model; 404 when absent."""
        spec, caller = _resolve(req, model)
        _json(resp, self._service.get(spec, caller, id.lower(), self._params(spec, req)))

    def on_put(self, req: falcon.Request, resp: falcon.Response, model: str, id: str) -> None:
        """Overwrite the model (200) or create it with this id (201)."""
        spec, caller = _resolve(req, model)
        _writable(spec, req)
        doc, created = self._service.put(spec, caller, id.lower(), _body(req))
        _json(resp, doc, falcon.HTTP_201 if created else falcon.HTTP_200)

    on_post = on_put

    def on_patch(self, req: falcon.Request, resp: falcon.Response, model: str, id: str) -> None:
        """Change only the given fields; 404 when absent."""
        spec, caller = _resolve(req, model)
        _writable(spec, req)
        _json(resp, self._service.patch(spec, caller, id.lower(), _body(req)))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, model: str, id: str) -> None:
        """Delete: 204, then 404."""
        spec, caller = _resolve(req, model)
        self._service.delete(spec, caller, id.lower())
        resp.status = falcon.HTTP_204


class VerbResource(_Base):
    """``POST /api/v2/<model>/<id>/<verb>``: an action; answers with the model's new state."""

    def on_post(
        self, req: falcon.Request, resp: falcon.Response, model: str, id: str, verb: str
    ) -> None:
        """Run the verb."""
        spec, caller = _resolve(req, model)
        raw = req.bounded_stream.read()
        try:
            body = orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError:
            raise BadRequest("body: not valid JSON", field="body") from None
        _json(resp, run_verb(self._service, spec, caller, id.lower(), verb, body))


class DownloadExportResource:
    """``GET /api/organisation/<org>/downloadexport/<id>.csv``: a download's CSV, to a client
    with scope ``all`` in that organisation (404 to anyone else)."""

    def __init__(self, service: ModelService) -> None:
        self._service = service

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, organisation: str, download: str
    ) -> None:
        """Send the CSV as an attachment."""
        caller = caller_of(req.context.principal)
        spec = model_named("download")
        assert spec is not None
        doc = None
        if organisation.lower() == caller.organisation_id:
            doc = self._service.stored(spec, caller, download.lower())
        if doc is None or not doc.get("isReady") or doc.get("content") is None:
            raise NotFound(f"no download {download}")
        resp.content_type = "text/csv; charset=utf-8"
        resp.set_header("Content-Disposition", f'attachment; filename="{doc["_id"]}.csv"')
        resp.data = doc["content"].encode()


def add_routes(app: falcon.App, service: ModelService, *, max_limit: int) -> None:
    """Mount the REST v2 routes on ``app``."""
    options = {"max_limit": max_limit, "default_limit": min(100, max_limit)}
    app.add_route(f"{PREFIX}/{{model}}", ModelsResource(service, **options))
    app.add_route(f"{PREFIX}/{{model}}/count", CountResource(service, **options))
    app.add_route(f"{PREFIX}/{{model}}/{{id}}", ModelResource(service, **options))
    app.add_route(f"{PREFIX}/{{model}}/{{id}}/{{verb}}", VerbResource(service, **options))
    app.add_route(
        "/api/organisation/{organisation}/downloadexport/{download}.csv",
        DownloadExportResource(service),
    )
