"""From raw OpenAlex records to the store's tables: Ibis expressions only.

The input is one raw table per entity — the columns of
:mod:`kakehashi.ingest.rawschema` plus ``_version``, ``_source_path`` and
``_source_line`` — on whatever engine parsed them; the output is an Ibis
expression per store table, each with a ``_version`` column (a root row's own
record version; a child row's root record's), ready for
:meth:`kakehashi.store.Transaction.staged_dir`. Nothing here knows the engine,
so the same expressions run on DuckDB now and on Spark for the full snapshot.

Rules (DESIGN.md "The store", issue 2 point 4):

- ids are shortened from URLs: ``https://openalex.org/W123`` → ``W123``; ROR
  and ORCID ids likewise to their bare form (``04aj4sh46``,
  ``0000-0003-3260-0660``), so they join whatever URL form another source
  uses; the DOI stays as OpenAlex gives it (``https://doi.org/…``).
- country codes are upper-cased; an authorship with no institution keeps the
  countries OpenAlex read from its raw affiliation (``countries``) as
  affiliation rows with a null ``institution_id``; an institution without a
  country gives a row with a null country.
- 2022-schema records (``host_venue``, no ``type_crossref``) carry Crossref's
  type: it is mapped to OpenAlex's and kept as ``type_crossref``.
- ``field_id``/``subfield_id``/``domain_id``/``topic_id`` come from
  ``primary_topic``; null where the record has none (the 2022 schema).
- work_funders: one row per (work, funder, award) from ``grants`` (older) and
  ``awards`` (newer), comma-joined award ids split and trimmed; a funder named
  (in ``funders`` or a grant) without any award gets one row with a null
  award. Entries without a funder id are left out.
- institution_lineage: every institution has a row for itself at depth 0 and
  one for each other entry of OpenAlex's ``lineage`` (a set, sorted by id:
  not ordered upwards), a duplicate entry once; the depths of those are derived
  by the merge from the ancestors' own lineages
  (:mod:`kakehashi.model.lineage`).
- institutions, authors and funders read off works are ``_entity = 0`` rows,
  one per id: the occurrence in the newest record (latest ``updated_date``,
  then the later record) wins; entity records are ``_entity = 1`` and win over
  them in the merge whatever their dates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ibis
import ibis.expr.types as ir

from kakehashi.ingest.values import (
    _CROSSREF_ONLY,
    _STR,
    _TS,
    CROSSREF_TO_OPENALEX,
    _country,
    _date,
    _id,
    _newest,
    _num_id,
    _orcid,
    _ror,
)
from kakehashi.model import tables as model

__all__ = ["CROSSREF_TO_OPENALEX", "normalise", "works_summary"]

Cache = Callable[[ir.Table, str], ir.Table]


def _unnest_at(t: ir.Table, column: str, offset: str) -> ir.Table:
    """``t.unnest(column, offset=offset)``: one row per element, ``offset`` its 0-based place.

    Written as an unnested range of places, each looking its element up: the
    same rows (none for a null or empty list), but Ibis compiles
    ``unnest(offset=)`` on DuckDB to a lateral join over ``list_zip`` that
    took 3 s for the demo world's 500,000 authorships, against 0.1 s for this.
    Plain unnests are likewise written as column unnests (``col.unnest()``, a
    select-list ``UNNEST``/``explode``) rather than ``Table.unnest``, whose
    lateral join DuckDB runs many times slower over a computed subquery.
    """
    u = t.mutate(**{offset: ibis.range(0, t[column].length()).unnest()})
    return u.mutate(**{column: u[column][u[offset]]})


def _newest_row(t: ir.Table, key: str, columns: tuple[str, ...], *first: str) -> ir.Table:
    """``key`` and ``columns`` of the newest row per ``key``: latest ``updated_date`` (a
    missing one loses), then highest ``_version``, then lowest ``first`` (non-null integers).

    The rule of :func:`~kakehashi.ingest.values._newest`, as an aggregate (the
    row maximising a struct of the ranking values) rather than a ranking window:
    a third of the time on DuckDB for the demo world's 500,000 authorships. The
    ranking never ties where it is used: ``_version`` is one per record, and
    ``first`` tells apart the rows of one record.
    """
    rank = ibis.struct(
        {
            "dated": t.updated_date.notnull(),
            "date": t.updated_date.coalesce(ibis.timestamp("1970-01-01 00:00:00")),
            "version": t._version,
            **{f"first{i}": -t[c] for i, c in enumerate(first)},
        }
    )
    row = ibis.struct({c: t[c] for c in columns})
    return t.group_by(key).aggregate(_row=row.argmax(rank)).unpack("_row")


# -- works and their children -------------------------------------------------------


def works(raw: ir.Table) -> ir.Table:
    legacy = raw.type_crossref.isnull() & (raw.host_venue.notnull() | raw["type"].isin(_CROSSREF_ONLY))
    pt = raw.primary_topic
    published = raw.publication_date.try_cast("date")
    return raw.select(
        work_id=_id(raw.id),
        year=raw.publication_year.cast("int32").coalesce(published.year().cast("int32")),
        publication_date=published,
        type=ibis.ifelse(legacy, raw["type"].substitute(CROSSREF_TO_OPENALEX), raw["type"]),
        type_crossref=raw.type_crossref.coalesce(ibis.ifelse(legacy, raw["type"], ibis.null(_STR))),
        cited_by_count=raw.cited_by_count,
        field_id=_num_id(pt.field.id),
        subfield_id=_num_id(pt.subfield.id),
        domain_id=_num_id(pt.domain.id),
        topic_id=_id(pt.id),
        doi=raw.doi,
        title=raw.title.coalesce(raw.display_name),
        language=raw.language,
        is_retracted=raw.is_retracted,
        updated_date=_date(raw.updated_date),
        _source_path=raw._source_path,
        _source_line=raw._source_line,
        _version=raw._version,
    )


def _authorship_rows(raw: ir.Table) -> ir.Table:
    """One row per authorship, ``author_seq`` its 0-based place in the list."""
    t = _unnest_at(
        raw.select(
            work_id=_id(raw.id),
            updated_date=_date(raw.updated_date),
            _version=raw._version,
            a=raw.authorships,
        ),
        "a",
        "author_seq",
    )
    return t.select(
        "work_id",
        "updated_date",
        "_version",
        author_seq=t.author_seq.cast("int32"),
        author_id=_id(t.a.author.id),
        author_name=t.a.author.display_name,
        orcid=_orcid(t.a.author.orcid),
        author_position=t.a.author_position,
        is_corresponding=t.a.is_corresponding,
        raw_author_name=t.a.raw_author_name,
        institutions=t.a.institutions,
        countries=t.a.countries,
    )


def _institution_rows(auth: ir.Table) -> ir.Table:
    """One row per (authorship, institution entry), ``inst_seq`` its place."""
    t = _unnest_at(
        auth.select("work_id", "author_seq", "author_id", "updated_date", "_version", inst=auth.institutions),
        "inst",
        "inst_seq",
    )
    return t.select(
        "work_id",
        "author_seq",
        "author_id",
        "updated_date",
        "_version",
        "inst_seq",
        **_institution_fields(t.inst),
    )


def _institution_fields(inst: ir.StructValue) -> dict[str, ir.Value]:
    return {
        "institution_id": _id(inst.id),
        "ror": _ror(inst.ror),
        "name": inst.display_name,
        "country_code": _country(inst.country_code),
        "type": inst["type"],
        "lineage": inst.lineage,
    }


def authorships(auth: ir.Table) -> ir.Table:
    return auth.select(
        "work_id",
        "author_seq",
        "author_id",
        "author_position",
        "is_corresponding",
        "raw_author_name",
        "_version",
    )


def affiliations(auth: ir.Table, inst: ir.Table) -> ir.Table:
    cols = ("work_id", "author_seq", "author_id")
    by_institution = inst.select(*cols, "institution_id", "country_code", "_version")
    bare = auth.filter(auth.institutions.isnull() | (auth.institutions.length() == 0))
    raw_countries = bare.select(*cols, "_version", c=bare.countries.unnest())
    by_country = raw_countries.select(
        *cols,
        institution_id=ibis.null(_STR),
        country_code=_country(raw_countries.c),
        _version=raw_countries._version,
    )
    return by_institution.union(by_country, distinct=True)


def _funding(raw: ir.Table) -> ir.Table:
    """Every (work record, funder, award string, funder name) the record names."""
    keep = ("work_id", "updated_date", "_version")

    def entries(col: str) -> ir.Table:
        return raw.select(
            work_id=_id(raw.id),
            updated_date=_date(raw.updated_date),
            _version=raw._version,
            e=raw[col].unnest(),
        )

    g = entries("grants")
    a = entries("awards")
    f = entries("funders")
    return ibis.union(
        g.select(*keep, funder_id=_id(g.e.funder), award=g.e.award_id, name=g.e.funder_display_name),
        a.select(
            *keep, funder_id=_id(a.e.funder_id), award=a.e.funder_award_id, name=a.e.funder_display_name
        ),
        f.select(*keep, funder_id=_id(f.e.id), award=ibis.null(_STR), name=f.e.display_name),
    ).filter(lambda t: t.funder_id.notnull())


def work_funders(funding: ir.Table) -> ir.Table:
    # A null award becomes "", split to [""] and nulled below: one row with a null award_id.
    awards = funding.award.coalesce("").split(",").unnest()
    split = funding.select("work_id", "funder_id", "_version", award_id=awards)
    rows = split.select(
        "work_id", "funder_id", "_version", award_id=split.award_id.strip().nullif("")
    ).distinct()
    # The null-award row only where the record names no award of that funder (a window
    # count, not an anti-join of the rows with themselves: half the time on DuckDB).
    awards_of_funder = rows.award_id.count().over(group_by=["work_id", "_version", "funder_id"])
    counted = rows.mutate(_awards=awards_of_funder)
    return counted.filter(counted.award_id.notnull() | (counted._awards == 0)).drop("_awards")


def funders(funding: ir.Table) -> ir.Table:
    f = _newest(funding, "funder_id", "work_id", "name")
    return f.select(
        "funder_id",
        "name",
        country_code=ibis.null(_STR),
        _entity=ibis.literal(0, "int8"),
        updated_date=f.updated_date,
        _version=f._version,
    )


def funders_entity(raw: ir.Table) -> ir.Table:
    """Funder entity records (``data/funders``): they carry the funder's country."""
    return raw.select(
        funder_id=_id(raw.id),
        name=raw.display_name,
        country_code=_country(raw.country_code),
        _entity=ibis.literal(1, "int8"),
        updated_date=_date(raw.updated_date),
        _version=raw._version,
    )


# -- institutions and authors ---------------------------------------------------------


def _lineage(t: ir.Table) -> ir.Table:
    """Lineage rows of ``t`` (``institution_id``, ``lineage`` of OpenAlex URLs, ``_version``).

    One row per member of the lineage, however often it is listed, and one for
    the institution itself at depth 0 whether the list names it or not. OpenAlex's
    list is a set (sorted by id), so an ancestor's depth is not its place in it:
    the merge derives it from every institution's lineage in the store
    (:func:`kakehashi.model.lineage.lineage_depths`); here it is left null.
    """
    own = t.select(
        "institution_id", ancestor_id=t.institution_id, depth=ibis.literal(0, "int32"), _version=t._version
    )
    u = t.select("institution_id", "_version", anc=t.lineage.unnest())
    up = u.select(
        "institution_id",
        ancestor_id=_id(u.anc),
        depth=ibis.null("int32"),
        _version=u._version,
    )
    up = up.filter(up.ancestor_id.notnull() & (up.ancestor_id != up.institution_id))
    return own.union(up, distinct=True)


def _institution_table(t: ir.Table, *, entity: int, name_ja: ir.Value | None = None) -> ir.Table:
    return t.select(
        "institution_id",
        "ror",
        "name",
        name_ja=ibis.null(_STR) if name_ja is None else name_ja,
        country_code=t.country_code,
        type=t["type"],
        _entity=ibis.literal(entity, "int8"),
        updated_date=t.updated_date,
        _version=t._version,
    )


def _institution_occurrences(inst: ir.Table | None, raw_authors: ir.Table | None) -> ir.Table | None:
    """Institutions as works (and author entities' affiliations) show them."""
    cols = ("institution_id", "ror", "name", "country_code", "type", "lineage", "_version")
    parts = []
    if inst is not None:
        parts.append(
            inst.select(
                *cols,
                updated_date=inst.updated_date.cast(_TS),
                # offsets are int64 on DuckDB, int32 on Spark: one type for the union
                _a=inst.author_seq.cast("int64"),
                _b=inst.inst_seq.cast("int64"),
            )
        )
    if raw_authors is not None:
        t = _unnest_at(
            raw_authors.select(
                updated_date=_date(raw_authors.updated_date),
                _version=raw_authors._version,
                af=raw_authors.affiliations,
            ),
            "af",
            "_a",
        )
        t = t.select("updated_date", "_version", "_a", **_institution_fields(t.af.institution))
        parts.append(
            t.select(*cols, updated_date=t.updated_date, _a=t._a.cast("int64"), _b=ibis.literal(0, "int64"))
        )
    if not parts:
        return None
    occ = ibis.union(*parts) if len(parts) > 1 else parts[0]
    return occ.filter(occ.institution_id.notnull())


def institutions_from_occurrences(occ: ir.Table, cache: Cache | None = None) -> tuple[ir.Table, ir.Table]:
    cols = ("ror", "name", "country_code", "type", "lineage", "updated_date", "_version")
    newest = _newest_row(occ, "institution_id", cols, "_a", "_b")
    # Both outputs read the newest occurrences: a few thousand rows out of one per affiliation.
    newest = cache(newest, "institutions_newest") if cache is not None else newest
    return _institution_table(newest, entity=0), _lineage(newest)


def institutions_entity(raw: ir.Table) -> tuple[ir.Table, ir.Table]:
    t = raw.select(
        institution_id=_id(raw.id),
        ror=_ror(raw.ror),
        name=raw.display_name,
        name_ja=raw.international.display_name.ja,
        country_code=_country(raw.country_code),
        type=raw["type"],
        lineage=raw.lineage,
        updated_date=_date(raw.updated_date),
        _version=raw._version,
    )
    return _institution_table(t, entity=1, name_ja=t.name_ja), _lineage(t)


def authors_from_works(auth: ir.Table) -> ir.Table:
    a = auth.filter(auth.author_id.notnull())
    # One work per record (_version), so the work's place in the list alone breaks ties.
    a = _newest_row(a, "author_id", ("orcid", "author_name", "updated_date", "_version"), "author_seq")
    return a.select(
        "author_id",
        "orcid",
        name=a.author_name,
        _entity=ibis.literal(0, "int8"),
        updated_date=a.updated_date,
        _version=a._version,
    )


def authors_entity(raw: ir.Table) -> tuple[ir.Table, ir.Table]:
    authors = raw.select(
        author_id=_id(raw.id),
        orcid=_orcid(raw.orcid),
        name=raw.display_name,
        _entity=ibis.literal(1, "int8"),
        updated_date=_date(raw.updated_date),
        _version=raw._version,
    )
    af = raw.select(author_id=_id(raw.id), _version=raw._version, af=raw.affiliations.unnest())
    years = af.select(
        "author_id", "_version", institution_id=_id(af.af.institution.id), year=af.af.years.unnest()
    )
    rows = years.select("author_id", "institution_id", year=years.year.cast("int32"), _version=years._version)
    return authors, rows.filter(rows.institution_id.notnull() & rows.year.notnull()).distinct()


# -- all of it --------------------------------------------------------------------------


def _no_cache(t: ir.Table, name: str) -> ir.Table:
    return t


def normalise(raw: Mapping[str, ir.Table], cache: Cache = _no_cache) -> dict[str, ir.Table]:
    """The store tables' new rows (with ``_version``) from raw works/authors/institutions.

    ``cache(expr, name)`` may compute an intermediate once (a temporary table
    on DuckDB, ``.cache()`` on Spark); it is read by several outputs.
    """
    out: dict[str, list[ir.Table]] = {}

    def put(name: str, t: ir.Table) -> None:
        out.setdefault(name, []).append(t)

    raw_works = raw.get("works")
    raw_authors = raw.get("authors")
    raw_insts = raw.get("institutions")
    inst = None
    if raw_works is not None:
        put("works", works(raw_works))
        auth = cache(_authorship_rows(raw_works), "authorship_rows")
        inst = cache(_institution_rows(auth), "institution_rows")
        put("authorships", authorships(auth))
        put("affiliations", affiliations(auth, inst))
        put("authors", authors_from_works(auth))
        funding = cache(_funding(raw_works), "funding")
        put("work_funders", work_funders(funding))
        put("funders", funders(funding))
    occ = _institution_occurrences(inst, raw_authors)
    if occ is not None:
        rows, lineage = institutions_from_occurrences(occ, cache)
        put("institutions", rows)
        put("institution_lineage", lineage)
    if raw_authors is not None:
        rows, affs = authors_entity(raw_authors)
        put("authors", rows)
        put("author_affiliations", affs)
    if raw.get("funders") is not None:
        put("funders", funders_entity(raw["funders"]))
    if raw_insts is not None:
        rows, lineage = institutions_entity(raw_insts)
        put("institutions", rows)
        put("institution_lineage", lineage)
    result = {}
    for name, parts in out.items():
        # The store's own types (an engine's cache may give timestamp(6) for timestamp…)
        types = {**dict(model.spec(name).schema.items()), "_version": ibis.dtype("int64")}
        parts = [p.cast({c: types[c] for c in p.columns}) for p in parts]
        result[name] = ibis.union(*parts) if len(parts) > 1 else parts[0]
    return result


def works_summary(works: ir.Table, affiliations: ir.Table) -> tuple[ir.Scalar, ir.Scalar]:
    """How many distinct works ``works`` holds, and how many of them (newest version) have no country."""
    newest = _newest_row(works, "work_id", ("_version",))
    placed = affiliations.filter(affiliations.country_code.notnull()).select("work_id", "_version").distinct()
    return newest.count(), newest.anti_join(placed, ["work_id", "_version"]).count()
