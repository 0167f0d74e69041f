"""Section ``statements``: batched POST throughput and GET /statements latencies, per store.

For each store: build the data set, start a fresh server (and database), load it with batched
POSTs from several processes, then time every query type on the loaded store.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.bench.client import BenchError, Credentials, XapiClient
from tests.bench.cpu import CpuSnapshot, postmaster_pid
from tests.bench.data import Dataset, generate
from tests.bench.load import LoadResult, run_load
from tests.bench.options import Options, progress
from tests.bench.queries import build_cases, run_case
from tests.bench.report import RESULTS_DIR, Figure, StoreReport, Target
from tests.bench.server import serving

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


def run(options: Options, work_dir: Path) -> list[StoreReport]:
    """Run the section on every selected store; a store's error is recorded, not raised."""
    reports = []
    for store in options.stores:
        count = options.memory_statements if store == "memory" else options.statements
        report = StoreReport(store=store, title=f"{TITLES[store]} store, {count:,} statements")
        reports.append(report)
        try:
            _bench_store(store, count, options, work_dir, report)
        except (BenchError, RuntimeError, OSError) as error:
            report.error = f"{type(error).__name__}: {error}"
            progress(f"{store}: ERROR {report.error}")
    return reports


def _bench_store(
    store: str, count: int, options: Options, work_dir: Path, report: StoreReport
) -> None:
    progress(f"{store}: generating {count:,} statements")
    dataset = generate(count, options.batch_size, options.seed)
    facts: dict[str, Any] = report.facts
    facts["machine"] = _machine_fact()
    facts["data"] = (
        f"{count:,} statements in {len(dataset.bodies):,} batches of {options.batch_size}, "
        f"{dataset.body_bytes / 1e6:.1f} MB of JSON; {len(dataset.counts.actors):,} actors, "
        f"{len(dataset.counts.verbs)} verbs, {len(dataset.counts.activities):,} activities, "
        f"{len(dataset.counts.registrations)} registrations"
    )
    with serving(store, work_dir, options.workers, options.threads) as served:
        server = served.server
        facts["server"] = (
            f"lrs serve, {server.workers} worker(s) x {server.threads} threads (gthread)"
            + (f", PostgreSQL {served.database.server_version()}" if served.database else "")
        )
        try:
            progress(f"{store}: loading with {options.clients} clients")
            pg_pid = postmaster_pid(served.database.cluster.data_dir) if served.database else None
            cpu_before = CpuSnapshot.take(server.process.pid, pg_pid)
            load = run_load(
                server.credentials,
                dataset.bodies,
                dataset.batch_sizes,
                clients=options.clients,
                max_seconds=options.max_seconds,
                retry_busy=options.retry_busy,
            )
            cpu = CpuSnapshot.take(server.process.pid, pg_pid) - cpu_before
            facts["CPU during load"] = _cpu_fact(cpu, load)
            facts["load"] = (
                f"{load.statements:,} statements in {load.seconds:.1f} s from {load.clients} "
                f"client processes ({load.reconnects} reconnects, {load.retried} batches "
                f"resent after a 503)"
            )
            report.figures.append(
                Figure(
                    f"POST batches of {options.batch_size}",
                    value=load.statements_per_second,
                    unit="st/s",
                    latencies_ms=[s * 1000 for s in load.latencies],
                    target=POST_TARGET,
                    server_cpu_ms=cpu.server * 1000 / max(load.batches, 1),
                    database_cpu_ms=(
                        cpu.database * 1000 / max(load.batches, 1) if served.database else None
                    ),
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
            progress(
                f"{store}: {load.statements_per_second:,.0f} statements/s over {load.seconds:.1f} s"
            )
            if served.database is not None:
                if options.analyze:
                    started = time.monotonic()
                    served.database.execute("VACUUM ANALYZE statements")
                    facts["after load"] = (
                        f"VACUUM ANALYZE statements ({time.monotonic() - started:.1f} s), "
                        "as autovacuum would"
                    )
                size = served.database.table_size("statements")
                facts["statements table"] = f"{size / 1e6:,.0f} MB with indexes"
            _bench_queries(
                options,
                report,
                server.credentials,
                dataset,
                load,
                lambda: CpuSnapshot.take(server.process.pid, pg_pid),
                has_database=served.database is not None,
            )
        except BenchError as error:
            tail = server.log_tail(20)
            if tail:
                progress(f"{store}: last lines of the server log:\n{tail}")
            saved = served.save_logs(RESULTS_DIR / "logs")
            for path in saved:
                progress(f"{store}: saved {path}")
            hints = [served.database_log_summary()]
            if saved:
                hints.append(f"logs in {saved[0].parent}")
            hint = "; ".join(h for h in hints if h)
            raise BenchError(f"{error}\n({hint})" if hint else str(error)) from None


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
            cpu: CpuSnapshot = result.cpu
            requests = result.requests_sent
            report.figures.append(
                Figure(
                    f"GET {case.name}",
                    latencies_ms=[s * 1000 for s in result.latencies],
                    target=GET_TARGET,
                    server_cpu_ms=cpu.server * 1000 / requests,
                    database_cpu_ms=cpu.database * 1000 / requests if has_database else None,
                    details={
                        **case.details,
                        "statements_returned_per_request": result.statements_returned
                        / max(len(result.latencies), 1),
                    },
                )
            )
    finally:
        client.close()


def _machine_fact() -> str:
    """CPUs and the load average before the run (other work on the machine skews figures)."""
    one, five, _ = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs; load average before this store {one:.2f} (1 min), {five:.2f} (5)"
    )


def _cpu_fact(cpu: CpuSnapshot, load: LoadResult) -> str:
    """CPU seconds per component and per 100 statements during the load phase."""
    per = 100 / max(load.statements, 1) * 1000  # ms per 100 statements per CPU second
    available = load.seconds * (os.cpu_count() or 1)
    parts = [f"lrs serve {cpu.server:.1f} s ({cpu.server * per:.0f} ms/100 st)"]
    if cpu.database:
        parts.append(f"PostgreSQL {cpu.database:.1f} s ({cpu.database * per:.0f} ms/100 st)")
    parts.append(f"load clients {load.client_cpu_seconds:.1f} s")
    used = cpu.server + cpu.database + load.client_cpu_seconds
    return f"{', '.join(parts)}; {used:.0f} of {available:.0f} CPU-seconds available"
