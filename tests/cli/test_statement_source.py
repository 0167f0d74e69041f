"""Reading statements: format and gzip detected from the bytes, positions, verbatim bytes, and
JSON arrays split incrementally whatever the chunk boundaries."""

from __future__ import annotations

import gzip
import io
import json
import random
from typing import Any

import orjson
import pytest

from lrs.ops.statement_source import (
    EMPTY,
    JSON_ARRAY,
    NDJSON,
    UNPARSED,
    InputError,
    open_statement_source,
)


def _items(data: bytes, chunk_bytes: int = 1 << 20) -> tuple[str, list[tuple[int, bytes]]]:
    source = open_statement_source(io.BytesIO(data), chunk_bytes=chunk_bytes)
    return source.format, [(item.position, item.raw) for item in source.items]


def test_ndjson_lines_keep_their_numbers_and_bytes() -> None:
    data = b'{"a": 1}\n{"b": 2}\r\n\n   \n{"c":\t3}\n'
    assert _items(data) == (NDJSON, [(1, b'{"a": 1}'), (2, b'{"b": 2}'), (5, b'{"c":\t3}')])
    assert _items(data.rstrip(b"\n"))[1][-1] == (5, b'{"c":\t3}')  # no final newline


def test_a_json_array_gives_its_elements_verbatim_with_indexes() -> None:
    data = b' \n[ {"a": [1, {"b": "]},{"}]} ,\n  {"c" : 2},"x", 3 ]\n'
    assert _items(data) == (
        JSON_ARRAY,
        [(0, b'{"a": [1, {"b": "]},{"}]}'), (1, b'{"c" : 2}'), (2, b'"x"'), (3, b"3")],
    )


def test_gzip_is_detected_by_its_bytes_for_both_formats() -> None:
    assert _items(gzip.compress(b'[{"a": 1}]')) == (JSON_ARRAY, [(0, b'{"a": 1}')])
    assert _items(gzip.compress(b'{"a": 1}\n{"a": 2}\n'))[1] == [(1, b'{"a": 1}'), (2, b'{"a": 2}')]


@pytest.mark.parametrize("data", [b"", b"  \n\t", b"[]", b" [ ] \n", gzip.compress(b"")])
def test_empty_inputs(data: bytes) -> None:
    assert _items(data)[1] == []
    assert _items(data)[0] in (EMPTY, JSON_ARRAY)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello", "neither a JSON array"),
        (b'[{"a": 1}', "ends early"),
        (b'[{"a": 1}, ', "ends early"),
        (b'[{"a": 1]', "does not close"),
        (b'[{"a": 1} {"b": 2}]', "expected ',' or ']' after element 0"),
        (b'[{"a": 1}] trailing', "after the JSON array"),
        (b'["abc', "ends"),
        (b"\x1f\x8bnot really gzip", "cannot be decompressed"),
    ],
)
def test_malformed_input_is_an_input_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as raised:
        _items(data, chunk_bytes=3)
    assert message in raised.value.message


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    if depth > 3 or rng.random() < 0.3:
        return rng.choice([1, -2.5e3, 'a"b\\c[]{},', "},{", None, True, "é\u2028", "x" * 40])
    if rng.random() < 0.6:
        return {f'k{i}"]': _random_value(rng, depth + 1) for i in range(rng.randrange(4))}
    return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]


@pytest.mark.parametrize("seed", range(40))
def test_arrays_split_the_same_at_any_chunk_size(seed: int) -> None:
    rng = random.Random(seed)
    elements = [_random_value(rng) for _ in range(rng.randrange(1, 10))]
    data = json.dumps(elements, indent=rng.choice([None, 2]), ensure_ascii=seed % 2 == 0).encode()
    for chunk_bytes in (1, 2, 5, 64, 1 << 20):
        source = open_statement_source(io.BytesIO(data), chunk_bytes=chunk_bytes)
        items = list(source.items)
        assert [orjson.loads(item.raw) for item in items] == elements
        assert [item.position for item in items] == list(range(len(elements)))
        for item, element in zip(items, elements, strict=True):
            assert item.value is UNPARSED or item.value == element


class _Trickle(io.RawIOBase):
    """A pipe that hands out one byte per read."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        head, self._data = self._data[:1], self._data[1:]
        return head


def test_a_pipe_giving_one_byte_at_a_time() -> None:
    data = gzip.compress(b'[{"a": 1},\n{"b": [2]}]')
    source = open_statement_source(_Trickle(data))  # type: ignore[arg-type]
    assert [item.raw for item in source.items] == [b'{"a": 1}', b'{"b": [2]}']
