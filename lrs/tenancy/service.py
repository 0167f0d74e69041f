"""Use cases for organisations, stores and clients: creating them and the first-run bootstrap."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrs.core.errors import BadRequest, NotFound
from lrs.core.ids import new_client_key, new_client_secret, new_object_id
from lrs.core.secrets_hash import hash_secret
from lrs.core.timeutil import utc_now
from lrs.query.ast import MATCH_ALL, Eq, Path
from lrs.store.base import Store
from lrs.store.find import FindQuery, model_stored_form
from lrs.store.models import Client, Lrs, Organisation
from lrs.tenancy.scopes import Scope, invalid_scopes

DEFAULT_AUTHORITY_MBOX = "mailto:hello@learninglocker.net"


def new_organisation(name: str) -> Organisation:
    """A new organisation value (not yet stored)."""
    now = utc_now()
    return Organisation(id=new_object_id(), name=name, created_at=now, updated_at=now)


def new_lrs(organisation_id: str, title: str, description: str = "") -> Lrs:
    """A new store value (not yet stored)."""
    now = utc_now()
    return Lrs(
        id=new_object_id(),
        organisation_id=organisation_id,
        title=title,
        description=description,
        created_at=now,
        updated_at=now,
    )


@dataclass(frozen=True)
class IssuedClient:
    """A client together with its secret in clear, which is shown once and never stored."""

    client: Client
    secret: str = field(repr=False)


def new_client(
    organisation_id: str,
    lrs_id: str | None,
    *,
    title: str,
    scopes: Sequence[str],
    key: str | None = None,
    secret: str | None = None,
    authority: Mapping[str, Any] | None = None,
) -> IssuedClient:
    """A new client value with a hashed secret; random key and secret unless given."""
    unknown = invalid_scopes(scopes)
    if unknown:
        raise BadRequest(
            f"scopes: unknown scope(s) {', '.join(unknown)}; "
            f"known scopes are {', '.join(s.value for s in Scope)}",
            field="scopes",
        )
    if key is not None and (not key or ":" in key):
        raise BadRequest("api.basic_key must be non-empty and must not contain ':'", field="key")
    clear_secret = secret or new_client_secret()
    now = utc_now()
    client = Client(
        id=new_object_id(),
        organisation_id=organisation_id,
        lrs_id=lrs_id,
        title=title,
        basic_key=key or new_client_key(),
        secret_hash=hash_secret(clear_secret),
        scopes=tuple(dict.fromkeys(scopes)),
        authority=dict(authority)
        if authority
        else {"objectType": "Agent", "name": title, "mbox": DEFAULT_AUTHORITY_MBOX},
        created_at=now,
        updated_at=now,
    )
    return IssuedClient(client=client, secret=clear_secret)


@dataclass(frozen=True)
class Bootstrap:
    """What the first-run bootstrap created, with the client's secret in clear."""

    organisation: Organisation
    lrs: Lrs
    issued: IssuedClient


def bootstrap(
    store: Store, *, key: str | None = None, secret: str | None = None
) -> Bootstrap | None:
    """On an empty store, create an organisation, a store and a client with scope ``all``.

    Returns what was created, or None when the store already had an organisation (then nothing
    changes). Safe to call from several processes at once: exactly one creates.
    """
    if store.has_organisations():
        return None
    organisation = new_organisation("Default organisation")
    lrs = new_lrs(organisation.id, "Default store")
    issued = new_client(
        organisation.id,
        lrs.id,
        title="Default client",
        scopes=[Scope.ALL.value],
        key=key,
        secret=secret,
    )
    if not store.add_tenant_if_empty(organisation, lrs, issued.client):
        return None
    return Bootstrap(organisation=organisation, lrs=lrs, issued=issued)


def credentials_banner(result: Bootstrap, xapi_endpoint: str) -> str:
    """The text printed after a bootstrap: endpoint and credentials (the only time the secret
    is shown)."""
    client = result.issued.client
    return "\n".join(
        [
            "lrs: created an organisation, a store and a client with scope 'all'",
            f"  organisation  {result.organisation.id}",
            f"  store         {result.lrs.id}",
            f"  client        {client.id}",
            f"  xAPI endpoint {xapi_endpoint}",
            f"  key           {client.basic_key}",
            f"  secret        {result.issued.secret}",
            "  (the secret is shown only now; it is stored hashed)",
        ]
    )


def only_organisation(store: Store) -> Organisation:
    """The store's one organisation; ``BadRequest`` when there is none or several."""
    docs = store.find_models("organisation", None, FindQuery(limit=2))
    if not docs:
        raise BadRequest(
            "there is no organisation yet: run `lrs bootstrap` (or `lrs serve`) first",
            field="organisation",
        )
    if len(docs) > 1:
        raise BadRequest(
            "there are several organisations: name one with --organisation", field="organisation"
        )
    return Organisation.from_document(model_stored_form(docs[0]))


def create_store(store: Store, organisation_id: str, title: str) -> tuple[Lrs, IssuedClient]:
    """A new store with its client ``"<title> client"`` (scope ``xapi/all``), as REST v2
    creates one."""
    if not title.strip():
        raise BadRequest("title: a store needs a title", field="title")
    if store.get_organisation(organisation_id) is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    lrs = new_lrs(organisation_id, title)
    issued = new_client(
        organisation_id, lrs.id, title=f"{title} client", scopes=[Scope.XAPI_ALL.value]
    )
    store.add_lrs(lrs)
    store.add_client(issued.client)
    return lrs, issued


def list_stores(store: Store) -> list[Lrs]:
    """Every store of every organisation, oldest first."""
    docs = store.find_models("lrs", None, FindQuery())
    return [Lrs.from_document(model_stored_form(doc)) for doc in docs]


def list_clients(store: Store, lrs_id: str | None = None) -> list[Client]:
    """Every client (of one store when ``lrs_id`` is given), oldest first."""
    condition = MATCH_ALL if lrs_id is None else Eq(Path(("lrs_id",)), lrs_id)
    docs = store.find_models("client", None, FindQuery(filter=condition))
    return [Client.from_document(model_stored_form(doc)) for doc in docs]


def regenerate_secret(store: Store, client_id: str) -> IssuedClient:
    """Give a client a new random secret (its key stays); the old secret stops working."""
    secret = new_client_secret()
    client = _update_client(
        store,
        client_id,
        lambda doc: {**doc, "api": {**doc["api"], "basic_secret_hash": hash_secret(secret)}},
    )
    return IssuedClient(client=client, secret=secret)


def set_client_enabled(store: Store, client_id: str, enabled: bool) -> Client:
    """Enable or disable a client (Learning Locker's ``isTrusted``); a disabled client's
    requests are refused (403)."""
    return _update_client(store, client_id, lambda doc: {**doc, "isTrusted": enabled})


def _update_client(
    store: Store, client_id: str, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> Client:
    doc = store.get_model("client", None, client_id)
    if doc is None:
        raise NotFound(f"client {client_id} does not exist")
    changed = change(model_stored_form(doc))
    changed["updatedAt"] = utc_now()
    store.put_models("client", [changed])
    return Client.from_document(model_stored_form(changed))
