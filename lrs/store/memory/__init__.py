"""``MemoryStore``: the ``Store`` protocol over Python dicts guarded by one lock.

Documents are kept in their stored (Learning Locker) shape, exactly as ``PostgresStore`` keeps
them in JSONB, so both stores answer queries over the same data. Memory is per process: serve it
from a single gunicorn worker.

One module per concern, each ``MemoryStore``'s mixin for it (as in ``lrs.store.postgres``):

- ``state``: ``MemoryState``, the lock and the dicts every mixin shares
- ``tenancy``: organisations, stores and clients; the first-run bootstrap
- ``models``: REST v2 model documents
- ``statements``: xAPI statements: inserts, reads, listings, activity definitions
- ``statement_index``: ``_Statements``, one store's statements by id and in listing order
- ``statement_documents``: Learning Locker statement documents
- ``export``: streaming statement documents in ``(stored, _id)`` order
- ``documents``: state and profile documents
- ``attachments``: statement attachments
- ``aggregation``: aggregation pipelines, in the Python evaluator
- ``store``: ``MemoryStore`` itself
"""

from lrs.store.memory.store import MemoryStore

__all__ = ["MemoryStore"]
