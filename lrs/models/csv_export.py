"""An export's CSV: each statement document through the export's projections, one row each.

Every projection is applied to the document and the results are merged (later projections win
on the same column). Nested objects become dotted columns (``actor.mbox``); arrays are written
as JSON text; missing values are empty cells. Columns appear in the order first seen.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from lrs.models.documents import json_view
from lrs.query.ast import Projection
from lrs.query.projection import project


def export_rows(
    projections: Sequence[Projection], docs: Iterable[Mapping[str, Any]]
) -> list[dict[str, str]]:
    """The flattened row of each document."""
    rows: list[dict[str, str]] = []
    for doc in docs:
        view = json_view(doc)
        merged: dict[str, Any] = {}
        for projection in projections:
            merged.update(project(projection, view))
        row: dict[str, str] = {}
        _flatten(merged, "", row)
        rows.append(row)
    return rows


def to_csv(rows: Sequence[Mapping[str, str]]) -> str:
    """The CSV text of ``rows`` with a header of every column, in first-seen order."""
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _flatten(value: Mapping[str, Any], prefix: str, row: dict[str, str]) -> None:
    for key, item in value.items():
        column = f"{prefix}{key}"
        if isinstance(item, Mapping):
            _flatten(item, f"{column}.", row)
        else:
            row[column] = _cell(item)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()
