"""Generated bad input through the real app, one test per route family and store: every answer is
a 4xx JSON error or (for reads of valid-but-odd queries) a 2xx, never a 5xx or a stack trace, and
every refused write leaves the store exactly as it was (see ``conftest.Harness.check``)."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from tests.badinput import strategies as s
from tests.badinput.conftest import CASES, CASES_PER_EXAMPLE, Harness, budget, wanted

JSON = {"Content-Type": s.JSON}


@st.composite
def _statement_cases(draw: st.DrawFn) -> s.Case:
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


def _maybe_alternate(cases: st.SearchStrategy[s.Case], path: str) -> st.SearchStrategy[s.Case]:
    """Mostly ``cases`` as they are; some sent with the alternate request syntax, and some
    alternate-syntax requests that are themselves broken."""
    return st.one_of(
        cases,
        cases,
        cases,
        cases.flatmap(s.alternate_syntax),
        s.broken_alternate_syntax(path),
    )


def statement_cases() -> st.SearchStrategy[s.Case]:
    """The statements family, alternate syntax included."""
    return _maybe_alternate(_statement_cases(), "/data/xAPI/statements")


def document_cases() -> st.SearchStrategy[s.Case]:
    """The documents family, alternate syntax included."""
    return _maybe_alternate(s.bad_document_requests(), "/data/xAPI/activities/state")


def run_family(harness: Harness, family: str, cases: st.SearchStrategy[s.Case]) -> None:
    """Send ``wanted`` generated cases of one family through ``harness.check`` and assert that
    they all ran."""

    @budget(harness.kind)
    @given(batch=st.lists(cases, min_size=CASES_PER_EXAMPLE, max_size=CASES_PER_EXAMPLE))
    def run(batch: list[s.Case]) -> None:
        for case in batch:
            harness.check(case, family)

    before = CASES[(family, harness.kind)]
    run()
    assert CASES[(family, harness.kind)] - before >= wanted(harness.kind)


def test_xapi_statements(harness: Harness) -> None:
    """Bad statements (single, in batches, via PUT), malformed bodies, broken multipart bodies,
    odd statement queries and the alternate request syntax are refused, and refused writes store
    nothing."""
    run_family(harness, "xapi-statements", statement_cases())


def test_xapi_documents(harness: Harness) -> None:
    """Document requests with a missing or bad parameter, a bad agent, registration, version or
    ETag precondition, or a body POST cannot merge, are refused and change nothing."""
    run_family(harness, "xapi-documents", document_cases())


def test_rest_v2(harness: Harness) -> None:
    """REST v2 reads with hostile query/sort/select/populate/distinct/skip/limit answer 2xx or a
    4xx JSON error; malformed or invalid writes are refused and change nothing."""
    cases = st.one_of(s.rest_read_requests(), s.rest_write_requests(harness.model_ids))
    run_family(harness, "rest-v2", cases)


def test_connection(harness: Harness) -> None:
    """Connection pages with hostile filter/sort/project/hint and tampered or foreign cursors
    answer 2xx or a 4xx JSON error."""
    assert harness.cursors
    run_family(harness, "connection", s.connection_requests(harness.cursors))
