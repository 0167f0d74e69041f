"""Generated bad input through the real app, one test per route family and store: every answer is
a 4xx JSON error or (for reads of valid-but-odd queries) a 2xx, never a 5xx or a stack trace, and
every refused write leaves the store exactly as it was (see ``conftest.Harness.check``)."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from tests.badinput import strategies as s
from tests.badinput.conftest import CASES, Harness, budget

JSON = {"Content-Type": s.JSON}


@st.composite
def statement_cases(draw: st.DrawFn, statement_id: str) -> s.Case:
    """A bad write or read on /statements (and /activities, /agents)."""
    kind = draw(
        st.sampled_from(
            ("single", "batch", "put", "malformed", "malformed-put", "multipart", "query", "ctype")
        )
    )
    if kind == "single":
        bad, rule = draw(s.invalid_statements())
        return s.Case("POST", "/data/xAPI/statements", (), JSON, orjson.dumps(bad), True, rule)
    if kind == "batch":
        batch, rule = draw(s.invalid_batches())
        return s.Case(
            "POST", "/data/xAPI/statements", (), JSON, orjson.dumps(batch), True, "batch:" + rule
        )
    if kind == "put":
        bad, rule = draw(s.invalid_statements())
        target = (
            bad.get("id")
            if isinstance(bad.get("id"), str) and len(str(bad.get("id"))) == 36
            else draw(s.uuids())
        )
        params = (("statementId", target),)
        return s.Case(
            "PUT", "/data/xAPI/statements", params, JSON, orjson.dumps(bad), True, "put:" + rule
        )
    if kind in ("malformed", "malformed-put"):
        statement = draw(s.valid_statements())
        valid: object = statement if draw(st.booleans()) or kind == "malformed-put" else [statement]
        body, must_reject, note = draw(s.malformed_json(valid))  # type: ignore[arg-type]
        params = (("statementId", statement["id"]),) if kind == "malformed-put" else ()
        return s.Case(
            "POST" if not params else "PUT",
            "/data/xAPI/statements",
            params,
            JSON,
            body,
            must_reject,
            note,
        )
    if kind == "multipart":
        body, content_type, note = draw(s.broken_multipart())
        return s.Case(
            "POST",
            "/data/xAPI/statements",
            (),
            {"Content-Type": content_type},
            body,
            True,
            "multipart:" + note,
        )
    if kind == "ctype":
        statement = draw(s.valid_statements())
        content_type = draw(
            st.sampled_from(
                (
                    "text/plain",
                    "application/xml",
                    "multipart/form-data",
                    "application/x-www-form-urlencoded; charset=utf-8",
                    "",
                )
            )
        )
        return s.Case(
            "POST",
            "/data/xAPI/statements",
            (),
            {"Content-Type": content_type},
            orjson.dumps(statement),
            True,
            f"ctype:{content_type}",
        )
    return draw(s.odd_statement_queries())


def test_xapi_statements(harness: Harness) -> None:
    """Bad statements (single, in batches, via PUT), malformed bodies, broken multipart bodies and
    odd statement queries are refused, and refused writes store nothing."""

    @budget(harness.kind)
    @given(case=statement_cases(harness.statement_ids[0]))
    def run(case: s.Case) -> None:
        harness.check(case, "xapi-statements")

    before = CASES[("xapi-statements", harness.kind)]
    run()
    assert CASES[("xapi-statements", harness.kind)] - before >= budget(harness.kind).max_examples


def test_xapi_documents(harness: Harness) -> None:
    """Document requests with a missing or bad parameter, a bad agent, registration, version or
    ETag precondition, or a body POST cannot merge, are refused and change nothing."""

    @budget(harness.kind)
    @given(case=s.bad_document_requests())
    def run(case: s.Case) -> None:
        harness.check(case, "xapi-documents")

    before = CASES[("xapi-documents", harness.kind)]
    run()
    assert CASES[("xapi-documents", harness.kind)] - before >= budget(harness.kind).max_examples


def test_rest_v2(harness: Harness) -> None:
    """REST v2 reads with hostile query/sort/select/populate/distinct/skip/limit answer 2xx or a
    4xx JSON error; malformed or invalid writes are refused and change nothing."""

    @budget(harness.kind)
    @given(case=st.one_of(s.rest_read_requests(), s.rest_write_requests(harness.model_ids)))
    def run(case: s.Case) -> None:
        harness.check(case, "rest-v2")

    before = CASES[("rest-v2", harness.kind)]
    run()
    assert CASES[("rest-v2", harness.kind)] - before >= budget(harness.kind).max_examples


def test_connection(harness: Harness) -> None:
    """Connection pages with hostile filter/sort/project/hint and tampered or foreign cursors
    answer 2xx or a 4xx JSON error."""
    assert harness.cursors

    @budget(harness.kind)
    @given(case=s.connection_requests(harness.cursors))
    def run(case: s.Case) -> None:
        harness.check(case, "connection")

    before = CASES[("connection", harness.kind)]
    run()
    assert CASES[("connection", harness.kind)] - before >= budget(harness.kind).max_examples
