"""``maxTimeMS`` on PostgreSQL: the database gets the run's time limit, so a grouping query
that would run past it is cancelled there, a 504, rather than finishing and being refused."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa

from lrs.aggregate.evaluate import Bounds
from lrs.aggregate.parse import parse_pipeline
from lrs.core.errors import TimedOut
from lrs.store.find import StatementScope
from lrs.store.postgres import aggregation as pg_aggregation
from tests.aggregate.conftest import aggregate
from tests.http.conftest import Api

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("store", ["postgres"], indirect=True),
]
PIPELINE = [{"$group": {"_id": "$statement.verb.id", "n": {"$sum": 1}}}]


def _slow_groups(*_: Any) -> sa.Select[Any]:
    """A grouping query that takes two seconds."""
    return sa.select(
        sa.literal_column("'{}'::jsonb").label("doc"),
        sa.literal_column("'null'::jsonb").label("key"),
        sa.func.now().label("first_at"),
        sa.func.now().label("last_at"),
    ).select_from(sa.text("pg_sleep(2) AS slept"))


def test_the_database_stops_a_query_at_the_time_limit(
    loaded: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg_aggregation, "_narrowest_groups", _slow_groups)
    scope = StatementScope(loaded.tenant.lrs.organisation_id, loaded.tenant.lrs.id)
    started = time.monotonic()
    with pytest.raises(TimedOut, match="ran past 200 ms"):
        list(
            loaded.store.aggregate_statements(  # type: ignore[attr-defined]
                scope,
                parse_pipeline(PIPELINE),
                bounds=Bounds(time_limit_ms=200),
                tick=lambda: None,
            )
        )
    assert time.monotonic() - started < 1.5


def test_max_time_ms_is_a_504_through_the_route(
    loaded: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg_aggregation, "_narrowest_groups", _slow_groups)
    response = aggregate(loaded, PIPELINE, maxTimeMS=200)
    assert response.status_code == 504
    assert set(response.json) >= {"errorId", "message"}
    assert "200 ms" in response.json["message"]
    monkeypatch.undo()
    assert rows_after(loaded) == 3  # the pooled connection serves the next report


def rows_after(app: Api) -> int:
    response = aggregate(app, PIPELINE)
    assert response.status_code == 200, response.text
    return len(response.json)
