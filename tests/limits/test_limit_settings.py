"""The limit settings are read from the environment, and a bad value names its variable."""

from __future__ import annotations

import pytest

from lrs.core.settings import Settings, SettingsError


def test_defaults_and_values() -> None:
    default = Settings.from_env({})
    assert default.max_statements_per_batch == 1000
    assert default.max_attachment_bytes == 10 * 1024 * 1024
    chosen = Settings.from_env(
        {"LRS_MAX_STATEMENTS_PER_BATCH": "50", "LRS_MAX_ATTACHMENT_BYTES": "2048"}
    )
    assert (chosen.max_statements_per_batch, chosen.max_attachment_bytes) == (50, 2048)


@pytest.mark.parametrize("name", ["LRS_MAX_STATEMENTS_PER_BATCH", "LRS_MAX_ATTACHMENT_BYTES"])
@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
