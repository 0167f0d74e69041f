"""``Store.reset(tenant=...)`` on both stores: everything goes, the tenant comes back as given."""

from __future__ import annotations

from lrs.store.base import Store
from lrs.store.find import FindQuery
from lrs.tenancy.scopes import Scope
from lrs.tenancy.service import bootstrap, new_client, new_lrs, new_organisation


def test_reset_with_a_tenant_leaves_exactly_that_tenant(store: Store) -> None:
    tenant = bootstrap(store, key="kept-key", secret="kept-secret")
    assert tenant is not None
    other_org = new_organisation("Other")
    store.add_organisation(other_org)
    other_lrs = new_lrs(other_org.id, "Other store")
    store.add_lrs(other_lrs)
    store.add_client(
        new_client(other_org.id, other_lrs.id, title="other", scopes=[Scope.ALL.value]).client
    )
    store.put_models("persona", [{"_id": "p1", "organisation": tenant.organisation.id}])

    store.reset(tenant=(tenant.organisation, tenant.lrs, tenant.issued.client))

    assert store.get_organisation(tenant.organisation.id) == tenant.organisation
    assert store.get_lrs(tenant.lrs.id) == tenant.lrs
    assert store.get_client_by_key("kept-key") == tenant.issued.client
    assert store.get_organisation(other_org.id) is None
    assert store.get_lrs(other_lrs.id) is None
    assert store.find_models("persona", None, FindQuery()) == []
    assert [c["_id"] for c in store.find_models("client", None, FindQuery())] == [
        tenant.issued.client.id
    ]


def test_reset_without_a_tenant_still_empties_everything(store: Store) -> None:
    assert bootstrap(store) is not None
    store.reset()
    assert not store.has_organisations()
