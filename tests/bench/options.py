"""The benchmark's options: command-line flags whose defaults come from ``BENCH_*`` variables."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tests.bench.pg_settings import PgSettings

STORES = ("postgres", "memory")
MATRICES = ("full", "required")  # connection: every filter x every sort, or the minimum
_STARTED = time.monotonic()


@dataclass(frozen=True)
class Options:
    """What to run and how big."""

    sections: tuple[str, ...]
    stores: tuple[str, ...]
    statements: int  # loaded into PostgreSQL
    memory_statements: int  # loaded into the in-memory store
    workers: int  # gunicorn workers for PostgreSQL (the memory store always has 1)
    threads: int
    clients: int
    batch_size: int
    query_requests: int
    warmup: int
    fresh_requests: int  # timed requests per query type right after the load (PostgreSQL)
    fresh_warmup: int
    seed: int
    analyze: bool
    max_seconds: float  # bound of each phase (load, each query type)
    retry_busy: int  # times a load client resends a batch answered 503 (0: a 503 is an error)
    documents: int  # state documents written and read (documents section)
    profiles: int  # activity profiles merged into (documents section)
    connection_matrix: str  # "full" or "required" (connection section)
    pg_settings: PgSettings  # the throwaway PostgreSQL's settings profile

    def to_json(self) -> dict[str, Any]:
        """For the results file."""
        return asdict(self)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw.replace("_", ""))
    except ValueError:
        raise SystemExit(f"{name}: must be an integer, not {raw!r}") from None


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse_options(argv: Sequence[str] | None, sections: Sequence[str]) -> Options:
    """Options from ``argv``, each defaulting to its ``BENCH_*`` environment variable."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.run",
        description="Benchmark lrs over HTTP against a throwaway PostgreSQL and the memory store.",
    )

    def add(flag: str, env: str, default: int, text: str) -> None:
        parser.add_argument(
            flag, type=int, default=_env_int(env, default), help=f"{text} (env {env}, {default})"
        )

    parser.add_argument(
        "--sections",
        type=_csv,
        default=_csv(os.environ.get("BENCH_SECTIONS") or ",".join(sections)),
        help=f"comma-separated sections to run (env BENCH_SECTIONS; {','.join(sections)})",
    )
    parser.add_argument(
        "--stores",
        type=_csv,
        default=_csv(os.environ.get("BENCH_STORES") or ",".join(STORES)),
        help="comma-separated stores: postgres, memory (env BENCH_STORES; both)",
    )
    add("--statements", "BENCH_STATEMENTS", 100_000, "statements loaded into PostgreSQL")
    add("--memory-statements", "BENCH_MEMORY_STATEMENTS", 50_000, "statements loaded in memory")
    add("--workers", "BENCH_WORKERS", 3, "gunicorn workers for PostgreSQL")
    add("--threads", "BENCH_THREADS", 8, "threads per gunicorn worker")
    add("--clients", "BENCH_CLIENTS", 4, "concurrent load client processes")
    add("--batch-size", "BENCH_BATCH_SIZE", 100, "statements per POST")
    add("--query-requests", "BENCH_QUERY_REQUESTS", 200, "timed requests per query type")
    add("--warmup", "BENCH_WARMUP", 20, "untimed requests per query type first")
    add(
        "--fresh-requests",
        "BENCH_FRESH_REQUESTS",
        50,
        "timed requests per query type right after the load, before VACUUM ANALYZE (0: none)",
    )
    add("--fresh-warmup", "BENCH_FRESH_WARMUP", 5, "untimed requests per type of those first")
    add("--seed", "BENCH_SEED", 1, "data generator seed")
    add("--documents", "BENCH_DOCUMENTS", 3_000, "state documents PUT and read (documents)")
    add("--profiles", "BENCH_PROFILES", 300, "activity profiles merged into (documents)")
    parser.add_argument(
        "--connection-matrix",
        choices=MATRICES,
        default=os.environ.get("BENCH_CONNECTION_MATRIX") or "required",
        help="connection: no filter with every sort and each filter with timestamp desc only "
        "(required), or every filter with every sort (full) (env BENCH_CONNECTION_MATRIX; "
        "required)",
    )
    parser.add_argument(
        "--pg-settings",
        default=os.environ.get("BENCH_PG_SETTINGS") or "default",
        help="the throwaway PostgreSQL's settings: default, recommended, optionally with "
        "durable (e.g. recommended,durable) (env BENCH_PG_SETTINGS; default)",
    )
    add("--max-seconds", "BENCH_MAX_SECONDS", 1800, "time bound of each phase")
    add(
        "--retry-busy",
        "BENCH_RETRY_BUSY",
        0,
        "resend a batch answered 503 up to this many times, counting each (0: a 503 is an error)",
    )
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        default=os.environ.get("BENCH_ANALYZE", "1") != "0",
        help="skip VACUUM ANALYZE after the PostgreSQL load (env BENCH_ANALYZE=0)",
    )
    args = parser.parse_args(argv)
    for name in args.sections:
        if name not in sections:
            parser.error(f"unknown section {name!r}; known: {', '.join(sections)}")
    for name in args.stores:
        if name not in STORES:
            parser.error(f"unknown store {name!r}; known: {', '.join(STORES)}")
    positive = ("statements", "memory_statements", "workers", "threads", "clients")
    for name in (*positive, "batch_size", "query_requests", "max_seconds", "documents", "profiles"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.connection_matrix not in MATRICES:  # a default from the environment is unchecked
        parser.error(f"--connection-matrix must be one of {', '.join(MATRICES)}")
    if min(args.warmup, args.retry_busy, args.fresh_requests, args.fresh_warmup) < 0:
        parser.error("--warmup, --fresh-*, --retry-busy must not be negative")
    try:
        pg_settings = PgSettings.parse(args.pg_settings)
    except ValueError as error:
        parser.error(f"--pg-settings: {error}")
    return Options(
        sections=args.sections,
        stores=args.stores,
        statements=args.statements,
        memory_statements=args.memory_statements,
        workers=args.workers,
        threads=args.threads,
        clients=args.clients,
        batch_size=args.batch_size,
        query_requests=args.query_requests,
        warmup=args.warmup,
        fresh_requests=args.fresh_requests,
        fresh_warmup=args.fresh_warmup,
        seed=args.seed,
        analyze=args.analyze,
        max_seconds=float(args.max_seconds),
        retry_busy=args.retry_busy,
        documents=args.documents,
        profiles=args.profiles,
        connection_matrix=args.connection_matrix,
        pg_settings=pg_settings,
    )


def progress(message: str) -> None:
    """A progress line on stderr, with the seconds since the start."""
    print(f"[bench {time.monotonic() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)
