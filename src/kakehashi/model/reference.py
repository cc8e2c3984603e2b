"""Reference tables shipped with the package: countries, OpenAlex fields, WPI centres.

Sources are listed in ``model/data/SOURCES.md``. Countries and fields are
written into every store on each ingest (they are small), so engines and SQL
users see them next to the data; the WPI centres (real, and the demo world's
synthetic stand-ins) are read by ``institution-profile`` from the package.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources

import pyarrow as pa

from kakehashi.model import tables as model

__all__ = ["countries", "fields", "reference_tables", "wpi_centres", "wpi_centres_demo"]


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


@functools.cache
def wpi_centres() -> pa.Table:
    """The WPI centres (世界トップレベル研究拠点): names (en/ja), aliases, host, start year, ids.

    Columns ``acronym, name_en, name_ja, aliases (list), host_en, host_ja,
    start_year`` (the fiscal year of selection), ``openalex_id``, ``ror``
    (null unless verified), ``certain`` ("yes" or what is uncertain).
    """
    rows = _rows("wpi_centres.csv")
    return pa.table(
        {
            "acronym": [r["acronym"] for r in rows],
            "name_en": [r["name_en"] for r in rows],
            "name_ja": [r["name_ja"] for r in rows],
            "aliases": [[a.strip() for a in r["aliases"].split(";") if a.strip()] for r in rows],
            "host_en": [r["host_en"] for r in rows],
            "host_ja": [r["host_ja"] for r in rows],
            "start_year": pa.array([int(r["start_year"]) for r in rows], pa.int32()),
            "openalex_id": [r["openalex_id"] or None for r in rows],
            "ror": [r["ror"] or None for r in rows],
            "certain": [r["certain"] for r in rows],
        }
    )


@functools.cache
def wpi_centres_demo() -> pa.Table:
    """SYNTHETIC: the demo world's WPI-like centres (``name_en, name_ja, start_year, field_id``)."""
    rows = _rows("wpi_centres_demo.csv")
    return pa.table(
        {
            "name_en": [r["name_en"] for r in rows],
            "name_ja": [r["name_ja"] for r in rows],
            "start_year": pa.array([int(r["start_year"]) for r in rows], pa.int32()),
            "field_id": pa.array([int(r["field_id"]) for r in rows], pa.int32()),
        }
    )


def reference_tables() -> dict[str, pa.Table]:
    return {"countries": countries(), "fields": fields()}
