"""Connection pages (Learning Locker's Connection API, done right), independent of HTTP.

``paginate`` turns ``first``/``after`` (forwards) or ``last``/``before`` (backwards) into keyset
queries against any ``fetch`` (a store's find for one model and tenant). ``hasNextPage`` and
``hasPreviousPage`` are true only when such a page exists; a cursor is only valid for the sort
it was made with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from lrs.core.errors import BadRequest
from lrs.core.timeutil import to_iso
from lrs.query.ast import KEEP_ALL, MATCH_ALL, Filter, Projection, Sort
from lrs.query.cursor import cursor_for, decode_cursor
from lrs.query.evaluate import sort_values
from lrs.query.projection import project
from lrs.store.find import DEFAULT_SORT, FindQuery

Fetch = Callable[[FindQuery], list[dict[str, Any]]]


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for (already parsed); ``sort`` must end with ``_id``."""

    filter: Filter = MATCH_ALL
    sort: Sort = DEFAULT_SORT
    projection: Projection = KEEP_ALL
    first: int | None = None
    last: int | None = None
    after: str | None = None
    before: str | None = None


@dataclass(frozen=True)
class Edge:
    """One node and the cursor that points at it."""

    cursor: str
    node: dict[str, Any]


@dataclass(frozen=True)
class Page:
    """A connection page."""

    edges: list[Edge]
    has_next_page: bool
    has_previous_page: bool

    def to_bytes(self) -> bytes:
        """The page as JSON bytes (any instant left at depth as RFC 3339 UTC)."""
        return orjson.dumps(self.to_json(), option=orjson.OPT_UTC_Z)

    def to_json(self) -> dict[str, Any]:
        """Seed 001's shape."""
        return {
            "edges": [{"cursor": edge.cursor, "node": edge.node} for edge in self.edges],
            "pageInfo": {
                "hasNextPage": self.has_next_page,
                "hasPreviousPage": self.has_previous_page,
                "startCursor": self.edges[0].cursor if self.edges else None,
                "endCursor": self.edges[-1].cursor if self.edges else None,
            },
        }


def paginate(
    fetch: Fetch,
    request: PageRequest,
    *,
    default_size: int,
    max_size: int,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Page:
    """One page, forwards (``first``/``after``) or backwards (``last``/``before``).

    ``prepare`` turns each fetched document into what a client may see (hiding secrets) before
    the projection runs, so a projection cannot rename a hidden field into view.
    """
    if request.first is not None and request.last is not None:
        raise BadRequest("first and last cannot be given together", field="last")
    if request.after is not None and request.before is not None:
        raise BadRequest("after and before cannot be given together", field="before")
    if request.before is not None and request.first is not None:
        raise BadRequest("before pages backwards: use it with last, not first", field="first")
    if request.after is not None and request.last is not None:
        raise BadRequest("after pages forwards: use it with first, not last", field="last")
    size = request.first if request.first is not None else request.last
    size = default_size if size is None else size
    if size > max_size:
        raise BadRequest(f"first/last: at most {max_size} per page, not {size}", field="first")
    backwards = request.before is not None or request.last is not None
    sort = request.sort

    # Without a projection or a prepare step the nodes are only serialised: let the store skip
    # decoding what the sort does not read.
    serialise_only = prepare is None and request.projection == KEEP_ALL

    def query(
        limit: int, position: Any = None, before: bool = False, inclusive: bool = False
    ) -> list[dict[str, Any]]:
        return fetch(
            FindQuery(
                filter=request.filter,
                sort=sort,
                limit=limit,
                position=position,
                before=before,
                inclusive=inclusive,
                serialise_only=serialise_only,
            )
        )

    def exists(row: Mapping[str, Any], before: bool) -> bool:
        return bool(query(1, tuple(sort_values(sort, row)), before))

    def page_from(position: Any, before: bool) -> tuple[list[dict[str, Any]], bool | None]:
        """Up to ``size + 1`` rows past ``position``, nearest first, and whether a row lies on
        the other side of the page (None: unknown, ask the store).

        The row the cursor was made from, when it is still there, is that other-side row: it is
        read in the same query (``inclusive``), which spares a second query on almost every
        page after the first.
        """
        if position is None:
            return query(size + 1, None, before), False  # the first (or last) page
        rows = query(size + 2, position, before, inclusive=True)
        if rows and sort_values(sort, rows[0]) == tuple(position):
            return rows[1:], True
        return rows[: size + 1], None

    if not backwards:
        position = _position(request.after, sort, "after")
        rows, has_previous = page_from(position, before=False)
        has_next = len(rows) > size
        rows = rows[:size]
        if has_previous is None:
            has_previous = exists(rows[0], before=True) if rows else bool(query(1))
    else:
        position = _position(request.before, sort, "before")
        rows, has_next = page_from(position, before=True)
        has_previous = len(rows) > size
        rows = rows[:size][::-1]
        if has_next is None:
            has_next = exists(rows[-1], before=False) if rows else bool(query(1))
    visible = prepare or (lambda row: row)
    edges = [
        Edge(
            cursor=cursor_for(sort, row),
            node=_render(project(request.projection, visible(row))),
        )
        for row in rows
    ]
    return Page(edges=edges, has_next_page=has_next, has_previous_page=has_previous)


def _position(token: str | None, sort: Sort, parameter: str) -> Any:
    return None if token is None else decode_cursor(token, sort, parameter=parameter)


def _render(node: dict[str, Any]) -> dict[str, Any]:
    """Top-level instants as Learning Locker writes them (ISO 8601, UTC, milliseconds).

    Instants only live at top-level paths of a document; one a projection renamed deeper is
    serialised by ``Page.to_bytes`` as RFC 3339 UTC instead of being searched for here.
    """
    # ``type() is``: an exact test per field is cheaper than isinstance, and every store hands
    # instants over as plain ``datetime``.
    return {key: to_iso(value) if type(value) is datetime else value for key, value in node.items()}
