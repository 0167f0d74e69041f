"""Running a read-only section on the PostgreSQL store an earlier section loaded (or one it
loads itself), with the store's facts in its report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.bench.client import BenchError
from tests.bench.loaded import LoadedStore, LoadedStores
from tests.bench.options import Options, progress
from tests.bench.report import StoreReport, machine_fact

#: The loaded store's facts a borrowing section repeats.
KEPT_FACTS = ("data", "server", "PostgreSQL settings", "statement tables")


def on_loaded_postgres(
    name: str,
    options: Options,
    work_dir: Path,
    shared: LoadedStores,
    bench: Callable[[Options, LoadedStore, StoreReport], None],
) -> list[StoreReport]:
    """``bench`` on the loaded PostgreSQL store; an error is recorded in the report, not
    raised; no report when PostgreSQL is not among the stores."""
    if "postgres" not in options.stores:
        progress(f"{name}: skipped, PostgreSQL is not among the stores")
        return []
    count = options.statements
    report = StoreReport(store="postgres", title=f"PostgreSQL store, {count:,} statements")
    report.facts["machine"] = machine_fact()
    try:
        with shared.borrow("postgres", count, options, work_dir, name) as loaded:
            if loaded.loaded_by != name:
                report.facts["statements"] = (
                    f"the {count:,} statements loaded by the {loaded.loaded_by} section, "
                    "reused (same server, same database)"
                )
                report.facts.update({k: v for k, v in loaded.facts.items() if k in KEPT_FACTS})
            else:
                report.facts.update(loaded.facts)
            with loaded.served.explaining_errors():
                bench(options, loaded, report)
    except (BenchError, RuntimeError, OSError) as error:
        report.error = f"{type(error).__name__}: {error}"
        progress(f"{name}: ERROR {report.error}")
    return [report]
