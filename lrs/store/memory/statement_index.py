"""``_Statements``: one store's statements in memory, by id and in listing order (overall and
per lookup term).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lrs.statements.record import (
    AttachmentContent,
    StatementQuery,
    StatementRecord,
)

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
