"""Section ``statements``: batched POST throughput and GET /statements latencies, per store.

For each store: generate the data set, start a fresh server (and database), load it with batched
POSTs from several processes (``tests.bench.loaded``), then time every query type on the loaded
store. On PostgreSQL the query types are timed twice: right after the last write is
acknowledged, before any VACUUM or ANALYZE of ours (the state a user meets after a bulk load,
whether or not autovacuum got there first), and again after ``VACUUM ANALYZE``; the report puts
both side by side. It also reports the write rate of each tenth of the load, the WAL and
checkpoints the load cost, and the bytes on disk per statement, table by table and index by
index. The loaded PostgreSQL store stays up for the connection section when it runs too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench.client import BenchError, Credentials, XapiClient
from tests.bench.cpu import CpuSnapshot
from tests.bench.data import Dataset
from tests.bench.load import LoadResult
from tests.bench.loaded import (
    SETTLE_SECONDS,
    AfterLoad,
    LoadedStore,
    LoadedStores,
    PgLoadStats,
    StoreKey,
)
from tests.bench.options import Options, progress
from tests.bench.pg_stats import AnalyseState
from tests.bench.queries import QueryResult, build_cases, run_case
from tests.bench.report import Figure, StoreReport, Target, machine_fact
from tests.bench.server import ServedStore
from tests.bench.timing import Measured

NAME = "statements"
POST_TARGET = Target(minimum=5_000, unit="st/s", aim=10_000)
GET_TARGET = Target(maximum=20, unit="ms", on="p95")
NO_ERRORS = Target(maximum=0, unit="")
TENTHS_TARGET = Target(minimum=0.8, unit="x")
DISK_TARGET = Target(maximum=4096, unit="B")
TITLES = {"postgres": "PostgreSQL", "memory": "in-memory"}
NOTES = (
    "targets (issue): >= 5,000 statements/s for batched POSTs into PostgreSQL (aim 10,000), also "
    "with BENCH_PG_SETTINGS=recommended; p95 <= 20 ms for each GET query type, right after the "
    "load (fresh) and after VACUUM ANALYZE (analysed); the last tenth of the load written at "
    ">= 0.8x the rate of the first; <= 4,096 bytes on disk per statement. The in-memory store is "
    "judged by the same numbers for reference.",
    "POST latency = one batch of 100 statements, under the concurrent load of every client; "
    "GET latency = one sequential client after the load, limit=100 unless stated.",
    "CPU ms lrs+pg: CPU time of the lrs serve processes + PostgreSQL's per request (per batch for "
    "POST), from /proc; for the more link averaged over both pages; for the queries, of the "
    "analysed phase (the fresh phase's is in the JSON).",
    "WAL bytes: the WAL position's move from the load's start to its last acknowledged write. "
    "Full-page images, records, checkpoints: pg_stat_wal and pg_stat_bgwriter from the load's "
    "start to the end of the fresh reads, at least 11 s after the last write (their counters "
    "lag up to 10 s); the reads write next to no WAL, autovacuum's meanwhile counts. Cluster-wide.",
)


@dataclass
class _Fresh:
    """The read phase right after the load (filled in by the ``after_load`` hook)."""

    results: dict[str, QueryResult] = field(default_factory=dict)
    delay: float = 0.0  # seconds from the last acknowledged write to the first read
    seconds: float = 0.0


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
        fresh = _Fresh()
        hook = _fresh_reads(options, fresh) if store == "postgres" else None
        if not options.analyze:
            report.phases = ("fresh", "later")
        try:
            with shared.borrow(store, count, options, work_dir, NAME, hook) as loaded:
                report.facts.update(loaded.facts)
                _report_load(options, report, loaded)
                if loaded.pg is not None:
                    _report_postgres(options, report, loaded, loaded.pg, fresh)
                with loaded.served.explaining_errors():
                    _bench_queries(
                        options,
                        report,
                        loaded.served.server.credentials,
                        loaded.dataset,
                        loaded.load,
                        loaded.served.cpu,
                        has_database=loaded.served.database is not None,
                        fresh=fresh.results,
                    )
        except (BenchError, RuntimeError, OSError) as error:
            report.error = f"{type(error).__name__}: {error}"
            progress(f"{store}: ERROR {report.error}")
    return reports


def _report_load(options: Options, report: StoreReport, loaded: LoadedStore) -> None:
    """The load phase's figures: throughput and batch latencies (and 503s when resent)."""
    load, cpu = loaded.load, loaded.load_cpu
    has_database = loaded.served.database is not None
    name = f"POST batches of {options.batch_size}"
    if has_database and options.pg_settings.name != "default":
        name += f", PostgreSQL settings {options.pg_settings.name}"
    report.figures.append(
        Figure(
            name,
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
    rates = load.rates_by_part(10)
    if len(rates) == 10:
        ratio = rates[-1] / rates[0] if rates[0] > 0 else math.nan
        report.facts["write rate by tenth"] = (
            " ".join(_rate(rate) for rate in rates) + " st/s (each tenth of the statements, in the "
            "order acknowledged)"
        )
        report.figures.append(
            Figure(
                "write rate, last tenth / first tenth",
                value=ratio,
                unit="x",
                target=TENTHS_TARGET,
                digits=2,
                details={"statements_per_second_by_tenth": rates},
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
    fresh: dict[str, QueryResult],
) -> None:
    """Time every query type (the analysed phase on PostgreSQL), beside its fresh figures."""
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
            figure = measured.figure(
                f"GET {case.name}",
                GET_TARGET,
                has_database=has_database,
                details={
                    **case.details,
                    "statements_returned_per_request": result.statements_returned
                    / max(len(result.latencies), 1),
                },
            )
            early = fresh.get(case.name)
            if early is not None:
                figure.fresh_latencies_ms = [s * 1000 for s in early.latencies]
                figure.details["fresh_cpu_ms_per_request"] = _cpu_per_request(early)
            report.figures.append(figure)
    finally:
        client.close()


def _fresh_reads(options: Options, fresh: _Fresh) -> AfterLoad | None:
    """The hook timing every query type as soon as the load's last write is acknowledged."""
    if not options.fresh_requests:
        return None

    def after_load(served: ServedStore, dataset: Dataset, load: LoadResult) -> None:
        fresh.delay = time.monotonic() - load.last_ack
        started = time.monotonic()
        cases = build_cases(dataset.sample, load.statements, load.started_at, load.finished_at)
        progress(
            f"postgres: fresh reads, {fresh.delay * 1000:.0f} ms after the last acknowledged "
            f"write ({options.fresh_requests} per query type)"
        )
        client = XapiClient(served.server.credentials)
        try:
            for case in cases:
                fresh.results[case.name] = run_case(
                    client,
                    case,
                    requests=options.fresh_requests,
                    warmup=options.fresh_warmup,
                    max_seconds=options.max_seconds,
                    progress=progress,
                    snapshot=served.cpu,
                )
        finally:
            client.close()
        fresh.seconds = time.monotonic() - started

    return after_load


def _report_postgres(
    options: Options, report: StoreReport, loaded: LoadedStore, pg: PgLoadStats, fresh: _Fresh
) -> None:
    """Settings, analyse state, WAL, checkpoints and bytes on disk of a PostgreSQL load."""
    statements = max(loaded.load.statements, 1)
    report.facts["analysed at the last acknowledged write"] = _analysed(pg.analysed_at_last_ack)
    if fresh.results:
        report.facts["fresh reads"] = (
            f"began {fresh.delay * 1000:,.0f} ms after the last acknowledged write, before any "
            f"VACUUM or ANALYZE of ours; {options.fresh_requests} timed requests per query type "
            f"after {options.fresh_warmup} untimed, {fresh.seconds:.1f} s in all"
        )
        report.facts["analysed when the fresh reads ended"] = _analysed(pg.analysed_after_reads)
    if pg.vacuum_seconds is not None:
        report.facts["then"] = (
            f"VACUUM ANALYZE of {len(pg.tables)} tables ({pg.vacuum_seconds:.1f} s), then "
            f"{options.query_requests} timed requests per query type after {options.warmup} "
            "untimed (analysed)"
        )
    else:
        report.facts["then"] = "no VACUUM ANALYZE (BENCH_ANALYZE=0): the second read phase"
    wal, at_ack = pg.wal_settled, pg.wal_at_last_ack
    report.facts["WAL"] = (
        f"{at_ack.lsn / 1e6:,.0f} MB from the load's start to its last acknowledged write (WAL "
        f"position); pg_stat_wal, read {SETTLE_SECONDS:.0f} s or more later: "
        f"{wal.wal_bytes / 1e6:,.0f} MB in {wal.wal_records:,} records with {wal.wal_fpi:,} "
        "full-page images"
    )
    wal_details = {
        "wal_position_bytes_at_last_ack": at_ack.lsn,
        "wal_bytes": wal.wal_bytes,
        "wal_records": wal.wal_records,
        "wal_fpi": wal.wal_fpi,
        "checkpoints_timed": wal.checkpoints_timed,
        "checkpoints_req": wal.checkpoints_req,
        "checkpoints_at_last_ack": at_ack.checkpoints_timed + at_ack.checkpoints_req,
    }
    fpw = pg.settings.get("full_page_writes", "?")
    report.figures += [
        Figure(
            "WAL bytes per statement",
            value=at_ack.lsn / statements,
            unit="B",
            details=wal_details,
        ),
        Figure(
            f"full-page images per statement (full_page_writes={fpw})",
            value=wal.wal_fpi / statements,
            digits=3,
            details=wal_details,
        ),
        Figure(
            "WAL records per statement",
            value=wal.wal_records / statements,
            digits=1,
            details=wal_details,
        ),
        Figure(
            f"checkpoints ({wal.checkpoints_timed} timed, {wal.checkpoints_req} requested)",
            value=wal.checkpoints_timed + wal.checkpoints_req,
            details=wal_details,
        ),
    ]
    when = "after VACUUM ANALYZE" if pg.vacuum_seconds is not None else "after the fresh reads"
    report.facts[f"bytes on disk {when} (total, per statement)"] = [
        f"{size.table} {size.part}: {size.bytes / 1e6:,.1f} MB, {size.bytes / statements:,.0f} B"
        for size in pg.disk
    ] + [f"all: {pg.disk_bytes / 1e6:,.1f} MB, {pg.disk_bytes / statements:,.0f} B"]
    report.figures.append(
        Figure(
            "bytes on disk per statement",
            value=pg.disk_bytes / statements,
            unit="B",
            target=DISK_TARGET,
            details={
                "measured": when,
                "tables": pg.tables,
                "relations": [
                    {"table": size.table, "part": size.part, "bytes": size.bytes}
                    for size in pg.disk
                ],
                "total_bytes": pg.disk_bytes,
            },
        )
    )


def _analysed(states: list[AnalyseState]) -> str:
    """Whether ``statements`` was analysed (ANALYZE or autoanalyze), then the other tables'."""
    main = next((state for state in states if state.table.endswith(".statements")), None)
    others = [state for state in states if state is not main and state.analysed]
    if main is None:
        text = "statements: not found"
    elif main.analysed:
        text = f"statements: analysed ({main.describe()})"
    else:
        text = "statements: not analysed (last_analyze and last_autoanalyze unset)"
    analysed = ", ".join(f"{state.table} {state.describe()}" for state in others) or "none"
    return f"{text}; other statement tables analysed: {analysed}"


def _rate(rate: float) -> str:
    return "-" if math.isnan(rate) else f"{rate:,.0f}"


def _cpu_per_request(result: QueryResult) -> dict[str, float] | None:
    cpu: CpuSnapshot | None = result.cpu
    if cpu is None:
        return None
    per = 1000 / max(result.requests_sent, 1)
    return {"server": cpu.server * per, "database": cpu.database * per}
