"""Exporting a store's statements as NDJSON or CSV, streamed with flat memory.

The statements come from ``Store.stream_statement_documents`` in the order they were stored
(``stored``, then ``_id``), so importing an export replays the store's history in order. Voided
statements are exported too unless asked otherwise: an export is a backup, and re-importing it
voids them again (their voiding statements are in it).

* NDJSON: one statement per line, exactly as stored (xAPI ``format=exact``, with ``id``,
  ``stored``, ``authority`` and ``version``), which ``lrs import`` reads back.
* CSV: the REST export's machinery (``lrs.models.csv_export``): each statement document through
  the projections (Learning Locker's default one unless given), nested objects as dotted
  columns. The header lists every column any row has, so rows are spooled to a temporary file
  while the columns are collected, and the CSV is written from there.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

import orjson

from lrs.core.errors import BadQuery
from lrs.models.csv_export import export_rows
from lrs.models.registry import DEFAULT_EXPORT_PROJECTION
from lrs.query.ast import MATCH_ALL, And, Eq, Filter, Path, Projection, Range
from lrs.query.parse import STATEMENTS, parse_filter, parse_projection
from lrs.store.base import Store
from lrs.store.find import StatementScope

NDJSON = "ndjson"
CSV = "csv"
FORMATS = (NDJSON, CSV)
#: Progress is reported (and NDJSON written) every this many statements.
STEP = 1000

_STORED = Path(("stored",))
_VOIDED = Path(("voided",))


@dataclass(frozen=True)
class ExportSelection:
    """Which statements: a filter in the query language and a ``stored`` window."""

    filter: Filter = MATCH_ALL
    since: datetime | None = None  # stored > since
    until: datetime | None = None  # stored <= until
    include_voided: bool = True

    def condition(self) -> Filter:
        """The whole selection as one filter over statement documents."""
        parts: list[Filter] = [] if self.filter == MATCH_ALL else [self.filter]
        if self.since is not None:
            parts.append(Range(_STORED, "$gt", self.since))
        if self.until is not None:
            parts.append(Range(_STORED, "$lte", self.until))
        if not self.include_voided:
            parts.append(Eq(_VOIDED, False))
        return parts[0] if len(parts) == 1 else And(tuple(parts))


def parse_filter_text(text: str) -> Filter:
    """A ``--filter`` value: the Connection API's statement filter (JSON)."""
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise BadQuery(f"filter: not valid JSON: {error}", field="filter") from None
    return parse_filter(raw, STATEMENTS)


def parse_projection_texts(texts: Sequence[str]) -> list[Projection]:
    """``--projection`` values (JSON), or Learning Locker's default export projection."""
    projections = []
    for index, text in enumerate(texts or [DEFAULT_EXPORT_PROJECTION]):
        try:
            projections.append(parse_projection(orjson.loads(text)))
        except orjson.JSONDecodeError as error:
            raise BadQuery(
                f"projection {index + 1}: not valid JSON: {error}", field="projection"
            ) from None
    return projections


def export_statements(
    store: Store,
    scope: StatementScope,
    out: BinaryIO,
    *,
    format: str = NDJSON,
    selection: ExportSelection = ExportSelection(),
    projections: Sequence[Projection] = (),
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write the selected statements of ``scope`` to ``out``; return how many."""
    if format == NDJSON:
        return _ndjson(store, scope, out, selection, on_progress)
    if format == CSV:
        chosen = list(projections) or parse_projection_texts([])
        return _csv(store, scope, out, selection, chosen, on_progress)
    raise BadQuery(f"format: must be one of {', '.join(FORMATS)}, not {format!r}", field="format")


def _ndjson(
    store: Store,
    scope: StatementScope,
    out: BinaryIO,
    selection: ExportSelection,
    on_progress: Callable[[int], None] | None,
) -> int:
    count = 0
    lines: list[bytes] = []
    documents = store.stream_statement_documents(scope, selection.condition(), serialise_only=True)
    with _closing(documents):
        for document in documents:
            lines.append(orjson.dumps(document["statement"]))
            count += 1
            if len(lines) >= STEP:
                _write_lines(out, lines)
                if on_progress is not None:
                    on_progress(count)
        _write_lines(out, lines)
    out.flush()
    if on_progress is not None:
        on_progress(count)
    return count


def _write_lines(out: BinaryIO, lines: list[bytes]) -> None:
    if lines:
        out.write(b"\n".join(lines))
        out.write(b"\n")
        lines.clear()


def _csv(
    store: Store,
    scope: StatementScope,
    out: BinaryIO,
    selection: ExportSelection,
    projections: Sequence[Projection],
    on_progress: Callable[[int], None] | None,
) -> int:
    count = 0
    columns: dict[str, None] = {}
    documents = store.stream_statement_documents(scope, selection.condition())
    with tempfile.TemporaryFile() as spool, _closing(documents):
        for document in documents:
            [row] = export_rows(projections, [document])
            columns.update(dict.fromkeys(row))
            spool.write(orjson.dumps(row))
            spool.write(b"\n")
            count += 1
            if on_progress is not None and count % STEP == 0:
                on_progress(count)
        spool.seek(0)
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        try:
            writer = csv.DictWriter(
                text, fieldnames=list(columns), restval="", lineterminator="\r\n"
            )
            writer.writeheader()
            for line in spool:
                writer.writerow(orjson.loads(line))
            text.flush()
        finally:
            text.detach()  # leave ``out`` open for the caller
    if on_progress is not None:
        on_progress(count)
    return count


class _closing:
    """Close a generator on the way out (its database connection goes back to the pool)."""

    def __init__(self, documents: Iterator[Any]) -> None:
        self._documents = documents

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        close = getattr(self._documents, "close", None)
        if close is not None:
            close()
