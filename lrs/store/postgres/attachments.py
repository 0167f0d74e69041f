"""Statement attachments, one row per store and SHA-2 hash (``statement_attachments``)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from lrs.statements.record import AttachmentContent
from lrs.store.postgres.engine import PostgresBase
from lrs.store.schema import statement_attachments


class AttachmentsMixin(PostgresBase):
    """``get_attachments``."""

    def get_attachments(self, lrs_id: str, hashes: Iterable[str]) -> dict[str, AttachmentContent]:
        """The stored attachments among these hashes."""
        wanted = list(set(hashes))
        if not wanted:
            return {}
        query = sa.select(statement_attachments).where(
            statement_attachments.c.lrs_id == lrs_id,
            statement_attachments.c.sha2 == sa.any_(sa.literal(wanted, ARRAY(sa.Text))),
        )
        with self._connect() as conn:
            return {
                row.sha2: AttachmentContent(
                    sha2=row.sha2, content_type=row.content_type, content=bytes(row.content)
                )
                for row in conn.execute(query)
            }
