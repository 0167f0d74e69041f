"""``/data/xAPI/statements``: PUT, POST, GET and HEAD (Communication 2.1)."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import format_datetime
from typing import Any

import falcon
import orjson

from lrs.core.errors import BadRequest, PayloadTooLarge
from lrs.http.middleware import xapi_version
from lrs.http.resources import xapi_params as p
from lrs.statements.more import decode_more, encode_more
from lrs.statements.record import (
    ListedStatement,
    StatementFilter,
    StatementQuery,
)
from lrs.statements.service import StatementService
from lrs.tenancy.scopes import Access
from lrs.xapi.attachments import (
    AttachmentPart,
    build_multipart,
)
from lrs.xapi.formats import format_statement
from lrs.xapi.intake import StatementsRequest, read_statements
from lrs.xapi.languages import parse_accept_language
from lrs.xapi.queriables import compute_queriables

_SINGLE = ("statementId", "voidedStatementId")
_FILTERS = (
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "ascending",
)
_GET_PARAMS = (*_SINGLE, *_FILTERS, "format", "attachments", "more")
_FORMATS = ("exact", "ids", "canonical")


class StatementsResource:
    """The Statement resource."""

    access = {
        "GET": Access.STATEMENTS_READ,
        "HEAD": Access.STATEMENTS_READ,
        "PUT": Access.STATEMENTS_WRITE,
        "POST": Access.STATEMENTS_WRITE,
    }

    def __init__(
        self,
        service: StatementService,
        max_limit: int,
        *,
        max_batch: int = 1000,
        max_attachment_bytes: int = 10 * 1024 * 1024,
    ) -> None:
        self._service = service
        self._max_limit = max_limit
        self._max_batch = max_batch
        self._max_attachment_bytes = max_attachment_bytes

    def _read(self, req: falcon.Request) -> StatementsRequest:
        """The checked statements of a PUT/POST body, within the batch and attachment limits."""
        request = read_statements(req.bounded_stream.read(), req.content_type, xapi_version(req))
        if len(request.statements) > self._max_batch:
            raise PayloadTooLarge(
                f"the request holds {len(request.statements)} statements; the limit is "
                f"{self._max_batch} per request (LRS_MAX_STATEMENTS_PER_BATCH)"
            )
        for part in request.attachments.values():
            if len(part.data) > self._max_attachment_bytes:
                raise PayloadTooLarge(
                    f"the attachment with X-Experience-API-Hash {part.sha2} is {len(part.data)} "
                    f"bytes; the limit is {self._max_attachment_bytes} "
                    "(LRS_MAX_ATTACHMENT_BYTES)"
                )
        return request

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store one statement under ``statementId``: 204, also when it was stored already."""
        params = p.single_valued_params(req, ["statementId"])
        statement_id = params.get("statementId")
        if statement_id is None:
            raise BadRequest("statementId: the parameter is required for PUT", field="statementId")
        request = self._read(req)
        self._service.store(req.context.principal, request, statement_id=statement_id)
        resp.status = falcon.HTTP_204

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store one statement or a batch: 200 with the ids in order."""
        p.single_valued_params(req, [])
        request = self._read(req)
        ids = self._service.store(req.context.principal, request)
        resp.data = orjson.dumps(ids)
        resp.content_type = falcon.MEDIA_JSON

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """One statement by id, or a StatementResult page."""
        params = p.single_valued_params(req, _GET_PARAMS)
        if "more" in params:
            self._get_more(req, resp, params)
        elif any(name in params for name in _SINGLE):
            self._get_single(req, resp, params)
        else:
            self._get_page(req, resp, params, None)

    def on_head(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The GET's headers without its body."""
        self.on_get(req, resp)
        resp.data = b""

    def _get_single(
        self, req: falcon.Request, resp: falcon.Response, params: dict[str, str]
    ) -> None:
        if all(name in params for name in _SINGLE):
            raise BadRequest(
                "statementId and voidedStatementId cannot be given together", field="statementId"
            )
        extra = [name for name in params if name not in (*_SINGLE, "format", "attachments")]
        if extra:
            raise BadRequest(
                f"{extra[0]}: not allowed with statementId or voidedStatementId (only format and "
                "attachments are)",
                field=extra[0],
            )
        voided = "voidedStatementId" in params
        name = "voidedStatementId" if voided else "statementId"
        statement_id = p.uuid_param(params, name)
        assert statement_id is not None
        output = _Output.from_params(req, params)
        record = self._service.get(req.context.principal, statement_id, voided=voided)
        resp.set_header("Last-Modified", format_datetime(record.stored, usegmt=True))
        self._render(req, resp, [record.listed()], output, lambda statements: statements[0])

    def _get_more(self, req: falcon.Request, resp: falcon.Response, params: dict[str, str]) -> None:
        if len(params) > 1:
            other = next(name for name in params if name != "more")
            raise BadRequest(f"{other}: not allowed with more", field=other)
        original, after = decode_more(params["more"])
        unknown = [name for name in original if name not in _GET_PARAMS or name in _SINGLE]
        if unknown or "more" in original:
            raise BadRequest("more: the token is not a more link this LRS issued", field="more")
        self._get_page(req, resp, original, after)

    def _get_page(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        params: dict[str, str],
        after: tuple[Any, str] | None,
    ) -> None:
        limit = p.non_negative_int(params, "limit") or self._max_limit
        limit = min(limit, self._max_limit)
        query = StatementQuery(
            lrs_id="",  # the service sets the client's store
            filter=StatementFilter(
                agent=p.agent_ifi(params),
                related_agents=p.boolean(params, "related_agents"),
                verb=p.iri(params, "verb"),
                activity=p.iri(params, "activity"),
                related_activities=p.boolean(params, "related_activities"),
                registration=p.uuid_param(params, "registration"),
            ),
            since=p.timestamp(params, "since"),
            until=p.timestamp(params, "until"),
            ascending=p.boolean(params, "ascending"),
            limit=limit + 1,
            after=after,
        )
        output = _Output.from_params(req, params)
        records = self._service.find(req.context.principal, query)
        more = ""
        if len(records) > limit:
            records = records[:limit]
            last = records[-1]
            more = encode_more(params, (last.stored, last.id))
        if records:
            newest = max(record.stored for record in records)
            resp.set_header("Last-Modified", format_datetime(newest, usegmt=True))
        self._render(
            req, resp, records, output, lambda statements: {"statements": statements, "more": more}
        )

    def _render(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        records: Sequence[ListedStatement],
        output: _Output,
        shape: Any,
    ) -> None:
        principal = req.context.principal
        definitions: dict[str, dict[str, Any]] = {}
        if output.format == "canonical":
            activity_ids = list(
                {
                    i
                    for record in records
                    for i in compute_queriables(record.statement).related_activities
                }
            )
            definitions = self._service.activity_definitions(principal, activity_ids)
        statements = [
            format_statement(
                record.statement,
                output.format,  # type: ignore[arg-type]
                output.languages,
                activity_definition=definitions.get,
            )
            for record in records
        ]
        body = orjson.dumps(shape(statements))
        if not output.attachments:
            resp.data = body
            resp.content_type = falcon.MEDIA_JSON
            return
        parts = [
            AttachmentPart(sha2=a.sha2, data=a.content, content_type=a.content_type)
            for a in self._service.attachments_of(principal, records)
        ]
        resp.data, resp.content_type = build_multipart(body, parts)


class _Output:
    """How statements are rendered: format, languages for canonical, attachments or not."""

    def __init__(self, format: str, languages: Any, attachments: bool) -> None:
        self.format = format
        self.languages = languages
        self.attachments = attachments

    @classmethod
    def from_params(cls, req: falcon.Request, params: dict[str, str]) -> _Output:
        format = params.get("format", "exact")
        if format not in _FORMATS:
            raise BadRequest(
                f"format: must be exact, ids or canonical, not {format!r}", field="format"
            )
        return cls(
            format=format,
            languages=parse_accept_language(req.get_header("Accept-Language")),
            attachments=p.boolean(params, "attachments"),
        )
