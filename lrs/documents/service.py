"""Document use cases: read, list, write (PUT/POST) and delete, within the client's store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from lrs.core.errors import NotFound
from lrs.core.timeutil import utc_now
from lrs.documents.model import Document, DocumentKey, DocumentScope, DocumentWrite, Precondition
from lrs.store.base import Store


class DocumentService:
    """The three document resources share these operations; keys come scoped to a store."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock

    def get(self, key: DocumentKey, parameter: str) -> Document:
        """The document, or ``NotFound`` naming the id parameter."""
        document = self._store.get_document(key)
        if document is None:
            raise NotFound(f"no document with {parameter}={key.document_id} here")
        return document

    def list_ids(self, scope: DocumentScope, since: datetime | None) -> list[tuple[str, datetime]]:
        """Ids of the scope's documents updated after ``since``, each once (a state id held
        under several registrations, listed without one, is one id), with its latest update."""
        latest: dict[str, datetime] = {}
        for document_id, updated in self._store.list_document_ids(scope, since):
            if document_id not in latest or updated > latest[document_id]:
                latest[document_id] = updated
        return sorted(latest.items())

    def write(self, key: DocumentKey, write: DocumentWrite) -> Document:
        """Replace or merge, atomically with the precondition check."""
        return self._store.write_document(key, write, self._clock())

    def delete(self, key: DocumentKey, precondition: Precondition) -> None:
        """Delete one document (deleting a missing one is not an error)."""
        self._store.delete_document(key, precondition)

    def delete_all(self, scope: DocumentScope) -> None:
        """Delete every document of the scope."""
        self._store.delete_documents(scope)
