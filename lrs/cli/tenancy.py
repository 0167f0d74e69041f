"""``lrs store create|list`` and ``lrs client create|list|regenerate|disable|enable``.

They work on the PostgreSQL store of ``LRS_DATABASE_URL``. Secrets are printed once, when they
are made, and never listed (only their hash is stored).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from lrs.cli.common import (
    OK,
    CommandError,
    Subparsers,
    add_command,
    add_group,
    load_settings,
    postgres_store,
)
from lrs.core.settings import Settings
from lrs.store.models import Client
from lrs.tenancy.scopes import Scope
from lrs.tenancy.service import (
    create_store,
    list_clients,
    list_stores,
    new_client,
    only_organisation,
    regenerate_secret,
    set_client_enabled,
)


def register(commands: Subparsers) -> None:
    """Add the store and client command groups."""
    _, stores = add_group(
        commands,
        "store",
        help="manage stores (PostgreSQL): create, list",
        example='lrs store create --title "Course pilots"',
    )
    create = add_command(
        stores,
        "create",
        store_create,
        full_name="store create",
        help="create a store, with a client (scope xapi/all) whose credentials are printed once",
        example='lrs store create --title "Course pilots"',
    )
    create.add_argument("--title", required=True, help="the store's title")
    create.add_argument(
        "--organisation",
        metavar="ID",
        help="the organisation it belongs to (default: the only one)",
    )
    add_command(
        stores,
        "list",
        store_list,
        full_name="store list",
        help="list every store: id, title, organisation, statement count",
        example="lrs store list",
    )

    _, clients = add_group(
        commands,
        "client",
        help="manage API clients (PostgreSQL): create, list, regenerate, disable, enable",
        example="lrs client list --store 6b06d2a6e3c99b14fc64cc44",
    )
    create = add_command(
        clients,
        "create",
        client_create,
        full_name="client create",
        help="create a client for a store and print its credentials (the secret only now)",
        example="lrs client create --store 6b06d2a6e3c99b14fc64cc44 --scopes statements/read",
    )
    create.add_argument("--store", required=True, metavar="ID", help="the store (lrs) id")
    create.add_argument(
        "--scopes",
        nargs="+",
        default=[Scope.XAPI_ALL.value],
        metavar="SCOPE",
        help=f"scopes to grant (default xapi/all); one or more of: "
        f"{', '.join(s.value for s in Scope)}",
    )
    create.add_argument("--title", default="API client", help="a name for the client")
    create.add_argument("--key", help="a fixed Basic-auth key (default: random)")
    create.add_argument("--secret", help="a fixed Basic-auth secret (default: random)")

    listing = add_command(
        clients,
        "list",
        client_list,
        full_name="client list",
        help="list clients: id, store, title, key, scopes, enabled or disabled (never secrets)",
        example="lrs client list --store 6b06d2a6e3c99b14fc64cc44",
    )
    listing.add_argument("--store", metavar="ID", help="only this store's clients")

    for name, handler, text in (
        (
            "regenerate",
            client_regenerate,
            "give a client a new secret (printed once); the old secret stops working",
        ),
        ("disable", client_disable, "disable a client: its credentials stop working"),
        ("enable", client_enable, "enable a disabled client again"),
    ):
        command = add_command(
            clients,
            name,
            handler,
            full_name=f"client {name}",
            help=text,
            example=f"lrs client {name} 6b06d2a6e3c99b14fc64cc45",
        )
        command.add_argument("id", metavar="ID", help="the client's id")


def store_create(args: argparse.Namespace) -> int:
    """Create a store and its client."""
    with postgres_store(load_settings()) as store:
        organisation_id = args.organisation or only_organisation(store).id
        lrs, issued = create_store(store, organisation_id, args.title)
    print(f"store   {lrs.id}  {lrs.title!r} in organisation {lrs.organisation_id}")
    _print_credentials(issued.client, issued.secret)
    return OK


def store_list(args: argparse.Namespace) -> int:
    """Print every store."""
    with postgres_store(load_settings()) as store:
        stores = list_stores(store)
    _print_table(
        ("id", "title", "organisation", "statements"),
        [(s.id, s.title, s.organisation_id, f"{s.statement_count:,}") for s in stores],
        empty="no stores yet: `lrs bootstrap` or `lrs store create --title T` makes one",
    )
    return OK


def client_create(args: argparse.Namespace) -> int:
    """Create a client in an existing store and print its key and secret."""
    with postgres_store(load_settings()) as store:
        lrs = store.get_lrs(args.store)
        if lrs is None:
            raise CommandError(f"--store {args.store}: no such store (see `lrs store list`)")
        issued = new_client(
            lrs.organisation_id,
            lrs.id,
            title=args.title,
            scopes=args.scopes,
            key=args.key,
            secret=args.secret,
        )
        store.add_client(issued.client)
    _print_credentials(issued.client, issued.secret)
    return OK


def client_list(args: argparse.Namespace) -> int:
    """Print the clients, without secrets."""
    with postgres_store(load_settings()) as store:
        if args.store is not None and store.get_lrs(args.store) is None:
            raise CommandError(f"--store {args.store}: no such store (see `lrs store list`)")
        clients = list_clients(store, args.store)
    _print_table(
        ("id", "store", "title", "key", "scopes", "state"),
        [
            (
                c.id,
                c.lrs_id or "(organisation)",
                c.title,
                c.basic_key,
                " ".join(c.scopes) or "(none)",
                "enabled" if c.is_trusted else "disabled",
            )
            for c in clients
        ],
        empty="no clients",
    )
    return OK


def client_regenerate(args: argparse.Namespace) -> int:
    """Issue a new secret."""
    settings = load_settings()
    with postgres_store(settings) as store:
        issued = regenerate_secret(store, args.id)
    _print_credentials(issued.client, issued.secret)
    print(_cache_note(settings, "the old secret fails"))
    return OK


def client_disable(args: argparse.Namespace) -> int:
    """Disable a client."""
    return _set_enabled(args.id, enabled=False)


def client_enable(args: argparse.Namespace) -> int:
    """Enable a client."""
    return _set_enabled(args.id, enabled=True)


def _set_enabled(client_id: str, *, enabled: bool) -> int:
    settings = load_settings()
    with postgres_store(settings) as store:
        client = set_client_enabled(store, client_id, enabled)
    state, effect = (
        ("enabled", "its requests are accepted again")
        if enabled
        else ("disabled", "its requests are refused (403)")
    )
    print(f"client  {client.id} ({client.title}, key {client.basic_key}) is {state}")
    print(_cache_note(settings, effect))
    return OK


def _cache_note(settings: Settings, effect: str) -> str:
    seconds = settings.auth_cache_seconds
    if seconds == 0:
        return f"A running server sees this at once ({effect}): LRS_AUTH_CACHE_SECONDS is 0."
    return (
        f"A running server sees this within LRS_AUTH_CACHE_SECONDS ({seconds} s here): then "
        f"{effect}; until then it may still accept credentials it verified in the last "
        f"{seconds} s."
    )


def _print_credentials(client: Client, secret: str) -> None:
    print(f"client  {client.id}")
    print(f"store   {client.lrs_id}")
    print(f"scopes  {' '.join(client.scopes)}")
    print(f"key     {client.basic_key}")
    print(f"secret  {secret}")
    print("(the secret is shown only now; it is stored hashed)")


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, empty: str) -> None:
    if not rows:
        print(empty)
        return
    widths = [max(len(str(row[i])) for row in (headers, *rows)) for i in range(len(headers))]
    for row in (headers, *rows):
        print(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )
