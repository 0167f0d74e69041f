"""``make bench``: run the benchmark sections, print the report, write ``bench-results/``.

Usage: ``python -m tests.bench.run [--stores postgres,memory] [--statements N] ...`` (``--help``
lists every option and its ``BENCH_*`` variable). Exits 0 when every measurement was made, MISSes
included; 1 when a section errored (a non-200 response, a wrong answer, a server that did not
start); 130 on Ctrl-C. Servers and clusters are stopped on every way out.

A section is a module with ``NAME``, ``NOTES``, ``run(options, work_dir, shared) -> [StoreReport]``
and optionally ``reuses(options) -> {(store, statements)}`` (the loaded stores it borrows from
``shared``, so an earlier section's loaded server is kept up for it); add it to ``SECTIONS``.
Sections run in the order of ``SECTIONS`` whatever the order they are named in.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from tests.bench import (
    bench_aggregation,
    bench_connection,
    bench_documents,
    bench_import_export,
    bench_statements,
)
from tests.bench.loaded import LoadedStores, StoreKey
from tests.bench.options import Options, parse_options, progress
from tests.bench.report import print_section, write_json
from tests.bench.server import work_directory

# connection and aggregation right after statements: they read the statements section's loaded
# PostgreSQL, which is stopped before the documents section starts servers of its own.
SECTIONS: dict[str, ModuleType] = {
    module.NAME: module
    for module in (
        bench_statements,
        bench_connection,
        bench_aggregation,
        bench_documents,
        bench_import_export,
    )
}
REPOSITORY = Path(__file__).resolve().parents[2]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPOSITORY), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit or None,
    }


def reuses(module: ModuleType, options: Options) -> set[StoreKey]:
    """The loaded stores a section borrows (none unless it says)."""
    borrowed: set[StoreKey] = module.reuses(options) if hasattr(module, "reuses") else set()
    return borrowed


def run_section(module: ModuleType, options: Options, shared: LoadedStores) -> bool:
    """Run one section, print and save its report; True when no store errored."""
    with work_directory() as work_dir:
        reports = module.run(options, work_dir, shared)
    print_section(module.NAME, reports, module.NOTES)
    path = write_json(
        module.NAME,
        {
            "section": module.NAME,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "options": options.to_json(),
            "notes": list(module.NOTES),
            "stores": {report.store: report.to_json() for report in reports},
        },
    )
    print(f"{module.NAME}: figures written to {path.relative_to(REPOSITORY)}")
    return not any(report.error for report in reports)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    options = parse_options(argv, list(SECTIONS))
    progress(
        f"sections {','.join(options.sections)}; stores {','.join(options.stores)}; "
        f"{options.statements:,} statements (PostgreSQL), {options.memory_statements:,} (memory)"
    )
    names = [name for name in SECTIONS if name in options.sections]
    ok = True
    try:
        with LoadedStores() as shared:
            for index, name in enumerate(names):
                later = [reuses(SECTIONS[other], options) for other in names[index + 1 :]]
                shared.keep = set().union(*later)
                ok = run_section(SECTIONS[name], options, shared) and ok
                shared.release_unkept()
    except KeyboardInterrupt:
        progress("interrupted; servers and clusters are stopped")
        return 130
    # Linux reports KB. The bench's own peak: the statement bodies must not all be in it.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    progress(f"peak RSS of the bench process: {peak:,.0f} MB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
