"""Schemathesis against the in-memory app, through WSGI, with the document the app serves.

Every operation gets the coverage phase (boundary and invalid values, missing required
parameters) and a bounded, derandomized fuzzing phase, as a client that may do everything, over
a store seeded with statements, documents and two REST models of each kind (about half of the
generated ids are pointed at those). Each response must not be a 5xx, must have a documented
status, content type and headers, and its body must match the documented schema; authenticated
operations must refuse missing or wrong credentials.

``FUZZ_MAX_EXAMPLES`` (default 10) sets the fuzzing examples per operation; raise it for a
longer local run (60 takes about four minutes).
"""

from __future__ import annotations

import os
from typing import Any

import hypothesis
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lrs.http.openapi.resource import PATH
from tests.openapi.support import SUPERUSER_KEY, SUPERUSER_SECRET, seed, serve, superuser

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    # Authenticated operations must refuse requests without or with wrong credentials.
    ignored_auth,
]

SERVED = serve()
AUTH = superuser(SERVED)
SEEDED = seed(SERVED, AUTH)
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20240601,
        "auth": {"basic": {"username": SUPERUSER_KEY, "password": SUPERUSER_SECRET}},
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "operations": [
            {
                # PUT reads statements through the same intake and validator as POST, whose
                # coverage phase (thousands of ways to break a Statement) stays; so does PUT's
                # fuzzing. This saves a few seconds of collection and twice that of running.
                "include-name": "PUT /data/xAPI/statements",
                "phases": {"coverage": {"enabled": False}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_wsgi(PATH, SERVED.app, config=CONFIG)


@schema.hook
def map_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Point about half of the generated ids at seeded models, so that the item and verb
    routes answer with real models too, not only with 404. DELETE gets the last seeded model
    of each kind and the others the rest, which stay."""
    if not path_parameters or context.operation is None:
        return path_parameters
    path = context.operation.path
    parts = path.split("/")
    model = "download" if "downloadexport" in path else parts[3] if len(parts) > 3 else ""
    seeded = SEEDED.get(model, [])
    ids = seeded[-1:] if context.operation.method.upper() == "DELETE" else seeded[:-1] or seeded
    for name in ("id", "download"):
        value = path_parameters.get(name)
        if ids and isinstance(value, str) and value[:1] in "01234567":
            path_parameters[name] = ids[int(value[0]) % len(ids)]
    if "organisation" in path_parameters and path_parameters.get("download") in ids:
        path_parameters["organisation"] = SERVED.tenant.organisation.id
    return path_parameters


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
    case.call_and_validate(checks=CHECKS)
