"""Deciding what storing a batch of statements changes, the same way for every store.

A store gathers what the batch touches (stored statements sharing its ids or referenced by it,
and stored statements referencing it), calls ``plan_insert``, and applies the plan atomically.
The rules:

* a statement whose id is stored already changes nothing when its content hash is the same, and
  fails the whole batch with ``Conflict`` when it differs;
* a statement is voided when a voiding statement targets it, whichever arrived first, unless it
  is itself a voiding statement (those cannot be voided);
* the StatementRef rule: a statement whose object is a StatementRef is found by its target's
  lookup terms too (Learning Locker's refs pass), whichever arrived first;
* activity definitions from the new statements are merged in batch order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lrs.core.errors import BadRequest, Conflict
from lrs.statements.build import same_content
from lrs.statements.definitions import described_activities, merge_definition
from lrs.statements.record import StatementRecord
from lrs.xapi.queriables import Queriables, with_target

# A chain of StatementRefs longer than this is followed no further for the refs pass.
_MAX_REF_DEPTH = 10


@dataclass
class InsertPlan:
    """What a store must write for one batch."""

    new_records: list[StatementRecord]
    void_ids: list[str]
    requeried: list[tuple[str, Queriables]]
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)


def _planned(
    record: StatementRecord,
    queriables_of: Callable[[str], Queriables],
    voided_targets: set[str | None],
) -> StatementRecord:
    """``record`` with its resolved queriables and voided flag (itself when both are as built)."""
    queriables = queriables_of(record.statement_id)
    voided = record.statement_id in voided_targets and not record.voiding
    if queriables is record.queriables and voided == record.voided:
        return record
    return replace(record, queriables=queriables, voided=voided)


def plan_insert(
    batch: Sequence[StatementRecord],
    stored: Mapping[str, StatementRecord],
    referencing: Sequence[StatementRecord],
) -> InsertPlan:
    """Plan a batch.

    ``stored``: the stored records whose statement id is one of the batch's ids or one of the
    batch's StatementRef targets. ``referencing``: the stored records whose StatementRef target is
    one of the batch's ids.
    """
    seen: set[str] = set()
    for index, record in enumerate(batch):
        if record.statement_id in seen:
            raise BadRequest(
                f"[{index}].id: statement id {record.statement_id} appears twice in the batch",
                field=f"[{index}].id",
            )
        seen.add(record.statement_id)

    fresh: list[StatementRecord] = []
    for record in batch:
        existing = stored.get(record.statement_id)
        if existing is None:
            fresh.append(record)
        elif not same_content(existing.hash, record.hash):
            raise Conflict(
                f"statement {record.statement_id} is already stored with different content"
            )

    everything = {**stored, **{record.statement_id: record for record in fresh}}
    resolved: dict[str, Queriables] = {}

    def queriables_of(statement_id: str, depth: int = 0) -> Queriables:
        if statement_id in resolved:
            return resolved[statement_id]
        record = everything[statement_id]
        queriables = record.queriables
        target = record.ref_target
        if target in everything and target != statement_id and depth < _MAX_REF_DEPTH:
            queriables = with_target(queriables, queriables_of(target, depth + 1))
        resolved[statement_id] = queriables
        return queriables

    voided_targets = {r.ref_target for r in (*fresh, *referencing) if r.voiding}
    new_records = [_planned(record, queriables_of, voided_targets) for record in fresh]
    void_ids = sorted(
        {
            record.ref_target
            for record in fresh
            if record.voiding
            and record.ref_target in stored
            and not stored[record.ref_target].voiding
            and not stored[record.ref_target].voided
        }
    )
    fresh_ids = {record.statement_id for record in fresh}
    requeried = []
    for record in referencing:
        if record.ref_target in fresh_ids:
            grown = with_target(record.queriables, queriables_of(record.ref_target))
            if grown != record.queriables:
                requeried.append((record.statement_id, grown))

    definitions: dict[str, dict[str, Any]] = {}
    for record in fresh:
        for activity_id, definition in described_activities(record.statement):
            definitions[activity_id] = merge_definition(definitions.get(activity_id), definition)
    return InsertPlan(
        new_records=new_records,
        void_ids=void_ids,
        requeried=requeried,
        definitions=definitions,
    )
