"""The engine of ``PostgresStore``, its connections and transactions, and driver error translation.

Connection failures and timeouts become ``StoreUnavailable`` here (``_translated_errors``); a
deadlock or a serialization failure becomes ``_Retryable``, which a writer runs again up to
``_RETRIES`` times. A unique violation is translated where it arises: ``Conflict`` in ``models``,
``_Retryable`` in ``inserts``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import orjson
import psycopg
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg

from lrs.core.errors import StoreUnavailable

log = logging.getLogger(__name__)

# How many times a writer runs a transaction aborted by a deadlock (``_Retryable``).
_RETRIES = 4


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
        # No pre-ping round trip per checkout (several per request); connections are recycled
        # instead, and a dropped one fails its request with a 503 once.
        pool_recycle=1800,
        pool_use_lifo=True,  # the most recently used connection: its backend is warm
        # A driver error logged with its traceback must not carry bound values: they can be a
        # client's secret hash or a learner's data.
        hide_parameters=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        connect_args={
            # JIT compiles the jsonpath-heavy query-language SQL for seconds; plans here are
            # index scans that never gain from it.
            "options": (
                f"-c statement_timeout={int(statement_timeout_ms)} -c timezone=UTC -c jit=off"
            )
        },
    )


class PostgresBase:
    """What every part of ``PostgresStore`` shares: the engine, and connections and
    transactions on it whose driver errors come out translated (``_translated_errors``)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sa.Connection]:
        with _translated_errors(), self._engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        with _translated_errors(), self._engine.begin() as conn:
            yield conn


def _driver_sql(query: sa.TextClause) -> str:
    """``query`` with psycopg's ``%(name)s`` placeholders, to run on the driver connection.

    The insert path's few queries run there: SQLAlchemy's execution (compiled-cache look-up,
    parameter processing, result wrapping) cost as much client CPU as the rest of their round
    trips.
    """
    return str(query.compile(dialect=postgresql_psycopg.dialect()))


def _driver(conn: sa.Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under ``conn``, in ``conn``'s transaction."""
    dbapi = conn.connection.driver_connection
    assert isinstance(dbapi, psycopg.Connection)
    return dbapi


class _Retryable(StoreUnavailable):
    """The transaction was aborted by a deadlock or a serialization failure: run it again.

    Where no caller runs it again, it is a ``StoreUnavailable`` (503), never a 500.
    """

    def __init__(self) -> None:
        super().__init__("the database aborted the transaction (a deadlock); try again")


@contextlib.contextmanager
def _translated_errors() -> Iterator[None]:
    """Turn connection failures and timeouts into ``StoreUnavailable``."""
    try:
        yield
    except sa_exc.OperationalError as error:
        if isinstance(
            error.orig, psycopg.errors.DeadlockDetected | psycopg.errors.SerializationFailure
        ):
            raise _Retryable() from error
        log.warning("PostgreSQL unavailable: %s", error.orig)
        raise StoreUnavailable("the database is unavailable or the query timed out") from None
    except sa_exc.DBAPIError as error:
        if error.connection_invalidated:
            raise StoreUnavailable("the database connection was lost") from None
        raise
    # The same errors from queries run on the driver connection directly (``_driver``).
    except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure) as error:
        raise _Retryable() from error
    except psycopg.OperationalError as error:
        log.warning("PostgreSQL unavailable: %s", error)
        raise StoreUnavailable("the database is unavailable or the query timed out") from None
