"""The store's engine keeps bound values out of driver error messages (and so out of logs)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lrs.store.postgres import create_engine

pytestmark = pytest.mark.postgres


def test_driver_errors_do_not_carry_bound_values(pg_database_url: str) -> None:
    engine = create_engine(pg_database_url, pool_size=1)
    try:
        with pytest.raises(sa.exc.DBAPIError) as raised, engine.connect() as conn:
            # The failure (division by zero) does not quote the value; only a parameter dump would.
            conn.execute(sa.text("SELECT CAST(:v AS text), 1 / 0"), {"v": "sha256$secret-hash"})
        assert "sha256$secret-hash" not in str(raised.value)
        assert "hidden due to hide_parameters" in str(raised.value)
    finally:
        engine.dispose()
