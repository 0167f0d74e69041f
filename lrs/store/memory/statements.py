"""xAPI statements: storing a batch (planned before anything changes), one by id, listings and
merged activity definitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from lrs.core.errors import NotFound
from lrs.statements.definitions import merge_definition
from lrs.statements.plan import plan_insert
from lrs.statements.record import (
    AttachmentContent,
    ListedStatement,
    StatementQuery,
    StatementRecord,
)
from lrs.store.memory.state import MemoryState


class StatementsMixin(MemoryState):
    """``insert_statements``, ``get_statement``, ``find_statements``, activity definitions."""

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
