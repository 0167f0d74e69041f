"""``$regex``: the subset of PCRE that Python's :mod:`re` and PostgreSQL's regular expressions
(ARE) match identically, translated into both dialects from one parse.

MongoDB runs PCRE. Python and PostgreSQL differ from it, and from each other, in many corners
(``.`` and newlines, ``$`` before a final newline, locale-dependent ``\\w``/``\\s``/case folding,
``\\b`` meaning backspace in ARE, POSIX classes, lookaround, back references...). Rather than
approximate, we accept a declared subset and re-emit it explicitly for each engine:

* literals (non-alphanumeric characters are emitted as ``\\uXXXX``), escaped punctuation,
  ``\\t \\n \\r \\f \\v``, ``\\xhh``;
* ``.`` (no newline; any character with option ``s``), ``^`` (start), ``$`` (end, or before a
  final newline, as in PCRE);
* ``\\d \\D \\w \\W \\s \\S`` with their ASCII (PCRE) meaning;
* bracket expressions ``[...]``/``[^...]`` with literals, ranges and ``\\d \\w \\s``;
* groups ``(...)`` and ``(?:...)``, alternation ``|``, quantifiers ``* + ? {n} {n,} {n,m}``
  (n, m <= 255) with an optional lazy ``?`` (laziness never changes whether a string matches).

Rejected with ``BadQuery``: options other than ``i`` and ``s`` (``m`` and ``x`` differ between
the engines), non-ASCII characters in a pattern with ``i`` (case folding beyond ASCII is
locale-dependent in PostgreSQL), anchors and escapes other than the above (``\\b``, ``\\A``,
``\\Z``, ``\\p{..}``, back references...), lookaround, named groups, inline flags, possessive
quantifiers, POSIX classes, and an unbounded quantifier applied to a group that already contains
one (``(a+)+``), which can backtrack exponentially in Python's engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lrs.core.errors import BadQuery

MAX_PATTERN_LENGTH = 1024
MAX_REPEAT = 255  # PostgreSQL's limit on {n,m} bounds
ALLOWED_OPTIONS = frozenset("is")

_DIGIT = ((0x30, 0x39),)
_WORD = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_SPACE = ((0x09, 0x0D), (0x20, 0x20))
_CLASSES = {"d": _DIGIT, "w": _WORD, "s": _SPACE}
_CONTROL = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v"}


@dataclass(frozen=True, slots=True)
class Translation:
    """A pattern in both dialects."""

    python: str
    python_flags: int
    postgres: str


def translate(pattern: str, options: str, *, path: str) -> Translation:
    """Check ``pattern``/``options`` against the supported subset and emit both dialects."""
    unknown = sorted(set(options) - ALLOWED_OPTIONS)
    if unknown:
        raise BadQuery(
            f"$options {''.join(unknown)!r} on {path} is not supported (only 'i' and 's')",
            field=path,
        )
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise BadQuery(
            f"$regex on {path} is longer than {MAX_PATTERN_LENGTH} characters", field=path
        )
    caseless = "i" in options
    dotall = "s" in options
    if caseless and any(ord(char) > 0x7F for char in pattern):
        raise BadQuery(
            f"$regex on {path}: non-ASCII characters cannot be used with option 'i'", field=path
        )
    parser = _Parser(pattern, path=path, dotall=dotall)
    python, postgres = parser.parse()
    flags = re.ASCII | (re.IGNORECASE if caseless else 0) | (re.DOTALL if dotall else 0)
    if caseless:
        postgres = "(?i)" + postgres
    return Translation(python=python, python_flags=flags, postgres=postgres)


def _literal(code: int) -> str:
    char = chr(code)
    if char.isascii() and char.isalnum():
        return char
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def _ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(
        _literal(lo) if lo == hi else f"{_literal(lo)}-{_literal(hi)}" for lo, hi in ranges
    )


class _Parser:
    """Recursive-descent parser emitting (python, postgres) pattern text."""

    def __init__(self, pattern: str, *, path: str, dotall: bool) -> None:
        self.text = pattern
        self.pos = 0
        self.path = path
        self.dotall = dotall

    def error(self, what: str) -> BadQuery:
        return BadQuery(
            f"$regex on {self.path}: {what} (at offset {self.pos}) is not supported",
            field=self.path,
        )

    def peek(self) -> str | None:
        return self.text[self.pos] if self.pos < len(self.text) else None

    def take(self) -> str:
        char = self.text[self.pos]
        self.pos += 1
        return char

    def parse(self) -> tuple[str, str]:
        python, postgres, _ = self.alternation()
        if self.pos != len(self.text):
            raise self.error("an unmatched ')'")
        return python, postgres

    def alternation(self) -> tuple[str, str, bool]:
        python, postgres, unbounded = self.sequence()
        while self.peek() == "|":
            self.take()
            more_python, more_postgres, more_unbounded = self.sequence()
            python += "|" + more_python
            postgres += "|" + more_postgres
            unbounded = unbounded or more_unbounded
        return python, postgres, unbounded

    def sequence(self) -> tuple[str, str, bool]:
        python_parts: list[str] = []
        postgres_parts: list[str] = []
        unbounded = False
        while (char := self.peek()) is not None and char not in "|)":
            atom_python, atom_postgres, repeatable, inner_unbounded = self.atom()
            quantifier, quantifier_unbounded = self.quantifier()
            if quantifier:
                if not repeatable:
                    raise self.error("a quantifier with nothing to repeat")
                if quantifier_unbounded and inner_unbounded:
                    raise self.error("nested unbounded repetition")
            unbounded = unbounded or inner_unbounded or quantifier_unbounded
            python_parts.append(atom_python + quantifier)
            postgres_parts.append(atom_postgres + quantifier)
        return "".join(python_parts), "".join(postgres_parts), unbounded

    def quantifier(self) -> tuple[str, bool]:
        char = self.peek()
        if char in ("*", "+", "?"):
            self.take()
            quantifier, unbounded = char, char != "?"
        elif char == "{":
            quantifier, unbounded = self.braces()
        else:
            return "", False
        if self.peek() == "?":
            self.take()  # lazy: same set of matching strings
        if self.peek() is not None and self.peek() in "*+?{":
            raise self.error("a possessive or repeated quantifier")
        return quantifier, unbounded

    def braces(self) -> tuple[str, bool]:
        match = re.compile(r"\{(\d{1,3})(,(\d{0,3}))?\}").match(self.text, self.pos)
        if match is None:
            raise self.error("a '{' that is not a quantifier {n}, {n,} or {n,m}")
        low = int(match.group(1))
        high = match.group(3)
        if low > MAX_REPEAT or (high and (int(high) > MAX_REPEAT or int(high) < low)):
            raise self.error(f"a quantifier bound above {MAX_REPEAT} or decreasing")
        self.pos = match.end()
        if match.group(2) is None:
            return f"{{{low}}}", False
        if not high:
            return f"{{{low},}}", True
        return f"{{{low},{int(high)}}}", False

    def atom(self) -> tuple[str, str, bool, bool]:
        """(python, postgres, repeatable, contains an unbounded quantifier)."""
        char = self.take()
        if char == "(":
            if self.peek() == "?":
                if self.text.startswith("?:", self.pos):
                    self.pos += 2
                else:
                    raise self.error("a '(?' construct other than '(?:'")
            python, postgres, unbounded = self.alternation()
            if self.peek() != ")":
                raise self.error("an unterminated group")
            self.take()
            return f"(?:{python})", f"(?:{postgres})", True, unbounded
        if char == "[":
            body = self.bracket()
            return body, body, True, False
        if char == ".":
            return ".", ("." if self.dotall else "[^\\u000A]"), True, False
        if char == "^":
            return "^", "^", False, False
        if char == "$":
            return "$", "(?=\\u000A?$)", False, False
        if char == "\\":
            text = self.escape(in_bracket=False)
            return text, text, True, False
        if char in "*+?{":
            self.pos -= 1
            raise self.error("a quantifier with nothing to repeat")
        if char in ")]}":
            self.pos -= 1
            raise self.error(f"an unescaped {char!r}")
        literal = _literal(ord(char))
        return literal, literal, True, False

    def escape(self, *, in_bracket: bool) -> str:
        char = self.peek()
        if char is None:
            raise self.error("a trailing backslash")
        self.take()
        lower = char.lower()
        if lower in _CLASSES:
            ranges = _CLASSES[lower]
            if char.islower():
                return _ranges(ranges) if in_bracket else f"[{_ranges(ranges)}]"
            if in_bracket:
                raise self.error(f"'\\{char}' inside a bracket expression")
            return f"[^{_ranges(ranges)}]"
        if char in _CONTROL:
            return _literal(ord(_CONTROL[char]))
        if char == "x":
            digits = self.text[self.pos : self.pos + 2]
            if len(digits) != 2 or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise self.error("'\\x' without two hexadecimal digits")
            self.pos += 2
            return _literal(int(digits, 16))
        if char.isascii() and not char.isalnum() and char.isprintable():
            return _literal(ord(char))
        self.pos -= 1
        raise self.error(f"the escape '\\{char}'")

    def bracket(self) -> str:
        negate = ""
        if self.peek() == "^":
            self.take()
            negate = "^"
        items: list[str] = []
        first = True
        while True:
            char = self.peek()
            if char is None:
                raise self.error("an unterminated bracket expression")
            if char == "]" and not first:
                self.take()
                break
            first = False
            if char == "[":
                raise self.error("'[' inside a bracket expression (POSIX classes)")
            low = self.bracket_char()
            if isinstance(low, str):
                items.append(low)
                continue
            if self.peek() == "-" and self.text[self.pos + 1 : self.pos + 2] not in ("]", ""):
                self.take()
                if self.peek() == "[":
                    raise self.error("'[' inside a bracket expression (POSIX classes)")
                high = self.bracket_char()
                if isinstance(high, str) or high < low:
                    raise self.error("a bracket range that is empty or ends in a class")
                items.append(f"{_literal(low)}-{_literal(high)}")
            else:
                items.append(_literal(low))
        return f"[{negate}{''.join(items)}]"

    def bracket_char(self) -> int | str:
        """A code point, or the emitted ranges of a class escape such as ``\\d``."""
        char = self.take()
        if char != "\\":
            return ord(char)
        escaped = self.escape(in_bracket=True)
        if len(escaped) == 1:
            return ord(escaped)
        if escaped.startswith(("\\u", "\\U")) and len(escaped) in (6, 10):
            return int(escaped[2:], 16)
        return escaped
