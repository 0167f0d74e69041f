"""REST v2 model documents in their stored (Learning Locker) shape, queried with the reference
semantics (``lrs.store.find``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from lrs.core.errors import Conflict, StaleWrite
from lrs.query.ast import Filter
from lrs.store.find import (
    FindQuery,
    count_in_memory,
    find_in_memory,
    model_query_view,
    model_stored_form,
)
from lrs.store.memory.state import MemoryState


class ModelsMixin(MemoryState):
    """REST v2 model documents: find, count, get, put and delete."""

    def find_models(
        self, model: str, organisation_id: str | None, query: FindQuery
    ) -> list[dict[str, Any]]:
        """A page of one model's documents by the reference semantics."""
        with self._lock:
            docs = self._scoped_views(model, organisation_id)
        return find_in_memory(docs, query)

    def count_models(self, model: str, organisation_id: str | None, condition: Filter) -> int:
        """How many of one model's documents match."""
        with self._lock:
            docs = self._scoped_views(model, organisation_id)
        return count_in_memory(docs, condition)

    def get_model(
        self, model: str, organisation_id: str | None, model_id: str
    ) -> dict[str, Any] | None:
        """One document by ``_id`` within the organisation."""
        with self._lock:
            doc = self._models[model].get(model_id)
            if doc is None or not _in_organisation(model, doc, organisation_id):
                return None
            return model_query_view(copy.deepcopy(doc))

    def put_models(
        self,
        model: str,
        docs: Sequence[Mapping[str, Any]],
        *,
        expected_updated: Mapping[str, datetime | None] | None = None,
    ) -> None:
        """Create or replace documents, all or nothing; ``StaleWrite`` when a document's
        ``updatedAt`` is not the one the writer read."""
        stored = [model_stored_form(copy.deepcopy(dict(doc))) for doc in docs]
        with self._lock:
            table = self._models[model]
            for model_id, updated in (expected_updated or {}).items():
                previous = table.get(model_id)
                now_stored = None if previous is None else previous.get("updatedAt")
                if now_stored != model_stored_form({"updatedAt": updated})["updatedAt"]:
                    raise StaleWrite(f"{model} {model_id} was changed by another request")
            if model == "client":
                keys = [doc["api"]["basic_key"] for doc in stored]
                if len(set(keys)) != len(keys):
                    raise Conflict("two clients in the request have the same api.basic_key")
                for doc in stored:
                    holder = self._client_ids_by_key.get(doc["api"]["basic_key"])
                    if holder is not None and holder != doc["_id"]:
                        raise Conflict("a client with this api.basic_key already exists")
            for doc in stored:
                previous = table.get(doc["_id"])
                if model == "client":
                    if previous is not None:
                        self._client_ids_by_key.pop(previous["api"]["basic_key"], None)
                    self._client_ids_by_key[doc["api"]["basic_key"]] = doc["_id"]
                table[doc["_id"]] = doc

    def delete_model(self, model: str, organisation_id: str | None, model_id: str) -> bool:
        """Delete one document within the organisation."""
        with self._lock:
            table = self._models[model]
            doc = table.get(model_id)
            if doc is None or not _in_organisation(model, doc, organisation_id):
                return False
            del table[model_id]
            if model == "client":
                self._client_ids_by_key.pop(doc["api"]["basic_key"], None)
            return True

    def _scoped_views(self, model: str, organisation_id: str | None) -> list[dict[str, Any]]:
        return [
            model_query_view(copy.deepcopy(doc))
            for doc in self._models[model].values()
            if _in_organisation(model, doc, organisation_id)
        ]


def _in_organisation(model: str, doc: Mapping[str, Any], organisation_id: str | None) -> bool:
    if organisation_id is None:
        return True
    owner = doc["_id"] if model == "organisation" else doc.get("organisation")
    return owner == organisation_id
