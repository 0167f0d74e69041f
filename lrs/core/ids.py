"""Identifiers: ObjectId-style model ids, client keys and secrets.

Model and statement-record ids are 24 lowercase hex digits laid out like MongoDB's ObjectId
(4-byte seconds since the epoch, 5 random bytes fixed per process, 3-byte counter), so ids are
time ordered, Learning Locker compatible, and never reused.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import threading
import time

_OBJECT_ID = re.compile(r"[0-9a-f]{24}")
_process_random = os.urandom(5)
_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
_lock = threading.Lock()


def _new_process_random() -> None:
    """A forked process (a gunicorn worker) must not share its parent's random part."""
    global _process_random
    _process_random = os.urandom(5)


os.register_at_fork(after_in_child=_new_process_random)


def new_object_id(now: float | None = None) -> str:
    """Return a new 24-hex ObjectId-style id (unique across processes and threads)."""
    seconds = int(time.time() if now is None else now) & 0xFFFFFFFF
    with _lock:
        count = next(_counter) & 0xFFFFFF
    return (seconds.to_bytes(4, "big") + _process_random + count.to_bytes(3, "big")).hex()


def is_object_id(value: object) -> bool:
    """True when ``value`` is a 24-hex ObjectId-style string."""
    return isinstance(value, str) and _OBJECT_ID.fullmatch(value) is not None


def new_client_key() -> str:
    """A random 40-hex Basic-auth key (Learning Locker's format)."""
    return secrets.token_hex(20)


def new_client_secret() -> str:
    """A random 40-hex Basic-auth secret (Learning Locker's format)."""
    return secrets.token_hex(20)
