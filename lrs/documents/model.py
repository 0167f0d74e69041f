"""Document values the stores exchange: keys, scopes for listing, stored documents, changes."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class DocumentKind(enum.StrEnum):
    """The three document resources."""

    STATE = "state"
    ACTIVITY_PROFILE = "activity_profile"
    AGENT_PROFILE = "agent_profile"


@dataclass(frozen=True, slots=True)
class DocumentScope:
    """Where documents live: a store, a kind, and the activity and/or agent they belong to.

    Unused parts are ``""`` (an agent profile has no activity). ``registration`` is for state
    only: ``""`` is "no registration"; ``None`` in a listing or bulk delete means "any".
    """

    lrs_id: str
    kind: DocumentKind
    activity_id: str = ""
    agent: str = ""  # the agent's IFI string
    registration: str | None = ""

    def key(self, document_id: str) -> DocumentKey:
        """The key of one document in this scope."""
        if self.registration is None:
            raise ValueError("a single document needs a definite registration")
        return DocumentKey(scope=self, document_id=document_id)


@dataclass(frozen=True, slots=True)
class DocumentKey:
    """One document: its scope and its id (``stateId`` or ``profileId``)."""

    scope: DocumentScope
    document_id: str


@dataclass(frozen=True, slots=True)
class Document:
    """A stored document: the bytes exactly as sent, their content type, ETag and update time."""

    key: DocumentKey
    content: bytes = field(repr=False)
    content_type: str
    etag: str  # lower-case hex SHA-1 of the content, unquoted
    updated: datetime


class Unconditional(enum.Enum):
    """What a write without ``If-Match`` or ``If-None-Match`` may do (Communication 3.1)."""

    #: Create or replace (State PUTs under xAPI 1.0.3, every POST and DELETE).
    ALLOWED = "allowed"
    #: Create, but 409 over an existing document (State PUTs under xAPI 2.0.0).
    CREATE_ONLY = "create only"
    #: Nothing: 409 over an existing document, else 400 (profile PUTs, as Learning Locker and
    #: the conformance suites have it).
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Precondition:
    """The ``If-Match`` / ``If-None-Match`` a write carries, and what it may do without either.

    ``if_match`` / ``if_none_match``: None when the header is absent, else its ETags (``"*"``
    for any). ``unconditional``: what the write may do when it carries neither header.
    """

    if_match: tuple[str, ...] | None = None
    if_none_match: tuple[str, ...] | None = None
    unconditional: Unconditional = Unconditional.ALLOWED


class WriteMode(enum.Enum):
    """PUT replaces the document; POST merges JSON objects into it."""

    REPLACE = "replace"
    MERGE = "merge"


@dataclass(frozen=True, slots=True)
class DocumentWrite:
    """A write to apply atomically: new content, how to combine it, and its precondition."""

    content: bytes = field(repr=False)
    content_type: str
    mode: WriteMode
    precondition: Precondition = Precondition()
