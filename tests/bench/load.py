"""The load phase: batched POSTs from several client processes at once.

The request bodies are built before the clock starts (``tests.bench.data``) into one spool file
per client (``tests.bench.spool``); the client processes are forked, connect, and wait at a
barrier; the clock runs from the barrier to the last client's last response. Each client reads
its file one batch at a time, so memory does not grow with the number of statements, and notes
when each batch was acknowledged (the write rate by tenth of the load comes from those times).
Each client stops at its first error or at the deadline.
"""

from __future__ import annotations

import math
import multiprocessing
import multiprocessing.synchronize
import queue
import threading
import time
import traceback
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from tests.bench.client import STATEMENTS, BenchError, Credentials, XapiClient
from tests.bench.spool import read_batches


@dataclass
class ClientResult:
    """What one client process did."""

    index: int
    statements: int = 0
    batches: int = 0
    latencies: list[float] = field(default_factory=list)
    # time.monotonic() when each batch's 200 was read, and the batch's statements
    acked_at: array[float] = field(default_factory=lambda: array("d"))
    acked_sizes: array[int] = field(default_factory=lambda: array("I"))
    finished: float = 0.0  # time.monotonic() (system-wide on Linux) after the last response
    reconnects: int = 0
    retried: int = 0  # 503 responses whose batch was sent again
    cpu_seconds: float = 0.0  # this process's CPU from the start to its last response
    error: str | None = None


@dataclass(frozen=True)
class LoadResult:
    """The whole load phase."""

    statements: int
    batches: int
    seconds: float
    latencies: list[float]
    started_at: datetime
    finished_at: datetime
    clients: int
    reconnects: int
    retried: int
    client_cpu_seconds: float
    started: float  # time.monotonic() when the clock started
    acks: list[tuple[float, int]]  # (time.monotonic(), statements) of every batch, in time order

    @property
    def statements_per_second(self) -> float:
        """Statements stored per second of wall time."""
        return self.statements / self.seconds if self.seconds > 0 else 0.0

    @property
    def last_ack(self) -> float:
        """time.monotonic() when the last batch was acknowledged."""
        return self.acks[-1][0] if self.acks else self.started

    def rates_by_part(self, parts: int = 10) -> list[float]:
        """Statements/s of each ``parts``-th of the statements, in the order acknowledged.

        Part k ends with the batch that acknowledged statement ``k * total / parts`` (counting
        in acknowledgement order) and starts where part k-1 ended (part 1 at the clock's start).
        """
        total = sum(size for _, size in self.acks)
        rates: list[float] = []
        if not total:
            return rates
        done, previous_time, previous_done = 0, self.started, 0
        part = 1
        for moment, size in self.acks:
            done += size
            while part <= parts and done >= total * part / parts:
                seconds = moment - previous_time
                statements = done - previous_done
                # nan: a batch that spans several parts leaves the later ones without a rate
                rates.append(statements / seconds if statements and seconds > 0 else math.nan)
                previous_time, previous_done = moment, done
                part += 1
        return rates


def _client_main(
    index: int,
    credentials: Credentials,
    spool: Path,
    barrier: multiprocessing.synchronize.Barrier,
    stop: multiprocessing.synchronize.Event,
    results: Any,
    max_seconds: float,
    retry_busy: int,
) -> None:
    """One client process: connect, wait for the start, POST every batch of its spool in turn.

    A 503 (the server's "database unavailable": a deadlock, a time-out) is sent again up to
    ``retry_busy`` times; the batch's latency then spans every attempt. Statements carry ids,
    so a batch sent again stores nothing twice.
    """
    result = ClientResult(index)
    try:
        client = XapiClient(credentials)
        barrier.wait(timeout=120)
        cpu_started = time.process_time()
        deadline = time.monotonic() + max_seconds
        for size, body in read_batches(spool):
            if stop.is_set():
                raise BenchError(f"load client {index}: stopped after another client's error")
            started = time.perf_counter()
            response = client.post_json(STATEMENTS, body)
            for attempt in range(retry_busy):
                if response.status != 503:
                    break
                result.retried += 1
                time.sleep(0.01 * (attempt + 1))
                response = client.post_json(STATEMENTS, body)
            result.latencies.append(time.perf_counter() - started)
            acked = time.monotonic()
            if response.status != 200:
                raise BenchError(f"POST {STATEMENTS}: {response.status} {response.body[:500]!r}")
            ids = orjson.loads(response.body)
            if not isinstance(ids, list) or len(ids) != size:
                raise BenchError(f"POST {STATEMENTS}: expected {size} ids, got {ids!r:.200}")
            result.statements += size
            result.batches += 1
            result.acked_at.append(acked)
            result.acked_sizes.append(size)
            if time.monotonic() > deadline:
                raise BenchError(f"load client {index}: not done after {max_seconds:.0f} s")
        result.finished = time.monotonic()
        result.cpu_seconds = time.process_time() - cpu_started
        result.reconnects = client.reconnects
        client.close()
    except BaseException as error:  # reported to the parent, which decides
        stop.set()  # the others stop too
        barrier.abort()  # a client that never reached the start must not keep the others waiting
        result.finished = time.monotonic()
        result.error = f"{type(error).__name__}: {error}"
        if not isinstance(error, BenchError):
            result.error += "\n" + traceback.format_exc(limit=5)
    results.put(result)


def run_load(
    credentials: Credentials,
    spools: list[Path],
    max_seconds: float = 1800.0,
    retry_busy: int = 0,
) -> LoadResult:
    """POST every batch of ``spools`` (one client process per file) and time the whole phase."""
    clients = len(spools)
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients + 1)
    stop = context.Event()
    results = context.Queue()
    processes = [
        context.Process(
            target=_client_main,
            args=(
                index,
                credentials,
                spools[index],
                barrier,
                stop,
                results,
                max_seconds,
                retry_busy,
            ),
            daemon=True,
        )
        for index in range(clients)
    ]
    for process in processes:
        process.start()
    collected: list[ClientResult] = []
    try:
        try:
            barrier.wait(timeout=120)
        except threading.BrokenBarrierError:
            try:
                first = results.get(timeout=30)
            except queue.Empty:
                raise BenchError("load phase: the clients did not start") from None
            raise BenchError(f"load client {first.index} could not start: {first.error}") from None
        started = time.monotonic()
        started_at = datetime.now(UTC)
        deadline = started + max_seconds + 120
        while len(collected) < clients:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BenchError(f"load phase: no result from every client in {max_seconds:.0f} s")
            try:
                collected.append(results.get(timeout=remaining))
            except queue.Empty:
                raise BenchError(
                    f"load phase: a client did not report in {max_seconds:.0f} s"
                ) from None
        finished_at = datetime.now(UTC)
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=10)
    errors = [r.error for r in collected if r.error and "another client's error" not in r.error]
    if errors:
        raise BenchError("load phase failed:\n" + "\n".join(errors))
    seconds = max(r.finished for r in collected) - started
    return LoadResult(
        statements=sum(r.statements for r in collected),
        batches=sum(r.batches for r in collected),
        seconds=seconds,
        latencies=[latency for r in collected for latency in r.latencies],
        started_at=started_at,
        finished_at=finished_at,
        clients=clients,
        reconnects=sum(r.reconnects for r in collected),
        retried=sum(r.retried for r in collected),
        client_cpu_seconds=sum(r.cpu_seconds for r in collected),
        started=started,
        acks=sorted(
            (moment, size)
            for r in collected
            for moment, size in zip(r.acked_at, r.acked_sizes, strict=True)
        ),
    )
