"""``lrs.ops.importing`` and ``lrs.ops.exporting`` on both stores: the xAPI rules on import,
rejections one by one, voiding, and an export re-imported into an empty store."""

from __future__ import annotations

import gzip
import io
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from lrs.core.errors import BadRequest, NotFound
from lrs.ops.exporting import (
    CSV,
    ExportSelection,
    export_statements,
    parse_filter_text,
    parse_projection_texts,
)
from lrs.ops.importing import RejectsWriter, import_statements
from lrs.store.base import Store
from lrs.store.find import StatementScope
from lrs.store.postgres import STATEMENT_TABLES, PostgresStore
from lrs.tenancy.service import Bootstrap, bootstrap, create_store, new_client, new_organisation
from tests.cli.conftest import ndjson, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def tenant(store: Store) -> Bootstrap:
    created = bootstrap(store)
    assert created is not None
    return created


def _import(store: Store, tenant: Bootstrap, data: bytes, **options: Any) -> Any:
    return import_statements(
        store, tenant.lrs.id, io.BytesIO(data), client=tenant.issued.client, **options
    )


def _export(store: Store, lrs_id: str, **options: Any) -> bytes:
    lrs = store.get_lrs(lrs_id)
    assert lrs is not None
    out = io.BytesIO()
    export_statements(store, StatementScope(lrs.organisation_id, lrs.id), out, **options)
    return out.getvalue()


def _voided(store: Store, lrs_id: str, n: int) -> bool:
    record = store.get_statement(lrs_id, statement(n)["id"])
    assert record is not None
    return record.voided


def voiding(n: int, target: int) -> dict[str, Any]:
    return statement(
        n,
        verb={"id": VOIDED},
        object={"objectType": "StatementRef", "id": statement(target)["id"]},
    )


def test_import_applies_the_xapi_rules_one_statement_at_a_time(
    store: Store, tenant: Bootstrap
) -> None:
    lines = [
        statement(1),
        statement(2, actor={"mbox": "not-an-email"}),  # line 2: invalid
        statement(3),
    ]
    data = ndjson(lines) + b"{not json\n" + ndjson([statement(4), voiding(5, 1)])
    rejects = io.BytesIO()
    summary = _import(store, tenant, data, batch_size=2, rejects=RejectsWriter(rejects))
    assert (summary.format, summary.read, summary.stored) == ("ndjson", 6, 4)
    assert (summary.already_present, summary.rejected, summary.stopped_by) == (0, 2, None)
    assert [r.position for r in summary.rejections] == [2, 4]
    assert summary.rejections[0].message.startswith("actor.mbox:")
    assert summary.rejections[1].message.startswith("not valid JSON")
    assert rejects.getvalue() == ndjson([lines[1]]) + b"{not json\n"
    assert _voided(store, tenant.lrs.id, 1)
    assert not _voided(store, tenant.lrs.id, 3)

    again = _import(store, tenant, data, batch_size=2)
    assert (again.stored, again.already_present, again.rejected) == (0, 4, 2)
    lrs = store.get_lrs(tenant.lrs.id)
    assert lrs is not None and lrs.statement_count == 4


def test_a_conflict_rejects_only_that_statement_of_its_batch(
    store: Store, tenant: Bootstrap
) -> None:
    _import(store, tenant, ndjson([statement(5)]))
    batch = [statement(n) for n in range(10)]
    batch[5] = statement(5, verb={"id": "http://example.com/other"})  # stored with other content
    summary = _import(store, tenant, orjson.dumps(batch), batch_size=10)
    assert (summary.format, summary.stored, summary.rejected) == ("json", 9, 1)
    [rejection] = summary.rejections
    assert rejection.position == 5  # the element index
    assert "already stored with different content" in rejection.message
    assert summary.position_name == "element"


def test_rejects_of_an_array_are_an_array_of_the_elements_verbatim(
    store: Store, tenant: Bootstrap
) -> None:
    data = b'[\n  {"actor": 1},\n  ' + orjson.dumps(statement(1)) + b',\n  "text"\n]'
    rejects = io.BytesIO()
    summary = _import(store, tenant, gzip.compress(data), rejects=RejectsWriter(rejects))
    assert (summary.stored, summary.rejected) == (1, 2)
    assert rejects.getvalue() == b'[\n{"actor": 1},\n"text"\n]\n'
    assert orjson.loads(rejects.getvalue()) == [{"actor": 1}, "text"]


def test_a_repeated_id_in_one_batch_is_already_present_or_a_conflict(
    store: Store, tenant: Bootstrap
) -> None:
    other = statement(1, verb={"id": "http://example.com/other"})
    summary = _import(store, tenant, ndjson([statement(1), statement(1), other, statement(2)]))
    assert (summary.stored, summary.already_present, summary.rejected) == (2, 1, 1)
    assert summary.rejections[0].position == 3


def test_voiding_works_in_either_order_across_imports(store: Store, tenant: Bootstrap) -> None:
    _import(store, tenant, ndjson([voiding(10, 1)]))
    _import(store, tenant, ndjson([statement(1), statement(2)]))
    assert _voided(store, tenant.lrs.id, 1)
    assert not _voided(store, tenant.lrs.id, 2)


def test_stored_and_authority_are_kept_unless_as_new(store: Store, tenant: Bootstrap) -> None:
    authority = {"objectType": "Agent", "mbox": "mailto:origin@example.com"}
    sent = statement(1, stored="2020-01-02T03:04:05.678Z", authority=authority)
    _import(store, tenant, ndjson([sent, statement(2)]), clock=lambda: T0)
    kept = store.get_statement(tenant.lrs.id, sent["id"])
    assert kept is not None
    assert kept.statement["stored"] == "2020-01-02T03:04:05.678Z"
    assert kept.statement["authority"] == authority
    assert kept.stored == datetime(2020, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    fresh = store.get_statement(tenant.lrs.id, statement(2)["id"])
    assert fresh is not None and fresh.statement["stored"] == "2026-03-01T12:00:00.000Z"
    assert fresh.statement["authority"] == tenant.issued.client.authority

    sent3 = statement(3, stored="2020-01-02T03:04:05.678Z", authority=authority)
    _import(store, tenant, ndjson([sent3]), as_new=True, clock=lambda: T0)
    renewed = store.get_statement(tenant.lrs.id, sent3["id"])
    assert renewed is not None
    assert renewed.statement["stored"] == "2026-03-01T12:00:00.000Z"
    assert renewed.statement["authority"] == tenant.issued.client.authority


def test_input_broken_halfway_stops_the_import_keeping_what_came_before(
    store: Store, tenant: Bootstrap
) -> None:
    data = b"[" + b",".join(orjson.dumps(statement(n)) for n in range(4)) + b", {]"
    summary = _import(store, tenant, data, batch_size=2)
    assert summary.stopped_by is not None and "does not close" in summary.stopped_by
    assert summary.stored == 4


def test_an_export_reimported_into_an_empty_store_is_the_same(
    store: Store, tenant: Bootstrap
) -> None:
    statements = [statement(n, timestamp=f"2026-01-01T00:00:{n:02d}Z") for n in range(1, 8)]
    statements.append(voiding(20, 3))
    for n, batch in enumerate((statements[:3], statements[3:6], statements[6:])):
        _import(store, tenant, orjson.dumps(batch), clock=lambda n=n: T0 + timedelta(seconds=n))
    exported = _export(store, tenant.lrs.id)
    lines = exported.splitlines()
    assert len(lines) == 8  # the voided statement is exported too
    assert [orjson.loads(line)["stored"] for line in lines] == sorted(
        orjson.loads(line)["stored"] for line in lines
    )

    empty, _client = create_store(store, tenant.organisation.id, "Restored")
    restored = import_statements(store, empty.id, io.BytesIO(exported), client=_client.client)
    assert (restored.stored, restored.rejected) == (8, 0)
    assert _export(store, empty.id) == exported
    assert _voided(store, empty.id, 3)
    assert not _voided(store, empty.id, 4)
    without_voided = _export(store, empty.id, selection=ExportSelection(include_voided=False))
    assert len(without_voided.splitlines()) == 7


def test_export_selection_filter_since_until(store: Store, tenant: Bootstrap) -> None:
    for n in range(6):
        other = {"id": "http://example.com/verbs/other"} if n % 2 else None
        extra = {"verb": other} if other else {}
        _import(
            store,
            tenant,
            ndjson([statement(n, **extra)]),
            clock=lambda n=n: T0 + timedelta(minutes=n),
        )

    def ids(**selection: Any) -> list[int]:
        data = _export(store, tenant.lrs.id, selection=ExportSelection(**selection))
        return [int(orjson.loads(line)["id"][-12:]) for line in data.splitlines()]

    assert ids() == [0, 1, 2, 3, 4, 5]
    assert ids(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=4)) == [2, 3, 4]
    verb = parse_filter_text('{"statement.verb.id": "http://example.com/verbs/other"}')
    assert ids(filter=verb) == [1, 3, 5]
    assert ids(filter=verb, since=T0 + timedelta(minutes=1)) == [3, 5]


def test_csv_export_uses_the_projections(store: Store, tenant: Bootstrap) -> None:
    _import(store, tenant, ndjson([statement(1), statement(2, result={"success": True})]))
    default = _export(store, tenant.lrs.id, format=CSV).decode()
    header, *rows = default.split("\r\n")[:-1]
    assert header.startswith("_id,version,id,timestamp,stored,actor.mbox,actor.objectType")
    assert "result.success" in header and len(rows) == 2
    assert rows[1].endswith(",true")

    projections = parse_projection_texts(['{"who": "$statement.actor.mbox", "_id": 0}'])
    narrow = _export(store, tenant.lrs.id, format=CSV, projections=projections)
    assert narrow == (b"who\r\nmailto:learner1@example.com\r\nmailto:learner2@example.com\r\n")


def test_the_client_must_be_of_the_store_organisation(store: Store, tenant: Bootstrap) -> None:
    other = new_organisation("Other")
    store.add_organisation(other)
    stranger = new_client(other.id, None, title="Stranger", scopes=["all"]).client
    with pytest.raises(BadRequest, match="another organisation"):
        import_statements(store, tenant.lrs.id, io.BytesIO(b"[]"), client=stranger)
    with pytest.raises(NotFound, match="does not exist"):
        import_statements(store, "0" * 24, io.BytesIO(b"[]"), client=tenant.issued.client)


def test_attachment_rules_of_a_json_post(store: Store, tenant: Bootstrap) -> None:
    attachment = {
        "usageType": "http://adlnet.gov/expapi/attachments/signature",
        "display": {"en-US": "signature"},
        "contentType": "text/plain",
        "length": 10,
        "sha2": "a" * 64,
    }
    without_url = statement(1, attachments=[attachment])
    wrong_type = statement(2, attachments=[{**attachment, "fileUrl": "http://example.com/s"}])
    summary = _import(store, tenant, ndjson([without_url, wrong_type]))
    assert summary.rejected == 2
    first, second = (rejection.message for rejection in summary.rejections)
    assert first.startswith("attachments[0]: an attachment without fileUrl needs its data")
    assert second.startswith("attachments[0].contentType: a signature must be")


def test_an_import_that_stored_statements_leaves_them_analysed(
    store: Store, tenant: Bootstrap
) -> None:
    """After an import the planner knows the new rows, without waiting for autovacuum."""
    if not isinstance(store, PostgresStore):
        store.refresh_statistics()  # nothing to learn, and nothing fails
        return

    def analysed() -> dict[str, int]:
        with store.engine.connect() as conn:
            return dict(
                conn.execute(
                    sa.text(
                        "SELECT relname, analyze_count + autoanalyze_count "
                        "FROM pg_stat_user_tables WHERE relname = ANY(:tables)"
                    ),
                    {"tables": list(STATEMENT_TABLES)},
                ).all()
            )

    before = analysed()
    _import(store, tenant, ndjson([statement(n) for n in range(3)]))
    deadline = time.monotonic() + 10  # the statistics collector reports with a delay
    while not all(analysed()[t] > before.get(t, 0) for t in STATEMENT_TABLES):
        assert time.monotonic() < deadline, (before, analysed())
        time.sleep(0.1)


def test_import_takes_statements_of_both_xapi_versions(store: Store, tenant: Bootstrap) -> None:
    """An import checks statements as a POST under xAPI 2.0.0 does: 1.0.x and 2.0.x statements,
    contextAgents included, keep their version; one without a version gets 2.0.0."""
    coach = {"objectType": "contextAgent", "agent": {"mbox": "mailto:coach@example.com"}}
    lines = [
        statement(1, version="1.0.0"),
        statement(2, version="2.0.0", context={"contextAgents": [coach]}),
        statement(3),
        statement(4, version="1.1.0"),  # neither version's
    ]
    summary = _import(store, tenant, ndjson(lines))
    assert (summary.stored, summary.rejected) == (3, 1)
    versions = {}
    for n in (1, 2, 3):
        record = store.get_statement(tenant.lrs.id, statement(n)["id"])
        assert record is not None
        versions[n] = record.statement["version"]
    assert versions == {1: "1.0.0", 2: "2.0.0", 3: "2.0.0"}
