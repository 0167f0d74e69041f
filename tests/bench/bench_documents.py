"""Section ``documents``: latencies of the xAPI document resources, per store (issue 5).

For each store, on a fresh server (and database) of its own (the section writes, so it never
borrows the statements section's store):

* ``PUT /activities/state`` of ``BENCH_DOCUMENTS`` JSON documents of about 1 KB, each a distinct
  (activityId, agent, stateId) over 200 activities, 1,000 agents and 10 state ids; then the same
  documents again with another body (a replace);
* ``GET`` of every state document, checked byte for byte against the last PUT;
* ``POST /activities/profile`` merging a small JSON object into one of ``BENCH_PROFILES``
  existing profiles, with ``If-Match`` the ETag of that profile's previous GET or POST (so the
  precondition path is part of the figure);
* ``GET`` of every profile, checked against the merge of everything POSTed into it.

One sequential client, as for the statement queries; every response is checked.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

from tests.bench.client import XAPI, BenchError, Response, XapiClient
from tests.bench.data import actor_mbox
from tests.bench.loaded import LoadedStores
from tests.bench.options import Options, progress
from tests.bench.report import StoreReport, Target, machine_fact
from tests.bench.server import ServedStore, serving
from tests.bench.timing import measure

NAME = "documents"
STATE = f"{XAPI}/activities/state"
PROFILE = f"{XAPI}/activities/profile"
TARGET = Target(maximum=20, unit="ms", on="p95")
TITLES = {"postgres": "PostgreSQL", "memory": "in-memory"}
ACTIVITIES = 200
AGENTS = 1_000
STATE_IDS = (
    "bookmark",
    "suspend_data",
    "cmi.location",
    "progress",
    "preferences",
    "answers",
    "attempt",
    "scores",
    "notes",
    "session",
)
NOTES = (
    "target (issue 5): p95 <= 20 ms for state PUT and GET and for activity profile POST (merge) "
    "and GET; the in-memory store is judged by the same number for reference.",
    "one sequential client on a fresh server per store; JSON bodies, Content-Type "
    "application/json; state documents ~1 KB; profile POSTs carry If-Match (the ETag of the "
    "profile's previous GET or POST).",
    "CPU ms lrs+pg: CPU time of the lrs serve processes + PostgreSQL's per request, from /proc.",
)


def document_activity(index: int) -> str:
    """The activity IRI the documents of activity ``index`` belong to."""
    return f"http://example.com/xapi/documents/activity{index:03d}"


@dataclass(frozen=True)
class StateDocument:
    """One state document: its query string and the bodies of its two PUTs."""

    query: str  # activityId, agent, stateId, URL-encoded
    created: bytes
    replaced: bytes


@dataclass
class Profile:
    """One activity profile: its query string, its content as merged so far, its ETag."""

    query: str
    content: dict[str, Any]
    etag: str = ""


def state_documents(count: int, seed: int) -> list[StateDocument]:
    """``count`` distinct state documents with two ~1 KB JSON bodies each."""
    if count > ACTIVITIES * AGENTS * len(STATE_IDS):
        raise ValueError(f"at most {ACTIVITIES * AGENTS * len(STATE_IDS):,} state documents")
    rng = random.Random(seed * 7919 + 5)
    seen: set[tuple[int, int, int]] = set()
    documents = []
    while len(documents) < count:
        key = (rng.randrange(ACTIVITIES), rng.randrange(AGENTS), rng.randrange(len(STATE_IDS)))
        if key in seen:
            continue
        seen.add(key)
        activity, agent, state = key
        query = urlencode(
            {
                "activityId": document_activity(activity),
                "agent": orjson.dumps({"mbox": actor_mbox(agent)}).decode(),
                "stateId": STATE_IDS[state],
            }
        )
        index = len(documents)
        documents.append(
            StateDocument(query, _state_body(rng, index, 1), _state_body(rng, index, 2))
        )
    return documents


def _state_body(rng: random.Random, index: int, version: int) -> bytes:
    """About 1 KB of JSON, as a SCORM-like course would save."""
    return orjson.dumps(
        {
            "document": index,
            "version": version,
            "location": f"module-{rng.randrange(20)}/page-{rng.randrange(50)}",
            "progress": round(rng.random(), 3),
            "answers": {f"q{n:02d}": rng.choice("abcd") for n in range(30)},
            "suspend_data": "".join(rng.choices(string.ascii_letters + string.digits, k=560)),
        }
    )


def profiles(count: int) -> list[Profile]:
    """``count`` activity profiles over ``ACTIVITIES`` activities."""
    found = []
    for index in range(count):
        query = urlencode(
            {
                "activityId": document_activity(index % ACTIVITIES),
                "profileId": f"bench-profile-{index // ACTIVITIES}",
            }
        )
        found.append(Profile(query, {"profile": index, "settings": {"theme": "light"}}))
    return found


def run(options: Options, work_dir: Path, shared: LoadedStores) -> list[StoreReport]:
    """Run the section on every selected store; a store's error is recorded, not raised."""
    del shared  # this section writes: it always starts servers of its own
    documents = state_documents(options.documents, options.seed)
    reports = []
    for store in options.stores:
        report = StoreReport(
            store=store,
            title=(
                f"{TITLES[store]} store, {options.documents:,} state documents, "
                f"{options.profiles:,} activity profiles"
            ),
        )
        reports.append(report)
        report.facts["machine"] = machine_fact()
        try:
            with serving(
                store, work_dir, options.workers, options.threads, options.pg_settings
            ) as served:
                report.facts["server"] = served.describe()
                with served.explaining_errors():
                    _bench_store(options, served, report, documents)
        except (BenchError, RuntimeError, OSError) as error:
            report.error = f"{type(error).__name__}: {error}"
            progress(f"{NAME} {store}: ERROR {report.error}")
    return reports


def _bench_store(
    options: Options, served: ServedStore, report: StoreReport, documents: list[StateDocument]
) -> None:
    store = served.store
    has_database = served.database is not None
    sizes = [len(d.created) for d in documents]
    report.facts["data"] = (
        f"{len(documents):,} state documents of {min(sizes):,}-{max(sizes):,} bytes over "
        f"{ACTIVITIES} activities x {AGENTS:,} agents x {len(STATE_IDS)} state ids; "
        f"{options.profiles:,} activity profiles, {options.documents:,} merges into them"
    )
    client = XapiClient(served.server.credentials)
    try:
        _warm_up(client, options.warmup)

        def timed(name: str, once: Callable[[int], float], requests: int, warmup: int = 0) -> None:
            measured = measure(
                f"{store}: {name}",
                once,
                requests,
                warmup,
                options.max_seconds,
                snapshot=served.cpu,
                progress=progress,
            )
            report.figures.append(measured.figure(name, TARGET, has_database=has_database))

        def put(body_of: Callable[[StateDocument], bytes]) -> Callable[[int], float]:
            def once(index: int) -> float:
                document = documents[index]
                response = client.request("PUT", f"{STATE}?{document.query}", body_of(document))
                _expect(response, 204, f"PUT {STATE}?{document.query}")
                return response.seconds

            return once

        timed("PUT state (new document, ~1 KB JSON)", put(lambda d: d.created), len(documents))
        timed("PUT state (replace)", put(lambda d: d.replaced), len(documents))

        def get_state(index: int) -> float:
            document = documents[index % len(documents)]
            response = client.get(f"{STATE}?{document.query}")
            _expect(response, 200, f"GET {STATE}?{document.query}")
            if response.body != document.replaced:
                raise BenchError(f"GET {STATE}?{document.query}: not the document last PUT")
            return response.seconds

        timed("GET state", get_state, len(documents), options.warmup)

        merged = profiles(options.profiles)
        _create_profiles(client, merged)

        def merge(index: int) -> float:
            profile = merged[index % len(merged)]
            patch = {f"key{index % 8}": {"value": index, "note": "merged " * 6}, "last": index}
            response = client.request(
                "POST",
                f"{PROFILE}?{profile.query}",
                orjson.dumps(patch),
                {"If-Match": profile.etag},
            )
            _expect(response, 204, f"POST {PROFILE}?{profile.query}")
            profile.content.update(patch)
            profile.etag = _etag(response, f"POST {PROFILE}?{profile.query}")
            return response.seconds

        timed("POST profile (merge, If-Match)", merge, options.documents)

        def get_profile(index: int) -> float:
            profile = merged[index % len(merged)]
            response = client.get(f"{PROFILE}?{profile.query}")
            _expect(response, 200, f"GET {PROFILE}?{profile.query}")
            if orjson.loads(response.body) != profile.content:
                raise BenchError(f"GET {PROFILE}?{profile.query}: not the merge of the POSTs")
            return response.seconds

        timed("GET profile", get_profile, options.documents, options.warmup)
    finally:
        client.close()


def _warm_up(client: XapiClient, rounds: int) -> None:
    """Untimed writes and reads of documents outside the measured set (pools, caches)."""
    for index in range(rounds):
        query = urlencode(
            {
                "activityId": "http://example.com/xapi/documents/warm-up",
                "agent": orjson.dumps({"mbox": actor_mbox(index)}).decode(),
                "stateId": "warm-up",
            }
        )
        _expect(client.request("PUT", f"{STATE}?{query}", b'{"warm": 1}'), 204, "warm-up PUT")
        _expect(client.get(f"{STATE}?{query}"), 200, "warm-up GET")


def _create_profiles(client: XapiClient, merged: list[Profile]) -> None:
    """POST each profile's first content (untimed), then GET it for the ETag to merge with."""
    for profile in merged:
        response = client.post_json(f"{PROFILE}?{profile.query}", orjson.dumps(profile.content))
        _expect(response, 204, f"POST {PROFILE}?{profile.query}")
    for profile in merged:
        response = client.get(f"{PROFILE}?{profile.query}")
        _expect(response, 200, f"GET {PROFILE}?{profile.query}")
        profile.etag = _etag(response, f"GET {PROFILE}?{profile.query}")


def _expect(response: Response, status: int, what: str) -> None:
    if response.status != status:
        raise BenchError(f"{what}: {response.status} {response.body[:500]!r}")


def _etag(response: Response, what: str) -> str:
    etag = response.headers.get("etag")
    if not etag:
        raise BenchError(f"{what}: no ETag")
    return etag
