"""The Store contract for statements, run against every store."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lrs.core.errors import BadRequest, Conflict
from lrs.query.parse import STATEMENTS, parse_filter, parse_sort
from lrs.statements.build import build_record
from lrs.statements.record import (
    AttachmentContent,
    StatementFilter,
    StatementQuery,
    StatementRecord,
)
from lrs.store.base import Store
from lrs.store.find import FindQuery, StatementScope
from lrs.store.models import Client, Lrs
from lrs.tenancy.service import new_client, new_lrs, new_organisation

T0 = datetime(2026, 1, 1, tzinfo=UTC)
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


class Tenant:
    def __init__(self, store: Store) -> None:
        organisation = new_organisation("Acme")
        store.add_organisation(organisation)
        self.lrs: Lrs = new_lrs(organisation.id, "main")
        store.add_lrs(self.lrs)
        self.client: Client = new_client(
            organisation.id, self.lrs.id, title="c", scopes=["all"]
        ).client
        self.other_client: Client = new_client(
            organisation.id, self.lrs.id, title="c2", scopes=["all"]
        ).client
        store.add_client(self.client)
        store.add_client(self.other_client)
        self.store = store
        self.tick = 0

    def record(self, statement: dict[str, Any], *, client: Client | None = None) -> StatementRecord:
        self.tick += 1
        return build_record(
            statement,
            client=client or self.client,
            lrs_id=self.lrs.id,
            stored=T0 + timedelta(seconds=self.tick),
        )

    def insert(self, *statements: dict[str, Any], client: Client | None = None) -> list[str]:
        records = [self.record(s, client=client) for s in statements]
        self.store.insert_statements(self.lrs.id, records)
        return [r.statement_id for r in records]

    def find(self, **kwargs: Any) -> list[str]:
        filter_args = {
            k: kwargs.pop(k) for k in list(kwargs) if k in StatementFilter.__dataclass_fields__
        }
        query = StatementQuery(lrs_id=self.lrs.id, filter=StatementFilter(**filter_args), **kwargs)
        return [r.statement_id for r in self.store.find_statements(query)]


@pytest.fixture
def tenant(store: Store) -> Tenant:
    return Tenant(store)


def statement(
    verb: str = "http://example.com/verbs/did",
    *,
    actor: str = "mailto:ann@example.com",
    activity: str = "http://example.com/activities/a",
    statement_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": statement_id or str(uuid.uuid4()),
        "actor": {"mbox": actor},
        "verb": {"id": verb},
        "object": {"id": activity},
    }
    body.update(extra)
    return body


def voiding(target: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:admin@example.com"},
        "verb": {"id": VOIDED},
        "object": {"objectType": "StatementRef", "id": target},
    }


def test_a_stored_statement_reads_back_with_lrs_assigned_properties(tenant: Tenant) -> None:
    sent = statement(context={"contextActivities": {"parent": {"id": "http://example.com/p"}}})
    [statement_id] = tenant.insert(sent)
    record = tenant.store.get_statement(tenant.lrs.id, statement_id.upper())
    assert record is not None
    assert record.statement["id"] == sent["id"]
    assert record.statement["authority"] == tenant.client.authority
    assert record.statement["version"] == "1.0.0"
    assert record.statement["stored"] == "2026-01-01T00:00:01.000Z"
    assert record.statement["timestamp"] == record.statement["stored"]
    assert record.statement["context"]["contextActivities"]["parent"] == [
        {"id": "http://example.com/p"}
    ]
    assert record.stored == T0 + timedelta(seconds=1)
    assert record.voided is False
    assert record.client_id == tenant.client.id
    assert tenant.store.get_lrs(tenant.lrs.id).statement_count == 1  # type: ignore[union-attr]


def test_unknown_and_malformed_ids_are_not_found(tenant: Tenant) -> None:
    assert tenant.store.get_statement(tenant.lrs.id, str(uuid.uuid4())) is None
    assert tenant.store.get_statement(tenant.lrs.id, "not-a-uuid") is None


def test_statements_are_isolated_per_store(tenant: Tenant) -> None:
    [statement_id] = tenant.insert(statement())
    other = new_lrs(tenant.lrs.organisation_id, "other")
    tenant.store.add_lrs(other)
    assert tenant.store.get_statement(other.id, statement_id) is None
    assert tenant.store.find_statements(StatementQuery(lrs_id=other.id)) == []


def test_same_id_same_content_changes_nothing(tenant: Tenant) -> None:
    sent = statement(timestamp="2026-01-01T10:00:00Z")
    tenant.insert(sent)
    before = tenant.store.get_statement(tenant.lrs.id, sent["id"])
    equivalent = {**sent, "timestamp": "2026-01-01T11:00:00.000+01:00"}
    tenant.insert(equivalent)
    assert tenant.store.get_statement(tenant.lrs.id, sent["id"]) == before
    assert tenant.store.get_lrs(tenant.lrs.id).statement_count == 1  # type: ignore[union-attr]


def test_same_id_other_content_conflicts_and_the_whole_batch_is_rejected(tenant: Tenant) -> None:
    sent = statement()
    tenant.insert(sent)
    fresh = statement()
    changed = {**sent, "verb": {"id": "http://example.com/verbs/other"}}
    with pytest.raises(Conflict, match=sent["id"]):
        tenant.insert(fresh, changed)
    assert tenant.store.get_statement(tenant.lrs.id, fresh["id"]) is None
    assert tenant.store.get_lrs(tenant.lrs.id).statement_count == 1  # type: ignore[union-attr]


def test_differing_sent_timestamps_conflict(tenant: Tenant) -> None:
    sent = statement(timestamp="2026-01-01T10:00:00Z")
    tenant.insert(sent)
    with pytest.raises(Conflict):
        tenant.insert({**sent, "timestamp": "2026-01-01T10:00:01Z"})


def test_the_same_id_twice_in_one_batch_is_rejected(tenant: Tenant) -> None:
    sent = statement()
    with pytest.raises(BadRequest, match="twice"):
        tenant.insert(sent, dict(sent))
    assert tenant.find() == []


def test_voiding_after_the_target(tenant: Tenant) -> None:
    [target] = tenant.insert(statement())
    [void] = tenant.insert(voiding(target))
    record = tenant.store.get_statement(tenant.lrs.id, target)
    assert record is not None and record.voided is True
    assert tenant.find() == [void]


def test_voiding_before_the_target_arrives(tenant: Tenant) -> None:
    target_id = str(uuid.uuid4())
    [void] = tenant.insert(voiding(target_id))
    tenant.insert(statement(statement_id=target_id))
    record = tenant.store.get_statement(tenant.lrs.id, target_id)
    assert record is not None and record.voided is True
    assert tenant.find() == [void]


def test_voiding_within_one_batch(tenant: Tenant) -> None:
    target = statement()
    tenant.insert(target, voiding(target["id"]))
    assert tenant.store.get_statement(tenant.lrs.id, target["id"]).voided is True  # type: ignore[union-attr]


def test_a_voiding_statement_cannot_be_voided(tenant: Tenant) -> None:
    [target] = tenant.insert(statement())
    [void] = tenant.insert(voiding(target))
    tenant.insert(voiding(void))
    assert tenant.store.get_statement(tenant.lrs.id, void).voided is False  # type: ignore[union-attr]


def test_listing_order_limit_and_keyset_paging(tenant: Tenant) -> None:
    ids = tenant.insert(*[statement() for _ in range(7)])
    assert tenant.find() == ids[::-1]
    assert tenant.find(ascending=True) == ids
    assert tenant.find(limit=3) == ids[::-1][:3]
    for ascending in (False, True):
        seen: list[str] = []
        after = None
        while True:
            page = tenant.store.find_statements(
                StatementQuery(lrs_id=tenant.lrs.id, ascending=ascending, limit=3, after=after)
            )
            if not page:
                break
            seen.extend(r.statement_id for r in page)
            after = (page[-1].stored, page[-1].id)
        assert seen == (ids if ascending else ids[::-1])


def test_paging_through_one_stored_instant(tenant: Tenant) -> None:
    records = [
        build_record(statement(), client=tenant.client, lrs_id=tenant.lrs.id, stored=T0)
        for _ in range(5)
    ]
    tenant.store.insert_statements(tenant.lrs.id, records)
    seen: list[str] = []
    after = None
    for _ in range(5):
        page = tenant.store.find_statements(
            StatementQuery(lrs_id=tenant.lrs.id, limit=2, after=after)
        )
        if not page:
            break
        seen.extend(r.statement_id for r in page)
        after = (page[-1].stored, page[-1].id)
    assert sorted(seen) == sorted(r.statement_id for r in records)
    assert len(seen) == 5


def test_since_is_exclusive_and_until_inclusive(tenant: Tenant) -> None:
    ids = tenant.insert(*[statement() for _ in range(4)])  # stored at T0 + 1s .. 4s
    assert tenant.find(since=T0 + timedelta(seconds=1), until=T0 + timedelta(seconds=3)) == [
        ids[2],
        ids[1],
    ]
    assert tenant.find(since=T0 + timedelta(seconds=2), ascending=True) == ids[2:]


def test_filters_by_verb_agent_activity_and_registration(tenant: Tenant) -> None:
    registration = str(uuid.uuid4())
    ids = tenant.insert(
        statement("http://example.com/verbs/a", actor="mailto:ann@example.com"),
        statement("http://example.com/verbs/b", actor="mailto:bob@example.com"),
        statement(
            "http://example.com/verbs/a",
            actor="mailto:bob@example.com",
            activity="http://example.com/activities/z",
            context={
                "registration": registration,
                "instructor": {"mbox": "mailto:ann@example.com"},
                "contextActivities": {"grouping": [{"id": "http://example.com/activities/a"}]},
            },
        ),
    )
    assert tenant.find(verb="http://example.com/verbs/a") == [ids[2], ids[0]]
    assert tenant.find(agent="mailto:bob@example.com") == [ids[2], ids[1]]
    assert tenant.find(agent="mailto:ann@example.com") == [ids[0]]
    assert tenant.find(agent="mailto:ann@example.com", related_agents=True) == [ids[2], ids[0]]
    assert tenant.find(activity="http://example.com/activities/a") == [ids[1], ids[0]]
    assert tenant.find(activity="http://example.com/activities/a", related_activities=True) == [
        ids[2],
        ids[1],
        ids[0],
    ]
    assert tenant.find(registration=registration.upper()) == [ids[2]]
    assert tenant.find(verb="http://example.com/verbs/a", agent="mailto:bob@example.com") == [
        ids[2]
    ]
    assert tenant.find(verb="http://example.com/verbs/none") == []


def test_group_members_match_the_agent_filter(tenant: Tenant) -> None:
    group = {
        "objectType": "Group",
        "member": [{"mbox": "mailto:cat@example.com"}, {"mbox": "mailto:dan@example.com"}],
    }
    [statement_id] = tenant.insert(
        {"actor": group, "verb": {"id": "http://example.com/v"}, "object": {"id": "http://e.com/a"}}
    )
    assert tenant.find(agent="mailto:dan@example.com") == [statement_id]


def test_statement_refs_match_by_their_target_in_either_arrival_order(tenant: Tenant) -> None:
    target = statement("http://example.com/verbs/target")
    [referencing] = tenant.insert(
        {
            "actor": {"mbox": "mailto:zed@example.com"},
            "verb": {"id": "http://example.com/verbs/refers"},
            "object": {"objectType": "StatementRef", "id": target["id"]},
        }
    )
    tenant.insert(target)
    assert tenant.find(verb="http://example.com/verbs/target") == [target["id"], referencing]
    [later] = tenant.insert(
        {
            "actor": {"mbox": "mailto:zed@example.com"},
            "verb": {"id": "http://example.com/verbs/refers"},
            "object": {"objectType": "StatementRef", "id": target["id"]},
        }
    )
    assert tenant.find(verb="http://example.com/verbs/target")[0] == later


def test_related_filters_list_a_statement_once_whatever_role_its_values_play(
    tenant: Tenant,
) -> None:
    """An agent that is actor and instructor, an activity that is object and parent, and a
    StatementRef whose target arrives later and makes its instructor an agent: each statement
    is found by the narrow and the related filter, once."""
    both = statement(
        actor="mailto:eve@example.com",
        activity="http://example.com/activities/course",
        context={
            "instructor": {"mbox": "mailto:eve@example.com"},
            "contextActivities": {"parent": [{"id": "http://example.com/activities/course"}]},
        },
    )
    target = statement(actor="mailto:fay@example.com")
    [referencing] = tenant.insert(
        {
            "actor": {"mbox": "mailto:gus@example.com"},
            "verb": {"id": "http://example.com/verbs/refers"},
            "object": {"objectType": "StatementRef", "id": target["id"]},
            "context": {"instructor": {"mbox": "mailto:fay@example.com"}},
        }
    )
    assert tenant.find(agent="mailto:fay@example.com", related_agents=True) == [referencing]
    assert tenant.find(agent="mailto:fay@example.com") == []
    tenant.insert(both)
    tenant.insert(target)
    fay = [target["id"], referencing]
    assert tenant.find(agent="mailto:fay@example.com") == fay
    assert tenant.find(agent="mailto:fay@example.com", related_agents=True) == fay
    assert tenant.find(agent="mailto:eve@example.com") == [both["id"]]
    assert tenant.find(agent="mailto:eve@example.com", related_agents=True) == [both["id"]]
    course = "http://example.com/activities/course"
    assert tenant.find(activity=course) == [both["id"]]
    assert tenant.find(activity=course, related_activities=True) == [both["id"]]
    assert tenant.find(
        agent="mailto:fay@example.com", related_agents=True, verb="http://example.com/verbs/refers"
    ) == [referencing]


def test_read_mine_limits_to_the_clients_statements(tenant: Tenant) -> None:
    [mine] = tenant.insert(statement())
    [theirs] = tenant.insert(statement(), client=tenant.other_client)
    assert tenant.find(client_id=tenant.client.id) == [mine]
    assert tenant.find(client_id=tenant.other_client.id) == [theirs]


def test_attachments_are_kept_once_per_hash(tenant: Tenant) -> None:
    first = AttachmentContent(sha2="ab" * 32, content_type="text/plain", content=b"hello")
    tenant.store.insert_statements(tenant.lrs.id, [tenant.record(statement())], [first])
    again = AttachmentContent(sha2="ab" * 32, content_type="text/plain", content=b"hello")
    tenant.store.insert_statements(tenant.lrs.id, [tenant.record(statement())], [again])
    found = tenant.store.get_attachments(tenant.lrs.id, ["ab" * 32, "cd" * 32])
    assert found == {"ab" * 32: first}


def test_activity_definitions_are_merged_from_statements(tenant: Tenant) -> None:
    activity = "http://www.example.org/activity"
    tenant.insert(
        statement(
            activity=activity,
            object={
                "id": activity,
                "definition": {
                    "name": {"en-GB": "GB Activity Name"},
                    "extensions": {"http://www.example.com/extension/1": "extension_value_1"},
                    "type": "http://www.example.org/activity/type1",
                },
            },
        )
    )
    tenant.insert(
        statement(
            object={
                "id": activity,
                "definition": {
                    "name": {"en-US": "US Activity Name"},
                    "extensions": {"http://www.example.com/extension/2": "extension_value_2"},
                    "type": "http://www.example.org/activity/type2",
                },
            },
        )
    )
    definitions = tenant.store.get_activity_definitions(tenant.lrs.id, [activity, "http://x"])
    assert definitions == {
        activity: {
            "name": {"en-GB": "GB Activity Name", "en-US": "US Activity Name"},
            "extensions": {
                "http://www.example.com/extension/1": "extension_value_1",
                "http://www.example.com/extension/2": "extension_value_2",
            },
            "type": "http://www.example.org/activity/type2",
        }
    }


def test_definition_merge_rule_in_every_case(tenant: Tenant) -> None:
    # Maps merge per key only when both sides have an object there; anything else is replaced.
    def described(activity_id: str, definition: dict[str, Any]) -> dict[str, Any]:
        return statement(object={"id": activity_id, "definition": definition})

    first, second = "http://example.com/merge/1", "http://example.com/merge/2"
    tenant.insert(
        described(
            first,
            {
                "description": {"en": "one", "fr": "un"},
                "moreInfo": "http://example.com/info/1",
                "extensions": {"http://example.com/x": {"deep": 1}},
                "choices": [{"id": "a", "description": {"en": "A"}}],
            },
        ),
        described(second, {"name": {"en": "two"}}),
    )
    # One batch: the second statement's definition of ``first`` merges over the first one's.
    tenant.insert(
        described(first, {"description": {"fr": "une"}, "extensions": {"http://example.com/y": 2}}),
        described(first, {"choices": [{"id": "b"}], "extensions": {"http://example.com/x": 3}}),
        described(second, {"name": "not a map any more"}),
    )
    expected = {
        first: {
            "description": {"en": "one", "fr": "une"},
            "moreInfo": "http://example.com/info/1",
            "extensions": {"http://example.com/x": 3, "http://example.com/y": 2},
            "choices": [{"id": "b"}],
        },
        second: {"name": "not a map any more"},
    }
    assert tenant.store.get_activity_definitions(tenant.lrs.id, [first, second]) == expected
    tenant.insert(described(second, {"name": {"en": "a map again"}}))
    expected[second] = {"name": {"en": "a map again"}}
    assert tenant.store.get_activity_definitions(tenant.lrs.id, [first, second]) == expected
    # Repeating what is stored changes nothing.
    tenant.insert(described(first, {"description": {"en": "one"}}))
    assert tenant.store.get_activity_definitions(tenant.lrs.id, [first, second]) == expected


def test_lookup_terms_survive_quotes_backslashes_and_braces(tenant: Tenant) -> None:
    odd = 'http://example.com/a"b\\c,{d}'
    [statement_id] = tenant.insert(statement(activity=odd))
    assert tenant.find(activity=odd) == [statement_id]
    assert tenant.find(activity="http://example.com/a") == []


def test_tabs_newlines_and_backslashes_read_back_exactly(tenant: Tenant) -> None:
    # The PostgreSQL store writes rows as COPY text, where these characters must be escaped.
    odd = "line one\nline two\ttabbed\r\\back\\\\slash \\N \u00e9\u4e2d"
    account = {"homePage": "http://example.com", "name": "tab\tname\\x"}
    parent = "http://example.com/p\\q\tr"
    sent = statement(
        actor="mailto:ann@example.com",
        result={"response": odd, "extensions": {"http://example.com/x": {"text": odd}}},
        context={
            "instructor": {"account": account},
            "contextActivities": {"parent": [{"id": parent}]},
        },
    )
    [statement_id] = tenant.insert(sent)
    record = tenant.store.get_statement(tenant.lrs.id, statement_id)
    assert record is not None
    assert record.statement["result"] == sent["result"]
    assert record.statement["context"]["instructor"]["account"] == account
    instructor = f"{account['homePage']}|{account['name']}"
    assert tenant.find(agent=instructor) == []
    assert tenant.find(agent=instructor, related_agents=True) == [statement_id]
    assert tenant.find(activity=parent, related_activities=True) == [statement_id]
    by_parent = parse_filter({"statement.context.contextActivities.parent.id": parent}, STATEMENTS)
    page = tenant.store.find_statement_documents(
        StatementScope(organisation_id=tenant.lrs.organisation_id, lrs_id=tenant.lrs.id),
        FindQuery(filter=by_parent, sort=parse_sort({"timestamp": -1, "_id": 1}, STATEMENTS)),
    )
    assert [document["statement"]["id"] for document in page] == [statement_id]


def test_filters_windows_orders_and_pages_combine(tenant: Tenant) -> None:
    """Every mix of a term filter, a stored window, an order and keyset pages gives exactly the
    matching statements in order (the memory store walks per-term lists, PostgreSQL its GIN)."""
    verbs = [f"http://example.com/verbs/v{i}" for i in range(3)]
    actors = [f"mailto:u{i}@example.com" for i in range(2)]
    sent = [statement(verbs[i % 3], actor=actors[i % 2]) for i in range(30)]
    ids = []
    for start in range(0, 30, 5):  # 6 batches: 5 statements share each stored instant
        tenant.tick += 1
        records = [
            build_record(
                body,
                client=tenant.client,
                lrs_id=tenant.lrs.id,
                stored=T0 + timedelta(seconds=tenant.tick),
            )
            for body in sent[start : start + 5]
        ]
        tenant.store.insert_statements(tenant.lrs.id, records)
        ids += [(r.statement_id, r.stored) for r in records]
    first_stored = ids[0][1]
    windows = [
        (None, None),
        (first_stored + timedelta(seconds=1), None),
        (None, first_stored + timedelta(seconds=4)),
        (first_stored, first_stored + timedelta(seconds=3)),
    ]
    for verb in (None, verbs[1]):
        for agent in (None, actors[0]):
            for since, until in windows:
                for ascending in (False, True):
                    expected = [
                        sid
                        for index, (sid, stored) in enumerate(ids)
                        if (verb is None or index % 3 == 1)
                        and (agent is None or index % 2 == 0)
                        and (since is None or stored > since)
                        and (until is None or stored <= until)
                    ]
                    page_size = 4
                    query = StatementQuery(
                        lrs_id=tenant.lrs.id,
                        filter=StatementFilter(verb=verb, agent=agent),
                        since=since,
                        until=until,
                        ascending=ascending,
                        limit=page_size,
                    )
                    seen: list[str] = []
                    stored_seen = []
                    while True:
                        page = tenant.store.find_statements(query)
                        seen += [r.statement_id for r in page]
                        stored_seen += [r.stored for r in page]
                        if len(page) < page_size:
                            break
                        query = dataclasses.replace(query, after=(page[-1].stored, page[-1].id))
                    label = (verb, agent, since, until, ascending)
                    assert sorted(seen) == sorted(expected), label
                    assert len(seen) == len(set(seen)), label
                    assert stored_seen == sorted(stored_seen, reverse=not ascending), label
