"""Field paths as clients write them: split on dots, then decode ``&46;`` inside each segment.

Learning Locker stores extension keys with their dots and has clients write a dot inside one path
segment as ``&46;`` (``statement.context.extensions.http://www&46;example&46;com/x``). We split
first and decode after, so a decoded dot never starts a new segment.
"""

from __future__ import annotations

from lrs.core.errors import BadQuery
from lrs.query.ast import Path

MAX_SEGMENTS = 32
MAX_SEGMENT_LENGTH = 512
DOT = "&46;"
MAX_POSITION_DIGITS = 9
"""Longer all-digit segments are only field names: no JSON array here has a billion elements."""


def array_position(segment: str) -> int | None:
    """The array position an all-digit path segment names, or None when it names none.

    MongoDB compares the segment with an array element's field name, which is its index written
    in decimal: ``"0"`` and ``"12"`` are positions, ``"01"`` and ``"-1"`` never are (they stay
    field names). Segments of more than ``MAX_POSITION_DIGITS`` digits are never positions.
    """
    if (
        not segment.isascii()
        or not segment.isdigit()
        or len(segment) > MAX_POSITION_DIGITS
        or (segment[0] == "0" and segment != "0")
    ):
        return None
    return int(segment)


def parse_path(raw: str, *, what: str = "path", allow_numeric: bool = False) -> Path:
    """Validate and split a dotted path.

    Rejected: empty segments, a segment starting with ``$``, NUL, segments longer than
    ``MAX_SEGMENT_LENGTH``, more than ``MAX_SEGMENTS`` segments, and (unless ``allow_numeric``)
    all-digit segments. Filters, sorts, projections and hints allow them: an all-digit segment is
    a field name of an object and, where :func:`array_position` says so, a position in an array
    (see ``evaluate.py``); only callers that have no meaning for it (``distinct``) refuse it.
    """
    if not isinstance(raw, str) or not raw:
        raise BadQuery(f"{what} {raw!r} is not a non-empty string", field=str(raw))
    if "\x00" in raw:
        raise BadQuery(f"{what} {raw!r} contains a NUL character", field=raw)
    parts = raw.split(".")
    if len(parts) > MAX_SEGMENTS:
        raise BadQuery(f"{what} {raw!r} has more than {MAX_SEGMENTS} segments", field=raw)
    segments: list[str] = []
    for part in parts:
        if not part:
            raise BadQuery(f"{what} {raw!r} has an empty segment", field=raw)
        if part.startswith("$"):
            raise BadQuery(
                f"{what} {raw!r}: unknown operator or invalid field name {part!r}", field=raw
            )
        segment = part.replace(DOT, ".")
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise BadQuery(
                f"{what} {raw!r} has a segment longer than {MAX_SEGMENT_LENGTH} characters",
                field=raw,
            )
        if not allow_numeric and segment.isascii() and segment.isdigit():
            raise BadQuery(
                f"{what} {raw!r}: numeric segment {segment!r} (array positions) is not supported",
                field=raw,
            )
        segments.append(segment)
    return Path(tuple(segments))
