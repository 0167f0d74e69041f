"""Turning a validated statement into the record the stores keep."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lrs.core.ids import new_object_id
from lrs.statements.record import StatementRecord
from lrs.store.models import Client
from lrs.xapi.conflict import statement_hash
from lrs.xapi.normalize import STATEMENT_VERSION, normalize_statement
from lrs.xapi.queriables import compute_queriables
from lrs.xapi.timestamps import canonical_timestamp, parse_timestamp

_TIMESTAMP_SEPARATOR = "@"


def content_hash(statement: Mapping[str, Any]) -> str:
    """The conflict-check digest of a statement as sent.

    ``statement_hash`` leaves the timestamp out, because a timestamp sent on one side only must
    not count; so a sent timestamp is appended (as its UTC instant to the millisecond) and
    ``same_content`` compares it only when both sides have one.
    """
    digest = statement_hash(statement)
    sent = statement.get("timestamp")
    if sent is None:
        return digest
    return f"{digest}{_TIMESTAMP_SEPARATOR}{canonical_timestamp(sent) or sent}"


def same_content(first: str, second: str) -> bool:
    """True when two ``content_hash`` values denote the same Statement."""
    first_digest, _, first_time = first.partition(_TIMESTAMP_SEPARATOR)
    second_digest, _, second_time = second.partition(_TIMESTAMP_SEPARATOR)
    if first_digest != second_digest:
        return False
    return not first_time or not second_time or first_time == second_time


def build_record(
    statement: Mapping[str, Any],
    *,
    client: Client,
    lrs_id: str,
    stored: datetime,
    statement_version: str = STATEMENT_VERSION,
) -> StatementRecord:
    """The record for a validated statement sent by ``client`` and stored at ``stored``;
    ``statement_version`` is the ``version`` it gets if it was sent without one."""
    normalized = normalize_statement(
        statement, stored=stored, authority=client.authority, version=statement_version
    )
    timestamp = parse_timestamp(normalized["timestamp"])
    assert timestamp is not None  # validated
    return StatementRecord(
        id=new_object_id(),
        lrs_id=lrs_id,
        organisation_id=client.organisation_id,
        client_id=client.id,
        statement_id=normalized["id"].lower(),
        statement=normalized,
        stored=stored,
        timestamp=timestamp,
        hash=content_hash(statement),
        queriables=compute_queriables(normalized),
    )
