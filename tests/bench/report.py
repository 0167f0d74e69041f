"""Figures, their targets, the printed report and the JSON results file.

A section (statements, documents, connection) produces ``Figure`` rows per store;
``print_section`` prints them as one table per store with PASS/MISS against each target (and each
extra ``Check``, e.g. page 1,000 against page 1), and ``write_json`` saves them under
``bench-results/``. A MISS is reported, never raised. Figures measured in two read phases (right
after a load, then after VACUUM ANALYZE) go in a second table with both phases side by side.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

RESULTS_DIR = Path(__file__).resolve().parents[2] / "bench-results"


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) by linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Target:
    """A threshold on one figure: ``value >= minimum`` or ``value <= maximum``."""

    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    on: str = "value"  # which figure it applies to: "value", "p50" or "p95"
    aim: float | None = None  # a stretch goal, shown but not judged

    def passes(self, value: float) -> bool:
        """True when ``value`` meets the target."""
        if math.isnan(value):
            return False
        if self.minimum is not None and value < self.minimum:
            return False
        return not (self.maximum is not None and value > self.maximum)

    def describe(self) -> str:
        """``>= 5,000 st/s (aim 10,000)`` or ``p95 <= 20 ms``."""
        label = "" if self.on == "value" else f"{self.on} "
        if self.minimum is not None:
            text = f"{label}>= {_bound(self.minimum)} {self.unit}"
        else:
            text = f"{label}<= {_bound(self.maximum)} {self.unit}"
        if self.aim is not None:
            text += f" (aim {_bound(self.aim)})"
        return text.strip()


def _bound(value: float | None) -> str:
    """``5,000`` or ``0.8``."""
    if value is None:
        return "?"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


@dataclass(frozen=True)
class Check:
    """A judged condition beyond the target, e.g. ``page 1,000 p50 <= 1.5x page 1``."""

    text: str
    passed: bool

    @property
    def verdict(self) -> str:
        """PASS or MISS."""
        return "PASS" if self.passed else "MISS"


@dataclass
class Figure:
    """One measured line: a rate and/or latency percentiles, and the target it is judged by."""

    name: str
    value: float | None = None  # e.g. statements per second
    unit: str = ""
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    target: Target | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # CPU per request (a batch for POSTs) of the server's and the database's processes
    server_cpu_ms: float | None = None
    database_cpu_ms: float | None = None
    checks: list[Check] = field(default_factory=list)
    digits: int = 0  # decimals of ``value`` as printed
    # latencies of the same requests right after the load, before VACUUM ANALYZE (judged by the
    # same target); None: measured in one phase only
    fresh_latencies_ms: list[float] | None = field(default=None, repr=False)

    @property
    def fresh_p50_ms(self) -> float | None:
        """Median latency of the fresh phase."""
        return percentile(self.fresh_latencies_ms, 0.50) if self.fresh_latencies_ms else None

    @property
    def fresh_p95_ms(self) -> float | None:
        """95th percentile latency of the fresh phase."""
        return percentile(self.fresh_latencies_ms, 0.95) if self.fresh_latencies_ms else None

    @property
    def fresh_verdict(self) -> str:
        """PASS or MISS of the fresh phase's p95 against the target; empty without either."""
        if self.target is None or self.target.on != "p95" or self.fresh_p95_ms is None:
            return ""
        return "PASS" if self.target.passes(self.fresh_p95_ms) else "MISS"

    @property
    def p50_ms(self) -> float | None:
        """Median latency."""
        return percentile(self.latencies_ms, 0.50) if self.latencies_ms else None

    @property
    def p95_ms(self) -> float | None:
        """95th percentile latency."""
        return percentile(self.latencies_ms, 0.95) if self.latencies_ms else None

    @property
    def judged(self) -> float | None:
        """The number the target applies to."""
        if self.target is None:
            return None
        if self.target.on == "p95":
            return self.p95_ms
        return self.p50_ms if self.target.on == "p50" else self.value

    @property
    def verdict(self) -> str:
        """PASS, MISS, or empty when there is no target."""
        judged = self.judged
        if self.target is None or judged is None:
            return ""
        return "PASS" if self.target.passes(judged) else "MISS"

    @property
    def verdicts(self) -> list[str]:
        """The fresh phase's verdict and the target's (when there are), then each check's."""
        judged = (self.fresh_verdict, self.verdict)
        return [v for v in judged if v] + [check.verdict for check in self.checks]

    @property
    def targets_text(self) -> str:
        """The target and the checks, as printed."""
        texts = [self.target.describe()] if self.target else []
        return "; ".join(texts + [check.text for check in self.checks])

    def to_json(self) -> dict[str, Any]:
        """The figure without its raw latencies."""
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "requests": len(self.latencies_ms),
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "max_ms": max(self.latencies_ms) if self.latencies_ms else None,
            "fresh_requests": len(self.fresh_latencies_ms or ()),
            "fresh_p50_ms": self.fresh_p50_ms,
            "fresh_p95_ms": self.fresh_p95_ms,
            "fresh_max_ms": max(self.fresh_latencies_ms) if self.fresh_latencies_ms else None,
            "fresh_verdict": self.fresh_verdict or None,
            "target": asdict(self.target) if self.target else None,
            "target_text": self.target.describe() if self.target else None,
            "verdict": self.verdict or None,
            "checks": [asdict(check) | {"verdict": check.verdict} for check in self.checks],
            "server_cpu_ms_per_request": self.server_cpu_ms,
            "database_cpu_ms_per_request": self.database_cpu_ms,
            "details": self.details,
        }


@dataclass
class StoreReport:
    """A section's figures for one store, with what the run was like."""

    store: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # a list value prints as a block
    error: str | None = None
    phases: tuple[str, str] = ("fresh", "analysed")  # column names of the two read phases

    def to_json(self) -> dict[str, Any]:
        """For the results file."""
        return {
            "store": self.store,
            "title": self.title,
            "facts": self.facts,
            "figures": [figure.to_json() for figure in self.figures],
            "error": self.error,
            "phases": list(self.phases),
        }


def _number(value: float | None, digits: int = 1) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def format_store(report: StoreReport) -> str:
    """One store's table (and a second one for figures measured in two read phases)."""
    lines = [f"== {report.title} =="]
    for key, value in report.facts.items():
        if isinstance(value, list):  # a block: one indented line per item
            lines.append(f"   {key}:")
            lines += [f"     {item}" for item in value]
        else:
            lines.append(f"   {key}: {value}")
    plain = [figure for figure in report.figures if figure.fresh_latencies_ms is None]
    phased = [figure for figure in report.figures if figure.fresh_latencies_ms is not None]
    if plain:
        lines += _plain_table(plain)
    if phased:
        lines += _phased_table(phased, report.phases)
    if report.error:
        lines += ["", "   ERROR: " + report.error.replace("\n", "\n          ")]
    return "\n".join(lines)


def _cpu_text(figure: Figure) -> str:
    if figure.server_cpu_ms is None:
        return ""
    text = _number(figure.server_cpu_ms)
    if figure.database_cpu_ms is not None:
        text += f"+{_number(figure.database_cpu_ms)}"
    return text


def _plain_table(figures: list[Figure]) -> list[str]:
    width = max([46, *(len(figure.name) for figure in figures)])
    header = (
        f"   {'figure':<{width}} {'value':>11} {'p50 ms':>7} {'p95 ms':>7} {'CPU ms lrs+pg':>14}  "
        f"{'target':<27} result"
    )
    lines = ["", header, "   " + "-" * (len(header) - 3)]
    for figure in figures:
        value = ""
        if figure.value is not None:
            value = f"{_number(figure.value, figure.digits)} {figure.unit}"
        lines.append(
            f"   {figure.name:<{width}} {value:>11} {_number(figure.p50_ms):>7} "
            f"{_number(figure.p95_ms):>7} {_cpu_text(figure):>14}  {figure.targets_text:<27} "
            f"{' '.join(figure.verdicts)}"
        )
    return lines


def _phased_table(figures: list[Figure], phases: tuple[str, str]) -> list[str]:
    """The read phases side by side: ``fresh p50/p95`` and ``analysed p50/p95`` in ms."""
    first, second = (f"{phase} p50/p95" for phase in phases)
    width = max([46, *(len(figure.name) for figure in figures)])
    header = (
        f"   {'query':<{width}} {first:>16} {second:>19} {'CPU ms lrs+pg':>14}  "
        f"{'target (both)':<15} result ({phases[0]}, {phases[1]})"
    )
    lines = ["", header, "   " + "-" * (len(header) - 3)]
    for figure in figures:
        fresh = f"{_number(figure.fresh_p50_ms)} / {_number(figure.fresh_p95_ms)}"
        later = f"{_number(figure.p50_ms)} / {_number(figure.p95_ms)}"
        lines.append(
            f"   {figure.name:<{width}} {fresh:>16} {later:>19} {_cpu_text(figure):>14}  "
            f"{figure.targets_text:<15} {' '.join(figure.verdicts)}"
        )
    return lines


def print_section(section: str, reports: Sequence[StoreReport], notes: Sequence[str] = ()) -> None:
    """Print every store's table of one section, then a one-line summary."""
    print()
    print(f"######## {section} ########")
    for report in reports:
        print()
        print(format_store(report))
    verdicts = [v for r in reports for f in r.figures for v in f.verdicts]
    misses = verdicts.count("MISS")
    errors = sum(1 for r in reports if r.error)
    print()
    for note in notes:
        print(f"note: {note}")
    print(
        f"{section}: {verdicts.count('PASS')} PASS, {misses} MISS"
        + (f", {errors} store(s) with ERRORS" if errors else "")
    )


def write_json(name: str, payload: dict[str, Any]) -> Path:
    """Write ``bench-results/<name>.json`` and return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return path


def machine_fact() -> str:
    """CPUs, the load average now and a speed check (other work on the machine skews figures)."""
    one, five, _ = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs; load average before this store {one:.2f} (1 min), {five:.2f} (5); "
        f"speed check {speed_check_ms():.1f} ms (CPU time of a fixed Python loop, just before; "
        "a high value flags a host slowed by its neighbours)"
    )


def speed_check_ms() -> float:
    """CPU milliseconds a fixed pure-Python loop takes now: the median of five runs."""

    def loop() -> int:
        total = 0
        for number in range(200_000):
            total += number * number % 7
        return total

    seconds = []
    for _ in range(5):
        started = time.process_time()
        loop()
        seconds.append(time.process_time() - started)
    return statistics.median(seconds) * 1000
