"""Organisations, stores (``lrs``) and clients, with the client Basic-auth key index, and the
first-run bootstrap (``add_tenant_if_empty``).
"""

from __future__ import annotations

from typing import Any

from lrs.core.errors import Conflict, NotFound
from lrs.store.memory.state import MemoryState
from lrs.store.models import Client, Lrs, ModelDocument, Organisation


class TenancyMixin(MemoryState):
    """Organisations, stores and clients: adding, reading and the bootstrap."""

    def has_organisations(self) -> bool:
        """True when at least one organisation exists."""
        with self._lock:
            return bool(self._models["organisation"])

    def add_organisation(self, organisation: Organisation) -> None:
        """Persist a new organisation."""
        with self._lock:
            self._insert("organisation", organisation.to_document())

    def get_organisation(self, organisation_id: str) -> Organisation | None:
        """The organisation with this id, or None."""
        doc = self._get("organisation", organisation_id)
        return Organisation.from_document(doc) if doc else None

    def add_lrs(self, lrs: Lrs) -> None:
        """Persist a new store under an existing organisation."""
        with self._lock:
            self._require_organisation(lrs.organisation_id)
            self._insert("lrs", lrs.to_document())

    def get_lrs(self, lrs_id: str) -> Lrs | None:
        """The store with this id, or None."""
        doc = self._get("lrs", lrs_id)
        return Lrs.from_document(doc) if doc else None

    def list_lrs(self, organisation_id: str) -> list[Lrs]:
        """The organisation's stores, oldest first."""
        with self._lock:
            docs = [d for d in self._models["lrs"].values() if d["organisation"] == organisation_id]
        return [Lrs.from_document(doc) for doc in sorted(docs, key=lambda d: d["_id"])]

    def add_client(self, client: Client) -> None:
        """Persist a new client with a unique Basic-auth key."""
        with self._lock:
            self._require_organisation(client.organisation_id)
            if client.lrs_id is not None:
                self._require_lrs(client.lrs_id, client.organisation_id)
            if client.basic_key in self._client_ids_by_key:
                raise Conflict("a client with this api.basic_key already exists")
            self._insert("client", client.to_document())
            self._client_ids_by_key[client.basic_key] = client.id

    def get_client(self, client_id: str) -> Client | None:
        """The client with this id, or None."""
        doc = self._get("client", client_id)
        return Client.from_document(doc) if doc else None

    def get_client_by_key(self, basic_key: str) -> Client | None:
        """The client holding this Basic-auth key, or None."""
        with self._lock:
            client_id = self._client_ids_by_key.get(basic_key)
            return self.get_client(client_id) if client_id else None

    def add_tenant_if_empty(self, organisation: Organisation, lrs: Lrs, client: Client) -> bool:
        """Add organisation, store and client together when no organisation exists yet."""
        with self._lock:
            if self._models["organisation"]:
                return False
            self.add_organisation(organisation)
            self.add_lrs(lrs)
            self.add_client(client)
            return True

    def _insert(self, model: str, doc: ModelDocument) -> None:
        table = self._models[model]
        if doc["_id"] in table:
            raise Conflict(f"a {model} with _id {doc['_id']} already exists")
        table[doc["_id"]] = doc

    def _get(self, model: str, model_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._models[model].get(model_id)

    def _require_organisation(self, organisation_id: str) -> None:
        if organisation_id not in self._models["organisation"]:
            raise NotFound(f"organisation {organisation_id} does not exist")

    def _require_lrs(self, lrs_id: str, organisation_id: str) -> None:
        doc = self._models["lrs"].get(lrs_id)
        if doc is None or doc["organisation"] != organisation_id:
            raise NotFound(f"store {lrs_id} does not exist in organisation {organisation_id}")
