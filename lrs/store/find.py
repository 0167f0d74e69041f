"""Finding documents with the query language, the same way in both stores.

``FindQuery`` is what the REST v2 and Connection APIs ask a store for: a filter, a sort that
ends with ``_id`` (``cursor.with_tiebreaker``), and either ``skip`` or a keyset ``position``.
``find_in_memory`` is the memory store's executor (``lrs.query.evaluate``, the reference
semantics); the PostgreSQL store runs the same query through ``lrs.query.sql``.

Documents are in their *query view*: JSON values, except that the instant fields a store keeps
as typed columns (``createdAt``/``updatedAt`` of models; ``timestamp``/``stored`` of statements)
are timezone-aware ``datetime`` objects.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lrs.core.timeutil import from_iso, to_iso
from lrs.query import evaluate
from lrs.query.ast import MATCH_ALL, Filter, Path, Sort, SortKey
from lrs.query.ordering import SortValue

DEFAULT_SORT: Sort = (SortKey(Path(("_id",)), 1),)
MODEL_INSTANT_FIELDS = ("createdAt", "updatedAt")


@dataclass(frozen=True)
class FindQuery:
    """One page of documents.

    ``position`` (from a cursor) selects the rows strictly after it in ``sort`` order or, with
    ``before=True``, strictly before it; a ``before`` page is returned nearest-first (reverse
    sort order), so the caller reverses it; ``inclusive`` adds the row at ``position`` itself
    (if there is one). ``limit`` None means no limit.

    ``serialise_only`` says the caller reads nothing of a document but its sort values and then
    serialises it with orjson (no projection, no evaluation). A store may then hand back the
    JSON-valued fields the sort does not read as pre-serialised ``orjson.Fragment``s, skipping a
    decode and re-encode per document.
    """

    filter: Filter = MATCH_ALL
    sort: Sort = DEFAULT_SORT
    limit: int | None = None
    skip: int = 0
    position: tuple[SortValue, ...] | None = field(default=None)
    before: bool = False
    inclusive: bool = False
    serialise_only: bool = False


@dataclass(frozen=True)
class StatementScope:
    """Which statements a caller may read: an organisation's, narrowed to one store (for a
    store-bound client) and to one client's own (``statements/read/mine``)."""

    organisation_id: str
    lrs_id: str | None = None
    client_id: str | None = None


def find_in_memory(docs: Iterable[Mapping[str, Any]], query: FindQuery) -> list[dict[str, Any]]:
    """Filter, order, position, skip and limit ``docs`` by the reference semantics.

    Each document's sort key is computed once; only the page is fully ordered.
    """
    keyed = [
        (evaluate.sort_key(query.sort, doc), index, doc)
        for index, doc in enumerate(docs)
        if evaluate.matches(query.filter, doc)
    ]
    if query.position is not None:
        bound = evaluate.position_key(query.sort, tuple(query.position))
        if query.inclusive:  # keys define only ``<``: "not beyond on the other side"
            keyed = [
                item
                for item in keyed
                if (not bound < item[0] if query.before else not item[0] < bound)
            ]
        else:
            keyed = [
                item for item in keyed if (item[0] < bound if query.before else bound < item[0])
            ]
    wanted = None if query.limit is None else query.skip + query.limit
    if wanted is None:
        ordered = sorted(keyed, key=_first, reverse=query.before)
    elif query.before:
        ordered = heapq.nlargest(wanted, keyed, key=_first)
    else:
        ordered = heapq.nsmallest(wanted, keyed, key=_first)
    return [dict(doc) for _, _, doc in ordered[query.skip : wanted]]


def _first(item: tuple[Any, int, Mapping[str, Any]]) -> Any:
    return item[0]


def count_in_memory(docs: Iterable[Mapping[str, Any]], condition: Filter) -> int:
    """How many ``docs`` match."""
    return sum(1 for doc in docs if evaluate.matches(condition, doc))


def model_query_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A stored model document with its ``createdAt``/``updatedAt`` as instants."""
    view = dict(doc)
    for name in MODEL_INSTANT_FIELDS:
        value = view.get(name)
        if isinstance(value, str):
            view[name] = from_iso(value)
    return view


def model_stored_form(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of ``model_query_view``: instants back to ISO strings for storage."""
    stored = dict(doc)
    for name in MODEL_INSTANT_FIELDS:
        value = stored.get(name)
        if isinstance(value, datetime):
            stored[name] = to_iso(value)
    return stored
