"""Section ``import_export``: ``lrs import`` and ``lrs export`` rates, and the export's memory.

On a throwaway PostgreSQL (the commands need one), with a fresh database:

* the bench's statements (``BENCH_STATEMENTS``, generated as the statements section does) are
  written to a gzipped NDJSON file, then imported through ``lrs.ops.importing.import_statements``
  in this process (statements/s, wall time, with the CPU of this process and of PostgreSQL);
* the same file imported again: every statement already present;
* ``lrs export`` to NDJSON and to CSV, each a subprocess: statements/s and its peak RSS (as
  ``tests.bench.peak_rss`` measures it), judged against 200 MB;
* with ``BENCH_LARGE_EXPORT=N`` (e.g. 1000000), the store is then grown to N statements by SQL
  (copies of the imported rows with new ids, ``stored`` shifted by a day per copy; faster than
  importing and not what is measured) and exported to NDJSON again, for the peak RSS at N.

The import target is half the statements section's POST target (the issue asks for at least half
the HTTP POST rate, which measures 5,000 to 7,000 statements/s on the bench machine).
"""

from __future__ import annotations

import gzip
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
import psycopg

from tests.bench.client import BenchError
from tests.bench.cpu import postmaster_pid, tree_cpu_seconds
from tests.bench.data import generate
from tests.bench.loaded import LoadedStores
from tests.bench.options import Options, progress
from tests.bench.report import Check, Figure, StoreReport, Target, machine_fact
from tests.bench.server import LRS, Database, throwaway_database

NAME = "import_export"
REPOSITORY = Path(__file__).resolve().parents[2]  # tests.bench.peak_rss is run from here
IMPORT_TARGET = Target(minimum=2_500, unit="st/s")
RSS_LIMIT_MB = 200
GENERATE_CHUNK = 50_000
NOTES = (
    "target (issue): import at least half the HTTP POST rate of the statements section "
    "(5,000 to 7,000 statements/s into PostgreSQL on this machine), so >= 2,500 st/s; export "
    f"peak RSS <= {RSS_LIMIT_MB} MB at 100,000 and at 1,000,000 statements "
    "(BENCH_LARGE_EXPORT=1000000).",
    "import: lrs.ops.importing in the bench process from a gzipped NDJSON file, batches of 500 "
    "(the command's default); export: the lrs export command as a subprocess, its peak RSS "
    "measured by a small launcher (tests.bench.peak_rss: getrusage of its children); "
    "PostgreSQL only (the commands need it).",
    "CPU ms lrs+pg: CPU time per 1,000 statements of the importing process and PostgreSQL, or "
    "of the lrs export process (PostgreSQL's backend for it exits with it, uncounted).",
)


@dataclass(frozen=True)
class _Run:
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    database_cpu_seconds: float | None


def run(options: Options, work_dir: Path, shared: LoadedStores) -> list[StoreReport]:
    """Import and export on a throwaway PostgreSQL (the memory store has no commands)."""
    if "postgres" not in options.stores:
        return []
    count = options.statements
    report = StoreReport(store="postgres", title=f"PostgreSQL, {count:,} statements")
    report.facts["machine"] = machine_fact()
    try:
        with throwaway_database("lrs_bench_import", options.pg_settings) as database:
            _bench(options, report, database, work_dir)
    except (BenchError, RuntimeError, OSError, psycopg.Error) as error:
        report.error = f"{type(error).__name__}: {error}"
        progress(f"import_export: ERROR {report.error}")
    return [report]


def _bench(options: Options, report: StoreReport, database: Database, work_dir: Path) -> None:
    from lrs.ops.importing import import_statements
    from lrs.store.postgres import PostgresStore
    from lrs.tenancy.service import bootstrap

    count = options.statements
    source = work_dir / "statements.ndjson.gz"
    progress(f"import_export: generating {count:,} statements into {source.name}")
    _write_statements(source, count, options.seed)
    report.facts["input"] = f"{source.stat().st_size / 1e6:,.1f} MB gzipped NDJSON"
    store = PostgresStore.from_url(database.url, pool_size=2)
    try:
        tenant = bootstrap(store)
        assert tenant is not None
        database_pid = postmaster_pid(database.cluster.data_dir)
        for label, expect_stored in (("import", count), ("import again (all present)", 0)):
            progress(f"import_export: {label}")
            before = (time.process_time(), tree_cpu_seconds(database_pid))
            started = time.perf_counter()
            with source.open("rb") as stream:
                summary = import_statements(
                    store, tenant.lrs.id, stream, client=tenant.issued.client
                )
            seconds = time.perf_counter() - started
            if summary.stored != expect_stored or summary.rejected or summary.stopped_by:
                raise BenchError(f"{label}: unexpected summary {summary}")
            report.figures.append(
                _figure(
                    f"{label}, lrs.ops.importing",
                    count,
                    _Run(
                        seconds,
                        _self_rss_mb(),
                        time.process_time() - before[0],
                        tree_cpu_seconds(database_pid) - before[1],
                    ),
                    target=IMPORT_TARGET if expect_stored else None,
                )
            )
        database.execute("VACUUM ANALYZE statements")
        for format in ("ndjson", "csv"):
            report.figures.append(_export_figure(database, work_dir, count, format))
        large = int(os.environ.get("BENCH_LARGE_EXPORT", "0") or 0)
        if large > count:
            progress(f"import_export: growing the store to {large:,} statements by SQL")
            copies = -(-large // count) - 1
            _grow(database, tenant.lrs.id, copies)
            total = count * (copies + 1)
            report.facts["large export"] = f"{total:,} statements ({copies} SQL copies)"
            report.figures.append(_export_figure(database, work_dir, total, "ndjson"))
    finally:
        store.close()


def _write_statements(path: Path, count: int, seed: int) -> None:
    """``count`` generated statements as gzipped NDJSON, a chunk at a time."""
    with gzip.open(path, "wb", compresslevel=1) as out:
        written = 0
        chunk = 0
        while written < count:
            size = min(GENERATE_CHUNK, count - written)
            bodies, _ = generate(size, batch_size=size, seed=seed * 1000 + chunk)
            for body in bodies:
                for statement in orjson.loads(body):
                    out.write(orjson.dumps(statement) + b"\n")
            written += size
            chunk += 1


def _export_figure(database: Database, work_dir: Path, count: int, format: str) -> Figure:
    target = work_dir / f"export.{format}"
    progress(f"import_export: lrs export --format {format} ({count:,} statements)")
    env = {**os.environ, "LRS_DATABASE_URL": database.url}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = [LRS, "export", "--format", format, "-o", str(target)]
    completed = subprocess.run(
        [sys.executable, "-m", "tests.bench.peak_rss", *command],
        env=env,
        cwd=REPOSITORY,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    seconds = time.perf_counter() - started
    errors = completed.stderr.decode()
    if completed.returncode != 0:
        raise BenchError(f"lrs export --format {format} failed: {errors[-2000:]}")
    peak_kb = int(errors.rsplit("peak_rss_kb ", 1)[1].split()[0])
    rows = _count_rows(target, format)
    if rows != count:
        raise BenchError(f"lrs export --format {format}: {rows:,} rows, expected {count:,}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # PostgreSQL's share is not measured: the export's backend exits with the command.
    run = _Run(seconds, peak_kb / 1024, cpu, None)
    figure = _figure(f"export {format} ({count:,}), lrs export", count, run, target=None)
    figure.details["output_mb"] = round(target.stat().st_size / 1e6, 1)
    figure.checks.append(
        Check(
            f"peak RSS {run.peak_rss_mb:,.0f} MB <= {RSS_LIMIT_MB} MB",
            run.peak_rss_mb <= RSS_LIMIT_MB,
        )
    )
    target.unlink()
    return figure


def _count_rows(path: Path, format: str) -> int:
    with path.open("rb") as stream:
        lines = sum(1 for _ in stream)
    return lines - 1 if format == "csv" else lines  # the CSV header


def _figure(name: str, count: int, run: _Run, *, target: Target | None) -> Figure:
    per_thousand = 1000 / max(count, 1)
    return Figure(
        name,
        value=count / run.seconds if run.seconds else None,
        unit="st/s",
        target=target,
        server_cpu_ms=run.cpu_seconds * 1000 * per_thousand,
        database_cpu_ms=None
        if run.database_cpu_seconds is None
        else run.database_cpu_seconds * 1000 * per_thousand,
        details={
            "statements": count,
            "seconds": round(run.seconds, 2),
            "peak_rss_mb": round(run.peak_rss_mb, 1),
            "cpu_seconds": round(run.cpu_seconds, 2),
            "database_cpu_seconds": run.database_cpu_seconds,
        },
    )


def _self_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Copies of a store's statements with new ids, one day later per copy; only for a bigger export
# (the copies get no lookup-term rows: the export reads the statements alone).
_GROW = """
INSERT INTO statements (lrs_id, organisation_id, client_id, stored, id, statement_id, timestamp,
                        voided, voiding, ref_target, hash, queriables, statement)
SELECT lrs_id, organisation_id, client_id, stored, id, new_id, timestamp, voided, voiding,
       ref_target, hash, queriables,
       jsonb_set(jsonb_set(statement, '{id}', to_jsonb(new_id::text)), '{stored}',
                 to_jsonb(to_char(stored AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
FROM (
    SELECT s.lrs_id, s.organisation_id, s.client_id, s.stored + copy * interval '1 day' AS stored,
           substr(md5(s.id || copy::text), 1, 24) AS id, gen_random_uuid() AS new_id,
           s.timestamp, s.voided, s.voiding, s.ref_target, s.hash, s.queriables,
           s.statement
    FROM statements s CROSS JOIN generate_series(1, %(copies)s) AS copy
    WHERE s.lrs_id = %(lrs_id)s
) AS copied
"""


def _grow(database: Database, lrs_id: str, copies: int) -> None:
    with psycopg.connect(database.dsn, autocommit=True) as conn:
        conn.execute(_GROW, {"copies": copies, "lrs_id": lrs_id})
        conn.execute(
            "UPDATE models SET doc = jsonb_set(doc, '{statementCount}', to_jsonb("
            "(SELECT count(*) FROM statements WHERE lrs_id = %(lrs_id)s))) "
            "WHERE model = 'lrs' AND id = %(lrs_id)s",
            {"lrs_id": lrs_id},
        )
        conn.execute("VACUUM ANALYZE statements")
