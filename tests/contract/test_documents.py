"""The Store contract for xAPI documents, run against every store."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from lrs.core.errors import BadRequest, Conflict, PreconditionFailed
from lrs.documents.model import (
    DocumentKind,
    DocumentScope,
    DocumentWrite,
    Precondition,
    Unconditional,
    WriteMode,
)
from lrs.documents.rules import etag_of
from lrs.store.base import Store
from lrs.tenancy.service import new_lrs, new_organisation

T0 = datetime(2026, 3, 1, tzinfo=UTC)
JSON = "application/json"


@pytest.fixture
def lrs_id(store: Store) -> str:
    organisation = new_organisation("Acme")
    store.add_organisation(organisation)
    lrs = new_lrs(organisation.id, "main")
    store.add_lrs(lrs)
    return lrs.id


def state_scope(lrs_id: str, registration: str | None = "") -> DocumentScope:
    return DocumentScope(
        lrs_id=lrs_id,
        kind=DocumentKind.STATE,
        activity_id="http://example.com/a",
        agent="mailto:ann@example.com",
        registration=registration,
    )


def put(content: bytes, content_type: str = JSON, **condition: object) -> DocumentWrite:
    return DocumentWrite(content, content_type, WriteMode.REPLACE, Precondition(**condition))  # type: ignore[arg-type]


def post(content: bytes, **condition: object) -> DocumentWrite:
    return DocumentWrite(content, JSON, WriteMode.MERGE, Precondition(**condition))  # type: ignore[arg-type]


def test_a_document_is_kept_byte_for_byte_with_its_type_and_etag(store: Store, lrs_id: str) -> None:
    key = state_scope(lrs_id).key("s1")
    content = bytes(range(256))
    written = store.write_document(key, put(content, "application/octet-stream"), T0)
    assert written.etag == etag_of(content)
    found = store.get_document(key)
    assert found is not None
    assert (found.content, found.content_type, found.etag) == (
        content,
        "application/octet-stream",
        etag_of(content),
    )
    assert found.updated == T0


def test_post_merges_top_level_keys_of_json_objects(store: Store, lrs_id: str) -> None:
    key = state_scope(lrs_id).key("s1")
    store.write_document(key, post(b'{"keep": 1, "change": "before"}'), T0)
    store.write_document(key, post(b'{"change": "after", "add": {"x": 1}}'), T0)
    found = store.get_document(key)
    assert found is not None
    assert orjson.loads(found.content) == {"keep": 1, "change": "after", "add": {"x": 1}}


@pytest.mark.parametrize(
    ("existing", "existing_type", "incoming"),
    [
        (b'{"a": 1}', JSON, b"[1, 2]"),
        (b'{"a": 1}', JSON, b"not json"),
        (b"plain text", "text/plain", b'{"a": 1}'),
    ],
)
def test_post_refuses_what_is_not_two_json_objects_and_changes_nothing(
    store: Store, lrs_id: str, existing: bytes, existing_type: str, incoming: bytes
) -> None:
    key = state_scope(lrs_id).key("s1")
    store.write_document(key, put(existing, existing_type), T0)
    with pytest.raises(BadRequest):
        store.write_document(key, post(incoming), T0 + timedelta(seconds=1))
    found = store.get_document(key)
    assert found is not None and found.content == existing and found.updated == T0


def test_if_match_and_if_none_match(store: Store, lrs_id: str) -> None:
    key = state_scope(lrs_id).key("s1")
    with pytest.raises(PreconditionFailed):
        store.write_document(key, put(b"{}", if_match=("*",)), T0)
    first = store.write_document(key, put(b'{"v": 1}', if_none_match=("*",)), T0)
    with pytest.raises(PreconditionFailed):
        store.write_document(key, put(b'{"v": 2}', if_none_match=("*",)), T0)
    with pytest.raises(PreconditionFailed):
        store.write_document(key, put(b'{"v": 2}', if_match=("0" * 40,)), T0)
    second = store.write_document(key, put(b'{"v": 2}', if_match=(first.etag,)), T0)
    assert store.get_document(key) == second
    with pytest.raises(PreconditionFailed):
        store.delete_document(key, Precondition(if_match=(first.etag,)))
    assert store.delete_document(key, Precondition(if_match=(second.etag,))) is True
    assert store.get_document(key) is None


def test_profiles_need_a_condition_to_be_put(store: Store, lrs_id: str) -> None:
    scope = DocumentScope(lrs_id=lrs_id, kind=DocumentKind.ACTIVITY_PROFILE, activity_id="http://a")
    key = scope.key("p1")
    strict = {"unconditional": Unconditional.REFUSED}
    with pytest.raises(BadRequest, match="If-None-Match"):
        store.write_document(key, put(b"{}", **strict), T0)
    store.write_document(key, put(b'{"v": 1}', if_none_match=("*",), **strict), T0)
    with pytest.raises(Conflict, match="If-Match"):
        store.write_document(key, put(b'{"v": 2}', **strict), T0)
    assert store.get_document(key).content == b'{"v": 1}'  # type: ignore[union-attr]


def test_listing_ids_since_and_registrations(store: Store, lrs_id: str) -> None:
    registration = "5d9c1f5e-8b8a-4b8e-9d3f-6c1d2e3f4a5b"
    store.write_document(state_scope(lrs_id).key("b"), put(b"1"), T0)
    store.write_document(state_scope(lrs_id).key("a"), put(b"2"), T0 + timedelta(seconds=2))
    store.write_document(state_scope(lrs_id, registration).key("c"), put(b"3"), T0)
    assert [i for i, _ in store.list_document_ids(state_scope(lrs_id))] == ["a", "b"]
    assert [i for i, _ in store.list_document_ids(state_scope(lrs_id, registration))] == ["c"]
    assert [i for i, _ in store.list_document_ids(state_scope(lrs_id, None))] == ["a", "b", "c"]
    since = store.list_document_ids(state_scope(lrs_id, None), T0 + timedelta(seconds=1))
    assert [i for i, _ in since] == ["a"]


def test_documents_of_different_keys_do_not_mix(store: Store, lrs_id: str) -> None:
    store.write_document(state_scope(lrs_id).key("s"), put(b"state"), T0)
    profile = DocumentScope(
        lrs_id=lrs_id, kind=DocumentKind.ACTIVITY_PROFILE, activity_id="http://example.com/a"
    )
    store.write_document(profile.key("s"), put(b"profile"), T0)
    other_store = new_lrs(store.get_lrs(lrs_id).organisation_id, "other")  # type: ignore[union-attr]
    store.add_lrs(other_store)
    assert store.get_document(state_scope(other_store.id).key("s")) is None
    assert store.get_document(profile.key("s")).content == b"profile"  # type: ignore[union-attr]
    assert store.get_document(state_scope(lrs_id).key("s")).content == b"state"  # type: ignore[union-attr]


def test_bulk_delete_of_a_state_scope(store: Store, lrs_id: str) -> None:
    registration = "5d9c1f5e-8b8a-4b8e-9d3f-6c1d2e3f4a5b"
    store.write_document(state_scope(lrs_id).key("a"), put(b"1"), T0)
    store.write_document(state_scope(lrs_id, registration).key("b"), put(b"2"), T0)
    assert store.delete_documents(state_scope(lrs_id, registration)) == 1
    assert [i for i, _ in store.list_document_ids(state_scope(lrs_id, None))] == ["a"]
    assert store.delete_documents(state_scope(lrs_id, None)) == 1
    assert store.list_document_ids(state_scope(lrs_id, None)) == []


def test_of_many_writers_holding_one_etag_exactly_one_wins(store: Store, lrs_id: str) -> None:
    key = state_scope(lrs_id).key("race")
    original = store.write_document(key, put(b'{"n": 0}'), T0)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def writer(n: int) -> None:
        barrier.wait()
        try:
            store.write_document(key, put(f'{{"n": {n}}}'.encode(), if_match=(original.etag,)), T0)
            outcomes.append("won")
        except PreconditionFailed:
            outcomes.append("412")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["412"] * 7 + ["won"]


def test_of_many_creators_with_if_none_match_exactly_one_wins(store: Store, lrs_id: str) -> None:
    key = state_scope(lrs_id).key("create-race")
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def creator(n: int) -> None:
        barrier.wait()
        try:
            store.write_document(key, put(f'{{"n": {n}}}'.encode(), if_none_match=("*",)), T0)
            outcomes.append("won")
        except PreconditionFailed:
            outcomes.append("412")

    threads = [threading.Thread(target=creator, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["412"] * 7 + ["won"]
