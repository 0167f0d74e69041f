"""REST v2 model documents in the ``models`` table: find, count, get, put and delete, through the
query language's SQL translator (``MODEL_BINDING``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import insert as pg_insert

from lrs.core.errors import Conflict, StaleWrite, StoreUnavailable
from lrs.core.timeutil import from_iso, utc_now
from lrs.query import sql
from lrs.query.ast import Filter
from lrs.store.find import FindQuery, model_stored_form
from lrs.store.models import ModelDocument
from lrs.store.postgres.engine import _RETRIES, PostgresBase, _Retryable
from lrs.store.schema import models

log = logging.getLogger(__name__)


class ModelsMixin(PostgresBase):
    """REST v2 model documents, and the upsert every model row is written with."""

    def find_models(
        self, model: str, organisation_id: str | None, query: FindQuery
    ) -> list[dict[str, Any]]:
        """One SQL query through the query language's translator."""
        statement = sa.select(models.c.doc, models.c.created_at, models.c.updated_at).where(
            *_model_scope(model, organisation_id), sql.where(query.filter, MODEL_BINDING)
        )
        statement = _paged(statement, query, MODEL_BINDING)
        with self._connect() as conn:
            return [_model_view(row) for row in conn.execute(statement)]

    def count_models(self, model: str, organisation_id: str | None, condition: Filter) -> int:
        """``SELECT count(*)`` through the translator."""
        statement = (
            sa.select(sa.func.count())
            .select_from(models)
            .where(*_model_scope(model, organisation_id), sql.where(condition, MODEL_BINDING))
        )
        with self._connect() as conn:
            return int(conn.execute(statement).scalar_one())

    def get_model(
        self, model: str, organisation_id: str | None, model_id: str
    ) -> dict[str, Any] | None:
        """One document by ``_id`` within the organisation."""
        statement = sa.select(models.c.doc, models.c.created_at, models.c.updated_at).where(
            *_model_scope(model, organisation_id), models.c.id == model_id
        )
        with self._connect() as conn:
            row = conn.execute(statement).first()
        return _model_view(row) if row is not None else None

    def put_models(
        self,
        model: str,
        docs: Sequence[Mapping[str, Any]],
        *,
        expected_updated: Mapping[str, datetime | None] | None = None,
    ) -> None:
        """Upsert every document in one transaction.

        The rows are written in ``_id`` order, so concurrent writers of the same documents lock
        them in one order instead of deadlocking; a deadlock victim still is run again. With
        ``expected_updated`` the rows are locked first and their ``updated_at`` compared
        (``StaleWrite`` when one moved on).
        """
        stored = sorted((model_stored_form(dict(doc)) for doc in docs), key=lambda d: str(d["_id"]))
        for attempt in range(_RETRIES):
            try:
                with self._transaction() as conn:
                    if expected_updated:
                        self._check_unchanged(conn, model, expected_updated)
                    for doc in stored:
                        owner = doc["_id"] if model == "organisation" else doc.get("organisation")
                        self._upsert(conn, model, doc, owner)
                return
            except _Retryable:
                log.info("put_models retried after a deadlock (attempt %d)", attempt + 1)
        raise StoreUnavailable("the database kept aborting the write (deadlocks); try again")

    @staticmethod
    def _check_unchanged(
        conn: sa.Connection, model: str, expected_updated: Mapping[str, datetime | None]
    ) -> None:
        """Lock the rows (in ``_id`` order) and compare their ``updated_at`` with what the writer
        read."""
        rows = conn.execute(
            sa.select(models.c.id, models.c.updated_at)
            .where(models.c.model == model, models.c.id.in_(sorted(expected_updated)))
            .order_by(models.c.id)
            .with_for_update()
        ).all()
        current: dict[str, datetime | None] = {row.id: row.updated_at for row in rows}
        for model_id, updated in expected_updated.items():
            if current.get(model_id) != updated:
                raise StaleWrite(f"{model} {model_id} was changed by another request")

    def delete_model(self, model: str, organisation_id: str | None, model_id: str) -> bool:
        """Delete one document within the organisation."""
        with self._transaction() as conn:
            deleted = conn.execute(
                models.delete().where(
                    *_model_scope(model, organisation_id), models.c.id == model_id
                )
            )
            return deleted.rowcount > 0

    @staticmethod
    def _upsert(
        conn: sa.Connection,
        model: str,
        doc: ModelDocument,
        organisation_id: str | None,
        *,
        replace: bool = True,
    ) -> None:
        values = {
            "model": model,
            "id": doc["_id"],
            "organisation_id": organisation_id,
            "doc": doc,
            "created_at": _instant(doc.get("createdAt")),
            "updated_at": _instant(doc.get("updatedAt")),
        }
        statement = pg_insert(models).values(**values)
        if replace:
            statement = statement.on_conflict_do_update(
                index_elements=[models.c.model, models.c.id],
                set_={
                    "organisation_id": statement.excluded.organisation_id,
                    "doc": statement.excluded.doc,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        try:
            with conn.begin_nested():
                conn.execute(statement)
        except sa_exc.IntegrityError as error:
            constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
            if constraint == "models_client_basic_key":
                raise Conflict("a client with this api.basic_key already exists") from None
            if constraint == "models_pkey":
                raise Conflict(f"a {model} with _id {doc['_id']} already exists") from None
            raise


MODEL_BINDING = sql.TableBinding.of(
    models.c.doc,
    {
        "_id": sql.TypedColumn(models.c.id, "text", nullable=False),
        "createdAt": sql.TypedColumn(models.c.created_at, "timestamptz", nullable=False),
        "updatedAt": sql.TypedColumn(models.c.updated_at, "timestamptz", nullable=False),
    },
)


def _model_scope(model: str, organisation_id: str | None) -> list[sa.ColumnElement[bool]]:
    conditions = [models.c.model == model]
    if organisation_id is not None:
        # An organisation is its own tenant; rows written by ``add_organisation`` have no
        # ``organisation_id``, so match the id itself (as the memory store does).
        owner = models.c.id if model == "organisation" else models.c.organisation_id
        conditions.append(owner == organisation_id)
    return conditions


def _model_view(row: sa.Row[Any]) -> dict[str, Any]:
    view = dict(row.doc)
    view["createdAt"] = row.created_at.astimezone(UTC)
    view["updatedAt"] = row.updated_at.astimezone(UTC)
    return view


def _instant(value: object) -> datetime:
    return from_iso(value) if isinstance(value, str) else utc_now()


def _paged(
    statement: sa.Select[Any], query: FindQuery, binding: sql.TableBinding
) -> sa.Select[Any]:
    """Keyset position, order, skip and limit of a find, in SQL."""
    if query.position is not None:
        statement = statement.where(
            sql.keyset(
                query.sort,
                binding,
                query.position,
                after=not query.before,
                inclusive=query.inclusive,
            )
        )
    statement = statement.order_by(*sql.order_by(query.sort, binding, reverse=query.before))
    if query.skip:
        statement = statement.offset(query.skip)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return statement
