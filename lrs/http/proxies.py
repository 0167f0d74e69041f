"""Forwarded headers, believed only from trusted reverse proxies (``LRS_TRUSTED_PROXIES``).

Behind nginx every request reaches gunicorn from the proxy, so the WSGI environ describes the hop
from nginx, not the client. When the immediate peer (``REMOTE_ADDR``) is a trusted proxy:

- ``X-Forwarded-Proto`` (``http`` or ``https``) becomes ``wsgi.url_scheme``;
- ``X-Forwarded-Host`` (a host, optionally with a port) becomes ``HTTP_HOST``;
- ``X-Forwarded-For`` is walked from the right, past the trusted proxies, to the first address
  that is not one: the client. It is recorded under ``CLIENT_ADDRESS_KEY``.

So Falcon's ``req.scheme``, ``req.host`` and ``req.uri`` (anything that builds an absolute URL)
describe the URL the client used. From any other peer the forwarded headers are removed before
the application sees them (Falcon's ``req.forwarded_*`` and ``req.access_route`` read them
directly), and the client address is ``REMOTE_ADDR``. ``REMOTE_ADDR`` itself is left as the peer.

RFC 7239 ``Forwarded`` and ``X-Real-IP`` are not read, and are removed in both cases: a proxy that
only sets the ``X-Forwarded-*`` headers passes a client's own ``Forwarded`` header through.
gunicorn's own forwarded handling is switched off (``lrs.ops.gunicorn_conf``) so the two cannot
disagree.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from lrs.core.settings import IPNetwork

# The environ key holding the client's address (an access log reads it).
CLIENT_ADDRESS_KEY = "lrs.client_address"

_FORWARDED_KEYS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
)
_NEVER_READ_KEYS = ("HTTP_FORWARDED", "HTTP_X_REAL_IP")
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")
_SCHEMES = {"http", "https"}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> Address | None:
    """An IP address from a peer or ``X-Forwarded-For`` entry (``[v6]:port`` and ``v4:port``
    allowed, IPv4-mapped IPv6 unmapped); None when it is not one."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    text = text.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """Applies the forwarded headers of requests from trusted proxies to the WSGI environ."""

    def __init__(self, networks: Iterable[IPNetwork]) -> None:
        self._networks = tuple(networks)

    def trusts(self, address: Address | None) -> bool:
        """True when ``address`` is in one of the trusted networks."""
        return address is not None and any(address in network for network in self._networks)

    def apply(self, env: dict[str, Any]) -> None:
        """Rewrite ``env`` in place, as described in the module docstring."""
        peer_text = env.get("REMOTE_ADDR") or ""
        peer = parse_address(peer_text)
        for key in _NEVER_READ_KEYS:
            env.pop(key, None)
        if not self.trusts(peer):
            for key in _FORWARDED_KEYS:
                env.pop(key, None)
            env[CLIENT_ADDRESS_KEY] = str(peer) if peer is not None else peer_text
            return
        assert peer is not None
        scheme = _single(env.get("HTTP_X_FORWARDED_PROTO"))
        if scheme is not None and scheme.lower() in _SCHEMES:
            env["wsgi.url_scheme"] = scheme.lower()
        host = _single(env.get("HTTP_X_FORWARDED_HOST"))
        if host is not None and _HOST.fullmatch(host):
            env["HTTP_HOST"] = host
        env[CLIENT_ADDRESS_KEY] = str(self._client(peer, env.get("HTTP_X_FORWARDED_FOR")))

    def _client(self, peer: Address, forwarded_for: str | None) -> Address:
        """Walk ``X-Forwarded-For`` from the right while the hops are trusted proxies.

        Entries left of the first untrusted address were written by the client or by proxies
        we do not trust, so they are never believed. An entry that is not an address ends the
        walk at the last address known to be real.
        """
        client = peer
        for entry in reversed((forwarded_for or "").split(",")):
            if not self.trusts(client):
                break
            address = parse_address(entry)
            if address is None:
                break
            client = address
        return client


def _single(value: str | None) -> str | None:
    """The header's value when it holds exactly one non-empty item, else None."""
    if value is None or "," in value:
        return None
    return value.strip() or None
