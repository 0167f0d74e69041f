"""``PostgresStore``: the ``Store`` protocol over PostgreSQL with SQLAlchemy Core and psycopg 3.

Driver errors are translated here, and only here, into ``lrs.errors`` types: a unique violation
becomes ``Conflict``, a lost connection or a cancelled (timed out) query ``StoreUnavailable``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from lrs.errors import Conflict, NotFound, StoreUnavailable
from lrs.migrate import require_head
from lrs.store.models import Client, Document, Lrs, Organisation
from lrs.store.schema import models

log = logging.getLogger(__name__)

# Any constant works; it only has to be the same for every process bootstrapping one database.
_BOOTSTRAP_LOCK_KEY = 0x6C72_7300


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_engine(
    database_url: str, *, pool_size: int = 5, statement_timeout_ms: int = 10_000
) -> sa.Engine:
    """A pooled engine whose every connection has ``statement_timeout`` set."""
    return sa.create_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        connect_args={"options": f"-c statement_timeout={int(statement_timeout_ms)}"},
    )


class PostgresStore:
    """A ``Store`` on PostgreSQL; safe to share between threads of one process."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    @classmethod
    def from_url(
        cls, database_url: str, *, pool_size: int = 5, statement_timeout_ms: int = 10_000
    ) -> PostgresStore:
        """Build a store with its own engine."""
        engine = create_engine(
            database_url, pool_size=pool_size, statement_timeout_ms=statement_timeout_ms
        )
        return cls(engine)

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (for migrations and tests)."""
        return self._engine

    def ping(self) -> None:
        """Run ``SELECT 1``."""
        with self._connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def check_schema(self) -> None:
        """Raise ``SchemaNotCurrent`` unless the database is at the migration head."""
        with self._connect() as conn:
            require_head(conn)

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

    def reset(self) -> None:
        """Delete every row of every table."""
        with self._transaction() as conn:
            conn.execute(sa.text("TRUNCATE models"))

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

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
        conn: sa.Connection, model: str, doc: Document, organisation_id: str | None
    ) -> None:
        statement = models.insert().values(
            model=model,
            id=doc["_id"],
            organisation_id=organisation_id,
            doc=doc,
            created_at=sa.func.now(),
            updated_at=sa.func.now(),
        )
        try:
            conn.execute(statement)
        except sa_exc.IntegrityError as error:
            constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
            if constraint == "models_client_basic_key":
                raise Conflict("a client with this api.basic_key already exists") from None
            if constraint == "models_pkey":
                raise Conflict(f"a {model} with _id {doc['_id']} already exists") from None
            raise

    @staticmethod
    def _require(
        conn: sa.Connection, model: str, model_id: str, organisation_id: str | None
    ) -> None:
        query = sa.select(models.c.id).where(models.c.model == model, models.c.id == model_id)
        if organisation_id is not None:
            query = query.where(models.c.organisation_id == organisation_id)
        if conn.execute(query.with_for_update(read=True)).first() is None:
            where = f" in organisation {organisation_id}" if organisation_id else ""
            label = "store" if model == "lrs" else model
            raise NotFound(f"{label} {model_id} does not exist{where}")

    def _get(self, model: str, model_id: str) -> Document | None:
        query = sa.select(models.c.doc).where(models.c.model == model, models.c.id == model_id)
        with self._connect() as conn:
            return conn.execute(query).scalar()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sa.Connection]:
        with _translated_errors(), self._engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        with _translated_errors(), self._engine.begin() as conn:
            yield conn


@contextlib.contextmanager
def _translated_errors() -> Iterator[None]:
    """Turn connection failures and timeouts into ``StoreUnavailable``."""
    try:
        yield
    except sa_exc.OperationalError as error:
        log.warning("PostgreSQL unavailable: %s", error.orig)
        raise StoreUnavailable("the database is unavailable or the query timed out") from None
    except sa_exc.DBAPIError as error:
        if error.connection_invalidated:
            raise StoreUnavailable("the database connection was lost") from None
        raise
