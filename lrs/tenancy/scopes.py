"""Client scopes (Learning Locker's list) and what each one allows.

A resource declares, per HTTP method, the ``Access`` it needs; ``allows`` answers whether a
client's scopes grant it. ``statements/delete`` is deliberately not implied by ``all``, as in
Learning Locker. Reading statements through ``/api`` needs a read scope (Learning Locker did not
check one; we do).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Scope(enum.StrEnum):
    """Every scope a client can hold."""

    ALL = "all"
    ALL_READ = "all/read"
    XAPI_ALL = "xapi/all"
    XAPI_READ = "xapi/read"
    STATEMENTS_READ = "statements/read"
    STATEMENTS_READ_MINE = "statements/read/mine"
    STATEMENTS_WRITE = "statements/write"
    STATE = "state"
    PROFILE = "profile"
    STATEMENTS_DELETE = "statements/delete"


ALL_SCOPES: frozenset[str] = frozenset(scope.value for scope in Scope)


class Access(enum.Enum):
    """A kind of access a route needs."""

    AUTHENTICATED = "use any route open to every valid client"
    STATEMENTS_READ = "read statements"
    STATEMENTS_WRITE = "write statements"
    STATE_READ = "read state documents"
    STATE_WRITE = "write state documents"
    PROFILE_READ = "read profiles, activities and agents"
    PROFILE_WRITE = "write profiles"
    STATEMENTS_DELETE = "delete statements"
    ADMIN = "manage organisation models"


_GRANTS: dict[Access, frozenset[Scope]] = {
    Access.STATEMENTS_READ: frozenset(
        {
            Scope.ALL,
            Scope.ALL_READ,
            Scope.XAPI_ALL,
            Scope.XAPI_READ,
            Scope.STATEMENTS_READ,
            Scope.STATEMENTS_READ_MINE,
        }
    ),
    Access.STATEMENTS_WRITE: frozenset({Scope.ALL, Scope.XAPI_ALL, Scope.STATEMENTS_WRITE}),
    Access.STATE_READ: frozenset(
        {Scope.ALL, Scope.ALL_READ, Scope.XAPI_ALL, Scope.XAPI_READ, Scope.STATE}
    ),
    Access.STATE_WRITE: frozenset({Scope.ALL, Scope.XAPI_ALL, Scope.STATE}),
    Access.PROFILE_READ: frozenset(
        {Scope.ALL, Scope.ALL_READ, Scope.XAPI_ALL, Scope.XAPI_READ, Scope.PROFILE}
    ),
    Access.PROFILE_WRITE: frozenset({Scope.ALL, Scope.XAPI_ALL, Scope.PROFILE}),
    Access.STATEMENTS_DELETE: frozenset({Scope.STATEMENTS_DELETE}),
    Access.ADMIN: frozenset({Scope.ALL}),
}

_READ_ALL_STATEMENTS = _GRANTS[Access.STATEMENTS_READ] - {Scope.STATEMENTS_READ_MINE}


def allows(scopes: Iterable[str], access: Access) -> bool:
    """True when any of ``scopes`` grants ``access``."""
    if access is Access.AUTHENTICATED:
        return True
    granted = _GRANTS[access]
    return any(scope in granted for scope in scopes)


def reads_only_own_statements(scopes: Iterable[str]) -> bool:
    """True when the client may read statements only through ``statements/read/mine``."""
    held = set(scopes)
    return Scope.STATEMENTS_READ_MINE in held and not (held & _READ_ALL_STATEMENTS)


def invalid_scopes(scopes: Iterable[str]) -> list[str]:
    """The members of ``scopes`` that are not known scopes, in their given order."""
    return [scope for scope in scopes if scope not in ALL_SCOPES]
