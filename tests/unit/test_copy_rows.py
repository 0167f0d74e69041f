"""COPY text escaping (``lrs.store.copy_rows``); the round trip through PostgreSQL is in the
statement contract tests."""

from __future__ import annotations

from datetime import UTC, datetime

from lrs.store.copy_rows import array_literal, escape, plain_rows


def test_plain_text_is_unchanged() -> None:
    assert escape("http://example.com/a b") == "http://example.com/a b"


def test_backslash_tab_newline_and_carriage_return_are_escaped() -> None:
    assert escape("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re"
    assert escape("\\N") == "\\\\N"  # never read as NULL


def test_array_literals_quote_every_element() -> None:
    assert array_literal(['a"b', "c\\d", "{e,f}"]) == '{"a\\"b","c\\\\d","{e,f}"}'
    assert array_literal([]) == "{}"


def test_plain_rows_write_instants_in_iso_form() -> None:
    instant = datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
    assert plain_rows([("s\tx", instant)]) == b"s\\tx\t2026-01-02T03:04:05.006000+00:00\n"
