"""Secret hashing, Basic header parsing and id generation."""

from __future__ import annotations

import base64
import os
import re
import threading

import pytest

from lrs.core.errors import Unauthorized
from lrs.core.ids import is_object_id, new_client_key, new_client_secret, new_object_id
from lrs.core.secrets_hash import hash_secret, verify_secret
from lrs.http.auth import parse_basic


def test_a_secret_hash_is_salted_and_verifies_only_the_secret() -> None:
    first, second = hash_secret("s3cret"), hash_secret("s3cret")
    assert first != second
    assert "s3cret" not in first
    assert verify_secret("s3cret", first) and verify_secret("s3cret", second)
    assert not verify_secret("s3cret ", first)
    assert not verify_secret("", first)


@pytest.mark.parametrize("stored", ["", "sha256$zz$00", "md5$00$00", "garbage"])
def test_a_malformed_stored_hash_never_verifies(stored: str) -> None:
    assert not verify_secret("anything", stored)


def basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


def test_parse_basic_splits_at_the_first_colon() -> None:
    assert parse_basic(basic("key:sec:ret")) == ("key", "sec:ret")
    assert parse_basic("basic " + basic("k:s")[6:]) == ("k", "s")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing"),
        ("", "missing"),
        ("Bearer abc", "Basic scheme"),
        ("Basic !!!", "base64"),
        (basic("no-colon"), "key:secret"),
        (basic(":secret-only"), "key:secret"),
    ],
)
def test_parse_basic_rejects_malformed_headers(header: str | None, message: str) -> None:
    with pytest.raises(Unauthorized, match=message):
        parse_basic(header)


def test_object_ids_are_unique_time_ordered_hex() -> None:
    ids: list[str] = []

    def make() -> None:
        ids.extend(new_object_id() for _ in range(2000))

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 8000
    assert all(is_object_id(value) for value in ids)
    assert new_object_id(now=1_000) < new_object_id(now=2_000)
    assert not is_object_id("g" * 24) and not is_object_id(123)


def test_a_forked_process_makes_ids_with_its_own_random_part() -> None:
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # the child: report one id and leave without running pytest's teardown
        os.write(write_end, new_object_id().encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    theirs = os.read(read_end, 24).decode()
    os.close(read_end)
    # Layout: 4 bytes of seconds, 5 random bytes per process, a 3-byte counter.
    assert is_object_id(theirs)
    assert theirs[8:18] != new_object_id()[8:18]


def test_client_keys_and_secrets_are_40_hex() -> None:
    assert re.fullmatch(r"[0-9a-f]{40}", new_client_key())
    assert re.fullmatch(r"[0-9a-f]{40}", new_client_secret())
    assert new_client_secret() != new_client_secret()
