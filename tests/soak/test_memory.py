"""The soak's memory sampling and its flat/growing verdict."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.soak.memory import MemoryLog, children, rss_kib, trend


def test_rss_and_children_are_read_from_proc() -> None:
    assert (rss_kib(os.getpid()) or 0) > 1000
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in children(os.getpid())
        memory = MemoryLog(os.getpid())
        memory.sample(0.0)
        assert {os.getpid(), child.pid} <= set(memory.samples)
    finally:
        child.kill()
        child.wait()
    assert rss_kib(child.pid) is None


def test_the_verdict_ignores_warm_up_and_noise_but_not_growth() -> None:
    warm_up_then_flat = [50_000, 70_000] + [80_000, 80_500, 79_800, 80_200] * 4
    assert trend(warm_up_then_flat, 0.10, 8192).growing is False  # type: ignore[union-attr]
    growing = [80_000 + 10_000 * n for n in range(16)]
    found = trend(growing, 0.10, 8192)
    assert found is not None and found.growing
    assert trend([1, 2, 3], 0.10, 0) is None
