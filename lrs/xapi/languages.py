"""Choosing one entry of a language map by an ``Accept-Language`` header (Communication 2.1.3.s4).

The header is read as RFC 2616 §14.4 defines it: comma-separated language ranges with optional
``;q=`` weights; a range matches a tag equal to it or starting with it followed by ``-``; ``*``
matches every tag; ``q=0`` means "not acceptable". Per map, the entry chosen is the one whose
longest matching range has the highest weight (ties: the map's order). When no entry matches, the
RFC 4647 "lookup" fallback is tried (``en-GB`` also accepts an ``en`` entry), and failing that the
map's first entry is returned, since a canonical map must keep exactly one language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

__all__ = ["LanguagePreferences", "choose_language", "parse_accept_language"]

#: ``(range, weight)`` pairs, lower-cased, highest weight first, zero weights kept (they exclude).
LanguagePreferences = tuple[tuple[str, float], ...]


@lru_cache(maxsize=256)
def parse_accept_language(header: str | None) -> LanguagePreferences:
    """Parse an ``Accept-Language`` value; malformed items are skipped, never an error."""
    if not header:
        return ()
    ranges: list[tuple[str, float, int]] = []
    for position, item in enumerate(header.split(",")):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        if not name:
            continue
        weight = 1.0
        params = params.strip()
        if params:
            key, _, value = params.partition("=")
            if key.strip().lower() != "q":
                continue
            try:
                weight = float(value.strip())
            except ValueError:
                continue
            if not 0 <= weight <= 1:
                continue
        ranges.append((name, weight, position))
    ranges.sort(key=lambda entry: (-entry[1], entry[2]))
    return tuple((name, weight) for name, weight, _ in ranges)


def _range_matches(language_range: str, tag: str) -> bool:
    """RFC 2616 basic filtering: equal, a ``-``-delimited prefix, or ``*``."""
    return (
        language_range == "*"
        or tag == language_range
        or (tag.startswith(language_range) and tag[len(language_range)] == "-")
    )


def _quality(tag: str, preferences: Sequence[tuple[str, float]]) -> float:
    """The weight of the longest range matching ``tag`` (``*`` is the shortest); 0 if none."""
    best_length, best_weight = -1, 0.0
    for language_range, weight in preferences:
        if _range_matches(language_range, tag):
            length = 0 if language_range == "*" else len(language_range)
            if length > best_length:
                best_length, best_weight = length, weight
    return best_weight


def choose_language(
    language_map: Mapping[str, str], preferences: LanguagePreferences
) -> str | None:
    """The key of ``language_map`` to keep for ``preferences``; ``None`` only for an empty map."""
    if not language_map:
        return None
    if preferences:
        best_key, best_weight = None, 0.0
        for key in language_map:
            weight = _quality(key.lower(), preferences)
            if weight > best_weight:
                best_key, best_weight = key, weight
        if best_key is not None:
            return best_key
        lowered = {key.lower(): key for key in language_map}
        for language_range, weight in preferences:
            if weight <= 0 or language_range == "*":
                continue
            candidate = language_range
            while "-" in candidate:
                candidate = candidate.rsplit("-", 1)[0]
                if candidate in lowered:
                    return lowered[candidate]
    return next(iter(language_map))
