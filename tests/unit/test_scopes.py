"""What each Learning Locker scope allows."""

from __future__ import annotations

import pytest

from lrs.tenancy.scopes import ALL_SCOPES, Access, allows, invalid_scopes, reads_only_own_statements

READS = [Access.STATEMENTS_READ, Access.STATE_READ, Access.PROFILE_READ]
WRITES = [Access.STATEMENTS_WRITE, Access.STATE_WRITE, Access.PROFILE_WRITE]


@pytest.mark.parametrize(
    ("scope", "granted"),
    [
        ("all", {*READS, *WRITES, Access.ADMIN}),
        ("all/read", set(READS)),
        ("xapi/all", {*READS, *WRITES}),
        ("xapi/read", set(READS)),
        ("statements/read", {Access.STATEMENTS_READ}),
        ("statements/read/mine", {Access.STATEMENTS_READ}),
        ("statements/write", {Access.STATEMENTS_WRITE}),
        ("state", {Access.STATE_READ, Access.STATE_WRITE}),
        ("profile", {Access.PROFILE_READ, Access.PROFILE_WRITE}),
        ("statements/delete", {Access.STATEMENTS_DELETE}),
    ],
)
def test_each_scope_grants_exactly_its_accesses(scope: str, granted: set[Access]) -> None:
    every = set(Access) - {Access.AUTHENTICATED}
    assert {access for access in every if allows([scope], access)} == granted


def test_all_does_not_include_statement_deletion() -> None:
    assert not allows(["all"], Access.STATEMENTS_DELETE)


def test_any_client_may_use_authenticated_routes() -> None:
    assert allows([], Access.AUTHENTICATED)


def test_read_mine_applies_only_without_a_read_all_scope() -> None:
    assert reads_only_own_statements(["statements/read/mine"])
    assert reads_only_own_statements(["statements/read/mine", "state"])
    assert not reads_only_own_statements(["statements/read/mine", "statements/read"])
    assert not reads_only_own_statements(["statements/read/mine", "all"])
    assert not reads_only_own_statements(["xapi/all"])


def test_unknown_scopes_are_reported_in_order() -> None:
    assert invalid_scopes(["all", "root", "xapi/all", "admin"]) == ["root", "admin"]
    assert len(ALL_SCOPES) == 10
