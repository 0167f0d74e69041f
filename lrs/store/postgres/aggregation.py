"""Aggregation pipelines on PostgreSQL: the heavy part in SQL, the rest in Python.

``lrs.aggregate.sql`` translates the stages up to the first ``$group``, and the ``$group``
stages right after it, into a grouping ``SELECT``; its WHERE clause is the caller's scope and
the pipeline's leading ``$match`` stages, translated by the query language onto the Connection
API's indexes. When everything that query reads is in ``statement_facts`` (narrow rows with
the fields reports use, migration 0018) it runs there, else over ``statements``. A second
query over ``statements`` finds each group's first and last rows (``$first``/``$last``, the
order of the groups). The group rows then go through the rest of the pipeline in the Python
evaluator. When the part before the ``$group`` has no exact translation, the matched documents
are streamed through the evaluator instead (``lrs.aggregate.documents.run_in_python``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg
import sqlalchemy as sa

from lrs.aggregate import ast
from lrs.aggregate.documents import leading_match, run_in_python
from lrs.aggregate.evaluate import Bounds, run_pipeline
from lrs.aggregate.sql import (
    Compiled,
    Unsupported,
    assemble,
    compile_prefix,
    counts_as_groups,
)
from lrs.core.errors import TimedOut
from lrs.query import sql
from lrs.query.ast import Filter
from lrs.store.find import StatementScope
from lrs.store.postgres.aggregation_columns import (
    fact_columns,
    fact_filter,
    statement_binding,
    statement_columns,
)
from lrs.store.postgres.engine import PostgresBase
from lrs.store.postgres.statement_documents import (
    _statement_scope,
)
from lrs.store.schema import statement_facts, statements

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
        """The ``$group`` stages in SQL where they translate exactly, the rest in Python (see
        the module docstring)."""
        condition, rest = leading_match(pipeline)
        rest = ast.Pipeline(counts_as_groups(rest.stages))
        source = sa.select(statements.c.id).where(
            *_statement_scope(scope), sql.where(condition, statement_binding())
        )
        try:
            compiled = compile_prefix(rest.stages, source, statement_columns())
        except Unsupported:
            yield from run_in_python(
                self.stream_statement_documents,  # type: ignore[attr-defined]  # a sibling mixin
                scope,
                pipeline,
                bounds=bounds,
                tick=tick,
            )
            return
        grouping = _narrowest_groups(scope, condition, rest, compiled)
        with self._connect() as conn, _within(conn, bounds.time_limit_ms):
            _plan_for_groups(conn, True)
            groups = [
                (_decoded(doc, compiled.instant_fields), orjson.loads(key), first_at, last_at)
                for doc, key, first_at, last_at in conn.execute(grouping)
            ]
            _plan_for_groups(conn, False)  # what follows reads a few rows, by an index
            firsts = _ends(conn, compiled, sorted({g[2] for g in groups}), last=False)
            lasts = (
                _ends(conn, compiled, sorted({g[3] for g in groups}), last=True)
                if compiled.lasts
                else []
            )
            documents = assemble(compiled, groups, firsts, lasts)
        remaining = ast.Pipeline(rest.stages[compiled.consumed :])
        yield from run_pipeline(remaining, documents, bounds=bounds, tick=tick)


#: PostgreSQL cannot estimate how many groups most expressions make and guesses one per row:
#: it would then sort every row (spilling to disk) for a GroupAggregate, and would not share
#: the work between processes, as gathering a row per group looks dearer than doing it alone.
#: A report's groups are few: hash them, and in parallel.
_GROUPING_SETTINGS = {"enable_sort": "off", "parallel_setup_cost": "0", "parallel_tuple_cost": "0"}


@contextlib.contextmanager
def _within(conn: sa.Connection, time_limit_ms: int | None) -> Iterator[None]:
    """The transaction's queries under the run's time limit; past it, ``TimedOut`` (504)."""
    if not time_limit_ms:
        yield
        return
    conn.execute(
        sa.text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": str(time_limit_ms)}
    )
    try:
        yield
    except sa.exc.OperationalError as error:
        if isinstance(error.orig, psycopg.errors.QueryCanceled):
            raise TimedOut(
                f"the aggregation ran past {time_limit_ms} ms (maxTimeMS, capped by "
                "LRS_STATEMENT_TIMEOUT_MS); narrow its first $match"
            ) from None
        raise


def _plan_for_groups(conn: sa.Connection, grouping: bool) -> None:
    """Set the planner up for the grouping query, or back to the defaults (one round trip)."""
    conn.execute(
        sa.text(
            "; ".join(
                f"SET LOCAL {name} = {value if grouping else 'DEFAULT'}"
                for name, value in _GROUPING_SETTINGS.items()
            )
        )
    )


def _narrowest_groups(
    scope: StatementScope, condition: Filter, rest: ast.Pipeline, compiled: Compiled
) -> sa.Select[Any]:
    """The grouping query over ``statement_facts`` when everything it reads is there, else
    ``compiled``'s over ``statements``."""
    where = fact_filter(scope, condition)
    if where is None:
        return compiled.groups
    try:
        narrow = compile_prefix(
            rest.stages, sa.select(statement_facts.c.id).where(*where), fact_columns()
        )
    except Unsupported:
        return compiled.groups
    # The $group stages each translated: the same on both, or the first rows would not match.
    return narrow.groups if narrow.consumed == compiled.consumed else compiled.groups


def _ends(
    conn: sa.Connection, compiled: Compiled, at: list[datetime], *, last: bool
) -> list[tuple[Any, dict[str, Any]]]:
    """The rows of ``compiled.ends_at``, decoded."""
    if not at:
        return []
    rows = conn.execute(compiled.ends_at(at, last=last))
    return [(orjson.loads(key), _decoded(picked, compiled.instant_fields)) for key, picked in rows]


def _decoded(text: str, instants: frozenset[str]) -> dict[str, Any]:
    row: dict[str, Any] = orjson.loads(text)
    for name in instants:
        micros = row.get(name)
        if isinstance(micros, int):
            row[name] = _EPOCH + timedelta(microseconds=micros)
    return row
