"""Which pipelines PostgreSQL runs as one SQL statement up to their first ``$group`` (the rest
of the suite checks the answers; this checks the fast path is the one taken)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lrs.aggregate.documents import leading_match
from lrs.aggregate.parse import parse_pipeline
from lrs.aggregate.sql import Unsupported, compile_prefix, counts_as_groups
from lrs.query import sql
from lrs.store.postgres import aggregation_columns as pg_columns
from lrs.store.schema import statements

FIXTURES = json.loads((Path(__file__).parent / "ll_ui_pipelines.json").read_text())
#: UI pipelines that run in Python on PostgreSQL: a $match after the $unwind (18), and the
#: persona-attribute join, refused before it runs (17).
IN_PYTHON = {17, 18}


def _translate(raw: list[Any]) -> int:
    condition, rest = leading_match(parse_pipeline(raw))
    source = sa.select(statements.c.id).where(sql.where(condition, pg_columns.statement_binding()))
    return compile_prefix(rest.stages, source, pg_columns.statement_columns()).consumed


#: UI pipelines whose last $group groups by a $first of the one below (the day's first
#: timestamp): that $group runs in Python over the translated groups.
LAST_GROUP_IN_PYTHON = {22, 23, 24}


@pytest.mark.parametrize("index", [i for i in range(len(FIXTURES)) if i not in IN_PYTHON])
def test_learning_locker_ui_pipelines_group_in_sql(index: int) -> None:
    """Up to the first $group, and the $group stages right after it ("unique" reports group
    their groups again)."""
    raw = FIXTURES[index]["pipeline"]
    consumed = _translate(raw)
    group_at = next(i for i, stage in enumerate(raw) if "$group" in stage)
    last_group = group_at
    while last_group + 1 < len(raw) and "$group" in raw[last_group + 1]:
        last_group += 1
    if index in LAST_GROUP_IN_PYTHON:
        last_group -= 1
    leading = next(i for i, stage in enumerate(raw) if "$match" not in stage)
    assert consumed == last_group - leading + 1


@pytest.mark.parametrize(
    "raw",
    [
        [{"$sort": {"timestamp": 1}}, {"$group": {"_id": None, "n": {"$sum": 1}}}],
        [{"$group": {"_id": {"$concat": ["a", "b"]}, "n": {"$sum": 1}}}],
        [{"$group": {"_id": "$statement.context.contextActivities.parent.id"}}],
        [{"$group": {"_id": "$statement.result.extensions.http://x&46;org/e.inner"}}],
        [{"$group": {"_id": "$timestamp"}}],
        [{"$group": {"_id": None, "all": {"$push": "$timestamp"}}}],
        [
            {"$project": {"d": {"$dateToString": {"format": "%z", "date": "$timestamp"}}}},
            {"$group": {"_id": "$d"}},
        ],
        [{"$limit": 5}],
    ],
)
def test_what_has_no_exact_translation_runs_in_python(raw: list[Any]) -> None:
    with pytest.raises(Unsupported):
        _translate(raw)


@pytest.mark.parametrize(
    "raw",
    [
        [{"$match": {"statement.verb.id": "http://example.com/v"}}, {"$count": "n"}],
        [{"$sortByCount": "$statement.verb.id"}, {"$limit": 3}],
    ],
)
def test_count_and_sort_by_count_group_in_sql(raw: list[Any]) -> None:
    condition, rest = leading_match(parse_pipeline(raw))
    stages = counts_as_groups(rest.stages)
    source = sa.select(statements.c.id).where(sql.where(condition, pg_columns.statement_binding()))
    assert compile_prefix(stages, source, pg_columns.statement_columns()).consumed == 1
