"""The Store contract for organisations, stores and clients, run against every store."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from lrs.core.errors import Conflict, NotFound
from lrs.core.secrets_hash import verify_secret
from lrs.store.base import Store
from lrs.store.models import Client, Lrs, Organisation
from lrs.tenancy.scopes import Scope
from lrs.tenancy.service import bootstrap, new_client, new_lrs, new_organisation


def add_tenant(store: Store, key: str = "key-1") -> tuple[Organisation, Lrs, Client]:
    organisation = new_organisation("Acme")
    store.add_organisation(organisation)
    lrs = new_lrs(organisation.id, "Main store", "for tests")
    store.add_lrs(lrs)
    issued = new_client(
        organisation.id, lrs.id, title="Tests", scopes=["xapi/all", "state"], key=key
    )
    store.add_client(issued.client)
    return organisation, lrs, issued.client


def test_empty_store_has_no_organisations(store: Store) -> None:
    assert store.has_organisations() is False
    assert store.get_organisation("0" * 24) is None
    assert store.get_lrs("0" * 24) is None
    assert store.get_client("0" * 24) is None
    assert store.get_client_by_key("nobody") is None


def test_ping_and_schema_check_pass_on_a_ready_store(store: Store) -> None:
    store.ping()
    store.check_schema()


def test_added_models_read_back_equal(store: Store) -> None:
    organisation, lrs, client = add_tenant(store)
    assert store.has_organisations() is True
    assert store.get_organisation(organisation.id) == organisation
    assert store.get_lrs(lrs.id) == lrs
    assert store.get_client(client.id) == client
    assert store.get_client_by_key("key-1") == client


def test_client_keeps_scopes_authority_and_only_a_hash_of_the_secret(store: Store) -> None:
    organisation = new_organisation("Acme")
    store.add_organisation(organisation)
    authority = {
        "objectType": "Agent",
        "name": "LMS",
        "account": {"homePage": "https://lms.example", "name": "lms"},
    }
    issued = new_client(
        organisation.id,
        None,
        title="Org-wide",
        scopes=["all", "statements/delete"],
        key="org-key",
        secret="clear-secret",
        authority=authority,
    )
    store.add_client(issued.client)
    stored = store.get_client_by_key("org-key")
    assert stored is not None
    assert stored.lrs_id is None
    assert stored.scopes == ("all", "statements/delete")
    assert stored.authority == authority
    assert "clear-secret" not in stored.secret_hash
    assert verify_secret("clear-secret", stored.secret_hash)
    assert not verify_secret("other-secret", stored.secret_hash)
    assert stored.to_document()["authority"].startswith("{")  # a JSON string, as Learning Locker


def test_stores_are_listed_per_organisation_oldest_first(store: Store) -> None:
    first, second = new_organisation("A"), new_organisation("B")
    store.add_organisation(first)
    store.add_organisation(second)
    a1, b1, a2 = new_lrs(first.id, "a1"), new_lrs(second.id, "b1"), new_lrs(first.id, "a2")
    for lrs in (a1, b1, a2):
        store.add_lrs(lrs)
    assert [lrs.title for lrs in store.list_lrs(first.id)] == ["a1", "a2"]
    assert [lrs.title for lrs in store.list_lrs(second.id)] == ["b1"]
    assert store.list_lrs("0" * 24) == []


def test_a_store_needs_an_existing_organisation(store: Store) -> None:
    with pytest.raises(NotFound, match="organisation"):
        store.add_lrs(new_lrs("0" * 24, "orphan"))
    assert store.has_organisations() is False


def test_a_client_needs_its_store_in_its_own_organisation(store: Store) -> None:
    organisation, lrs, _ = add_tenant(store)
    other = new_organisation("Other")
    store.add_organisation(other)
    foreign = new_client(other.id, lrs.id, title="x", scopes=["all"], key="foreign")
    with pytest.raises(NotFound, match="store"):
        store.add_client(foreign.client)
    missing = new_client(organisation.id, "0" * 24, title="x", scopes=["all"], key="missing")
    with pytest.raises(NotFound, match="store"):
        store.add_client(missing.client)
    assert store.get_client_by_key("foreign") is None
    assert store.get_client_by_key("missing") is None


def test_basic_keys_are_unique(store: Store) -> None:
    organisation, lrs, client = add_tenant(store, key="taken")
    duplicate = new_client(organisation.id, lrs.id, title="dup", scopes=["all"], key="taken")
    with pytest.raises(Conflict, match="basic_key"):
        store.add_client(duplicate.client)
    assert store.get_client_by_key("taken") == client
    assert store.get_client(duplicate.client.id) is None


def test_ids_are_never_reused(store: Store) -> None:
    organisation = new_organisation("Acme")
    store.add_organisation(organisation)
    with pytest.raises(Conflict, match=organisation.id):
        store.add_organisation(organisation)


def test_expiration_round_trips(store: Store) -> None:
    organisation = new_organisation("Expiring")
    expiring = Organisation(
        id=organisation.id,
        name=organisation.name,
        created_at=organisation.created_at,
        updated_at=organisation.updated_at,
        expiration=organisation.created_at + timedelta(days=30),
    )
    store.add_organisation(expiring)
    assert store.get_organisation(expiring.id) == expiring


def test_bootstrap_creates_a_tenant_once(store: Store) -> None:
    created = bootstrap(store, key="boot-key", secret="boot-secret")
    assert created is not None
    client = store.get_client_by_key("boot-key")
    assert client is not None
    assert client.scopes == (Scope.ALL.value,)
    assert client.lrs_id == created.lrs.id
    assert verify_secret("boot-secret", client.secret_hash)
    assert store.get_lrs(created.lrs.id) == created.lrs
    assert bootstrap(store, key="other-key") is None
    assert store.get_client_by_key("other-key") is None


def test_concurrent_bootstraps_create_exactly_one_tenant(store: Store) -> None:
    results: list[object] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def run(index: int) -> None:
        try:
            organisation = new_organisation(f"org {index}")
            lrs = new_lrs(organisation.id, "store")
            client = new_client(organisation.id, lrs.id, title="c", scopes=["all"], key=f"k{index}")
            barrier.wait()
            results.append(store.add_tenant_if_empty(organisation, lrs, client.client))
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results, key=bool) == [False] * 5 + [True]
    assert sum(store.get_client_by_key(f"k{i}") is not None for i in range(6)) == 1


def test_reset_deletes_everything(store: Store) -> None:
    add_tenant(store)
    store.reset()
    assert store.has_organisations() is False
    assert store.get_client_by_key("key-1") is None
