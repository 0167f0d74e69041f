"""The date operators of a pipeline: parts of a date in a time zone, and ``$dateToString``.

A time zone is an IANA name (``Europe/London``) or a UTC offset (``+05:30``, ``-0700``,
``+03``), as MongoDB takes them; with none, UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lrs.core.errors import BadQuery

_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})?")


@lru_cache(maxsize=256)
def zone(name: str, where: str = "timezone") -> tzinfo:
    """The ``tzinfo`` of an IANA zone name or a ``±hh[:mm]`` offset; ``BadQuery`` otherwise."""
    match = _OFFSET.fullmatch(name)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta >= timedelta(hours=24):
            raise BadQuery(f"{where}: {name!r} is not a valid UTC offset", field=where)
        return timezone(-delta if sign == "-" else delta)
    if name.upper() in ("UTC", "GMT", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadQuery(
            f"{where}: unknown time zone {name!r} (an IANA name such as Europe/London, or an "
            "offset such as +05:30)",
            field=where,
        ) from None


def date_part(name: str, instant: datetime) -> int:
    """``$year``, ``$month``, ... of an instant already in its time zone."""
    if name == "$year":
        return instant.year
    if name == "$month":
        return instant.month
    if name == "$dayOfMonth":
        return instant.day
    if name == "$dayOfWeek":  # 1 = Sunday ... 7 = Saturday
        return instant.isoweekday() % 7 + 1
    if name == "$dayOfYear":
        return instant.timetuple().tm_yday
    if name == "$hour":
        return instant.hour
    if name == "$minute":
        return instant.minute
    if name == "$second":
        return instant.second
    if name == "$millisecond":
        return instant.microsecond // 1000
    if name == "$week":  # weeks start on Sunday; days before the year's first Sunday: week 0
        return int(instant.strftime("%U"))
    if name == "$isoWeek":
        return instant.isocalendar().week
    if name == "$isoWeekYear":
        return instant.isocalendar().year
    if name == "$isoDayOfWeek":
        return instant.isoweekday()
    raise AssertionError(name)


def _offset_minutes(instant: datetime) -> int:
    offset = instant.utcoffset() or timedelta()
    return int(offset.total_seconds() // 60)


def format_date(form: str, instant: datetime) -> str:
    """``$dateToString``'s rendering of an instant already in its time zone."""
    out: list[str] = []
    index = 0
    while index < len(form):
        char = form[index]
        if char != "%":
            out.append(char)
            index += 1
            continue
        code = form[index + 1]
        index += 2
        if code == "%":
            out.append("%")
        elif code == "Y":
            out.append(f"{instant.year:04d}")
        elif code == "G":
            out.append(f"{instant.isocalendar().year:04d}")
        elif code == "m":
            out.append(f"{instant.month:02d}")
        elif code == "d":
            out.append(f"{instant.day:02d}")
        elif code == "H":
            out.append(f"{instant.hour:02d}")
        elif code == "M":
            out.append(f"{instant.minute:02d}")
        elif code == "S":
            out.append(f"{instant.second:02d}")
        elif code == "L":
            out.append(f"{instant.microsecond // 1000:03d}")
        elif code == "j":
            out.append(f"{instant.timetuple().tm_yday:03d}")
        elif code == "w":
            out.append(str(instant.isoweekday() % 7 + 1))
        elif code == "u":
            out.append(str(instant.isoweekday()))
        elif code == "U":
            out.append(instant.strftime("%U"))
        elif code == "V":
            out.append(f"{instant.isocalendar().week:02d}")
        elif code == "z":
            minutes = _offset_minutes(instant)
            sign = "-" if minutes < 0 else "+"
            out.append(f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}")
        elif code == "Z":
            out.append(f"{_offset_minutes(instant):+d}")
    return "".join(out)
