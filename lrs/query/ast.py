"""The typed intermediate representation (IR) of the query language.

Parsing (``parse.py``) turns request JSON into these frozen dataclasses; ``evaluate.py`` runs them
in Python and ``sql.py`` turns them into SQLAlchemy Core expressions. Both backends take exactly
this IR, so there is one definition of what a query means.

Values inside the IR are plain Python values, treated as immutable: ``None``, ``bool``, ``int``,
``float``, ``str``, timezone-aware ``datetime`` (from ``{"$dte": ...}`` or a date-typed path),
``list`` and ``dict`` of those.

``$ne`` and ``$nin`` have no node of their own: they are ``Not(Eq(...))`` and ``Not(In(...))``,
which is exactly MongoDB's meaning (documents without the field match).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias

Scalar: TypeAlias = bool | int | float | str | datetime | None
Value: TypeAlias = Scalar | list["Value"] | dict[str, "Value"]

RangeOp: TypeAlias = Literal["$gt", "$gte", "$lt", "$lte"]
Direction: TypeAlias = Literal[1, -1]


@dataclass(frozen=True, slots=True)
class Path:
    """A validated field path: its segments after splitting on dots and decoding ``&46;``.

    The empty path ``Path(())`` only occurs inside a value-form ``$elemMatch``
    (``{"a": {"$elemMatch": {"$gt": 1}}}``): it names the array element itself, with no
    traversal and no array expansion.
    """

    segments: tuple[str, ...]

    def __str__(self) -> str:
        return ".".join(segment.replace(".", "&46;") for segment in self.segments)

    @property
    def is_element(self) -> bool:
        """True for the empty path of a value-form ``$elemMatch``."""
        return not self.segments

    def startswith(self, prefix: Path) -> bool:
        """True when ``prefix`` is this path or one of its ancestors."""
        return self.segments[: len(prefix.segments)] == prefix.segments


@dataclass(frozen=True, slots=True)
class Eq:
    """``{path: value}`` or ``{path: {"$eq": value}}``."""

    path: Path
    value: Value


@dataclass(frozen=True, slots=True)
class Range:
    """``$gt``/``$gte``/``$lt``/``$lte`` against a scalar (type-bracketed)."""

    path: Path
    op: RangeOp
    value: Scalar


@dataclass(frozen=True, slots=True)
class In:
    """``{path: {"$in": [values]}}``: equality with any of the values."""

    path: Path
    values: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Exists:
    """``{path: {"$exists": bool}}``."""

    path: Path
    exists: bool


@dataclass(frozen=True, slots=True)
class Regex:
    """``{path: {"$regex": pattern, "$options": options}}``, already checked and translated.

    ``python`` is the pattern for :mod:`re` (used with ``python_flags``); ``postgres`` is the same
    language in PostgreSQL's ARE dialect. See ``regex.py`` for the accepted subset.
    """

    path: Path
    pattern: str
    options: str
    python: str
    python_flags: int
    postgres: str


@dataclass(frozen=True, slots=True)
class Size:
    """``{path: {"$size": n}}``: an array with exactly ``n`` elements."""

    path: Path
    size: int


@dataclass(frozen=True, slots=True)
class ElemMatch:
    """``{path: {"$elemMatch": ...}}``: one element of an array satisfies all of ``condition``.

    ``mode`` is ``"value"`` when the operand holds operators (``{"$gt": 1, "$lt": 5}``): then
    ``condition`` is written on the empty path (the element itself). It is ``"object"`` when the
    operand is a query on the element's fields (``{"x": 1}``): then the element must be an object
    (an array element counts as an object with no named fields, as in MongoDB).
    """

    path: Path
    condition: Filter
    mode: Literal["value", "object"]


@dataclass(frozen=True, slots=True)
class Not:
    """Logical negation (``$not``, and ``$ne``/``$nin`` as ``Not(Eq)``/``Not(In)``)."""

    child: Filter


@dataclass(frozen=True, slots=True)
class And:
    """All children match (``$and``, ``$all``, and several conditions in one object)."""

    children: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one child matches (``$or``)."""

    children: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Nor:
    """No child matches (``$nor``)."""

    children: tuple[Filter, ...]


Filter: TypeAlias = Eq | Range | In | Exists | Regex | Size | ElemMatch | Not | And | Or | Nor

MATCH_ALL: Filter = And(())


@dataclass(frozen=True, slots=True)
class SortKey:
    """One key of a sort: ascending (1) or descending (-1)."""

    path: Path
    direction: Direction


Sort: TypeAlias = tuple[SortKey, ...]


@dataclass(frozen=True, slots=True)
class Projection:
    """A find projection.

    ``mode`` is ``"include"`` (only the named paths, plus ``_id`` unless ``include_id`` is false,
    plus the renamed fields) or ``"exclude"`` (everything but the named paths). ``paths`` are the
    included or excluded paths; ``renames`` maps a new field path to a source path
    (``{"userId": "$statement.actor.account.name"}``). The empty projection keeps everything.
    """

    mode: Literal["include", "exclude"]
    paths: tuple[Path, ...] = ()
    renames: tuple[tuple[Path, Path], ...] = ()
    include_id: bool = True
    #: In an inclusion, sub-paths removed from an included path: ``{"statement.verb":
    #: {"display": 0}, "statement.object.id": 1}`` (seed 001) keeps ``statement.verb`` without
    #: ``display``. Each one's parent is in ``paths``.
    trimmed: tuple[Path, ...] = ()


KEEP_ALL = Projection(mode="exclude")


@dataclass(frozen=True, slots=True)
class Hint:
    """A validated index hint: a key pattern, an index name, or ``{"$natural": 1|-1}``.

    Hints never change results; see ``hints.py``.
    """

    keys: Sort = ()
    name: str | None = None
    natural: Direction | None = None
