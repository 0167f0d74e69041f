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
from lrs.xapi.queriables import Queriables

#: The ``statements`` columns a row holds, in order.
STATEMENT_COLUMNS = (
    "lrs_id",
    "id",
    "statement_id",
    "organisation_id",
    "client_id",
    "stored",
    "timestamp",
    "voided",
    "voiding",
    "ref_target",
    "hash",
    "terms",
    "queriables",
    "statement",
)

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
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(quoted) + "}"


def queriables_json(queriables: Queriables) -> dict[str, Any]:
    """The ``queriables`` column's document: every lookup array and flag by field name."""
    return {name: getattr(queriables, name) for name in _QUERIABLE_FIELDS}


def _instant(value: datetime) -> str:
    return value.isoformat()


def _json(value: Any) -> str:
    # orjson escapes every control character, so a backslash is the only byte COPY cares about.
    return orjson.dumps(value).decode().replace("\\", "\\\\")


def statement_row(record: StatementRecord, stored: str | None = None) -> str:
    """One ``statements`` row (``STATEMENT_COLUMNS``), newline included.

    ``stored``: ``record.stored`` already written as text (one instant serves a whole batch).
    The record id, the statement UUIDs and the hash (hex digits and an ISO instant) are made or
    validated here and have nothing to escape.
    """
    ref_target = record.ref_target
    return "\t".join(
        (
            escape(record.lrs_id),
            record.id,
            record.statement_id,
            escape(record.organisation_id),
            escape(record.client_id),
            stored or _instant(record.stored),
            _instant(record.timestamp),
            "t" if record.voided else "f",
            "t" if record.voiding else "f",
            _NULL if ref_target is None else ref_target,
            record.hash,
            escape(array_literal(record.terms)),
            _json(queriables_json(record.queriables)),
            _json(record.statement),
        )
    )


def statement_rows(records: Sequence[StatementRecord]) -> bytes:
    """The COPY text of ``records``."""
    instants: dict[datetime, str] = {}
    lines = []
    for record in records:
        stored = instants.get(record.stored)
        if stored is None:
            stored = instants[record.stored] = _instant(record.stored)
        lines.append(statement_row(record, stored))
        lines.append("\n")
    return "".join(lines).encode()


def plain_rows(rows: Iterable[tuple[str | datetime, ...]]) -> bytes:
    """The COPY text of rows of strings and instants (no NULLs)."""
    return "".join(
        "\t".join(_instant(v) if isinstance(v, datetime) else escape(v) for v in row) + "\n"
        for row in rows
    ).encode()
