"""Section ``statements``: batched POST throughput and GET /statements latencies, per store.

For each store: build the data set, start a fresh server (and database), load it with batched
POSTs from several processes (``tests.bench.loaded``), then time every query type on the loaded
store. The loaded PostgreSQL store stays up for the connection section when it runs too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.bench.client import BenchError, Credentials, XapiClient
from tests.bench.cpu import CpuSnapshot
from tests.bench.data import Dataset
from tests.bench.load import LoadResult
from tests.bench.loaded import LoadedStore, LoadedStores, StoreKey
from tests.bench.options import Options, progress
from tests.bench.queries import build_cases, run_case
from tests.bench.report import Figure, StoreReport, Target, machine_fact
from tests.bench.timing import Measured

NAME = "statements"
POST_TARGET = Target(minimum=5_000, unit="st/s", aim=10_000)
GET_TARGET = Target(maximum=20, unit="ms", on="p95")
NO_ERRORS = Target(maximum=0, unit="")
TITLES = {"postgres": "PostgreSQL", "memory": "in-memory"}
NOTES = (
    "targets (issue): >= 5,000 statements/s for batched POSTs into PostgreSQL (aim 10,000); "
    "p95 <= 20 ms for each GET query type at 100,000 statements. The in-memory store is judged "
    "by the same numbers for reference.",
    "POST latency = one batch of 100 statements, under the concurrent load of every client; "
    "GET latency = one sequential client after the load, limit=100 unless stated.",
    "CPU ms lrs+pg: CPU time of the lrs serve processes + PostgreSQL's per request (per batch for "
    "POST), from /proc; for the more link averaged over both pages.",
)


def reuses(options: Options) -> set[StoreKey]:
    """The loaded stores this section borrows (kept up for it when an earlier section loads)."""
    return {(store, _count(store, options)) for store in options.stores}


def _count(store: str, options: Options) -> int:
    return options.memory_statements if store == "memory" else options.statements


def run(options: Options, work_dir: Path, shared: LoadedStores) -> list[StoreReport]:
    """Run the section on every selected store; a store's error is recorded, not raised."""
    reports = []
    for store in options.stores:
        count = _count(store, options)
        report = StoreReport(store=store, title=f"{TITLES[store]} store, {count:,} statements")
        reports.append(report)
        report.facts["machine"] = machine_fact()
        try:
            with shared.borrow(store, count, options, work_dir, NAME) as loaded:
                report.facts.update(loaded.facts)
                _report_load(options, report, loaded)
                with loaded.served.explaining_errors():
                    _bench_queries(
                        options,
                        report,
                        loaded.served.server.credentials,
                        loaded.dataset,
                        loaded.load,
                        loaded.served.cpu,
                        has_database=loaded.served.database is not None,
                    )
        except (BenchError, RuntimeError, OSError) as error:
            report.error = f"{type(error).__name__}: {error}"
            progress(f"{store}: ERROR {report.error}")
    return reports


def _report_load(options: Options, report: StoreReport, loaded: LoadedStore) -> None:
    """The load phase's figures: throughput and batch latencies (and 503s when resent)."""
    load, cpu = loaded.load, loaded.load_cpu
    has_database = loaded.served.database is not None
    report.figures.append(
        Figure(
            f"POST batches of {options.batch_size}",
            value=load.statements_per_second,
            unit="st/s",
            latencies_ms=[s * 1000 for s in load.latencies],
            target=POST_TARGET,
            server_cpu_ms=cpu.server * 1000 / max(load.batches, 1),
            database_cpu_ms=cpu.database * 1000 / max(load.batches, 1) if has_database else None,
            details={
                "statements": load.statements,
                "seconds": load.seconds,
                "server_cpu_seconds": cpu.server,
                "database_cpu_seconds": cpu.database,
                "client_cpu_seconds": load.client_cpu_seconds,
            },
        )
    )
    if options.retry_busy:
        report.figures.append(
            Figure(
                "POST 503 responses (batch resent)",
                value=load.retried,
                unit="",
                target=NO_ERRORS,
                details={"retry_busy": options.retry_busy},
            )
        )


def _bench_queries(
    options: Options,
    report: StoreReport,
    credentials: Credentials,
    dataset: Dataset,
    load: LoadResult,
    snapshot: Callable[[], CpuSnapshot],
    *,
    has_database: bool,
) -> None:
    cases = build_cases(dataset.sample, load.statements, load.started_at, load.finished_at)
    client = XapiClient(credentials)
    try:
        for case in cases:
            result = run_case(
                client,
                case,
                requests=options.query_requests,
                warmup=options.warmup,
                max_seconds=options.max_seconds,
                progress=progress,
                snapshot=snapshot,
            )
            measured = Measured(result.latencies, result.requests_sent, result.cpu)
            report.figures.append(
                measured.figure(
                    f"GET {case.name}",
                    GET_TARGET,
                    has_database=has_database,
                    details={
                        **case.details,
                        "statements_returned_per_request": result.statements_returned
                        / max(len(result.latencies), 1),
                    },
                )
            )
    finally:
        client.close()
