"""The credential cache: fresh entries answer without the store; wrong secrets never hit it."""

from __future__ import annotations

import base64
import time

import pytest

from lrs.core.errors import Unauthorized
from lrs.core.timeutil import utc_now
from lrs.http.auth import PrincipalCache
from lrs.store.memory import MemoryStore
from lrs.tenancy.service import bootstrap


class CountingStore(MemoryStore):
    """A real memory store that counts client lookups."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    def get_client_by_key(self, basic_key: str):  # type: ignore[no-untyped-def]
        self.lookups += 1
        return super().get_client_by_key(basic_key)


def header(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def test_fresh_entries_skip_the_store_and_expire() -> None:
    store = CountingStore()
    bootstrap(store, key="k", secret="s")
    cache = PrincipalCache(ttl=0.2)
    first = cache.authenticate(store, header("k", "s"), utc_now())
    second = cache.authenticate(store, header("k", "s"), utc_now())
    assert first == second and store.lookups == 1
    time.sleep(0.25)
    cache.authenticate(store, header("k", "s"), utc_now())
    assert store.lookups == 2


def test_a_wrong_secret_is_never_answered_from_the_cache() -> None:
    store = CountingStore()
    bootstrap(store, key="k", secret="s")
    cache = PrincipalCache(ttl=60)
    cache.authenticate(store, header("k", "s"), utc_now())
    for _ in range(2):
        with pytest.raises(Unauthorized):
            cache.authenticate(store, header("k", "wrong"), utc_now())
    assert store.lookups == 3


def test_ttl_zero_always_asks_the_store() -> None:
    store = CountingStore()
    bootstrap(store, key="k", secret="s")
    cache = PrincipalCache(ttl=0)
    for _ in range(3):
        cache.authenticate(store, header("k", "s"), utc_now())
    assert store.lookups == 3
