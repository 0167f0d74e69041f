"""The Store contract for finding model documents with the query language (both stores)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lrs.core.errors import Conflict
from lrs.query.cursor import decode_cursor, encode_cursor, with_tiebreaker
from lrs.query.evaluate import sort_values
from lrs.query.parse import PLAIN, parse_filter, parse_sort
from lrs.store.base import Store
from lrs.store.find import FindQuery

T0 = datetime(2026, 5, 1, tzinfo=UTC)
ORG, OTHER = "a" * 24, "b" * 24


def doc(n: int, organisation: str = ORG, **fields: Any) -> dict[str, Any]:
    return {
        "_id": f"{n:024x}",
        "organisation": organisation,
        "createdAt": T0 + timedelta(minutes=n),
        "updatedAt": T0 + timedelta(minutes=n),
        **fields,
    }


@pytest.fixture
def loaded(store: Store) -> Store:
    store.put_models(
        "query",
        [
            doc(1, name="alpha", isPublic=True, tags=["x", "y"], size=3),
            doc(2, name="Beta", isPublic=False, tags=[], size=3.0),
            doc(3, name="gamma", isPublic=True, size="3", nested={"a": {"b": 1}}),
            doc(4, name=None, isPublic=True, tags=["y"]),
            doc(5, name="délta", size=10),
            doc(6, OTHER, name="alpha", isPublic=True),
        ],
    )
    return store


def ids(docs: list[dict[str, Any]]) -> list[int]:
    return [int(d["_id"], 16) for d in docs]


def find(store: Store, raw_filter: Any = None, raw_sort: Any = None, **kw: Any) -> list[int]:
    query = FindQuery(
        filter=parse_filter(raw_filter or {}, PLAIN),
        sort=with_tiebreaker(parse_sort(raw_sort or {"_id": 1}, PLAIN)),
        **kw,
    )
    return ids(store.find_models("query", ORG, query))


@pytest.mark.parametrize(
    ("raw_filter", "expected"),
    [
        ({}, [1, 2, 3, 4, 5]),
        ({"name": "alpha"}, [1]),
        ({"name": None}, [4]),
        ({"name": {"$ne": None}}, [1, 2, 3, 5]),
        ({"size": 3}, [1, 2]),
        ({"size": {"$gte": 3}}, [1, 2, 5]),
        ({"size": {"$in": ["3", 10]}}, [3, 5]),
        ({"tags": "y"}, [1, 4]),
        ({"tags": {"$size": 0}}, [2]),
        ({"tags": {"$exists": False}}, [3, 5]),
        ({"nested.a.b": 1}, [3]),
        ({"name": {"$regex": "^al"}}, [1]),
        ({"$or": [{"isPublic": False}, {"size": 10}]}, [2, 5]),
        ({"createdAt": {"$gt": {"$dte": "2026-05-01T00:03:00Z"}}}, [4, 5]),
        ({"_id": {"$oid": f"{2:024x}"}}, [2]),
    ],
)
def test_filters_match_the_same_documents_in_every_store(
    loaded: Store, raw_filter: Any, expected: list[int]
) -> None:
    assert find(loaded, raw_filter) == expected
    assert loaded.count_models("query", ORG, parse_filter(raw_filter, PLAIN)) == len(expected)


def test_sorts_skip_and_limit(loaded: Store) -> None:
    assert find(loaded, raw_sort={"name": 1}) == [4, 2, 1, 5, 3]  # null first, code points
    assert find(loaded, raw_sort={"size": -1}) == [3, 5, 1, 2, 4]  # strings above numbers
    assert find(loaded, raw_sort={"createdAt": -1}, skip=1, limit=2) == [4, 3]


def test_keyset_pages_forwards_and_backwards(loaded: Store) -> None:
    sort = with_tiebreaker(parse_sort({"isPublic": -1, "size": 1}, PLAIN))
    everything = ids(loaded.find_models("query", ORG, FindQuery(sort=sort)))
    seen: list[int] = []
    position = None
    while True:
        page = loaded.find_models("query", ORG, FindQuery(sort=sort, limit=2, position=position))
        if not page:
            break
        seen += ids(page)
        token = encode_cursor(sort, sort_values(sort, page[-1]))
        position = decode_cursor(token, sort)
    assert seen == everything
    back = [everything[-1]]
    position = tuple(sort_values(sort, loaded.get_model("query", ORG, f"{everything[-1]:024x}")))
    while True:
        page = loaded.find_models(
            "query", ORG, FindQuery(sort=sort, limit=2, position=position, before=True)
        )
        if not page:
            break
        back += ids(page)
        position = tuple(sort_values(sort, page[-1]))
    assert back == everything[::-1]


def test_tenants_see_only_their_documents(loaded: Store) -> None:
    assert ids(loaded.find_models("query", OTHER, FindQuery())) == [6]
    assert loaded.get_model("query", OTHER, f"{1:024x}") is None
    assert loaded.get_model("query", ORG, f"{1:024x}")["name"] == "alpha"  # type: ignore[index]
    assert loaded.delete_model("query", OTHER, f"{1:024x}") is False
    assert loaded.get_model("query", None, f"{6:024x}") is not None


def test_put_replaces_and_delete_removes(loaded: Store) -> None:
    loaded.put_models("query", [doc(1, name="renamed")])
    found = loaded.get_model("query", ORG, f"{1:024x}")
    assert found is not None and found["name"] == "renamed" and "tags" not in found
    assert found["createdAt"] == T0 + timedelta(minutes=1)
    assert loaded.delete_model("query", ORG, f"{1:024x}") is True
    assert loaded.get_model("query", ORG, f"{1:024x}") is None


def test_client_keys_stay_unique_through_put_models(store: Store) -> None:
    def client(n: int, key: str) -> dict[str, Any]:
        return doc(n, api={"basic_key": key, "basic_secret_hash": "x"}, scopes=[], title="c")

    store.put_models("client", [client(1, "k1")])
    with pytest.raises(Conflict):
        store.put_models("client", [client(2, "k2"), client(3, "k1")])
    assert store.get_model("client", ORG, f"{2:024x}") is None
    store.put_models("client", [client(1, "k9")])
    assert store.get_client_by_key("k9") is not None
    assert store.get_client_by_key("k1") is None
