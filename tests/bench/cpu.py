"""Where the CPU went: user + system seconds of process trees, read from ``/proc`` (Linux).

On a 2-core machine the server, PostgreSQL and the load clients share the cores, so the CPU each
used per statement says more about a throughput figure than the figure alone. Processes that
exit during a phase take their CPU with them; the servers' processes live through a phase.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


def _processes() -> dict[int, tuple[int, float]]:
    """Every visible process: pid -> (parent pid, CPU seconds so far)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[int, float]] = {}
    for entry in _PROC.iterdir() if _PROC.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # The command name may hold spaces and parentheses: the fields start after the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    return found


def tree_cpu_seconds(root: int | None) -> float:
    """CPU seconds of ``root`` and all its descendants alive now (0 without /proc or root)."""
    if root is None:
        return 0.0
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    total = 0.0
    pending = [root]
    seen: set[int] = set()
    while pending and len(seen) < len(processes) + 1:
        pid = pending.pop()
        if pid in seen or pid not in processes:
            continue
        seen.add(pid)
        total += processes[pid][1]
        pending.extend(children.get(pid, ()))
    return total


def postmaster_pid(data_dir: Path) -> int | None:
    """The PostgreSQL server's pid from ``postmaster.pid``, or None."""
    try:
        return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds of the server's and PostgreSQL's process trees at one moment."""

    server: float
    database: float

    @classmethod
    def take(cls, server_pid: int, database_pid: int | None) -> CpuSnapshot:
        """Read both trees now."""
        return cls(tree_cpu_seconds(server_pid), tree_cpu_seconds(database_pid))

    def __sub__(self, earlier: CpuSnapshot) -> CpuSnapshot:
        return CpuSnapshot(self.server - earlier.server, self.database - earlier.database)
