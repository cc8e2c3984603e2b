"""The store's tables: their columns, types and how an ingest merges into them.

One row per entity as DESIGN.md's data model fixes. Columns whose names begin
with ``_`` are kakehashi's bookkeeping (where a record came from, which version
of an entity wins) and are not part of the contract.

Merging (DESIGN.md): a *root* table is upserted by its key; of the versions of
one key (already stored or newly ingested) the one highest in ``order_by``
wins, the new one on a full tie (so re-ingesting a source changes nothing).
A *child* table belongs to a root: its rows for a key are replaced by the
winning version's rows. A *registry* table (the management half's data,
edited by people) is a root without version order: a newly written row
replaces the stored row of its key, and only a transaction that says it
writes the registry may write it — never an OpenAlex ingest.
"""

from __future__ import annotations

import dataclasses

import ibis
import ibis.expr.datatypes as dt

__all__ = ["KINDS", "TABLES", "TableSpec", "children_of", "spec"]

KINDS = ("openalex", "reference", "registry")


@dataclasses.dataclass(frozen=True)
class TableSpec:
    name: str
    schema: ibis.Schema
    key: tuple[str, ...]
    #: root tables: version order, highest wins (new data wins a full tie)
    order_by: tuple[str, ...] = ()
    #: child tables: the root table whose winning version brings these rows
    parent: str | None = None
    #: who writes the table (DESIGN.md "The store", "Registry tables"): ``openalex``
    #: (an ingest of scholarly records upserts it), ``reference`` (shipped with the
    #: package, replaced whole on every commit) or ``registry`` (rows edited by people,
    #: replaced by key, each with its ``_source``; an OpenAlex ingest never touches it)
    kind: str = "openalex"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"table {self.name}: kind {self.kind!r} is not one of {KINDS}")
        if self.kind == "registry" and (self.parent or self.order_by or "_source" not in self.schema):
            raise ValueError(f"registry table {self.name} needs a _source column, no parent and no order_by")

    @property
    def reference(self) -> bool:
        """Replaced whole from the package on every commit, never merged."""
        return self.kind == "reference"

    @property
    def registry(self) -> bool:
        """Edited by people: replaced by key, never written by an OpenAlex ingest."""
        return self.kind == "registry"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.schema.names)

    @property
    def contract_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.schema.names if not c.startswith("_"))


def _s(**cols: str | dt.DataType) -> ibis.Schema:
    return ibis.schema(cols)


_STR = "string"
TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "works",
        _s(
            work_id=_STR,
            year="int32",
            publication_date="date",
            type=_STR,
            type_crossref=_STR,
            cited_by_count="int64",
            field_id="int32",
            subfield_id="int32",
            domain_id="int32",
            topic_id=_STR,
            doi=_STR,
            title=_STR,
            language=_STR,
            is_retracted="boolean",
            updated_date="timestamp",
            _source_path=_STR,
            _source_line="int64",
        ),
        key=("work_id",),
        order_by=("updated_date", "_source_path", "_source_line"),
    ),
    TableSpec(
        "authorships",
        _s(
            work_id=_STR,
            author_seq="int32",
            author_id=_STR,
            author_position=_STR,
            is_corresponding="boolean",
            raw_author_name=_STR,
        ),
        key=("work_id", "author_seq"),
        parent="works",
    ),
    TableSpec(
        "affiliations",
        _s(
            work_id=_STR,
            author_seq="int32",
            author_id=_STR,
            institution_id=_STR,
            country_code=_STR,
        ),
        key=("work_id", "author_seq", "institution_id", "country_code"),
        parent="works",
    ),
    TableSpec(
        "work_funders",
        _s(work_id=_STR, funder_id=_STR, award_id=_STR),
        key=("work_id", "funder_id", "award_id"),
        parent="works",
    ),
    TableSpec(
        "institutions",
        _s(
            institution_id=_STR,
            ror=_STR,
            name=_STR,
            name_ja=_STR,
            country_code=_STR,
            type=_STR,
            # 1 when the row comes from an institution entity record, 0 when it was
            # read off a work's authorship (fewer fields): an entity record wins.
            _entity="int8",
            updated_date="timestamp",
        ),
        key=("institution_id",),
        order_by=("_entity", "updated_date"),
    ),
    TableSpec(
        "institution_lineage",
        _s(institution_id=_STR, ancestor_id=_STR, depth="int32"),
        key=("institution_id", "ancestor_id"),
        parent="institutions",
    ),
    TableSpec(
        "authors",
        _s(
            author_id=_STR,
            orcid=_STR,
            name=_STR,
            _entity="int8",
            updated_date="timestamp",
        ),
        key=("author_id",),
        order_by=("_entity", "updated_date"),
    ),
    TableSpec(
        "author_affiliations",
        _s(author_id=_STR, institution_id=_STR, year="int32"),
        key=("author_id", "institution_id", "year"),
        parent="authors",
    ),
    TableSpec(
        "funders",
        _s(funder_id=_STR, name=_STR, country_code=_STR, _entity="int8", updated_date="timestamp"),
        key=("funder_id",),
        order_by=("_entity", "updated_date"),
    ),
    # The management half's registry (DESIGN.md "Registry tables"); the remaining
    # registry tables are declared with the issues that read them.
    TableSpec(
        "programmes",
        _s(
            programme_id=_STR,
            parent_id=_STR,
            rs_project_id=_STR,
            name_ja=_STR,
            name_en=_STR,
            agency=_STR,
            measures="array<string>",
            purposes="array<string>",
            aims="array<string>",
            stages="array<string>",
            mode=_STR,
            cooperation_level=_STR,
            partner_countries="array<string>",
            fields="array<int32>",
            start_fy="int32",
            end_fy="int32",
            stay_months="float64",
            online_share="float64",
            remote_facilities="boolean",
            partner_request_date="date",
            launch_date="date",
            description_ja=_STR,
            description_en=_STR,
            url=_STR,
            synthetic="boolean",
            rs_only="boolean",
            _source=_STR,
        ),
        key=("programme_id",),
        kind="registry",
    ),
    TableSpec(
        "fields",
        _s(id="int32", level=_STR, name_en=_STR, name_ja=_STR, parent_id="int32"),
        key=("id",),
        kind="reference",
    ),
    TableSpec(
        "countries",
        _s(
            code=_STR,
            name_en=_STR,
            name_ja=_STR,
            region=_STR,
            groups="array<string>",
        ),
        key=("code",),
        kind="reference",
    ),
)

_BY_NAME = {t.name: t for t in TABLES}


def spec(name: str) -> TableSpec:
    return _BY_NAME[name]


def children_of(name: str) -> tuple[TableSpec, ...]:
    return tuple(t for t in TABLES if t.parent == name)
