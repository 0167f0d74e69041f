"""The xAPI versions lrs serves, and the rules that differ between them, as data.

Every request under ``/data/xAPI`` picks its version with ``X-Experience-API-Version``: ``1.0``
or ``1.0.x`` gets :data:`XAPI_1_0_3`, ``2.0`` or ``2.0.x`` gets :data:`XAPI_2_0_0`. One code path
serves both; where 2.0.0 changes a rule, the code asks the :class:`XapiVersion` in force rather
than branching on a version string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "SUPPORTED_VERSIONS",
    "XAPI_1_0_3",
    "XAPI_2_0_0",
    "XapiVersion",
    "negotiate",
]


@dataclass(frozen=True)
class XapiVersion:
    """One xAPI version and the rules it brings."""

    #: The version's full name, echoed in ``X-Experience-API-Version`` and listed by ``/about``.
    name: str
    #: The ``version`` a statement gets when it is stored without one.
    statement_version: str
    #: Statement ``version`` values accepted (a regular expression), and the same in words.
    statement_versions: re.Pattern[str]
    statement_versions_text: str
    #: The alternate request syntax (``?method=``, Communication 1.3) is served.
    alternate_syntax: bool
    #: ``contextAgents`` and ``contextGroups`` are allowed in a statement's context.
    context_agents: bool
    #: State documents follow the ETag rules of the other document resources: a PUT on an
    #: existing document without ``If-Match`` or ``If-None-Match`` is a 409.
    state_concurrency: bool


XAPI_1_0_3 = XapiVersion(
    name="1.0.3",
    statement_version="1.0.0",
    statement_versions=re.compile(r"1\.0(\.\d+)?"),
    statement_versions_text="1.0 or 1.0.x",
    alternate_syntax=True,
    context_agents=False,
    state_concurrency=False,
)

XAPI_2_0_0 = XapiVersion(
    name="2.0.0",
    statement_version="2.0.0",
    statement_versions=re.compile(r"[12]\.0(\.\d+)?"),
    statement_versions_text="1.0, 1.0.x, 2.0 or 2.0.x",
    alternate_syntax=False,
    context_agents=True,
    state_concurrency=True,
)

#: Newest first, as ``/about`` lists them.
SUPPORTED_VERSIONS: tuple[XapiVersion, ...] = (XAPI_2_0_0, XAPI_1_0_3)

_HEADER = re.compile(r"(?P<major>[12])\.0(\.\d+)?")


def negotiate(header: str) -> XapiVersion | None:
    """The version a request's ``X-Experience-API-Version`` asks for, or ``None`` if unserved."""
    match = _HEADER.fullmatch(header.strip())
    if match is None:
        return None
    return XAPI_2_0_0 if match["major"] == "2" else XAPI_1_0_3
