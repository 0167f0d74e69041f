"""Use cases for organisations, stores and clients: creating them and the first-run bootstrap."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrs.core.errors import BadRequest
from lrs.core.ids import new_client_key, new_client_secret, new_object_id
from lrs.core.secrets_hash import hash_secret
from lrs.core.timeutil import utc_now
from lrs.store.base import Store
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
