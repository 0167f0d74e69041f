"""Aggregation pipelines on PostgreSQL: the heavy part in one SQL statement, the rest in Python.

``lrs.aggregate.sql`` translates the stages up to the first ``$group`` into one ``SELECT``
over the statements table; its WHERE clause is the caller's scope and the pipeline's leading
``$match`` stages, translated by the query language onto the Connection API's indexes. The
rows it returns (one per group) go through the rest of the pipeline in the Python evaluator.
When the part before the ``$group`` has no exact translation, the matched documents are
streamed through the evaluator instead (``lrs.aggregate.documents.run_in_python``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from lrs.aggregate import ast
from lrs.aggregate.documents import leading_match, run_in_python
from lrs.aggregate.evaluate import Bounds, run_pipeline
from lrs.aggregate.sql import StatementColumns, Unsupported, compile_prefix
from lrs.query import sql
from lrs.store.find import StatementScope
from lrs.store.postgres.engine import PostgresBase
from lrs.store.postgres.statement_documents import (
    _STATEMENT_DOCUMENT,
    STATEMENT_BINDING,
    _statement_scope,
)
from lrs.store.schema import statements

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _actor_ifi() -> sa.ColumnElement[Any]:
    return sa.func.lrs_ifi(statements.c.statement.op("->", return_type=JSONB)("actor"))


def _person_id() -> sa.ColumnElement[Any]:
    return sa.func.to_jsonb(_actor_ifi())


def _person_display() -> sa.ColumnElement[Any]:
    name = statements.c.statement.op("#>", return_type=JSONB)(
        sa.literal_column("'{actor,name}'::text[]")
    )
    return sa.case(
        (_actor_ifi().is_(None), sa.null()),
        (sa.func.jsonb_typeof(name) == "string", name),
        else_=sa.func.to_jsonb(_actor_ifi()),
    )


def _person() -> sa.ColumnElement[Any]:
    return sa.case(
        (_actor_ifi().is_(None), sa.null()),
        else_=sa.func.jsonb_build_object("_id", _person_id(), "display", _person_display()),
    )


def _lookup(name: str) -> Callable[[], sa.ColumnElement[Any]]:
    return lambda: _STATEMENT_DOCUMENT.op("->", return_type=JSONB)(name)


def _columns() -> StatementColumns:
    return StatementColumns(
        fields={
            "_id": lambda: sa.func.to_jsonb(statements.c.id),
            "organisation": lambda: sa.func.to_jsonb(statements.c.organisation_id),
            "lrs_id": lambda: sa.func.to_jsonb(statements.c.lrs_id),
            "client": lambda: sa.func.to_jsonb(statements.c.client_id),
            "voided": lambda: sa.func.to_jsonb(statements.c.voided),
            "hash": lambda: sa.func.to_jsonb(statements.c.hash),
            "person": _person,
            **{
                name: _lookup(name)
                for name in (
                    "agents",
                    "relatedAgents",
                    "verbs",
                    "activities",
                    "relatedActivities",
                    "registrations",
                )
            },
        },
        statement=statements.c.statement,
        instants={"timestamp": statements.c.timestamp, "stored": statements.c.stored},
        order=(statements.c.stored, statements.c.id),
        subfields={("person", "_id"): _person_id, ("person", "display"): _person_display},
    )


def _binding() -> sql.TableBinding:
    """The Connection API's statement binding, plus ``person._id`` and ``person.display``."""
    typed = dict(STATEMENT_BINDING.typed)
    person = {
        "person._id": sql.TypedColumn(_actor_ifi(), "text"),
        "person.display": sql.TypedColumn(
            _person_display().op("#>>", return_type=sa.Text())(sa.literal_column("'{}'::text[]")),
            "text",
        ),
    }
    extra = sql.TableBinding.of(STATEMENT_BINDING.document, person).typed
    return sql.TableBinding(STATEMENT_BINDING.document, {**typed, **extra})


class AggregationMixin(PostgresBase):
    """Aggregation pipelines over the statement records."""

    def aggregate_statements(
        self,
        scope: StatementScope,
        pipeline: ast.Pipeline,
        *,
        bounds: Bounds,
        tick: Callable[[], None],
    ) -> Iterator[dict[str, Any]]:
        """Up to the first ``$group`` in one SQL statement where it translates exactly, the
        rest in Python (see the module docstring)."""
        condition, rest = leading_match(pipeline)
        source = sa.select(statements.c.id).where(
            *_statement_scope(scope), sql.where(condition, _binding())
        )
        try:
            compiled = compile_prefix(rest.stages, source, _columns())
        except Unsupported:
            yield from run_in_python(
                self.stream_statement_documents,  # type: ignore[attr-defined]  # a sibling mixin
                scope,
                pipeline,
                bounds=bounds,
                tick=tick,
            )
            return
        groups = compiled.query.subquery("groups")
        with self._connect() as conn:
            # PostgreSQL cannot estimate how many groups an expression over jsonb makes and
            # guesses one per row, which leads it to sort every row (spilling to disk) for a
            # GroupAggregate; hashing the groups is what a report's few hundred groups want.
            conn.execute(_AGGREGATION_PLANNER_SETTINGS)
            texts = conn.execute(sa.select(sa.cast(groups.c.doc, sa.Text()))).scalars()
            rows = [_decoded(text, compiled.instant_fields) for text in texts]
        remaining = ast.Pipeline(rest.stages[compiled.consumed :])
        yield from run_pipeline(remaining, rows, bounds=bounds, tick=tick)


_AGGREGATION_PLANNER_SETTINGS = sa.text("SET LOCAL enable_sort = off")


def _decoded(text: str, instants: frozenset[str]) -> dict[str, Any]:
    row: dict[str, Any] = orjson.loads(text)
    for name in instants:
        micros = row.get(name)
        if isinstance(micros, int):
            row[name] = _EPOCH + timedelta(microseconds=micros)
    return row
