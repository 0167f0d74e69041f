"""Running a pipeline for a caller: the scope first, the leading ``$match`` in the store, the
rest in the evaluator, then ``skip``/``limit``, within the server's bounds of time, documents
and bytes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import orjson

from lrs.aggregate import ast
from lrs.aggregate.evaluate import Bounds
from lrs.core.errors import BadQuery, TimedOut
from lrs.store.base import Store
from lrs.store.find import StatementScope

_TICK_EVERY = 256


@dataclass(frozen=True)
class AggregationLimits:
    """What one aggregation may use."""

    #: Documents an answer may hold (after ``skip``/``limit``); more is a 400 asking for $limit.
    max_results: int = 10_000
    #: Bytes an answer may take as JSON.
    max_result_bytes: int = 16 * 1024 * 1024
    #: Milliseconds a run may take when the request asks for no less (0: no limit).
    timeout_ms: int = 10_000
    #: What a blocking stage may hold.
    bounds: Bounds = field(default_factory=Bounds)


@dataclass(frozen=True)
class AggregationRequest:
    """A parsed request: the pipeline, and ``skip``/``limit``/``maxTimeMS`` applied around it."""

    pipeline: ast.Pipeline
    skip: int = 0
    limit: int | None = None
    max_time_ms: int | None = None


class AggregationService:
    """Aggregations over the statement records a caller may read."""

    def __init__(
        self,
        store: Store,
        limits: AggregationLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._limits = limits or AggregationLimits()
        self._clock = clock

    def aggregate(self, scope: StatementScope, request: AggregationRequest) -> bytes:
        """The answer as a JSON array (``BadQuery``, ``TimedOut`` or ``StoreUnavailable``
        otherwise). Voided statements are included, as in Learning Locker."""
        limits = self._limits
        budget_ms = self._budget_ms(request.max_time_ms)
        bounds = replace(limits.bounds, time_limit_ms=budget_ms)
        stream = self._store.aggregate_statements(
            scope, request.pipeline, bounds=bounds, tick=self._deadline(budget_ms)
        )
        try:
            results = []
            for index, doc in enumerate(stream):
                if index < request.skip:
                    continue
                if request.limit is not None and len(results) >= request.limit:
                    break
                if len(results) >= limits.max_results:
                    raise BadQuery(
                        f"pipeline: the answer has more than {limits.max_results} documents; "
                        "add a $limit stage (or the limit parameter) or group more coarsely",
                        field="pipeline",
                    )
                results.append(doc)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        body = orjson.dumps(results, option=orjson.OPT_UTC_Z)
        if len(body) > limits.max_result_bytes:
            raise BadQuery(
                f"pipeline: the answer is {len(body)} bytes; the limit is "
                f"{limits.max_result_bytes}. Add a $limit or $project stage",
                field="pipeline",
            )
        return body

    def _budget_ms(self, max_time_ms: int | None) -> int | None:
        """The run's time limit: ``maxTimeMS``, capped by the server's (0: none)."""
        allowed = [ms for ms in (max_time_ms, self._limits.timeout_ms) if ms]
        return min(allowed) if allowed else None

    def _deadline(self, budget_ms: int | None) -> Callable[[], None]:
        if budget_ms is None:
            return lambda: None
        ends = self._clock() + budget_ms / 1000
        clock = self._clock
        calls = 0

        def tick() -> None:
            nonlocal calls
            calls += 1
            if calls % _TICK_EVERY == 0 and clock() > ends:
                raise TimedOut(
                    f"the aggregation ran past {budget_ms} ms (maxTimeMS, capped by "
                    "LRS_STATEMENT_TIMEOUT_MS); narrow its first $match"
                )

        return tick
