"""Statement use cases: store a batch, read one, list a page. No HTTP, no SQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from lrs.core.errors import BadRequest, Forbidden, NotFound
from lrs.core.timeutil import utc_now
from lrs.http.auth import Principal
from lrs.statements.build import build_record
from lrs.statements.record import (
    AttachmentContent,
    ListedStatement,
    StatementQuery,
    StatementRecord,
)
from lrs.store.base import Store
from lrs.xapi.intake import StatementsRequest
from lrs.xapi.validate import validate_uuid


def store_id_of(principal: Principal) -> str:
    """The store an xAPI request works on: the client's. Organisation-wide clients have none."""
    if principal.client.lrs_id is None:
        raise Forbidden(
            "this client is not bound to a store; the xAPI needs a client created for a store"
        )
    return principal.client.lrs_id


class StatementService:
    """Storing and reading statements for an authenticated principal."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime] = utc_now,
        *,
        on_stored: Callable[[int], None] | None = None,
    ) -> None:
        """``on_stored(n)`` is told how many statements each successful ``store`` call added
        (a statement sent again unchanged is accepted but not added)."""
        self._store = store
        self._clock = clock
        self._on_stored = on_stored

    def store(
        self,
        principal: Principal,
        request: StatementsRequest,
        *,
        statement_id: str | None = None,
    ) -> list[str]:
        """Store the statements of a checked PUT/POST body atomically; return the ids in order.

        ``statement_id``: the ``statementId`` of a PUT; the body must then be one statement whose
        id, if it has one, equals it.
        """
        lrs_id = store_id_of(principal)
        statements = request.statements
        if statement_id is not None:
            statements = [_with_put_id(request, statement_id)]
        stored = self._clock()
        records = [
            build_record(
                statement,
                client=principal.client,
                lrs_id=lrs_id,
                stored=stored,
                statement_version=request.version.statement_version,
            )
            for statement in statements
        ]
        attachments = [
            AttachmentContent(
                sha2=part.sha2,
                content_type=part.content_type or "application/octet-stream",
                content=part.data,
            )
            for part in request.attachments.values()
        ]
        added = self._store.insert_statements(lrs_id, records, attachments)
        if self._on_stored is not None:
            self._on_stored(added)
        return [record.statement["id"] for record in records]

    def get(self, principal: Principal, statement_id: str, *, voided: bool) -> StatementRecord:
        """The statement by ``statementId`` (``voided=False``) or ``voidedStatementId``.

        ``NotFound`` when it does not exist, when its voided state is not the one asked for, or
        when the client may only read its own statements and this is not one of them.
        """
        lrs_id = store_id_of(principal)
        record = self._store.get_statement(lrs_id, statement_id)
        parameter = "voidedStatementId" if voided else "statementId"
        if (
            record is None
            or record.voided != voided
            or (principal.reads_only_own_statements and record.client_id != principal.client.id)
        ):
            raise NotFound(f"no statement matches {parameter}={statement_id}")
        return record

    def find(self, principal: Principal, query: StatementQuery) -> list[ListedStatement]:
        """A page of statements; the store and, for read/mine clients, the client are enforced."""
        lrs_id = store_id_of(principal)
        client_id = principal.client.id if principal.reads_only_own_statements else None
        return self._store.find_statements(
            StatementQuery(
                lrs_id=lrs_id,
                filter=query.filter,
                since=query.since,
                until=query.until,
                ascending=query.ascending,
                limit=query.limit,
                after=query.after,
                client_id=client_id,
            )
        )

    def attachments_of(
        self, principal: Principal, records: Sequence[ListedStatement]
    ) -> list[AttachmentContent]:
        """The stored attachment data of these statements, each hash once, in order."""
        hashes = list(dict.fromkeys(h for r in records for h in r.attachment_hashes))
        found = self._store.get_attachments(store_id_of(principal), hashes)
        return [found[h] for h in hashes if h in found]

    def activity_definitions(
        self, principal: Principal, activity_ids: list[str]
    ) -> dict[str, dict[str, Any]]:
        """Canonical definitions of these activities in the client's store."""
        return self._store.get_activity_definitions(store_id_of(principal), activity_ids)


def _with_put_id(request: StatementsRequest, statement_id: str) -> dict[str, Any]:
    validate_uuid(statement_id, "statementId")
    if not request.single:
        raise BadRequest("a PUT body must be one Statement object, not an array", field="body")
    [statement] = request.statements
    sent = statement.get("id")
    if sent is None:
        return {**statement, "id": statement_id}
    if sent.lower() != statement_id.lower():
        raise BadRequest(
            f"id: the statement's id {sent!r} differs from the statementId parameter "
            f"{statement_id!r}",
            field="id",
        )
    return statement
