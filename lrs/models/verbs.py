"""Verb endpoints (seed 003): ``POST /api/v2/<model>/:id/<verb>`` acts on a model and answers
with its new state.

* ``client/:id/regenerate``: a new secret (the key stays); the secret is in the answer, once.
* ``persona/:id/merge`` with ``{"mergePersonaFromId": id}``: the other persona's identifiers
  move to this one, and the other persona is deleted.
* ``export/:id/download``: the export's projections over the statements its ``query`` selects
  (all the caller may read when it has none) become a CSV kept in a new ``download``, whose
  ``url`` serves it; the export's ``downloads`` lists the new download.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson

from lrs.core.errors import BadQuery, BadRequest, NotFound
from lrs.core.ids import is_object_id, new_client_secret, new_object_id
from lrs.core.secrets_hash import hash_secret
from lrs.core.timeutil import to_iso
from lrs.models import csv_export
from lrs.models.documents import render
from lrs.models.registry import MODELS, ModelSpec
from lrs.models.rules import Caller
from lrs.models.service import ModelService
from lrs.query.ast import MATCH_ALL, Eq, Filter, Path
from lrs.query.cursor import with_tiebreaker
from lrs.query.evaluate import sort_values
from lrs.query.parse import STATEMENTS, parse_filter, parse_projection
from lrs.store.find import FindQuery

EXPORT_PAGE = 1000

Verb = Callable[[ModelService, Caller, str, Any], dict[str, Any]]


def download_url(organisation_id: str, download_id: str) -> str:
    """Where a download's CSV is served (Learning Locker's path)."""
    return f"/api/organisation/{organisation_id}/downloadexport/{download_id}.csv"


def run_verb(
    service: ModelService, spec: ModelSpec, caller: Caller, model_id: str, verb: str, body: Any
) -> dict[str, Any]:
    """Run ``verb`` on one model; ``NotFound`` for an unknown verb or model."""
    action = _VERBS.get((spec.name, verb))
    if action is None:
        known = ", ".join(sorted(spec.verbs)) or "none"
        raise NotFound(f"{spec.name} has no verb {verb!r} (verbs: {known})")
    return action(service, caller, model_id, body)


def _require(service: ModelService, name: str, caller: Caller, model_id: str) -> dict[str, Any]:
    doc = service.stored(MODELS[name], caller, model_id)
    if doc is None:
        raise NotFound(f"no {name} {model_id}")
    return doc


def _regenerate(service: ModelService, caller: Caller, model_id: str, body: Any) -> dict[str, Any]:
    spec = MODELS["client"]
    doc = _require(service, "client", caller, model_id)
    secret = new_client_secret()
    doc["api"] = {**doc["api"], "basic_secret_hash": hash_secret(secret)}
    service.save(spec, [doc])
    out = render(spec, service.stored(spec, caller, model_id) or doc)
    out["api"] = {**out.get("api", {}), "basic_secret": secret}
    return out


def _merge(service: ModelService, caller: Caller, model_id: str, body: Any) -> dict[str, Any]:
    spec = MODELS["persona"]
    target = _require(service, "persona", caller, model_id)
    source_id = body.get("mergePersonaFromId") if isinstance(body, dict) else None
    if not isinstance(source_id, str) or not is_object_id(source_id.lower()):
        raise BadRequest(
            "mergePersonaFromId: give the id of the persona to merge into this one",
            field="mergePersonaFromId",
        )
    source_id = source_id.lower()
    if source_id == model_id:
        raise BadRequest(
            "mergePersonaFromId: a persona cannot be merged into itself",
            field="mergePersonaFromId",
        )
    if service.stored(spec, caller, source_id) is None:
        raise NotFound(f"mergePersonaFromId: no persona {source_id}")
    identifiers = MODELS["personaidentifier"]
    moved = [
        {**doc, "persona": model_id}
        for doc in service.find(
            identifiers, caller, FindQuery(filter=Eq(Path(("persona",)), source_id))
        )
    ]
    if moved:
        service.save(identifiers, moved)
    service.save(spec, [target])
    service.remove(spec, caller, source_id)
    return render(spec, service.stored(spec, caller, model_id) or target)


def _download(service: ModelService, caller: Caller, model_id: str, body: Any) -> dict[str, Any]:
    spec = MODELS["export"]
    export = _require(service, "export", caller, model_id)
    texts = export.get("projections") or []  # null when a client sent "projections": null
    projections = []
    for i, text in enumerate(texts):
        try:
            projections.append(parse_projection(orjson.loads(text)))
        except (BadQuery, orjson.JSONDecodeError) as error:
            message = getattr(error, "message", "not valid JSON")
            raise BadRequest(f"projections[{i}]: {message}", field=f"projections[{i}]") from None
    condition = _export_filter(service, caller, export.get("query"))
    rows = csv_export.export_rows(projections, _statements(service, caller, condition))
    now = service.now()
    download_id = new_object_id()
    download = {
        "_id": download_id,
        "organisation": caller.organisation_id,
        "owner": export.get("owner"),
        "isReady": True,
        "time": to_iso(now),
        "name": f"{export.get('name') or 'Export'} {to_iso(now)}",
        "url": download_url(caller.organisation_id, download_id),
        "upload": {"mime": "text/csv", "key": f"{download_id}.csv", "repo": "database"},
        "pipelines": orjson.dumps([orjson.loads(t) for t in texts]).decode(),
        "export": model_id,
        "content": csv_export.to_csv(rows),
        "isPublic": bool(export.get("isPublic", False)),
        "createdAt": now,
        "updatedAt": now,
    }
    service.save(MODELS["download"], [download])
    export["downloads"] = [*(export.get("downloads") or []), download_id]
    service.save(spec, [export])
    return render(spec, service.stored(spec, caller, model_id) or export)


def _export_filter(service: ModelService, caller: Caller, query_id: Any) -> Filter:
    if not query_id:
        return MATCH_ALL
    query = service.stored(MODELS["query"], caller, query_id)
    if query is None:
        raise BadRequest(f"query: the export's query {query_id} no longer exists", field="query")
    try:
        return parse_filter(orjson.loads(query.get("conditions") or "{}"), STATEMENTS)
    except (BadQuery, orjson.JSONDecodeError) as error:
        message = getattr(error, "message", "not valid JSON")
        raise BadRequest(
            f"query: the export's query conditions: {message}", field="query"
        ) from None


def _statements(
    service: ModelService, caller: Caller, condition: Filter
) -> Iterator[dict[str, Any]]:
    """Every statement document the condition selects, by ``_id``, a page at a time."""
    spec = MODELS["statement"]
    sort = with_tiebreaker(())
    position = None
    while True:
        query = FindQuery(filter=condition, sort=sort, limit=EXPORT_PAGE, position=position)
        page = service.find(spec, caller, query)
        yield from page
        if len(page) < EXPORT_PAGE:
            return
        position = sort_values(sort, page[-1])


_VERBS: dict[tuple[str, str], Verb] = {
    ("client", "regenerate"): _regenerate,
    ("persona", "merge"): _merge,
    ("export", "download"): _download,
}
