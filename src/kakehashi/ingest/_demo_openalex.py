"""The demo world as an OpenAlex snapshot folder (current schema), for the real ingest path.

Records are built as nested Arrow columns from the same chunk tables the store
gets (:mod:`kakehashi.ingest._demo_tables`), so ingesting the snapshot must give
the store :func:`~kakehashi.ingest.demo.build_demo` writes. Field names and
shapes follow real records (``../shared/data/openalex-works``): URL ids,
``primary_topic`` with subfield/field/domain, ``authorships[].institutions[]``
with ``lineage``, ``countries``, ``raw_affiliation_strings``, ``funders`` and
``awards``; entity folders for authors (``affiliations[].years``),
institutions (``international.display_name.ja``, ``lineage``) and funders.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kakehashi.engines.demo_io import write_json_lines_gz
from kakehashi.ingest import Progress
from kakehashi.ingest._demo_tables import chunk_with_links, entity_tables
from kakehashi.ingest._demo_world import World, ids
from kakehashi.model.reference import countries

__all__ = ["write_snapshot"]

OA = "https://openalex.org/"
_STR = pa.string()


def _url(a: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(OA, a, "")


def _lists(offsets: np.ndarray, values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), _arr(values))


def _offsets(owner: np.ndarray, n: int) -> np.ndarray:
    """List offsets for ``n`` parents, given each (sorted) child's parent index."""
    return np.r_[0, np.cumsum(np.bincount(owner, minlength=n))]


def _arr(x: pa.Array | pa.ChunkedArray) -> pa.Array:
    return x.combine_chunks() if isinstance(x, pa.ChunkedArray) else x


def _struct(**cols: pa.Array | pa.ChunkedArray) -> pa.StructArray:
    return pa.StructArray.from_arrays([_arr(v) for v in cols.values()], names=list(cols.keys()))


def _date_str(ts: object) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%f")  # type: ignore[attr-defined]


class _Lookup:
    """Per-institution and per-funder columns, as Arrow, for ``take``."""

    def __init__(self, w: World):
        inst = w.inst
        ref = countries()
        cname = dict(zip(ref["code"].to_pylist(), ref["name_en"].to_pylist(), strict=True))
        self.i_url = _url(pa.array(inst.ids, _STR))
        self.i_name = pa.array(inst.name, _STR)
        self.i_ror = pa.array(inst.ror, _STR)
        self.i_cc = pa.array(w.codes[inst.country], _STR)
        self.i_type = pa.array(inst.type, _STR)
        # lineage: the institution and its parent sorted by id, as OpenAlex lists them (a set,
        # not ordered upwards: ../shared/data/openalex-works); the ids have one length, so
        # id order is index order.
        par = inst.parent
        has = par >= 0
        off = np.r_[0, np.cumsum(1 + has)]
        urls = np.asarray(self.i_url.to_pylist(), dtype=object)
        own = np.arange(len(par))
        vals = np.empty(int(off[-1]), dtype=object)
        vals[off[:-1]] = urls[np.where(has, np.minimum(own, par), own)]
        vals[off[:-1][has] + 1] = urls[np.maximum(own, par)[has]]
        self.i_lineage = _lists(off, pa.array(vals, _STR))
        self.idx = {s: i for i, s in enumerate(inst.ids.tolist())}
        self.country_name = cname
        self.f_url = _url(pa.array(w.funders.ids, _STR))
        self.f_name = pa.array(w.funders.name, _STR)
        self.f_ror = pa.array(w.funders.ror, _STR)

    def institutions(self, i: np.ndarray) -> pa.StructArray:
        t = pa.array(i)
        return _struct(
            id=self.i_url.take(t),
            display_name=self.i_name.take(t),
            ror=self.i_ror.take(t),
            country_code=self.i_cc.take(t),
            type=self.i_type.take(t),
            lineage=self.i_lineage.take(t),
        )


def _works_records(w: World, k: int, lk: _Lookup) -> pa.Table:
    tabs, links = chunk_with_links(w, k)
    wk, au, af, wf = tabs["works"], tabs["authorships"], tabs["affiliations"], tabs["work_funders"]
    rng = np.random.default_rng([w.seed, 3, k])
    n, ns = wk.num_rows, au.num_rows
    slot_work, aff_slot = links["slot_work"], links["aff_slot"]
    # -- affiliations of each authorship --
    inst_id = af["institution_id"].to_numpy(zero_copy_only=False)
    has_inst = np.array([x is not None for x in inst_id])
    ii = np.array([lk.idx[x] if x is not None else 0 for x in inst_id], dtype=np.int64)
    cc = af["country_code"].to_numpy(zero_copy_only=False)
    cname = np.array([lk.country_name.get(c, c) for c in cc], dtype=object)
    raw = (
        np.where(
            has_inst,
            lk.i_name.take(pa.array(ii)).to_numpy(zero_copy_only=False),
            "Graduate School of Science",
        ).astype(object)
        + ", "
        + cname
    )
    inst_rows = np.flatnonzero(has_inst)
    institutions = _lists(_offsets(aff_slot[inst_rows], ns), lk.institutions(ii[inst_rows]))
    raw_list = _lists(_offsets(aff_slot, ns), pa.array(raw, _STR))
    iid_off = np.r_[0, np.cumsum(has_inst)]
    affs = _struct(
        raw_affiliation_string=pa.array(raw, _STR),
        institution_ids=_lists(iid_off, lk.i_url.take(pa.array(ii[inst_rows]))),
    )
    aff_list = _lists(_offsets(aff_slot, ns), affs)
    cidx = {c: i for i, c in enumerate(w.codes.tolist())}
    key = np.unique(aff_slot.astype(np.int64) * 64 + np.array([cidx[c] for c in cc], dtype=np.int64))
    ctry_list = _lists(_offsets(key // 64, ns), pa.array(w.codes[key % 64], _STR))
    aid = au["author_id"]
    a_url = pc.if_else(pc.is_null(aid), pa.nulls(ns, _STR), _url(pc.fill_null(aid, "")))
    a_num = np.array([int(x[1:]) - 9_000_000_001 if x else 0 for x in aid.to_pylist()], dtype=np.int64)
    orcid = pc.if_else(pc.is_null(aid), pa.nulls(ns, _STR), w.author_orcid.take(pa.array(a_num)))
    authorships = _struct(
        author_position=au["author_position"].combine_chunks(),
        author=_struct(id=a_url, display_name=au["raw_author_name"].combine_chunks(), orcid=orcid),
        institutions=institutions,
        countries=ctry_list,
        is_corresponding=au["is_corresponding"].combine_chunks(),
        raw_author_name=au["raw_author_name"].combine_chunks(),
        raw_affiliation_strings=raw_list,
        affiliations=aff_list,
    )
    # -- funders and awards --
    fw, fi = links["funder_work"], links["funder_idx"]
    first = np.r_[True, (fw[1:] != fw[:-1]) | (fi[1:] != fi[:-1])]
    ft = pa.array(fi[first])
    funders = _lists(
        _offsets(fw[first], n),
        _struct(id=lk.f_url.take(ft), display_name=lk.f_name.take(ft), ror=lk.f_ror.take(ft)),
    )
    award = wf["award_id"].combine_chunks()
    has_aw = np.asarray(pc.is_valid(award))
    at = pa.array(fi[has_aw])
    gid = ids("G", np.arange(len(fi))[has_aw] + k * 10_000_000)
    awards = _lists(
        _offsets(fw[has_aw], n),
        _struct(
            id=_url(gid),
            display_name=pa.nulls(len(at), _STR),
            funder_award_id=award.filter(pa.array(has_aw)),
            funder_id=lk.f_url.take(at),
            funder_display_name=lk.f_name.take(at),
            doi=pa.nulls(len(at), _STR),
        ),
    )
    # -- topics --
    sub = wk["subfield_id"].combine_chunks()
    valid = np.asarray(pc.is_valid(sub))
    sub_np = np.asarray(sub.fill_null(0))
    f_np = np.asarray(wk["field_id"].combine_chunks().fill_null(0))
    d_np = np.asarray(wk["domain_id"].combine_chunks().fill_null(0))

    def named(prefix: str, idv: np.ndarray, names: dict[int, str]) -> pa.StructArray:
        return _struct(
            id=pa.array([f"{OA}{prefix}/{x}" for x in idv], _STR),
            display_name=pa.array([names.get(int(x), "") for x in idv], _STR),
        )

    sub_s = named("subfields", sub_np, w.subfield_name)
    fld_s = named("fields", f_np, w.field_name)
    dom_s = named("domains", d_np, w.domain_name)
    tname = pc.binary_join_element_wise(sub_s.field("display_name"), " (synthetic topic)", "")
    score = pa.array(np.round(0.9 + 0.1 * rng.random(n), 4))
    topic = _struct(
        id=_url(wk["topic_id"].combine_chunks().fill_null("")),
        display_name=tname,
        score=score,
        subfield=sub_s,
        field=fld_s,
        domain=dom_s,
    )
    vmask = pa.array(~valid)
    primary = pc.if_else(vmask, pa.nulls(n, topic.type), topic)
    topics = _lists(np.r_[0, np.cumsum(valid)], topic.filter(pa.array(valid)))
    # -- citations by year, references --
    year = np.asarray(wk["year"].combine_chunks())
    cited = np.asarray(wk["cited_by_count"].combine_chunks())
    own = k * 50_000 + np.arange(n)
    nref = np.where(own > 100, rng.poisson(25, n), 0)
    ref_idx = (rng.random(int(nref.sum())) * np.repeat(own, nref)).astype(np.int64)
    refs = _lists(np.r_[0, np.cumsum(nref)], _url(ids("W", ref_idx)))
    ny = np.minimum(2025 - year, 12)
    cby_year = np.concatenate([2025 - np.arange(1, m + 1) for m in ny]) if n else np.empty(0, int)
    share = rng.random(len(cby_year))
    owner = np.repeat(np.arange(n), ny)
    tot = np.bincount(owner, weights=share, minlength=n)
    cby = np.floor(cited[owner] * share / np.maximum(tot[owner], 1e-9)).astype(np.int64)
    counts = _lists(
        np.r_[0, np.cumsum(ny)],
        _struct(year=pa.array(cby_year.astype(np.int32)), cited_by_count=pa.array(cby)),
    )
    wid_url = _url(wk["work_id"].combine_chunks())
    doi = wk["doi"].combine_chunks()
    pub = pc.strftime(wk["publication_date"].combine_chunks().cast(pa.timestamp("s")), "%Y-%m-%d")
    is_oa = pa.array(rng.random(n) < 0.45)
    n_inst = np.bincount(slot_work[aff_slot[inst_rows]], minlength=n)  # rows, an upper bound of distinct
    n_ctry = np.bincount(slot_work[key // 64], minlength=n)
    corr = au["is_corresponding"].combine_chunks()
    corr_ids = _lists(
        _offsets(slot_work[np.asarray(corr) & np.asarray(pc.is_valid(aid))], n),
        a_url.filter(pc.and_(corr, pc.is_valid(aid))),
    )
    jfield = pa.array([f"Journal of {w.field_name.get(int(f), 'Science')}" for f in f_np], _STR)
    source = _struct(
        id=_url(pc.binary_join_element_wise("S9", pc.cast(pa.array(f_np), _STR), "")),
        display_name=jfield,
        type=pa.array(["journal"] * n, _STR),
    )
    upd = _date_str(w.updated(k))
    return pa.table(
        {
            "id": wid_url,
            "doi": doi,
            "title": wk["title"].combine_chunks(),
            "display_name": wk["title"].combine_chunks(),
            "publication_year": wk["year"].combine_chunks(),
            "publication_date": pub,
            "ids": _struct(openalex=wid_url, doi=doi),
            "language": wk["language"].combine_chunks(),
            "primary_location": _struct(is_oa=is_oa, landing_page_url=doi, source=source),
            "type": wk["type"].combine_chunks(),
            "type_crossref": wk["type_crossref"].combine_chunks(),
            "indexed_in": _lists(np.arange(n + 1), pa.array(["crossref"] * n, _STR)),
            "open_access": _struct(
                is_oa=is_oa,
                oa_status=pc.if_else(is_oa, "gold", "closed"),
                oa_url=pc.if_else(is_oa, doi, pa.nulls(n, _STR)),
            ),
            "authorships": _lists(_offsets(slot_work, n), authorships),
            "countries_distinct_count": pa.array(n_ctry.astype(np.int32)),
            "institutions_distinct_count": pa.array(n_inst.astype(np.int32)),
            "corresponding_author_ids": corr_ids,
            "cited_by_count": wk["cited_by_count"].combine_chunks(),
            "is_retracted": wk["is_retracted"].combine_chunks(),
            "is_paratext": pa.array(np.zeros(n, bool)),
            "primary_topic": primary,
            "topics": topics,
            "funders": funders,
            "awards": awards,
            "biblio": _struct(volume=pc.cast(pa.array(year - 1990), _STR), issue=pa.nulls(n, _STR)),
            "referenced_works_count": pa.array(nref.astype(np.int32)),
            "referenced_works": refs,
            "counts_by_year": counts,
            "updated_date": pa.array([upd] * n, _STR),
            "created_date": pub,
        }
    )


def _entities(w: World, lk: _Lookup) -> dict[str, pa.Table]:
    ent = entity_tables(w)
    upd = _date_str(w.updated(0))
    it = ent["institutions"]
    n_i = it.num_rows
    i_url = lk.i_url
    par = w.inst.parent
    kids: list[list[int]] = [[] for _ in range(n_i)]
    for c in np.flatnonzero(par >= 0):
        kids[par[c]].append(c)
    assoc_idx, assoc_rel, assoc_off = [], [], [0]
    for i in range(n_i):
        rel = ([(int(par[i]), "parent")] if par[i] >= 0 else []) + [(int(c), "child") for c in kids[i]]
        assoc_idx += [r[0] for r in rel]
        assoc_rel += [r[1] for r in rel]
        assoc_off.append(len(assoc_idx))
    ai = pa.array(np.array(assoc_idx, dtype=np.int64))
    assoc = _struct(
        id=i_url.take(ai),
        ror=lk.i_ror.take(ai),
        display_name=lk.i_name.take(ai),
        country_code=lk.i_cc.take(ai),
        type=lk.i_type.take(ai),
        relationship=pa.array(assoc_rel, _STR),
    )
    institutions = pa.table(
        {
            "id": i_url,
            "ror": lk.i_ror,
            "display_name": lk.i_name,
            "country_code": lk.i_cc,
            "type": lk.i_type,
            "lineage": lk.i_lineage,
            "international": _struct(display_name=_struct(en=lk.i_name, ja=it["name_ja"].combine_chunks())),
            "geo": _struct(
                country_code=lk.i_cc,
                country=pa.array([lk.country_name.get(c) for c in lk.i_cc.to_pylist()], _STR),
            ),
            "ids": _struct(openalex=i_url, ror=lk.i_ror),
            "associated_institutions": _lists(np.array(assoc_off), assoc),
            "updated_date": pa.array([upd] * n_i, _STR),
            "created_date": pa.array(["2016-06-24"] * n_i, _STR),
        }
    )
    aa = ent["author_affiliations"].group_by(["author_id", "institution_id"]).aggregate([("year", "list")])
    aa = aa.sort_by([("author_id", "ascending"), ("institution_id", "ascending")])
    au = ent["authors"].sort_by("author_id")
    a_ids = au["author_id"].combine_chunks()
    pos = {a: i for i, a in enumerate(a_ids.to_pylist())}
    owner = np.array([pos[a] for a in aa["author_id"].to_pylist()], dtype=np.int64)
    inst_i = pa.array(np.array([lk.idx[x] for x in aa["institution_id"].to_pylist()], dtype=np.int64))
    years = pa.array([sorted(v, reverse=True) for v in aa["year_list"].to_pylist()], pa.list_(pa.int32()))
    affs = _struct(institution=lk.institutions(np.asarray(inst_i)), years=years)
    n_a = au.num_rows
    a_url = _url(a_ids)
    works_count = np.bincount(w.skel.s_author[w.skel.s_author >= 0], minlength=len(w.careers))
    num = np.array([int(x[1:]) - 9_000_000_001 for x in a_ids.to_pylist()], dtype=np.int64)
    authors = pa.table(
        {
            "id": a_url,
            "orcid": au["orcid"].combine_chunks(),
            "display_name": au["name"].combine_chunks(),
            "works_count": pa.array(works_count[num].astype(np.int32)),
            "ids": _struct(openalex=a_url, orcid=au["orcid"].combine_chunks()),
            "affiliations": _lists(_offsets(owner, n_a), affs),
            "updated_date": pa.array([upd] * n_a, _STR),
            "created_date": pa.array(["2023-07-21"] * n_a, _STR),
        }
    )
    ft = ent["funders"]
    funders = pa.table(
        {
            "id": lk.f_url,
            "display_name": lk.f_name,
            "country_code": ft["country_code"].combine_chunks(),
            "ids": _struct(openalex=lk.f_url, ror=lk.f_ror),
            "updated_date": pa.array([upd] * ft.num_rows, _STR),
        }
    )
    return {"institutions": institutions, "authors": authors, "funders": funders}


def write_snapshot(w: World, out: Path, progress: Progress) -> int:
    """Write ``out/data/<entity>/updated_date=…/part_NNN.gz``; return the number of files."""
    lk = _Lookup(w)
    files = 0
    for k in range(w.n_chunks):
        day = w.updated(k).strftime("%Y-%m-%d")
        nb = write_json_lines_gz(
            _works_records(w, k, lk), out / "data" / "works" / f"updated_date={day}" / "part_000.gz"
        )
        files += 1
        progress.advance(files=1, records=min(w.n_works, (k + 1) * 50_000) - k * 50_000, nbytes=nb)
    day = w.updated(0).strftime("%Y-%m-%d")
    for name, tbl in _entities(w, lk).items():
        step = 200_000
        for j, off in enumerate(range(0, max(tbl.num_rows, 1), step)):
            write_json_lines_gz(
                tbl.slice(off, step), out / "data" / name / f"updated_date={day}" / f"part_{j:03d}.gz"
            )
            files += 1
    return files
