"""The PostgreSQL settings that matter for an LRS, and which of a server's are far from them.

``RECOMMENDATIONS`` is the table (deploy/README.md, "PostgreSQL settings for an LRS", shows the
same with the measurements behind it); ``read_settings`` reads a server's values from
``pg_settings`` through the LRS's own connection URL (so per-database and per-role settings
count), and ``judge`` says which are off. Sizes are judged as absolute values: a client cannot
know how much RAM the database host has, so "25% of RAM" can only be checked as "at least 1GB".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

#: How far off a setting is: ``fail`` makes ``lrs check`` fail, ``warn`` is printed as a
#: warning, ``note`` is printed but leaves the check "ok" (it depends on hardware we cannot see).
Level = Literal["fail", "warn", "note"]

#: A setting's value in comparable form: bytes (memory), seconds (time), a float (other
#: numbers) or the lower-cased text (on/off and other words).
Value = float | str

KB = 1024
MB = 1024 * KB
GB = 1024 * MB

_MEMORY_UNITS = {"B": 1, "kB": KB, "MB": MB, "GB": GB, "TB": 1024 * GB}
_TIME_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1, "min": 60, "h": 3600, "d": 86400}
_UNIT = re.compile(r"(\d*)\s*([A-Za-z]+)")


@dataclass(frozen=True)
class Setting:
    """One row of ``pg_settings``: the setting as text and its unit (``8kB``, ``MB``, ``s``...)."""

    name: str
    setting: str
    unit: str | None

    @property
    def value(self) -> Value:
        """The value in bytes, seconds, as a number or as lower-cased text."""
        return normalise(self.setting, self.unit)

    def shown(self) -> str:
        """The value as people write it in postgresql.conf: ``128MB``, ``5min``, ``off``."""
        value = self.value
        if isinstance(value, str):
            return value
        kind = unit_kind(self.unit)
        if kind == "memory":
            return format_bytes(value)
        if kind == "time":
            return format_seconds(value)
        return self.setting


def unit_kind(unit: str | None) -> Literal["memory", "time", "none"]:
    """Whether ``unit`` (as ``pg_settings`` spells it) measures memory, time or nothing."""
    match = _UNIT.fullmatch(unit or "")
    if match is None:
        return "none"
    if match.group(2) in _MEMORY_UNITS:
        return "memory"
    if match.group(2) in _TIME_UNITS:
        return "time"
    return "none"


def normalise(setting: str, unit: str | None) -> Value:
    """``pg_settings``' text and unit as bytes, seconds, a number or lower-cased text.

    The unit may carry a multiplier: ``shared_buffers`` is counted in ``8kB`` pages, so
    ``16384`` with unit ``8kB`` is 128 MiB; ``max_wal_size`` comes in ``MB``, ``checkpoint_timeout``
    in ``s``.
    """
    try:
        number = float(setting)
    except ValueError:
        return setting.strip().lower()
    match = _UNIT.fullmatch(unit or "")
    if match is None:
        return number
    count = int(match.group(1) or 1)
    if match.group(2) in _MEMORY_UNITS:
        return number * count * _MEMORY_UNITS[match.group(2)]
    if match.group(2) in _TIME_UNITS:
        return number * count * _TIME_UNITS[match.group(2)]
    return number


def format_bytes(size: float) -> str:
    """``134217728`` -> ``128MB``: the largest unit that divides exactly (a kB is 1024 bytes)."""
    for name in ("TB", "GB", "MB", "kB"):
        if size >= _MEMORY_UNITS[name] and size % _MEMORY_UNITS[name] == 0:
            return f"{int(size // _MEMORY_UNITS[name])}{name}"
    return f"{int(size)}B"


def format_seconds(seconds: float) -> str:
    """``300`` -> ``5min``: the largest unit that divides exactly."""
    for name in ("d", "h", "min", "s"):
        if seconds >= _TIME_UNITS[name] and seconds % _TIME_UNITS[name] == 0:
            return f"{int(seconds // _TIME_UNITS[name])}{name}"
    return f"{round(seconds * 1000)}ms"


Judge = Callable[[Mapping[str, Value]], bool]


def _below(name: str, limit: float) -> Judge:
    def is_off(values: Mapping[str, Value]) -> bool:
        value = values.get(name)
        return isinstance(value, float) and value < limit

    return is_off


def _above(name: str, limit: float) -> Judge:
    def is_off(values: Mapping[str, Value]) -> bool:
        value = values.get(name)
        return isinstance(value, float) and value > limit

    return is_off


def _is(name: str, word: str) -> Judge:
    return lambda values: values.get(name) == word


def _cache_below_twice_buffers(values: Mapping[str, Value]) -> bool:
    cache, buffers = values.get("effective_cache_size"), values.get("shared_buffers")
    return isinstance(cache, float) and isinstance(buffers, float) and cache < 2 * buffers


@dataclass(frozen=True)
class Recommendation:
    """One setting: what to set, why (a few words), and when a value is far from it."""

    name: str
    recommended: str
    why: str
    is_off: Judge
    level: Level = "warn"


RECOMMENDATIONS: tuple[Recommendation, ...] = (
    Recommendation(
        "shared_buffers",
        "about 25% of RAM, at least 1GB (lrs check cannot see the host's RAM)",
        "PostgreSQL's cache of statements and indexes",
        _below("shared_buffers", 1 * GB),
    ),
    Recommendation(
        "effective_cache_size",
        "50-75% of RAM, at least twice shared_buffers",
        "what the planner assumes is cached; too low and it shuns index scans",
        _cache_below_twice_buffers,
    ),
    Recommendation(
        "max_wal_size",
        "8GB-16GB for bulk loads, at least 4GB",
        "fewer checkpoints, so far less WAL while statements pour in",
        _below("max_wal_size", 4 * GB),
    ),
    Recommendation(
        "checkpoint_timeout",
        "15min, at least 5min",
        "after each checkpoint, writes log whole pages again",
        _below("checkpoint_timeout", 5 * 60),
    ),
    Recommendation(
        "checkpoint_completion_target",
        "0.9",
        "spreads a checkpoint's writes instead of bursting them",
        _below("checkpoint_completion_target", 0.9),
    ),
    Recommendation(
        "wal_compression",
        "lz4 (or on)",
        "compresses the full-page images that fill the WAL",
        _is("wal_compression", "off"),
    ),
    Recommendation(
        "synchronous_commit",
        "on",
        "off can lose statements already acknowledged to clients in a crash",
        _is("synchronous_commit", "off"),
    ),
    Recommendation(
        "fsync",
        "on",
        "off can corrupt the database in a power loss or OS crash",
        _is("fsync", "off"),
    ),
    Recommendation(
        "full_page_writes",
        "on",
        "off can leave torn, corrupt pages after a crash",
        _is("full_page_writes", "off"),
    ),
    Recommendation(
        "autovacuum",
        "on",
        "without it tables bloat, statistics go stale and transaction ids wrap around",
        _is("autovacuum", "off"),
        level="fail",
    ),
    Recommendation(
        "maintenance_work_mem",
        "512MB-1GB, at least 256MB",
        "index builds in migrations and vacuum run in this memory",
        _below("maintenance_work_mem", 256 * MB),
    ),
    Recommendation(
        "work_mem",
        "4MB (the default) or more",
        "below it, sorts for statement queries spill to disk",
        _below("work_mem", 4 * MB),
        level="note",
    ),
    Recommendation(
        "random_page_cost",
        "1.1 on SSD (keep 4 on spinning disks)",
        "on SSD an index read costs about what a sequential one does",
        _above("random_page_cost", 2),
        level="note",
    ),
    Recommendation(
        "jit",
        "off",
        "compiling Connection API filter queries takes longer than running them",
        _is("jit", "on"),
    ),
)

NAMES: tuple[str, ...] = tuple(recommendation.name for recommendation in RECOMMENDATIONS)


@dataclass(frozen=True)
class Finding:
    """A setting far from its recommendation, as one line for people."""

    name: str
    level: Level
    current: str
    recommended: str
    why: str

    def line(self) -> str:
        """``shared_buffers = 128MB; recommended about 25% of RAM, at least 1GB: <why>``."""
        return f"{self.name} = {self.current}; recommended {self.recommended}: {self.why}"


_READ = sa.text("SELECT name, setting, unit FROM pg_settings WHERE name = ANY(:names)")


def read_settings(connection: sa.Connection) -> dict[str, Setting]:
    """This session's values of the recommended settings (those the server has)."""
    rows = connection.execute(_READ, {"names": list(NAMES)})
    return {row.name: Setting(row.name, row.setting, row.unit) for row in rows}


def judge(settings: Mapping[str, Setting]) -> list[Finding]:
    """The settings far from their recommendation, in the table's order. A setting the server
    does not have (an older PostgreSQL, a build without JIT) is not judged."""
    values = {name: setting.value for name, setting in settings.items()}
    return [
        Finding(
            recommendation.name,
            recommendation.level,
            settings[recommendation.name].shown(),
            recommendation.recommended,
            recommendation.why,
        )
        for recommendation in RECOMMENDATIONS
        if recommendation.name in settings and recommendation.is_off(values)
    ]
