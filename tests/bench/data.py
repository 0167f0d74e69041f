"""A deterministic, varied statement data set with known answers for the queries.

The shape of the data (per ``count`` statements, from one seed):

* ~1,000 actors (``mbox``), chosen uniformly;
* 50 verbs with a Zipf-like skew (exponent 1.6): the first is on about 40 % of the statements,
  the last on about 0.08 %;
* ~2,000 activities as objects, each with a definition (name, type);
* 100 courses as ``contextActivities.parent`` on 70 % (the course of the object activity) and 10
  programmes as ``grouping`` on 40 %; neither ever appears as an object;
* a registration (one of ~500 UUIDs) on 40 %;
* a result on half, a score on 60 % of those;
* timestamps spread over the year before ``now``.

Every statement has an id, so a retried batch stores nothing twice. While generating we count
each value, so the queries know exactly how many statements each filter must match; the bodies
are produced one batch at a time (``StatementBatches``) and need not be kept.
"""

from __future__ import annotations

import bisect
import random
import uuid
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

ACTORS = 1_000
VERBS = 50
ACTIVITIES = 2_000
COURSES = 100
PROGRAMMES = 10
REGISTRATIONS = 500

_ADL_VERBS = (
    "experienced",
    "attempted",
    "completed",
    "passed",
    "answered",
    "progressed",
    "launched",
    "initialized",
    "terminated",
    "failed",
    "interacted",
    "suspended",
    "resumed",
    "scored",
    "commented",
    "shared",
    "asked",
    "registered",
    "attended",
    "mastered",
)
_ACTIVITY_TYPES = (
    "http://adlnet.gov/expapi/activities/lesson",
    "http://adlnet.gov/expapi/activities/assessment",
    "http://adlnet.gov/expapi/activities/question",
    "http://adlnet.gov/expapi/activities/media",
    "http://adlnet.gov/expapi/activities/module",
)


def verb_id(index: int) -> str:
    """The IRI of verb ``index`` (0 is the most used)."""
    if index < len(_ADL_VERBS):
        return f"http://adlnet.gov/expapi/verbs/{_ADL_VERBS[index]}"
    return f"http://example.com/xapi/verbs/v{index:02d}"


def verb_name(index: int) -> str:
    """The display name of verb ``index``."""
    return _ADL_VERBS[index] if index < len(_ADL_VERBS) else f"verb {index}"


def actor_mbox(index: int) -> str:
    """The ``mbox`` of actor ``index``."""
    return f"mailto:learner{index:04d}@example.com"


def activity_id(index: int) -> str:
    """The IRI of activity ``index``."""
    return f"http://example.com/xapi/activities/a{index:04d}"


def course_id(index: int) -> str:
    """The IRI of course ``index`` (a parent activity, never an object)."""
    return f"http://example.com/xapi/courses/c{index:03d}"


def programme_id(index: int) -> str:
    """The IRI of programme ``index`` (a grouping activity, never an object)."""
    return f"http://example.com/xapi/programmes/p{index:02d}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def timestamp_text(milliseconds: int) -> str:
    """A timestamp as the generator sends it, from its milliseconds since the epoch."""
    moment = _EPOCH + milliseconds * _MILLISECOND
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Counts:
    """How many statements carry each value (the exact answers for the filters).

    Counted while generating, so the answers never need the statements themselves: at a million
    statements everything here is a few thousand counters and 8 MB of timestamps.
    """

    verbs: Counter[str] = field(default_factory=Counter)
    actors: Counter[str] = field(default_factory=Counter)
    activities: Counter[str] = field(default_factory=Counter)
    parents: Counter[str] = field(default_factory=Counter)
    registrations: Counter[str] = field(default_factory=Counter)
    # milliseconds since the epoch, the precision they are sent with (``timestamp_text``)
    timestamps: array[int] = field(default_factory=lambda: array("q"))

    def timestamp_range(self, low: float, high: float) -> tuple[str, str, int]:
        """The timestamps at the ``low`` and ``high`` fractions of the sorted timestamps, as
        sent, and how many statements have ``low <= timestamp < high``."""
        ordered = sorted(self.timestamps)
        first = ordered[int(len(ordered) * low)]
        last = ordered[min(int(len(ordered) * high), len(ordered) - 1)]
        between = bisect.bisect_left(ordered, last) - bisect.bisect_left(ordered, first)
        return timestamp_text(first), timestamp_text(last), between


@dataclass(frozen=True)
class Sample:
    """Known values to query by, each with the number of statements it matches."""

    common_verb: tuple[str, int]
    rare_verb: tuple[str, int]
    actors: list[tuple[str, int]]
    activities: list[tuple[str, int]]
    parents: list[tuple[str, int]]
    registrations: list[tuple[str, int]]


@dataclass(frozen=True)
class Dataset:
    """What a generated data set holds (its bodies went to the load, never all in memory)."""

    statements: int
    batch_size: int
    batches: int
    body_bytes: int  # total size of the request bodies
    counts: Counts
    sample: Sample


def _zipf_weights(n: int, exponent: float) -> list[float]:
    return [1.0 / (rank + 1) ** exponent for rank in range(n)]


class _Generator:
    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.registrations = [
            str(uuid.UUID(int=self.rng.getrandbits(128), version=4)) for _ in range(REGISTRATIONS)
        ]
        verb_weights = _zipf_weights(VERBS, 1.6)
        self.verb_cumulative = _cumulative(verb_weights)
        self.counts = Counts()

    def statement(self) -> dict[str, Any]:
        rng = self.rng
        verb = rng.choices(range(VERBS), cum_weights=self.verb_cumulative)[0]
        actor = rng.randrange(ACTORS)
        activity = rng.randrange(ACTIVITIES)
        statement: dict[str, Any] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": {
                "objectType": "Agent",
                "name": f"Learner {actor}",
                "mbox": actor_mbox(actor),
            },
            "verb": {"id": verb_id(verb), "display": {"en-US": verb_name(verb)}},
            "object": {
                "objectType": "Activity",
                "id": activity_id(activity),
                "definition": {
                    "name": {"en-US": f"Activity {activity}"},
                    "type": _ACTIVITY_TYPES[activity % len(_ACTIVITY_TYPES)],
                },
            },
        }
        counts = self.counts
        counts.verbs[verb_id(verb)] += 1
        counts.actors[actor_mbox(actor)] += 1
        counts.activities[activity_id(activity)] += 1

        context: dict[str, Any] = {"platform": "bench", "language": "en-US"}
        context_activities: dict[str, Any] = {}
        if rng.random() < 0.7:
            parent = course_id(activity % COURSES)
            context_activities["parent"] = [{"id": parent, "objectType": "Activity"}]
            counts.parents[parent] += 1
        if rng.random() < 0.4:
            grouping = programme_id(activity % COURSES % PROGRAMMES)
            context_activities["grouping"] = [{"id": grouping}]
        if context_activities:
            context["contextActivities"] = context_activities
        if rng.random() < 0.4:
            registration = self.registrations[rng.randrange(REGISTRATIONS)]
            context["registration"] = registration
            counts.registrations[registration] += 1
        statement["context"] = context

        if rng.random() < 0.5:
            result: dict[str, Any] = {
                "completion": rng.random() < 0.8,
                "duration": f"PT{rng.randrange(1, 60)}M{rng.randrange(60)}S",
            }
            if rng.random() < 0.6:
                raw = rng.randrange(0, 101)
                result["score"] = {"raw": raw, "min": 0, "max": 100, "scaled": raw / 100}
                result["success"] = raw >= 60
            statement["result"] = result

        moment = self.now - timedelta(seconds=rng.uniform(0, 365 * 24 * 3600))
        milliseconds = (moment - _EPOCH) // _MILLISECOND
        statement["timestamp"] = timestamp_text(milliseconds)
        counts.timestamps.append(milliseconds)
        return statement


def _cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    cumulative = []
    for weight in weights:
        total += weight
        cumulative.append(total)
    return cumulative


def _spread(counter: Counter[str], how_many: int, rng: random.Random) -> list[tuple[str, int]]:
    """``how_many`` values of ``counter`` picked at random (all occur at least once)."""
    values = sorted(counter)
    chosen = rng.sample(values, min(how_many, len(values)))
    return [(value, counter[value]) for value in chosen]


class StatementBatches:
    """``count`` statements as JSON batch bodies, generated one batch at a time.

    Iterate once to get the bodies (arrays of ``batch_size`` statements, the last one maybe
    smaller); ``dataset()`` then gives the counts and a sample to query by. Only the counts are
    kept, so a million statements (about 670 MB of JSON) never sit in memory at once. The
    statements are the same, one by one, as a single random stream from ``seed`` gives them,
    whatever is done with the bodies.
    """

    def __init__(self, count: int, batch_size: int = 100, seed: int = 1, per_kind: int = 20):
        if count <= 0 or batch_size <= 0:
            raise ValueError("count and batch_size must be positive")
        self.count = count
        self.batch_size = batch_size
        self.seed = seed
        self.per_kind = per_kind
        self._generator = _Generator(seed, datetime.now(UTC))
        self._batches = 0
        self._body_bytes = 0
        self._started = False

    def __iter__(self) -> Iterator[bytes]:
        if self._started:
            raise RuntimeError("a StatementBatches can be iterated only once")
        self._started = True
        remaining = self.count
        while remaining > 0:
            size = min(self.batch_size, remaining)
            body = orjson.dumps([self._generator.statement() for _ in range(size)])
            self._batches += 1
            self._body_bytes += len(body)
            remaining -= size
            yield body

    def dataset(self) -> Dataset:
        """What the bodies held; only once every body was generated."""
        counts = self._generator.counts
        if len(counts.timestamps) != self.count:
            raise RuntimeError("dataset() before every batch was generated")
        verbs = counts.verbs.most_common()
        pick = random.Random(self.seed + 1)
        sample = Sample(
            common_verb=verbs[0],
            rare_verb=verbs[-1],
            actors=_spread(counts.actors, self.per_kind, pick),
            activities=_spread(counts.activities, self.per_kind, pick),
            parents=_spread(counts.parents, self.per_kind // 2, pick),
            registrations=_spread(counts.registrations, self.per_kind, pick),
        )
        return Dataset(
            statements=self.count,
            batch_size=self.batch_size,
            batches=self._batches,
            body_bytes=self._body_bytes,
            counts=counts,
            sample=sample,
        )


def generate(
    count: int, batch_size: int = 100, seed: int = 1, per_kind: int = 20
) -> tuple[list[bytes], Dataset]:
    """Every body in memory, and the data set: for small counts (see ``StatementBatches``)."""
    batches = StatementBatches(count, batch_size, seed, per_kind)
    bodies = list(batches)
    return bodies, batches.dataset()
