"""The ``Store`` protocol: everything the application asks of storage.

Two implementations satisfy it: ``MemoryStore`` (dicts and a lock, for development and for
embedding in tests) and ``PostgresStore`` (SQLAlchemy Core over psycopg 3). The contract suite in
``tests/contract`` runs unchanged against both. Later features (statements, documents, REST
models) extend this protocol, both stores and the contract suite together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from lrs.documents.model import Document, DocumentKey, DocumentScope, DocumentWrite, Precondition
from lrs.query.ast import Filter
from lrs.statements.record import (
    AttachmentContent,
    ListedStatement,
    StatementQuery,
    StatementRecord,
)
from lrs.store.find import FindQuery, StatementScope
from lrs.store.models import Client, Lrs, Organisation

if TYPE_CHECKING:
    from lrs.aggregate.ast import Pipeline
    from lrs.aggregate.evaluate import Bounds


class Store(Protocol):
    """Persistence for tenancy models. Methods raise ``lrs.core.errors`` types, no driver errors."""

    def ping(self) -> None:
        """Return when the store answers; raise ``StoreUnavailable`` when it does not."""
        ...

    def check_schema(self) -> None:
        """Raise ``SchemaNotCurrent`` when the storage schema is not at the migration head."""
        ...

    def refresh_statistics(self) -> None:
        """Let the store's query planner learn the statements' current shape (after a large
        write such as an import); a store without a planner does nothing."""
        ...

    def has_organisations(self) -> bool:
        """True when at least one organisation exists."""
        ...

    def add_organisation(self, organisation: Organisation) -> None:
        """Persist a new organisation; ``Conflict`` if its id exists."""
        ...

    def get_organisation(self, organisation_id: str) -> Organisation | None:
        """The organisation with this id, or None."""
        ...

    def add_lrs(self, lrs: Lrs) -> None:
        """Persist a new store; ``NotFound`` if its organisation does not exist."""
        ...

    def get_lrs(self, lrs_id: str) -> Lrs | None:
        """The store with this id, or None."""
        ...

    def list_lrs(self, organisation_id: str) -> list[Lrs]:
        """The organisation's stores, oldest first."""
        ...

    def add_client(self, client: Client) -> None:
        """Persist a new client.

        ``NotFound`` if its organisation or store does not exist (or the store belongs to another
        organisation); ``Conflict`` if its Basic-auth key is taken.
        """
        ...

    def get_client(self, client_id: str) -> Client | None:
        """The client with this id, or None."""
        ...

    def get_client_by_key(self, basic_key: str) -> Client | None:
        """The client holding this Basic-auth key, or None."""
        ...

    def add_tenant_if_empty(self, organisation: Organisation, lrs: Lrs, client: Client) -> bool:
        """Atomically add all three when no organisation exists yet; False (and no change) if any
        does. Concurrent callers on an empty store: exactly one succeeds."""
        ...

    def find_models(
        self, model: str, organisation_id: str | None, query: FindQuery
    ) -> list[dict[str, Any]]:
        """A page of one model's documents (query view), within an organisation when given."""
        ...

    def count_models(self, model: str, organisation_id: str | None, condition: Filter) -> int:
        """How many of one model's documents match, within an organisation when given."""
        ...

    def get_model(
        self, model: str, organisation_id: str | None, model_id: str
    ) -> dict[str, Any] | None:
        """One document (query view) by ``_id``, within an organisation when given."""
        ...

    def put_models(
        self,
        model: str,
        docs: Sequence[Mapping[str, Any]],
        *,
        expected_updated: Mapping[str, datetime | None] | None = None,
    ) -> None:
        """Create or replace documents (each with ``_id``; ``organisation`` scopes it), all or
        nothing. ``Conflict`` when a client's ``api.basic_key`` is taken by another client.

        ``expected_updated`` maps the ids of documents the writer read to the ``updatedAt`` it
        read; if a stored document's differs, nothing is written and ``StaleWrite`` is raised,
        so a read-modify-write never overwrites a concurrent change.
        """
        ...

    def delete_model(self, model: str, organisation_id: str | None, model_id: str) -> bool:
        """Delete one document; False when there was none (in that organisation)."""
        ...

    def insert_statements(
        self,
        lrs_id: str,
        records: Sequence[StatementRecord],
        attachments: Sequence[AttachmentContent] = (),
    ) -> int:
        """Store a batch atomically, by the rules of ``lrs.statements.plan``; return how many
        statements were added (the others were stored already with the same content).

        ``Conflict`` (and nothing stored) if any id is stored with other content; ``BadRequest``
        if an id repeats within the batch. Attachments are kept once per store by SHA-2. The
        store's ``statementCount`` grows by the number of statements actually added.
        """
        ...

    def find_statement_documents(
        self, scope: StatementScope, query: FindQuery
    ) -> list[dict[str, Any]]:
        """A page of statement records in Learning Locker's document shape (query view:
        ``timestamp``/``stored`` as instants), voided ones included, within the scope."""
        ...

    def stream_statement_documents(
        self, scope: StatementScope, condition: Filter, *, serialise_only: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Every statement record in the scope matching ``condition``, voided ones included
        (filter on ``voided`` to leave them out), in ``(stored, _id)`` ascending order, as
        ``find_statement_documents`` shapes them, read a batch at a time so memory stays flat
        whatever the number (exports). ``serialise_only`` as in ``FindQuery``. Close the
        iterator (or exhaust it) to release its connection."""
        ...

    def aggregate_statements(
        self,
        scope: StatementScope,
        pipeline: Pipeline,
        *,
        bounds: Bounds,
        tick: Callable[[], None],
    ) -> Iterator[dict[str, Any]]:
        """The documents an aggregation pipeline gives over the statement records in the scope
        (voided ones included; ``lrs.aggregate.documents`` says what the pipeline reads).
        ``tick`` is called as documents are read, so the caller can stop a long run; close the
        iterator (or exhaust it) to release its connection."""
        ...

    def count_statement_documents(self, scope: StatementScope, condition: Filter) -> int:
        """How many statement records in the scope match."""
        ...

    def delete_statement_documents(self, scope: StatementScope, record_ids: Sequence[str]) -> int:
        """Delete the statement records with these ``_id``s within the scope (REST v2
        ``DELETE /api/v2/statement/:id``); each store's ``statementCount`` shrinks accordingly.
        Returns how many were deleted."""
        ...

    def get_statement(self, lrs_id: str, statement_id: str) -> StatementRecord | None:
        """The statement with this id (voided or not) in this store, or None."""
        ...

    def find_statements(self, query: StatementQuery) -> list[ListedStatement]:
        """Up to ``query.limit`` unvoided statements matching the query, in its order."""
        ...

    def get_attachments(self, lrs_id: str, hashes: Iterable[str]) -> dict[str, AttachmentContent]:
        """The stored attachments among these SHA-2 hashes, by hash."""
        ...

    def get_activity_definitions(
        self, lrs_id: str, activity_ids: Iterable[str]
    ) -> dict[str, dict[str, Any]]:
        """The canonical (merged) definitions of these activities, for those that have one."""
        ...

    def get_document(self, key: DocumentKey) -> Document | None:
        """The document under this key, or None."""
        ...

    def list_document_ids(
        self, scope: DocumentScope, since: datetime | None = None
    ) -> list[tuple[str, datetime]]:
        """``(document id, updated)`` of the scope's documents (updated after ``since``), by id.

        A scope whose ``registration`` is None matches every registration.
        """
        ...

    def write_document(self, key: DocumentKey, write: DocumentWrite, now: datetime) -> Document:
        """Check the precondition and write, as one atomic step (``lrs.documents.rules``)."""
        ...

    def delete_document(self, key: DocumentKey, precondition: Precondition) -> bool:
        """Delete one document if the precondition holds; False when there was none."""
        ...

    def delete_documents(self, scope: DocumentScope) -> int:
        """Delete every document of the scope; the number deleted."""
        ...

    def reset(self, tenant: tuple[Organisation, Lrs, Client] | None = None) -> None:
        """Delete everything (tests only). With ``tenant``, that organisation, store and client
        are stored again exactly as given, in the same atomic step: ``lrs.testing`` returns an
        embedded server to its bootstrap state this way, its credentials never failing."""
        ...

    def close(self) -> None:
        """Release connections and other resources."""
        ...
