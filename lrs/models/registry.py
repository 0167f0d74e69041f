"""The REST v2 models and their declared fields (Learning Locker's schemas, research §5).

A body field that a model does not declare is ignored, as is a read-only one (seed 003); a
declared field of the wrong type is a 400 naming it (``lrs.models.validate``). ``hidden`` fields
(password hashes, secret hashes) are never returned and can be neither filtered, sorted nor
selected on. ``ref`` names the model a field points at, for ``populate``.

``store`` is kept in the models table under Learning Locker's name ``lrs`` (``table``) and is
also reachable as ``/api/v2/lrs``; ``statement`` lives in the statements table and is read,
counted and deleted only.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from lrs.query.ast import Path


class Kind(enum.StrEnum):
    """What a field holds."""

    STRING = "a string"
    BOOLEAN = "true or false"
    NUMBER = "a number"
    INTEGER = "an integer"
    OBJECT_ID = "a 24-character hexadecimal id"
    DATETIME = "an ISO 8601 date-time"
    OBJECT = "an object"
    ARRAY = "an array"
    ANY = "any JSON value"
    JSON_TEXT = "JSON (an object, an array, or a string holding JSON)"


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True)
class Field:
    """One declared field of a model.

    ``items`` is the element kind of an ``ARRAY``; ``ref`` the model an id (or, for an array,
    each id) points at; ``choices`` the allowed strings; ``parse_output`` returns a
    ``JSON_TEXT`` field parsed (Learning Locker's getters for ``authority`` and ``conditions``).
    ``write_only`` fields are taken from bodies but never returned (``user.password``, stored
    hashed) and are kept when an overwrite omits them.
    """

    name: str
    kind: Kind
    required: bool = False
    default: Any = NO_DEFAULT
    read_only: bool = False
    hidden: bool = False
    write_only: bool = False
    items: Kind | None = None
    ref: str | None = None
    choices: tuple[str, ...] = ()
    parse_output: bool = False

    @property
    def has_default(self) -> bool:
        """True when the field has a default value."""
        return self.default is not NO_DEFAULT


@dataclass(frozen=True)
class ModelSpec:
    """One model: its REST name, its name in the models table, its fields and verbs."""

    name: str
    table: str
    fields: tuple[Field, ...]
    verbs: frozenset[str] = frozenset()
    writable: bool = True
    by_name: Mapping[str, Field] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    def field(self, name: str) -> Field | None:
        """The declared field called ``name``, or None."""
        return self.by_name.get(name)

    @property
    def hidden_paths(self) -> tuple[Path, ...]:
        """Paths never returned nor queryable."""
        paths = [Path((f.name,)) for f in self.fields if f.hidden or f.write_only]
        if self.name == "client":
            paths.append(Path(("api", "basic_secret_hash")))
        return tuple(paths)

    @property
    def refs(self) -> dict[str, Field]:
        """Fields that reference another model, by name (the paths ``populate`` accepts)."""
        return {f.name: f for f in self.fields if f.ref is not None}


def _s(name: str, **kw: Any) -> Field:
    return Field(name, Kind.STRING, **kw)


def _b(name: str, default: bool = False, **kw: Any) -> Field:
    return Field(name, Kind.BOOLEAN, default=default, **kw)


def _id(name: str, ref: str, **kw: Any) -> Field:
    return Field(name, Kind.OBJECT_ID, ref=ref, **kw)


def _arr(name: str, items: Kind = Kind.ANY, **kw: Any) -> Field:
    return Field(name, Kind.ARRAY, items=items, default=kw.pop("default", []), **kw)


def _obj(name: str, **kw: Any) -> Field:
    return Field(name, Kind.OBJECT, **kw)


def _dt(name: str, **kw: Any) -> Field:
    return Field(name, Kind.DATETIME, **kw)


_COMMON = (
    Field("_id", Kind.OBJECT_ID, read_only=True),
    Field("organisation", Kind.OBJECT_ID, read_only=True, ref="organisation"),
    _dt("createdAt", read_only=True),
    _dt("updatedAt", read_only=True),
)

DEFAULT_AUTHORITY = {
    "objectType": "Agent",
    "name": "New Client",
    "mbox": "mailto:hello@learninglocker.net",
}

# Learning Locker's default export projection (every column from the statement).
DEFAULT_EXPORT_PROJECTION = (
    '{"_id":1,"version":"$statement.version","id":"$statement.id",'
    '"timestamp":"$statement.timestamp","stored":"$statement.stored",'
    '"actor":"$statement.actor","verb":"$statement.verb","object":"$statement.object",'
    '"result":"$statement.result","authority":"$statement.authority",'
    '"context":"$statement.context"}'
)

# Learning Locker's role scopes (lib/constants/orgScopes.js).
ROLE_SCOPES: frozenset[str] = frozenset(
    [
        *(
            f"org/{who}/{what}/{how}"
            for who in ("public", "all")
            for what in ("dashboard", "visualisation", "journey", "statementForwarding")
            for how in ("view", "edit")
        ),
        *(
            f"org/all/{what}/{how}"
            for what in ("query", "export", "download")
            for how in ("view", "edit")
        ),
        *(
            f"org/all/{what}/manage"
            for what in ("persona", "store", "user", "client", "role", "activity")
        ),
        "dashboard/shareable/view",
    ]
)


def _spec(
    name: str, *fields: Field, table: str | None = None, verbs: tuple[str, ...] = ()
) -> ModelSpec:
    return ModelSpec(
        name=name, table=table or name, fields=(*_COMMON, *fields), verbs=frozenset(verbs)
    )


_VISUALISATION_STRINGS = (
    "description",
    "type",
    "timezone",
    "axes",
    "axesgroup",
    "axesxLabel",
    "axesxValue",
    "axesxOperator",
    "axesxQuery",
    "oldAxesxQuery",
    "axesyLabel",
    "axesyValue",
    "axesyOperator",
    "axesyQuery",
    "oldAxesyQuery",
    "axesvalue",
    "axesquery",
    "axesoperator",
    "sourceView",
    "contextLabel",
    "suggestedStep",
)

MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "client",
            _s("title", default="New Client"),
            Field("api", Kind.OBJECT, read_only=True),
            Field(
                "authority",
                Kind.JSON_TEXT,
                default=orjson.dumps(DEFAULT_AUTHORITY).decode(),
                parse_output=True,
            ),
            _b("isTrusted", default=True),
            _id("lrs_id", "store", default=None),
            _arr("scopes", Kind.STRING),
            verbs=("regenerate",),
        ),
        _spec(
            "dashboard",
            _s("title", default="New Dashboard"),
            _id("owner", "user"),
            _b("isPublic"),
            _b("hasBeenMigrated"),
            _s("type"),
            _arr("widgets", Kind.OBJECT),
            _arr("shareable", Kind.OBJECT),
        ),
        _spec(
            "download",
            _id("owner", "user"),
            _b("isReady", read_only=True),
            _dt("time", read_only=True),
            _s("name", default="Download"),
            _s("url", read_only=True),
            _obj("upload", read_only=True),
            _s("pipelines", read_only=True),
            _id("export", "export", read_only=True),
            Field("content", Kind.STRING, hidden=True, read_only=True),
            _b("isPublic"),
        ),
        _spec(
            "export",
            _s("name", default="New Export"),
            _id("owner", "user"),
            _arr("projections", Kind.JSON_TEXT, default=[DEFAULT_EXPORT_PROJECTION]),
            _id("query", "query", default=None),
            _s("type"),
            _b("rawMode"),
            _arr("downloads", Kind.OBJECT_ID, ref="download", read_only=True),
            _b("isPublic"),
            verbs=("download",),
        ),
        _spec(
            "journey",
            _s("description"),
            _id("owner", "user"),
            _b("isActive"),
            _arr("sources", Kind.OBJECT_ID, ref="store"),
            _arr("waypoints", Kind.OBJECT),
            _arr("outcomes", Kind.OBJECT),
            _b("isSequential"),
            _b("isRepeatable"),
            _s("trackBy", default="actor", choices=("actor",)),
            _s("recalculateStatus"),
            _b("isPublic"),
        ),
        _spec(
            "journeyprogress",
            _id("journey", "journey", required=True),
            _obj("owner"),
            _obj("pendingProgress", default={}),
            _arr("completions", Kind.OBJECT),
            _dt("startedAt"),
            _b("isCompleted"),
            _dt("completedAt"),
            Field("duration", Kind.NUMBER),
            _s("lockKey"),
        ),
        _spec(
            "organisation",
            _s("name", required=True),
            _s("logoPath"),
            _obj("logo"),
            _arr("customColors", Kind.STRING),
            _id("parent", "organisation"),
            _id("owner", "user"),
            _dt("expiration", read_only=True),
            _s("timezone"),
            _obj("settings"),
            _obj("usageStats", read_only=True),
            _obj("expirationNotifications", read_only=True),
        ),
        _spec("persona", _s("name", default=""), verbs=("merge",)),
        _spec(
            "personaidentifier",
            _id("persona", "persona", required=True),
            _obj("ifi", required=True),
            _b("locked"),
            _dt("lockedAt"),
        ),
        _spec(
            "query",
            _s("name", default="New Query"),
            _id("owner", "user"),
            Field("conditions", Kind.JSON_TEXT, default="{}", parse_output=True),
            Field("oldConditions", Kind.JSON_TEXT),
            _b("isPublic"),
            _b("hasBeenMigrated"),
        ),
        _spec(
            "role",
            _s("title", default="New Role"),
            _s("description", default=""),
            _id("owner_id", "user"),
            _arr("scopes", Kind.STRING),
        ),
        _spec(
            "store",
            _s("title", required=True),
            _s("description", default=""),
            _id("owner_id", "user"),
            Field("statementCount", Kind.INTEGER, default=0, read_only=True),
            table="lrs",
        ),
        _spec(
            "user",
            _s("name", default=""),
            _s("email", required=True),
            _s("imageUrl"),
            _s("googleId", read_only=True),
            Field("password", Kind.STRING, write_only=True),
            _b("verified"),
            _arr("scopes", Kind.STRING, read_only=True),
            _arr("organisations", Kind.OBJECT_ID, ref="organisation", read_only=True),
            _arr("organisationSettings", Kind.OBJECT),
            _id("ownerOrganisation", "organisation", read_only=True),
            _obj("ownerOrganisationSettings"),
            _obj("settings"),
            _b("hasBeenMigrated"),
            _arr("resetTokens", hidden=True, read_only=True),
            _arr("passwordHistory", hidden=True, read_only=True),
            _dt("authLastAttempt", read_only=True),
            Field("authFailedAttempts", Kind.INTEGER, read_only=True),
            _dt("authLockoutExpiry", read_only=True),
        ),
        _spec(
            "visualisation",
            *(_s(name) for name in _VISUALISATION_STRINGS),
            _id("owner", "user"),
            _b("isPublic"),
            _b("stacked", default=True),
            _b("trendLines"),
            _b("isDonut"),
            Field("barChartGroupingLimit", Kind.INTEGER, default=10),
            _b("showStats", default=True),
            _b("statsAtBottom"),
            _arr("filters", Kind.JSON_TEXT),
            _arr("oldFilters", Kind.JSON_TEXT),
            _s("previewPeriod", default="LAST_7_DAYS"),
            _b("benchmarkingEnabled"),
            _arr("statementContents", Kind.OBJECT),
            _b("hasBeenMigrated"),
        ),
        ModelSpec(
            name="statement",
            table="statement",
            fields=(
                Field("_id", Kind.OBJECT_ID, read_only=True),
                Field("organisation", Kind.OBJECT_ID, read_only=True, ref="organisation"),
                Field("lrs_id", Kind.OBJECT_ID, read_only=True, ref="store"),
                Field("client", Kind.OBJECT_ID, read_only=True, ref="client"),
            ),
            writable=False,
        ),
    )
}

ALIASES: dict[str, str] = {"lrs": "store"}


def model_named(name: str) -> ModelSpec | None:
    """The model a REST path segment names (case-insensitive, ``lrs`` for ``store``), or None."""
    lowered = name.lower()
    return MODELS.get(ALIASES.get(lowered, lowered))
