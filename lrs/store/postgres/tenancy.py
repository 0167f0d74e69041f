"""Organisations, stores (``lrs``) and clients in the ``models`` table, and the first-run bootstrap
(``add_tenant_if_empty``).
"""

from __future__ import annotations

import sqlalchemy as sa

from lrs.core.errors import NotFound
from lrs.store.models import Client, Lrs, ModelDocument, Organisation
from lrs.store.postgres.engine import PostgresBase
from lrs.store.postgres.models import ModelsMixin
from lrs.store.schema import models

# Any constant works; it only has to be the same for every process bootstrapping one database.
_BOOTSTRAP_LOCK_KEY = 0x6C72_7300


class TenancyMixin(PostgresBase):
    """Organisations, stores and clients: adding, reading and the bootstrap."""

    def has_organisations(self) -> bool:
        """True when at least one organisation exists."""
        query = sa.select(sa.exists().where(models.c.model == "organisation"))
        with self._connect() as conn:
            return bool(conn.execute(query).scalar())

    def add_organisation(self, organisation: Organisation) -> None:
        """Persist a new organisation."""
        with self._transaction() as conn:
            self._insert(conn, "organisation", organisation.to_document(), None)

    def get_organisation(self, organisation_id: str) -> Organisation | None:
        """The organisation with this id, or None."""
        doc = self._get("organisation", organisation_id)
        return Organisation.from_document(doc) if doc else None

    def add_lrs(self, lrs: Lrs) -> None:
        """Persist a new store under an existing organisation."""
        with self._transaction() as conn:
            self._add_lrs(conn, lrs)

    def get_lrs(self, lrs_id: str) -> Lrs | None:
        """The store with this id, or None."""
        doc = self._get("lrs", lrs_id)
        return Lrs.from_document(doc) if doc else None

    def list_lrs(self, organisation_id: str) -> list[Lrs]:
        """The organisation's stores, oldest first."""
        query = (
            sa.select(models.c.doc)
            .where(models.c.model == "lrs", models.c.organisation_id == organisation_id)
            .order_by(models.c.id)
        )
        with self._connect() as conn:
            return [Lrs.from_document(doc) for doc in conn.execute(query).scalars()]

    def add_client(self, client: Client) -> None:
        """Persist a new client with a unique Basic-auth key."""
        with self._transaction() as conn:
            self._add_client(conn, client)

    def get_client(self, client_id: str) -> Client | None:
        """The client with this id, or None."""
        doc = self._get("client", client_id)
        return Client.from_document(doc) if doc else None

    def get_client_by_key(self, basic_key: str) -> Client | None:
        """The client holding this Basic-auth key, or None (uses the unique key index)."""
        query = sa.select(models.c.doc).where(
            models.c.model == "client",
            models.c.doc.op("#>>")(sa.literal_column("'{api,basic_key}'")) == basic_key,
        )
        with self._connect() as conn:
            doc = conn.execute(query).scalar()
        return Client.from_document(doc) if doc else None

    def add_tenant_if_empty(self, organisation: Organisation, lrs: Lrs, client: Client) -> bool:
        """Add all three in one transaction, serialised by an advisory lock, if no org exists."""
        with self._transaction() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_BOOTSTRAP_LOCK_KEY)))
            exists = conn.execute(
                sa.select(sa.exists().where(models.c.model == "organisation"))
            ).scalar()
            if exists:
                return False
            self._insert(conn, "organisation", organisation.to_document(), None)
            self._add_lrs(conn, lrs)
            self._add_client(conn, client)
            return True

    def _add_lrs(self, conn: sa.Connection, lrs: Lrs) -> None:
        self._require(conn, "organisation", lrs.organisation_id, None)
        self._insert(conn, "lrs", lrs.to_document(), lrs.organisation_id)

    def _add_client(self, conn: sa.Connection, client: Client) -> None:
        self._require(conn, "organisation", client.organisation_id, None)
        if client.lrs_id is not None:
            self._require(conn, "lrs", client.lrs_id, client.organisation_id)
        self._insert(conn, "client", client.to_document(), client.organisation_id)

    @staticmethod
    def _insert(
        conn: sa.Connection, model: str, doc: ModelDocument, organisation_id: str | None
    ) -> None:
        ModelsMixin._upsert(conn, model, doc, organisation_id, replace=False)

    @staticmethod
    def _require(
        conn: sa.Connection,
        model: str,
        model_id: str,
        organisation_id: str | None,
        *,
        lock: bool = True,
    ) -> None:
        query = sa.select(models.c.id).where(models.c.model == model, models.c.id == model_id)
        if organisation_id is not None:
            query = query.where(models.c.organisation_id == organisation_id)
        if lock:
            query = query.with_for_update(read=True)
        if conn.execute(query).first() is None:
            where = f" in organisation {organisation_id}" if organisation_id else ""
            label = "store" if model == "lrs" else model
            raise NotFound(f"{label} {model_id} does not exist{where}")

    def _get(self, model: str, model_id: str) -> ModelDocument | None:
        query = sa.select(models.c.doc).where(models.c.model == model, models.c.id == model_id)
        with self._connect() as conn:
            return conn.execute(query).scalar()
