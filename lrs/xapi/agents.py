"""Agents and Groups: their Inverse Functional Identifier (IFI) and its string form.

The string form is Learning Locker's (xapi-service ``utils/getActorIdent.ts``), so the queriable
arrays this LRS stores match the ones Learning Locker's Mongo documents hold:

=================  ==========================================  =================================
IFI property       string                                      example
=================  ==========================================  =================================
``mbox``           the value as sent                           ``mailto:ann@example.com``
``account``        ``homePage + "|" + name``                   ``https://lms.example.com|ann01``
``openid``         the value as sent                           ``https://id.example.com/ann``
``mbox_sha1sum``   the value as sent (40 hex digits)           ``ebd31e95054c018b10727ccffd2e...``
=================  ==========================================  =================================

When an object carries several IFIs (only possible before validation) the first of ``mbox``,
``account``, ``openid``, ``mbox_sha1sum`` wins, as in Learning Locker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["IFI_KEYS", "ifi_key", "ifi_string", "is_group"]

#: The four IFI properties, in Learning Locker's order of precedence.
IFI_KEYS: tuple[str, ...] = ("mbox", "account", "openid", "mbox_sha1sum")


def ifi_key(actor: Mapping[str, Any]) -> str | None:
    """The name of the IFI property ``actor`` uses, or ``None`` (anonymous Group)."""
    for key in IFI_KEYS:
        if key in actor:
            return key
    return None


def ifi_string(actor: Mapping[str, Any]) -> str | None:
    """The IFI of an Agent or Identified Group as one string, or ``None`` when it has none."""
    mbox = actor.get("mbox")
    if mbox is not None:
        return mbox
    account = actor.get("account")
    if account is not None:
        return f"{account.get('homePage')}|{account.get('name')}"
    openid = actor.get("openid")
    if openid is not None:
        return openid
    return actor.get("mbox_sha1sum")


def is_group(actor: Mapping[str, Any]) -> bool:
    """True when ``actor`` declares ``objectType: "Group"`` (an absent objectType means Agent)."""
    return actor.get("objectType") == "Group"
