"""The documents a pipeline reads, and running a pipeline over them in Python.

A pipeline reads Learning Locker's statement documents (the Connection API's) plus ``person``:
Learning Locker gives every statement the persona of its actor, and its reports group by
``person._id`` and show ``person.display``. Until lrs has personas, each actor identifier is
its own person: ``{"_id": <the actor's IFI string>, "display": <its name, else the IFI>}``,
which is what Learning Locker shows for actors it has not merged. An actor without an IFI (an
anonymous Group) has no person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from lrs.aggregate import ast
from lrs.aggregate.evaluate import Bounds, run_pipeline
from lrs.models.query_params import filter_paths
from lrs.query.ast import And, Filter
from lrs.store.find import StatementScope
from lrs.xapi.agents import ifi_string

#: Top-level fields of the documents a pipeline reads that the stores do not hold.
SYNTHETIC_FIELDS = frozenset({"person"})


def person_of(statement: dict[str, Any]) -> dict[str, Any] | None:
    """The person of a statement (see the module docstring), or None."""
    actor = statement.get("actor")
    if not isinstance(actor, dict):
        return None
    ifi = ifi_string(actor)
    if ifi is None:
        return None
    name = actor.get("name")
    return {"_id": ifi, "display": name if isinstance(name, str) else ifi}


def with_person(document: dict[str, Any]) -> dict[str, Any]:
    """A statement document with its ``person``."""
    person = person_of(document.get("statement") or {})
    return document if person is None else {**document, "person": person}


def leading_match(pipeline: ast.Pipeline) -> tuple[Filter, ast.Pipeline]:
    """The ``$match`` stages that open a pipeline, as one filter, and the stages after them."""
    conditions: list[Filter] = []
    stages = list(pipeline.stages)
    while stages and isinstance(stages[0], ast.Match):
        conditions.append(stages.pop(0).condition)
    condition: Filter = conditions[0] if len(conditions) == 1 else And(tuple(conditions))
    return condition, ast.Pipeline(tuple(stages))


def reads_synthetic(condition: Filter) -> bool:
    """True when a filter reads a field the stores do not hold (``person``)."""
    return any(path.segments[0] in SYNTHETIC_FIELDS for path in filter_paths(condition))


Stream = Callable[[StatementScope, Filter], Iterator[dict[str, Any]]]


def run_in_python(
    stream: Stream,
    scope: StatementScope,
    pipeline: ast.Pipeline,
    *,
    bounds: Bounds,
    tick: Callable[[], None],
) -> Iterator[dict[str, Any]]:
    """Run a pipeline over the scope's documents: the leading ``$match`` in the store (when it
    reads only stored fields), everything else in the evaluator."""
    condition, rest = leading_match(pipeline)
    if reads_synthetic(condition):
        rest = ast.Pipeline((ast.Match(condition), *rest.stages))
        condition = And(())
    documents = stream(scope, condition)
    try:
        yield from run_pipeline(
            rest, (with_person(doc) for doc in documents), bounds=bounds, tick=tick
        )
    finally:
        close = getattr(documents, "close", None)
        if close is not None:
            close()
