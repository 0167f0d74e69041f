"""A store loaded with the statement data set, and sharing it between sections.

``loaded_store`` builds the data set (``tests.bench.data``), starts a fresh server (and
database), loads it with batched POSTs from several processes (``tests.bench.load``) and, on
PostgreSQL, runs ``VACUUM ANALYZE`` as autovacuum would. The statements section reports that load
and queries the result; the connection section pages through the same statements.

Loading 100,000 statements takes about a minute on 2 cores, so ``LoadedStores`` lets a later
section reuse a store an earlier one loaded: ``run.py`` tells it which stores later sections will
borrow (``keep``); those stay up after the borrowing section ends, the others are stopped at once.
Read-only reuse only: a section that writes must start its own server (``server.serving``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench.client import BenchError
from tests.bench.cpu import CpuSnapshot
from tests.bench.data import Dataset, generate
from tests.bench.load import LoadResult, run_load
from tests.bench.options import Options, progress
from tests.bench.server import ServedStore, serving, work_directory

StoreKey = tuple[str, int]
# The tables a statement load writes, vacuumed and analysed after it as autovacuum would.
_LOADED_TABLES = "statements, statement_context_activities"  # (store, statements loaded)


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
    reused_by: list[str] = field(default_factory=list)


def load_facts(dataset: Dataset, options: Options) -> dict[str, str]:
    """The report's description of a data set."""
    counts = dataset.counts
    return {
        "data": (
            f"{dataset.statements:,} statements in {len(dataset.bodies):,} batches of "
            f"{options.batch_size}, {dataset.body_bytes / 1e6:.1f} MB of JSON; "
            f"{len(counts.actors):,} actors, {len(counts.verbs)} verbs, "
            f"{len(counts.activities):,} activities, {len(counts.registrations)} registrations"
        )
    }


@contextmanager
def loaded_store(
    store: str, count: int, options: Options, work_dir: Path, section: str
) -> Iterator[LoadedStore]:
    """A fresh server on ``store`` holding ``count`` generated statements, until the block ends.

    A failed load raises ``BenchError`` with what the logs say; errors of the block are the
    caller's to explain (``ServedStore.explaining_errors``).
    """
    progress(f"{store}: generating {count:,} statements")
    dataset = generate(count, options.batch_size, options.seed)
    facts = load_facts(dataset, options)
    with serving(store, work_dir, options.workers, options.threads) as served:
        with served.explaining_errors():
            facts["server"] = served.describe()
            progress(f"{store}: loading with {options.clients} clients")
            cpu_before = served.cpu()
            load = run_load(
                served.server.credentials,
                dataset.bodies,
                dataset.batch_sizes,
                clients=options.clients,
                max_seconds=options.max_seconds,
                retry_busy=options.retry_busy,
            )
            cpu = served.cpu() - cpu_before
            facts["CPU during load"] = _cpu_fact(cpu, load)
            facts["load"] = (
                f"{load.statements:,} statements in {load.seconds:.1f} s from {load.clients} "
                f"client processes ({load.reconnects} reconnects, {load.retried} batches "
                f"resent after a 503)"
            )
            progress(
                f"{store}: {load.statements_per_second:,.0f} statements/s over {load.seconds:.1f} s"
            )
            if served.database is not None:
                if options.analyze:
                    started = time.monotonic()
                    served.database.execute(f"VACUUM ANALYZE {_LOADED_TABLES}")
                    facts["after load"] = (
                        f"VACUUM ANALYZE {_LOADED_TABLES} "
                        f"({time.monotonic() - started:.1f} s), as autovacuum would"
                    )
                size = served.database.table_size("statements")
                facts["statements table"] = f"{size / 1e6:,.0f} MB with indexes"
        yield LoadedStore(store, served, dataset, load, cpu, facts, loaded_by=section)


class LoadedStores:
    """Loaded stores shared between sections, keyed by (store, statements)."""

    def __init__(self) -> None:
        self.keep: set[StoreKey] = set()  # what later sections will borrow (set by run.py)
        self._open: dict[StoreKey, tuple[ExitStack, LoadedStore]] = {}
        self._failed: dict[StoreKey, str] = {}

    @contextmanager
    def borrow(
        self, store: str, count: int, options: Options, work_dir: Path, section: str
    ) -> Iterator[LoadedStore]:
        """A store loaded with ``count`` statements: one kept from an earlier section, or a
        fresh one (kept after the block when a later section wants it, else stopped)."""
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
            with loaded_store(store, count, options, work_dir, section) as loaded:
                yield loaded
            return
        stack = ExitStack()
        try:
            own_dir = stack.enter_context(work_directory())  # outlives the section's directory
            loaded = stack.enter_context(loaded_store(store, count, options, own_dir, section))
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
