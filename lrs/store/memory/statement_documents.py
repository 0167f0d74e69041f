"""Learning Locker's statement documents (REST v2 and the Connection API): find, stream, count and
delete, with the reference semantics (``lrs.store.find``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from lrs.query.ast import Filter
from lrs.store.find import (
    FindQuery,
    StatementScope,
    count_in_memory,
    find_in_memory,
)
from lrs.store.memory.state import MemoryState


class StatementDocumentsMixin(MemoryState):
    """Statement documents: find, stream, count and delete."""

    def find_statement_documents(
        self, scope: StatementScope, query: FindQuery
    ) -> list[dict[str, Any]]:
        """Scan the scope's statements with the reference semantics."""
        return find_in_memory(self._statement_documents(scope), query)

    def stream_statement_documents(
        self, scope: StatementScope, condition: Filter, *, serialise_only: bool = False
    ) -> Iterator[dict[str, Any]]:
        """The scope's matching records in ``(stored, _id)`` order (``lrs.store.memory.export``)."""
        from lrs.store.memory.export import stream_records

        with self._lock:  # a snapshot of the listing orders; records are immutable
            stores = [scope.lrs_id] if scope.lrs_id is not None else list(self._statements)
            orders = [
                (list(self._statements[i].order), self._statements[i].by_id)
                for i in stores
                if i in self._statements
            ]
        return stream_records(orders, scope, condition)

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
