"""Statement attachments, kept per store by SHA-2 hash."""

from __future__ import annotations

from collections.abc import Iterable

from lrs.statements.record import (
    AttachmentContent,
)
from lrs.store.memory.state import MemoryState


class AttachmentsMixin(MemoryState):
    """``get_attachments``."""

    def get_attachments(self, lrs_id: str, hashes: Iterable[str]) -> dict[str, AttachmentContent]:
        """The stored attachments among these hashes."""
        with self._lock:
            statements = self._statements.get(lrs_id)
            if statements is None:
                return {}
            return {h: statements.attachments[h] for h in hashes if h in statements.attachments}
