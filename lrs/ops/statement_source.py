"""Reading statements from a file or stdin, one at a time, with flat memory.

The input is a JSON array of statements or NDJSON (one statement per line), optionally gzipped.
Both are told apart by their bytes, not by a file name: gzip by its magic number (``1f 8b``),
then the format by the first byte that is not white space (``[``: a JSON array; ``{``: NDJSON).

Each statement comes out as a ``SourceItem``: its position (the 1-based line number in NDJSON,
the 0-based element index in a JSON array) and its bytes exactly as they appear in the input,
not yet parsed, so a rejected one can be written back verbatim. A JSON array is split into its
elements by an incremental scanner over a window of the input (strings are skipped whole by a
regular expression, brackets counted), so neither format is ever read into memory whole.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

from lrs.core.errors import BadRequest

NDJSON = "ndjson"
JSON_ARRAY = "json"
EMPTY = "empty"
CHUNK_BYTES = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_SPACE = b" \t\r\n"

# A complete string, or a lone quote (a string the window cuts off), or a bracket.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|"|[\[\]{}]', re.DOTALL)
_WHITESPACE = re.compile(rb"[ \t\r\n]*")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_LITERAL = re.compile(rb"[^,\]\s]*")
_CLOSING = {ord("}"): ord("{"), ord("]"): ord("[")}
# Where an object element may end: its closing brace, a comma, the next object's opening brace
# (inside a statement, a comma is mostly followed by a key). The last element is counted.
_CANDIDATE = re.compile(rb"}[ \t\r\n]*,[ \t\r\n]*{")
_GUESSES = 12
#: ``SourceItem.value`` of an item whose bytes have not been parsed.
UNPARSED: Any = object()


class InputError(BadRequest):
    """The input cannot be read as a JSON array or NDJSON (nothing after this point is read)."""


@dataclass(frozen=True, slots=True)
class SourceItem:
    """One statement's bytes as found in the input, and where."""

    position: int  # NDJSON: 1-based line number; JSON array: 0-based element index
    raw: bytes
    #: The parsed value when finding the element's end parsed it, else ``UNPARSED``.
    value: Any = UNPARSED


@dataclass(frozen=True)
class StatementSource:
    """The detected format and the statements, read lazily."""

    format: str  # NDJSON, JSON_ARRAY or EMPTY
    items: Iterator[SourceItem]


def open_statement_source(stream: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> StatementSource:
    """Detect gzip and the format of ``stream`` and return its statements, read lazily.

    ``InputError`` when the first non-space byte is neither ``[`` nor ``{``.
    """
    head = _read_at_least(stream, len(_GZIP_MAGIC))
    reader: BinaryIO = _Prefixed(head, stream)
    if head.startswith(_GZIP_MAGIC):
        reader = gzip.GzipFile(fileobj=reader, mode="rb")  # type: ignore[assignment]
    buffer = b""
    while True:
        stripped = buffer.lstrip(_SPACE)
        if stripped:
            break
        chunk = _read_gzip(reader, chunk_bytes)
        if not chunk:
            return StatementSource(EMPTY, iter(()))
        buffer += chunk
    first = stripped[:1]
    if first == b"[":
        start = len(buffer) - len(stripped)
        return StatementSource(JSON_ARRAY, _array_elements(reader, buffer, start + 1, chunk_bytes))
    if first == b"{":
        return StatementSource(NDJSON, _lines(reader, buffer, chunk_bytes))
    raise InputError(
        f"the input is neither a JSON array of statements (starting with '[') nor NDJSON "
        f"(one statement object per line, starting with '{{'): it starts with {first!r}"
    )


def _read_gzip(reader: BinaryIO, size: int) -> bytes:
    try:
        return reader.read(size)
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError
        raise InputError(f"the gzip input cannot be decompressed: {error}") from None


def _read_at_least(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the input (a pipe may return less)."""
    head = b""
    while len(head) < size:
        chunk = stream.read(size - len(head))
        if not chunk:
            break
        head += chunk
    return head


class _Prefixed(io.RawIOBase):
    """``prefix`` followed by the rest of ``stream``: the bytes read to sniff the input."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix = prefix
        self._stream = stream

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._prefix:
            if size is None or size < 0:
                data, self._prefix = self._prefix + self._stream.read(), b""
                return data
            data, self._prefix = self._prefix[:size], self._prefix[size:]
            return data
        return self._stream.read(size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _lines(reader: BinaryIO, buffer: bytes, chunk_bytes: int) -> Iterator[SourceItem]:
    """NDJSON: each line that is not blank, with its 1-based number."""
    number = 0
    pending = buffer
    while True:
        lines = pending.split(b"\n")
        pending = lines.pop()
        for line in lines:
            number += 1
            if line.strip(_SPACE):
                yield SourceItem(number, line.rstrip(b"\r"))
        chunk = _read_gzip(reader, chunk_bytes)
        if not chunk:
            break
        pending += chunk
    number += 1
    if pending.strip(_SPACE):
        yield SourceItem(number, pending.rstrip(b"\r"))


class _Window:
    """The part of the input being scanned: ``data`` starts at input byte ``offset``."""

    def __init__(self, reader: BinaryIO, data: bytes, chunk_bytes: int) -> None:
        self.reader = reader
        self.data = data
        self.offset = 0
        self.chunk_bytes = chunk_bytes
        self.eof = False

    def more(self, keep_from: int) -> int:
        """Read another chunk, dropping the bytes before ``keep_from``; returns how far
        positions moved (subtract it from every position held). ``InputError`` at the end."""
        if self.eof:
            raise InputError(
                f"the JSON array ends early (at byte {self.offset + len(self.data)}): an element "
                "or the closing ']' is missing"
            )
        chunk = _read_gzip(self.reader, self.chunk_bytes)
        if not chunk:
            self.eof = True
            return self.more(keep_from)
        self.data = self.data[keep_from:] + chunk
        self.offset += keep_from
        return keep_from

    def skip_space(self, position: int) -> tuple[int, int]:
        """The position of the next non-space byte (reading more as needed) and that byte."""
        while True:
            position = _WHITESPACE.match(self.data, position).end()  # type: ignore[union-attr]
            if position < len(self.data):
                return position, self.data[position]
            position -= self.more(position)


def _array_elements(
    reader: BinaryIO, buffer: bytes, position: int, chunk_bytes: int
) -> Iterator[SourceItem]:
    """A JSON array: each element's bytes, with its 0-based index. ``position`` is just after
    the opening bracket."""
    window = _Window(reader, buffer, chunk_bytes)
    index = 0
    position, byte = window.skip_space(position)
    if byte == ord("]"):
        _expect_end(window, position + 1)
        return
    while True:
        start, end, value = _element(window, position)
        yield SourceItem(index, window.data[start:end], value)
        index += 1
        position, byte = window.skip_space(end)
        if byte == ord("]"):
            _expect_end(window, position + 1)
            return
        if byte != ord(","):
            raise InputError(
                f"the JSON array is malformed at byte {window.offset + position}: expected ',' "
                f"or ']' after element {index - 1}, found {bytes([byte])!r}"
            )
        position, _ = window.skip_space(position + 1)


def _element(window: _Window, start: int) -> tuple[int, int, Any]:
    """The window positions of the element starting at ``start`` (reading more as needed;
    ``start`` may move when the window does), and its parsed value when that came for free.

    An object is found by guessing: it ends at a closing brace followed by a comma and another
    object, and the first such candidate whose text parses is the end (a complete object is
    never a prefix of a longer one); parsing it is work done once. The last element, arrays, and
    objects a few guesses miss (invalid ones, or with many objects in arrays) are found by
    counting brackets outside strings.
    """
    first = window.data[start]
    if first != ord("{"):
        if first == ord("["):
            return (*_counted(window, start), UNPARSED)
        return (*_scalar(window, start), UNPARSED)
    view = memoryview(window.data)
    search = start
    for _ in range(_GUESSES):
        candidate = _CANDIDATE.search(window.data, search)
        if candidate is None:
            break
        end = candidate.start() + 1
        try:
            return start, end, orjson.loads(view[start:end])
        except orjson.JSONDecodeError:
            search = end
    view.release()
    return (*_counted(window, start), UNPARSED)


def _counted(window: _Window, start: int) -> tuple[int, int]:
    """``_element`` by counting brackets outside strings."""
    stack: list[int] = []
    scan = start
    while True:
        for match in _TOKEN.finditer(window.data, scan):
            token = window.data[match.start()]
            if token == ord('"'):
                if match.end() - match.start() == 1:  # a string the window cuts off
                    scan = match.start()
                    break
                scan = match.end()
                continue
            scan = match.end()
            if token in (ord("{"), ord("[")):
                stack.append(token)
                continue
            if not stack or stack.pop() != _CLOSING[token]:
                raise InputError(
                    f"the JSON array is malformed at byte {window.offset + match.start()}: "
                    f"{bytes([token])!r} does not close the bracket opened before it"
                )
            if not stack:
                return start, scan
        else:
            scan = len(window.data)
        moved = window.more(start)
        start -= moved
        scan -= moved


def _scalar(window: _Window, start: int) -> tuple[int, int]:
    """A string, number or literal element (never a statement, but it has an index)."""
    pattern = _STRING if window.data[start] == ord('"') else _LITERAL
    while True:
        match = pattern.match(window.data, start)
        if match is not None and (match.end() < len(window.data) or window.eof):
            return start, match.end()
        if match is None and window.eof:
            raise InputError(f"the JSON array ends inside a string at byte {window.offset + start}")
        start -= window.more(start)


def _expect_end(window: _Window, position: int) -> None:
    """Only white space may follow the array's closing bracket."""
    while True:
        position = _WHITESPACE.match(window.data, position).end()  # type: ignore[union-attr]
        if position < len(window.data):
            raise InputError(
                f"unexpected data after the JSON array's closing ']' at byte "
                f"{window.offset + position}"
            )
        if window.eof:
            return
        chunk = _read_gzip(window.reader, window.chunk_bytes)
        if not chunk:
            return
        window.offset += len(window.data)
        window.data, position = chunk, 0
