"""Basic authentication: an ``Authorization`` header to the client, its organisation and store."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from lrs.core.errors import Forbidden, Unauthorized
from lrs.core.secrets_hash import hash_secret, verify_secret
from lrs.store.base import Store
from lrs.store.models import Client, Lrs, Organisation
from lrs.tenancy.scopes import Access, allows, reads_only_own_statements

# Compared against when the key is unknown, so a wrong key costs the same time as a wrong secret.
_DUMMY_HASH = hash_secret("no such client")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the client and the tenant it belongs to."""

    client: Client
    organisation: Organisation
    lrs: Lrs | None

    def require(self, access: Access) -> None:
        """Raise ``Forbidden`` unless the client's scopes grant ``access``."""
        if not allows(self.client.scopes, access):
            raise Forbidden(
                f"this client's scopes ({', '.join(self.client.scopes) or 'none'}) "
                f"do not allow it to {access.value}"
            )

    @property
    def reads_only_own_statements(self) -> bool:
        """True when statement reads must be limited to this client's own statements."""
        return reads_only_own_statements(self.client.scopes)


def parse_basic(header: str | None) -> tuple[str, str]:
    """Split ``Basic base64(key:secret)`` into key and secret; ``Unauthorized`` when malformed."""
    if not header:
        raise Unauthorized("the Authorization header is missing; send Basic credentials")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized("the Authorization header must use the Basic scheme")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("the Authorization header is not valid base64 of key:secret") from None
    key, separator, secret = decoded.partition(":")
    if not separator or not key:
        raise Unauthorized("the Authorization header is not valid base64 of key:secret")
    return key, secret


def authenticate(store: Store, header: str | None, now: datetime) -> Principal:
    """Resolve Basic credentials to a ``Principal``.

    ``Unauthorized`` for missing, malformed or wrong credentials, or a client whose organisation
    or store is gone; ``Forbidden`` for a disabled client (``isTrusted: false``) or an expired
    organisation.
    """
    key, secret = parse_basic(header)
    client = store.get_client_by_key(key)
    if not verify_secret(secret, client.secret_hash if client else _DUMMY_HASH) or client is None:
        raise Unauthorized("the key or secret in the Authorization header is wrong")
    organisation = store.get_organisation(client.organisation_id)
    lrs = store.get_lrs(client.lrs_id) if client.lrs_id else None
    if organisation is None or (client.lrs_id and lrs is None):
        raise Unauthorized("this client's organisation or store no longer exists")
    if not client.is_trusted:
        raise Forbidden("this client is disabled (isTrusted is false)")
    if organisation.expiration is not None and organisation.expiration <= now:
        raise Forbidden("this client's organisation has expired")
    return Principal(client=client, organisation=organisation, lrs=lrs)


class PrincipalCache:
    """Verified credentials, remembered for a few seconds so a busy client costs no store
    lookups per request.

    Entries are keyed by an HMAC of key and secret under a random per-process key, so the clear
    secret is never kept. A revoked, disabled or changed client stops working within ``ttl``
    seconds; ``ttl`` 0 turns the cache off.
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._pepper = secrets.token_bytes(32)
        self._entries: dict[bytes, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def authenticate(self, store: Store, header: str | None, now: datetime) -> Principal:
        """``authenticate``, answered from the cache while an entry is fresh."""
        if self._ttl <= 0:
            return authenticate(store, header, now)
        key, secret = parse_basic(header)
        fingerprint = hmac.new(self._pepper, f"{key}\x00{secret}".encode(), hashlib.sha256).digest()
        clock = time.monotonic()
        with self._lock:
            cached = self._entries.get(fingerprint)
        if cached is not None and cached[0] > clock:
            return cached[1]
        principal = authenticate(store, header, now)
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[fingerprint] = (clock + self._ttl, principal)
        return principal
