"""Section ``aggregation``: Learning Locker's common report pipelines (issue 18).

``GET /api/statements/aggregate`` on PostgreSQL with ``BENCH_STATEMENTS`` (100,000; 1,000,000
with ``BENCH_STATEMENTS=1000000``) statements, borrowed from the statements section when both
run. Six pipelines in the shape Learning Locker's UI builds them (a leading ``$match``, a
``$project``, a ``$group`` with ``$first`` copies, ``$sort``, ``$limit``):

* statements per day over the last 90 days (``$dateToString`` in ``Europe/London``);
* the 10 most active actors;
* statements per verb;
* the average scaled score per activity;
* statements per weekday (``$dayOfWeek`` in ``+05:00``);
* unique people per month (two ``$group`` stages).

Each is timed a tenth of ``BENCH_QUERY_REQUESTS`` times (20) after two untimed runs; the
per-verb and per-actor counts and the 90-day total are checked against the data set's own
counts. The
memory store is not measured: it evaluates pipelines in Python, one document at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from tests.bench.borrowed import on_loaded_postgres
from tests.bench.client import BenchError, XapiClient
from tests.bench.data import Dataset
from tests.bench.loaded import LoadedStore, LoadedStores, StoreKey
from tests.bench.options import Options, progress
from tests.bench.report import Figure, StoreReport, Target
from tests.bench.timing import measure

NAME = "aggregation"
PATH = "/api/statements/aggregate"
TARGET = Target(maximum=1000, unit="ms", on="p50")
NOTES = (
    "target (issue 18): at 1,000,000 statements each pipeline answers in under 1 s p50 "
    "(BENCH_STATEMENTS=1000000); the default 100,000 shows the trend.",
    "one sequential client, 20 timed runs each; the pipelines have the shape of Learning "
    "Locker's UI ones ($match, $project, $group with $first copies, $sort, $limit, $project).",
    "checked: statements per verb and per actor equal the data set's counts, and the 90-day "
    "days add up to the statements in the window.",
    "PostgreSQL only: the memory store evaluates pipelines in Python.",
)
TAIL: list[dict[str, Any]] = [
    {"$sort": {"count": -1}},
    {"$limit": 10000},
    {"$project": {"_id": 1, "count": 1, "model": 1}},
]


def requests(options: Options) -> int:
    """Timed requests per pipeline: a tenth of ``BENCH_QUERY_REQUESTS`` (20 by default), as
    each can take a second at a million statements."""
    return max(5, options.query_requests // 10)


def reuses(options: Options) -> set[StoreKey]:
    """The PostgreSQL store of the statements section (kept up for this one)."""
    return {("postgres", options.statements)} if "postgres" in options.stores else set()


def _grouped(project: dict[str, Any], *, value: Any = None) -> list[dict[str, Any]]:
    group: dict[str, Any] = {
        "_id": "$group",
        "count": {"$sum": 1 if value is None else "$value"},
        "group": {"$first": "$group"},
        "model": {"$first": "$model"},
    }
    return [{"$project": project}, {"$group": group}]


def pipelines(dataset: Dataset) -> dict[str, tuple[list[dict[str, Any]], Callable[[Any], None]]]:
    """The six pipelines, each with a check of its answer."""
    counts = dataset.counts
    newest = datetime.fromtimestamp(max(counts.timestamps) / 1000, UTC)
    since = newest - timedelta(days=90)
    since_ms = int(since.timestamp() * 1000)
    in_window = sum(1 for ms in counts.timestamps if ms >= since_ms)
    window = {"$match": {"timestamp": {"$gte": {"$dte": since.isoformat()}}}}
    everything = {"$match": {"$and": [{}, {}]}}

    def per_day(rows: Any) -> None:
        if sum(row["count"] for row in rows) != in_window:
            raise BenchError(f"statements per day: {sum(r['count'] for r in rows)} != {in_window}")

    def top_actors(rows: Any) -> None:
        expected = sorted(counts.actors.values(), reverse=True)[:10]
        if [row["count"] for row in rows] != expected:
            raise BenchError(f"top actors: {[r['count'] for r in rows]} != {expected}")

    def per_verb(rows: Any) -> None:
        found = {row["_id"]: row["count"] for row in rows}
        if found != dict(counts.verbs):
            raise BenchError("statements per verb differ from the data set's counts")

    def some(rows: Any) -> None:
        if not rows:
            raise BenchError("no rows")

    return {
        "statements per day, 90 days": (
            [
                window,
                everything,
                *_grouped(
                    {
                        "group": {
                            "$dateToString": {
                                "format": "%Y-%m-%d",
                                "timezone": "Europe/London",
                                "date": "$timestamp",
                            }
                        },
                        "model": {
                            "$dateToString": {
                                "format": "%Y-%m-%d",
                                "timezone": "Europe/London",
                                "date": "$timestamp",
                            }
                        },
                    }
                ),
                {"$sort": {"_id": 1}},
                {"$limit": 10000},
            ],
            per_day,
        ),
        "top 10 actors": (
            [
                everything,
                {"$match": {"person._id": {"$exists": True}}},
                *_grouped({"group": "$person._id", "model": "$person.display"}),
                {"$sort": {"count": -1, "_id": 1}},
                {"$limit": 10},
            ],
            top_actors,
        ),
        "count by verb": (
            [
                everything,
                *_grouped({"group": "$statement.verb.id", "model": "$statement.verb"}),
                *TAIL,
            ],
            per_verb,
        ),
        "average scaled score per activity": (
            [
                everything,
                {"$match": {"statement.result.score.scaled": {"$exists": True}}},
                {
                    "$project": {
                        "group": "$statement.object.id",
                        "value": "$statement.result.score.scaled",
                        "model": {
                            "id": "$statement.object.id",
                            "definition": {"name": "$statement.object.definition.name"},
                        },
                    }
                },
                {
                    "$group": {
                        "_id": "$group",
                        "count": {"$avg": "$value"},
                        "group": {"$first": "$group"},
                        "model": {"$first": "$model"},
                    }
                },
                *TAIL,
            ],
            some,
        ),
        "weekday activity": (
            [
                everything,
                *_grouped(
                    {
                        "group": {"$dayOfWeek": {"date": "$timestamp", "timezone": "+05:00"}},
                        "model": {"$dayOfWeek": {"date": "$timestamp", "timezone": "+05:00"}},
                    }
                ),
                *TAIL,
            ],
            some,
        ),
        "unique people per month": (
            [
                everything,
                {
                    "$project": {
                        "group": {"$dateToString": {"format": "%Y-%m", "date": "$timestamp"}},
                        "value": "$person._id",
                    }
                },
                {
                    "$group": {
                        "_id": {"group": "$group", "value": "$value"},
                        "group": {"$first": "$group"},
                    }
                },
                {
                    "$group": {
                        "_id": "$_id.group",
                        "count": {"$sum": 1},
                        "model": {"$first": "$group"},
                    }
                },
                *TAIL,
            ],
            some,
        ),
    }


def run(options: Options, work_dir: Path, shared: LoadedStores) -> list[StoreReport]:
    """Time the pipelines on PostgreSQL; an error is recorded, not raised."""
    return on_loaded_postgres(NAME, options, work_dir, shared, _bench)


def _bench(options: Options, loaded: LoadedStore, report: StoreReport) -> None:
    client = XapiClient(loaded.served.server.credentials)
    has_database = loaded.served.database is not None
    try:
        for label, (pipeline, check) in pipelines(loaded.dataset).items():
            params = {"pipeline": orjson.dumps(pipeline).decode()}

            def once(
                _: int, params: dict[str, str] = params, check: Any = check, label: str = label
            ) -> float:
                response = client.get(PATH, params)
                if response.status != 200:
                    raise BenchError(f"{label}: {response.status} {response.body[:300]!r}")
                check(orjson.loads(response.body))
                return response.seconds

            measured = measure(
                f"{NAME}: {label}",
                once,
                requests(options),
                min(options.warmup, 2),
                options.max_seconds,
                snapshot=loaded.served.cpu,
            )
            figure: Figure = measured.figure(label, TARGET, has_database=has_database)
            figure.details = {"pipeline": pipeline}
            report.figures.append(figure)
            progress(f"{NAME}: {label}: p50 {figure.p50_ms:.0f} ms")
    finally:
        client.close()
