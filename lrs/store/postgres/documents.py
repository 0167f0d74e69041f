"""State and profile documents in the ``documents`` table, each key's writers serialised by an
advisory lock.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from lrs.documents.model import Document, DocumentKey, DocumentScope, DocumentWrite, Precondition
from lrs.documents.rules import apply_write, check_precondition
from lrs.store.postgres.engine import PostgresBase
from lrs.store.schema import documents


class DocumentsMixin(PostgresBase):
    """State and profile documents: get, list, write and delete."""

    def get_document(self, key: DocumentKey) -> Document | None:
        """The document under this key, or None."""
        with self._connect() as conn:
            return self._select_document(conn, key)

    def list_document_ids(
        self, scope: DocumentScope, since: datetime | None = None
    ) -> list[tuple[str, datetime]]:
        """The scope's document ids and update times, by id."""
        query = (
            sa.select(documents.c.document_id, documents.c.updated)
            .where(*_scope_conditions(scope))
            .order_by(documents.c.document_id)
        )
        if since is not None:
            query = query.where(documents.c.updated > since)
        with self._connect() as conn:
            return [(row.document_id, row.updated.astimezone(UTC)) for row in conn.execute(query)]

    def write_document(self, key: DocumentKey, write: DocumentWrite, now: datetime) -> Document:
        """Lock the key (even when no row exists yet), apply the rules, upsert."""
        with self._transaction() as conn:
            _lock_document_key(conn, key)
            document = apply_write(key, self._select_document(conn, key), write, now)
            values = {
                "content": document.content,
                "content_type": document.content_type,
                "etag": document.etag,
                "updated": document.updated,
            }
            conn.execute(
                pg_insert(documents)
                .values(**_key_values(key), **values)
                .on_conflict_do_update(index_elements=list(_key_values(key)), set_=values)
            )
            return document

    def delete_document(self, key: DocumentKey, precondition: Precondition) -> bool:
        """Delete one document if the precondition holds."""
        with self._transaction() as conn:
            _lock_document_key(conn, key)
            check_precondition(self._select_document(conn, key), precondition)
            deleted = conn.execute(documents.delete().where(*_key_conditions(key)))
            return deleted.rowcount > 0

    def delete_documents(self, scope: DocumentScope) -> int:
        """Delete the scope's documents."""
        with self._transaction() as conn:
            return conn.execute(documents.delete().where(*_scope_conditions(scope))).rowcount

    @staticmethod
    def _select_document(conn: sa.Connection, key: DocumentKey) -> Document | None:
        row = conn.execute(sa.select(documents).where(*_key_conditions(key))).first()
        if row is None:
            return None
        return Document(
            key=key,
            content=bytes(row.content),
            content_type=row.content_type,
            etag=row.etag,
            updated=row.updated.astimezone(UTC),
        )


def _key_values(key: DocumentKey) -> dict[str, str]:
    scope = key.scope
    return {
        "lrs_id": scope.lrs_id,
        "kind": scope.kind.value,
        "activity_id": scope.activity_id,
        "agent": scope.agent,
        "registration": scope.registration or "",
        "document_id": key.document_id,
    }


def _key_conditions(key: DocumentKey) -> list[sa.ColumnElement[bool]]:
    return [documents.c[name] == value for name, value in _key_values(key).items()]


def _scope_conditions(scope: DocumentScope) -> list[sa.ColumnElement[bool]]:
    conditions = [
        documents.c.lrs_id == scope.lrs_id,
        documents.c.kind == scope.kind.value,
        documents.c.activity_id == scope.activity_id,
        documents.c.agent == scope.agent,
    ]
    if scope.registration is not None:
        conditions.append(documents.c.registration == scope.registration)
    return conditions


def _lock_document_key(conn: sa.Connection, key: DocumentKey) -> None:
    """Serialise writers of one key for the transaction, whether or not its row exists yet."""
    text = "\x1f".join(_key_values(key).values())
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(text, 0))))
