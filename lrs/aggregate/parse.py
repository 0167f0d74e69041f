"""Learning Locker's aggregation pipeline JSON to the typed pipeline (``ast.py``).

Everything outside the supported subset is a ``BadQuery`` naming the stage or operator and
where it is (``pipeline[2].$group.total``). The pipeline is bounded: at most ``MAX_STAGES``
stages, expressions nested at most ``MAX_DEPTH`` levels, at most ``MAX_NODES`` nodes in all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from lrs.aggregate import ast
from lrs.core.errors import BadQuery
from lrs.query.ast import Path
from lrs.query.parse import PLAIN, STATEMENTS, parse_filter
from lrs.query.paths import parse_path
from lrs.query.values import normalize_value

MAX_STAGES = 50
MAX_DEPTH = 32
MAX_NODES = 10_000

#: Stages refused by name, with the reason the message gives.
_REFUSED_STAGES = {
    "$out": "it writes to a collection",
    "$merge": "it writes to a collection",
    "$lookup": "joins are not supported",
    "$graphLookup": "joins are not supported",
    "$unionWith": "it reads another collection",
    "$function": "it runs code",
    "$accumulator": "it runs code",
    "$where": "it runs code",
}
_REFUSED_OPERATORS = frozenset({"$function", "$accumulator", "$where", "$expr"})

# name -> (least, most) argument count; None: any number
_ARITY: dict[str, tuple[int, int | None]] = {
    "$eq": (2, 2),
    "$ne": (2, 2),
    "$gt": (2, 2),
    "$gte": (2, 2),
    "$lt": (2, 2),
    "$lte": (2, 2),
    "$cmp": (2, 2),
    "$and": (0, None),
    "$or": (0, None),
    "$not": (1, 1),
    "$add": (0, None),
    "$subtract": (2, 2),
    "$multiply": (0, None),
    "$divide": (2, 2),
    "$mod": (2, 2),
    "$abs": (1, 1),
    "$round": (1, 2),
    "$concat": (0, None),
    "$toLower": (1, 1),
    "$toUpper": (1, 1),
    "$substrCP": (3, 3),
    "$strLenCP": (1, 1),
    "$size": (1, 1),
    "$arrayElemAt": (2, 2),
    "$in": (2, 2),
    "$type": (1, 1),
    "$toString": (1, 1),
    "$ifNull": (2, None),
    "$cond": (3, 3),
}
DATE_PARTS = frozenset(
    {
        "$year",
        "$month",
        "$dayOfMonth",
        "$dayOfWeek",
        "$dayOfYear",
        "$hour",
        "$minute",
        "$second",
        "$millisecond",
        "$week",
        "$isoWeek",
        "$isoWeekYear",
        "$isoDayOfWeek",
    }
)
#: ``$dateToString`` format codes (MongoDB's).
DATE_FORMAT_CODES = frozenset("dGHjLmMSuUVwYZz%")
DEFAULT_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.%LZ"
_ACCUMULATORS = frozenset({"$sum", "$avg", "$min", "$max", "$first", "$last", "$push", "$addToSet"})
#: Stages after which documents no longer have the statement record's shape, so a later
#: ``$match`` or ``$sort`` no longer gets the ``statement.timestamp`` rewrite.
_RESHAPING = (ast.Project, ast.AddFields, ast.Group, ast.Unwind, ast.Count, ast.SortByCount)


class _Budget:
    def __init__(self) -> None:
        self.count = 0

    def charge(self) -> None:
        self.count += 1
        if self.count > MAX_NODES:
            raise BadQuery(f"pipeline: too large (more than {MAX_NODES} nodes)", field="pipeline")


def parse_pipeline(raw: Any) -> ast.Pipeline:
    """Parse a pipeline (a JSON array of one-key stage objects)."""
    if not isinstance(raw, list):
        raise BadQuery("pipeline: must be a JSON array of stages", field="pipeline")
    if len(raw) > MAX_STAGES:
        raise BadQuery(f"pipeline: {len(raw)} stages; the limit is {MAX_STAGES}", field="pipeline")
    budget = _Budget()
    stages: list[ast.Stage] = []
    for index, item in enumerate(raw):
        where = f"pipeline[{index}]"
        if not isinstance(item, dict) or len(item) != 1:
            raise BadQuery(f"{where}: a stage is an object with exactly one key", field=where)
        [(name, spec)] = item.items()
        shaped = any(isinstance(stage, _RESHAPING) for stage in stages)
        stages.append(_Stages(budget, f"{where}.{name}", shaped).stage(name, spec))
    return ast.Pipeline(tuple(stages))


class _Stages:
    def __init__(self, budget: _Budget, where: str, reshaped: bool) -> None:
        self.budget = budget
        self.where = where
        self.reshaped = reshaped
        self.exprs = _Expressions(budget)

    def fail(self, message: str) -> BadQuery:
        return BadQuery(f"{self.where}: {message}", field=self.where)

    def stage(self, name: str, spec: Any) -> ast.Stage:
        if name in _REFUSED_STAGES:
            raise self.fail(f"{name} is not supported: {_REFUSED_STAGES[name]}")
        handlers: dict[str, Callable[[Any], ast.Stage]] = {
            "$match": self._match,
            "$project": self._project,
            "$addFields": self._add_fields,
            "$set": self._add_fields,
            "$group": self._group,
            "$unwind": self._unwind,
            "$sort": self._sort,
            "$skip": self._skip,
            "$limit": self._limit,
            "$count": self._count,
            "$sortByCount": self._sort_by_count,
            "$sample": self._sample,
        }
        handler = handlers.get(name)
        if handler is None:
            raise self.fail(f"{name} is not a supported stage")
        return handler(spec)

    def _match(self, spec: Any) -> ast.Stage:
        if not isinstance(spec, dict):
            raise self.fail("takes a filter object")
        try:
            return ast.Match(parse_filter(spec, PLAIN if self.reshaped else STATEMENTS))
        except BadQuery as error:
            raise self.fail(error.message) from None

    def _project(self, spec: Any) -> ast.Stage:
        if not isinstance(spec, dict) or not spec:
            raise self.fail("takes a non-empty object of fields")
        keep_id = True
        included: list[Path] = []
        excluded: list[Path] = []
        computed: list[tuple[Path, ast.Expr]] = []
        for path, value in self._flatten(spec):
            if isinstance(value, bool) or (
                isinstance(value, int | float) and not isinstance(value, bool)
            ):
                if path.segments == ("_id",):
                    keep_id = bool(value)
                elif value:
                    included.append(path)
                else:
                    excluded.append(path)
            else:
                computed.append((path, self.exprs.parse(value, f"{self.where}.{path}", 1)))
        if excluded and (included or computed):
            raise self.fail("mixes inclusion and exclusion (only _id: 0 may be excluded)")
        if excluded or (not included and not computed and not keep_id):
            return ast.Project("exclude", tuple(excluded), (), keep_id)
        return ast.Project("include", tuple(included), tuple(computed), keep_id)

    def _add_fields(self, spec: Any) -> ast.Stage:
        if not isinstance(spec, dict) or not spec:
            raise self.fail("takes a non-empty object of fields")
        return ast.AddFields(
            tuple(
                (path, self.exprs.parse(value, f"{self.where}.{path}", 1))
                for path, value in self._flatten(spec)
            )
        )

    def _flatten(self, spec: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[Any]:
        """``{"a": {"b": 1}}`` as ``[(a.b, 1)]``; an operator object is a value, not a level."""
        out: list[Any] = []
        for key, value in spec.items():
            self.budget.charge()
            path = parse_path(key, what=f"{self.where} field", allow_numeric=True)
            segments = prefix + path.segments
            if isinstance(value, dict) and value and not any(k.startswith("$") for k in value):
                out.extend(self._flatten(value, segments))
            else:
                out.append((Path(segments), value))
        return out

    def _group(self, spec: Any) -> ast.Stage:
        if not isinstance(spec, dict) or "_id" not in spec:
            raise self.fail("needs an _id (null, a path, or an expression)")
        key = self.exprs.parse(spec["_id"], f"{self.where}._id", 1)
        accumulators = []
        for field, value in spec.items():
            if field == "_id":
                continue
            where = f"{self.where}.{field}"
            if "." in field or field.startswith("$") or not field:
                raise self.fail(f"{field!r} is not a valid output field name")
            if not isinstance(value, dict) or len(value) != 1:
                raise BadQuery(f"{where}: must be one accumulator, e.g. {{'$sum': 1}}", field=where)
            [(name, argument)] = value.items()
            if name not in _ACCUMULATORS:
                raise BadQuery(f"{where}: {name} is not a supported accumulator", field=where)
            accumulators.append(
                ast.Accumulator(field, name, self.exprs.parse(argument, f"{where}.{name}", 1))
            )
        return ast.Group(key, tuple(accumulators))

    def _unwind(self, spec: Any) -> ast.Stage:
        options: dict[str, Any] = {"path": spec} if isinstance(spec, str) else spec
        if not isinstance(options, dict) or not isinstance(options.get("path"), str):
            raise self.fail('takes "$path" or {"path": "$path", ...}')
        unknown = set(options) - {"path", "preserveNullAndEmptyArrays", "includeArrayIndex"}
        if unknown:
            raise self.fail(f"unknown option {sorted(unknown)[0]!r}")
        raw_path = options["path"]
        if not raw_path.startswith("$") or raw_path.startswith("$$"):
            raise self.fail(f"path must be a field path starting with $, got {raw_path!r}")
        preserve = options.get("preserveNullAndEmptyArrays", False)
        index_field = options.get("includeArrayIndex")
        if not isinstance(preserve, bool):
            raise self.fail("preserveNullAndEmptyArrays must be true or false")
        if index_field is not None and (
            not isinstance(index_field, str)
            or not index_field
            or index_field.startswith("$")
            or "." in index_field
        ):
            raise self.fail("includeArrayIndex must be a field name")
        path = parse_path(raw_path[1:], what=f"{self.where} path", allow_numeric=True)
        return ast.Unwind(path, preserve, index_field)

    def _sort(self, spec: Any) -> ast.Stage:
        if not isinstance(spec, dict) or not spec:
            raise self.fail("takes a non-empty object of paths and 1 or -1")
        keys = []
        for key, direction in spec.items():
            self.budget.charge()
            if direction not in (1, -1) or isinstance(direction, bool):
                raise self.fail(f"the direction of {key!r} must be 1 or -1")
            path = parse_path(key, what=f"{self.where} path", allow_numeric=True)
            if not self.reshaped:
                path = STATEMENTS.aliases.get(path, path)
            keys.append((path, int(direction)))
        return ast.SortStage(tuple(keys))

    def _count_argument(self, spec: Any, what: str) -> int:
        if isinstance(spec, bool) or not isinstance(spec, int | float) or spec < 0:
            raise self.fail(f"takes a non-negative integer ({what})")
        if isinstance(spec, float) and not spec.is_integer():
            raise self.fail(f"takes an integer ({what}), got {spec!r}")
        return int(spec)

    def _skip(self, spec: Any) -> ast.Stage:
        return ast.Skip(self._count_argument(spec, "documents to skip"))

    def _limit(self, spec: Any) -> ast.Stage:
        count = self._count_argument(spec, "documents to keep")
        if count == 0:
            raise self.fail("the limit must be positive")
        return ast.Limit(count)

    def _count(self, spec: Any) -> ast.Stage:
        if not isinstance(spec, str) or not spec or spec.startswith("$") or "." in spec:
            raise self.fail("takes the name of the output field")
        return ast.Count(spec)

    def _sort_by_count(self, spec: Any) -> ast.Stage:
        if isinstance(spec, dict) and not (len(spec) == 1 and next(iter(spec)).startswith("$")):
            raise self.fail("takes a field path or an operator expression")
        return ast.SortByCount(self.exprs.parse(spec, self.where, 1))

    def _sample(self, spec: Any) -> ast.Stage:
        if not isinstance(spec, dict) or set(spec) != {"size"}:
            raise self.fail('takes {"size": n}')
        size = self._count_argument(spec["size"], "size")
        return ast.Sample(size)


class _Expressions:
    def __init__(self, budget: _Budget) -> None:
        self.budget = budget

    def parse(self, raw: Any, where: str, depth: int) -> ast.Expr:
        """One expression."""
        self.budget.charge()
        if depth > MAX_DEPTH:
            raise BadQuery(f"{where}: expressions nest more than {MAX_DEPTH} levels", field=where)
        if isinstance(raw, str) and raw.startswith("$"):
            return self._field(raw, where)
        if isinstance(raw, list):
            return ast.ArrayExpr(tuple(self.parse(item, where, depth + 1) for item in raw))
        if isinstance(raw, dict):
            operators = [key for key in raw if isinstance(key, str) and key.startswith("$")]
            if not operators:
                return ast.ObjectExpr(
                    tuple(
                        (
                            self._field_name(key, where),
                            self.parse(value, f"{where}.{key}", depth + 1),
                        )
                        for key, value in raw.items()
                    )
                )
            if len(raw) != 1:
                raise BadQuery(
                    f"{where}: an operator object has exactly one key, got {sorted(raw)}",
                    field=where,
                )
            [(name, argument)] = raw.items()
            return self._operator(name, argument, f"{where}.{name}", depth)
        return ast.Literal_(self._literal(raw, where))

    def _literal(self, raw: Any, where: str) -> Any:
        if isinstance(raw, float) and not math.isfinite(raw):
            raise BadQuery(f"{where}: {raw!r} is not a JSON number", field=where)
        return raw

    @staticmethod
    def _field_name(key: Any, where: str) -> str:
        if not isinstance(key, str) or not key or "." in key or "\x00" in key:
            raise BadQuery(f"{where}: {key!r} is not a valid field name", field=where)
        return key

    @staticmethod
    def _field(raw: str, where: str) -> ast.FieldRef:
        if raw in ("$$ROOT", "$$CURRENT"):
            return ast.FieldRef(Path(()))
        if raw.startswith("$$ROOT.") or raw.startswith("$$CURRENT."):
            raw = "$" + raw.split(".", 1)[1]
        elif raw.startswith("$$"):
            raise BadQuery(f"{where}: variable {raw!r} is not supported", field=where)
        return ast.FieldRef(parse_path(raw[1:], what=f"{where} field path", allow_numeric=True))

    def _arguments(self, name: str, argument: Any, where: str, depth: int) -> list[ast.Expr]:
        raws = argument if isinstance(argument, list) else [argument]
        least, most = _ARITY[name]
        if len(raws) < least or (most is not None and len(raws) > most):
            wanted = f"{least}" if least == most else f"{least} or more"
            if most is not None and most != least:
                wanted = f"{least} to {most}"
            raise BadQuery(f"{where}: takes {wanted} arguments, got {len(raws)}", field=where)
        return [self.parse(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(raws)]

    def _operator(self, name: str, argument: Any, where: str, depth: int) -> ast.Expr:
        if name == "$literal":
            return ast.Literal_(argument)
        if name in ("$dte", "$oid"):  # Learning Locker's date and ObjectId literals
            return ast.Literal_(
                normalize_value({name: argument}, where=where, charge=self.budget.charge)
            )
        if name in _REFUSED_OPERATORS:
            raise BadQuery(f"{where}: {name} is not supported: it runs code", field=where)
        if name == "$cond" and isinstance(argument, dict):
            if set(argument) != {"if", "then", "else"}:
                raise BadQuery(f"{where}: takes if, then and else", field=where)
            argument = [argument["if"], argument["then"], argument["else"]]
        if name in _ARITY:
            return ast.Op(name, tuple(self._arguments(name, argument, where, depth)))
        if name in DATE_PARTS:
            return self._date_part(name, argument, where, depth)
        if name == "$dateToString":
            return self._date_to_string(argument, where, depth)
        raise BadQuery(f"{where}: {name} is not a supported operator", field=where)

    def _date_part(self, name: str, argument: Any, where: str, depth: int) -> ast.Expr:
        if isinstance(argument, list):
            if len(argument) != 1:
                raise BadQuery(f"{where}: takes one date", field=where)
            argument = argument[0]
        if isinstance(argument, dict) and "date" in argument:
            unknown = set(argument) - {"date", "timezone"}
            if unknown:
                raise BadQuery(f"{where}: unknown option {sorted(unknown)[0]!r}", field=where)
            timezone = argument.get("timezone")
            return ast.DatePart(
                name,
                self.parse(argument["date"], f"{where}.date", depth + 1),
                None if timezone is None else self.parse(timezone, f"{where}.timezone", depth + 1),
            )
        return ast.DatePart(name, self.parse(argument, where, depth + 1), None)

    def _date_to_string(self, argument: Any, where: str, depth: int) -> ast.Expr:
        if not isinstance(argument, dict) or "date" not in argument:
            raise BadQuery(f"{where}: takes {{'format': ..., 'date': ...}}", field=where)
        unknown = set(argument) - {"format", "date", "timezone", "onNull"}
        if unknown:
            raise BadQuery(f"{where}: unknown option {sorted(unknown)[0]!r}", field=where)
        form = argument.get("format", DEFAULT_DATE_FORMAT)
        if not isinstance(form, str):
            raise BadQuery(f"{where}.format: must be a string", field=f"{where}.format")
        check_date_format(form, f"{where}.format")
        timezone = argument.get("timezone")
        on_null = argument.get("onNull")
        return ast.DateToString(
            form,
            self.parse(argument["date"], f"{where}.date", depth + 1),
            None if timezone is None else self.parse(timezone, f"{where}.timezone", depth + 1),
            None if "onNull" not in argument else self.parse(on_null, f"{where}.onNull", depth + 1),
        )


def check_date_format(form: str, where: str) -> None:
    """Refuse a ``$dateToString`` format with an unknown ``%`` code."""
    index = 0
    while index < len(form):
        if form[index] == "%":
            code = form[index + 1 : index + 2]
            if code not in DATE_FORMAT_CODES or not code:
                raise BadQuery(f"{where}: unknown format code %{code} in {form!r}", field=where)
            index += 2
        else:
            index += 1
