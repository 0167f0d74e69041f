"""REST v2 model plumbing without HTTP: the query sugar, field checks, CSV rows, passwords."""

from __future__ import annotations

import pytest

from lrs.core.errors import BadRequest
from lrs.models import csv_export
from lrs.models.passwords import hash_password, verify_password
from lrs.models.query_params import _sugar, parse_select, parse_sort_param
from lrs.models.registry import MODELS, model_named
from lrs.models.validate import complete, writable_values
from lrs.query.parse import parse_projection


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"title": "~ab"}, {"title": {"$regex": "ab", "$options": "i"}}),
        ({"title": ">=a"}, {"title": {"$gte": "a"}}),
        ({"title": "!=a"}, {"title": {"$ne": "a"}}),
        ({"title": ["a", "b"]}, {"title": {"$in": ["a", "b"]}}),
        ({"statementCount": ">5"}, {"statementCount": {"$gt": 5}}),
        ({"$or": [{"title": "<b"}]}, {"$or": [{"title": {"$lt": "b"}}]}),
        ({"title": {"$eq": ">a"}}, {"title": {"$eq": ">a"}}),
    ],
)
def test_query_sugar(raw: dict, expected: dict) -> None:
    assert _sugar(MODELS["store"], raw) == expected


def test_sort_and_select_strings() -> None:
    sort = parse_sort_param(MODELS["role"], "-createdAt title")
    assert [(str(k.path), k.direction) for k in sort] == [
        ("createdAt", -1),
        ("title", 1),
        ("_id", 1),
    ]
    assert parse_select("title,-_id") == parse_projection({"title": 1, "_id": 0})


def test_fields_are_checked_and_unknown_ones_dropped() -> None:
    spec = MODELS["visualisation"]
    values = writable_values(spec, {"barChartGroupingLimit": 5.0, "nope": 1, "_id": "x"})
    assert values == {"barChartGroupingLimit": 5}
    with pytest.raises(BadRequest) as caught:
        writable_values(spec, {"filters": [{"a": 1}, 3]}, "[4]")
    assert caught.value.field == "[4].filters[1]"
    assert complete(spec, {})["previewPeriod"] == "LAST_7_DAYS"
    with pytest.raises(BadRequest, match=r"^name: is required"):
        complete(MODELS["organisation"], {})
    with pytest.raises(BadRequest, match="NUL"):
        writable_values(spec, {"statementContents": [{"a\x00": 1}]})


def test_model_names() -> None:
    assert model_named("LRS") is MODELS["store"]
    assert model_named("personaIdentifier") is MODELS["personaidentifier"]
    assert model_named("stream") is None


def test_csv_rows_flatten_objects_and_quote() -> None:
    projection = parse_projection({"_id": 0, "a": 1, "b": "$x.y"})
    rows = csv_export.export_rows([projection], [{"a": {"c": "1,2"}, "x": {"y": [1]}}])
    assert csv_export.to_csv(rows) == 'a.c,b\r\n"1,2",[1]\r\n'


def test_passwords() -> None:
    hashed = hash_password("pässword")
    assert hashed.startswith("$2b$")
    assert verify_password("pässword", hashed)
    assert not verify_password("password", hashed)
    with pytest.raises(BadRequest, match=r"^password: at most 72 bytes"):
        hash_password("x" * 73)
