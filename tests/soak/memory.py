"""The resident memory of a gunicorn master and its workers, read from ``/proc``."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path


def rss_kib(pid: int) -> int | None:
    """``VmRSS`` of a process in KiB, or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def children(pid: int) -> list[int]:
    """The direct children of a process (by the parent id in each ``/proc/<n>/stat``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and ")", so split after the last one.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(entry.name))
    return sorted(found)


@dataclass
class MemoryLog:
    """RSS samples per process: ``samples[pid]`` is a list of (seconds since start, KiB)."""

    master: int
    samples: dict[int, list[tuple[float, int]]] = field(default_factory=dict)

    def sample(self, at: float) -> None:
        """Read the master's and every current worker's RSS."""
        for pid in [self.master, *children(self.master)]:
            kib = rss_kib(pid)
            if kib is not None:
                self.samples.setdefault(pid, []).append((at, kib))

    def name(self, pid: int) -> str:
        """``master`` or ``worker <pid>``."""
        return "master" if pid == self.master else f"worker {pid}"


@dataclass(frozen=True)
class Trend:
    """Median RSS of the second and of the last quarter of a process's samples."""

    second_quarter_kib: float
    last_quarter_kib: float
    growing: bool

    @property
    def change_kib(self) -> float:
        """Last quarter minus second quarter."""
        return self.last_quarter_kib - self.second_quarter_kib


def trend(values: list[int], tolerance: float, slack_kib: int) -> Trend | None:
    """Flat or growing: the last quarter's median against the second quarter's (the first is
    warm-up: caches and pools fill). Growing means above ``(1 + tolerance)`` x the second plus
    ``slack_kib``. None with fewer than 8 samples."""
    if len(values) < 8:
        return None
    quarter = len(values) // 4
    second = statistics.median(values[quarter : 2 * quarter])
    last = statistics.median(values[-quarter:])
    return Trend(second, last, last > second * (1 + tolerance) + slack_kib)
