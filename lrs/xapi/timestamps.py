"""xAPI Timestamps (xAPI-Data §4.5): recognise, parse to an instant, and format.

Accepted forms (ISO 8601 combined date and time, the RFC 3339 profile and its relatives):

* extended ``2024-05-01T12:30:00.123Z``, ``2024-05-01T12:30:00+02:00``, ``2024-05-01T12:30Z``;
* basic ``20240501T123000.123Z``, ``20240501T123000+0200``;
* any number of fraction digits after ``.`` or ``,`` (precision beyond microseconds is cut);
* offsets ``Z``, ``±hh:mm``, ``±hhmm``, ``±hh``; no offset at all is read as UTC.

Rejected: anything else, impossible dates or times, and the RFC 3339 "unknown local offset"
spellings ``-00``, ``-0000`` and ``-00:00``, which the ADL conformance suite requires an LRS to
refuse.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

__all__ = ["canonical_timestamp", "format_timestamp", "is_timestamp", "parse_timestamp"]

# What format_timestamp writes and most clients send; ``datetime.fromisoformat`` reads exactly
# this form (as UTC, the ``UTC`` singleton) several times faster than the general parser.
_CANONICAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_CANONICAL_LENGTH = 24

_EXTENDED = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?",
    re.ASCII,  # \d is 0-9 only: other scripts' digits are not ISO 8601
)
_BASIC = re.compile(
    r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?"
    r"(?:(Z)|([+-])(\d{2})(\d{2})?)?",
    re.ASCII,
)
_UTC_OFFSETS: dict[int, timezone] = {0: UTC}


def _offset(minutes: int) -> timezone:
    """A cached fixed-offset ``tzinfo`` for ``minutes`` east of UTC."""
    tz = _UTC_OFFSETS.get(minutes)
    if tz is None:
        tz = _UTC_OFFSETS.setdefault(minutes, timezone(timedelta(minutes=minutes)))
    return tz


def _is_canonical(value: str) -> bool:
    return len(value) == _CANONICAL_LENGTH and _CANONICAL.fullmatch(value) is not None


def _from_canonical(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:  # an impossible date or time
        return None


def parse_timestamp(value: str) -> datetime | None:
    """The aware UTC instant ``value`` denotes, or ``None`` when it is not an xAPI Timestamp."""
    if _is_canonical(value):
        return _from_canonical(value)
    # Storing a statement reads its timestamp three times (validation, the conflict hash, the
    # record); a small cache makes the second and third a lookup. Only short strings are kept,
    # so a client cannot pin large request values in memory through it.
    if len(value) <= _CACHED_LENGTH:
        return _parse_cached(value)
    return _parse(value)


_CACHED_LENGTH = 40


@lru_cache(maxsize=1024)
def _parse_cached(value: str) -> datetime | None:
    return _parse(value)


def _parse(value: str) -> datetime | None:
    match = _EXTENDED.fullmatch(value) or _BASIC.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, _zulu, sign, off_h, off_m = match.groups()
    if sign is not None:
        hours, minutes = int(off_h), int(off_m or 0)
        if sign == "-" and hours == 0 and minutes == 0:
            return None  # "-00", "-0000", "-00:00": RFC 3339 unknown local offset
        if hours > 23 or minutes > 59:
            return None
        total = hours * 60 + minutes
        tz = _offset(-total if sign == "-" else total)
    else:
        tz = UTC
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        instant = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            micro,
            tzinfo=tz,
        )
    except ValueError:
        return None
    if tz is UTC:
        return instant
    try:
        return instant.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59:59-05:00 is past datetime.max in UTC
        return None


def is_timestamp(value: str) -> bool:
    """True when ``value`` is an xAPI Timestamp (see the module docstring for the forms)."""
    return parse_timestamp(value) is not None


def canonical_timestamp(value: str) -> str | None:
    """``value`` as ``format_timestamp`` writes it, or ``None`` when it is not an xAPI Timestamp.

    Two timestamps denote the same instant to the millisecond when their canonical texts are
    equal; a value already in that form comes back as it is.
    """
    if _is_canonical(value):
        return value if _from_canonical(value) is not None else None
    instant = parse_timestamp(value)
    return None if instant is None else format_timestamp(instant)


def format_timestamp(instant: datetime) -> str:
    """``2024-05-01T12:30:00.123Z``: the instant in UTC with exactly three fraction digits.

    A naive ``datetime`` is taken to be in UTC. Sub-millisecond precision is truncated.
    """
    if instant.tzinfo is UTC:  # what parse_timestamp returns: no conversion needed
        return instant.isoformat(timespec="milliseconds")[:-6] + "Z"
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC).replace(tzinfo=None)
    return instant.isoformat(timespec="milliseconds") + "Z"
