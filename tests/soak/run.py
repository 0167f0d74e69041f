"""``make soak``: mixed load against a real ``lrs serve`` on a throwaway PostgreSQL for a set
time; reports the error count (it must be 0) and each server process's RSS over time.

Every client thread loops until the time is up, each round one of: a POST of a statement batch,
a filtered statement GET that follows its ``more`` link, a state document PUT then GET (the body
read back must be the one written), and a Connection API page followed by the next one. Any
non-2xx answer, wrong answer or exception is an error. A sampler reads ``VmRSS`` of the gunicorn
master and each worker every ``SOAK_SAMPLE_SECONDS``; a process is "growing" when the median of
the last quarter of its samples is above the second quarter's by more than the tolerance (the
first quarter is warm-up). Exit status 1 on any error or a growing process.

Settings (environment): SOAK_SECONDS (120), SOAK_CLIENTS (4), SOAK_WORKERS (2), SOAK_THREADS (4),
SOAK_BATCH (20 statements per POST), SOAK_SAMPLE_SECONDS (5), SOAK_RSS_TOLERANCE (0.10, a
fraction) and SOAK_RSS_SLACK_MB (8, added to the tolerance).
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson

from tests.bench.client import STATEMENTS, XAPI, Credentials, XapiClient
from tests.bench.data import activity_id, actor_mbox, verb_id
from tests.bench.server import RunningServer, lrs_server, throwaway_database, work_directory
from tests.soak.memory import MemoryLog, trend

VERBS, ACTORS, ACTIVITIES = 12, 200, 100
STATE = f"{XAPI}/activities/state"
CONNECTION = "/api/connection/statement"


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


@dataclass(frozen=True)
class Options:
    """The soak's settings, from ``SOAK_*`` variables."""

    seconds: float = 120
    clients: int = 4
    workers: int = 2
    threads: int = 4
    batch: int = 20
    sample_seconds: float = 5
    rss_tolerance: float = 0.10
    rss_slack_mb: float = 8

    @classmethod
    def from_env(cls) -> Options:
        """Read the ``SOAK_*`` variables."""
        return cls(
            seconds=_env_number("SOAK_SECONDS", 120),
            clients=int(_env_number("SOAK_CLIENTS", 4)),
            workers=int(_env_number("SOAK_WORKERS", 2)),
            threads=int(_env_number("SOAK_THREADS", 4)),
            batch=int(_env_number("SOAK_BATCH", 20)),
            sample_seconds=_env_number("SOAK_SAMPLE_SECONDS", 5),
            rss_tolerance=_env_number("SOAK_RSS_TOLERANCE", 0.10),
            rss_slack_mb=_env_number("SOAK_RSS_SLACK_MB", 8),
        )


@dataclass
class Tally:
    """Operations done and errors met, shared by the client threads."""

    operations: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def done(self, kind: str) -> None:
        with self.lock:
            self.operations[kind] += 1

    def error(self, kind: str, detail: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            if len(self.examples) < 10:
                self.examples.append(f"{kind}: {detail[:300]}")


class SoakError(Exception):
    """A wrong answer."""


def _statement(rng: random.Random) -> dict[str, Any]:
    actor, activity = rng.randrange(ACTORS), rng.randrange(ACTIVITIES)
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": {"mbox": actor_mbox(actor), "name": f"Learner {actor}"},
        "verb": {"id": verb_id(rng.randrange(VERBS))},
        "object": {"id": activity_id(activity), "objectType": "Activity"},
        "result": {"score": {"scaled": rng.random()}, "completion": rng.random() < 0.5},
        "context": {"registration": str(uuid.UUID(int=rng.getrandbits(128), version=4))},
    }


def _expect(response: Any, *statuses: int) -> Any:
    if response.status not in statuses:
        raise SoakError(f"status {response.status}: {response.body[:200]!r}")
    return orjson.loads(response.body) if response.body else None


class Client:
    """One client thread's operations, on its own connection."""

    def __init__(self, credentials: Credentials, seed: int, batch: int) -> None:
        self.http = XapiClient(credentials, timeout=60)
        self.rng = random.Random(seed)
        self.batch = batch

    def write(self) -> None:
        statements = [_statement(self.rng) for _ in range(self.batch)]
        ids = _expect(self.http.post_json(STATEMENTS, orjson.dumps(statements)), 200)
        if ids != [s["id"] for s in statements]:
            raise SoakError("the POST answered other ids than those sent")

    def read(self) -> None:
        params = {"verb": verb_id(self.rng.randrange(VERBS)), "limit": "25"}
        page = _expect(self.http.get(STATEMENTS, params), 200)
        if page["more"]:
            _expect(self.http.get(page["more"]), 200)

    def document(self) -> None:
        query = urlencode(
            {
                "activityId": activity_id(self.rng.randrange(ACTIVITIES)),
                "agent": orjson.dumps({"mbox": actor_mbox(self.rng.randrange(ACTORS))}).decode(),
                "stateId": f"soak-{self.rng.randrange(5)}",
            }
        )
        body = orjson.dumps({"position": self.rng.randrange(10**6), "at": time.time()})
        _expect(self.http.request("PUT", f"{STATE}?{query}", body), 204)
        response = self.http.get(f"{STATE}?{query}")
        _expect(response, 200)
        if response.body != body:
            # Another client may have written the same document since: it must still be JSON.
            orjson.loads(response.body)

    def connection(self) -> None:
        params = {"first": "20", "sort": orjson.dumps({"timestamp": -1, "_id": 1}).decode()}
        page = _expect(self.http.get(CONNECTION, params), 200)
        info = page["pageInfo"]
        if info.get("hasNextPage") and info.get("endCursor"):
            _expect(self.http.get(CONNECTION, {**params, "after": info["endCursor"]}), 200)

    def loop(self, deadline: float, tally: Tally) -> None:
        operations = (
            ("write", self.write, 3),
            ("read", self.read, 3),
            ("document", self.document, 2),
            ("connection", self.connection, 2),
        )
        names = [name for name, _, _ in operations]
        actions = {name: action for name, action, _ in operations}
        weights = [weight for _, _, weight in operations]
        try:
            while time.monotonic() < deadline:
                kind = self.rng.choices(names, weights)[0]
                try:
                    actions[kind]()
                except Exception as error:  # every failure is counted, of any kind
                    tally.error(kind, f"{type(error).__name__}: {error}")
                else:
                    tally.done(kind)
        finally:
            self.http.close()


def _sampler(memory: MemoryLog, started: float, every: float, stop: threading.Event) -> None:
    while True:
        memory.sample(time.monotonic() - started)
        if stop.wait(every):
            memory.sample(time.monotonic() - started)
            return


def _report(memory: MemoryLog, tally: Tally, options: Options, elapsed: float) -> bool:
    """Print the figures; True when there was no error and no process grew."""
    total = sum(tally.operations.values())
    print(f"\nsoak: {elapsed:.0f} s, {options.clients} clients, {options.workers} workers")
    for kind in sorted(set(tally.operations) | set(tally.errors)):
        print(f"  {kind:<11} {tally.operations[kind]:>7} done  {tally.errors[kind]:>4} errors")
    errors = sum(tally.errors.values())
    print(f"  {'total':<11} {total:>7} done  {errors:>4} errors  ({total / elapsed:.1f} ops/s)")
    for example in tally.examples:
        print(f"    {example}")

    pids = list(memory.samples)
    print("\nRSS (MB) over time")
    print("     t/s " + "".join(f"{memory.name(pid):>16}" for pid in pids))
    times = sorted({round(t) for series in memory.samples.values() for t, _ in series})
    by_time = {pid: {round(t): kib for t, kib in memory.samples[pid]} for pid in pids}
    for t in times:
        cells = "".join(
            f"{by_time[pid][t] / 1024:>16.1f}" if t in by_time[pid] else f"{'-':>16}"
            for pid in pids
        )
        print(f"{t:>8} {cells}")

    print("\nRSS trend (median of the 2nd quarter -> median of the last quarter)")
    growing = False
    slack_kib = int(options.rss_slack_mb * 1024)
    for pid in pids:
        found = trend([kib for _, kib in memory.samples[pid]], options.rss_tolerance, slack_kib)
        if found is None:
            print(f"  {memory.name(pid):<16} too few samples")
            continue
        growing |= found.growing
        print(
            f"  {memory.name(pid):<16} {found.second_quarter_kib / 1024:7.1f} -> "
            f"{found.last_quarter_kib / 1024:7.1f} MB ({found.change_kib / 1024:+.1f}): "
            f"{'growing' if found.growing else 'flat'}"
        )
    verdict = "growing" if growing else "flat"
    print(
        f"\nverdict: memory {verdict} (tolerance {options.rss_tolerance:.0%} + "
        f"{options.rss_slack_mb:g} MB), {errors} errors"
    )
    return errors == 0 and not growing


def _soak(server: RunningServer, options: Options) -> bool:
    """Seed a few statements, run the clients and the sampler, print the report."""
    seeder = Client(server.credentials, seed=0, batch=options.batch)
    for _ in range(5):
        seeder.write()
    seeder.http.close()
    memory = MemoryLog(server.process.pid)
    tally = Tally()
    stop = threading.Event()
    started = time.monotonic()
    deadline = started + options.seconds
    sampler = threading.Thread(
        target=_sampler, args=(memory, started, options.sample_seconds, stop)
    )
    sampler.start()
    clients = [
        threading.Thread(
            target=Client(server.credentials, seed=n + 1, batch=options.batch).loop,
            args=(deadline, tally),
        )
        for n in range(options.clients)
    ]
    print(
        f"soak: {options.seconds:g} s of mixed load, {options.clients} clients, "
        f"server pid {server.process.pid}",
        flush=True,
    )
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    stop.set()
    sampler.join()
    elapsed = time.monotonic() - started
    if server.process.poll() is not None:
        tally.error("server", f"lrs serve exited:\n{server.log_tail()}")
    return _report(memory, tally, options, elapsed)


def main() -> int:
    """Start PostgreSQL and ``lrs serve``, run the soak; 0 when it passed."""
    options = Options.from_env()
    with (
        throwaway_database("lrs_soak") as database,
        work_directory("lrs-soak-") as directory,
        lrs_server(
            directory / "serve.log", database.url, options.workers, options.threads
        ) as server,
    ):
        ok = _soak(server, options)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
