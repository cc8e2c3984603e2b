"""Reference tables shipped with the package: countries and OpenAlex fields.

Sources are listed in ``model/data/SOURCES.md``. The tables are written into
every store on each ingest (they are small), so engines and SQL users see
them next to the data.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources

import pyarrow as pa

from kakehashi.model import tables as model

__all__ = ["countries", "fields", "reference_tables"]


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("kakehashi.model").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


@functools.cache
def countries() -> pa.Table:
    """ISO 3166-1 countries: code, name_en, name_ja, region, groups (list)."""
    rows = _rows("countries.csv")
    return pa.table(
        {
            "code": [r["code"] for r in rows],
            "name_en": [r["name_en"] for r in rows],
            "name_ja": [r["name_ja"] for r in rows],
            "region": [r["region"] for r in rows],
            "groups": [[g for g in r["groups"].split(";") if g] for r in rows],
        },
        schema=model.spec("countries").schema.to_pyarrow(),
    )


@functools.cache
def fields() -> pa.Table:
    """OpenAlex domains, fields and subfields with Japanese names."""
    rows = _rows("fields.csv")
    return pa.table(
        {
            "id": [int(r["id"]) for r in rows],
            "level": [r["level"] for r in rows],
            "name_en": [r["name_en"] for r in rows],
            "name_ja": [r["name_ja"] for r in rows],
            "parent_id": [int(r["parent_id"]) if r["parent_id"] else None for r in rows],
        },
        schema=model.spec("fields").schema.to_pyarrow(),
    )


def reference_tables() -> dict[str, pa.Table]:
    return {"countries": countries(), "fields": fields()}
