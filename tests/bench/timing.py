"""Timing sequential requests: warm up, time each request, read the CPU counters around them.

Every latency figure of every section comes from ``measure``: one client, one request after
another, each request checked by the caller (``once`` raises ``BenchError`` on a wrong answer),
so a figure never silently measures errors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.bench.client import BenchError
from tests.bench.cpu import CpuSnapshot
from tests.bench.report import Figure, Target


@dataclass(frozen=True)
class Measured:
    """The timed latencies (seconds) of one kind of request and the CPU they used."""

    latencies: list[float]
    sent: int  # requests sent while the CPU counters ran (timed ones, and untimed helpers)
    cpu: Any = None  # snapshot() after minus before the timed requests, when given

    def figure(
        self,
        name: str,
        target: Target | None,
        *,
        has_database: bool,
        details: dict[str, Any] | None = None,
    ) -> Figure:
        """A latency line of the report, with CPU milliseconds per request when measured."""
        cpu: CpuSnapshot | None = self.cpu
        per_request = 1000 / max(self.sent, 1)
        figure = Figure(
            name,
            latencies_ms=[s * 1000 for s in self.latencies],
            target=target,
            details=dict(details or {}),
        )
        if cpu is not None:
            figure.server_cpu_ms = cpu.server * per_request
            if has_database:
                figure.database_cpu_ms = cpu.database * per_request
        return figure


def measure(
    name: str,
    once: Callable[[int], float],
    requests: int,
    warmup: int,
    max_seconds: float,
    snapshot: Callable[[], Any] | None = None,
    sent_per_request: int = 1,
    progress: Callable[[str], None] = lambda _: None,
) -> Measured:
    """Call ``once(i)`` for ``warmup`` untimed rounds, then ``requests`` timed ones.

    ``once(i)`` sends (at least) one checked request and returns the seconds of the one that
    counts; ``i`` runs from 0 in the warm-up and again from 0 in the timed rounds, so a caller
    rotating over values by ``i`` warms up the same ones. ``snapshot`` is read before and after
    the timed rounds (CPU counters); ``sent_per_request`` counts helper requests in ``once``.
    """
    deadline = time.monotonic() + max_seconds
    for index in range(warmup):
        once(index)
    before = snapshot() if snapshot else None
    latencies: list[float] = []
    for index in range(requests):
        latencies.append(once(index))
        if time.monotonic() > deadline:
            raise BenchError(f"{name}: {index + 1} requests took over {max_seconds:.0f} s")
    cpu = snapshot() - before if snapshot else None
    progress(f"{name}: {requests} requests")
    return Measured(latencies, requests * sent_per_request, cpu)


def measure_alternating(
    name: str,
    first: Callable[[], float],
    second: Callable[[], float],
    requests: int,
    max_seconds: float,
) -> tuple[list[float], list[float]]:
    """``requests`` timed rounds of ``first()`` then ``second()``: their latencies, side by side.

    Alternating puts both kinds under the same machine conditions; on a shared virtual machine
    whose speed drifts by tens of percent within minutes, two series measured one after the
    other can differ by that much with no difference in the work. The rounds swap their order
    every time, so neither kind always runs on the other's warm caches.
    """
    deadline = time.monotonic() + max_seconds
    first_latencies: list[float] = []
    second_latencies: list[float] = []
    for index in range(requests):
        if index % 2:
            second_latencies.append(second())
            first_latencies.append(first())
        else:
            first_latencies.append(first())
            second_latencies.append(second())
        if time.monotonic() > deadline:
            raise BenchError(f"{name}: {index + 1} rounds took over {max_seconds:.0f} s")
    return first_latencies, second_latencies
