"""The memory store's ``stream_statement_documents``: records in ``(stored, _id)`` order.

``MemoryStore`` hands over a snapshot of each store's listing order (taken under its lock) and
the store's records by statement id; the records are immutable, so they are read here without
the lock. A record deleted since the snapshot is skipped.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from lrs.query import evaluate
from lrs.query.ast import Filter
from lrs.statements.record import StatementRecord
from lrs.store.find import StatementScope

# (stored, _id, statement id): the memory store's listing order entries
Position = tuple[datetime, str, str]


def stream_records(
    orders: Sequence[tuple[Sequence[Position], Mapping[str, StatementRecord]]],
    scope: StatementScope,
    condition: Filter,
) -> Iterator[dict[str, Any]]:
    """The query documents of the records in ``orders`` (each store's positions, in order, with
    its records by statement id) that are in ``scope`` and match ``condition``, merged into one
    ``(stored, _id)`` order."""
    for entry in heapq.merge(*(_records(positions, by_id) for positions, by_id in orders)):
        record = entry[1]
        if record.organisation_id != scope.organisation_id or (
            scope.client_id is not None and record.client_id != scope.client_id
        ):
            continue
        document = record.to_query_document()
        if evaluate.matches(condition, document):
            yield document


def _records(
    positions: Sequence[Position], by_id: Mapping[str, StatementRecord]
) -> Iterator[tuple[tuple[datetime, str], StatementRecord]]:
    for stored, record_id, statement_id in positions:
        record = by_id.get(statement_id)
        if record is not None and record.id == record_id:
            yield (stored, record_id), record
