# ruff: noqa: E501  (the README below is a Markdown table)
"""What the demo world planted, written to the store's ``truth/`` folder.

The indicators of issues 3 and 4 must recover these: international
co-authorship rates and Japan's slow growth (S-4), partner preferences
(D-3, D-10), planted moves — transfers, visits, returns — with career stage
(M-1, M-2, D-1, D-5), and the WPI-like centres (M-2).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kakehashi.ingest._demo_careers import VISIT
from kakehashi.ingest._demo_works import no_country_share, works_per_year
from kakehashi.ingest._demo_world import World, ids

__all__ = ["planted_moves", "write_truth"]

S4 = ("US", "CN", "DE", "GB", "FR", "KR", "JP")

README = """# truth/ — what the demo world planted (SYNTHETIC)

The demo world is synthetic. These files hold what its generator planted, so
that tests and users can check that the indicators recover it. Expected
counts are at this world's size (`parameters.json`: works, seed).

| file | one row per | what |
|---|---|---|
| `intl_rates.parquet` | country × year | `pp_intl` planted international co-authorship rate (share of the country's works, whole count, with 2+ countries; realised exactly up to rounding), `p_whole`, `p_intl` expected counts. 2022 values of GB, FR, DE, US, JP, KR, CN are NISTEP's S&T Indicators 2024 (S-4). |
| `s4_growth.parquet` | country (the seven) | expected `p_intl` 2012 and 2022, `cagr_intl`, `rank` (1 = slowest): Japan is planted slowest (S-4). |
| `partners.parquet` | year × country × partner | `draw_weight` (probability that an international work led by `country` draws `partner`), expected `n_ab`, `share_of_intl` = n_ab / p_intl(country) (D-3, D-10). |
| `moves.parquet` | planted move | `author_id`, `kind` (transfer / visit), `from`, `to`, `year` (arrival year of the move; a visit's outgoing leg), `is_return` (a transfer back to the origin), `years_away` (visits), `stage` (early 0-5 / mid 6-15 / senior 16+ years since the first active year) (M-1, M-2, D-1, D-5). Only moves whose years the author was active in are listed. |
| `mobility_flows.parquet` | country × year | planted `transfers_in`, `transfers_out`, `returns`, `visits_out`, `visits_in`, `active_authors` (authors with that main country that year), and `*_full_scale`: the same scaled by real OpenAlex works / demo works (MPIDR: Japan 2019 about 5,400 in, 5,600 out). |
| `wpi_centres.parquet` | WPI-like centre | `institution_id`, names, `host_institution_id` (lineage parent), `start_year`, `field_id`; planted international, highly cited, with many foreign-origin researchers (M-2). |
| `parameters.json` | — | the parameter file used (`demo_params.toml`), the seed and the number of works. |
"""

#: real OpenAlex works per year with a country, roughly (approx; for the full-scale projection)
FULL_SCALE_WORKS_2019 = 5_500_000


def _stage(age: np.ndarray) -> np.ndarray:
    return np.where(age <= 5, "early", np.where(age <= 15, "mid", "senior")).astype(object)


def planted_moves(w: World) -> dict[str, np.ndarray]:
    """The planted moves whose years are realised (the author published in each)."""
    car = w.careers
    y0 = int(w.params.years[0])
    a, t = car.ev_author, car.ev_year.astype(int) - y0
    away = car.ev_away.astype(int)
    pc = car.plan_c
    ok = (pc[a, t - 1] == car.ev_from) & (pc[a, t] == car.ev_to)
    vis = car.ev_kind == VISIT
    tb = np.where(vis, t + away, t)
    ok &= ~vis | ((pc[a, np.minimum(tb, pc.shape[1] - 1)] == car.ev_from) & (pc[a, tb - 1] == car.ev_to))
    a, t, away, kind = a[ok], t[ok], away[ok], car.ev_kind[ok]
    return {
        "author": a,
        "author_id": np.asarray(ids("A", a).to_pylist(), dtype=object),
        "kind": np.where(kind == VISIT, "visit", "transfer").astype(object),
        "from": w.codes[car.ev_from[ok]],
        "to": w.codes[car.ev_to[ok]],
        "year": (t + y0).astype(np.int32),
        "is_return": (kind != VISIT) & (car.ev_to[ok] == car.origin[a]),
        "years_away": np.where(kind == VISIT, away, 0).astype(np.int8),
        "stage": _stage(t + y0 - car.first[a].astype(int)),
    }


def write_truth(w: World, folder: Path) -> None:
    p, cal = w.params, w.cal
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(README, encoding="utf-8")
    nc = works_per_year(p, w.n_works) * (1 - no_country_share(p))
    cc, yy = np.meshgrid(np.arange(p.n_countries), np.arange(len(p.years)), indexing="ij")
    pq.write_table(
        pa.table(
            {
                "country": w.codes[cc.ravel()],
                "year": p.years[yy.ravel()].astype(np.int32),
                "pp_intl": p.rate.ravel(),
                "p_whole": ((cal.intl + cal.domestic) * nc[None, :]).ravel(),
                "p_intl": (cal.intl * nc[None, :]).ravel(),
            }
        ),
        folder / "intl_rates.parquet",
    )
    i12, i22 = p.year_index(2012), p.year_index(2022)
    rows = [(c, cal.intl[p.cidx(c), i12] * nc[i12], cal.intl[p.cidx(c), i22] * nc[i22]) for c in S4]
    cagr = np.array([(b / a) ** (1 / 10) - 1 for _, a, b in rows])
    pq.write_table(
        pa.table(
            {
                "country": [r[0] for r in rows],
                "p_intl_2012": [r[1] for r in rows],
                "p_intl_2022": [r[2] for r in rows],
                "cagr_intl": cagr,
                "rank": (np.argsort(np.argsort(cagr)) + 1).astype(np.int32),
            }
        ),
        folder / "s4_growth.parquet",
    )
    yy3, aa, bb = np.meshgrid(
        np.arange(len(p.years)), np.arange(p.n_countries), np.arange(p.n_countries), indexing="ij"
    )
    m = aa != bb
    n_ab = cal.pairs * nc[:, None, None]
    p_intl = (cal.intl.T * nc[:, None])[:, :, None]
    pq.write_table(
        pa.table(
            {
                "year": p.years[yy3[m]].astype(np.int32),
                "country": w.codes[aa[m]],
                "partner": w.codes[bb[m]],
                "draw_weight": p.partner_w[m],
                "n_ab": n_ab[m],
                "share_of_intl": (n_ab / p_intl)[m],
            }
        ),
        folder / "partners.parquet",
    )
    mv = planted_moves(w)
    pq.write_table(pa.table({k: v for k, v in mv.items() if k != "author"}), folder / "moves.parquet")
    _flows(w, mv, folder)
    inst = w.inst
    cen = np.flatnonzero(inst.wpi >= 0)
    pq.write_table(
        pa.table(
            {
                "institution_id": inst.ids[cen],
                "name": inst.name[cen],
                "name_ja": inst.name_ja[cen],
                "host_institution_id": inst.ids[inst.parent[cen]],
                "start_year": inst.wpi_start[cen],
                "field_id": np.array(
                    [p.raw["wpi"]["centres"][k]["field"] for k in inst.wpi[cen]], dtype=np.int32
                ),
            }
        ),
        folder / "wpi_centres.parquet",
    )
    (folder / "parameters.json").write_text(
        json.dumps(
            {"synthetic": True, "works": w.n_works, "seed": w.seed, "parameters": p.raw},
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )


def _flows(w: World, mv: dict[str, np.ndarray], folder: Path) -> None:
    p = w.params
    c_all, ny = p.n_countries, len(p.years)
    y = mv["year"] - int(p.years[0])
    ci = {c: i for i, c in enumerate(w.codes)}
    f = np.array([ci[c] for c in mv["from"]], dtype=int)
    t = np.array([ci[c] for c in mv["to"]], dtype=int)
    tr, vi = mv["kind"] == "transfer", mv["kind"] == "visit"

    def grid(country: np.ndarray, mask: np.ndarray) -> np.ndarray:
        g = np.zeros((c_all, ny), dtype=np.int64)
        np.add.at(g, (country[mask], y[mask]), 1)
        return g

    active = np.stack(
        [
            np.bincount(w.careers.plan_c[:, j][w.careers.plan_c[:, j] >= 0], minlength=c_all)
            for j in range(ny)
        ],
        axis=1,
    )
    cols = {
        "transfers_in": grid(t, tr),
        "transfers_out": grid(f, tr),
        "returns": grid(t, tr & mv["is_return"]),
        "visits_out": grid(f, vi),
        "visits_in": grid(t, vi),
        "active_authors": active,
    }
    nc = works_per_year(p, w.n_works) * (1 - no_country_share(p))
    scale = FULL_SCALE_WORKS_2019 / nc[p.year_index(2019)]
    cc, yy = np.meshgrid(np.arange(c_all), np.arange(ny), indexing="ij")
    data: dict[str, object] = {"country": w.codes[cc.ravel()], "year": p.years[yy.ravel()].astype(np.int32)}
    for k, v in cols.items():
        data[k] = v.ravel()
        if k in ("transfers_in", "transfers_out"):
            data[f"{k}_full_scale"] = np.rint(v.ravel() * scale).astype(np.int64)
    pq.write_table(pa.table(data), folder / "mobility_flows.parquet")
