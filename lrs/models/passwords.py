"""User passwords: bcrypt (Learning Locker's choice), so hashes move between the two systems.

Unlike client secrets (random and long, ``lrs.core.secrets_hash``), passwords are chosen by
people and need a slow, salted hash.
"""

from __future__ import annotations

import bcrypt

from lrs.core.errors import BadRequest

ROUNDS = 12
MAX_BYTES = 72  # bcrypt ignores (newer versions refuse) anything past 72 bytes


def hash_password(password: str, where: str = "password") -> str:
    """The bcrypt hash of ``password``; ``BadRequest`` naming ``where`` when it cannot be one."""
    encoded = password.encode()
    if not encoded:
        raise BadRequest(f"{where}: cannot be empty", field=where)
    if len(encoded) > MAX_BYTES:
        raise BadRequest(f"{where}: at most {MAX_BYTES} bytes (UTF-8)", field=where)
    return bcrypt.hashpw(encoded, bcrypt.gensalt(rounds=ROUNDS)).decode()


def verify_password(password: str, stored_hash: str) -> bool:
    """True when ``password`` matches ``stored_hash``."""
    try:
        return bcrypt.checkpw(password.encode(), stored_hash.encode())
    except ValueError:
        return False
