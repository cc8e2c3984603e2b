"""Time `mobility-flows` three ways on one demo store; print JSON (issue 4's last point).

    .venv/bin/python benchmarks/mobility.py                  # 1,000,000 works (~30 s to build)
    .venv/bin/python benchmarks/mobility.py --quick          # 100,000 works
    .venv/bin/python benchmarks/mobility.py --store DIR      # reuse a store (built there if empty)

On the same Parquet files of a demo store (``build_demo(..., works=N, seed=1)``)
it computes ``mobility-flows`` (every country × year; DESIGN.md "Mobility"
rules 1–6 with the default thresholds: visits of at most 2 years, a one-year
look-back for ties, one work a year) three ways:

- ``kakehashi``: ``mobility_flows(open_store(store, "duckdb"), Scope())``,
  the package's Ibis window pipeline, executed with ``.to_pyarrow()``;
- ``sql``: hand-written DuckDB SQL over ``read_parquet('DIR/<table>/*.parquet')``,
  one statement written as one would by hand (the same window functions);
- ``pandas``: a straightforward pandas version (read the Parquet files, then
  drop_duplicates / groupby / sort / shift / cumsum).

The script checks that the three agree (same rows, every column equal up to
1e-9) and says so. Each implementation runs in its own subprocess: a warm-up,
then the best of ``--repeat`` (3) timed runs; peak memory is the process's RSS
sampled every 5 ms by psutil, beside the RSS after imports. The ratio is
seconds / the SQL's seconds (target from issue 4: kakehashi ≤ 2).
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

IMPLS = ("kakehashi", "sql", "pandas")
KEYS = ["country", "year"]
COLUMNS = [
    "transfers_in",
    "transfers_out",
    "returns",
    "visits_out",
    "visits_in",
    "net_flow",
    "stayers",
    "active_authors",
]
TOLERANCE = 1e-9
VISIT_MAX = 2


def kakehashi_flows(d: Path, engine: str = "duckdb") -> Any:
    from kakehashi.engines import open_store
    from kakehashi.indicators import Scope, mobility_flows
    from kakehashi.store import Store

    return mobility_flows(open_store(Store.open(d), engine), Scope()).to_pyarrow()


def _src(d: Path, table: str) -> str:
    return f"read_parquet('{d / table}/*.parquet')"


def sql_flows(d: Path) -> Any:
    q = f"""
    WITH u AS (     -- per work, each distinct institution (or raw country) counts 1
        SELECT DISTINCT author_id, work_id, country_code AS country, institution_id
        FROM {_src(d, "affiliations")}
        WHERE author_id IS NOT NULL AND country_code IS NOT NULL),
    cnt AS (
        SELECT u.author_id, w.year, u.country, count(*) AS n
        FROM u JOIN {_src(d, "works")} w USING (work_id) GROUP BY ALL),
    ix AS (
        SELECT *, dense_rank() OVER (PARTITION BY author_id ORDER BY year) AS idx FROM cnt),
    tie AS (        -- the country's affiliations in the previous active year break a tie
        SELECT a.*, coalesce(p.n, 0) AS prev_n
        FROM ix a LEFT JOIN ix p
          ON p.author_id = a.author_id AND p.country = a.country AND p.idx = a.idx - 1),
    main AS (
        SELECT author_id, year, country AS main FROM (
            SELECT *, row_number() OVER (PARTITION BY author_id, year
                                         ORDER BY n DESC, prev_n DESC, country) AS r FROM tie)
        WHERE r = 1),
    ay AS (
        SELECT *, lag(main) OVER w AS prev_main, first_value(main) OVER w AS origin
        FROM main WINDOW w AS (PARTITION BY author_id ORDER BY year)),
    mv AS (
        SELECT author_id, year, prev_main AS src, main AS dst, origin,
               lead(prev_main) OVER w AS nsrc, lead(main) OVER w AS ndst, lead(year) OVER w AS nyear
        FROM ay WHERE prev_main <> main
        WINDOW w AS (PARTITION BY author_id ORDER BY year)),
    lk AS (
        SELECT *, coalesce(nsrc = dst AND ndst = src AND nyear - year <= {VISIT_MAX}, false) AS link
        FROM mv),
    st AS (
        SELECT *, CASE WHEN lag(link) OVER (PARTITION BY author_id ORDER BY year) THEN 0 ELSE 1 END
               AS start FROM lk),
    runs AS (
        SELECT *, sum(start) OVER (PARTITION BY author_id ORDER BY year
                                   ROWS UNBOUNDED PRECEDING) AS run FROM st),
    pos AS (
        SELECT *, row_number() OVER (PARTITION BY author_id, run ORDER BY year) - 1 AS p FROM runs),
    k AS (
        SELECT *, CASE WHEN p % 2 = 1 THEN 'return_leg' WHEN link THEN 'visit'
                       ELSE 'transfer' END AS kind FROM pos),
    ev AS (
        SELECT main AS country, year, 0 AS ti, 0 AS tout, 0 AS ret, 0 AS vout, 0 AS vin,
               (prev_main IS NOT NULL AND prev_main = main)::INT AS stay, 1 AS act FROM ay
        UNION ALL
        SELECT dst, year, (kind = 'transfer')::INT, 0, (kind = 'transfer' AND dst = origin)::INT,
               0, (kind = 'visit')::INT, 0, 0 FROM k WHERE kind <> 'return_leg'
        UNION ALL
        SELECT src, year, 0, (kind = 'transfer')::INT, 0, (kind = 'visit')::INT, 0, 0, 0
        FROM k WHERE kind <> 'return_leg')
    SELECT country, year, sum(ti) AS transfers_in, sum(tout) AS transfers_out,
           sum(ret) AS returns, sum(vout) AS visits_out, sum(vin) AS visits_in,
           sum(ti) - sum(tout) AS net_flow, sum(stay) AS stayers, sum(act) AS active_authors
    FROM ev GROUP BY country, year ORDER BY country, year
    """
    con = duckdb_connect()
    try:
        return con.sql(q).to_arrow_table()
    finally:
        con.close()


def pandas_flows(d: Path) -> Any:
    import numpy as np
    import pandas as pd

    aff = pd.read_parquet(
        d / "affiliations", columns=["work_id", "author_id", "institution_id", "country_code"]
    )
    works = pd.read_parquet(d / "works", columns=["work_id", "year"])
    a = aff.dropna(subset=["author_id", "country_code"]).drop_duplicates()
    a = a.merge(works, on="work_id")
    cnt = a.groupby(["author_id", "year", "country_code"], as_index=False).size()
    cnt = cnt.rename(columns={"country_code": "country", "size": "n"})
    cnt["idx"] = cnt.groupby("author_id")["year"].rank(method="dense").astype("int64")
    prev = cnt[["author_id", "country", "idx", "n"]].rename(columns={"n": "prev_n"})
    prev["idx"] += 1
    cnt = cnt.merge(prev, on=["author_id", "country", "idx"], how="left")
    cnt["prev_n"] = cnt["prev_n"].fillna(0)
    cnt = cnt.sort_values(["author_id", "year", "n", "prev_n", "country"], ascending=[1, 1, 0, 0, 1])
    ay = cnt.drop_duplicates(["author_id", "year"])[["author_id", "year", "country"]]
    ay = ay.rename(columns={"country": "main"}).reset_index(drop=True)
    g = ay.groupby("author_id")
    ay["prev_main"] = g["main"].shift()
    ay["origin"] = g["main"].transform("first")
    mv = ay[ay["prev_main"].notna() & (ay["prev_main"] != ay["main"])]
    mv = mv.rename(columns={"prev_main": "src", "main": "dst"}).reset_index(drop=True)
    g = mv.groupby("author_id")
    nsrc, ndst, nyear = g["src"].shift(-1), g["dst"].shift(-1), g["year"].shift(-1)
    mv["link"] = (nsrc == mv["dst"]) & (ndst == mv["src"]) & (nyear - mv["year"] <= VISIT_MAX)
    start = ~mv.groupby("author_id")["link"].shift(fill_value=False).astype(bool)
    mv["run"] = start.astype(int).groupby(mv["author_id"]).cumsum()
    mv["p"] = mv.groupby(["author_id", "run"]).cumcount()
    mv["kind"] = np.where(mv["p"] % 2 == 1, "return_leg", np.where(mv["link"], "visit", "transfer"))
    mv = mv[mv["kind"] != "return_leg"]
    tr, vi = mv["kind"] == "transfer", mv["kind"] == "visit"
    parts = [
        pd.DataFrame(
            {
                "country": ay["main"],
                "year": ay["year"],
                "stayers": (ay["prev_main"] == ay["main"]).astype(int),
                "active_authors": 1,
            }
        ),
        pd.DataFrame(
            {
                "country": mv["dst"],
                "year": mv["year"],
                "transfers_in": tr.astype(int),
                "returns": (tr & (mv["dst"] == mv["origin"])).astype(int),
                "visits_in": vi.astype(int),
            }
        ),
        pd.DataFrame(
            {
                "country": mv["src"],
                "year": mv["year"],
                "transfers_out": tr.astype(int),
                "visits_out": vi.astype(int),
            }
        ),
    ]
    ev = pd.concat(parts).fillna(0)
    out = ev.groupby(["country", "year"], as_index=False).sum(numeric_only=True)
    out["net_flow"] = out["transfers_in"] - out["transfers_out"]
    return out[[*KEYS, *COLUMNS]]


RUNNERS = {"kakehashi": kakehashi_flows, "sql": sql_flows, "pandas": pandas_flows}


def _child(impl: str, store: Path, out: Path, repeat: int, warmup: int) -> dict[str, Any]:
    import kakehashi.indicators  # noqa: F401  (imports counted in the baseline, not the timing)

    run = RUNNERS[impl]
    with PeakRSS() as mem:
        timings, result = time_runs(lambda: run(store), repeat, warmup)
    frame = to_pandas(result)
    frame.to_parquet(out, index=False)
    return {"impl": impl, **measured(timings, mem), "rows": len(frame)}


def _spawn(impl: str, store: Path, out: Path, repeat: int, warmup: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", impl, "--store", str(store), "--out", str(out)]
    cmd += ["--repeat", str(repeat), "--warmup", str(warmup)]
    return spawn_or_exit(cmd, impl)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--works", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 works")
    ap.add_argument("--store", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.store, args.out, args.repeat, args.warmup)))
        return

    import pandas as pd
    import pyarrow.parquet as pq

    works = 100_000 if args.quick else args.works
    with tempfile.TemporaryDirectory(prefix="kakehashi-mob-bench-") as tmp_:
        tmp = Path(tmp_)
        store = args.store or tmp / "store"
        build_s = demo_store(store, works)
        n_works = sum(pq.ParquetFile(f).metadata.num_rows for f in (store / "works").glob("*.parquet"))
        n_aff = sum(pq.ParquetFile(f).metadata.num_rows for f in (store / "affiliations").glob("*.parquet"))
        runs, frames = {}, {}
        for impl in IMPLS:
            out = tmp / f"{impl}.parquet"
            runs[impl] = _spawn(impl, store, out, args.repeat, args.warmup)
            frames[impl] = pd.read_parquet(out)
    sql_s = runs["sql"]["seconds"]
    check = compare(frames, KEYS, COLUMNS, tolerance=TOLERANCE)
    result = {
        "benchmark": "mobility-flows",
        "works": n_works,
        "affiliation_rows": n_aff,
        "store_build_seconds": round(build_s, 1) if build_s is not None else None,
        "timing": f"best of {args.repeat} after {args.warmup} warm-up, each in its own process",
        "machine": machine_info(),
        "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
        "seconds": {k: round(v["seconds"], 3) for k, v in runs.items()},
        "all_seconds": {k: v["all_seconds"] for k, v in runs.items()},
        "ratio_kakehashi_sql": round(runs["kakehashi"]["seconds"] / sql_s, 2),
        "ratio_pandas_sql": round(runs["pandas"]["seconds"] / sql_s, 2),
        "peak_rss_mb": {k: v["peak_rss_mb"] for k, v in runs.items()},
        "rss_after_imports_mb": {k: v["rss_after_imports_mb"] for k, v in runs.items()},
        "target": "kakehashi <= 2 x hand-written SQL",
        "target_met": runs["kakehashi"]["seconds"] / sql_s <= 2,
        "versions_agree": check["agree"],
        "check": check,
    }
    print(json.dumps(result, indent=1))
    print(f"versions agree: {check['agree']}", file=sys.stderr)


if __name__ == "__main__":
    main()
