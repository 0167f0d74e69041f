"""State and profile documents, grouped by store, kind, activity and agent."""

from __future__ import annotations

from datetime import datetime

from lrs.documents.model import Document, DocumentKey, DocumentScope, DocumentWrite, Precondition
from lrs.documents.rules import apply_write, check_precondition
from lrs.store.memory.state import MemoryState


class DocumentsMixin(MemoryState):
    """State and profile documents: get, list, write and delete."""

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

    def _document_group(self, scope: DocumentScope) -> dict[tuple[str, str], Document]:
        return self._documents[(scope.lrs_id, scope.kind.value, scope.activity_id, scope.agent)]


def _document_slot(key: DocumentKey) -> tuple[str, str]:
    return (key.scope.registration or "", key.document_id)
