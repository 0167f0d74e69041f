"""prometheus_client's multiprocess mode under gunicorn: the directory its value files live in.

gunicorn forks workers that each count their own requests. prometheus_client's multiprocess mode
makes every worker write its values to ``$PROMETHEUS_MULTIPROC_DIR/<kind>_<pid>.db`` and lets
``/metrics`` add up all the files, so any worker answers with the totals. The variable must be
set before a worker first imports prometheus_client, so the gunicorn master sets it when it
starts (``on_starting``), before it forks; nothing here imports prometheus_client at module load.
The workers load the app after the fork (gunicorn's default; ``preload_app`` would load it in the
master before ``on_starting`` runs, and the workers would then count alone).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# prometheus_client's file names: counter_123.db, gauge_livesum_123.db, histogram_123.db, ...
_VALUE_FILE = re.compile(r"(counter|histogram|summary|gauge_[a-z]+)_\d+\.db")


def prepare_directory(environ: MutableMapping[str, str]) -> tuple[Path, bool]:
    """Make ``environ[VARIABLE]`` name an empty directory; return it and whether it was created.

    Without a directory from the user, a fresh temporary one is made (and is the caller's to
    remove). The user's own directory is kept, but value files left there by an earlier run are
    deleted: they would otherwise be added to this run's totals.
    """
    configured = environ.get(VARIABLE, "").strip()
    if not configured:
        directory = Path(tempfile.mkdtemp(prefix="lrs-metrics-"))
        environ[VARIABLE] = str(directory)
        return directory, True
    directory = Path(configured)
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.iterdir():
        if _VALUE_FILE.fullmatch(path.name):
            path.unlink()
    return directory, False


def mark_worker_dead(pid: int, directory: Path) -> None:
    """Tell prometheus_client that worker ``pid`` has exited (its live gauges are dropped; its
    counters and histograms stay in the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, str(directory))


def remove_directory(directory: Path) -> None:
    """Delete a directory ``prepare_directory`` created."""
    shutil.rmtree(directory, ignore_errors=True)
