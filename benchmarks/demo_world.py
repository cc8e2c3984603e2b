"""Time the demo world at 1,000,000 and 5,000,000 works, with peak memory; print JSON.

Each size runs in a fresh subprocess so its peak resident memory
(``resource.getrusage``) is its own. At 1,000,000 works it also recomputes the
2022 international co-authorship rates of the seven NISTEP countries from the
store (DuckDB SQL on the Parquet files) and compares them with NISTEP's.

    .venv/bin/python benchmarks/demo_world.py [--sizes 1000000 5000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NISTEP_2022 = {"GB": 74.4, "FR": 65.7, "DE": 63.2, "US": 46.7, "JP": 35.9, "KR": 35.3, "CN": 20.8}


def _one(works: int, seed: int, check: bool) -> dict[str, object]:
    from kakehashi.ingest.demo import build_demo
    from kakehashi.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="kakehashi-demo-bench-"))
    try:
        store = Store.open(tmp / "store", create=True)
        t0 = time.perf_counter()
        report = build_demo(store, works=works, seed=seed)
        seconds = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size_mb = sum(f.stat().st_size for f in (tmp / "store").rglob("*") if f.is_file()) / 2**20
        out: dict[str, object] = {
            "works": works,
            "seed": seed,
            "seconds": round(seconds, 1),
            "peak_rss_mb": round(peak_mb),
            "store_mb": round(size_mb),
            "rows": report.rows,
        }
        if check:
            import duckdb

            d = str(tmp / "store")
            sql = f"""
            WITH wc AS (SELECT DISTINCT a.work_id, a.country_code
                        FROM read_parquet('{d}/affiliations/*.parquet') a WHERE a.country_code IS NOT NULL),
                 n AS (SELECT work_id, count(*) AS k FROM wc GROUP BY work_id)
            SELECT wc.country_code, 100.0 * avg(CASE WHEN n.k >= 2 THEN 1 ELSE 0 END) AS pp_intl,
                   count(*) AS p_whole
            FROM wc JOIN n USING (work_id) JOIN read_parquet('{d}/works/*.parquet') w USING (work_id)
            WHERE w.year = 2022 AND wc.country_code IN ('GB','FR','DE','US','JP','KR','CN')
            GROUP BY 1"""
            got = {r[0]: (round(r[1], 2), r[2]) for r in duckdb.sql(sql).fetchall()}
            out["intl_2022"] = {
                c: {
                    "nistep": v,
                    "demo": got[c][0],
                    "p_whole": got[c][1],
                    "diff_points": round(got[c][0] - v, 2),
                }
                for c, v in NISTEP_2022.items()
            }
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[1_000_000, 5_000_000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_one(args.child, args.seed, args.child <= 1_000_000)))
        return
    runs = []
    for n in args.sizes:
        res = subprocess.run(
            [sys.executable, __file__, "--child", str(n), "--seed", str(args.seed)],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
    print(
        json.dumps(
            {
                "benchmark": "demo_world",
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "runs": runs,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
