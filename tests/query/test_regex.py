"""$regex: the accepted subset means the same in Python's re and in PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from lrs.query.regex import translate

PATTERNS = [
    ("^a", ""),
    ("b$", ""),
    ("a.b", ""),
    ("a.b", "s"),
    ("^$", ""),
    ("[a-c]+", "i"),
    ("\\d+", ""),
    ("\\w\\W", ""),
    ("\\s", ""),
    ("[^a]", ""),
    ("x{2,3}", ""),
    ("(ab|cd)*e", ""),
    ("\\.", ""),
    ("é", ""),
    ("\\$", ""),
    ("a|", ""),
    ("[\\]\\\\-]", ""),
    ("[\\d\\s]", ""),
    (".", ""),
    ("ABC", "i"),
    ("a$\\n", ""),
    ("(?:a|b)?c+?", ""),
    ("\\x41", ""),
    ("[-a]", ""),
    ("😀", ""),
    ("[^\\w]", "is"),
]
SUBJECTS = [
    "",
    "a",
    "ab",
    "a\nb",
    "a\n",
    "b\n",
    "B",
    "abc",
    "ABC",
    "aBc",
    "xx",
    "xxxx",
    "ababe",
    "cde",
    "e",
    "1.5",
    "$5",
    "é",
    "É",
    "١٢",
    "a b",
    "a\tb",
    "]",
    "\\",
    "-",
    "😀",
    "c",
    "ccc",
    "A",
    "x y",
]


@pytest.mark.postgres
def test_python_and_postgres_agree(pg: Any) -> None:
    _, connection = pg
    mismatches = []
    for pattern, options in PATTERNS:
        translation = translate(pattern, options, path="a")
        compiled = re.compile(translation.python, translation.python_flags)
        for subject in SUBJECTS:
            in_python = compiled.search(subject) is not None
            in_postgres = connection.execute(
                sa.select(sa.literal(subject).op("~")(sa.literal(translation.postgres)))
            ).scalar_one()
            if in_python != in_postgres:
                mismatches.append((pattern, options, subject, in_python, in_postgres))
    assert mismatches == []


def test_known_pcre_answers() -> None:
    def search(pattern: str, subject: str, options: str = "") -> bool:
        translation = translate(pattern, options, path="a")
        return re.search(translation.python, subject, translation.python_flags) is not None

    assert search("a$", "a\n")  # $ before a final newline, as PCRE
    assert not search("a.b", "a\nb")
    assert search("a.b", "a\nb", "s")
    assert not search("\\w", "é")  # ASCII classes, as PCRE without UCP
    assert search("abc", "ABC", "i")
