"""Time `collaboration` (fractional) and `impact` three ways on one demo store; print JSON.

    .venv/bin/python benchmarks/indicators.py                  # 1,000,000 works, ~20 s to build
    .venv/bin/python benchmarks/indicators.py --quick          # 100,000 works
    .venv/bin/python benchmarks/indicators.py --store DIR      # reuse a store (built there if empty)

On the same Parquet files of a demo store (``build_demo(..., works=N, seed=1)``)
it computes two figures, each three ways:

- ``kakehashi``: the package's Ibis expression on DuckDB
  (``collaboration(open_store(store, "duckdb"), Scope())`` and
  ``impact(..., Scope(resamples=0))``), executed with ``.to_pyarrow()``;
- ``sql``: hand-written DuckDB SQL over ``read_parquet('DIR/<table>/*.parquet')``,
  written as one would by hand (one statement; the citation distribution of
  each reference set aggregated to distinct citation counts before the tie
  rule is applied);
- ``pandas``: a straightforward pandas version (read the Parquet files into
  DataFrames, then groupby/merge).

The figures are those of DESIGN.md's indicator contract: ``collaboration``
per country × year (p_whole, p_frac, p_intl, pp_intl, foreign_contribution,
p_industry; unknown countries dropped before splitting, author-level weights
1/(n_authors·n_affiliations)); ``impact`` per country × year × scope
(all/intl/domestic, whole counting: p, mncs, p_top10, pp_top10, p_top1,
pp_top1, rank_top10) with the reference sets of ``impact.normalised`` and the
Leiden tie rule in integer comparisons. The script checks that the three
versions agree (same rows, max abs difference per column < 1e-9) and says so:
a benchmark whose versions disagree is worthless. kakehashi's impact with the
default 1,000 bootstrap resamples (stability intervals; the SQL and pandas
versions have none) is timed as its own line, outside the ratios.

Each (implementation, figure) runs in its own subprocess: a warm-up, then the
best of ``--repeat`` (3) timed runs; its peak memory is that process's RSS
sampled every 5 ms by psutil (``getrusage``'s max RSS would carry over the
parent's peak, which built the store), beside the RSS after imports. Ratios are
seconds / the SQL's seconds (target from issue 3: kakehashi ≤ 1.3).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from _measure import (
    PeakRSS,
    compare,
    demo_store,
    duckdb_connect,
    machine_info,
    measured,
    spawn_or_exit,
    time_runs,
    to_pandas,
)

FIGURES = ("collaboration", "impact")
IMPLS = ("kakehashi", "sql", "pandas")
KEYS = {"collaboration": ["country", "year"], "impact": ["country", "year", "scope"]}
COLUMNS = {
    "collaboration": ["p_whole", "p_frac", "p_intl", "pp_intl", "foreign_contribution", "p_industry"],
    "impact": ["p", "mncs", "p_top10", "pp_top10", "p_top1", "pp_top1", "rank_top10"],
}
TOLERANCE = 1e-9


# -- kakehashi -----------------------------------------------------------------
def kakehashi_collaboration(d: Path, engine: str = "duckdb") -> Any:
    from kakehashi.engines import open_store
    from kakehashi.indicators import collaboration
    from kakehashi.indicators.scope import Scope
    from kakehashi.store import Store

    t = open_store(Store.open(d), engine)
    return collaboration(t, Scope()).to_pyarrow()


def _kakehashi_impact(d: Path, resamples: int, engine: str) -> Any:
    from kakehashi.engines import open_store
    from kakehashi.indicators import impact
    from kakehashi.indicators.scope import Scope
    from kakehashi.store import Store

    t = open_store(Store.open(d), engine)
    return impact(t, Scope(resamples=resamples)).to_pyarrow()


def kakehashi_impact(d: Path, engine: str = "duckdb") -> Any:
    return _kakehashi_impact(d, 0, engine)


def kakehashi_impact_bootstrap(d: Path) -> Any:
    return _kakehashi_impact(d, 1000, "duckdb")


# -- hand-written DuckDB SQL ---------------------------------------------------
def _src(d: Path, table: str) -> str:
    return f"read_parquet('{d / table}/*.parquet')"


def sql_collaboration(d: Path) -> Any:
    q = f"""
    WITH a AS (  -- known affiliations only: unknown countries drop out before splitting
        SELECT work_id, author_seq, country_code AS country
        FROM {_src(d, "affiliations")} WHERE country_code IS NOT NULL),
    au AS (      -- per author: 1/n_affiliations; n_authors = authors with a known affiliation
        SELECT work_id, author_seq, 1.0 / count(*) AS inv_aff,
               count(*) OVER (PARTITION BY work_id) AS n_auth
        FROM a GROUP BY work_id, author_seq),
    wc AS (      -- per work and country: the fractional weight
        SELECT a.work_id, a.country, sum(au.inv_aff / au.n_auth) AS w
        FROM a JOIN au USING (work_id, author_seq) GROUP BY a.work_id, a.country),
    ind AS (     -- works with an institution of type company, anywhere in the work
        SELECT DISTINCT f.work_id
        FROM {_src(d, "affiliations")} f JOIN {_src(d, "institutions")} i USING (institution_id)
        WHERE i.type = 'company')
    SELECT wc.country, w.year,
           count(*) AS p_whole,
           sum(wc.w) AS p_frac,
           count(*) FILTER (WHERE n_c >= 2) AS p_intl,
           count(*) FILTER (WHERE n_c >= 2) / count(*) AS pp_intl,
           count(*) - sum(wc.w) AS foreign_contribution,
           count(ind.work_id) AS p_industry
    FROM (SELECT *, count(*) OVER (PARTITION BY work_id) AS n_c FROM wc) wc
    JOIN {_src(d, "works")} w USING (work_id)
    LEFT JOIN ind USING (work_id)
    GROUP BY wc.country, w.year
    ORDER BY wc.country, w.year
    """
    con = duckdb_connect()
    try:
        return con.sql(q).to_arrow_table()
    finally:
        con.close()


def sql_impact(d: Path) -> Any:
    q = f"""
    WITH wc AS (  -- whole counting: one row per (work, known country)
        SELECT DISTINCT work_id, country_code AS country
        FROM {_src(d, "affiliations")} WHERE country_code IS NOT NULL),
    nc AS (
        SELECT work_id, country, count(*) OVER (PARTITION BY work_id) AS n_c FROM wc),
    r AS (        -- reference sets: works with a field and a known country
        SELECT work_id, field_id, year, type, coalesce(cited_by_count, 0) AS c
        FROM {_src(d, "works")}
        WHERE field_id IS NOT NULL AND work_id IN (SELECT work_id FROM wc)),
    dist AS (     -- each set's citation distribution: eq = #(c = t), above = #(c > t)
        SELECT field_id, year, type, c, count(*) AS eq,
               coalesce(sum(count(*)) OVER (PARTITION BY field_id, year, type ORDER BY c DESC
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::BIGINT AS above,
               sum(count(*)) OVER (PARTITION BY field_id, year, type)::BIGINT AS n,
               sum(sum(c)) OVER (PARTITION BY field_id, year, type)
                   / sum(count(*)) OVER (PARTITION BY field_id, year, type) AS mean
        FROM r GROUP BY field_id, year, type, c),
    v AS (        -- per work: ncs and the Leiden weights, compared in integers
        SELECT r.work_id, r.year,
               CASE WHEN mean > 0 THEN r.c / mean ELSE 1.0 END AS ncs,
               CASE WHEN 10 * (above + eq) <= n THEN 1.0
                    WHEN 10 * above <= n THEN (n - 10 * above)::DOUBLE / (10 * eq) ELSE 0.0 END AS top10,
               CASE WHEN 100 * (above + eq) <= n THEN 1.0
                    WHEN 100 * above <= n THEN (n - 100 * above)::DOUBLE / (100 * eq) ELSE 0.0 END AS top1
        FROM r JOIN dist USING (field_id, year, type, c)),
    cells AS (
        SELECT country, year,
               CASE WHEN grouping(n_c >= 2) = 1 THEN 'all'
                    WHEN n_c >= 2 THEN 'intl' ELSE 'domestic' END AS scope,
               count(*)::DOUBLE AS p, sum(ncs) AS s_ncs, sum(top10) AS p_top10, sum(top1) AS p_top1
        FROM nc JOIN v USING (work_id)
        GROUP BY GROUPING SETS ((country, year), (country, year, n_c >= 2)))
    SELECT country, year, scope, p, s_ncs / p AS mncs, p_top10, p_top10 / p AS pp_top10,
           p_top1, p_top1 / p AS pp_top1,
           rank() OVER (PARTITION BY year, scope ORDER BY round(p_top10, 9) DESC) AS rank_top10
    FROM cells
    ORDER BY country, year, scope
    """
    con = duckdb_connect()
    try:
        return con.sql(q).to_arrow_table()
    finally:
        con.close()


# -- straightforward pandas ----------------------------------------------------
def _read(d: Path, table: str, columns: list[str]) -> Any:
    import pandas as pd

    return pd.read_parquet(d / table, columns=columns)


def pandas_collaboration(d: Path) -> Any:
    aff = _read(d, "affiliations", ["work_id", "author_seq", "institution_id", "country_code"])
    works = _read(d, "works", ["work_id", "year"])
    inst = _read(d, "institutions", ["institution_id", "type"])

    a = aff[aff["country_code"].notna()].rename(columns={"country_code": "country"})
    a = a.assign(n_aff=a.groupby(["work_id", "author_seq"])["country"].transform("size"))
    n_auth = a.drop_duplicates(["work_id", "author_seq"]).groupby("work_id").size().rename("n_auth")
    a = a.merge(n_auth, left_on="work_id", right_index=True)
    a["w"] = 1.0 / (a["n_auth"] * a["n_aff"])
    wc = a.groupby(["work_id", "country"], as_index=False)["w"].sum()
    wc["intl"] = wc.groupby("work_id")["country"].transform("size") >= 2
    companies = inst.loc[inst["type"] == "company", "institution_id"]
    industry = aff.loc[aff["institution_id"].isin(companies), "work_id"].unique()
    wc["industry"] = wc["work_id"].isin(industry)
    wc = wc.merge(works, on="work_id")
    out = wc.groupby(["country", "year"], as_index=False).agg(
        p_whole=("w", "size"), p_frac=("w", "sum"), p_intl=("intl", "sum"), p_industry=("industry", "sum")
    )
    out["pp_intl"] = out["p_intl"] / out["p_whole"]
    out["foreign_contribution"] = out["p_whole"] - out["p_frac"]
    return out[["country", "year", *COLUMNS["collaboration"]]]


def _top(d: int, n: Any, above: Any, eq: Any) -> Any:
    import numpy as np

    return np.where(d * (above + eq) <= n, 1.0, np.where(d * above <= n, (n - d * above) / (d * eq), 0.0))


def pandas_impact(d: Path) -> Any:
    import pandas as pd

    aff = _read(d, "affiliations", ["work_id", "country_code"])
    works = _read(d, "works", ["work_id", "year", "type", "field_id", "cited_by_count"])

    wc = aff[aff["country_code"].notna()].drop_duplicates().rename(columns={"country_code": "country"})
    wc["intl"] = wc.groupby("work_id")["country"].transform("size") >= 2
    r = works[works["field_id"].notna() & works["work_id"].isin(wc["work_id"])].copy()
    r["c"] = r["cited_by_count"].fillna(0).astype("int64")
    ref = ["field_id", "year", "type"]
    g = r.groupby(ref, dropna=False)["c"]
    n = g.transform("size").to_numpy()
    mean = g.transform("mean").to_numpy()
    above = (g.rank(method="min", ascending=False).to_numpy() - 1).astype("int64")
    eq = r.groupby([*ref, "c"], dropna=False)["c"].transform("size").to_numpy()
    c = r["c"].to_numpy()
    r["ncs"] = pd.Series(c / mean, index=r.index).where(mean > 0, 1.0)
    r["top10"] = _top(10, n, above, eq)
    r["top1"] = _top(100, n, above, eq)
    rows = wc.merge(r[["work_id", "year", "ncs", "top10", "top1"]], on="work_id")
    rows["scope"] = rows["intl"].map({True: "intl", False: "domestic"})
    both = pd.concat([rows.assign(scope="all"), rows])
    out = both.groupby(["country", "year", "scope"], as_index=False).agg(
        p=("ncs", "size"), mncs=("ncs", "mean"), p_top10=("top10", "sum"), p_top1=("top1", "sum")
    )
    out["p"] = out["p"].astype("float64")
    out["pp_top10"] = out["p_top10"] / out["p"]
    out["pp_top1"] = out["p_top1"] / out["p"]
    out["rank_top10"] = (
        out["p_top10"].round(9).groupby([out["year"], out["scope"]]).rank(method="min", ascending=False)
    ).astype("int64")
    return out[["country", "year", "scope", *COLUMNS["impact"]]]


RUNNERS = {
    ("kakehashi", "collaboration"): kakehashi_collaboration,
    ("sql", "collaboration"): sql_collaboration,
    ("pandas", "collaboration"): pandas_collaboration,
    ("kakehashi", "impact"): kakehashi_impact,
    ("sql", "impact"): sql_impact,
    ("pandas", "impact"): pandas_impact,
    ("kakehashi", "impact_bootstrap"): kakehashi_impact_bootstrap,
}


# -- one implementation in its own process -------------------------------------
def _child(impl: str, figure: str, store: Path, out: Path, repeat: int, warmup: int) -> dict[str, Any]:
    import kakehashi.indicators  # noqa: F401  (imports counted in the baseline, not the timing)

    run = RUNNERS[(impl, figure)]
    with PeakRSS() as mem:
        timings, result = time_runs(lambda: run(store), repeat, warmup)
    frame = to_pandas(result)
    frame.to_parquet(out, index=False)
    return {"impl": impl, "figure": figure, **measured(timings, mem), "rows": len(frame)}


def _spawn(impl: str, figure: str, store: Path, out: Path, repeat: int, warmup: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", impl, figure, "--store", str(store), "--out", str(out)]
    cmd += ["--repeat", str(repeat), "--warmup", str(warmup)]
    return spawn_or_exit(cmd, f"{impl} {figure}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--works", type=int, default=1_000_000, help="works in the demo store built")
    ap.add_argument("--quick", action="store_true", help="100,000 works")
    ap.add_argument("--store", type=Path, help="reuse this store (built there first if it has no works)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per implementation (best kept)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    ap.add_argument("--no-bootstrap", action="store_true", help="skip the 1,000-resample impact line")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        impl, figure = args.child
        print(json.dumps(_child(impl, figure, args.store, args.out, args.repeat, args.warmup)))
        return

    import pandas as pd
    import pyarrow.parquet as pq

    works = 100_000 if args.quick else args.works
    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="kakehashi-ind-bench-") as tmp_:
        tmp = Path(tmp_)
        store = args.store or tmp / "store"
        build_s = demo_store(store, works)
        n_works = sum(pq.ParquetFile(f).metadata.num_rows for f in (store / "works").glob("*.parquet"))
        figures: dict[str, Any] = {}
        for figure in FIGURES:
            runs, frames = {}, {}
            for impl in IMPLS:
                out = tmp / f"{impl}-{figure}.parquet"
                runs[impl] = _spawn(impl, figure, store, out, args.repeat, args.warmup)
                frames[impl] = pd.read_parquet(out)
            sql_s = runs["sql"]["seconds"]
            figures[figure] = {
                "seconds": {k: round(v["seconds"], 3) for k, v in runs.items()},
                "ratio_kakehashi_sql": round(runs["kakehashi"]["seconds"] / sql_s, 2),
                "ratio_pandas_sql": round(runs["pandas"]["seconds"] / sql_s, 2),
                "peak_rss_mb": {k: v["peak_rss_mb"] for k, v in runs.items()},
                "rss_after_imports_mb": {k: v["rss_after_imports_mb"] for k, v in runs.items()},
                "all_seconds": {k: v["all_seconds"] for k, v in runs.items()},
                "check": compare(frames, KEYS[figure], COLUMNS[figure], tolerance=TOLERANCE),
            }
        boot = None
        if not args.no_bootstrap:
            b = _spawn("kakehashi", "impact_bootstrap", store, tmp / "boot.parquet", 1, 0)
            boot = {"resamples": 1000, "seconds": round(b["seconds"], 3), "peak_rss_mb": b["peak_rss_mb"]}
    agree = all(f["check"]["agree"] for f in figures.values())
    result = {
        "benchmark": "indicators",
        "works": n_works,
        "store": str(args.store) if args.store else None,
        "store_build_seconds": round(build_s, 1) if build_s is not None else None,
        "timing": f"best of {args.repeat} after {args.warmup} warm-up, each in its own process",
        "machine": machine,
        "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
        "versions_agree": agree,
        "tolerance": TOLERANCE,
        "target": "kakehashi <= 1.3 x hand-written SQL",
        "target_met": {f: v["ratio_kakehashi_sql"] <= 1.3 for f, v in figures.items()},
        **figures,
        "impact_bootstrap_kakehashi": boot,
    }
    print(json.dumps(result, indent=1))
    print(f"versions agree: {agree}", file=sys.stderr)


if __name__ == "__main__":
    main()
