"""LRS-assigned properties, and the exact / ids / canonical renderings with language choice."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from lrs.xapi.formats import format_canonical, format_ids, format_statement
from lrs.xapi.languages import choose_language, parse_accept_language
from lrs.xapi.normalize import normalize_statement, wrap_context_activities
from lrs.xapi.validate import validate_statement
from tests.xapi.xapi_samples import MBOX, STATEMENT_ID, edited, full, minimal, substatement

STORED = datetime(2024, 5, 2, 8, 0, 0, 987654, tzinfo=UTC)
AUTHORITY = {
    "objectType": "Agent",
    "account": {"homePage": "https://lrs.example.com", "name": "c1"},
}


def _normalize(statement: dict[str, Any], **options: Any) -> dict[str, Any]:
    return normalize_statement(statement, stored=STORED, authority=AUTHORITY, **options)


# --- normalize -----------------------------------------------------------------------------------


def test_missing_properties_are_assigned() -> None:
    result = _normalize(minimal(), new_id=lambda: "11111111-2222-4333-8444-555555555555")
    assert result["id"] == "11111111-2222-4333-8444-555555555555"
    assert result["stored"] == "2024-05-02T08:00:00.987Z"
    assert result["timestamp"] == result["stored"]
    assert result["authority"] == AUTHORITY
    assert result["version"] == "1.0.0"
    validate_statement(result)


def test_generated_ids_are_random_uuid4() -> None:
    first, second = _normalize(minimal())["id"], _normalize(minimal())["id"]
    assert first != second
    assert first[14] == "4"


def test_sent_values_are_kept_except_stored_and_authority() -> None:
    statement = full()
    result = _normalize(statement)
    assert result["id"] == STATEMENT_ID
    assert result["timestamp"] == "2024-05-01T12:30:00.123Z"
    assert result["version"] == "1.0.0"
    assert result["stored"] == "2024-05-02T08:00:00.987Z"
    assert result["authority"] == AUTHORITY
    assert {k: v for k, v in result.items() if k not in ("stored", "authority")} == {
        k: v for k, v in statement.items() if k not in ("stored", "authority")
    }


def test_version_as_sent_is_kept() -> None:
    assert _normalize(edited(minimal(), "version", "1.0.3"))["version"] == "1.0.3"


def test_stored_in_another_zone_is_written_in_utc() -> None:
    instant = datetime(2024, 5, 2, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    result = normalize_statement(minimal(), stored=instant, authority=AUTHORITY)
    assert result["stored"] == "2024-05-02T08:00:00.000Z"


def test_each_stored_instant_is_written_as_itself() -> None:
    # A batch's statements share one instant, formatted once; the next batch gets its own.
    later = STORED + timedelta(milliseconds=1)
    texts = [
        normalize_statement(minimal(), stored=instant, authority=AUTHORITY)["stored"]
        for instant in (STORED, STORED, later, STORED)
    ]
    assert texts == [
        "2024-05-02T08:00:00.987Z",
        "2024-05-02T08:00:00.987Z",
        "2024-05-02T08:00:00.988Z",
        "2024-05-02T08:00:00.987Z",
    ]


def test_trusted_client_keeps_the_sent_authority() -> None:
    sent = {"mbox": "mailto:trusted@example.com"}
    statement = edited(minimal(), "authority", sent)
    assert _normalize(statement, keep_authority=True)["authority"] == sent
    assert _normalize(statement)["authority"] == AUTHORITY
    assert _normalize(minimal(), keep_authority=True)["authority"] == AUTHORITY


def test_single_context_activities_become_arrays_everywhere() -> None:
    statement = edited(
        substatement(), "context", {"contextActivities": {"other": {"id": "http://x.example/o"}}}
    )
    result = _normalize(statement)
    assert result["context"]["contextActivities"] == {"other": [{"id": "http://x.example/o"}]}
    assert result["object"]["context"]["contextActivities"] == {
        "parent": [{"id": "http://example.com/site"}]
    }
    assert result["object"]["context"]["instructor"] == {"mbox": "mailto:teacher@example.com"}
    assert statement["context"]["contextActivities"]["other"] == {"id": "http://x.example/o"}


def test_normalize_does_not_modify_its_input_and_keeps_key_order() -> None:
    statement = full()
    snapshot = copy.deepcopy(statement)
    result = _normalize(statement)
    assert statement == snapshot
    assert list(result)[: len(statement)] == list(statement)


def test_wrap_context_activities_returns_the_same_object_when_nothing_to_do() -> None:
    statement = full()
    assert wrap_context_activities(statement) is statement


# --- language choice -----------------------------------------------------------------------------


def test_parse_accept_language_orders_by_weight() -> None:
    assert parse_accept_language("da, en-gb;q=0.8, en;q=0.7") == (
        ("da", 1.0),
        ("en-gb", 0.8),
        ("en", 0.7),
    )
    assert parse_accept_language("fr;q=0.5, de") == (("de", 1.0), ("fr", 0.5))
    assert parse_accept_language(None) == ()
    assert parse_accept_language(" , en;q=abc, fr;q=2, es;level=1, it") == (("it", 1.0),)


MAP = {"en-US": "color", "en-GB": "colour", "fr": "couleur", "de-CH": "Farbe"}


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("en-GB", "en-GB"),
        ("fr-CA, en;q=0.5", "en-US"),
        ("en", "en-US"),
        ("de", "de-CH"),
        ("fr-CA", "fr"),
        ("ja, *;q=0.1", "en-US"),
        ("*", "en-US"),
        ("en-US;q=0, en", "en-GB"),
        ("ja", "en-US"),
        (None, "en-US"),
    ],
)
def test_choose_language(header: str | None, key: str) -> None:
    assert choose_language(MAP, parse_accept_language(header)) == key


def test_choose_language_on_an_empty_map() -> None:
    assert choose_language({}, parse_accept_language("en")) is None


# --- formats -------------------------------------------------------------------------------------


def _stored_sub() -> dict[str, Any]:
    """A stored statement with a SubStatement whose actor is an identified Group."""
    statement = _normalize(
        {
            "actor": {"objectType": "Agent", "name": "Ann", "mbox": MBOX},
            "verb": {
                "id": "http://example.com/v/planned",
                "display": {"en-US": "planned", "en-GB": "planned (GB)"},
            },
            "object": {
                "objectType": "SubStatement",
                "actor": {
                    "objectType": "Group",
                    "name": "G",
                    "mbox": "mailto:g@example.com",
                    "member": [{"mbox": "mailto:m@example.com", "name": "M"}],
                },
                "verb": {
                    "id": "http://example.com/v/attend",
                    "display": {"en-US": "attend", "en-GB": "attend (GB)"},
                },
                "object": full()["object"],
            },
        }
    )
    validate_statement(statement)
    return statement


def test_exact_is_the_statement_itself() -> None:
    statement = _stored_sub()
    assert format_statement(statement, "exact") is statement


def test_ids_keeps_only_identifiers() -> None:
    result = format_ids(_stored_sub())
    assert result["actor"] == {"objectType": "Agent", "mbox": MBOX}
    assert result["verb"] == {"id": "http://example.com/v/planned"}
    sub = result["object"]
    assert sub["objectType"] == "SubStatement"
    assert sub["actor"] == {"objectType": "Group", "mbox": "mailto:g@example.com"}
    assert sub["verb"] == {"id": "http://example.com/v/attend"}
    assert sub["object"] == {"id": "http://example.com/activities/quiz-1"}
    assert result["authority"] == AUTHORITY
    assert result["stored"] == "2024-05-02T08:00:00.987Z"


def test_ids_of_context_and_anonymous_groups() -> None:
    statement = _normalize(full())
    statement["actor"] = {
        "objectType": "Group",
        "name": "Anon",
        "member": [
            {"name": "B", "mbox": "mailto:b@example.com"},
            {"objectType": "Agent", "openid": "https://o.example"},
        ],
    }
    result = format_ids(statement)
    assert result["actor"] == {
        "objectType": "Group",
        "member": [
            {"mbox": "mailto:b@example.com"},
            {"objectType": "Agent", "openid": "https://o.example"},
        ],
    }
    context = result["context"]
    assert context["instructor"] == {
        "objectType": "Agent",
        "account": full()["context"]["instructor"]["account"],
    }
    assert context["team"] == {
        "objectType": "Group",
        "member": [{"mbox": "mailto:bob@example.com"}, {"openid": "https://id.example.com/c"}],
    }
    assert context["contextActivities"]["grouping"] == [{"id": "http://example.com/courses/c1"}]
    assert context["statement"] == full()["context"]["statement"]
    assert result["result"] == full()["result"]
    assert result["attachments"] == full()["attachments"]


def test_ids_keeps_statement_refs() -> None:
    ref = {"objectType": "StatementRef", "id": STATEMENT_ID}
    assert format_ids(edited(minimal(), "object", ref))["object"] == ref


def test_canonical_picks_one_language_per_map() -> None:
    statement = _stored_sub()
    result = format_canonical(statement, parse_accept_language("en-GB"))
    assert result["actor"] == statement["actor"]
    assert result["verb"] == {
        "id": "http://example.com/v/planned",
        "display": {"en-GB": "planned (GB)"},
    }
    sub = result["object"]
    assert sub["actor"] == statement["object"]["actor"]
    assert sub["verb"]["display"] == {"en-GB": "attend (GB)"}
    definition = sub["object"]["definition"]
    assert definition["name"] == {"en-US": "Quiz question 1"}
    assert definition["description"] == {"en-US": "Pick one"}
    assert definition["choices"][0]["description"] == {"en-US": "Golf"}
    assert definition["type"] == full()["object"]["definition"]["type"]
    assert definition["correctResponsesPattern"] == ["golf[,]tetris"]
    assert statement["verb"]["display"] == {"en-US": "planned", "en-GB": "planned (GB)"}


def test_canonical_uses_the_lrs_definitions_and_context_activities() -> None:
    statement = _normalize(full())
    canonical_definitions = {
        "http://example.com/activities/quiz": {"name": {"en-US": "Quiz", "fr": "Le quiz"}},
        "http://example.com/activities/quiz-1": {"name": {"fr": "Q1 canonique"}},
    }
    result = format_canonical(
        statement,
        parse_accept_language("fr"),
        activity_definition=canonical_definitions.get,
        verb_display={
            "http://adlnet.gov/expapi/verbs/answered": {"fr": "a répondu", "en": "answered"}
        }.get,
    )
    assert result["object"]["definition"] == {"name": {"fr": "Q1 canonique"}}
    assert result["verb"]["display"] == {"fr": "a répondu"}
    parent = result["context"]["contextActivities"]["parent"][0]
    assert parent == {
        "id": "http://example.com/activities/quiz",
        "definition": {"name": {"fr": "Le quiz"}},
    }
    assert result["context"]["contextActivities"]["other"] == [
        {"id": "http://example.com/activities/book"}
    ]
    assert result["context"]["instructor"] == statement["context"]["instructor"]


def test_format_statement_dispatches_and_rejects_unknown_formats() -> None:
    statement = _stored_sub()
    assert format_statement(statement, "ids") == format_ids(statement)
    assert format_statement(
        statement, "canonical", parse_accept_language("en-GB")
    ) == format_canonical(statement, parse_accept_language("en-GB"))
    with pytest.raises(ValueError, match="unknown statement format"):
        format_statement(statement, "full")  # type: ignore[arg-type]
