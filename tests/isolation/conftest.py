"""The isolation fixtures: the tenants' world over each store."""

from __future__ import annotations

import pytest

from lrs.store.base import Store
from tests.isolation.world import World, build_world


@pytest.fixture
def world(store: Store) -> World:
    """Two organisations and three stores with data, behind the real app."""
    return build_world(store)
