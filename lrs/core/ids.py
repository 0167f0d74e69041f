"""Identifiers: ObjectId-style model ids, client keys and secrets.

Model and statement-record ids are 24 lowercase hex digits shaped like MongoDB's ObjectId, so they
are Learning Locker compatible: 4-byte seconds since the epoch, a 3-byte counter per process, and
5 random bytes drawn afresh for every id. Ids are time ordered (and, within a process, in creation
order) and never reused.

MongoDB's own layout puts a random part fixed per process before the counter, so the ids one
process hands out are neighbours: from one id of its own, a client could list the ids created
just before and after it for other tenants, and probe them (a ``PUT`` to an id held elsewhere
cannot create it). With 40 fresh random bits per id, an id can only be known, never guessed.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import threading
import time

_OBJECT_ID = re.compile(r"[0-9a-f]{24}")
_counter = itertools.count(int.from_bytes(os.urandom(3), "big"))
_lock = threading.Lock()


def new_object_id(now: float | None = None) -> str:
    """Return a new 24-hex ObjectId-style id (unique across processes and threads)."""
    seconds = int(time.time() if now is None else now) & 0xFFFFFFFF
    with _lock:
        count = next(_counter) & 0xFFFFFF
    return (seconds.to_bytes(4, "big") + count.to_bytes(3, "big") + secrets.token_bytes(5)).hex()


def is_object_id(value: object) -> bool:
    """True when ``value`` is a 24-hex ObjectId-style string."""
    return isinstance(value, str) and _OBJECT_ID.fullmatch(value) is not None


def new_client_key() -> str:
    """A random 40-hex Basic-auth key (Learning Locker's format)."""
    return secrets.token_hex(20)


def new_client_secret() -> str:
    """A random 40-hex Basic-auth secret (Learning Locker's format)."""
    return secrets.token_hex(20)
