"""COPY text escaping and rows (``lrs.store.copy_rows``); the round trip through PostgreSQL is in
the statement contract tests."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from lrs.statements.build import build_record
from lrs.store.copy_rows import (
    CONTEXT_ACTIVITY_COLUMNS,
    STATEMENT_COLUMNS,
    TERM_COLUMNS,
    array_literal,
    escape,
    queriables_json,
    statement_copy_text,
    term_copy_text,
)
from lrs.tenancy.service import new_client

STORED = datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)


def test_plain_text_is_unchanged() -> None:
    assert escape("http://example.com/a b") == "http://example.com/a b"


def test_backslash_tab_newline_and_carriage_return_are_escaped() -> None:
    assert escape("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re"
    assert escape("\\N") == "\\\\N"  # never read as NULL


def test_array_literals_quote_every_element() -> None:
    assert array_literal(['a"b', "c\\d", "{e,f}"]) == '{"a\\"b","c\\\\d","{e,f}"}'
    assert array_literal(["a", "b c"]) == '{"a","b c"}'
    assert array_literal([""]) == '{""}'
    assert array_literal([]) == "{}"


def test_rows_hold_every_column_in_order_and_one_side_row_per_context_activity() -> None:
    issued = new_client(
        "6b0000000000000000000001", "6b0000000000000000000002", title="c", scopes=["all"]
    )
    record = build_record(
        {
            "actor": {"mbox": "mailto:ann@example.com"},
            "verb": {"id": "http://example.com/verbs/did"},
            "object": {"id": "http://example.com/a\tb"},
            "context": {
                "contextActivities": {
                    "parent": [{"id": "http://example.com/p"}, {"id": "http://example.com/p"}],
                    "grouping": {"id": "http://example.com/g\\h"},
                }
            },
            "timestamp": "2026-01-01T00:00:00Z",
        },
        client=issued.client,
        lrs_id="6b0000000000000000000002",
        stored=STORED,
    )
    rows, side = statement_copy_text([record])
    fields = rows.decode().removesuffix("\n").split("\t")
    row = dict(zip(STATEMENT_COLUMNS, fields, strict=True))
    assert row["lrs_id"] == "6b0000000000000000000002"
    assert row["organisation_id"] == issued.client.organisation_id
    assert row["client_id"] == issued.client.id
    assert row["stored"] == "2026-01-02T03:04:05.006000+00:00"
    assert (row["id"], row["statement_id"]) == (record.id, record.statement_id)
    assert row["timestamp"] == "2026-01-01T00:00:00+00:00"
    assert (row["voided"], row["voiding"], row["ref_target"]) == ("f", "f", "\\N")
    assert row["hash"] == record.hash
    # The queriables are derived when read (NULL) unless the StatementRef rule changed them.
    assert row["queriables"] == "\\N"
    # JSON fields: orjson escapes control characters, so COPY only doubled the backslashes.
    assert orjson.loads(row["statement"].replace("\\\\", "\\")) == record.statement
    assert side.decode().splitlines() == [
        "\t".join((record.lrs_id, category, activity, "2026-01-01T00:00:00+00:00", record.id))
        for category, activity in (
            ("parent", "http://example.com/p"),
            ("grouping", "http://example.com/g\\\\h"),
        )
    ]
    assert len(CONTEXT_ACTIVITY_COLUMNS) == 5
    # Term rows: one per given term, with the term's id, the stored instant and the record id.
    terms = term_copy_text([(record, ("verb:a", "agent:b"))], {"verb:a": 7, "agent:b": 9})
    assert terms.decode().splitlines() == [
        f"7\t2026-01-02T03:04:05.006000+00:00\t{record.id}",
        f"9\t2026-01-02T03:04:05.006000+00:00\t{record.id}",
    ]
    assert TERM_COLUMNS == ("term_id", "stored", "id")


def test_a_statement_ref_keeps_its_queriables_in_the_row() -> None:
    """The StatementRef rule may lend a statement its target's lookup arrays, which the
    statement alone cannot give back: those rows keep their queriables."""
    issued = new_client(
        "6b0000000000000000000001", "6b0000000000000000000002", title="c", scopes=["all"]
    )
    record = build_record(
        {
            "actor": {"mbox": "mailto:a@example.com"},
            "verb": {"id": "http://example.com/v"},
            "object": {"objectType": "StatementRef", "id": "6fd2a3b2-9bd1-4f35-a0a8-9a0f0a5a8c11"},
        },
        client=issued.client,
        lrs_id="6b0000000000000000000002",
        stored=STORED,
    )
    rows, _ = statement_copy_text([record])
    row = dict(zip(STATEMENT_COLUMNS, rows.decode().removesuffix("\n").split("\t"), strict=True))
    assert orjson.loads(row["queriables"].replace("\\\\", "\\")) == orjson.loads(
        orjson.dumps(queriables_json(record.queriables))
    )
