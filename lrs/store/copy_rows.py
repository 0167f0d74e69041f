"""Statement rows as the text of a PostgreSQL ``COPY ... FROM STDIN`` (text format).

The insert path writes a whole batch as one string instead of handing psycopg a tuple per row to
adapt field by field: at a hundred statements a request that adaptation was a tenth of the
server's work. Text format (PostgreSQL's COPY docs, "Text Format"): fields are separated by tabs,
rows end with a newline, ``\\N`` is NULL, and a backslash, tab, newline or carriage return inside
a field is written as ``\\\\``, ``\\t``, ``\\n``, ``\\r``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson

from lrs.statements.record import StatementRecord
from lrs.store.context_activities import context_activity_pairs
from lrs.xapi.queriables import Queriables

#: The ``statements`` columns a row holds, in order: first those every record of a batch shares.
STATEMENT_COLUMNS = (
    "lrs_id",
    "organisation_id",
    "client_id",
    "stored",
    "id",
    "statement_id",
    "timestamp",
    "voided",
    "voiding",
    "ref_target",
    "hash",
    "queriables",
    "statement",
)
#: The ``statement_terms`` columns a term row holds, in order.
TERM_COLUMNS = ("term_id", "stored", "id")
#: The ``statement_context_activities`` columns a side row holds, in order.
CONTEXT_ACTIVITY_COLUMNS = ("lrs_id", "category", "activity_id", "timestamp", "id")

_NULL = "\\N"
_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_QUERIABLE_FIELDS = tuple(field.name for field in dataclasses.fields(Queriables))


def escape(value: str) -> str:
    """``value`` as one COPY text field."""
    if _SPECIAL.search(value) is None:
        return value
    return _SPECIAL.sub(lambda match: _ESCAPES[match.group()], value)


def array_literal(values: Iterable[str]) -> str:
    """A PostgreSQL ``text[]`` literal (``{"a","b"}``) of ``values``, before COPY escaping."""
    items = list(values)
    joined = '","'.join(items)
    # Nothing to quote (the common case): the only quotes are the separators' two each.
    if "\\" not in joined and joined.count('"') == 2 * (len(items) - 1):
        return '{"' + joined + '"}' if items else "{}"
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in items)
    return "{" + ",".join(quoted) + "}"


def queriables_json(queriables: Queriables) -> dict[str, Any]:
    """The ``queriables`` column's document: every lookup array and flag by field name."""
    return {name: getattr(queriables, name) for name in _QUERIABLE_FIELDS}


def _instant(value: datetime) -> str:
    return value.isoformat()


def _json(value: Any) -> bytes:
    # orjson escapes every control character, so a backslash is the only byte COPY cares about.
    return orjson.dumps(value).replace(b"\\", b"\\\\")


class _Shared:
    """The leading fields every row of a batch shares, written once per batch."""

    def __init__(self) -> None:
        self._prefixes: dict[tuple[str, str, str, datetime], bytes] = {}
        self._lrs_ids: dict[str, bytes] = {}

    def statement_prefix(self, record: StatementRecord) -> bytes:
        key = (record.lrs_id, record.organisation_id, record.client_id, record.stored)
        prefix = self._prefixes.get(key)
        if prefix is None:
            fields = (*(escape(value) for value in key[:3]), _instant(record.stored), "")
            prefix = self._prefixes[key] = "\t".join(fields).encode()
        return prefix

    def lrs_id(self, lrs_id: str) -> bytes:
        found = self._lrs_ids.get(lrs_id)
        if found is None:
            found = self._lrs_ids[lrs_id] = escape(lrs_id).encode()
        return found


def _statement_row(record: StatementRecord, prefix: bytes, timestamp: str) -> bytes:
    """One ``statements`` row (``STATEMENT_COLUMNS``), newline included.

    The record id, the statement UUIDs and the hash (hex digits and an ISO instant) are made or
    validated here and have nothing to escape. orjson writes a dataclass as the object of its
    fields, which is ``queriables_json``.
    """
    ref_target = record.ref_target
    fields = "\t".join(
        (
            record.id,
            record.statement_id,
            timestamp,
            "t" if record.voided else "f",
            "t" if record.voiding else "f",
            _NULL if ref_target is None else ref_target,
            record.hash,
            "",
        )
    )
    # The queriables are derived from the statement when read (migration 0014), unless the
    # StatementRef rule lent the statement its target's arrays: only then are they written.
    queriables = _json(record.queriables) if record.ref_target is not None else _NULL.encode()
    return b"".join((prefix, fields.encode(), queriables, b"\t", _json(record.statement), b"\n"))


def statement_copy_text(records: Sequence[StatementRecord]) -> tuple[bytes, bytes]:
    """The COPY text of ``records``' ``statements`` rows and of their context activity rows.

    Each ``(category, activity id)`` pair of a statement (``context_activity_pairs``) is one
    ``statement_context_activities`` row (``CONTEXT_ACTIVITY_COLUMNS``).
    """
    shared = _Shared()
    rows: list[bytes] = []
    side: list[bytes] = []
    for record in records:
        timestamp = _instant(record.timestamp)
        rows.append(_statement_row(record, shared.statement_prefix(record), timestamp))
        pairs = context_activity_pairs(record.statement)
        if pairs:
            tail = f"\t{timestamp}\t{record.id}\n".encode()
            lrs_id = shared.lrs_id(record.lrs_id)
            for category, activity_id in pairs:
                side.append(b"\t".join((lrs_id, category.encode(), escape(activity_id).encode())))
                side.append(tail)
    return b"".join(rows), b"".join(side)


def term_copy_text(
    records: Sequence[tuple[StatementRecord, Iterable[str]]], term_ids: dict[str, int]
) -> bytes:
    """The COPY text of ``statement_terms`` rows (``TERM_COLUMNS``): one per term given with
    each record, ``term_ids`` giving each term's id in the records' store."""
    rows: list[str] = []
    for record, terms in records:
        tail = f"\t{_instant(record.stored)}\t{record.id}\n"
        rows.extend(f"{term_ids[term]}{tail}" for term in terms)
    return "".join(rows).encode()
