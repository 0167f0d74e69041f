"""Request JSON (already decoded) → the IR of ``ast.py``, or ``BadQuery`` naming what is wrong.

Accepted filter operators, exactly: ``$eq $ne $gt $gte $lt $lte $in $nin $exists $regex``
(+ ``$options``) ``$not $and $or $nor $elemMatch $size $all``. Everything else, including
``$where``, ``$expr``, ``$function`` and ``$text``, is refused by name.

Learning Locker's rewrites are applied here, so both stores see the same IR: ``{"$oid": hex}``
and ``{"$dte": iso}`` values (``values.py``), ``&46;`` in path segments (``paths.py``), and the
schema's path aliases and date casting (``QuerySchema``: for statements,
``statement.timestamp``/``statement.stored`` become the top-level instants ``timestamp``/
``stored``, and strings compared with those become ``datetime``).

An all-digit path segment means what it means in MongoDB: in filters and sorts, a position in
an array (``"a.0"``) as well as a field name of an object (see ``evaluate.py``); in projections,
only a field name (MongoDB's find projection does not select array elements by position).

Refused on purpose because they cannot be translated exactly (documented differences from
MongoDB): range operators (``$gt``...) with an array or object operand, ``$regex`` outside the
subset of ``regex.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lrs.core.errors import BadQuery
from lrs.query.ast import (
    MATCH_ALL,
    And,
    ElemMatch,
    Eq,
    Exists,
    Filter,
    In,
    Nor,
    Not,
    Or,
    Path,
    Projection,
    Range,
    Regex,
    Size,
    Sort,
    SortKey,
    Value,
)
from lrs.query.paths import parse_path
from lrs.query.regex import translate
from lrs.query.values import cast_to_instant, normalize_value

MAX_DEPTH = 32
MAX_NODES = 2000
MAX_SORT_KEYS = 16
MAX_PROJECTION_FIELDS = 100
_MAX_SIZE = 2**31 - 1  # PostgreSQL compares array lengths as integers

_LOGICAL = ("$and", "$or", "$nor")
_FIELD_OPERATORS = frozenset(
    {
        "$eq",
        "$ne",
        "$gt",
        "$gte",
        "$lt",
        "$lte",
        "$in",
        "$nin",
        "$exists",
        "$regex",
        "$options",
        "$not",
        "$elemMatch",
        "$size",
        "$all",
    }
)
_CODE_OPERATORS = frozenset({"$where", "$expr", "$function", "$text", "$accumulator"})
_SORT_DIRECTIONS: dict[Any, int] = {
    1: 1,
    -1: -1,
    "asc": 1,
    "ascending": 1,
    "desc": -1,
    "descending": -1,
}


def _p(*segments: str) -> Path:
    return Path(segments)


@dataclass(frozen=True)
class QuerySchema:
    """What a collection's documents look like to the parser.

    ``aliases`` rename whole paths (filters and sorts); ``date_paths`` are paths whose values
    are instants, so string operands there are cast to ``datetime``.
    """

    aliases: Mapping[Path, Path] = field(default_factory=dict)
    date_paths: frozenset[Path] = frozenset()


STATEMENTS = QuerySchema(
    aliases={
        _p("statement", "timestamp"): _p("timestamp"),
        _p("statement", "stored"): _p("stored"),
    },
    date_paths=frozenset({_p("timestamp"), _p("stored")}),
)
"""The schema of statement records (Learning Locker's ``convertStatementTimestamp``)."""

PLAIN = QuerySchema()
"""No aliases, no date casting."""


class _Budget:
    """Counts nodes so a filter stays under ``MAX_NODES``."""

    def __init__(self, what: str) -> None:
        self.count = 0
        self.what = what

    def charge(self) -> None:
        self.count += 1
        if self.count > MAX_NODES:
            raise BadQuery(f"{self.what} is too large (more than {MAX_NODES} nodes)")


def parse_filter(raw: Any, schema: QuerySchema = STATEMENTS) -> Filter:
    """Parse a filter object (``{}`` matches everything)."""
    if not isinstance(raw, dict):
        raise BadQuery("filter must be a JSON object", field="filter")
    return _Parser(schema, _Budget("filter")).query(raw, depth=1, top=True)


class _Parser:
    def __init__(self, schema: QuerySchema, budget: _Budget) -> None:
        self.schema = schema
        self.budget = budget

    def query(self, raw: dict[str, Any], *, depth: int, top: bool) -> Filter:
        self._depth(depth)
        parts: list[Filter] = []
        for key, value in raw.items():
            self.budget.charge()
            if not isinstance(key, str):
                raise BadQuery(f"invalid filter key {key!r}")
            if key in _LOGICAL:
                parts.append(self.logical(key, value, depth=depth, top=top))
            elif key == "$comment":
                continue  # MongoDB's note on a query; Learning Locker's UI sends one per filter
            elif key.startswith("$"):
                raise _unknown(key)
            else:
                path = parse_path(key, what="filter path", allow_numeric=True)
                if top:
                    path = self.schema.aliases.get(path, path)
                parts.append(self.field(path, value, depth=depth + 1, top=top))
        return _and(parts)

    def logical(self, operator: str, value: Any, *, depth: int, top: bool) -> Filter:
        if not isinstance(value, list) or not value:
            raise BadQuery(f"{operator} needs a non-empty array of filter objects", field=operator)
        children: list[Filter] = []
        for item in value:
            if not isinstance(item, dict):
                raise BadQuery(f"{operator} needs a non-empty array of filter objects")
            children.append(self.query(item, depth=depth + 1, top=top))
        if operator == "$and":
            return _and(children)
        if operator == "$or":
            return Or(tuple(children))
        return Nor(tuple(children))

    def field(self, path: Path, value: Any, *, depth: int, top: bool) -> Filter:
        self._depth(depth)
        if _is_operator_object(value):
            return self.operators(path, value, depth=depth, top=top)
        return Eq(path, self.value(path, value, top=top))

    def operators(self, path: Path, raw: dict[str, Any], *, depth: int, top: bool) -> Filter:
        """Conditions of one operator object on ``path`` (ANDed)."""
        self._depth(depth)
        where = str(path) or "$elemMatch element"
        if not all(isinstance(key, str) and key.startswith("$") for key in raw):
            raise BadQuery(f"{where}: an operator object cannot also hold field names")
        if "$options" in raw and "$regex" not in raw:
            raise BadQuery(f"{where}: $options without $regex", field="$options")
        parts: list[Filter] = []
        for operator, argument in raw.items():
            self.budget.charge()
            if operator == "$options":
                continue
            parts.append(self.operator(path, operator, argument, raw, depth=depth + 1, top=top))
        return _and(parts)

    def operator(
        self, path: Path, op: str, arg: Any, siblings: dict[str, Any], *, depth: int, top: bool
    ) -> Filter:
        where = f"{op} on {path}" if path.segments else f"{op} in $elemMatch"
        if op == "$eq":
            return Eq(path, self.value(path, arg, top=top, where=where))
        if op == "$ne":
            return Not(Eq(path, self.value(path, arg, top=top, where=where)))
        if op in ("$gt", "$gte", "$lt", "$lte"):
            value = self.value(path, arg, top=top, where=where)
            if isinstance(value, list | dict):
                raise BadQuery(f"{where}: an array or object operand is not supported", field=op)
            return Range(path, op, value)  # type: ignore[arg-type]
        if op in ("$in", "$nin", "$all"):
            if not isinstance(arg, list):
                raise BadQuery(f"{where} needs an array", field=op)
            values = tuple(self.value(path, item, top=top, where=where) for item in arg)
            if op == "$in":
                return In(path, values)
            if op == "$nin":
                return Not(In(path, values))
            # $all: every value is present; an empty $all matches nothing, as in MongoDB.
            return And(tuple(Eq(path, value) for value in values)) if values else Or(())
        if op == "$exists":
            if not isinstance(arg, bool | int) or (isinstance(arg, int) and arg not in (0, 1)):
                raise BadQuery(f"{where} needs true or false", field=op)
            return Exists(path, bool(arg))
        if op == "$regex":
            options = siblings.get("$options", "")
            if not isinstance(arg, str) or not isinstance(options, str):
                raise BadQuery(f"{where} needs a string pattern and string $options", field=op)
            if "\x00" in arg:
                raise BadQuery(f"{where}: the pattern contains a NUL character", field=op)
            translation = translate(arg, options, path=str(path) or "$elemMatch element")
            return Regex(
                path,
                arg,
                options,
                translation.python,
                translation.python_flags,
                translation.postgres,
            )
        if op == "$not":
            if not _is_operator_object(arg) or not arg:
                raise BadQuery(f"{where} needs an object of operators", field=op)
            return Not(self.operators(path, arg, depth=depth, top=top))
        if op == "$size":
            if isinstance(arg, float) and arg.is_integer():
                arg = int(arg)
            if not isinstance(arg, int) or isinstance(arg, bool) or not 0 <= arg <= _MAX_SIZE:
                raise BadQuery(f"{where} needs an integer from 0 to {_MAX_SIZE}", field=op)
            return Size(path, arg)
        if op == "$elemMatch":
            return self.elem_match(path, arg, where=where, depth=depth)
        raise _unknown(op, path)

    def elem_match(self, path: Path, arg: Any, *, where: str, depth: int) -> Filter:
        if not isinstance(arg, dict) or not arg:
            raise BadQuery(f"{where} needs a non-empty object", field="$elemMatch")
        operator_keys = [key for key in arg if key.startswith("$") and key not in _LOGICAL]
        if len(operator_keys) == len(arg):
            condition = self.operators(Path(()), arg, depth=depth, top=False)
            return ElemMatch(path, condition, "value")
        if operator_keys:
            raise BadQuery(f"{where}: cannot mix operators and field names", field="$elemMatch")
        condition = self.query(arg, depth=depth, top=False)
        return ElemMatch(path, condition, "object")

    def value(self, path: Path, raw: Any, *, top: bool, where: str | None = None) -> Value:
        where = where or (str(path) or "$elemMatch element")
        value = normalize_value(raw, where=where, charge=self.budget.charge)
        if top and path in self.schema.date_paths:
            value = cast_to_instant(value, where=where)
        return value

    def _depth(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise BadQuery(f"filter is nested too deeply (more than {MAX_DEPTH} levels)")


def _is_operator_object(value: Any) -> bool:
    """An object whose first key is an operator (and not a ``$oid``/``$dte`` value)."""
    if not isinstance(value, dict) or not value:
        return False
    if len(value) == 1 and ("$oid" in value or "$dte" in value):
        return False
    first = next(iter(value))
    return isinstance(first, str) and first.startswith("$")


def _and(parts: list[Filter]) -> Filter:
    if not parts:
        return MATCH_ALL
    if len(parts) == 1:
        return parts[0]
    return And(tuple(parts))


def _unknown(operator: str, path: Path | None = None) -> BadQuery:
    where = f" on {path}" if path is not None and path.segments else ""
    if operator in _CODE_OPERATORS:
        return BadQuery(
            f"operator {operator}{where} is not supported (no server-side code or text search)",
            field=operator,
        )
    if operator in _FIELD_OPERATORS:
        return BadQuery(f"operator {operator} must be used on a field", field=operator)
    return BadQuery(f"unknown operator {operator}{where}", field=operator)


def parse_sort(raw: Any, schema: QuerySchema = STATEMENTS) -> Sort:
    """Parse a sort object ``{path: 1|-1, ...}`` (key order is sort order)."""
    if not isinstance(raw, dict):
        raise BadQuery("sort must be a JSON object of path: 1 or -1", field="sort")
    if len(raw) > MAX_SORT_KEYS:
        raise BadQuery(f"sort has more than {MAX_SORT_KEYS} keys", field="sort")
    keys: list[SortKey] = []
    seen: set[Path] = set()
    for raw_path, raw_direction in raw.items():
        path = parse_path(raw_path, what="sort path", allow_numeric=True)
        path = schema.aliases.get(path, path)
        direction = _direction(raw_direction, where=f"sort {raw_path}")
        if path in seen:
            raise BadQuery(f"sort names {raw_path} twice", field="sort")
        seen.add(path)
        keys.append(SortKey(path, direction))  # type: ignore[arg-type]
    return tuple(keys)


def _direction(raw: Any, *, where: str) -> int:
    if isinstance(raw, float) and raw in (1.0, -1.0):
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int | str) or raw not in _SORT_DIRECTIONS:
        raise BadQuery(f"{where}: direction must be 1 or -1, got {raw!r}")
    return _SORT_DIRECTIONS[raw]


def parse_projection(raw: Any) -> Projection:
    """Parse a projection: inclusion or exclusion (plus ``_id: 0``), ``"$path"`` renames.

    Nested objects are flattened (``{"a": {"b": 1}}`` is ``{"a.b": 1}``). An exclusion below an
    inclusion trims the included parent (``{"a": {"b": 0}, "c": 1}`` keeps ``a`` without ``b``,
    and ``c``); other mixes of inclusion and exclusion, path collisions, literal values and
    projection operators are refused.
    """
    if not isinstance(raw, dict):
        raise BadQuery("project must be a JSON object", field="project")
    entries = list(_flatten_projection(raw, prefix=()))
    if len(entries) > MAX_PROJECTION_FIELDS:
        raise BadQuery(f"project has more than {MAX_PROJECTION_FIELDS} fields", field="project")
    include: list[Path] = []
    exclude: list[Path] = []
    renames: list[tuple[Path, Path]] = []
    include_id = True
    id_included_explicitly = False
    for target, value, raw_key in entries:
        if isinstance(value, str):
            if not value.startswith("$") or len(value) < 2:
                raise BadQuery(
                    f'project {raw_key}: literal values are not supported (use 1, 0 or "$path")',
                    field=raw_key,
                )
            source = parse_path(value[1:], what="project source path", allow_numeric=True)
            renames.append((target, source))
            continue
        if isinstance(value, (bool, int | float)):
            included = bool(value)
        else:
            raise BadQuery(
                f'project {raw_key}: expected 1, 0, true, false or "$path", got {value!r}',
                field=raw_key,
            )
        if target == Path(("_id",)):
            include_id = included
            id_included_explicitly = included
            continue
        (include if included else exclude).append(target)
    trimmed: list[Path] = []
    if exclude and (include or renames):
        # Seed 001's form: an exclusion nested in an inclusion keeps its parent minus itself.
        if any(len(path.segments) < 2 for path in exclude):
            raise BadQuery(
                "project cannot mix inclusion and exclusion of top-level fields (except _id: 0)",
                field="project",
            )
        trimmed, exclude = exclude, []
        parents = list(dict.fromkeys(Path(path.segments[:-1]) for path in trimmed))
        _check_collisions([*include, *parents, *(target for target, _ in renames)])
        include = [*include, *parents]
    else:
        _check_collisions([*include, *exclude, *(target for target, _ in renames)])
    if include or renames or id_included_explicitly:
        return Projection(
            mode="include",
            paths=tuple(include),
            renames=tuple(renames),
            include_id=include_id,
            trimmed=tuple(trimmed),
        )
    if not include_id:
        exclude.append(Path(("_id",)))
    return Projection(mode="exclude", paths=tuple(exclude))


def _flatten_projection(
    raw: dict[str, Any], prefix: tuple[str, ...]
) -> list[tuple[Path, Any, str]]:
    entries: list[tuple[Path, Any, str]] = []
    for key, value in raw.items():
        if not isinstance(key, str):
            raise BadQuery(f"project key {key!r} is not a string", field="project")
        path = Path(prefix + parse_path(key, what="project path", allow_numeric=True).segments)
        if isinstance(value, dict):
            if not value or any(str(k).startswith("$") for k in value):
                raise BadQuery(
                    f"project {path}: projection operators and expressions are not supported",
                    field=str(path),
                )
            if len(path.segments) > 32:
                raise BadQuery(f"project {path} is nested too deeply", field=str(path))
            entries.extend(_flatten_projection(value, path.segments))
        else:
            entries.append((path, value, str(path)))
    return entries


def _check_collisions(paths: list[Path]) -> None:
    ordered = sorted(paths, key=lambda p: p.segments)
    for before, after in itertools.pairwise(ordered):
        if after.startswith(before):
            raise BadQuery(
                f"project has a path collision between {before} and {after}", field=str(after)
            )
