"""The demo world's works as store tables, one chunk of works at a time.

Each chunk draws from its own generator (seed, chunk number), so a chunk is the
same whether it goes into a store (:func:`kakehashi.ingest.demo.build_demo`) or
into an OpenAlex snapshot (:func:`kakehashi.ingest.demo.write_demo_openalex`).
Rows carry the store's ``_version`` (the work's number) as merge needs.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kakehashi.ingest._demo_names import titles
from kakehashi.ingest._demo_world import World, ids
from kakehashi.model import tables as model

__all__ = ["chunk_tables", "chunk_with_links", "entity_tables"]

_EPOCH = dt.date(1970, 1, 1)


def _schema(name: str) -> pa.Schema:
    return model.spec(name).schema.to_pyarrow().append(pa.field("_version", pa.int64()))


def _table(name: str, cols: dict[str, object]) -> pa.Table:
    """Arrow rows for store table ``name`` (plus ``_version``); missing columns are null."""
    schema = _schema(name)
    arrays = []
    for f in schema:
        v = cols.get(f.name)
        if f.name not in cols:
            arrays.append(pa.nulls(len(next(iter(cols.values()))), f.type))  # type: ignore[arg-type]
        elif isinstance(v, pa.Array | pa.ChunkedArray):
            arrays.append(v.cast(f.type))
        else:
            arrays.append(pa.array(v, f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _cat(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (rows need not be normalised)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), probs.shape[1] - 1)


def chunk_tables(w: World, k: int) -> dict[str, pa.Table]:
    """works, authorships, affiliations and work_funders for chunk ``k``."""
    return chunk_with_links(w, k)[0]


def chunk_with_links(w: World, k: int) -> tuple[dict[str, pa.Table], dict[str, np.ndarray]]:
    """:func:`chunk_tables` and, for the snapshot writer, which authorship (0-based
    within the chunk) each affiliation row belongs to and which work each authorship
    and funder row belongs to."""
    p, sk, car, inst = w.params, w.skel, w.careers, w.inst
    rng = np.random.default_rng([w.seed, 2, k])
    w0, w1 = w.chunk_bounds(k)
    n = w1 - w0
    widx = np.arange(w0, w1)
    year = sk.year[w0:w1].astype(np.int32)
    yi = year - int(p.years[0])
    lead = sk.lead[w0:w1]
    intl = sk.intl[w0:w1]
    s0, s1 = int(sk.slot_start[w0]), int(sk.slot_start[w1])
    s_work = np.repeat(np.arange(n), np.diff(sk.slot_start[w0 : w1 + 1]))
    s_c = sk.s_country[s0:s1]
    s_a = sk.s_author[s0:s1]
    s_yi = yi[s_work]
    has_a = s_a >= 0
    home = np.full(len(s_a), -1, dtype=np.int32)
    home[has_a] = car.plan_i[s_a[has_a], s_yi[has_a]]
    placed = has_a & (s_c >= 0)
    wpi_slot = placed & (inst.wpi[np.maximum(home, 0)] >= 0)
    wpi_work = np.bincount(s_work[wpi_slot], minlength=n) > 0

    # -- works ---------------------------------------------------------------
    fidx = _cat(rng, p.field_share[None, :] * np.where(lead[:, None] >= 0, w.spec[np.maximum(lead, 0)], 1.0))
    if wpi_work.any():
        cen_field = np.array([c["field"] for c in p.raw["wpi"]["centres"]])
        first_wpi = np.full(n, -1)
        first_wpi[s_work[wpi_slot][::-1]] = inst.wpi[home[wpi_slot]][::-1]
        pick = wpi_work & (rng.random(n) < 0.6)
        fidx[pick] = np.searchsorted(p.fields, cen_field[first_wpi[pick]])
    field = p.fields[fidx]
    nsub = np.array([len(w.subfields[int(f)]) for f in p.fields])
    sub_i = (rng.random(n) * nsub[fidx]).astype(int)
    subfield = np.array([w.subfields[int(f)][i] for f, i in zip(field, sub_i, strict=True)], dtype=np.int32)
    topic_k = rng.integers(0, 3, n)
    no_topic = rng.random(n) < float(p.raw["world"]["no_topic_share"])
    domain = p.field_domain[fidx]
    trows = p.raw["types"]["rows"]
    tshare = np.array([r[1] for r in trows], dtype=float)
    ti = rng.choice(len(trows), size=n, p=tshare / tshare.sum())
    wtype = np.array([r[0] for r in trows], dtype=object)[ti]
    wcross = np.array([r[2] for r in trows], dtype=object)[ti]
    proc = (wtype == "article") & (rng.random(n) < float(p.raw["types"]["proceedings_share_of_articles"]))
    wcross[proc] = "proceedings-article"
    fr = p.raw["fields"]
    mu = p.field_mu[fidx] + np.log(np.where(intl, float(fr["intl_citation_multiplier"]), 1.0))
    mu += np.log(np.where(wtype == "review", float(fr["review_citation_multiplier"]), 1.0))
    mu += np.log(np.where(wpi_work, float(p.raw["wpi"]["citation_multiplier"]), 1.0))
    ramp = np.minimum(1.0, (2025 - year) / float(fr["cite_ramp_years"]))
    lam = np.exp(mu + float(fr["cite_sigma"]) * rng.standard_normal(n)) * ramp
    cited = rng.poisson(lam).astype(np.int64)
    jp, cn = p.cidx("JP"), p.cidx("CN")
    lang = np.full(n, "en", dtype=object)
    ja = (lead == jp) & ~intl & (rng.random(n) < 0.08)
    lang[ja] = "ja"
    lang[(lead == cn) & ~intl & (rng.random(n) < 0.05)] = "zh"
    subj = pa.array(np.array([w.subfield_name[int(s)] for s in subfield], dtype=object), pa.string())
    wid = ids("W", widx)
    day = rng.integers(0, 365, n)
    pub = np.array([(dt.date(int(y), 1, 1) - _EPOCH).days for y in np.unique(year)])
    pub_days = pub[np.searchsorted(np.unique(year), year)] + day
    doi = pc.binary_join_element_wise(
        "https://doi.org/10.5555/demo.",
        pc.cast(pa.array(year), pa.string()),
        ".",
        pc.cast(pa.array(widx + 1), pa.string()),
        "",
    )
    doi = pc.if_else(pa.array(rng.random(n) < 0.85), doi, pa.nulls(n, pa.string()))
    nt = pa.array(no_topic)
    tid = pc.binary_join_element_wise(
        "T9", pc.cast(pa.array(subfield), pa.string()), pc.cast(pa.array(topic_k), pa.string()), ""
    )
    works = _table(
        "works",
        {
            "work_id": wid,
            "year": year,
            "publication_date": pa.array(pub_days.astype(np.int32), pa.date32()),
            "type": wtype,
            "type_crossref": wcross,
            "cited_by_count": cited,
            "field_id": pc.if_else(nt, pa.nulls(n, pa.int32()), pa.array(field)),
            "subfield_id": pc.if_else(nt, pa.nulls(n, pa.int32()), pa.array(subfield)),
            "domain_id": pc.if_else(nt, pa.nulls(n, pa.int32()), pa.array(domain)),
            "topic_id": pc.if_else(nt, pa.nulls(n, pa.string()), tid),
            "doi": doi,
            "title": titles(rng, subj, ja),
            "language": lang,
            "is_retracted": rng.random(n) < float(p.raw["world"]["retracted_share"]),
            "updated_date": pa.array([w.updated(k)] * n, pa.timestamp("us")),
            "_version": widx.astype(np.int64),
        },
    )

    # -- authorships -------------------------------------------------------------
    starts = np.r_[0, np.cumsum(np.bincount(s_work, minlength=n))]
    seq = np.arange(len(s_work)) - starts[s_work]
    nauth = np.diff(starts)[s_work]
    pos = np.where(seq == 0, "first", np.where(seq == nauth - 1, "last", "middle")).astype(object)
    corr = (seq == 0) | ((seq == nauth - 1) & (nauth > 1) & (rng.random(len(seq)) < 0.1))
    s_wid = wid.take(pa.array(s_work))
    s_aid = pc.if_else(pa.array(has_a), ids("A", np.maximum(s_a, 0)), pa.nulls(len(s_a), pa.string()))
    anon_name = w.author_name.take(pa.array(rng.integers(0, len(w.author_name), len(s_a))))
    raw_name = pc.if_else(pa.array(has_a), w.author_name.take(pa.array(np.maximum(s_a, 0))), anon_name)
    s_ver = (w0 + s_work).astype(np.int64)
    authorships = _table(
        "authorships",
        {
            "work_id": s_wid,
            "author_seq": seq.astype(np.int32),
            "author_id": s_aid,
            "author_position": pos,
            "is_corresponding": corr,
            "raw_author_name": raw_name,
            "_version": s_ver,
        },
    )

    # -- affiliations: home (or raw country), its parent, a side affiliation abroad --
    a_cfg = p.raw["authors"]
    raw_only = placed & (rng.random(len(s_a)) < float(a_cfg["raw_country_only_share"]))
    prev_c = np.full(len(s_a), -1, dtype=np.int16)
    ok_prev = placed & (s_yi > 0)
    prev_c[ok_prev] = car.plan_c[s_a[ok_prev], s_yi[ok_prev] - 1]
    moved = (prev_c >= 0) & (prev_c != s_c)
    other = starts[s_work] + (rng.random(len(s_a)) * np.diff(starts)[s_work]).astype(np.int64)
    side = (
        placed
        & ~raw_only
        & ~moved
        & intl[s_work]
        & (rng.random(len(s_a)) < float(a_cfg["side_abroad_share"]))
        & (s_c[other] >= 0)
        & (s_c[other] != s_c)
        & (s_a[other] >= 0)
    )
    side_inst = np.where(side, home[other], -1)
    par = np.where(placed & ~raw_only, inst.parent[np.maximum(home, 0)], -1)
    par = np.where((par >= 0) & (rng.random(len(s_a)) < float(a_cfg["with_parent_share"])), par, -1)
    anon_c = ~has_a & (s_c >= 0)
    rows_i = np.r_[
        np.flatnonzero(placed), np.flatnonzero(par >= 0), np.flatnonzero(side), np.flatnonzero(anon_c)
    ]
    inst_i = np.r_[
        np.where(raw_only[placed], -1, home[placed]),
        par[par >= 0],
        side_inst[side],
        np.full(int(anon_c.sum()), -1),
    ]
    ctry = np.where(inst_i >= 0, inst.country[np.maximum(inst_i, 0)], s_c[rows_i])
    order = np.lexsort((inst_i, rows_i))
    rows_i, inst_i, ctry = rows_i[order], inst_i[order], ctry[order]
    affiliations = _table(
        "affiliations",
        {
            "work_id": s_wid.take(pa.array(rows_i)),
            "author_seq": seq[rows_i].astype(np.int32),
            "author_id": s_aid.take(pa.array(rows_i)),
            "institution_id": pc.if_else(
                pa.array(inst_i >= 0),
                pa.array(inst.ids).take(pa.array(np.maximum(inst_i, 0))),
                pa.nulls(len(inst_i), pa.string()),
            ),
            "country_code": pa.array(w.codes[ctry]),
            "_version": s_ver[rows_i],
        },
    )

    # -- funders: national funders of the countries on the work ------------------
    fw, ff, fa = [], [], []
    cm = sk.cmask[w0:w1]
    for j in range(len(w.funders.ids)):
        bits = np.uint64(0)
        for c in w.funders.applies[j]:
            bits |= np.uint64(1) << np.uint64(int(c))
        lead_ok = (lead >= 0) & ((np.uint64(1) << np.maximum(lead, 0).astype(np.uint64)) & bits > 0)
        any_ok = (cm & bits) > 0
        prob = np.where(lead_ok, w.funders.share[j], np.where(any_ok, 0.5 * w.funders.share[j], 0.0))
        hit = np.flatnonzero(rng.random(n) < prob)
        two = hit[rng.random(len(hit)) < 0.2]
        for h in (hit, two):
            fw.append(h)
            ff.append(np.full(len(h), j))
            num = rng.integers(0, 10 ** int(w.funders.digits[j]), len(h))
            padded = pc.utf8_lpad(
                pc.cast(pa.array(num, pa.int64()), pa.string()), int(w.funders.digits[j]), "0"
            )
            fa.append(
                np.asarray(
                    pc.binary_join_element_wise(str(w.funders.prefix[j]), padded, "").to_numpy(
                        zero_copy_only=False
                    ),
                    dtype=object,
                )
            )
    fw_a, ff_a = np.concatenate(fw), np.concatenate(ff)
    award = np.concatenate(fa).astype(object)
    award[rng.random(len(award)) < 0.1] = None
    order = np.lexsort((ff_a, fw_a))
    fw_a, ff_a, award = fw_a[order], ff_a[order], award[order]
    keep = np.r_[True, (fw_a[1:] != fw_a[:-1]) | (ff_a[1:] != ff_a[:-1]) | (award[1:] != award[:-1])]
    fw_a, ff_a, award = fw_a[keep], ff_a[keep], award[keep]
    # As OpenAlex's records read: a funder gets a row without an award only when the
    # work names no award of it (the ingest's rule, docs/ingest-openalex.md).
    no_award = np.array([a is None for a in award], dtype=bool)
    _, grp = np.unique(fw_a.astype(np.int64) * (len(w.funders.ids) + 1) + ff_a, return_inverse=True)
    has_award = np.zeros(int(grp.max()) + 1 if len(grp) else 0, dtype=bool)
    np.logical_or.at(has_award, grp, ~no_award)
    keep = ~no_award | ~has_award[grp]
    fw_a, ff_a, award = fw_a[keep], ff_a[keep], award[keep]
    work_funders = _table(
        "work_funders",
        {
            "work_id": wid.take(pa.array(fw_a)),
            "funder_id": w.funders.ids[ff_a],
            "award_id": award,
            "_version": (w0 + fw_a).astype(np.int64),
        },
    )
    tables = {
        "works": works,
        "authorships": authorships,
        "affiliations": affiliations,
        "work_funders": work_funders,
    }
    return tables, {"aff_slot": rows_i, "slot_work": s_work, "funder_work": fw_a, "funder_idx": ff_a}


def entity_tables(w: World) -> dict[str, pa.Table]:
    """institutions, institution_lineage, authors, author_affiliations and funders."""
    inst, car = w.inst, w.careers
    when = w.updated(0)
    n_i = len(inst)
    iv = np.arange(n_i, dtype=np.int64)
    institutions = _table(
        "institutions",
        {
            "institution_id": inst.ids,
            # Stored bare, as the OpenAlex ingest stores them (docs/ingest-openalex.md).
            "ror": pc.replace_substring(pa.array(inst.ror, pa.string()), "https://ror.org/", ""),
            "name": inst.name,
            "name_ja": inst.name_ja,
            "country_code": w.codes[inst.country],
            "type": inst.type,
            "_entity": np.ones(n_i, np.int8),
            "updated_date": pa.array([when] * n_i, pa.timestamp("us")),
            "_version": iv,
        },
    )
    # One level: a child's parent is a top institution of the world, so depth 1 — what the
    # merge derives from the lineages too (model/lineage.py; it recomputes every depth).
    kid = np.flatnonzero(inst.parent >= 0)
    lineage = _table(
        "institution_lineage",
        {
            "institution_id": np.r_[inst.ids, inst.ids[kid]],
            "ancestor_id": np.r_[inst.ids, inst.ids[inst.parent[kid]]],
            "depth": np.r_[np.zeros(n_i, np.int32), np.ones(len(kid), np.int32)],
            "_version": np.r_[iv, iv[kid]],
        },
    )
    a = np.flatnonzero(w.author_used)
    authors = _table(
        "authors",
        {
            "author_id": ids("A", a),
            "orcid": pc.replace_substring(w.author_orcid.take(pa.array(a)), "https://orcid.org/", ""),
            "name": w.author_name.take(pa.array(a)),
            "_entity": np.ones(len(a), np.int8),
            "updated_date": pa.array([when] * len(a), pa.timestamp("us")),
            "_version": a.astype(np.int64),
        },
    )
    act = car.plan_i[a] >= 0
    ai, yi = np.nonzero(act)
    aa = _table(
        "author_affiliations",
        {
            "author_id": ids("A", a[ai]),
            "institution_id": pa.array(inst.ids).take(pa.array(car.plan_i[a[ai], yi])),
            "year": (yi + int(w.params.years[0])).astype(np.int32),
            "_version": a[ai].astype(np.int64),
        },
    )
    nf = len(w.funders.ids)
    funders = _table(
        "funders",
        {
            "funder_id": w.funders.ids,
            "name": w.funders.name,
            "country_code": w.funders.country,
            "_entity": np.ones(nf, np.int8),
            "updated_date": pa.array([when] * nf, pa.timestamp("us")),
            "_version": np.arange(nf, dtype=np.int64),
        },
    )
    return {
        "institutions": institutions,
        "institution_lineage": lineage,
        "authors": authors,
        "author_affiliations": aa,
        "funders": funders,
    }
