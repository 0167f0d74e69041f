"""``statements`` rows as ``StatementRecord``s, and the ``queriables`` column as ``Queriables``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from lrs.statements.record import StatementRecord
from lrs.store.copy_rows import queriables_json
from lrs.xapi.queriables import Queriables, compute_queriables


def _record_from_row(row: Any) -> StatementRecord:
    """The record of a ``statements`` row (a SQLAlchemy row or a psycopg named tuple)."""
    return StatementRecord(
        id=row.id,
        lrs_id=row.lrs_id,
        organisation_id=row.organisation_id,
        client_id=row.client_id,
        statement_id=str(row.statement_id),
        statement=row.statement,
        stored=row.stored.astimezone(UTC),
        timestamp=row.timestamp.astimezone(UTC),
        hash=row.hash,
        queriables=(
            _queriables_from_json(row.queriables)
            if row.queriables is not None
            else compute_queriables(row.statement)
        ),
        voided=row.voided,
    )


def _queriables_from_json(data: dict[str, Any]) -> Queriables:
    return Queriables(
        **{key: tuple(value) if isinstance(value, list) else value for key, value in data.items()}
    )


def _row_queriables(stored: dict[str, Any] | None, statement: Mapping[str, Any]) -> dict[str, Any]:
    """A row's queriables column as a dict: what it holds, or (NULL: the usual case since
    migration 0014) what the statement gives."""
    if stored is not None:
        return stored
    return queriables_json(compute_queriables(statement))
