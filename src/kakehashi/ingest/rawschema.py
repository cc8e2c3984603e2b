"""The parts of OpenAlex's JSON records that kakehashi reads, as Ibis schemas.

A reader is given these columns explicitly instead of inferring a schema:
that is about three times faster on DuckDB, every other key of a record
(abstracts, locations, referenced works…) is skipped unparsed, and a field
missing from a record — ``topics`` in the 2022 schema, ``countries`` or
``type_crossref`` in older ones, ``awards`` before 2025 — is simply null.
Keys absent from a struct here are ignored when present in the data.

The schemas are engine-agnostic (Ibis types); :mod:`kakehashi.engines.jsonread`
turns them into DuckDB's ``read_json(columns=…)``, a Spark reader would turn
them into a ``StructType``.
"""

from __future__ import annotations

import ibis

__all__ = ["ENTITIES", "ENTITY_PREFIX", "RAW_SCHEMAS"]

#: the entities this ingest reads, by their snapshot folder name
ENTITIES = ("works", "authors", "institutions", "funders")

#: the first letter of an OpenAlex short id, by entity (W123, A123, I123)
ENTITY_PREFIX = {"W": "works", "A": "authors", "I": "institutions", "F": "funders"}

# An institution as a work's authorship or an author's affiliation shows it
# (the "dehydrated" institution); ``lineage`` only in records since 2023.
_INSTITUTION = "struct<id: string, display_name: string, ror: string, country_code: string, type: string, lineage: array<string>>"  # noqa: E501

_WORKS = ibis.schema(
    {
        "id": "string",
        "doi": "string",
        "title": "string",
        "display_name": "string",
        "publication_year": "int32",
        "publication_date": "string",
        "type": "string",
        "type_crossref": "string",
        "cited_by_count": "int64",
        "language": "string",
        "is_retracted": "boolean",
        "updated_date": "string",
        # present only in the 2022 schema: marks a record whose `type` is Crossref's
        "host_venue": "struct<id: string, display_name: string>",
        "primary_topic": "struct<id: string, field: struct<id: string>, "
        "subfield: struct<id: string>, domain: struct<id: string>>",
        "authorships": "array<struct<author_position: string, "
        "author: struct<id: string, display_name: string, orcid: string>, "
        f"institutions: array<{_INSTITUTION}>, countries: array<string>, "
        "is_corresponding: boolean, raw_author_name: string>>",
        # 2022 to 2025: one entry per (funder, award string), award ids comma-joined
        "grants": "array<struct<funder: string, funder_display_name: string, award_id: string>>",
        # since 2025: funders and awards separately
        "funders": "array<struct<id: string, display_name: string, ror: string>>",
        "awards": "array<struct<id: string, funder_id: string, funder_display_name: string, "
        "funder_award_id: string>>",
    }
)

_AUTHORS = ibis.schema(
    {
        "id": "string",
        "orcid": "string",
        "display_name": "string",
        "updated_date": "string",
        "affiliations": f"array<struct<institution: {_INSTITUTION}, years: array<int32>>>",
    }
)

_INSTITUTIONS = ibis.schema(
    {
        "id": "string",
        "ror": "string",
        "display_name": "string",
        "country_code": "string",
        "type": "string",
        "lineage": "array<string>",
        "updated_date": "string",
        # display names by language code; only Japanese is kept
        "international": "struct<display_name: struct<ja: string>>",
    }
)

_FUNDERS = ibis.schema(
    {
        "id": "string",
        "display_name": "string",
        "country_code": "string",
        "updated_date": "string",
    }
)

#: the raw columns read for each entity
RAW_SCHEMAS: dict[str, ibis.Schema] = {
    "works": _WORKS,
    "authors": _AUTHORS,
    "institutions": _INSTITUTIONS,
    "funders": _FUNDERS,
}
