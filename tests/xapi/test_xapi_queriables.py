"""Learning Locker's queriable arrays and the typed index fields of a statement."""

from __future__ import annotations

from typing import Any

from lrs.xapi.queriables import Queriables, compute_queriables, with_target
from lrs.xapi.validate import VOIDED_VERB
from tests.xapi.xapi_samples import (
    ACTIVITY_ID,
    MBOX,
    REGISTRATION,
    VERB_ID,
    edited,
    full,
    minimal,
    substatement,
)

REF_ID = "6690E6C9-3EF0-4ED3-8B37-7F3964730BEE"


def test_full_statement() -> None:
    q = compute_queriables(full())
    assert q.agents == (MBOX,)
    assert q.related_agents == (
        MBOX,
        "mailto:bob@example.com",
        "https://id.example.com/c",
        "https://lms.example.com|ann01",
        "mailto:admin@example.com",
    )
    assert q.verbs == (VERB_ID,)
    assert q.activities == (ACTIVITY_ID,)
    assert q.related_activities == (
        ACTIVITY_ID,
        "http://example.com/activities/quiz",
        "http://example.com/courses/c1",
        "http://example.com/profiles/p1",
        "http://example.com/activities/book",
    )
    assert q.registrations == (REGISTRATION,)
    assert (q.verb_id, q.object_type, q.object_id) == (VERB_ID, "Activity", ACTIVITY_ID)
    assert q.actor_ifi == MBOX
    assert q.registration == REGISTRATION
    assert q.statement_ref_id is None
    assert q.voiding is False


def test_document_uses_learning_locker_field_names() -> None:
    assert compute_queriables(full()).as_document() == {
        "agents": [MBOX],
        "relatedAgents": [
            MBOX,
            "mailto:bob@example.com",
            "https://id.example.com/c",
            "https://lms.example.com|ann01",
            "mailto:admin@example.com",
        ],
        "verbs": [VERB_ID],
        "activities": [ACTIVITY_ID],
        "relatedActivities": [
            ACTIVITY_ID,
            "http://example.com/activities/quiz",
            "http://example.com/courses/c1",
            "http://example.com/profiles/p1",
            "http://example.com/activities/book",
        ],
        "registrations": [REGISTRATION],
    }


def test_minimal_statement() -> None:
    q = compute_queriables(minimal())
    assert q.agents == q.related_agents == (MBOX,)
    assert q.activities == q.related_activities == (ACTIVITY_ID,)
    assert q.registrations == ()
    assert q.registration is None


def test_ifi_string_forms() -> None:
    actors: list[tuple[dict[str, Any], str]] = [
        ({"mbox": MBOX}, MBOX),
        (
            {"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"},
            "cd9b00a5611f94eaa7b1661edab976068e364975",
        ),
        ({"openid": "https://id.example.com/ann"}, "https://id.example.com/ann"),
        (
            {"account": {"homePage": "https://lms.example.com", "name": "ann01"}},
            "https://lms.example.com|ann01",
        ),
    ]
    for actor, ifi in actors:
        q = compute_queriables(edited(minimal(), "actor", actor))
        assert q.actor_ifi == ifi
        assert q.agents == (ifi,)


def test_group_actor_and_object_include_members() -> None:
    anonymous = {
        "objectType": "Group",
        "member": [{"mbox": "mailto:a@example.com"}, {"mbox": MBOX}],
    }
    identified = {"objectType": "Group", "mbox": "mailto:g@example.com", "member": [{"mbox": MBOX}]}
    statement = edited(edited(minimal(), "actor", anonymous), "object", identified)
    q = compute_queriables(statement)
    assert q.actor_ifi is None
    assert q.agents == ("mailto:a@example.com", MBOX, "mailto:g@example.com")
    assert q.activities == q.related_activities == ()
    assert (q.object_type, q.object_id) == ("Group", "mailto:g@example.com")


def test_substatement_counts_only_for_related_arrays() -> None:
    q = compute_queriables(substatement())
    assert q.agents == (MBOX,)
    assert q.related_agents == (MBOX, "mailto:sub@example.com", "mailto:teacher@example.com")
    assert q.activities == ()
    assert q.related_activities == ("http://example.com/website", "http://example.com/site")
    assert (q.object_type, q.object_id) == ("SubStatement", None)


def test_statement_ref_and_voiding() -> None:
    ref = {"objectType": "StatementRef", "id": REF_ID}
    commenting = compute_queriables(edited(minimal(), "object", ref))
    assert commenting.statement_ref_id == REF_ID.lower()
    assert (commenting.object_type, commenting.object_id) == ("StatementRef", REF_ID.lower())
    assert commenting.voiding is False
    assert commenting.activities == ()
    voiding = compute_queriables(edited(edited(minimal(), "object", ref), "verb.id", VOIDED_VERB))
    assert voiding.voiding is True


def test_registration_typed_field_is_lower_case_and_array_as_sent() -> None:
    statement = edited(minimal(), "context", {"registration": REGISTRATION.upper()})
    q = compute_queriables(statement)
    assert q.registrations == (REGISTRATION.upper(),)
    assert q.registration == REGISTRATION


def test_duplicates_are_removed_in_first_seen_order() -> None:
    statement = edited(
        edited(minimal(), "authority", {"mbox": MBOX}),
        "context",
        {"contextActivities": {"parent": [{"id": ACTIVITY_ID}], "other": {"id": ACTIVITY_ID}}},
    )
    q = compute_queriables(statement)
    assert q.related_agents == (MBOX,)
    assert q.related_activities == (ACTIVITY_ID,)


def test_with_target_merges_arrays_only() -> None:
    ref = {"objectType": "StatementRef", "id": REF_ID}
    referencing = compute_queriables(
        edited(edited(minimal(), "object", ref), "actor", {"mbox": "mailto:z@example.com"})
    )
    target = compute_queriables(full())
    merged = with_target(referencing, target)
    assert isinstance(merged, Queriables)
    assert merged.agents == ("mailto:z@example.com", MBOX)
    assert merged.activities == (ACTIVITY_ID,)
    assert merged.verbs == (VERB_ID,)
    assert merged.registrations == (REGISTRATION,)
    assert merged.related_agents[: len(referencing.related_agents)] == referencing.related_agents
    assert (merged.object_id, merged.actor_ifi, merged.statement_ref_id) == (
        referencing.object_id,
        referencing.actor_ifi,
        referencing.statement_ref_id,
    )
