"""``MemoryState``: the lock and the dicts every part of ``MemoryStore`` reads and writes."""

from __future__ import annotations

import threading
from collections import defaultdict

from lrs.documents.model import Document
from lrs.store.memory.statement_index import _Statements
from lrs.store.models import ModelDocument


class MemoryState:
    """What every part of ``MemoryStore`` shares: one lock and the dicts it guards."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._models: dict[str, dict[str, ModelDocument]] = defaultdict(dict)
        self._client_ids_by_key: dict[str, str] = {}
        self._statements: dict[str, _Statements] = defaultdict(_Statements)
        # (lrs_id, kind, activity_id, agent) -> (registration, document id) -> document
        self._documents: dict[tuple[str, str, str, str], dict[tuple[str, str], Document]] = (
            defaultdict(dict)
        )
