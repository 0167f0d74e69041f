"""The stored statement record and the lookup terms both stores filter on.

A record mirrors Learning Locker's statement document (``to_document``) so Connection filters
written for Learning Locker work on it. For the xAPI ``GET /statements`` filters, every record
carries ``terms``: one prefixed string per value it can be found by (``verb:<id>``,
``agent:<ifi>``, ``related_agent:<ifi>``, ``activity:<id>``, ``related_activity:<id>``,
``registration:<uuid>``). A query is then a set of terms that must all be present: PostgreSQL
walks one term's rows of ``statement_terms`` in listing order (``lrs.store.postgres.terms``), the
memory store its per-term lists, both from the same functions here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lrs.core.timeutil import to_iso
from lrs.xapi.queriables import Queriables


@dataclass(frozen=True, slots=True)
class StatementRecord:
    """One stored statement with everything the stores index about it."""

    id: str  # the record's ObjectId-style ``_id``; with ``stored`` it orders every listing
    lrs_id: str
    organisation_id: str
    client_id: str
    statement_id: str  # lower-case UUID
    statement: Mapping[str, Any] = field(repr=False)  # as stored and returned (format=exact)
    stored: datetime
    timestamp: datetime
    hash: str
    queriables: Queriables = field(repr=False)
    voided: bool = False

    @property
    def voiding(self) -> bool:
        """True when this statement voids another."""
        return self.queriables.voiding

    @property
    def ref_target(self) -> str | None:
        """The statement id this one's StatementRef object points at, if any."""
        return self.queriables.statement_ref_id

    @property
    def terms(self) -> tuple[str, ...]:
        """Every lookup term of this record (see the module docstring)."""
        return record_terms(self.queriables)

    def listed(self) -> ListedStatement:
        """This record as a listing carries it."""
        return ListedStatement(id=self.id, stored=self.stored, statement=self.statement)

    def to_document(self) -> dict[str, Any]:
        """Learning Locker's statement document (instants as ISO strings)."""
        return {
            **self.to_query_document(),
            "timestamp": to_iso(self.timestamp),
            "stored": to_iso(self.stored),
        }

    def to_query_document(self) -> dict[str, Any]:
        """Learning Locker's statement document as the query language sees it: the top-level
        ``timestamp`` and ``stored`` are instants (``datetime``)."""
        return {
            "_id": self.id,
            "statement": self.statement,
            "timestamp": self.timestamp,
            "stored": self.stored,
            "organisation": self.organisation_id,
            "lrs_id": self.lrs_id,
            "client": self.client_id,
            "voided": self.voided,
            "hash": self.hash,
            **self.queriables.as_document(),
        }


@dataclass(frozen=True, slots=True)
class ListedStatement:
    """A statement as a GET /statements page needs it: its position and its content."""

    id: str  # the record's ``_id``
    stored: datetime
    statement: Mapping[str, Any] = field(repr=False)

    @property
    def statement_id(self) -> str:
        """The statement's id, lower-cased."""
        return str(self.statement["id"]).lower()

    @property
    def attachment_hashes(self) -> tuple[str, ...]:
        """SHA-2 hashes of this statement's attachments."""
        return tuple(
            attachment["sha2"]
            for attachment in self.statement.get("attachments") or ()
            if isinstance(attachment, Mapping) and "sha2" in attachment
        )


def record_terms(queriables: Queriables) -> tuple[str, ...]:
    """The lookup terms of a record with these queriables."""
    terms = ["verb:" + value for value in queriables.verbs]
    terms += ["agent:" + value for value in queriables.agents]
    terms += ["related_agent:" + value for value in queriables.related_agents]
    terms += ["activity:" + value for value in queriables.activities]
    terms += ["related_activity:" + value for value in queriables.related_activities]
    terms += ["registration:" + value.lower() for value in queriables.registrations]
    return tuple(terms)


@dataclass(frozen=True, slots=True)
class StatementFilter:
    """The xAPI ``GET /statements`` filters, already validated and reduced to plain values."""

    agent: str | None = None  # IFI string
    related_agents: bool = False
    verb: str | None = None
    activity: str | None = None
    related_activities: bool = False
    registration: str | None = None

    def terms(self) -> tuple[str, ...]:
        """The terms a record must all have to match."""
        wanted: list[str] = []
        if self.verb is not None:
            wanted.append(f"verb:{self.verb}")
        if self.agent is not None:
            prefix = "related_agent" if self.related_agents else "agent"
            wanted.append(f"{prefix}:{self.agent}")
        if self.activity is not None:
            prefix = "related_activity" if self.related_activities else "activity"
            wanted.append(f"{prefix}:{self.activity}")
        if self.registration is not None:
            wanted.append(f"registration:{self.registration.lower()}")
        return tuple(wanted)


@dataclass(frozen=True, slots=True)
class StatementQuery:
    """A page of statements: filters, the stored window, order, size and keyset position.

    Listings never include voided statements. ``after`` is the ``(stored, _id)`` of the last
    record of the previous page; the page holds the records strictly beyond it in the query's
    order. ``client_id`` limits the page to one client's statements (``statements/read/mine``).
    """

    lrs_id: str
    filter: StatementFilter = StatementFilter()
    since: datetime | None = None  # stored > since
    until: datetime | None = None  # stored <= until
    ascending: bool = False
    limit: int = 100
    after: tuple[datetime, str] | None = None
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class AttachmentContent:
    """The raw data of one attachment, stored once per store by its SHA-2 hash."""

    sha2: str
    content_type: str
    content: bytes = field(repr=False)
