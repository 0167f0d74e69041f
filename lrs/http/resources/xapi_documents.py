"""``/data/xAPI/activities/state``, ``/activities/profile`` and ``/agents/profile``.

The three resources differ only in their key parameters, so one class takes a description of
each (``DocumentRoute``). Documents are stored byte for byte and returned with their
``Content-Type``, ``ETag`` (quoted SHA-1) and ``Last-Modified``.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import format_datetime

import falcon
import orjson

from lrs.core.errors import BadRequest
from lrs.documents.model import (
    DocumentKind,
    DocumentScope,
    DocumentWrite,
    Precondition,
    Unconditional,
    WriteMode,
)
from lrs.documents.service import DocumentService
from lrs.http.middleware import xapi_version
from lrs.http.resources import xapi_params as p
from lrs.statements.service import store_id_of
from lrs.tenancy.scopes import Access
from lrs.xapi.datatypes import media_type_essence
from lrs.xapi.intake import MAX_JSON_DEPTH, encoded_within_depth


@dataclass(frozen=True)
class DocumentRoute:
    """What distinguishes one document resource."""

    kind: DocumentKind
    id_param: str
    activity: bool
    agent: bool
    registration: bool
    read: Access
    write: Access
    overwrite_needs_condition: bool
    bulk_delete: bool


STATE = DocumentRoute(
    kind=DocumentKind.STATE,
    id_param="stateId",
    activity=True,
    agent=True,
    registration=True,
    read=Access.STATE_READ,
    write=Access.STATE_WRITE,
    overwrite_needs_condition=False,
    bulk_delete=True,
)
ACTIVITY_PROFILE = DocumentRoute(
    kind=DocumentKind.ACTIVITY_PROFILE,
    id_param="profileId",
    activity=True,
    agent=False,
    registration=False,
    read=Access.PROFILE_READ,
    write=Access.PROFILE_WRITE,
    overwrite_needs_condition=True,
    bulk_delete=False,
)
AGENT_PROFILE = DocumentRoute(
    kind=DocumentKind.AGENT_PROFILE,
    id_param="profileId",
    activity=False,
    agent=True,
    registration=False,
    read=Access.PROFILE_READ,
    write=Access.PROFILE_WRITE,
    overwrite_needs_condition=True,
    bulk_delete=False,
)


class DocumentsResource:
    """One document resource (state, activity profile or agent profile)."""

    def __init__(self, service: DocumentService, route: DocumentRoute) -> None:
        self._service = service
        self._route = route
        self.access = {
            "GET": route.read,
            "HEAD": route.read,
            "PUT": route.write,
            "POST": route.write,
            "DELETE": route.write,
        }
        self._key_params = [
            name
            for name, used in (
                ("activityId", route.activity),
                ("agent", route.agent),
                ("registration", route.registration),
            )
            if used
        ]

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """One document, or the ids of the scope's documents (``since`` filters them)."""
        params = p.single_valued_params(req, [*self._key_params, self._route.id_param, "since"])
        scope = self._scope(req, params, any_registration=True)
        document_id = params.get(self._route.id_param)
        if document_id is None:
            ids = self._service.list_ids(scope, p.timestamp(params, "since"))
            if ids:
                newest = max(updated for _, updated in ids)
                resp.set_header("Last-Modified", format_datetime(newest, usegmt=True))
            resp.data = orjson.dumps([document_id for document_id, _ in ids])
            resp.content_type = falcon.MEDIA_JSON
            return
        if "since" in params:
            raise BadRequest(f"since: not allowed with {self._route.id_param}", field="since")
        document = self._service.get(_single(scope).key(document_id), self._route.id_param)
        resp.data = document.content
        resp.content_type = document.content_type
        resp.set_header("ETag", f'"{document.etag}"')
        resp.set_header("Last-Modified", format_datetime(document.updated, usegmt=True))

    def on_head(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The GET's headers without its body."""
        self.on_get(req, resp)
        resp.data = b""

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store or replace one document: 204."""
        self._write(req, resp, WriteMode.REPLACE)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store one document or merge JSON objects into it: 204."""
        self._write(req, resp, WriteMode.MERGE)

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Delete one document, or (state) every document of the scope: 204."""
        params = p.single_valued_params(req, [*self._key_params, self._route.id_param])
        scope = self._scope(req, params, any_registration=True)
        document_id = params.get(self._route.id_param)
        if document_id is None:
            if not self._route.bulk_delete:
                raise _missing(self._route.id_param)
            self._service.delete_all(scope)
        else:
            self._service.delete(
                _single(scope).key(document_id), _precondition(req, Unconditional.ALLOWED)
            )
        resp.status = falcon.HTTP_204

    def _write(self, req: falcon.Request, resp: falcon.Response, mode: WriteMode) -> None:
        params = p.single_valued_params(req, [*self._key_params, self._route.id_param])
        scope = self._scope(req, params, any_registration=False)
        document_id = params.get(self._route.id_param)
        if document_id is None:
            raise _missing(self._route.id_param)
        content = req.bounded_stream.read()
        _refuse_deep_json(content, req.content_type)
        write = DocumentWrite(
            content=content,
            content_type=req.content_type or "application/octet-stream",
            mode=mode,
            precondition=_precondition(req, self._unconditional(req, mode)),
        )
        document = self._service.write(scope.key(document_id), write)
        resp.status = falcon.HTTP_204
        resp.set_header("ETag", f'"{document.etag}"')

    def _unconditional(self, req: falcon.Request, mode: WriteMode) -> Unconditional:
        """What a write without If-Match or If-None-Match may do: a profile PUT always needs
        one; a State PUT may replace a document without one under xAPI 1.0.3 only; a POST (a
        merge) needs none."""
        if mode is not WriteMode.REPLACE:
            return Unconditional.ALLOWED
        if self._route.overwrite_needs_condition:
            return Unconditional.REFUSED
        if xapi_version(req).state_concurrency:
            return Unconditional.CREATE_ONLY
        return Unconditional.ALLOWED

    def _scope(
        self, req: falcon.Request, params: dict[str, str], *, any_registration: bool
    ) -> DocumentScope:
        for name in self._key_params:
            if name != "registration" and name not in params:
                raise _missing(name)
        registration = p.uuid_param(params, "registration")
        if registration is None:
            registration = None if any_registration and self._route.registration else ""
        return DocumentScope(
            lrs_id=store_id_of(req.context.principal),
            kind=self._route.kind,
            activity_id=p.iri(params, "activityId") or "" if self._route.activity else "",
            agent=(p.agent_ifi(params) or "") if self._route.agent else "",
            registration=registration if self._route.registration else "",
        )


def _single(scope: DocumentScope) -> DocumentScope:
    """The scope of one document: an absent registration means "none", not "any"."""
    if scope.registration is None:
        return DocumentScope(
            lrs_id=scope.lrs_id,
            kind=scope.kind,
            activity_id=scope.activity_id,
            agent=scope.agent,
            registration="",
        )
    return scope


def _missing(name: str) -> BadRequest:
    return BadRequest(f"{name}: the parameter is required", field=name)


def _etags(header: str | None) -> tuple[str, ...] | None:
    if header is None:
        return None
    tags = []
    for item in header.split(","):
        tag = item.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        tags.append(tag.strip('"').lower())
    return tuple(tag for tag in tags if tag)


def _precondition(req: falcon.Request, unconditional: Unconditional) -> Precondition:
    return Precondition(
        if_match=_etags(req.get_header("If-Match")),
        if_none_match=_etags(req.get_header("If-None-Match")),
        unconditional=unconditional,
    )


def _refuse_deep_json(content: bytes, content_type: str | None) -> None:
    """A JSON document nesting past ``MAX_JSON_DEPTH`` is refused: a POST merge re-encodes it,
    and the encoder stops at 254 levels. Bodies that are not JSON are the service's business."""
    if media_type_essence(content_type or "") != "application/json":
        return
    try:
        document = orjson.loads(content)
    except orjson.JSONDecodeError:
        return
    if encoded_within_depth(document) is None:
        raise BadRequest(
            f"body: the JSON document nests more than {MAX_JSON_DEPTH} levels deep", field="body"
        )
