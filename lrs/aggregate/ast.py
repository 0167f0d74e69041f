"""The typed form of an aggregation pipeline: stages, accumulators and expressions.

``parse.py`` builds it from Learning Locker's pipeline JSON; ``evaluate.py`` runs it. Values
are the query language's (``lrs.query.ast.Value``: JSON values plus aware ``datetime``), and a
``$match`` holds the query language's filter IR, so a pipeline means what a Connection filter
means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from lrs.query.ast import Filter, Path, Value

# --- expressions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldRef:
    """``"$a.b"``: the value at a path of the current document (``"$$ROOT"``: the document)."""

    path: Path


@dataclass(frozen=True, slots=True)
class Literal_:
    """A constant: a plain JSON value, or ``{"$literal": value}``."""

    value: Value


@dataclass(frozen=True, slots=True)
class ObjectExpr:
    """``{"a": <expr>, "b": <expr>}``: an object built from expressions, keys in order."""

    fields: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, slots=True)
class ArrayExpr:
    """``[<expr>, ...]``: an array built from expressions."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Op:
    """An operator applied to argument expressions: ``{"$add": [a, b]}``, ``{"$toLower": a}``."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class DatePart:
    """``{"$year": date}`` or ``{"$year": {"date": date, "timezone": zone}}`` and its kin."""

    name: str
    date: Expr
    timezone: Expr | None


@dataclass(frozen=True, slots=True)
class DateToString:
    """``{"$dateToString": {"format": ..., "date": ..., "timezone": ..., "onNull": ...}}``."""

    format: str
    date: Expr
    timezone: Expr | None
    on_null: Expr | None


Expr: TypeAlias = FieldRef | Literal_ | ObjectExpr | ArrayExpr | Op | DatePart | DateToString

# --- accumulators --------------------------------------------------------------------------

AccumulatorName: TypeAlias = Literal[
    "$sum", "$avg", "$min", "$max", "$first", "$last", "$push", "$addToSet"
]


@dataclass(frozen=True, slots=True)
class Accumulator:
    """One output field of a ``$group``: ``{"total": {"$sum": "$result.score.raw"}}``."""

    field: str
    name: AccumulatorName
    expr: Expr


# --- stages --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    """``$match``: keep the documents the filter matches."""

    condition: Filter


@dataclass(frozen=True, slots=True)
class Project:
    """``$project``: inclusion (paths kept, plus computed fields) or exclusion (paths dropped).

    ``keep_id`` says whether ``_id`` stays (it does unless ``_id: 0``)."""

    mode: Literal["include", "exclude"]
    paths: tuple[Path, ...]
    computed: tuple[tuple[Path, Expr], ...]
    keep_id: bool


@dataclass(frozen=True, slots=True)
class AddFields:
    """``$addFields`` / ``$set``: set fields to expressions, keeping the rest."""

    fields: tuple[tuple[Path, Expr], ...]


@dataclass(frozen=True, slots=True)
class Group:
    """``$group``: one output document per distinct ``_id`` value."""

    key: Expr
    accumulators: tuple[Accumulator, ...]


@dataclass(frozen=True, slots=True)
class Unwind:
    """``$unwind``: one document per element of the array at ``path``."""

    path: Path
    preserve_null_and_empty: bool
    index_field: str | None


@dataclass(frozen=True, slots=True)
class SortStage:
    """``$sort``: by paths, 1 ascending, -1 descending, MongoDB's type order."""

    keys: tuple[tuple[Path, int], ...]


@dataclass(frozen=True, slots=True)
class Skip:
    """``$skip``."""

    count: int


@dataclass(frozen=True, slots=True)
class Limit:
    """``$limit``."""

    count: int


@dataclass(frozen=True, slots=True)
class Count:
    """``$count``: one document ``{field: n}`` (none when no document reaches it)."""

    field: str


@dataclass(frozen=True, slots=True)
class SortByCount:
    """``$sortByCount``: ``$group`` by the expression with ``count``, sorted by it, descending."""

    key: Expr


@dataclass(frozen=True, slots=True)
class Sample:
    """``$sample``: ``size`` documents chosen at random."""

    size: int


Stage: TypeAlias = (
    Match | Project | AddFields | Group | Unwind | SortStage | Skip | Limit | Count | SortByCount
) | Sample


@dataclass(frozen=True, slots=True)
class Pipeline:
    """A parsed pipeline: its stages in order."""

    stages: tuple[Stage, ...]
