"""Sample statements and a small path-editing helper shared by the xAPI core tests."""

from __future__ import annotations

import copy
import re
from typing import Any

DELETE = object()
"""Marker for :func:`edited`: remove the property instead of setting it."""

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

MBOX = "mailto:ann@example.com"
ACCOUNT = {"homePage": "https://lms.example.com", "name": "ann01"}
ACTIVITY_ID = "http://example.com/activities/quiz-1"
VERB_ID = "http://adlnet.gov/expapi/verbs/answered"
STATEMENT_ID = "3f2b0c1e-8a4d-4f3b-9c2e-7d1a5b6c8e90"
REGISTRATION = "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
ATTACHMENT_SHA2 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"


def minimal() -> dict[str, Any]:
    """The smallest valid statement: actor, verb, object."""
    return {
        "actor": {"mbox": MBOX},
        "verb": {"id": VERB_ID},
        "object": {"id": ACTIVITY_ID},
    }


def full() -> dict[str, Any]:
    """A statement using nearly every property the spec defines."""
    return {
        "id": STATEMENT_ID,
        "actor": {"objectType": "Agent", "name": "Ann", "mbox": MBOX},
        "verb": {"id": VERB_ID, "display": {"en-US": "answered", "en-GB": "answered"}},
        "object": {
            "objectType": "Activity",
            "id": ACTIVITY_ID,
            "definition": {
                "name": {"en-US": "Quiz question 1", "fr": "Question 1"},
                "description": {"en-US": "Pick one", "fr": "Choisissez"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "moreInfo": "https://example.com/quiz-1",
                "interactionType": "choice",
                "correctResponsesPattern": ["golf[,]tetris"],
                "choices": [
                    {"id": "golf", "description": {"en-US": "Golf", "fr": "Le golf"}},
                    {"id": "tetris", "description": {"en-US": "Tetris"}},
                ],
                "extensions": {"http://example.com/ext/difficulty": 3},
            },
        },
        "result": {
            "score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100},
            "success": True,
            "completion": True,
            "response": "golf[,]tetris",
            "duration": "PT1H0M0.5S",
            "extensions": {"http://example.com/ext/attempts": None},
        },
        "context": {
            "registration": REGISTRATION,
            "instructor": {"objectType": "Agent", "account": dict(ACCOUNT)},
            "team": {
                "objectType": "Group",
                "name": "Team A",
                "member": [
                    {"mbox": "mailto:bob@example.com"},
                    {"openid": "https://id.example.com/c"},
                ],
            },
            "contextActivities": {
                "parent": [{"id": "http://example.com/activities/quiz"}],
                "grouping": [{"objectType": "Activity", "id": "http://example.com/courses/c1"}],
                "category": [{"id": "http://example.com/profiles/p1"}],
                "other": [{"id": "http://example.com/activities/book"}],
            },
            "revision": "r2",
            "platform": "Example LMS",
            "language": "en-US",
            "statement": {
                "objectType": "StatementRef",
                "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
            },
            "extensions": {"http://example.com/ext/room": {"floor": 2, "seats": [1, 2]}},
        },
        "timestamp": "2024-05-01T12:30:00.123Z",
        "stored": "2024-05-01T12:30:01.000Z",
        "authority": {"objectType": "Agent", "mbox": "mailto:admin@example.com"},
        "version": "1.0.0",
        "attachments": [
            {
                "usageType": "http://example.com/attachment-usage/test",
                "display": {"en-US": "A test attachment"},
                "description": {"en-US": "A test attachment (description)"},
                "contentType": "text/plain; charset=ascii",
                "length": 27,
                "sha2": ATTACHMENT_SHA2,
                "fileUrl": "https://example.com/files/a.txt",
            }
        ],
    }


def substatement() -> dict[str, Any]:
    """A statement whose object is a SubStatement with its own context."""
    return {
        "actor": {"mbox": MBOX},
        "verb": {"id": "http://example.com/verbs/planned"},
        "object": {
            "objectType": "SubStatement",
            "actor": {"objectType": "Agent", "mbox": "mailto:sub@example.com"},
            "verb": {"id": "http://example.com/verbs/visited", "display": {"en-US": "visited"}},
            "object": {"id": "http://example.com/website"},
            "context": {
                "contextActivities": {"parent": {"id": "http://example.com/site"}},
                "instructor": {"mbox": "mailto:teacher@example.com"},
            },
            "timestamp": "2031-01-01T00:00:00Z",
        },
    }


def _steps(path: str) -> list[str | int]:
    """``"a.b[0].c"`` as ``["a", "b", 0, "c"]``."""
    return [name if name else int(index) for name, index in _STEP.findall(path)]


def edited(statement: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``statement`` with ``path`` set to ``value`` (or removed with DELETE)."""
    result = copy.deepcopy(statement)
    *parents, last = _steps(path)
    node: Any = result
    for step in parents:
        node = node[step]
    if value is DELETE:
        del node[last]
    else:
        node[last] = copy.deepcopy(value)
    return result
