"""Per-model rules applied to a write after its fields have been validated.

Each rule receives the prepared ``Write`` (the document about to be stored, the validated body
values, the stored document it replaces, and the item's position for error messages) and may
refuse it, complete it, add documents to store with it, or add one-time fields to the response.
Nothing is stored until every item of a request has passed its rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from lrs.core.errors import BadQuery, Conflict
from lrs.core.ids import new_client_key, new_client_secret
from lrs.core.secrets_hash import hash_secret
from lrs.models.passwords import hash_password
from lrs.models.registry import MODELS, ROLE_SCOPES, ModelSpec
from lrs.models.validate import fail, label
from lrs.query.ast import And, Eq, Not, Path
from lrs.query.parse import STATEMENTS, parse_filter, parse_projection
from lrs.store.base import Store
from lrs.store.find import FindQuery
from lrs.tenancy.scopes import Scope, invalid_scopes
from lrs.tenancy.service import new_client
from lrs.xapi.validate import validate_agent

_ID = Path(("_id",))
IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")


@dataclass(frozen=True)
class Caller:
    """Who is asking, as the model rules and the store need it (no HTTP in here)."""

    organisation_id: str
    client_id: str
    lrs_id: str | None = None
    reads_only_own_statements: bool = False
    is_admin: bool = True


@dataclass
class Write:
    """One document about to be stored, and what comes with it."""

    spec: ModelSpec
    doc: dict[str, Any]
    values: dict[str, Any]
    existing: dict[str, Any] | None
    where: str
    extras: dict[str, Any] = field(default_factory=dict)
    related: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def created(self) -> bool:
        """True when no stored document is replaced."""
        return self.existing is None

    def at(self, name: str) -> str:
        """The error label of a field of this item."""
        return label(self.where, name)


@dataclass
class WriteContext:
    """What rules may consult: the store, the caller, the instant, and the request's other
    items (``taken``: unique values already claimed by earlier items)."""

    store: Store
    caller: Caller
    now: datetime
    taken: dict[str, set[bytes]] = field(default_factory=dict)

    def claim(self, kind: str, value: Any, where: str) -> None:
        """Refuse a unique value that an earlier item of the same request holds."""
        key = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        seen = self.taken.setdefault(kind, set())
        if key in seen:
            raise Conflict(f"{where}: another item of this request has the same value")
        seen.add(key)


def check_references(write: Write, ctx: WriteContext) -> None:
    """Every id a reference field is given must name a model of the caller's organisation."""
    for name, declared in write.spec.refs.items():
        value = write.values.get(name)
        if value is None or declared.ref is None:
            continue
        target = MODELS[declared.ref]
        ids = value if isinstance(value, list) else [value]
        for i, model_id in enumerate(ids):
            where = write.at(name) + (f"[{i}]" if isinstance(value, list) else "")
            if ctx.store.get_model(target.table, ctx.caller.organisation_id, model_id) is None:
                raise fail(where, f"no {target.name} {model_id} in this organisation")


def apply_rules(write: Write, ctx: WriteContext) -> None:
    """Run the model's rule, if it has one."""
    rule = _RULES.get(write.spec.name)
    if rule is not None:
        rule(write, ctx)


def _client(write: Write, ctx: WriteContext) -> None:
    scopes = write.values.get("scopes")
    if scopes:
        unknown = invalid_scopes(scopes)
        if unknown:
            raise fail(
                write.at("scopes"),
                f"unknown scope(s) {', '.join(unknown)}; known scopes are "
                f"{', '.join(s.value for s in Scope)}",
            )
        write.doc["scopes"] = list(dict.fromkeys(scopes))
    if "authority" in write.values:
        text = write.values["authority"]
        if text is None:
            raise fail(write.at("authority"), "is required and cannot be null")
        validate_agent(orjson.loads(text), write.at("authority"))
    if write.created:
        secret = new_client_secret()
        key = new_client_key()
        write.doc["api"] = {"basic_key": key, "basic_secret_hash": hash_secret(secret)}
        write.extras["api"] = {"basic_key": key, "basic_secret": secret}


def _store(write: Write, ctx: WriteContext) -> None:
    if write.created:
        issued = new_client(
            ctx.caller.organisation_id,
            write.doc["_id"],
            title=f"{write.doc['title']} client",
            scopes=[Scope.XAPI_ALL.value],
        )
        write.related.append(("client", issued.client.to_document()))


def _user(write: Write, ctx: WriteContext) -> None:
    organisation = ctx.caller.organisation_id
    email = write.values.get("email")
    if email is not None:
        email = email.strip().lower()
        local, at, domain = email.partition("@")
        if not at or not local or not domain or any(c.isspace() for c in email):
            raise fail(write.at("email"), f"{email!r} is not an email address")
        ctx.claim("user.email", email, write.at("email"))
        _refuse_taken(ctx, "user", Eq(Path(("email",)), email), write, "email")
        write.doc["email"] = email
    if "password" in write.values:
        password = write.values["password"]
        if password is None:
            raise fail(write.at("password"), "cannot be null")
        write.doc["password"] = hash_password(password, write.at("password"))
    settings = write.values.get("organisationSettings") or []
    for i, entry in enumerate(settings):
        where = f"{write.at('organisationSettings')}[{i}].organisation"
        if entry.get("organisation", organisation) != organisation:
            raise fail(where, "must be the caller's organisation")
        entry["organisation"] = organisation
    memberships = list(write.doc.get("organisations") or [])
    if organisation not in memberships:
        memberships.append(organisation)
    write.doc["organisations"] = memberships
    write.doc.setdefault("ownerOrganisation", organisation)
    write.doc.setdefault("scopes", [])


def _personaidentifier(write: Write, ctx: WriteContext) -> None:
    ifi = write.values.get("ifi")
    if ifi is None:
        return
    where = write.at("ifi")
    if set(ifi) != {"key", "value"} or ifi["key"] not in IFI_KEYS:
        raise fail(where, f"must be {{key, value}} with key one of {', '.join(IFI_KEYS)}")
    validate_agent({"objectType": "Agent", ifi["key"]: ifi["value"]}, where)
    ctx.claim("personaidentifier.ifi", ifi, where)
    _refuse_taken(ctx, "personaidentifier", Eq(Path(("ifi",)), ifi), write, "ifi")


def _role(write: Write, ctx: WriteContext) -> None:
    unknown = [s for s in write.values.get("scopes") or [] if s not in ROLE_SCOPES]
    if unknown:
        raise fail(
            write.at("scopes"),
            f"unknown role scope(s) {', '.join(unknown)}; known: {', '.join(sorted(ROLE_SCOPES))}",
        )


def _query(write: Write, ctx: WriteContext) -> None:
    text = write.values.get("conditions")
    if text is None:
        return
    try:
        parse_filter(orjson.loads(text), STATEMENTS)
    except BadQuery as error:
        raise fail(write.at("conditions"), error.message) from None


def _export(write: Write, ctx: WriteContext) -> None:
    for i, text in enumerate(write.values.get("projections") or []):
        try:
            parse_projection(orjson.loads(text))
        except BadQuery as error:
            raise fail(f"{write.at('projections')}[{i}]", error.message) from None


def _refuse_taken(ctx: WriteContext, model: str, condition: Any, write: Write, name: str) -> None:
    others = And((condition, Not(Eq(_ID, write.doc["_id"]))))
    query = FindQuery(filter=others, limit=1)
    if ctx.store.find_models(model, ctx.caller.organisation_id, query):
        raise Conflict(f"{write.at(name)}: another {model} in this organisation has this {name}")


_RULES: dict[str, Callable[[Write, WriteContext], None]] = {
    "client": _client,
    "store": _store,
    "user": _user,
    "personaidentifier": _personaidentifier,
    "role": _role,
    "query": _query,
    "export": _export,
}
