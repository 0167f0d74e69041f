"""Concurrent statement writes on PostgreSQL: one id posted by several requests at once, and
one target voided by several voiding statements at once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tests.http.conftest import Api
from tests.races.conftest import RACERS, ROUNDS, assert_json_error, race, send

pytestmark = pytest.mark.postgres

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def statement(statement_id: str, activity: str = "a", **extra: Any) -> dict[str, Any]:
    return {
        "id": statement_id,
        "actor": {"mbox": "mailto:racer@example.com", "objectType": "Agent"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": f"http://example.com/activities/{activity}"},
        **extra,
    }


def stored_rows(api: Api, statement_id: str) -> int:
    with api.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM statements WHERE statement_id = :id"),
                {"id": statement_id},
            ).scalar_one()
        )


def statement_count(api: Api) -> int:
    lrs = api.store.get_lrs(api.tenant.lrs.id)
    assert lrs is not None
    return lrs.statement_count


def test_one_id_posted_at_once_with_equal_content_is_stored_once(pg_api: Api) -> None:
    for _ in range(ROUNDS):
        statement_id = str(uuid.uuid4())
        body = statement(statement_id)

        def post(i: int, statement_id: str = statement_id, body: dict[str, Any] = body) -> Any:
            if i % 2:  # PUT ?statementId= and POST take the same path to the store
                return send(
                    pg_api, "PUT", "/data/xAPI/statements", body, {"statementId": statement_id}
                )
            return send(pg_api, "POST", "/data/xAPI/statements", [body])

        results = race(RACERS, post)
        for i, result in enumerate(results):
            assert result.status_code == (204 if i % 2 else 200), result.text
        assert stored_rows(pg_api, statement_id) == 1
    assert statement_count(pg_api) == ROUNDS


def test_one_id_posted_at_once_with_different_content_stores_one_and_409s_the_rest(
    pg_api: Api,
) -> None:
    for _ in range(ROUNDS):
        statement_id = str(uuid.uuid4())
        results = race(
            RACERS,
            lambda i, sid=statement_id: send(
                pg_api, "POST", "/data/xAPI/statements", [statement(sid, activity=f"v{i}")]
            ),
        )
        winners = [i for i, r in enumerate(results) if r.status_code == 200]
        assert len(winners) == 1, [(r.status_code, r.text) for r in results]
        for i, result in enumerate(results):
            if i not in winners:
                assert_json_error(result, 409)
        assert stored_rows(pg_api, statement_id) == 1
        got = send(pg_api, "GET", "/data/xAPI/statements", params={"statementId": statement_id})
        assert got.status_code == 200
        assert got.json["object"]["id"] == f"http://example.com/activities/v{winners[0]}"
    assert statement_count(pg_api) == ROUNDS


def test_one_target_voided_at_once_by_several_statements(pg_api: Api) -> None:
    expected_count = 0
    for _ in range(ROUNDS):
        target = str(uuid.uuid4())
        assert send(pg_api, "POST", "/data/xAPI/statements", [statement(target)]).status_code == 200
        expected_count += 1
        voiders = [str(uuid.uuid4()) for _ in range(RACERS)]

        def void(i: int, target: str = target, voiders: list[str] = voiders) -> Any:
            voiding = statement(
                voiders[i],
                verb={"id": VOIDED, "display": {"en": "voided"}},
                object={"objectType": "StatementRef", "id": target},
            )
            return send(pg_api, "POST", "/data/xAPI/statements", [voiding])

        results = race(RACERS, void)
        for result in results:
            assert result.status_code < 500, result.text
            if result.status_code != 200:
                assert_json_error(result, result.status_code)
        accepted = [voiders[i] for i, r in enumerate(results) if r.status_code == 200]
        assert accepted, [(r.status_code, r.text) for r in results]
        expected_count += len(accepted)
        for voider in voiders:
            assert stored_rows(pg_api, voider) == (1 if voider in accepted else 0)
        plain = send(pg_api, "GET", "/data/xAPI/statements", params={"statementId": target})
        assert plain.status_code == 404
        voided = send(pg_api, "GET", "/data/xAPI/statements", params={"voidedStatementId": target})
        assert voided.status_code == 200 and voided.json["id"] == target
    assert statement_count(pg_api) == expected_count
