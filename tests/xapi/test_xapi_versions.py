"""The xAPI versions served and what each accepts as a statement's ``version``."""

from __future__ import annotations

import pytest

from lrs.xapi.versions import SUPPORTED_VERSIONS, XAPI_1_0_3, XAPI_2_0_0, negotiate


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("1.0", XAPI_1_0_3),
        ("1.0.0", XAPI_1_0_3),
        ("1.0.3", XAPI_1_0_3),
        (" 1.0.12 ", XAPI_1_0_3),
        ("2.0", XAPI_2_0_0),
        ("2.0.0", XAPI_2_0_0),
        ("2.0.7", XAPI_2_0_0),
        ("0.95", None),
        ("1", None),
        ("1.1", None),
        ("1.1.0", None),
        ("2.1.0", None),
        ("3.0.0", None),
        ("1.0.0-rc1", None),
        ("", None),
    ],
)
def test_the_header_picks_the_rules(header: str, expected: object) -> None:
    assert negotiate(header) is expected


def test_about_lists_the_newest_first() -> None:
    assert [version.name for version in SUPPORTED_VERSIONS] == ["2.0.0", "1.0.3"]


@pytest.mark.parametrize("value", ["1.0", "1.0.0", "1.0.3", "1.0.12"])
def test_both_versions_take_1_0_statements(value: str) -> None:
    assert XAPI_1_0_3.statement_versions.fullmatch(value)
    assert XAPI_2_0_0.statement_versions.fullmatch(value)


@pytest.mark.parametrize("value", ["2.0", "2.0.0", "2.0.9"])
def test_only_2_0_takes_2_0_statements(value: str) -> None:
    assert not XAPI_1_0_3.statement_versions.fullmatch(value)
    assert XAPI_2_0_0.statement_versions.fullmatch(value)


@pytest.mark.parametrize("value", ["1", "1.1", "1.1.0", "0.9.5", "2.1.0", "1.0.0-rc1", ""])
def test_neither_takes_other_versions(value: str) -> None:
    assert not XAPI_1_0_3.statement_versions.fullmatch(value)
    assert not XAPI_2_0_0.statement_versions.fullmatch(value)
