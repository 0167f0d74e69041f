"""REST v2 use cases: read, count, create, overwrite, patch, bulk and delete any model.

Every call is scoped to the caller's organisation inside the store, so another organisation's
model is simply absent: 404 on every route. Writes are validated completely (fields, references,
model rules) before anything is stored, and a request's documents are stored with one
``put_models`` per table, so a rejected request changes nothing.

Deleted ids are remembered (a tombstone per model id) so that an id is never used again, not
even by a ``PUT`` that names it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from lrs.core.errors import BadRequest, Conflict, Forbidden, NotFound, StaleWrite
from lrs.core.ids import is_object_id, new_object_id
from lrs.core.timeutil import utc_now
from lrs.models import documents as d
from lrs.models.query_params import ListParams, Populate
from lrs.models.registry import MODELS, ModelSpec
from lrs.models.rules import Caller, Write, WriteContext, apply_rules, check_references
from lrs.models.validate import complete, defaults_of_read_only, fail, label, writable_values
from lrs.query.ast import Eq, Filter, In, Path
from lrs.query.projection import project
from lrs.store.base import Store
from lrs.store.find import FindQuery, StatementScope

_ID = Path(("_id",))
DISTINCT_SCAN_LIMIT = 100_000


def tombstone_table(table: str) -> str:
    """Where the ids of a model's deleted documents are remembered."""
    return f"{table}~deleted"


def statement_scope(caller: Caller) -> StatementScope:
    """The statements a caller may see: its organisation's, its store's, or its own."""
    return StatementScope(
        organisation_id=caller.organisation_id,
        lrs_id=caller.lrs_id,
        client_id=caller.client_id if caller.reads_only_own_statements else None,
    )


class ModelService:
    """The REST v2 use cases over a ``Store``."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock

    # Reads

    def list(self, spec: ModelSpec, caller: Caller, params: ListParams) -> list[Any]:
        """A page of models (or, with ``distinct``, the distinct values of one path)."""
        if params.distinct is not None:
            return self.distinct(spec, caller, params.filter, params.distinct)
        query = FindQuery(
            filter=params.filter, sort=params.sort, skip=params.skip, limit=params.limit
        )
        rendered = [d.render(spec, doc) for doc in self.find(spec, caller, query)]
        self._populate(spec, caller, rendered, params.populate)
        return [project(params.select, doc) for doc in rendered]

    def count(self, spec: ModelSpec, caller: Caller, condition: Filter) -> int:
        """How many models match."""
        if spec.name == "statement":
            return self._store.count_statement_documents(statement_scope(caller), condition)
        return self._store.count_models(spec.table, caller.organisation_id, condition)

    def distinct(self, spec: ModelSpec, caller: Caller, condition: Filter, path: Path) -> list[Any]:
        """The distinct values at ``path`` among the matching models (arrays flattened)."""
        docs = self.find(spec, caller, FindQuery(filter=condition, limit=DISTINCT_SCAN_LIMIT + 1))
        if len(docs) > DISTINCT_SCAN_LIMIT:
            raise BadRequest(
                f"distinct: more than {DISTINCT_SCAN_LIMIT} models match; narrow the query",
                field="distinct",
            )
        values = [v for doc in docs for v in d.values_at(d.render(spec, doc), path.segments)]
        return d.distinct_values(values)

    def get(self, spec: ModelSpec, caller: Caller, model_id: str, params: ListParams) -> Any:
        """One model, with ``select`` and ``populate``; ``NotFound`` when absent."""
        doc = self._require(spec, caller, model_id)
        rendered = [d.render(spec, doc)]
        self._populate(spec, caller, rendered, params.populate)
        return project(params.select, rendered[0])

    def find(self, spec: ModelSpec, caller: Caller, query: FindQuery) -> list[dict[str, Any]]:
        """Stored documents (query view) of the caller's organisation."""
        if spec.name == "statement":
            return self._store.find_statement_documents(statement_scope(caller), query)
        return self._store.find_models(spec.table, caller.organisation_id, query)

    def stored(self, spec: ModelSpec, caller: Caller, model_id: str) -> dict[str, Any] | None:
        """One stored document of the caller's organisation, or None."""
        if not is_object_id(model_id):
            return None
        if spec.name == "statement":
            found = self.find(spec, caller, FindQuery(filter=Eq(_ID, model_id), limit=1))
            return found[0] if found else None
        return self._store.get_model(spec.table, caller.organisation_id, model_id)

    # Writes

    def create(self, spec: ModelSpec, caller: Caller, body: Any) -> dict[str, Any]:
        """``POST /``: a new model with a new id."""
        if spec.name == "organisation":
            raise Forbidden("a client cannot create organisations; it belongs to one")
        ctx = self._context(caller)
        write = self._prepare(spec, ctx, None, body, mode="create", where="")
        return self._commit(spec, [write])[0]

    def put(
        self, spec: ModelSpec, caller: Caller, model_id: str, body: Any
    ) -> tuple[dict[str, Any], bool]:
        """``PUT``/``POST /:id``: overwrite the model, or create it with this id; and whether
        it was created."""

        def attempt() -> tuple[dict[str, Any], bool]:
            ctx = self._context(caller)
            write = self._prepare(spec, ctx, model_id, body, mode="replace", where="")
            return self._commit(spec, [write])[0], write.created

        return _rerun_when_stale(spec, attempt)

    def patch(self, spec: ModelSpec, caller: Caller, model_id: str, body: Any) -> dict[str, Any]:
        """``PATCH /:id``: change only the given fields."""

        def attempt() -> dict[str, Any]:
            ctx = self._context(caller)
            write = self._prepare(spec, ctx, model_id, body, mode="patch", where="")
            return self._commit(spec, [write])[0]

        return _rerun_when_stale(spec, attempt)

    def bulk(
        self, spec: ModelSpec, caller: Caller, items: Any, *, patch: bool
    ) -> list[dict[str, Any]]:
        """``PUT``/``PATCH /`` with an array: each item as ``PUT``/``PATCH /:id`` of its
        ``_id``, all or nothing."""
        if not isinstance(items, list):
            raise BadRequest("body: must be a JSON array of models", field="body")
        return _rerun_when_stale(spec, lambda: self._bulk_once(spec, caller, items, patch=patch))

    def _bulk_once(
        self, spec: ModelSpec, caller: Caller, items: list[Any], *, patch: bool
    ) -> list[dict[str, Any]]:
        ctx = self._context(caller)
        seen: dict[str, int] = {}
        writes: list[Write] = []
        for i, item in enumerate(items):
            where = f"[{i}]"
            if not isinstance(item, dict):
                raise fail(where, "must be a JSON object")
            model_id = item.get("_id")
            if not isinstance(model_id, str) or not model_id:
                raise fail(label(where, "_id"), "is required to name the model to update")
            model_id = model_id.lower()
            if model_id in seen:
                raise fail(label(where, "_id"), f"repeats the _id of item [{seen[model_id]}]")
            seen[model_id] = i
            mode = "patch" if patch else "replace"
            writes.append(self._prepare(spec, ctx, model_id, item, mode=mode, where=where))
        return self._commit(spec, writes)

    def delete(self, spec: ModelSpec, caller: Caller, model_id: str) -> None:
        """``DELETE /:id``; ``NotFound`` when absent. The id is never used again."""
        if spec.name == "organisation":
            if self.stored(spec, caller, model_id) is None:
                raise NotFound(f"no organisation {model_id}")
            raise Forbidden("a client cannot delete its own organisation")
        if spec.name == "statement":
            deleted = self._store.delete_statement_documents(statement_scope(caller), [model_id])
            if not deleted:
                raise NotFound(f"no statement {model_id}")
            return
        self._require(spec, caller, model_id)
        if spec.name == "persona":
            self._delete_identifiers_of(caller, model_id)
        self.remove(spec, caller, model_id)

    def remove(self, spec: ModelSpec, caller: Caller, model_id: str) -> None:
        """Delete a model known to exist, leaving its tombstone."""
        now = self._clock()
        tombstone = {
            "_id": model_id,
            "organisation": caller.organisation_id,
            "createdAt": now,
            "updatedAt": now,
        }
        self._store.put_models(tombstone_table(spec.table), [tombstone])
        self._store.delete_model(spec.table, caller.organisation_id, model_id)

    def save(self, spec: ModelSpec, docs: Sequence[dict[str, Any]]) -> None:
        """Store documents that a verb has changed, stamping ``updatedAt``."""
        now = self._clock()
        self._store.put_models(spec.table, [{**doc, "updatedAt": now} for doc in docs])

    def now(self) -> datetime:
        """The service clock's current instant."""
        return self._clock()

    # Internals

    def _delete_identifiers_of(self, caller: Caller, persona_id: str) -> None:
        """A deleted persona takes its identifiers with it (as in Learning Locker)."""
        identifiers = MODELS["personaidentifier"]
        query = FindQuery(filter=Eq(Path(("persona",)), persona_id))
        for doc in self.find(identifiers, caller, query):
            self.remove(identifiers, caller, doc["_id"])

    def _context(self, caller: Caller) -> WriteContext:
        return WriteContext(store=self._store, caller=caller, now=self._clock())

    def _require(self, spec: ModelSpec, caller: Caller, model_id: str) -> dict[str, Any]:
        doc = self.stored(spec, caller, model_id)
        if doc is None:
            raise NotFound(f"no {spec.name} {model_id}")
        return doc

    def _prepare(
        self,
        spec: ModelSpec,
        ctx: WriteContext,
        model_id: str | None,
        body: Any,
        *,
        mode: str,
        where: str,
    ) -> Write:
        caller = ctx.caller
        existing = self.stored(spec, caller, model_id) if model_id is not None else None
        prefix = f"{where}: " if where else ""
        if existing is None and model_id is not None:
            if mode == "patch" or spec.name == "organisation":
                raise NotFound(f"{prefix}no {spec.name} {model_id}")
            self._check_new_id(spec, caller, model_id, where)
        values = writable_values(spec, body, where)
        if mode != "patch":
            values = complete(spec, values, where)
        if existing is None:
            doc: dict[str, Any] = {
                "_id": model_id or new_object_id(),
                "organisation": caller.organisation_id,
                **defaults_of_read_only(spec),
                **values,
                "createdAt": ctx.now,
            }
        elif mode == "replace":
            replaced = {
                f.name
                for f in spec.fields
                if not (f.read_only or f.hidden) and (not f.write_only or f.name in values)
            }
            doc = {k: v for k, v in existing.items() if k not in replaced} | values
        else:
            doc = {**existing, **values}
        if spec.name == "organisation":
            doc.pop("organisation", None)
        doc["updatedAt"] = _after(existing, ctx.now)
        write = Write(spec=spec, doc=doc, values=values, existing=existing, where=where)
        check_references(write, ctx)
        apply_rules(write, ctx)
        return write

    def _check_new_id(self, spec: ModelSpec, caller: Caller, model_id: str, where: str) -> None:
        """A client-chosen id for a new model: well formed, unused here and elsewhere."""
        if not is_object_id(model_id):
            raise fail(label(where, "_id") if where else "id", "must be 24 lowercase hex digits")
        prefix = f"{where}: " if where else ""
        if self._store.get_model(spec.table, None, model_id) is not None:
            raise NotFound(f"{prefix}no {spec.name} {model_id}")
        tombstone = self._store.get_model(tombstone_table(spec.table), None, model_id)
        if tombstone is not None:
            if tombstone.get("organisation") != caller.organisation_id:
                raise NotFound(f"{prefix}no {spec.name} {model_id}")
            raise Conflict(
                f"{label(where, '_id') if where else 'id'}: {spec.name} {model_id} was deleted "
                "and ids are never reused"
            )

    def _commit(self, spec: ModelSpec, writes: list[Write]) -> list[dict[str, Any]]:
        """Store the prepared writes (the main table first, then related documents); each
        written over a model as it was read (``StaleWrite`` if another request changed it)."""
        expected = {
            w.doc["_id"]: (w.existing or {}).get("updatedAt")
            for w in writes
            if w.existing is not None
        }
        self._store.put_models(
            spec.table, [w.doc for w in writes], expected_updated=expected or None
        )
        related: dict[str, list[dict[str, Any]]] = {}
        for write in writes:
            for table, doc in write.related:
                related.setdefault(table, []).append(doc)
        for table, docs in related.items():
            self._store.put_models(table, docs)
        return [{**d.render(spec, w.doc), **w.extras} for w in writes]

    def _populate(
        self,
        spec: ModelSpec,
        caller: Caller,
        docs: list[dict[str, Any]],
        populate: tuple[Populate, ...],
    ) -> None:
        """Replace reference ids by the referenced models (same organisation), in place."""
        if populate and not caller.is_admin:
            raise Forbidden("populate: needs a client with scope 'all'")
        for entry in populate:
            target = MODELS[spec.refs[entry.path].ref or ""]
            ids = {
                i
                for doc in docs
                for i in (
                    doc.get(entry.path)
                    if isinstance(doc.get(entry.path), list)
                    else [doc.get(entry.path)]
                )
                if isinstance(i, str)
            }
            if not ids:
                continue
            query = FindQuery(filter=In(_ID, tuple(sorted(ids))))
            found = {
                doc["_id"]: project(entry.select, d.render(target, doc))
                for doc in self.find(target, caller, query)
            }
            for doc in docs:
                value = doc.get(entry.path)
                if isinstance(value, list):
                    doc[entry.path] = [found[i] for i in value if i in found]
                elif isinstance(value, str):
                    doc[entry.path] = found.get(value)


_T = TypeVar("_T")
_STALE_RERUNS = 8


def _rerun_when_stale(spec: ModelSpec, attempt: Callable[[], _T]) -> _T:
    """Run a read-modify-write again when another request changed the model in between, so
    concurrent changes of different fields all land."""
    for _ in range(_STALE_RERUNS):
        try:
            return attempt()
        except StaleWrite:
            continue
    raise Conflict(f"the {spec.name} kept changing under this request; try again")


def _after(existing: Mapping[str, Any] | None, now: datetime) -> datetime:
    """The new ``updatedAt``: now, but always later than the stored one, so each write of a
    model has its own ``updatedAt`` for the next writer to compare."""
    previous = existing.get("updatedAt") if existing is not None else None
    if isinstance(previous, datetime) and previous >= now:
        return previous + timedelta(milliseconds=1)
    return now
