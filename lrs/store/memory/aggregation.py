"""Aggregation pipelines over the statement records, run by the Python evaluator as the
records stream by (``lrs.aggregate.documents.run_in_python``): nothing is copied but the
listing order's ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from lrs.aggregate.ast import Pipeline
from lrs.aggregate.documents import run_in_python
from lrs.aggregate.evaluate import Bounds
from lrs.store.find import StatementScope
from lrs.store.memory.state import MemoryState


class AggregationMixin(MemoryState):
    """Aggregation pipelines."""

    def aggregate_statements(
        self,
        scope: StatementScope,
        pipeline: Pipeline,
        *,
        bounds: Bounds,
        tick: Callable[[], None],
    ) -> Iterator[dict[str, Any]]:
        """Run the pipeline in Python over the scope's records, in natural order."""
        return run_in_python(
            self.stream_statement_documents,  # type: ignore[attr-defined]  # a sibling mixin
            scope,
            pipeline,
            bounds=bounds,
            tick=tick,
        )
