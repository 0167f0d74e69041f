"""What aggregation pipelines read on PostgreSQL: the fields of a statement document as SQL, over
``statements`` (every field) and over ``statement_facts`` (the few reports use, narrow rows),
and the query language's bindings for the leading ``$match`` on each.

The two must agree value for value: a group found over ``statement_facts`` is matched with the
``statements`` rows that give its ``$first``/``$last`` (migration 0018 fills ``statement_facts``
with the expressions written here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from lrs.aggregate.sql import StatementColumns
from lrs.models.query_params import filter_paths
from lrs.query import sql
from lrs.query.ast import Filter
from lrs.store.find import StatementScope
from lrs.store.postgres.statement_documents import _STATEMENT_DOCUMENT, STATEMENT_BINDING
from lrs.store.schema import statement_facts, statements


def _actor_path(*segments: str) -> sa.ColumnElement[Any]:
    path = sa.literal_column("'{" + ",".join(("actor", *segments)) + "}'::text[]")
    return statements.c.statement.op("#>>", return_type=sa.Text())(path)


def _actor_ifi() -> sa.ColumnElement[Any]:
    """The actor's IFI as ``lrs_ifi`` gives it (mbox, account, openid, then mbox_sha1sum),
    read straight from the statement: a stored actor has exactly one IFI, and an account both
    its parts, so the first one present is it. (``lrs_ifi`` copies the actor object for each of
    its tests, which a report over every statement pays a million times.)"""
    account = (
        _actor_path("account", "homePage").op("||")("|").op("||")(_actor_path("account", "name"))
    )
    return sa.func.coalesce(
        _actor_path("mbox"), account, _actor_path("openid"), _actor_path("mbox_sha1sum")
    )


def _person_id() -> sa.ColumnElement[Any]:
    return sa.func.to_jsonb(_actor_ifi())


def _person_display() -> sa.ColumnElement[Any]:
    name = statements.c.statement.op("#>", return_type=JSONB)(
        sa.literal_column("'{actor,name}'::text[]")
    )
    return sa.case(
        (_actor_ifi().is_(None), sa.null()),
        (sa.func.jsonb_typeof(name) == "string", name),
        else_=sa.func.to_jsonb(_actor_ifi()),
    )


def _person() -> sa.ColumnElement[Any]:
    return sa.case(
        (_actor_ifi().is_(None), sa.null()),
        else_=sa.func.jsonb_build_object("_id", _person_id(), "display", _person_display()),
    )


def _lookup(name: str) -> Callable[[], sa.ColumnElement[Any]]:
    return lambda: _STATEMENT_DOCUMENT.op("->", return_type=JSONB)(name)


def statement_columns() -> StatementColumns:
    """Every field of a statement document, from ``statements``."""
    return StatementColumns(
        fields={
            "_id": lambda: sa.func.to_jsonb(statements.c.id),
            "organisation": lambda: sa.func.to_jsonb(statements.c.organisation_id),
            "lrs_id": lambda: sa.func.to_jsonb(statements.c.lrs_id),
            "client": lambda: sa.func.to_jsonb(statements.c.client_id),
            "voided": lambda: sa.func.to_jsonb(statements.c.voided),
            "hash": lambda: sa.func.to_jsonb(statements.c.hash),
            "person": _person,
            **{
                name: _lookup(name)
                for name in (
                    "agents",
                    "relatedAgents",
                    "verbs",
                    "activities",
                    "relatedActivities",
                    "registrations",
                )
            },
        },
        statement=statements.c.statement,
        instants={"timestamp": statements.c.timestamp, "stored": statements.c.stored},
        order=(statements.c.stored, statements.c.id),
        subfields={("person", "_id"): _person_id, ("person", "display"): _person_display},
        texts={
            ("person", "_id"): _actor_ifi,
            ("_id",): lambda: statements.c.id,
            ("organisation",): lambda: statements.c.organisation_id,
            ("lrs_id",): lambda: statements.c.lrs_id,
            ("client",): lambda: statements.c.client_id,
            ("hash",): lambda: statements.c.hash,
            **{("statement", *path): _statement_text(path) for path in _STRING_PATHS},
        },
    )


#: Statement properties that are strings wherever a stored statement has them (the xAPI's
#: shape, checked when the statement was stored; ``null`` is refused outside extensions).
_STRING_PATHS: tuple[tuple[str, ...], ...] = tuple(
    tuple(path.split("."))
    for path in (
        "id",
        "version",
        "verb.id",
        "object.id",
        "object.objectType",
        "object.definition.type",
        "object.definition.moreInfo",
        "object.definition.interactionType",
        "context.registration",
        "context.platform",
        "context.language",
        "context.revision",
        "context.statement.id",
        "result.response",
        "result.duration",
        *(
            f"{role}.{name}"
            for role in ("actor", "object", "context.instructor", "context.team", "authority")
            for name in (
                "objectType",
                "name",
                "mbox",
                "mbox_sha1sum",
                "openid",
                "account.homePage",
                "account.name",
            )
        ),
    )
)


def _statement_text(path: tuple[str, ...]) -> Callable[[], sa.ColumnElement[Any]]:
    # Spelt as the filter indexes spell it (``COLLATE "C"``), so their statistics apply.
    literal = sa.literal_column("'{" + ",".join(path) + "}'::text[]")
    return lambda: sa.collate(statements.c.statement.op("#>>", return_type=sa.Text())(literal), "C")


def statement_binding() -> sql.TableBinding:
    """The Connection API's statement binding, plus ``person._id`` and ``person.display``."""
    typed = dict(STATEMENT_BINDING.typed)
    person = {
        "person._id": sql.TypedColumn(_actor_ifi(), "text"),
        "person.display": sql.TypedColumn(
            _person_display().op("#>>", return_type=sa.Text())(sa.literal_column("'{}'::text[]")),
            "text",
        ),
    }
    extra = sql.TableBinding.of(STATEMENT_BINDING.document, person).typed
    return sql.TableBinding(STATEMENT_BINDING.document, {**typed, **extra})


#: ``statement_facts`` columns by the document path they hold, ``text`` and ``jsonb``.
_FACT_TEXTS: dict[tuple[str, ...], sa.ColumnElement[Any]] = {
    ("_id",): statement_facts.c.id,
    ("organisation",): statement_facts.c.organisation_id,
    ("lrs_id",): statement_facts.c.lrs_id,
    ("person", "_id"): statement_facts.c.person,
    ("statement", "verb", "id"): statement_facts.c.verb,
    ("statement", "object", "id"): statement_facts.c.object,
    ("statement", "object", "objectType"): statement_facts.c.object_type,
    ("statement", "context", "platform"): statement_facts.c.platform,
}
_FACT_JSONS: dict[tuple[str, ...], sa.ColumnElement[Any]] = {
    ("statement", "result", "score", "scaled"): statement_facts.c.scaled,
    ("statement", "result", "score", "raw"): statement_facts.c.raw,
    ("statement", "result", "success"): statement_facts.c.success,
    ("statement", "result", "completion"): statement_facts.c.completion,
}


def _constant(column: sa.ColumnElement[Any]) -> Callable[[], sa.ColumnElement[Any]]:
    return lambda: column


def fact_columns() -> StatementColumns:
    """The fields ``statement_facts`` holds; any other is unavailable there."""
    return StatementColumns(
        fields={
            "_id": lambda: sa.func.to_jsonb(statement_facts.c.id),
            "organisation": lambda: sa.func.to_jsonb(statement_facts.c.organisation_id),
            "lrs_id": lambda: sa.func.to_jsonb(statement_facts.c.lrs_id),
            "voided": lambda: sa.func.to_jsonb(statement_facts.c.voided),
        },
        statement=None,
        instants={"timestamp": statement_facts.c.timestamp, "stored": statement_facts.c.stored},
        order=(statement_facts.c.stored, statement_facts.c.id),
        subfields={path: _constant(column) for path, column in _FACT_JSONS.items()},
        texts={path: _constant(column) for path, column in _FACT_TEXTS.items()},
    )


_FACT_BINDING = sql.TableBinding.of(
    sa.null(),
    {
        "timestamp": sql.TypedColumn(statement_facts.c.timestamp, "timestamptz", nullable=False),
        "stored": sql.TypedColumn(statement_facts.c.stored, "timestamptz", nullable=False),
        "voided": sql.TypedColumn(statement_facts.c.voided, "boolean", nullable=False),
        **{
            ".".join(path): sql.TypedColumn(
                column, "text", nullable=path not in (("_id",), ("organisation",), ("lrs_id",))
            )
            for path, column in _FACT_TEXTS.items()
        },
        **{
            ".".join(path): sql.TypedColumn(column, "jsonb") for path, column in _FACT_JSONS.items()
        },
    },
)


def fact_filter(scope: StatementScope, condition: Filter) -> list[sa.ColumnElement[bool]] | None:
    """The scope and the leading ``$match`` as a WHERE clause on ``statement_facts``, or None
    when either reads something it does not hold (a client's own statements, another path)."""
    if scope.client_id is not None:
        return None
    for path in filter_paths(condition):
        found = _FACT_BINDING.lookup(path)
        if found is None or (found[1] != path and found[0].kind != "jsonb"):
            return None
    conditions = [statement_facts.c.organisation_id == scope.organisation_id]
    if scope.lrs_id is not None:
        conditions.append(statement_facts.c.lrs_id == scope.lrs_id)
    return [*conditions, sql.where(condition, _FACT_BINDING)]
