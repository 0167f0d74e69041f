"""Concurrent state document writes on PostgreSQL with one ``If-Match`` ETag: exactly one
writer wins, the others get 412, and the stored document is the winner's."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.http.conftest import Api
from tests.races.conftest import RACERS, ROUNDS, assert_json_error, race, send

pytestmark = pytest.mark.postgres

STATE = "/data/xAPI/activities/state"


def state_params(state_id: str) -> dict[str, str]:
    return {
        "activityId": "http://example.com/activities/race",
        "agent": orjson.dumps({"mbox": "mailto:racer@example.com"}).decode(),
        "stateId": state_id,
    }


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_writers_with_one_etag_one_wins_the_rest_get_412(pg_api: Api, method: str) -> None:
    for round_no in range(ROUNDS):
        params = state_params(f"{method}-{round_no}")
        created = send(pg_api, "PUT", STATE, {"base": True}, params, **{"If-None-Match": "*"})
        assert created.status_code == 204, created.text
        etag = send(pg_api, "GET", STATE, params=params).headers["ETag"]

        def write(i: int, params: dict[str, str] = params, etag: str = etag) -> Any:
            return send(pg_api, method, STATE, {"writer": i}, params, **{"If-Match": etag})

        results = race(RACERS, write)
        winners = [i for i, r in enumerate(results) if 200 <= r.status_code < 300]
        assert len(winners) == 1, [(r.status_code, r.text) for r in results]
        for i, result in enumerate(results):
            if i not in winners:
                assert_json_error(result, 412)
        final = send(pg_api, "GET", STATE, params=params)
        assert final.status_code == 200
        expected: dict[str, Any] = {"writer": winners[0]}
        if method == "POST":  # POST merges JSON objects into the stored one
            expected = {"base": True, **expected}
        assert final.json == expected
        assert final.headers["ETag"] != etag


def test_creators_with_if_none_match_star_one_wins(pg_api: Api) -> None:
    for round_no in range(ROUNDS):
        params = state_params(f"create-{round_no}")
        results = race(
            RACERS,
            lambda i, params=params: send(
                pg_api, "PUT", STATE, {"creator": i}, params, **{"If-None-Match": "*"}
            ),
        )
        winners = [i for i, r in enumerate(results) if r.status_code == 204]
        assert len(winners) == 1, [(r.status_code, r.text) for r in results]
        for i, result in enumerate(results):
            if i not in winners:
                assert_json_error(result, 412)
        assert send(pg_api, "GET", STATE, params=params).json == {"creator": winners[0]}
