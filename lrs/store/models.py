"""Value objects for the tenancy models: organisation, store (``lrs``) and client.

Each is a frozen dataclass with a Learning-Locker-shaped document form (``to_document`` /
``from_document``); both stores persist exactly that document, so the REST and Connection APIs
later reach every field through the same query language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from lrs.core.timeutil import from_iso, to_iso

ModelDocument = dict[str, Any]


def _optional_instant(value: object) -> datetime | None:
    return from_iso(value) if isinstance(value, str) else None


@dataclass(frozen=True)
class Organisation:
    """A tenant: owns stores and clients."""

    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    expiration: datetime | None = None

    def to_document(self) -> ModelDocument:
        """The stored document (Learning Locker's field names)."""
        return {
            "_id": self.id,
            "name": self.name,
            "expiration": to_iso(self.expiration) if self.expiration else None,
            "createdAt": to_iso(self.created_at),
            "updatedAt": to_iso(self.updated_at),
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Organisation:
        """Rebuild from a stored document."""
        return cls(
            id=doc["_id"],
            name=doc["name"],
            created_at=from_iso(doc["createdAt"]),
            updated_at=from_iso(doc["updatedAt"]),
            expiration=_optional_instant(doc.get("expiration")),
        )


@dataclass(frozen=True)
class Lrs:
    """A store of statements and documents (Learning Locker's ``lrs``; REST name ``store``)."""

    id: str
    organisation_id: str
    title: str
    created_at: datetime
    updated_at: datetime
    description: str = ""
    statement_count: int = 0

    def to_document(self) -> ModelDocument:
        """The stored document (Learning Locker's field names)."""
        return {
            "_id": self.id,
            "organisation": self.organisation_id,
            "title": self.title,
            "description": self.description,
            "statementCount": self.statement_count,
            "createdAt": to_iso(self.created_at),
            "updatedAt": to_iso(self.updated_at),
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Lrs:
        """Rebuild from a stored document."""
        return cls(
            id=doc["_id"],
            organisation_id=doc["organisation"],
            title=doc["title"],
            description=doc.get("description", ""),
            statement_count=int(doc.get("statementCount", 0)),
            created_at=from_iso(doc["createdAt"]),
            updated_at=from_iso(doc["updatedAt"]),
        )


@dataclass(frozen=True)
class Client:
    """API credentials: a Basic-auth key, the hash of its secret, scopes and an xAPI authority."""

    id: str
    organisation_id: str
    lrs_id: str | None
    title: str
    basic_key: str
    secret_hash: str = field(repr=False)
    scopes: tuple[str, ...]
    authority: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    is_trusted: bool = True

    def to_document(self) -> ModelDocument:
        """The stored document. ``authority`` is a JSON string, as Learning Locker stores it."""
        return {
            "_id": self.id,
            "organisation": self.organisation_id,
            "lrs_id": self.lrs_id,
            "title": self.title,
            "api": {"basic_key": self.basic_key, "basic_secret_hash": self.secret_hash},
            "scopes": list(self.scopes),
            "authority": orjson.dumps(dict(self.authority)).decode(),
            "isTrusted": self.is_trusted,
            "createdAt": to_iso(self.created_at),
            "updatedAt": to_iso(self.updated_at),
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Client:
        """Rebuild from a stored document."""
        authority = doc.get("authority") or "{}"
        return cls(
            id=doc["_id"],
            organisation_id=doc["organisation"],
            lrs_id=doc.get("lrs_id"),
            title=doc.get("title", ""),
            basic_key=doc["api"]["basic_key"],
            secret_hash=doc["api"]["basic_secret_hash"],
            scopes=tuple(doc.get("scopes", ())),
            authority=orjson.loads(authority) if isinstance(authority, str) else authority,
            is_trusted=bool(doc.get("isTrusted", True)),
            created_at=from_iso(doc["createdAt"]),
            updated_at=from_iso(doc["updatedAt"]),
        )
