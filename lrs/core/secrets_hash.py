"""Hashing of client secrets: stored hashed, compared in constant time.

Secrets are random and long (160 bits), so a salted SHA-256 is enough; a slow password hash would
only cost every request time. The stored form is ``sha256$<salt hex>$<digest hex>``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_SCHEME = "sha256"


def hash_secret(secret: str) -> str:
    """Return the storable hash of ``secret`` with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hmac.new(salt, secret.encode(), hashlib.sha256).hexdigest()
    return f"{_SCHEME}${salt.hex()}${digest}"


def verify_secret(secret: str, stored_hash: str) -> bool:
    """True when ``secret`` matches ``stored_hash``; the comparison takes constant time."""
    try:
        scheme, salt_hex, digest_hex = stored_hash.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    if scheme != _SCHEME:
        return False
    candidate = hmac.new(salt, secret.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(candidate, digest_hex)
