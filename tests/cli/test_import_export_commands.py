"""``lrs import`` and ``lrs export`` against PostgreSQL: formats, gzip, stdin, the summary and
the rejects file, exit codes, filters, CSV, and a round trip through both commands."""

from __future__ import annotations

import csv
import gzip
import io
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from lrs.store.postgres import PostgresStore
from lrs.tenancy.service import Bootstrap, create_store
from tests.cli.conftest import ndjson, statement

pytestmark = pytest.mark.postgres
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def _counts(out: str) -> tuple[int, int, int]:
    found = {
        name: int(re.search(rf"^  {name}\s+([\d,]+)$", out, re.M).group(1).replace(",", ""))  # type: ignore[union-attr]
        for name in ("stored", "already present", "rejected")
    }
    return found["stored"], found["already present"], found["rejected"]


def test_import_a_json_array_then_again(tenant: Bootstrap, lrs: Any, tmp_path: Path) -> None:
    path = tmp_path / "statements.json"
    path.write_bytes(orjson.dumps([statement(n) for n in range(5)], option=orjson.OPT_INDENT_2))
    ran = lrs("import", str(path), "--batch-size", "2")
    assert ran.code == 0, ran
    assert "5 statements read (a JSON array)" in ran.out
    assert _counts(ran.out) == (5, 0, 0)
    again = lrs("import", str(path))
    assert again.code == 0
    assert _counts(again.out) == (0, 5, 0)


def test_import_gzipped_ndjson_whatever_its_name(
    tenant: Bootstrap, lrs: Any, tmp_path: Path, cli_store: PostgresStore
) -> None:
    path = tmp_path / "plain-looking.json"
    path.write_bytes(gzip.compress(ndjson([statement(n) for n in range(3)])))
    ran = lrs("import", str(path))
    assert ran.code == 0, ran
    assert "(NDJSON)" in ran.out and _counts(ran.out) == (3, 0, 0)
    lrs_model = cli_store.get_lrs(tenant.lrs.id)
    assert lrs_model is not None and lrs_model.statement_count == 3


def test_import_from_stdin(tenant: Bootstrap, lrs: Any) -> None:
    ran = lrs("import", stdin=gzip.compress(orjson.dumps([statement(1), statement(2)])))
    assert ran.code == 0, ran
    assert _counts(ran.out) == (2, 0, 0)
    dash = lrs("import", "-", stdin=ndjson([statement(2), statement(3)]))
    assert _counts(dash.out) == (1, 1, 0)


def test_rejections_are_listed_with_line_numbers_and_written_verbatim(
    tenant: Bootstrap, lrs: Any, tmp_path: Path
) -> None:
    conflicting = statement(1, verb={"id": "http://example.com/verbs/other"})
    lines = [
        orjson.dumps(statement(1)),
        b'{"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "nope"}, '
        b'"object": {"id": "http://example.com/a"}}',
        orjson.dumps(statement(2)),
        b"",
        b"[1, 2",
        orjson.dumps(conflicting),
    ]
    path = tmp_path / "in.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    rejects = tmp_path / "rejects.ndjson"
    ran = lrs("import", str(path), "--rejects", str(rejects))
    assert ran.code == 1, ran
    assert _counts(ran.out) == (2, 0, 3)
    listed = re.findall(r"^    line (\d+): (.*)$", ran.out, re.M)
    assert [int(number) for number, _ in listed] == [2, 5, 6]
    assert listed[0][1].startswith("verb.id:")
    assert listed[1][1].startswith("not valid JSON")
    assert "already stored with different content" in listed[2][1]
    assert f"the rejected statements are in {rejects}" in ran.out
    assert rejects.read_bytes().splitlines() == [lines[1], lines[4], lines[5]]


def test_voiding_through_import(
    tenant: Bootstrap, lrs: Any, tmp_path: Path, cli_store: PostgresStore
) -> None:
    voiding = statement(
        9, verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": statement(1)["id"]}
    )
    assert lrs("import", stdin=ndjson([statement(1), statement(2)])).code == 0
    assert lrs("import", stdin=ndjson([voiding])).code == 0
    voided = cli_store.get_statement(tenant.lrs.id, statement(1)["id"])
    assert voided is not None and voided.voided


def test_the_store_must_be_named_when_there_are_several(
    tenant: Bootstrap, lrs: Any, cli_store: PostgresStore
) -> None:
    other, _ = create_store(cli_store, tenant.organisation.id, "Other")
    data = ndjson([statement(1)])
    ran = lrs("import", stdin=data)
    assert ran.code == 2
    assert "there are several stores; name one with --store" in ran.err
    assert other.id in ran.err and tenant.lrs.id in ran.err
    named = lrs("import", "--store", other.id, stdin=data)
    assert named.code == 0 and f"into store {other.id}" in named.out
    assert lrs("export", "--store", "f" * 24).code == 2


def test_input_that_is_not_statements_is_an_error(
    tenant: Bootstrap, lrs: Any, tmp_path: Path
) -> None:
    ran = lrs("import", stdin=b"id,actor\n1,2\n")
    assert ran.code == 2
    assert "neither a JSON array of statements" in ran.err
    missing = lrs("import", str(tmp_path / "missing.json"))
    assert missing.code == 2 and "No such file or directory" in missing.err
    broken = lrs("import", stdin=b"[" + orjson.dumps(statement(1)) + b", {]")
    assert broken.code == 2
    assert _counts(broken.out) == (1, 0, 0)
    assert "stopped early" in broken.err


def _seed(lrs: Any) -> None:
    """Three imports a second apart... as statements with their own stored instants."""
    statements = [
        statement(n, stored=f"2026-01-0{n}T00:00:00.000Z", result={"success": n % 2 == 0})
        for n in range(1, 6)
    ]
    voiding = statement(
        9,
        verb={"id": VOIDED},
        object={"objectType": "StatementRef", "id": statement(5)["id"]},
        stored="2026-01-09T00:00:00.000Z",
    )
    assert lrs("import", stdin=ndjson([*statements, voiding])).code == 0


def _ids(text: str) -> list[int]:
    return [int(orjson.loads(line)["id"][-12:]) for line in text.splitlines()]


def test_export_ndjson_with_filter_since_until(tenant: Bootstrap, lrs: Any, tmp_path: Path) -> None:
    _seed(lrs)
    ran = lrs("export")
    assert ran.code == 0, ran
    assert _ids(ran.out) == [1, 2, 3, 4, 5, 9]
    assert "6 statements from store" in ran.err
    assert _ids(lrs("export", "--exclude-voided").out) == [1, 2, 3, 4, 9]
    window = lrs("export", "--since", "2026-01-02T00:00:00Z", "--until", "2026-01-04T00:00:00Z")
    assert _ids(window.out) == [3, 4]
    successful = lrs("export", "--filter", '{"statement.result.success": true}')
    assert _ids(successful.out) == [2, 4]
    path = tmp_path / "out.ndjson"
    assert lrs("export", "-o", str(path), "--since", "2026-01-04T00:00:00Z").code == 0
    assert _ids(path.read_text()) == [5, 9]
    assert not list(tmp_path.glob("*.partial"))


def test_export_errors_name_the_option(tenant: Bootstrap, lrs: Any) -> None:
    bad_filter = lrs("export", "--filter", '{"$where": "1"}')
    assert bad_filter.code == 2 and bad_filter.err.startswith("lrs export: --filter:")
    bad_since = lrs("export", "--since", "yesterday")
    assert (
        bad_since.code == 2 and "--since: 'yesterday' is not an ISO 8601 timestamp" in bad_since.err
    )
    bad_projection = lrs("export", "--format", "csv", "--projection", "[1]")
    assert bad_projection.code == 2 and "--projection" in bad_projection.err


def test_export_csv(tenant: Bootstrap, lrs: Any) -> None:
    _seed(lrs)
    ran = lrs("export", "--format", "csv", "--filter", '{"statement.result.success": true}')
    assert ran.code == 0, ran
    rows = list(csv.DictReader(io.StringIO(ran.out)))
    assert [row["id"][-1] for row in rows] == ["2", "4"]
    assert rows[0]["actor.mbox"] == "mailto:learner2@example.com"
    assert rows[0]["result.success"] == "true"
    narrow = lrs(
        "export",
        "--format",
        "csv",
        "--exclude-voided",
        "--since",
        "2026-01-03T00:00:00Z",
        "--projection",
        '{"_id": 0, "who": "$statement.actor.mbox"}',
    )
    assert narrow.out.split("\r\n") == [
        "who",
        "mailto:learner4@example.com",
        "mailto:learner9@example.com",
        "",
    ]


def test_round_trip_into_an_empty_store(
    tenant: Bootstrap, lrs: Any, tmp_path: Path, cli_store: PostgresStore
) -> None:
    _seed(lrs)
    backup = tmp_path / "backup.ndjson"
    assert lrs("export", "-o", str(backup)).code == 0
    empty, _ = create_store(cli_store, tenant.organisation.id, "Restored")
    ran = lrs("import", str(backup), "--store", empty.id)
    assert ran.code == 0 and _counts(ran.out) == (6, 0, 0)
    again = lrs("export", "--store", empty.id)
    assert again.out.encode() == backup.read_bytes()
    restored = cli_store.get_statement(empty.id, statement(5)["id"])
    assert restored is not None and restored.voided
