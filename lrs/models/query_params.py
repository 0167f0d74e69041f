"""REST v2 query parameters (express-restify-mongoose's): ``query``, ``sort``, ``select``,
``populate``, ``skip``, ``limit``, ``distinct``; any other parameter is ignored, as there.

``query`` is JSON read through the query language after Learning Locker's string sugar: a field
value ``"~re"`` is a case-insensitive regular expression, ``">x"``, ``">=x"``, ``"<x"``,
``"<=x"`` and ``"!=x"`` are ``$gt``/``$gte``/``$lt``/``$lte``/``$ne`` on ``x``, and an array is
``$in``. Where the model declares a number or boolean field, such strings are cast to it (as
Mongoose casts them). Paths that reach a hidden field (secret hashes, passwords) are refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from lrs.core.errors import BadQuery, BadRequest
from lrs.models.registry import Kind, ModelSpec
from lrs.query.ast import (
    KEEP_ALL,
    MATCH_ALL,
    And,
    ElemMatch,
    Filter,
    Nor,
    Not,
    Or,
    Path,
    Projection,
    Sort,
    SortKey,
)
from lrs.query.cursor import with_tiebreaker
from lrs.query.parse import STATEMENTS, QuerySchema, parse_filter, parse_projection, parse_sort
from lrs.query.paths import parse_path

DEFAULT_LIMIT = 100

MODELS_SCHEMA = QuerySchema(date_paths=frozenset({Path(("createdAt",)), Path(("updatedAt",))}))
"""Models keep ``createdAt``/``updatedAt`` as instants, so strings compared with them are cast."""


@dataclass(frozen=True)
class Populate:
    """One reference path to replace by the referenced document(s), optionally projected."""

    path: str
    select: Projection = KEEP_ALL


@dataclass(frozen=True)
class ListParams:
    """Everything ``GET /api/v2/<model>`` (and ``/count``, ``/:id``) reads from the URL."""

    filter: Filter = MATCH_ALL
    sort: Sort = (SortKey(Path(("_id",)), 1),)
    select: Projection = KEEP_ALL
    populate: tuple[Populate, ...] = ()
    skip: int = 0
    limit: int = DEFAULT_LIMIT
    distinct: Path | None = None


def schema_for(spec: ModelSpec) -> QuerySchema:
    """The query-language schema of a model's documents."""
    return STATEMENTS if spec.name == "statement" else MODELS_SCHEMA


def parse_list_params(
    spec: ModelSpec, params: Mapping[str, Any], *, max_limit: int, default_limit: int
) -> ListParams:
    """Read and validate the query parameters; ``BadRequest`` naming the one at fault."""
    for name in ("query", "sort", "select", "populate", "skip", "limit", "distinct"):
        if isinstance(params.get(name), list):
            raise BadRequest(f"{name}: the parameter is given more than once", field=name)
    return ListParams(
        filter=parse_query(spec, params.get("query")),
        sort=parse_sort_param(spec, params.get("sort")),
        select=parse_select(params.get("select")),
        populate=parse_populate(spec, params.get("populate")),
        skip=_integer(params, "skip", 0, minimum=0),
        limit=_limit(params, max_limit=max_limit, default_limit=default_limit),
        distinct=_distinct(spec, params.get("distinct")),
    )


def parse_query(spec: ModelSpec, raw: str | None) -> Filter:
    """The ``query`` parameter as a filter (``{}`` when absent)."""
    if raw is None or raw == "":
        return MATCH_ALL
    value = _json(raw, "query")
    if not isinstance(value, dict):
        raise BadRequest("query: must be a JSON object", field="query")
    with _named("query"):
        condition = parse_filter(_sugar(spec, value), schema_for(spec))
    refuse_hidden(spec, filter_paths(condition), "query")
    return condition


def parse_sort_param(spec: ModelSpec, raw: str | None) -> Sort:
    """``sort`` as JSON (``{"createdAt": -1}``) or Mongoose's ``-createdAt name``; ``_id`` last."""
    if raw is None or raw.strip() == "":
        return with_tiebreaker(())
    text = raw.strip()
    if text.startswith("{"):
        value = _json(text, "sort")
    else:
        value = {}
        for word in text.replace(",", " ").split():
            name = word.lstrip("+-")
            value[name] = -1 if word.startswith("-") else 1
    with _named("sort"):
        sort = parse_sort(value, schema_for(spec))
    refuse_hidden(spec, [key.path for key in sort], "sort")
    return with_tiebreaker(sort)


def parse_select(raw: str | None) -> Projection:
    """``select`` as a JSON projection or a comma list (``name,-password``)."""
    if raw is None or raw.strip() == "":
        return KEEP_ALL
    text = raw.strip()
    if text.startswith("{"):
        value = _json(text, "select")
    else:
        value = {}
        for word in text.replace(" ", ",").split(","):
            if word:
                value[word.lstrip("+-")] = 0 if word.startswith("-") else 1
    with _named("select"):
        return parse_projection(value)


def parse_populate(spec: ModelSpec, raw: str | None) -> tuple[Populate, ...]:
    """``populate`` as a comma list of reference paths, or JSON (a path, a list of paths, or
    ``{"path": ..., "select": ...}`` objects)."""
    if raw is None or raw.strip() == "":
        return ()
    text = raw.strip()
    items: list[Any]
    if text[0] in '[{"':
        value = _json(text, "populate")
        items = value if isinstance(value, list) else [value]
    else:
        items = [word for word in text.replace(" ", ",").split(",") if word]
    result: list[Populate] = []
    for item in items:
        if isinstance(item, str):
            path, select = item, None
        elif isinstance(item, dict) and isinstance(item.get("path"), str):
            path, select = item["path"], item.get("select")
        else:
            raise BadRequest(
                "populate: each entry must be a path or an object with a path", field="populate"
            )
        for one in path.replace(" ", ",").split(","):
            if not one:
                continue
            if one not in spec.refs:
                known = ", ".join(sorted(spec.refs)) or "none"
                raise BadRequest(
                    f"populate: {one!r} is not a reference of {spec.name} (references: {known})",
                    field="populate",
                )
            projection = (
                parse_select(select if isinstance(select, str) else orjson.dumps(select).decode())
                if select is not None
                else KEEP_ALL
            )
            result.append(Populate(one, projection))
    return tuple(result)


def _distinct(spec: ModelSpec, raw: str | None) -> Path | None:
    if raw is None or raw == "":
        return None
    with _named("distinct"):
        path = parse_path(raw, what="distinct path")
    refuse_hidden(spec, [path], "distinct")
    return path


def _limit(params: Mapping[str, Any], *, max_limit: int, default_limit: int) -> int:
    limit = _integer(params, "limit", default_limit, minimum=0)
    if limit == 0:
        return default_limit
    if limit > max_limit:
        raise BadRequest(
            f"limit: at most {max_limit} models per request; page with skip", field="limit"
        )
    return limit


_MAX_INTEGER = 2**63 - 1  # PostgreSQL's bigint (OFFSET and LIMIT)


def _integer(params: Mapping[str, Any], name: str, default: int, *, minimum: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    text = str(raw).strip()
    if not text.isascii() or not text.lstrip("-").isdigit():
        raise BadRequest(f"{name}: must be an integer, not {raw!r}", field=name)
    value = int(text)
    if value < minimum:
        raise BadRequest(f"{name}: must be at least {minimum}, not {value}", field=name)
    if value > _MAX_INTEGER:
        raise BadRequest(f"{name}: must be at most {_MAX_INTEGER}, not {value}", field=name)
    return value


def _json(raw: str, name: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest(f"{name}: must be valid JSON", field=name) from None


class _named:
    """Re-raise a ``BadQuery`` with the parameter's name in front and as its field."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, tb: object) -> None:
        if isinstance(error, BadQuery):
            raise BadQuery(f"{self.name}: {error.message}", field=self.name) from None


def _sugar(spec: ModelSpec, raw: dict[str, Any]) -> dict[str, Any]:
    """Apply express-restify-mongoose's string sugar and array → ``$in`` to a query object."""
    result: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("$and", "$or", "$nor") and isinstance(value, list):
            result[key] = [_sugar(spec, item) if isinstance(item, dict) else item for item in value]
        elif key.startswith("$"):
            result[key] = value
        elif isinstance(value, str):
            result[key] = _string_sugar(spec, key, value)
        elif isinstance(value, list):
            result[key] = {"$in": [_cast(spec, key, item) for item in value]}
        else:
            result[key] = value
    return result


_PREFIXES = ((">=", "$gte"), ("<=", "$lte"), ("!=", "$ne"), (">", "$gt"), ("<", "$lt"))


def _string_sugar(spec: ModelSpec, key: str, value: str) -> Any:
    if value.startswith("~"):
        return {"$regex": value[1:], "$options": "i"}
    for prefix, operator in _PREFIXES:
        if value.startswith(prefix):
            return {operator: _cast(spec, key, value[len(prefix) :])}
    return _cast(spec, key, value)


def _cast(spec: ModelSpec, key: str, value: Any) -> Any:
    """A string cast to the declared number/boolean type of a top-level field, when it fits."""
    declared = spec.field(key)
    if declared is None or not isinstance(value, str):
        return value
    if declared.kind in (Kind.NUMBER, Kind.INTEGER):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "." not in value else number
    if declared.kind is Kind.BOOLEAN and value in ("true", "false"):
        return value == "true"
    return value


def filter_paths(condition: Filter) -> list[Path]:
    """Every path a filter reads (paths under ``$elemMatch`` joined to their array's path)."""
    found: list[Path] = []

    def walk(node: Filter, prefix: tuple[str, ...]) -> None:
        if isinstance(node, And | Or | Nor):
            for child in node.children:
                walk(child, prefix)
        elif isinstance(node, Not):
            walk(node.child, prefix)
        elif isinstance(node, ElemMatch):
            path = prefix + node.path.segments
            found.append(Path(path))
            walk(node.condition, path)
        else:
            found.append(Path(prefix + node.path.segments))

    walk(condition, ())
    return found


def refuse_hidden(spec: ModelSpec, paths: Iterable[Path], parameter: str) -> None:
    """``BadRequest`` when a filter or sort reads a secret (it could be guessed bit by bit)."""
    for path in paths:
        for hidden in spec.hidden_paths:
            if path.startswith(hidden) or hidden.startswith(path):
                raise BadRequest(
                    f"{parameter}: {path} cannot be queried (it holds a secret)", field=parameter
                )
