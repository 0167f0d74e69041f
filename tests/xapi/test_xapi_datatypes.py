"""Special data types: IRIs, mailto IRIs, digests, UUIDs, language tags, durations, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrs.xapi import timestamps
from lrs.xapi.datatypes import (
    is_duration,
    is_iri,
    is_language_tag,
    is_mailto_iri,
    is_media_type,
    is_sha1_hex,
    is_sha2_hex,
    is_uuid,
    media_type_essence,
)
from lrs.xapi.timestamps import (
    canonical_timestamp,
    format_timestamp,
    is_timestamp,
    parse_timestamp,
)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("http://example.com/a", True),
        ("https://example.com/verbs#defenestrated", True),
        ("urn:uuid:6690e6c9-3ef0-4ed3-8b37-7f3964730bee", True),
        ("tag:example.com,2024:x", True),
        ("http://example.com/فعل/خواندن", True),
        ("x:y", True),
        ("example.com/no-scheme", False),
        ("ab=c://should.fail.com", False),
        ("1http://example.com", False),
        ("http://example.com/a b", False),
        ("http://example.com/<a>", False),
        ("http:", False),
        ("", False),
    ],
)
def test_iri(value: str, ok: bool) -> None:
    assert is_iri(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("mailto:ann@example.com", True),
        ("mailto:ann.b+tag@sub.example.co.uk", True),
        ("mailto:ann@localhost", True),
        ("ann@example.com", False),
        ("mailto:ann.example.com", False),
        ("mailto:@example.com", False),
        ("mailto:ann@", False),
        ("mailto:a@b@c.com", False),
        ("mailto:ann@example..com", False),
        ("mailto:ann @example.com", False),
        ("MAILTO:ann@example.com", False),
        ("http://should.fail.com", False),
    ],
)
def test_mailto_iri(value: str, ok: bool) -> None:
    assert is_mailto_iri(value) is ok


def test_digests() -> None:
    assert is_sha1_hex("cd9b00a5611f94eaa7b1661edab976068e364975")
    assert is_sha1_hex("CD9B00A5611F94EAA7B1661EDAB976068E364975")
    assert not is_sha1_hex("cd9b00a5611f94eaa7b1661edab976068e36497")
    assert not is_sha1_hex("xd9b00a5611f94eaa7b1661edab976068e364975")
    for length in (56, 64, 96, 128):
        assert is_sha2_hex("a" * length)
    for length in (0, 40, 63, 65, 127):
        assert not is_sha2_hex("a" * length)
    assert not is_sha2_hex("g" * 64)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("6690e6c9-3ef0-4ed3-8b37-7f3964730bee", True),
        ("6690E6C9-3EF0-4ED3-8B37-7F3964730BEE", True),
        ("00000000-0000-0000-0000-000000000000", True),
        ("6690e6c93ef04ed38b377f3964730bee", False),
        ("{6690e6c9-3ef0-4ed3-8b37-7f3964730bee}", False),
        ("AA97B177-9383-4934-8543-0F91A7A028368", False),
        ("MA97B177-9383-4934-8543-0F91A7A02836", False),
        ("", False),
    ],
)
def test_uuid(value: str, ok: bool) -> None:
    assert is_uuid(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("en", True),
        ("en-US", True),
        ("EN-us", True),
        ("tlh", True),
        ("zh-Hant-TW", True),
        ("zh-yue-HK", True),
        ("es-419", True),
        ("sl-rozaj-biske", True),
        ("de-CH-1901", True),
        ("en-US-u-islamcal", True),
        ("x-whatever", True),
        ("en-x-private-use", True),
        ("i-klingon", True),
        ("zh-min-nan", True),
        ("a12345678", False),
        ("something", False),
        ("en_US", False),
        ("e", False),
        ("en-", False),
        ("en--US", False),
        ("en-US-", False),
        ("123", False),
        ("", False),
    ],
)
def test_language_tag(value: str, ok: bool) -> None:
    assert is_language_tag(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("PT1H0M0S", True),
        ("PT4H35M59.14S", True),
        ("P3Y1M29DT4H35M59.14S", True),
        ("PT16559.14S", True),
        ("P3Y", True),
        ("P4W", True),
        ("P0.5D", True),
        ("PT1.5H", True),
        ("PT0,5S", True),
        ("PT0.0001S", True),
        ("P1D", True),
        ("P", False),
        ("PT", False),
        ("P1DT", False),
        ("P4W1D", False),
        ("PA1H0M0S", False),
        ("1H", False),
        ("P1H", False),
        ("PT1.5H3M", False),
        ("P0003-02-01T04:05:06", False),
        ("-P1D", False),
        ("pt1h", False),
    ],
)
def test_duration(value: str, ok: bool) -> None:
    assert is_duration(value) is ok


def test_media_type() -> None:
    assert is_media_type("text/plain") and is_media_type("text/plain; charset=ascii")
    assert is_media_type("application/vnd.api+json")
    assert not any(map(is_media_type, ("text", "text/", "/plain", "text plain", "")))
    assert media_type_essence(" Text/Plain ; charset=x") == "text/plain"


UTC_NOON = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "instant"),
    [
        ("2024-05-01T12:00:00Z", UTC_NOON),
        ("2024-05-01T12:00:00.000Z", UTC_NOON),
        ("2024-05-01t12:00:00z", UTC_NOON),
        ("2024-05-01T12:00Z", UTC_NOON),
        ("2024-05-01T14:00:00+02:00", UTC_NOON),
        ("2024-05-01T14:00:00+0200", UTC_NOON),
        ("2024-05-01T14:00:00+02", UTC_NOON),
        ("2024-05-01T07:30:00-04:30", UTC_NOON),
        ("2024-05-01T12:00:00+00:00", UTC_NOON),
        ("2024-05-01T12:00:00", UTC_NOON),
        ("20240501T120000Z", UTC_NOON),
        ("20240501T140000+0200", UTC_NOON),
        ("2024-05-01T12:00:00.123456789Z", UTC_NOON + timedelta(microseconds=123456)),
        ("2024-05-01T12:00:00,5Z", UTC_NOON + timedelta(milliseconds=500)),
    ],
)
def test_timestamp_parses_to_utc(value: str, instant: datetime) -> None:
    assert parse_timestamp(value) == instant
    assert is_timestamp(value)


@pytest.mark.parametrize(
    "value",
    [
        "2008-09-15T15:53:00.601-00",
        "2008-09-15T15:53:00.601-0000",
        "2008-09-15T15:53:00.601-00:00",
        "2015-02-30T10:00:00Z",
        "2015-13-01T10:00:00Z",
        "2015-01-01T24:00:00Z",
        "2015-01-01T10:60:00Z",
        "2015-01-01T10:00:00+24:00",
        "2015-01-01",
        "2015-01-01 10:00:00Z",
        "01/011/2015",
        "should fail",
        "2015-01-01T10:00:00ZZ",
        "",
        # the canonical form's length and shape, with an impossible value or a non-ASCII digit
        "2015-02-30T10:00:00.000Z",
        "2015-01-01T24:00:00.000Z",
        "2015-01-01T23:59:60.000Z",
        "0000-01-01T00:00:00.000Z",
        "2015-01-01T10:00:00.\u0661\u0662\u0663Z",
        "\u0662015-01-01T10:00:00Z",
    ],
)
def test_timestamp_rejected(value: str) -> None:
    assert parse_timestamp(value) is None
    assert not is_timestamp(value)


def test_format_timestamp_is_utc_with_milliseconds() -> None:
    plus_two = timezone(timedelta(hours=2))
    instant = datetime(2024, 5, 1, 14, 0, 0, 123999, tzinfo=plus_two)
    assert format_timestamp(instant) == "2024-05-01T12:00:00.123Z"
    assert format_timestamp(datetime(2024, 5, 1, 12, 0)) == "2024-05-01T12:00:00.000Z"
    in_utc = datetime(2024, 5, 1, 12, 0, 0, 123999, tzinfo=UTC)
    assert format_timestamp(in_utc) == "2024-05-01T12:00:00.123Z"
    assert format_timestamp(in_utc.replace(microsecond=0)) == "2024-05-01T12:00:00.000Z"


def test_long_timestamps_parse_without_being_cached() -> None:
    long_fraction = "2024-05-01T12:30:00." + "1" * 60 + "Z"
    before = timestamps._parse_cached.cache_info().currsize
    instant = timestamps.parse_timestamp(long_fraction)
    assert instant == datetime(2024, 5, 1, 12, 30, 0, 111111, tzinfo=UTC)
    assert timestamps.parse_timestamp("x" * 100_000) is None
    assert timestamps._parse_cached.cache_info().currsize == before


@given(st.datetimes(timezones=st.just(UTC)))
def test_canonical_timestamps_parse_like_every_other_form(instant: datetime) -> None:
    text = format_timestamp(instant)
    expected = instant.replace(microsecond=instant.microsecond // 1000 * 1000)
    assert parse_timestamp(text) == expected
    assert parse_timestamp(text).tzinfo is UTC
    # the general parser (the fast path skips it) reads the same instant
    assert timestamps._parse(text) == expected
    assert canonical_timestamp(text) == text


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("2024-05-01T12:00:00.123Z", "2024-05-01T12:00:00.123Z"),
        ("2024-05-01T14:00:00.123999+02:00", "2024-05-01T12:00:00.123Z"),
        ("2024-05-01t12:00:00z", "2024-05-01T12:00:00.000Z"),
        ("20240501T120000Z", "2024-05-01T12:00:00.000Z"),
        ("2024-05-01T12:00:00", "2024-05-01T12:00:00.000Z"),
        ("2015-02-30T10:00:00.000Z", None),
        ("not a time", None),
    ],
)
def test_canonical_timestamp(value: str, canonical: str | None) -> None:
    assert canonical_timestamp(value) == canonical
