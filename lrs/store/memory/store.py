"""``MemoryStore``: the ``Store`` protocol over Python dicts guarded by one lock, composed of one
mixin per concern, plus what concerns the whole store (ping, schema check, statistics, reset,
close).
"""

from __future__ import annotations

from lrs.store.memory.aggregation import AggregationMixin
from lrs.store.memory.attachments import AttachmentsMixin
from lrs.store.memory.documents import DocumentsMixin
from lrs.store.memory.models import ModelsMixin
from lrs.store.memory.statement_documents import StatementDocumentsMixin
from lrs.store.memory.statements import StatementsMixin
from lrs.store.memory.tenancy import TenancyMixin
from lrs.store.models import Client, Lrs, Organisation


class MemoryStore(
    TenancyMixin,
    ModelsMixin,
    StatementsMixin,
    StatementDocumentsMixin,
    DocumentsMixin,
    AttachmentsMixin,
    AggregationMixin,
):
    """An in-memory ``Store``: fast, per process, gone at exit.

    Each concern is a mixin in its own module; they share one lock and the dicts it guards
    (``MemoryState``)."""

    def ping(self) -> None:
        """The memory store always answers."""

    def check_schema(self) -> None:
        """The memory store has no schema to migrate."""

    def refresh_statistics(self) -> None:
        """The memory store plans nothing: nothing to learn."""

    def reset(self, tenant: tuple[Organisation, Lrs, Client] | None = None) -> None:
        """Delete everything; then store ``tenant`` again, under the same lock."""
        with self._lock:
            self._models.clear()
            self._client_ids_by_key.clear()
            self._statements.clear()
            self._documents.clear()
            if tenant is not None:
                self.add_tenant_if_empty(*tenant)

    def close(self) -> None:
        """Nothing to release."""
