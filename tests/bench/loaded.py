"""A store loaded with the statement data set, and sharing it between sections.

``loaded_store`` generates the data set into per-client spool files (``tests.bench.data``,
``tests.bench.spool``), starts a fresh server (and database), loads it with batched POSTs from
several processes (``tests.bench.load``) and, on PostgreSQL, reads the WAL and checkpoint
counters around the load, hands the store to the caller's ``after_load`` as soon as the last
write is acknowledged (the statements section's fresh reads), then runs ``VACUUM ANALYZE`` of the
statement tables (found in the catalog) as autovacuum would, and measures their bytes on disk.
The statements section reports that load and queries the result; the connection section pages
through the same statements.

Loading 100,000 statements takes about a minute on 2 cores, so ``LoadedStores`` lets a later
section reuse a store an earlier one loaded: ``run.py`` tells it which stores later sections will
borrow (``keep``); those stay up after the borrowing section ends, the others are stopped at once.
Read-only reuse only: a section that writes must start its own server (``server.serving``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench import pg_stats, spool
from tests.bench.client import BenchError
from tests.bench.cpu import CpuSnapshot
from tests.bench.data import Dataset, StatementBatches
from tests.bench.load import LoadResult, run_load
from tests.bench.options import Options, progress
from tests.bench.pg_settings import SHOWN
from tests.bench.server import ServedStore, serving, work_directory

StoreKey = tuple[str, int]  # (store, statements loaded)
SETTLE_SECONDS = 11.0  # after the last write, before reading pg_stat_wal (see pg_stats)
# Called right after the last write is acknowledged, before any VACUUM or ANALYZE of ours.
AfterLoad = Callable[[ServedStore, Dataset, LoadResult], None]


@dataclass(frozen=True)
class PgLoadStats:
    """What PostgreSQL said about the load (``tests.bench.pg_stats``)."""

    tables: list[str]  # the tables holding statement data, found in the catalog
    settings: dict[str, str]  # SHOWN settings in force
    overrides: dict[str, str]  # what BENCH_PG_SETTINGS put on the command line
    wal_at_last_ack: pg_stats.WalSnapshot  # from the load's start to its last acknowledged write
    wal_settled: pg_stats.WalSnapshot  # ... to the end of the after-load reads (counters settled)
    analysed_at_last_ack: list[pg_stats.AnalyseState]
    analysed_after_reads: list[pg_stats.AnalyseState]  # when the after-load reads ended
    vacuum_seconds: float | None  # our VACUUM ANALYZE; None when BENCH_ANALYZE=0
    disk: list[pg_stats.RelationSize]  # after our VACUUM ANALYZE (or the after-load reads)

    @property
    def disk_bytes(self) -> int:
        """Bytes on disk of every statement table, indexes and TOAST included."""
        return sum(size.bytes for size in self.disk)


@dataclass(frozen=True)
class LoadedStore:
    """A running server holding the data set, and how the load went."""

    store: str
    served: ServedStore
    dataset: Dataset
    load: LoadResult
    load_cpu: CpuSnapshot  # server and PostgreSQL CPU seconds during the load
    facts: dict[str, str]  # data, server, load, CPU and table size, as the report prints them
    loaded_by: str  # the section that loaded it
    pg: PgLoadStats | None  # None for the memory store
    reused_by: list[str] = field(default_factory=list)


def load_facts(dataset: Dataset, options: Options) -> dict[str, str]:
    """The report's description of a data set."""
    counts = dataset.counts
    return {
        "data": (
            f"{dataset.statements:,} statements in {dataset.batches:,} batches of "
            f"{options.batch_size}, {dataset.body_bytes / 1e6:.1f} MB of JSON; "
            f"{len(counts.actors):,} actors, {len(counts.verbs)} verbs, "
            f"{len(counts.activities):,} activities, {len(counts.registrations)} registrations"
        )
    }


@contextmanager
def loaded_store(
    store: str,
    count: int,
    options: Options,
    work_dir: Path,
    section: str,
    after_load: AfterLoad | None = None,
) -> Iterator[LoadedStore]:
    """A fresh server on ``store`` holding ``count`` generated statements, until the block ends.

    The bodies are generated into per-client spool files first (``tests.bench.spool``), so
    memory does not grow with ``count``. On PostgreSQL, WAL and checkpoint counters are read
    around the load, ``after_load`` runs as soon as the last write is acknowledged, then the
    statement tables are vacuumed and analysed (unless ``BENCH_ANALYZE=0``) and measured.
    A failed load raises ``BenchError`` with what the logs say; errors of the block are the
    caller's to explain (``ServedStore.explaining_errors``).
    """
    progress(f"{store}: generating {count:,} statements")
    started = time.monotonic()
    batches = StatementBatches(count, options.batch_size, options.seed)
    spools = spool.spool_batches(batches, work_dir, options.clients)
    try:
        dataset = batches.dataset()
        progress(
            f"{store}: generated {dataset.body_bytes / 1e6:,.0f} MB of batches in "
            f"{time.monotonic() - started:.1f} s"
        )
        facts = load_facts(dataset, options)
        with serving(
            store, work_dir, options.workers, options.threads, options.pg_settings
        ) as served:
            with served.explaining_errors():
                facts["server"] = served.describe()
                dsn = served.database.dsn if served.database is not None else None
                tables = pg_stats.statement_tables(dsn) if dsn else []
                wal_before = pg_stats.WalSnapshot.take(dsn) if dsn else None
                progress(f"{store}: loading with {options.clients} clients")
                cpu_before = served.cpu()
                load = run_load(
                    served.server.credentials,
                    spools,
                    max_seconds=options.max_seconds,
                    retry_busy=options.retry_busy,
                )
                cpu = served.cpu() - cpu_before
                wal_at_last_ack = pg_stats.WalSnapshot.take(dsn) if dsn else None
                analysed_at_last_ack = pg_stats.analyse_states(dsn, tables) if dsn else []
                spool.remove(spools)
                facts["CPU during load"] = _cpu_fact(cpu, load)
                facts["load"] = (
                    f"{load.statements:,} statements in {load.seconds:.1f} s from "
                    f"{load.clients} client processes ({load.reconnects} reconnects, "
                    f"{load.retried} batches resent after a 503)"
                )
                progress(
                    f"{store}: {load.statements_per_second:,.0f} statements/s over "
                    f"{load.seconds:.1f} s"
                )
                if after_load is not None:
                    after_load(served, dataset, load)
                pg = None
                if dsn and wal_before and wal_at_last_ack:
                    pg = _after_load_stats(
                        options,
                        served,
                        tables,
                        (wal_before, wal_at_last_ack),
                        analysed_at_last_ack,
                        load.last_ack,
                    )
                    shown = ", ".join(f"{k}={v}" for k, v in pg.settings.items())
                    facts["PostgreSQL settings"] = f"{options.pg_settings.name}: {shown}"
                    facts["statement tables"] = (
                        f"{pg.disk_bytes / 1e6:,.0f} MB on disk, indexes and TOAST included "
                        f"({', '.join(tables)})"
                    )
            yield LoadedStore(store, served, dataset, load, cpu, facts, section, pg)
    finally:
        spool.remove(spools)


def _after_load_stats(
    options: Options,
    served: ServedStore,
    tables: list[str],
    wal: tuple[pg_stats.WalSnapshot, pg_stats.WalSnapshot],  # before the load, at its last ack
    analysed_at_last_ack: list[pg_stats.AnalyseState],
    last_ack: float,
) -> PgLoadStats:
    """Counters once they settled, our VACUUM ANALYZE, then the bytes on disk."""
    assert served.database is not None
    dsn = served.database.dsn
    wal_before, wal_at_last_ack = wal
    # An idle backend may hold its counters up to 10 s (PGSTAT_IDLE_INTERVAL) before it
    # reports them; the after-load reads often take longer than that, but they may be off.
    settled = last_ack + SETTLE_SECONDS - time.monotonic()
    if settled > 0:
        progress(f"postgres: {settled:.0f} s for the statistics counters to settle")
        time.sleep(settled)
    wal_settled = pg_stats.WalSnapshot.take(dsn)
    analysed_after_reads = pg_stats.analyse_states(dsn, tables)
    vacuum_seconds = None
    if options.analyze and tables:
        started = time.monotonic()
        # names from the catalog, quoted there (quote_ident)
        served.database.execute(f"VACUUM ANALYZE {', '.join(tables)}")
        vacuum_seconds = time.monotonic() - started
        progress(f"postgres: VACUUM ANALYZE of {len(tables)} tables in {vacuum_seconds:.1f} s")
    return PgLoadStats(
        tables=tables,
        settings=pg_stats.settings(dsn, SHOWN),
        overrides=dict(served.database.overrides),
        wal_at_last_ack=wal_at_last_ack - wal_before,
        wal_settled=wal_settled - wal_before,
        analysed_at_last_ack=analysed_at_last_ack,
        analysed_after_reads=analysed_after_reads,
        vacuum_seconds=vacuum_seconds,
        disk=pg_stats.disk_breakdown(dsn, tables),
    )


class LoadedStores:
    """Loaded stores shared between sections, keyed by (store, statements)."""

    def __init__(self) -> None:
        self.keep: set[StoreKey] = set()  # what later sections will borrow (set by run.py)
        self._open: dict[StoreKey, tuple[ExitStack, LoadedStore]] = {}
        self._failed: dict[StoreKey, str] = {}

    @contextmanager
    def borrow(
        self,
        store: str,
        count: int,
        options: Options,
        work_dir: Path,
        section: str,
        after_load: AfterLoad | None = None,
    ) -> Iterator[LoadedStore]:
        """A store loaded with ``count`` statements: one kept from an earlier section, or a
        fresh one (kept after the block when a later section wants it, else stopped).

        ``after_load`` runs only when this call loads the store (``loaded_store``)."""
        key = (store, count)
        if key in self._failed:
            raise BenchError(f"loading {count:,} statements failed earlier: {self._failed[key]}")
        if key in self._open:
            loaded = self._open[key][1]
            loaded.reused_by.append(section)
            progress(f"{store}: reusing the {count:,} statements loaded by {loaded.loaded_by}")
            yield loaded
            return
        if key not in self.keep:
            with loaded_store(store, count, options, work_dir, section, after_load) as loaded:
                yield loaded
            return
        stack = ExitStack()
        try:
            own_dir = stack.enter_context(work_directory())  # outlives the section's directory
            loaded = stack.enter_context(
                loaded_store(store, count, options, own_dir, section, after_load)
            )
        except BaseException as error:
            stack.close()
            self._failed[key] = f"{type(error).__name__}: {error}"
            raise
        self._open[key] = (stack, loaded)
        yield loaded

    def release_unkept(self) -> None:
        """Stop the stores no later section wants."""
        for key in [key for key in self._open if key not in self.keep]:
            stack, loaded = self._open.pop(key)
            progress(f"{loaded.store}: stopping the server loaded by {loaded.loaded_by}")
            stack.close()

    def close(self) -> None:
        """Stop every kept store."""
        self.keep = set()
        self.release_unkept()

    def __enter__(self) -> LoadedStores:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


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
