"""The query phase: ``GET /statements`` latencies, one query type after another, from one client.

Each query type rotates over a few known values (``tests.bench.data.Sample``), warms up, then
times ``requests`` sequential requests. Every response must be a 200 StatementResult holding
exactly as many statements as the data says the filter matches (up to the page size), so a
benchmark cannot silently measure errors or empty pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from lrs.core.settings import Settings
from tests.bench.client import STATEMENTS, BenchError, Response, XapiClient
from tests.bench.data import Sample
from tests.bench.timing import measure

PAGE = 100


@dataclass(frozen=True)
class Probe:
    """One request's parameters and how many statements its page must hold."""

    params: dict[str, str]
    expected: int | None  # exact page length; None: at least one statement
    expect_more: bool | None = None  # whether a ``more`` link must be there; None: unchecked


@dataclass(frozen=True)
class QueryCase:
    """A query type: its probes (used in turn) and whether to time the ``more`` page instead."""

    name: str
    probes: list[Probe]
    follow_more: bool = False
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QueryResult:
    """The timed latencies (seconds) of one query type."""

    case: QueryCase
    latencies: list[float]
    statements_returned: int
    requests_sent: int  # timed ones, and the untimed first pages of the ``more`` case
    cpu: Any = None  # snapshot() after minus before the timed requests, when given


def _page(expected_matches: int, limit: int = PAGE) -> Probe:
    return Probe({}, min(expected_matches, limit), expected_matches > limit)


def _with(params: dict[str, str], probe: Probe) -> Probe:
    return Probe({**params, "limit": str(PAGE)}, probe.expected, probe.expect_more)


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def build_cases(
    sample: Sample,
    total: int,
    loaded_from: datetime,
    loaded_until: datetime,
    max_limit: int = Settings.xapi_max_limit,
) -> list[QueryCase]:
    """The query types of the issue, over this data set.

    ``max_limit``: the page size without ``limit``, the server's default ``LRS_XAPI_MAX_LIMIT``
    (``server_env`` starts it without any ``LRS_*`` of ours).
    """
    verb, verb_count = sample.common_verb
    rare, rare_count = sample.rare_verb
    span = loaded_until - loaded_from
    since = loaded_from + span * 0.4
    until = loaded_from + span * 0.6
    agent = [
        _with({"agent": orjson.dumps({"mbox": mbox}).decode()}, _page(n))
        for mbox, n in sample.actors
    ]
    return [
        QueryCase(
            "verb, common",
            [_with({"verb": verb}, _page(verb_count))],
            details={"verb": verb, "matches": verb_count},
        ),
        QueryCase(
            "verb, rare",
            [_with({"verb": rare}, _page(rare_count))],
            details={"verb": rare, "matches": rare_count},
        ),
        QueryCase("agent (mbox)", agent, details=_matches(sample.actors)),
        QueryCase(
            "activity",
            [_with({"activity": a}, _page(n)) for a, n in sample.activities],
            details=_matches(sample.activities),
        ),
        QueryCase(
            "activity=parent, related_activities",
            [
                _with({"activity": a, "related_activities": "true"}, _page(n))
                for a, n in sample.parents
            ],
            details=_matches(sample.parents),
        ),
        QueryCase(
            "registration",
            [_with({"registration": r}, _page(n)) for r, n in sample.registrations],
            details=_matches(sample.registrations),
        ),
        QueryCase(
            "since/until (middle 20% of the load)",
            [Probe({"since": _iso(since), "until": _iso(until), "limit": str(PAGE)}, None)],
            details={"since": _iso(since), "until": _iso(until)},
        ),
        QueryCase("no filter, limit=100", [_with({}, _page(total))]),
        QueryCase(
            f"no filter, no parameters ({min(total, max_limit)})",
            [Probe({}, min(total, max_limit), total > max_limit)],
        ),
        QueryCase(
            "more link (page 2 of no filter, limit=100)",
            [_with({}, _page(max(total - PAGE, 0)))],
            follow_more=True,
        ),
    ]


def _matches(values: list[tuple[str, int]]) -> dict[str, Any]:
    counts = [n for _, n in values]
    return {"values": len(values), "matches_min": min(counts), "matches_max": max(counts)}


def _check(response: Response, what: str, probe: Probe) -> dict[str, Any]:
    if response.status != 200:
        raise BenchError(f"GET {what}: {response.status} {response.body[:500]!r}")
    try:
        result = orjson.loads(response.body)
        statements = result["statements"]
        more = result["more"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise BenchError(f"GET {what}: not a StatementResult: {response.body[:300]!r}") from None
    if probe.expected is None and not statements:
        raise BenchError(f"GET {what}: an empty page where the data has statements")
    if probe.expected is not None and len(statements) != probe.expected:
        raise BenchError(
            f"GET {what}: {len(statements)} statements, the data says {probe.expected}"
        )
    if probe.expect_more is not None and bool(more) != probe.expect_more:
        raise BenchError(
            f"GET {what}: more={more!r}, expected {'a link' if probe.expect_more else 'none'}"
        )
    return result


def _once(client: XapiClient, case: QueryCase, probe: Probe) -> tuple[float, int]:
    """One measured request of ``case``: (seconds, statements returned)."""
    if not case.follow_more:
        response = client.get(STATEMENTS, probe.params)
        result = _check(response, f"{STATEMENTS} {probe.params}", probe)
        return response.seconds, len(result["statements"])
    first_probe = Probe(probe.params, PAGE, True)
    first = _check(
        client.get(STATEMENTS, probe.params), f"{STATEMENTS} {probe.params}", first_probe
    )
    response = client.get(first["more"])
    result = _check(response, f"more link of {probe.params}", probe)
    return response.seconds, len(result["statements"])


def run_case(
    client: XapiClient,
    case: QueryCase,
    requests: int,
    warmup: int,
    max_seconds: float,
    progress: Callable[[str], None] = lambda _: None,
    snapshot: Callable[[], Any] | None = None,
) -> QueryResult:
    """Warm up, then time ``requests`` sequential requests, rotating over the probes.

    ``snapshot``: called before and after the timed requests (e.g. CPU counters); the result's
    ``cpu`` is the difference.
    """
    returned = [0]

    def once(index: int) -> float:
        seconds, count = _once(client, case, case.probes[index % len(case.probes)])
        returned[0] += count
        return seconds

    warmed = 0
    if warmup:
        measure(case.name, once, 0, warmup, max_seconds)
        warmed = returned[0]
    measured = measure(
        case.name,
        once,
        requests,
        0,
        max_seconds,
        snapshot=snapshot,
        sent_per_request=2 if case.follow_more else 1,
        progress=progress,
    )
    return QueryResult(case, measured.latencies, returned[0] - warmed, measured.sent, measured.cpu)
