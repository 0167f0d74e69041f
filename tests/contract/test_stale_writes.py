"""``put_models(..., expected_updated=...)``: a read-modify-write never overwrites a change made
since the read, on either store."""

from __future__ import annotations

import pytest

from lrs.core.errors import StaleWrite
from lrs.store.base import Store
from tests.contract.test_find_models import ORG, doc


def test_a_write_over_the_version_read_lands(store: Store) -> None:
    store.put_models("query", [doc(1, name="first")])
    read = store.get_model("query", ORG, f"{1:024x}")
    assert read is not None
    changed = {**read, "name": "second", "updatedAt": read["updatedAt"].replace(year=2031)}
    store.put_models("query", [changed], expected_updated={read["_id"]: read["updatedAt"]})
    assert store.get_model("query", ORG, read["_id"])["name"] == "second"  # type: ignore[index]


def test_a_write_over_an_older_version_changes_nothing(store: Store) -> None:
    store.put_models("query", [doc(1, name="first"), doc(2, name="other")])
    read = store.get_model("query", ORG, f"{1:024x}")
    assert read is not None
    newer = {
        **read,
        "name": "by another request",
        "updatedAt": read["updatedAt"].replace(year=2031),
    }
    store.put_models("query", [newer])
    stale = {**read, "name": "lost", "updatedAt": read["updatedAt"].replace(year=2032)}
    other = store.get_model("query", ORG, f"{2:024x}")
    assert other is not None
    with pytest.raises(StaleWrite):
        store.put_models(
            "query",
            [stale, {**other, "name": "not written either"}],
            expected_updated={read["_id"]: read["updatedAt"], other["_id"]: other["updatedAt"]},
        )
    assert store.get_model("query", ORG, read["_id"])["name"] == "by another request"  # type: ignore[index]
    assert store.get_model("query", ORG, other["_id"])["name"] == "other"  # type: ignore[index]
