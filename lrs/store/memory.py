"""``MemoryStore``: the ``Store`` protocol over Python dicts guarded by one lock.

Documents are kept in their stored (Learning Locker) shape, exactly as ``PostgresStore`` keeps
them in JSONB, so both stores answer queries over the same data. Memory is per process: serve it
from a single gunicorn worker.
"""

from __future__ import annotations

import bisect
import copy
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from lrs.aggregate.ast import Pipeline
from lrs.aggregate.documents import run_in_python
from lrs.aggregate.evaluate import Bounds
from lrs.core.errors import Conflict, NotFound, StaleWrite
from lrs.documents.model import Document, DocumentKey, DocumentScope, DocumentWrite, Precondition
from lrs.documents.rules import apply_write, check_precondition
from lrs.query.ast import Filter
from lrs.statements.definitions import merge_definition
from lrs.statements.plan import plan_insert
from lrs.statements.record import (
    AttachmentContent,
    ListedStatement,
    StatementQuery,
    StatementRecord,
)
from lrs.store.find import (
    FindQuery,
    StatementScope,
    count_in_memory,
    find_in_memory,
    model_query_view,
    model_stored_form,
)
from lrs.store.models import Client, Lrs, ModelDocument, Organisation


def _in_organisation(model: str, doc: Mapping[str, Any], organisation_id: str | None) -> bool:
    if organisation_id is None:
        return True
    owner = doc["_id"] if model == "organisation" else doc.get("organisation")
    return owner == organisation_id


def _document_slot(key: DocumentKey) -> tuple[str, str]:
    return (key.scope.registration or "", key.document_id)


_Position = tuple[datetime, str, str]  # stored, _id, statement id: the listing order
_NOTHING: list[_Position] = []


@dataclass
class _Statements:
    """One store's statements: by id, and ordered by ``(stored, _id)`` for listings, overall
    and per term (so a filtered listing visits only the records carrying its rarest term)."""

    by_id: dict[str, StatementRecord] = field(default_factory=dict)
    order: list[_Position] = field(default_factory=list)
    terms: dict[str, frozenset[str]] = field(default_factory=dict)
    by_term: dict[str, list[_Position]] = field(default_factory=lambda: defaultdict(list))
    referencing: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    attachments: dict[str, AttachmentContent] = field(default_factory=dict)
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def put(self, record: StatementRecord) -> None:
        position = (record.stored, record.id, record.statement_id)
        if record.statement_id not in self.by_id:
            bisect.insort(self.order, position)
            if record.ref_target is not None:
                self.referencing[record.ref_target].add(record.statement_id)
        old_terms = self.terms.get(record.statement_id, frozenset())
        new_terms = frozenset(record.terms)
        for term in new_terms - old_terms:
            bisect.insort(self.by_term[term], position)
        for term in old_terms - new_terms:
            self.by_term[term].remove(position)
        self.by_id[record.statement_id] = record
        self.terms[record.statement_id] = new_terms

    def remove(self, record: StatementRecord) -> None:
        """Forget one record (REST v2 statement deletion)."""
        position = (record.stored, record.id, record.statement_id)
        del self.by_id[record.statement_id]
        for term in self.terms.pop(record.statement_id, frozenset()):
            self.by_term[term].remove(position)
        self.order.remove(position)
        if record.ref_target is not None:
            self.referencing.get(record.ref_target, set()).discard(record.statement_id)

    def walk(self, query: StatementQuery, wanted: frozenset[str]) -> Iterator[StatementRecord]:
        """Records in the query's order, past its keyset position, within its stored window.

        With ``wanted`` terms, only the records carrying the rarest of them are visited; the
        caller still tests every term (and everything else) on each record.
        """
        sequence = self.order
        if wanted:
            sequence = min((self.by_term.get(term, _NOTHING) for term in wanted), key=len)
        # Entries are (stored, _id, statement id); "\uffff" sorts after any id, "" before.
        low, high = 0, len(sequence)
        if query.since is not None:  # stored > since
            low = bisect.bisect_right(sequence, (query.since, "\uffff"))
        if query.until is not None:  # stored <= until
            high = bisect.bisect_right(sequence, (query.until, "\uffff"))
        if query.after is not None:
            if query.ascending:
                low = max(low, bisect.bisect_right(sequence, (*query.after, "\uffff")))
            else:
                high = min(high, bisect.bisect_left(sequence, (*query.after, "")))
        positions = range(low, high) if query.ascending else range(high - 1, low - 1, -1)
        for position in positions:
            yield self.by_id[sequence[position][2]]


class MemoryStore:
    """An in-memory ``Store``: fast, per process, gone at exit."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._models: dict[str, dict[str, ModelDocument]] = defaultdict(dict)
        self._client_ids_by_key: dict[str, str] = {}
        self._statements: dict[str, _Statements] = defaultdict(_Statements)
        # (lrs_id, kind, activity_id, agent) -> (registration, document id) -> document
        self._documents: dict[tuple[str, str, str, str], dict[tuple[str, str], Document]] = (
            defaultdict(dict)
        )

    def ping(self) -> None:
        """The memory store always answers."""

    def check_schema(self) -> None:
        """The memory store has no schema to migrate."""

    def refresh_statistics(self) -> None:
        """The memory store plans nothing: nothing to learn."""

    def has_organisations(self) -> bool:
        """True when at least one organisation exists."""
        with self._lock:
            return bool(self._models["organisation"])

    def add_organisation(self, organisation: Organisation) -> None:
        """Persist a new organisation."""
        with self._lock:
            self._insert("organisation", organisation.to_document())

    def get_organisation(self, organisation_id: str) -> Organisation | None:
        """The organisation with this id, or None."""
        doc = self._get("organisation", organisation_id)
        return Organisation.from_document(doc) if doc else None

    def add_lrs(self, lrs: Lrs) -> None:
        """Persist a new store under an existing organisation."""
        with self._lock:
            self._require_organisation(lrs.organisation_id)
            self._insert("lrs", lrs.to_document())

    def get_lrs(self, lrs_id: str) -> Lrs | None:
        """The store with this id, or None."""
        doc = self._get("lrs", lrs_id)
        return Lrs.from_document(doc) if doc else None

    def list_lrs(self, organisation_id: str) -> list[Lrs]:
        """The organisation's stores, oldest first."""
        with self._lock:
            docs = [d for d in self._models["lrs"].values() if d["organisation"] == organisation_id]
        return [Lrs.from_document(doc) for doc in sorted(docs, key=lambda d: d["_id"])]

    def add_client(self, client: Client) -> None:
        """Persist a new client with a unique Basic-auth key."""
        with self._lock:
            self._require_organisation(client.organisation_id)
            if client.lrs_id is not None:
                self._require_lrs(client.lrs_id, client.organisation_id)
            if client.basic_key in self._client_ids_by_key:
                raise Conflict("a client with this api.basic_key already exists")
            self._insert("client", client.to_document())
            self._client_ids_by_key[client.basic_key] = client.id

    def get_client(self, client_id: str) -> Client | None:
        """The client with this id, or None."""
        doc = self._get("client", client_id)
        return Client.from_document(doc) if doc else None

    def get_client_by_key(self, basic_key: str) -> Client | None:
        """The client holding this Basic-auth key, or None."""
        with self._lock:
            client_id = self._client_ids_by_key.get(basic_key)
            return self.get_client(client_id) if client_id else None

    def add_tenant_if_empty(self, organisation: Organisation, lrs: Lrs, client: Client) -> bool:
        """Add organisation, store and client together when no organisation exists yet."""
        with self._lock:
            if self._models["organisation"]:
                return False
            self.add_organisation(organisation)
            self.add_lrs(lrs)
            self.add_client(client)
            return True

    def find_models(
        self, model: str, organisation_id: str | None, query: FindQuery
    ) -> list[dict[str, Any]]:
        """A page of one model's documents by the reference semantics."""
        with self._lock:
            docs = self._scoped_views(model, organisation_id)
        return find_in_memory(docs, query)

    def count_models(self, model: str, organisation_id: str | None, condition: Filter) -> int:
        """How many of one model's documents match."""
        with self._lock:
            docs = self._scoped_views(model, organisation_id)
        return count_in_memory(docs, condition)

    def get_model(
        self, model: str, organisation_id: str | None, model_id: str
    ) -> dict[str, Any] | None:
        """One document by ``_id`` within the organisation."""
        with self._lock:
            doc = self._models[model].get(model_id)
            if doc is None or not _in_organisation(model, doc, organisation_id):
                return None
            return model_query_view(copy.deepcopy(doc))

    def put_models(
        self,
        model: str,
        docs: Sequence[Mapping[str, Any]],
        *,
        expected_updated: Mapping[str, datetime | None] | None = None,
    ) -> None:
        """Create or replace documents, all or nothing; ``StaleWrite`` when a document's
        ``updatedAt`` is not the one the writer read."""
        stored = [model_stored_form(copy.deepcopy(dict(doc))) for doc in docs]
        with self._lock:
            table = self._models[model]
            for model_id, updated in (expected_updated or {}).items():
                previous = table.get(model_id)
                now_stored = None if previous is None else previous.get("updatedAt")
                if now_stored != model_stored_form({"updatedAt": updated})["updatedAt"]:
                    raise StaleWrite(f"{model} {model_id} was changed by another request")
            if model == "client":
                keys = [doc["api"]["basic_key"] for doc in stored]
                if len(set(keys)) != len(keys):
                    raise Conflict("two clients in the request have the same api.basic_key")
                for doc in stored:
                    holder = self._client_ids_by_key.get(doc["api"]["basic_key"])
                    if holder is not None and holder != doc["_id"]:
                        raise Conflict("a client with this api.basic_key already exists")
            for doc in stored:
                previous = table.get(doc["_id"])
                if model == "client":
                    if previous is not None:
                        self._client_ids_by_key.pop(previous["api"]["basic_key"], None)
                    self._client_ids_by_key[doc["api"]["basic_key"]] = doc["_id"]
                table[doc["_id"]] = doc

    def delete_model(self, model: str, organisation_id: str | None, model_id: str) -> bool:
        """Delete one document within the organisation."""
        with self._lock:
            table = self._models[model]
            doc = table.get(model_id)
            if doc is None or not _in_organisation(model, doc, organisation_id):
                return False
            del table[model_id]
            if model == "client":
                self._client_ids_by_key.pop(doc["api"]["basic_key"], None)
            return True

    def _scoped_views(self, model: str, organisation_id: str | None) -> list[dict[str, Any]]:
        return [
            model_query_view(copy.deepcopy(doc))
            for doc in self._models[model].values()
            if _in_organisation(model, doc, organisation_id)
        ]

    def insert_statements(
        self,
        lrs_id: str,
        records: Sequence[StatementRecord],
        attachments: Sequence[AttachmentContent] = (),
    ) -> int:
        """Store a batch atomically (the plan is computed before anything changes)."""
        with self._lock:
            lrs_doc = self._models["lrs"].get(lrs_id)
            if lrs_doc is None:
                raise NotFound(f"store {lrs_id} does not exist")
            statements = self._statements[lrs_id]
            wanted = {r.statement_id for r in records} | {
                r.ref_target for r in records if r.ref_target is not None
            }
            stored = {i: statements.by_id[i] for i in wanted if i in statements.by_id}
            referencing = [
                statements.by_id[i]
                for record in records
                for i in statements.referencing.get(record.statement_id, ())
            ]
            plan = plan_insert(records, stored, referencing)
            for record in plan.new_records:
                statements.put(record)
            for statement_id in plan.void_ids:
                statements.put(replace(statements.by_id[statement_id], voided=True))
            for statement_id, queriables in plan.requeried:
                statements.put(replace(statements.by_id[statement_id], queriables=queriables))
            for activity_id, definition in plan.definitions.items():
                statements.definitions[activity_id] = merge_definition(
                    statements.definitions.get(activity_id), definition
                )
            for attachment in attachments:
                statements.attachments.setdefault(attachment.sha2, attachment)
            lrs_doc["statementCount"] = lrs_doc.get("statementCount", 0) + len(plan.new_records)
            return len(plan.new_records)

    def find_statement_documents(
        self, scope: StatementScope, query: FindQuery
    ) -> list[dict[str, Any]]:
        """Scan the scope's statements with the reference semantics."""
        return find_in_memory(self._statement_documents(scope), query)

    def stream_statement_documents(
        self, scope: StatementScope, condition: Filter, *, serialise_only: bool = False
    ) -> Iterator[dict[str, Any]]:
        """The scope's matching records in ``(stored, _id)`` order (``memory_export``)."""
        from lrs.store.memory_export import stream_records

        with self._lock:  # a snapshot of the listing orders; records are immutable
            stores = [scope.lrs_id] if scope.lrs_id is not None else list(self._statements)
            orders = [
                (list(self._statements[i].order), self._statements[i].by_id)
                for i in stores
                if i in self._statements
            ]
        return stream_records(orders, scope, condition)

    def aggregate_statements(
        self,
        scope: StatementScope,
        pipeline: Pipeline,
        *,
        bounds: Bounds,
        tick: Callable[[], None],
    ) -> Iterator[dict[str, Any]]:
        """Run the pipeline in Python over the scope's records, streamed in natural order."""
        return run_in_python(
            self.stream_statement_documents, scope, pipeline, bounds=bounds, tick=tick
        )

    def count_statement_documents(self, scope: StatementScope, condition: Filter) -> int:
        """Count the scope's matching statements."""
        return count_in_memory(self._statement_documents(scope), condition)

    def delete_statement_documents(self, scope: StatementScope, record_ids: Sequence[str]) -> int:
        """Delete the scope's records with these ``_id``s and shrink their stores' counts."""
        wanted = set(record_ids)
        deleted = 0
        with self._lock:
            for lrs_id, statements in self._statements.items():
                if scope.lrs_id is not None and lrs_id != scope.lrs_id:
                    continue
                doomed = [
                    record
                    for record in statements.by_id.values()
                    if record.id in wanted
                    and record.organisation_id == scope.organisation_id
                    and (scope.client_id is None or record.client_id == scope.client_id)
                ]
                for record in doomed:
                    statements.remove(record)
                lrs_doc = self._models["lrs"].get(lrs_id)
                if doomed and lrs_doc is not None:
                    count = lrs_doc.get("statementCount", 0) - len(doomed)
                    lrs_doc["statementCount"] = max(count, 0)
                deleted += len(doomed)
        return deleted

    def _statement_documents(self, scope: StatementScope) -> list[dict[str, Any]]:
        with self._lock:
            stores = [scope.lrs_id] if scope.lrs_id is not None else list(self._statements)
            return [
                record.to_query_document()
                for lrs_id in stores
                if lrs_id in self._statements
                for record in self._statements[lrs_id].by_id.values()
                if record.organisation_id == scope.organisation_id
                and (scope.client_id is None or record.client_id == scope.client_id)
            ]

    def get_statement(self, lrs_id: str, statement_id: str) -> StatementRecord | None:
        """The statement with this id in this store, or None."""
        with self._lock:
            statements = self._statements.get(lrs_id)
            return statements.by_id.get(statement_id.lower()) if statements else None

    def find_statements(self, query: StatementQuery) -> list[ListedStatement]:
        """Walk the store's ordered statements, keeping the matching ones."""
        wanted = frozenset(query.filter.terms())
        page: list[ListedStatement] = []
        with self._lock:
            statements = self._statements.get(query.lrs_id)
            if statements is None or query.limit <= 0:
                return page
            for record in statements.walk(query, wanted):
                if query.ascending and query.until is not None and record.stored > query.until:
                    break
                if not query.ascending and query.since is not None and record.stored <= query.since:
                    break
                if (
                    record.voided
                    or (query.since is not None and record.stored <= query.since)
                    or (query.until is not None and record.stored > query.until)
                    or (query.client_id is not None and record.client_id != query.client_id)
                    or not wanted <= statements.terms[record.statement_id]
                ):
                    continue
                page.append(record.listed())
                if len(page) >= query.limit:
                    break
        return page

    def get_attachments(self, lrs_id: str, hashes: Iterable[str]) -> dict[str, AttachmentContent]:
        """The stored attachments among these hashes."""
        with self._lock:
            statements = self._statements.get(lrs_id)
            if statements is None:
                return {}
            return {h: statements.attachments[h] for h in hashes if h in statements.attachments}

    def get_activity_definitions(
        self, lrs_id: str, activity_ids: Iterable[str]
    ) -> dict[str, dict[str, Any]]:
        """The merged definitions of these activities."""
        with self._lock:
            statements = self._statements.get(lrs_id)
            if statements is None:
                return {}
            return {
                i: dict(statements.definitions[i])
                for i in activity_ids
                if i in statements.definitions
            }

    def get_document(self, key: DocumentKey) -> Document | None:
        """The document under this key, or None."""
        with self._lock:
            return self._document_group(key.scope).get(_document_slot(key))

    def list_document_ids(
        self, scope: DocumentScope, since: datetime | None = None
    ) -> list[tuple[str, datetime]]:
        """The scope's document ids and update times, by id."""
        with self._lock:
            found = [
                (document_id, document.updated)
                for (registration, document_id), document in self._document_group(scope).items()
                if (scope.registration is None or registration == scope.registration)
                and (since is None or document.updated > since)
            ]
        return sorted(found)

    def write_document(self, key: DocumentKey, write: DocumentWrite, now: datetime) -> Document:
        """Apply the write under the store's lock."""
        with self._lock:
            group = self._document_group(key.scope)
            document = apply_write(key, group.get(_document_slot(key)), write, now)
            group[_document_slot(key)] = document
            return document

    def delete_document(self, key: DocumentKey, precondition: Precondition) -> bool:
        """Delete one document if the precondition holds."""
        with self._lock:
            group = self._document_group(key.scope)
            check_precondition(group.get(_document_slot(key)), precondition)
            return group.pop(_document_slot(key), None) is not None

    def delete_documents(self, scope: DocumentScope) -> int:
        """Delete the scope's documents."""
        with self._lock:
            group = self._document_group(scope)
            doomed = [
                slot
                for slot in group
                if scope.registration is None or slot[0] == scope.registration
            ]
            for slot in doomed:
                del group[slot]
            return len(doomed)

    def reset(self, tenant: tuple[Organisation, Lrs, Client] | None = None) -> None:
        """Delete everything; then store ``tenant`` again, under the same lock."""
        with self._lock:
            self._models.clear()
            self._client_ids_by_key.clear()
            self._statements.clear()
            self._documents.clear()
            if tenant is not None:
                self.add_tenant_if_empty(*tenant)

    def _document_group(self, scope: DocumentScope) -> dict[tuple[str, str], Document]:
        return self._documents[(scope.lrs_id, scope.kind.value, scope.activity_id, scope.agent)]

    def close(self) -> None:
        """Nothing to release."""

    def _insert(self, model: str, doc: ModelDocument) -> None:
        table = self._models[model]
        if doc["_id"] in table:
            raise Conflict(f"a {model} with _id {doc['_id']} already exists")
        table[doc["_id"]] = doc

    def _get(self, model: str, model_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._models[model].get(model_id)

    def _require_organisation(self, organisation_id: str) -> None:
        if organisation_id not in self._models["organisation"]:
            raise NotFound(f"organisation {organisation_id} does not exist")

    def _require_lrs(self, lrs_id: str, organisation_id: str) -> None:
        doc = self._models["lrs"].get(lrs_id)
        if doc is None or doc["organisation"] != organisation_id:
            raise NotFound(f"store {lrs_id} does not exist in organisation {organisation_id}")
