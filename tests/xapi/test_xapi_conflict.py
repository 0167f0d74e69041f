"""Statement comparison: which differences count for conflicts and signatures, which are ignored."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrs.xapi.conflict import (
    comparable_form,
    statement_hash,
    statements_equivalent,
    timestamps_agree,
)
from lrs.xapi.normalize import normalize_statement
from tests.xapi.xapi_samples import DELETE, edited, full, minimal, substatement

AUTHORITY = {"mbox": "mailto:lrs@example.com"}


def _pairs_same() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    base = full()
    sub = substatement()
    return {
        "identical": (base, full()),
        "LRS-assigned properties": (
            edited(edited(edited(base, "stored", DELETE), "authority", DELETE), "version", DELETE),
            normalize_statement(base, stored=datetime.now(UTC), authority=AUTHORITY),
        ),
        "id missing on one side": (edited(base, "id", DELETE), base),
        "timestamp missing on one side": (edited(base, "timestamp", DELETE), base),
        "timestamp in another zone": (
            edited(base, "timestamp", "2024-05-01T14:30:00.123+02:00"),
            base,
        ),
        "timestamp beyond milliseconds": (
            edited(base, "timestamp", "2024-05-01T12:30:00.1234567Z"),
            base,
        ),
        "key order": (dict(reversed(list(base.items()))), base),
        "single context activity": (
            edited(
                base,
                "context.contextActivities.parent",
                {"id": "http://example.com/activities/quiz"},
            ),
            base,
        ),
        "context activity objectType default": (
            edited(base, "context.contextActivities.parent[0].objectType", "Activity"),
            base,
        ),
        "activity definitions": (
            edited(base, "object.definition", {"name": {"de": "Frage"}}),
            base,
        ),
        "activity without definition": (edited(base, "object.definition", DELETE), base),
        "context activity definition": (
            edited(
                base, "context.contextActivities.parent[0].definition", {"name": {"en": "Quiz"}}
            ),
            base,
        ),
        "verb display": (edited(base, "verb.display", {"fr": "a répondu"}), base),
        "attachments": (edited(base, "attachments", DELETE), base),
        "group member order": (
            edited(
                base,
                "context.team.member",
                list(reversed(base["context"]["team"]["member"])),
            ),
            base,
        ),
        "mbox domain case": (edited(base, "actor.mbox", "mailto:ann@EXAMPLE.com"), base),
        "mbox_sha1sum case": (
            edited(
                minimal(), "actor", {"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"}
            ),
            edited(
                minimal(), "actor", {"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"}
            ),
        ),
        "registration case": (
            edited(base, "context.registration", base["context"]["registration"].upper()),
            base,
        ),
        "statement ref id case": (
            edited(base, "context.statement.id", base["context"]["statement"]["id"].upper()),
            base,
        ),
        "language tag case": (edited(base, "context.language", "EN-us"), base),
        "actor objectType default": (edited(base, "actor.objectType", DELETE), base),
        "object objectType default": (edited(base, "object.objectType", DELETE), base),
        "integral numbers": (
            edited(base, "result.score", {"scaled": 0.95, "raw": 95.0, "min": 0.0, "max": 100}),
            base,
        ),
        "duration beyond hundredths": (
            edited(base, "result.duration", "PT1H0M0.509S"),
            edited(base, "result.duration", "PT1H0M0.50S"),
        ),
        "substatement timestamp zone": (
            edited(sub, "object.timestamp", "2031-01-01T01:00:00+01:00"),
            sub,
        ),
        "substatement context activity array": (
            edited(
                sub, "object.context.contextActivities.parent", [{"id": "http://example.com/site"}]
            ),
            sub,
        ),
    }


SAME = _pairs_same()


@pytest.mark.parametrize(("first", "second"), SAME.values(), ids=SAME.keys())
def test_ignored_differences(first: dict[str, Any], second: dict[str, Any]) -> None:
    assert statements_equivalent(first, second)
    assert statements_equivalent(second, first)
    assert timestamps_agree(first, second)
    assert statement_hash(first) == statement_hash(second)


def _pairs_different() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    base = full()
    sub = substatement()
    return {
        "different ids": (edited(base, "id", "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"), base),
        "timestamp instant": (edited(base, "timestamp", "2024-05-01T12:30:00.124Z"), base),
        "verb id": (edited(base, "verb.id", "http://example.com/verbs/other"), base),
        "actor name": (edited(base, "actor.name", "Anne"), base),
        "mbox local part case": (edited(base, "actor.mbox", "mailto:Ann@example.com"), base),
        "actor IFI": (edited(base, "actor", {"openid": "https://id.example.com/ann"}), base),
        "object id": (edited(base, "object.id", "http://example.com/activities/quiz-2"), base),
        "result success": (edited(base, "result.success", False), base),
        "result duration": (edited(base, "result.duration", "PT1H0M0.6S"), base),
        "duration serialization": (edited(base, "result.duration", "PT3600.5S"), base),
        "result extension value": (
            edited(base, "result.extensions", {"http://example.com/ext/attempts": 1}),
            base,
        ),
        "context extension": (edited(base, "context.extensions", {}), base),
        "context platform": (edited(base, "context.platform", "Other"), base),
        "context activity ids": (
            edited(base, "context.contextActivities.parent[0].id", "http://example.com/p"),
            base,
        ),
        "context activity order": (
            edited(
                base,
                "context.contextActivities.parent",
                [{"id": "http://example.com/a"}, {"id": "http://example.com/b"}],
            ),
            edited(
                base,
                "context.contextActivities.parent",
                [{"id": "http://example.com/b"}, {"id": "http://example.com/a"}],
            ),
        ),
        "team member": (
            edited(base, "context.team.member[0].mbox", "mailto:carl@example.com"),
            base,
        ),
        "result removed": (edited(base, "result", DELETE), base),
        "boolean vs number": (
            edited(base, "result.extensions", {"x:y": True}),
            edited(base, "result.extensions", {"x:y": 1}),
        ),
        "substatement timestamp missing": (edited(sub, "object.timestamp", DELETE), sub),
        "substatement verb": (edited(sub, "object.verb.id", "http://example.com/verbs/x"), sub),
    }


DIFFERENT = _pairs_different()


@pytest.mark.parametrize(("first", "second"), DIFFERENT.values(), ids=DIFFERENT.keys())
def test_counted_differences(first: dict[str, Any], second: dict[str, Any]) -> None:
    assert not statements_equivalent(first, second)
    assert not statements_equivalent(second, first)


def test_hash_is_a_stable_sha256_hex_digest() -> None:
    digest = statement_hash(full())
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest == statement_hash(full())
    assert statement_hash(full()) != statement_hash(minimal())


def test_hash_ignores_the_top_level_timestamp_which_equivalence_checks() -> None:
    later = edited(full(), "timestamp", "2025-01-01T00:00:00Z")
    assert statement_hash(later) == statement_hash(full())
    assert not statements_equivalent(later, full())


def test_comparable_form_is_json_and_does_not_touch_the_input() -> None:
    statement = full()
    snapshot = orjson.dumps(statement)
    form = comparable_form(statement)
    assert orjson.loads(orjson.dumps(form)) == form
    assert orjson.dumps(statement) == snapshot
    assert "id" not in form and "stored" not in form and "attachments" not in form


def _shuffled(value: Any, rng: random.Random) -> Any:
    """``value`` with every object's keys in a random order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: _shuffled(item, rng) for key, item in items}
    if isinstance(value, list):
        return [_shuffled(item, rng) for item in value]
    return value


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), members=st.permutations(range(4)))
def test_hash_is_invariant_under_key_order_and_member_order(seed: int, members: list[int]) -> None:
    team = [{"mbox": f"mailto:m{index}@example.com"} for index in range(4)]
    base = edited(full(), "context.team.member", team)
    permuted = edited(base, "context.team.member", [team[index] for index in members])
    shuffled = _shuffled(permuted, random.Random(seed))
    assert statement_hash(shuffled) == statement_hash(base)
    assert statements_equivalent(shuffled, base)
