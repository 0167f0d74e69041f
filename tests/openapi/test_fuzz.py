"""Schemathesis against the in-memory app, through WSGI, with the document the app serves.

Every operation gets the coverage phase (boundary and invalid values, missing required
parameters) and a bounded, derandomized fuzzing phase, as a client that may do everything, over
a store seeded with statements, documents and REST models so that reads return real data to
check. Each response must not be a 5xx, must have a documented status and content type, and its
body must match the documented schema. ``FUZZ_MAX_EXAMPLES`` (default 10) sets the fuzzing examples
per operation; raise it for a longer local run.
"""

from __future__ import annotations

import os

import hypothesis
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lrs.http.openapi.resource import PATH
from tests.openapi.support import seed, serve, superuser

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

SERVED = serve()
AUTH = superuser(SERVED)
seed(SERVED, AUTH)
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20240601,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {
            "stateful": {"enabled": False},
            "coverage": {"enabled": os.environ.get("COV", "1") == "1"},
            "fuzzing": {"enabled": os.environ.get("FUZ", "1") == "1"},
        },
    }
)
schema = schemathesis.openapi.from_wsgi(PATH, SERVED.app, config=CONFIG)


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_the_app_behaves_as_documented(case: schemathesis.Case) -> None:
    if case.media_type == "multipart/mixed":
        # Schemathesis sends every multipart/* body as multipart/form-data, which the
        # statements resource rightly refuses (400); xAPI's multipart/mixed with attachments
        # is tested with real attachment bodies in tests/http.
        return
    case.call_and_validate(headers=AUTH, checks=CHECKS)
