"""The benchmark suite of issue 6 in one command; prints JSON with the machine it ran on.

    .venv/bin/python benchmarks/run.py --quick              # 100,000 and 1,000,000 works, < 10 min
    .venv/bin/python benchmarks/run.py --full --out f.json  # 100,000, 1,000,000 and 5,000,000 works
    .venv/bin/python benchmarks/run.py --full --sizes 50000 # the full run's every step, small

For each size N of the synthetic demo world (seed 1):

1. **Ingest** (at the ``--ingest-sizes``: in ``--quick`` the smallest size
   only, since writing 1,000,000 works as OpenAlex JSON alone takes minutes;
   in ``--full`` every size): the world is written as an OpenAlex snapshot
   (``write_demo_openalex``: works, authors, institutions and funders as
   gzipped JSON Lines), then on the same files DuckDB's bare
   ``read_json(columns=…)`` → Parquet, entity by entity with kakehashi's raw
   schemas (``benchmarks/ingest.py``'s ``duckdb_copy``), and kakehashi's whole
   ingest into a fresh store (``ingest_openalex``); MB/s are of the gzipped
   input. Spark's ingest (session start timed apart) is timed only where
   ``ingest_openalex`` takes an ``engine`` parameter, and in ``--quick`` only
   with ``--spark-ingest`` (it takes minutes even at 100,000 works);
   otherwise the result says it was not measured and why.
   The ingested store is the one the indicators then read; at the other
   sizes ``build_demo`` builds the same world straight into a store.
2. **Indicators** ``collaboration`` (fractional), ``impact`` (no bootstrap)
   and ``mobility-flows``: kakehashi on DuckDB, the hand-written DuckDB SQL
   and, up to 1,000,000 works, the pandas version of
   ``benchmarks/indicators.py`` and ``benchmarks/mobility.py``, each in its
   own process (``--warmup`` untimed runs, best of ``--repeat``); then
   kakehashi on Spark (local mode, every core), all three figures once each
   in one fresh session per size (session start and a trivial warm-up query
   timed apart). Every version must agree with the SQL (same rows, every
   column within 1e-9) and the result says whether it did.
3. **biblium** (the most-used Python bibliometric package that reads
   OpenAlex exports; the ``bench`` extra), where the OpenAlex snapshot exists
   and N ≤ 1,000,000: the works are written as the OpenAlex web export's CSV
   (lists flattened and joined by ``|``, the columns biblium maps), then
   biblium reads it (``BiblioAnalysis(db="oa")``), builds its country
   collaboration matrix (``get_country_collaboration()``) and counts
   countries (``count_all_countries()``); its numbers are compared with
   kakehashi's ``collaboration`` and ``partners`` on the same works, and each
   difference is explained by a count on the store.

Peak memory is each process's resident set sampled every 5 ms (with its
children: Spark's JVM). Ratios are against baselines measured in the same
run; scaling exponents are log(time ratio) / log(size ratio) between
successive sizes (1 = linear). Targets (issue 6): ``collaboration`` and
``impact`` ≤ 1.3× the SQL, ``mobility-flows`` ≤ 2×, ingest ≥ 60 % of DuckDB's
raw throughput, 5,000,000 works within 8 GB, time no faster than linear in
size. Per-vCPU throughputs and the estimate for the full OpenAlex snapshot
(``--snapshot-works``, ``--snapshot-gb``, ``--price-per-vcpu-hour``) are
derived from the figures of the largest size measured.
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import indicators
import mobility
from _measure import (
    MEMORY_LIMIT_ENV,
    PeakRSS,
    compare,
    demo_store,
    duckdb_connect,
    machine_info,
    measured,
    spawn,
    time_runs,
    to_pandas,
)

QUICK_SIZES = (100_000, 1_000_000)
FULL_SIZES = (100_000, 1_000_000, 5_000_000)
PANDAS_MAX = BIBLIUM_MAX = 1_000_000
TOLERANCE = 1e-9
RATIO_TARGETS = {"collaboration": 1.3, "impact": 1.3, "mobility-flows": 2.0}
INGEST_TARGET = 0.6
MEMORY_TARGET_GB, MEMORY_TARGET_WORKS = 8.0, 5_000_000
FOCUS = "JP"  # the country whose partner counts are compared with biblium's matrix

#: figure -> (kakehashi, hand-written SQL, pandas, key columns, value columns)
FIGURES: dict[
    str, tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any], list[str], list[str]]
] = {
    "collaboration": (
        indicators.kakehashi_collaboration,
        indicators.sql_collaboration,
        indicators.pandas_collaboration,
        indicators.KEYS["collaboration"],
        indicators.COLUMNS["collaboration"],
    ),
    "impact": (
        indicators.kakehashi_impact,
        indicators.sql_impact,
        indicators.pandas_impact,
        indicators.KEYS["impact"],
        indicators.COLUMNS["impact"],
    ),
    "mobility-flows": (
        mobility.kakehashi_flows,
        mobility.sql_flows,
        mobility.pandas_flows,
        mobility.KEYS,
        mobility.COLUMNS,
    ),
}
IMPL_INDEX = {"kakehashi": 0, "sql": 1, "pandas": 2}


# -- children: one measurement each ---------------------------------------------
def child_world(a: dict[str, Any]) -> dict[str, Any]:
    from kakehashi.ingest.demo import write_demo_openalex

    with PeakRSS() as mem:
        timings, report = time_runs(lambda: write_demo_openalex(Path(a["dir"]), works=a["works"]), 1, 0)
    (Path(a["dir"]) / ".complete").touch()
    return {**measured(timings, mem), "files": report.files}


def _snapshot_files(folder: Path) -> tuple[dict[str, list[str]], int]:
    from kakehashi.ingest.snapshot import find_files

    found, _ = find_files([folder / "data"])
    by_entity: dict[str, list[str]] = {}
    for f in found:
        by_entity.setdefault(f.entity, []).append(str(f.path))
    return by_entity, sum(f.size for f in found)


def child_raw(a: dict[str, Any]) -> dict[str, Any]:
    """DuckDB's bare read_json(columns=…) → Parquet over every entity's files."""
    from ingest import duckdb_copy, raw_columns

    files, nbytes = _snapshot_files(Path(a["oa"]))
    out = Path(a["out"])
    out.mkdir(parents=True, exist_ok=True)
    with PeakRSS() as mem:
        timings, per_entity = time_runs(
            lambda: {
                e: round(duckdb_copy(paths, out / f"{e}.parquet", raw_columns(e)), 3)
                for e, paths in sorted(files.items())
            },
            1,
            0,
        )
    shutil.rmtree(out, ignore_errors=True)
    return {**measured(timings, mem), "per_entity_seconds": per_entity, "bytes": nbytes}


def child_ingest(a: dict[str, Any]) -> dict[str, Any]:
    from kakehashi.ingest.openalex import ingest_openalex
    from kakehashi.settings import Settings
    from kakehashi.store import Store

    kw: dict[str, Any] = {"engine": a["engine"]} if a["engine"] != "duckdb" else {}
    store = Store.open(Path(a["store"]), create=True)
    settings = Settings.load(config_file=None)
    extra = {}
    with PeakRSS(interval=0.02 if kw else 0.005) as mem:
        if kw:  # the session's start is a fixed cost, timed apart
            from kakehashi.engines.spark import session

            t0 = time.perf_counter()
            session(settings.spark_master, settings.spark_driver_memory)
            extra["session_start_seconds"] = round(time.perf_counter() - t0, 2)
        timings, report = time_runs(lambda: ingest_openalex(store, [a["oa"]], settings=settings, **kw), 1, 0)
    _, nbytes = _snapshot_files(Path(a["oa"]))
    counts = {"records": report.records, "works": report.works, "bytes": nbytes}
    return {**measured(timings, mem), **extra, **counts}


def child_build(a: dict[str, Any]) -> dict[str, Any]:
    with PeakRSS() as mem:
        timings, seconds = time_runs(lambda: demo_store(Path(a["store"]), a["works"]), 1, 0)
    return {**measured(timings, mem), "reused": seconds is None}


def child_figure(a: dict[str, Any]) -> dict[str, Any]:
    import kakehashi.indicators  # noqa: F401  (imports counted in the baseline, not the timing)

    run = FIGURES[a["figure"]][IMPL_INDEX[a["impl"]]]
    store = Path(a["store"])
    with PeakRSS() as mem:
        timings, result = time_runs(lambda: run(store), a["repeat"], a["warmup"])
    frame = to_pandas(result)
    frame.to_parquet(a["out"], index=False)
    return {**measured(timings, mem), "rows": len(frame)}


def child_spark(a: dict[str, Any]) -> dict[str, Any]:
    """Every figure once on Spark, in one fresh session."""
    import kakehashi.indicators  # noqa: F401
    from kakehashi.engines.spark import session

    store, out = Path(a["store"]), Path(a["outdir"])
    with PeakRSS(interval=0.02) as mem:
        t0 = time.perf_counter()
        spark = session()
        start = time.perf_counter() - t0
        t0 = time.perf_counter()
        spark.range(1000).selectExpr("sum(id)").collect()  # JVM warm-up, outside every figure
        warm = time.perf_counter() - t0
        figures = {}
        for name in a["figures"]:
            timings, result = time_runs(lambda name=name: FIGURES[name][0](store, "spark"), 1, 0)
            frame = to_pandas(result)
            frame.to_parquet(out / f"{name}.kakehashi_spark.parquet", index=False)
            figures[name] = {
                "seconds": timings.wall[0],
                "cpu_seconds": round(timings.cpu[0], 3),
                "rows": len(frame),
            }
    return {
        "session_start_seconds": round(start, 2),
        "warmup_query_seconds": round(warm, 2),
        "figures": figures,
        "rss_after_imports_mb": round(mem.base_mb),
        "peak_rss_mb": round(mem.peak_mb),
    }


# The OpenAlex web export flattens each list into one cell joined by "|"; these are the
# columns of it that biblium maps (its "variable names.xlsx", column "open alex").
_EXPORT_SQL = """
COPY (SELECT id, display_name, publication_year, type, cited_by_count,
    array_to_string(list_transform(authorships, lambda a: a.author.id), '|') AS "authorships.author.id",
    array_to_string(flatten(list_transform(authorships,
        lambda a: list_transform(a.institutions, lambda i: i.country_code))), '|')
        AS "authorships.institutions.country_code",
    array_to_string(flatten(list_transform(authorships, lambda a: a.countries)), '|')
        AS "authorships.countries"
  FROM read_json(?, format='newline_delimited', columns={columns}))
TO '{out}' (FORMAT csv, HEADER)
"""


def child_csv(a: dict[str, Any]) -> dict[str, Any]:
    files, _ = _snapshot_files(Path(a["oa"]))
    columns = (
        "{'id': 'VARCHAR', 'display_name': 'VARCHAR', 'publication_year': 'INTEGER', 'type': 'VARCHAR', "
        "'cited_by_count': 'BIGINT', 'authorships': 'STRUCT(author STRUCT(id VARCHAR), "
        "institutions STRUCT(country_code VARCHAR)[], countries VARCHAR[])[]'}"
    )
    con = duckdb_connect()
    with PeakRSS() as mem:
        timings, _ = time_runs(
            lambda: con.execute(_EXPORT_SQL.format(columns=columns, out=a["csv"]), [files["works"]]), 1, 0
        )
    return {**measured(timings, mem), "bytes": Path(a["csv"]).stat().st_size}


def child_biblium(a: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    from biblium import BiblioAnalysis, __version__, utilsbib

    import_s = time.perf_counter() - t0
    seconds = {"import": round(import_s, 3)}
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        ba = BiblioAnalysis(a["csv"], db="oa", res_folder=None, verbose=False)
        seconds["read"] = time.perf_counter() - t0
        # count first: get_country_collaboration rewrites the codes as country names in place
        t0 = time.perf_counter()
        counts = ba.count_all_countries()
        seconds["count_all_countries"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        ba.get_country_collaboration()
        seconds["get_country_collaboration"] = time.perf_counter() - t0
    m = ba.country_collab_matrix
    out = {
        "matrix": [[str(i), str(j), int(m.loc[i, j])] for i in m.index for j in m.columns if m.loc[i, j]],
        "counts": [
            [str(r["Country"]), int(r["Number of documents"]), float(r["Fractional number of documents"])]
            for _, r in counts.iterrows()
        ],
        "code_to_name": dict(utilsbib.code_dct_r),
        "documents": int(ba.n),
    }
    Path(a["out"]).write_text(json.dumps(out))
    return {
        "version": __version__,
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "analysis_seconds": round(sum(v for k, v in seconds.items() if k != "import"), 3),
        "rss_after_imports_mb": round(mem.base_mb),
        "peak_rss_mb": round(mem.peak_mb),
    }


CHILDREN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "world": child_world,
    "raw": child_raw,
    "ingest": child_ingest,
    "build": child_build,
    "figure": child_figure,
    "spark": child_spark,
    "csv": child_csv,
    "biblium": child_biblium,
}


# -- the parent ----------------------------------------------------------------
class Runner:
    def __init__(self, timeout: float, log: Callable[[str], None]) -> None:
        self.timeout = timeout
        self.log = log

    def __call__(self, kind: str, what: str, **args: Any) -> dict[str, Any]:
        self.log(f"  {what} …")
        t0 = time.perf_counter()
        cmd = [sys.executable, __file__, "--child", kind, json.dumps(args, default=str)]
        out = spawn(cmd, timeout=self.timeout)
        wall = time.perf_counter() - t0
        self.log(f"  {what}: {'FAILED ' + out['error'] if 'error' in out else 'done'} ({wall:.0f} s)")
        return out


def _rounded(d: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in d.items()}


def _exponent(t1: float, t2: float, n1: int, n2: int) -> float:
    return round(math.log(t2 / t1) / math.log(n2 / n1), 3)


def spark_ingest_supported() -> bool:
    from kakehashi.ingest.openalex import ingest_openalex

    return "engine" in inspect.signature(ingest_openalex).parameters


def measure_ingest(
    run: Runner, d: Path, n: int, reuse: bool, spark: bool, quick: bool
) -> tuple[dict[str, Any], Path | None]:
    oa = d / "openalex"
    res: dict[str, Any] = {}
    if reuse and (oa / ".complete").exists():
        res["write_openalex"] = {"reused": True}
    else:
        shutil.rmtree(oa, ignore_errors=True)
        res["write_openalex"] = _rounded(run("world", "write the world as OpenAlex JSON", dir=oa, works=n))
        if "error" in res["write_openalex"]:
            return res, None
    raw = run("raw", "DuckDB read_json(columns=…) → Parquet", oa=oa, out=d / "raw")
    store = d / "store-ingest"
    shutil.rmtree(store, ignore_errors=True)
    ours = run("ingest", "kakehashi ingest (DuckDB)", oa=oa, store=store, engine="duckdb")
    res["duckdb_raw"], res["kakehashi_duckdb"] = _rounded(raw), _rounded(ours)
    if "error" not in raw and "error" not in ours:
        mb = raw["bytes"] / 1e6
        res["mb_gz"] = round(mb, 1)
        res["mb_per_s"] = {
            "duckdb_raw": round(mb / raw["seconds"], 2),
            "kakehashi": round(mb / ours["seconds"], 2),
        }
        res["works_per_s_kakehashi"] = round(ours["works"] / ours["seconds"])
        res["ratio_kakehashi_duckdb_raw"] = round(raw["seconds"] / ours["seconds"], 3)
        res["cpu_ratio_kakehashi_duckdb_raw"] = round(raw["cpu_seconds"] / ours["cpu_seconds"], 3)
    if not spark:
        why = "--quick leaves it out for time (--spark-ingest adds it)" if quick else "--no-spark"
        res["kakehashi_spark"] = {"measured": False, "reason": why}
    elif spark_ingest_supported():
        sp = d / "store-ingest-spark"
        shutil.rmtree(sp, ignore_errors=True)
        res["kakehashi_spark"] = _rounded(
            run("ingest", "kakehashi ingest (Spark)", oa=oa, store=sp, engine="spark")
        )
        spark_s = res["kakehashi_spark"].get("seconds")
        if spark_s and "mb_gz" in res:
            res["mb_per_s"]["kakehashi_spark"] = round(res["mb_gz"] / spark_s, 2)
            res["ratio_kakehashi_spark_duckdb_raw"] = round(raw["seconds"] / spark_s, 3)
        shutil.rmtree(sp, ignore_errors=True)
    else:
        res["kakehashi_spark"] = {
            "measured": False,
            "reason": "ingest_openalex has no engine parameter in this commit (Spark ingest not there yet)",
        }
    return res, (store if "error" not in ours else None)


def measure_figures(
    run: Runner, store: Path, d: Path, n: int, repeat: int, warmup: int, spark: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    impls = ["kakehashi", "sql"] + (["pandas"] if n <= PANDAS_MAX else [])
    for figure in FIGURES:
        runs = {}
        for impl in impls:
            runs[impl] = run(
                "figure",
                f"{figure}: {impl}",
                figure=figure,
                impl=impl,
                store=store,
                out=d / f"{figure}.{impl}.parquet",
                repeat=repeat,
                warmup=warmup,
            )
        out[figure] = {"runs": runs}
    if spark:
        sp = run("spark", "Spark: every figure once", store=store, outdir=d, figures=list(FIGURES))
        for figure in FIGURES:
            if "error" in sp:
                out[figure]["runs"]["kakehashi_spark"] = sp
            else:
                out[figure]["runs"]["kakehashi_spark"] = {
                    **sp["figures"][figure],
                    "peak_rss_mb_session": sp["peak_rss_mb"],
                }
        out["spark_session"] = {k: v for k, v in sp.items() if k != "figures"}
    else:
        out["spark_session"] = {"measured": False, "reason": "--no-spark"}

    import pandas as pd

    for figure, (_, _, _, keys, cols) in FIGURES.items():
        f = out[figure]
        ok = {k: v for k, v in f["runs"].items() if "error" not in v}
        f["seconds"] = {k: round(v["seconds"], 3) for k, v in ok.items()}
        f["cpu_seconds"] = {k: round(v["cpu_seconds"], 3) for k, v in ok.items()}
        f["peak_rss_mb"] = {k: v.get("peak_rss_mb", v.get("peak_rss_mb_session")) for k, v in ok.items()}
        if "sql" in ok:
            f["ratio_to_sql"] = {k: round(s / ok["sql"]["seconds"], 3) for k, s in f["seconds"].items()}
            sql_cpu = ok["sql"]["cpu_seconds"]
            f["cpu_ratio_to_sql"] = {k: round(s / sql_cpu, 3) for k, s in f["cpu_seconds"].items()}
            frames = {k: pd.read_parquet(d / f"{figure}.{k}.parquet") for k in ok}
            f["check"] = compare(frames, keys, cols, tolerance=TOLERANCE)
    return out


def _name_groups(code_to_name: dict[str, str], codes: set[str]) -> dict[str, list[str]]:
    """biblium's country label -> the ISO codes it stands for (codes it has no name for stay codes)."""
    groups: dict[str, list[str]] = {}
    for c in sorted(codes):
        groups.setdefault(code_to_name.get(c, c), []).append(c)
    return groups


def compare_biblium(b: dict[str, Any], d: Path, store: Path) -> dict[str, Any]:
    """biblium's country figures against kakehashi's on the same works, each difference explained."""
    import duckdb
    import pandas as pd

    from kakehashi.engines import open_store
    from kakehashi.indicators import Scope, partners
    from kakehashi.store import Store

    collab = pd.read_parquet(d / "collaboration.kakehashi.parquet")
    per = collab.groupby("country")[["p_whole", "p_frac"]].sum()
    aff = f"read_parquet('{store}/affiliations/*.parquet')"
    # what biblium counts, computed on the store: authorships with the country, and each
    # work split equally over its distinct countries
    alt = duckdb.sql(
        f"""WITH a AS (SELECT DISTINCT work_id, author_seq, country_code FROM {aff}
                       WHERE country_code IS NOT NULL),
                 w AS (SELECT DISTINCT work_id, country_code FROM a),
                 k AS (SELECT work_id, 1.0 / count(*) AS f FROM w GROUP BY work_id)
            SELECT c.country_code AS country, c.n AS authorships, f.frac AS country_fractional
            FROM (SELECT country_code, count(*) AS n FROM a GROUP BY 1) c
            JOIN (SELECT country_code, sum(f) AS frac FROM w JOIN k USING (work_id) GROUP BY 1) f
            USING (country_code)"""
    ).df()
    alt = alt.set_index("country")
    t = open_store(Store.open(store), "duckdb")
    part = partners(t, Scope(country=FOCUS)).to_pyarrow().to_pandas().set_index("partner")["n_ab"]

    groups = _name_groups(b["code_to_name"], set(per.index))
    matrix = {(i, j): n for i, j, n in b["matrix"]}
    labels = {i for i, _ in matrix}

    def k_sum(series: Any, label: str) -> float:
        return float(sum(series.get(c, 0) for c in groups.get(label, [label])))

    diag = {lab: (matrix.get((lab, lab), 0), k_sum(per["p_whole"], lab)) for lab in labels | set(groups)}
    focus = b["code_to_name"].get(FOCUS, FOCUS)
    pairs = {lab: (matrix.get((focus, lab), 0), k_sum(part, lab)) for lab in (labels | set(groups)) - {focus}}
    counts = {c: (n, f) for c, n, f in b["counts"]}

    def tally(pairs_: dict[str, tuple[float, float]], fn: Callable[[float, float], bool]) -> dict[str, Any]:
        bad = {k: v for k, v in pairs_.items() if not fn(*v)}
        return {
            "labels": len(pairs_),
            "agree": len(pairs_) - len(bad),
            "disagree_examples": dict(list(bad.items())[:5]),
        }

    merged = {lab: cs for lab, cs in groups.items() if len(cs) > 1}
    return {
        "matrix_diagonal_vs_p_whole": {
            "as_returned": tally(diag, lambda x, y: x == y),
            "halved": tally(diag, lambda x, y: x / 2 == y),
            "note": "biblium adds the matrix to its transpose, diagonal included, so a country's "
            "diagonal is twice its works (its docstring says 'total documents per country').",
        },
        f"matrix_row_{FOCUS}_vs_partners_n_ab": tally(pairs, lambda x, y: x == y),
        "count_all_countries_documents_vs_p_whole": tally(
            {c: (v[0], float(per["p_whole"].get(c, 0))) for c, v in counts.items()}, lambda x, y: x == y
        ),
        "count_all_countries_documents_vs_authorships_with_country": tally(
            {c: (v[0], float(alt["authorships"].get(c, 0))) for c, v in counts.items()}, lambda x, y: x == y
        ),
        "count_all_countries_fractional_vs_p_frac": tally(
            {c: (v[1], float(per["p_frac"].get(c, 0))) for c, v in counts.items()},
            lambda x, y: abs(x - y) < 1e-6,
        ),
        "count_all_countries_fractional_vs_country_level_fraction": tally(
            {c: (v[1], float(alt["country_fractional"].get(c, 0))) for c, v in counts.items()},
            lambda x, y: abs(x - y) < 1e-6,
        ),
        "labels_merging_several_codes": merged,
        "notes": [
            "biblium's 'Number of documents' counts every occurrence in the flattened "
            "authorships.countries cell, i.e. authorships with the country, not works.",
            "biblium's 'Fractional number of documents' splits each work equally over its distinct "
            "countries (country-level); kakehashi's p_frac splits it over authors, then each author's "
            "affiliations (author-level, as the Leiden Ranking), so they differ by design.",
            "biblium names countries (code -> name); codes sharing a name are merged: "
            + (", ".join(f"{k}: {'+'.join(v)}" for k, v in merged.items()) or "none among these works"),
        ],
    }


def measure_biblium(run: Runner, d: Path, oa: Path, store: Path) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("biblium")
    except PackageNotFoundError:
        return {
            "measured": False,
            "reason": "biblium is not installed (pip install -c constraints.txt -e '.[bench]')",
        }
    csv = d / "works-openalex-export.csv"
    exp = run("csv", "write the works as the OpenAlex CSV export", oa=oa, csv=csv)
    if "error" in exp:
        return {"measured": False, "version": installed, "csv_export": exp}
    b = run(
        "biblium",
        "biblium: read, count_all_countries, get_country_collaboration",
        csv=csv,
        out=d / "biblium.json",
    )
    res: dict[str, Any] = {"version": installed, "csv_export": _rounded(exp), **b}
    if "error" not in b:
        res["agreement"] = compare_biblium(json.loads((d / "biblium.json").read_text()), d, store)
    csv.unlink(missing_ok=True)
    return res


def scaling(sizes: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Exponents of time against size between successive sizes, for every series measured at both."""
    ns = sorted(sizes)
    out: dict[str, Any] = {}
    series: dict[str, dict[int, float]] = {}
    for n in ns:
        s = sizes[n]
        for figure in FIGURES:
            for impl, sec in s.get("figures", {}).get(figure, {}).get("seconds", {}).items():
                series.setdefault(f"{figure}/{impl}", {})[n] = sec
        ing = s.get("ingest", {})
        for k in ("duckdb_raw", "kakehashi_duckdb", "kakehashi_spark"):
            if "seconds" in ing.get(k, {}):
                series.setdefault(f"ingest/{k}", {})[n] = ing[k]["seconds"]
    for name, pts in series.items():
        got = sorted(pts)
        steps = {
            f"{a}->{b}": _exponent(pts[a], pts[b], a, b) for a, b in itertools.pairwise(got) if pts[a] > 0
        }
        if steps:
            out[name] = steps
    return out


def targets(sizes: dict[int, dict[str, Any]], exps: dict[str, Any]) -> list[dict[str, Any]]:
    res: list[dict[str, Any]] = []
    for n, s in sorted(sizes.items()):
        for figure, limit in RATIO_TARGETS.items():
            f = s.get("figures", {}).get(figure, {})
            r = f.get("ratio_to_sql", {}).get("kakehashi")
            if r is not None:
                res.append(
                    {
                        "target": f"{figure} <= {limit}x hand-written SQL",
                        "works": n,
                        "value": r,
                        "cpu_value": f["cpu_ratio_to_sql"]["kakehashi"],
                        "met": r <= limit,
                    }
                )
        ing = s.get("ingest", {})
        r = ing.get("ratio_kakehashi_duckdb_raw")
        if r is not None:
            res.append(
                {
                    "target": ">= 60% of DuckDB raw ingest",
                    "works": n,
                    "value": r,
                    "cpu_value": ing["cpu_ratio_kakehashi_duckdb_raw"],
                    "met": r >= INGEST_TARGET,
                }
            )
    big = sizes.get(MEMORY_TARGET_WORKS)
    if big is None:
        res.append({"target": "5,000,000 works within 8 GB", "measured": False, "reason": "size not run"})
    else:
        peaks = {}
        for figure in FIGURES:
            for impl, mb in big.get("figures", {}).get(figure, {}).get("peak_rss_mb", {}).items():
                if impl.startswith("kakehashi") and mb is not None:
                    peaks[f"{figure}/{impl}"] = mb
        for k in ("kakehashi_duckdb", "kakehashi_spark"):
            if "peak_rss_mb" in big.get("ingest", {}).get(k, {}):
                peaks[f"ingest/{k}"] = big["ingest"][k]["peak_rss_mb"]
        worst = max(peaks.values()) / 1024 if peaks else None
        res.append(
            {
                "target": "5,000,000 works within 8 GB",
                "works": MEMORY_TARGET_WORKS,
                "value_gb": round(worst, 2) if worst is not None else None,
                "peaks_mb": peaks,
                "met": worst is not None and worst <= MEMORY_TARGET_GB,
            }
        )
    for name, steps in exps.items():
        if name.startswith(
            ("ingest/kakehashi", "collaboration/kakehashi", "impact/kakehashi", "mobility-flows/kakehashi")
        ):
            worst = max(steps.values())
            res.append({"target": f"{name} no faster than linear", "value": worst, "met": worst <= 1.0})
    return res


def _priced(vcpu_hours: float, cpu_hours: float, usd_per_hour: float) -> dict[str, float]:
    return {
        "vcpu_hours": round(vcpu_hours, 2),
        "usd": round(vcpu_hours * usd_per_hour, 2),
        "cpu_hours": round(cpu_hours, 2),
        "usd_cpu": round(cpu_hours * usd_per_hour, 2),
    }


def per_vcpu(sizes: dict[int, dict[str, Any]], cpus: int, args: argparse.Namespace) -> dict[str, Any]:
    """Cost per vCPU at the largest size measured, and what the full snapshot would cost.

    ``vcpu_*`` charge wall seconds × every vCPU of the machine (what renting it costs, an upper
    bound on a shared machine); ``cpu_*`` the CPU seconds the process and its children used (a
    lower bound: the cores it kept busy).
    """
    out: dict[str, Any] = {
        "assumptions": {
            "snapshot_works": args.snapshot_works,
            "snapshot_gb_gz": args.snapshot_gb,
            "price_usd_per_vcpu_hour": args.price_per_vcpu_hour,
            "vcpus_used": cpus,
            "scaling": "linear in works (or in gzipped bytes) from the largest size measured",
        }
    }
    usd = args.price_per_vcpu_hour
    ing = [(n, s["ingest"]) for n, s in sorted(sizes.items()) if "mb_gz" in s.get("ingest", {})]
    if ing:
        n, i = ing[-1]
        for engine in ("kakehashi_duckdb", "kakehashi_spark"):
            m = i.get(engine, {})
            if "seconds" not in m:
                continue
            vcpu_s, cpu_s = m["seconds"] * cpus, m["cpu_seconds"]
            by_bytes = args.snapshot_gb * 1000 / i["mb_gz"] * vcpu_s / 3600
            by_works = args.snapshot_works / m["works"] * vcpu_s / 3600
            cpu_by_bytes = args.snapshot_gb * 1000 / i["mb_gz"] * cpu_s / 3600
            cpu_by_works = args.snapshot_works / m["works"] * cpu_s / 3600
            vh, ch = max(by_bytes, by_works), max(cpu_by_bytes, cpu_by_works)
            out[f"ingest/{engine}"] = {
                "from_works": n,
                "mb_gz": i["mb_gz"],
                "seconds": m["seconds"],
                "cpu_seconds": cpu_s,
                "mb_gz_per_vcpu_second": round(i["mb_gz"] / vcpu_s, 3),
                "works_per_vcpu_second": round(m["works"] / vcpu_s, 1),
                "vcpu_hours_by_bytes": round(by_bytes, 1),
                "vcpu_hours_by_works": round(by_works, 1),
                **_priced(vh, ch, usd),
            }
    figs: dict[str, Any] = {}
    for n, s in sorted(sizes.items()):
        for figure in FIGURES:
            f = s.get("figures", {}).get(figure, {})
            for impl in ("kakehashi", "kakehashi_spark"):
                sec, cpu = f.get("seconds", {}).get(impl), f.get("cpu_seconds", {}).get(impl)
                if sec and cpu:
                    per_m, cpu_per_m = sec * cpus / (n / 1e6), cpu / (n / 1e6)
                    vh = per_m * args.snapshot_works / 1e6 / 3600
                    ch = cpu_per_m * args.snapshot_works / 1e6 / 3600
                    figs[f"{figure}/{impl}"] = {
                        "from_works": n,
                        "vcpu_seconds_per_million_works": round(per_m, 2),
                        "cpu_seconds_per_million_works": round(cpu_per_m, 2),
                        **_priced(vh, ch, usd),
                    }
    out["indicators"] = figs
    return out


def summary(result: dict[str, Any]) -> str:
    lines = [f"kakehashi benchmarks ({result['mode']}), {result['wall_seconds']:.0f} s"]
    for n, s in sorted(result["sizes"].items(), key=lambda kv: int(kv[0])):
        lines.append(f"{int(n):,} works")
        ing = s.get("ingest")
        if ing and "mb_per_s" in ing:
            mbs = ing["mb_per_s"]
            lines.append(
                f"  ingest {mbs['kakehashi']} MB/s vs DuckDB raw {mbs['duckdb_raw']} MB/s"
                f" = {ing['ratio_kakehashi_duckdb_raw']:.2f}"
                + (f"; Spark ingest {mbs['kakehashi_spark']} MB/s" if "kakehashi_spark" in mbs else "")
            )
        for figure in FIGURES:
            f = s.get("figures", {}).get(figure, {})
            secs = ", ".join(f"{k} {v:.2f} s" for k, v in f.get("seconds", {}).items())
            ratio = f.get("ratio_to_sql", {})
            agree = f.get("check", {}).get("agree")
            cpu = f.get("cpu_ratio_to_sql", {}).get("kakehashi")
            lines.append(
                f"  {figure}: {secs}; kakehashi/SQL {ratio.get('kakehashi')} (CPU {cpu}), Spark/SQL "
                f"{ratio.get('kakehashi_spark')}, pandas/SQL {ratio.get('pandas')}; versions agree: {agree}"
            )
        b = s.get("biblium")
        if b and "agreement" in b:
            diag = b["agreement"]["matrix_diagonal_vs_p_whole"]
            lines.append(
                f"  biblium {b['version']}: {b['analysis_seconds']} s, {b['peak_rss_mb']} MB; "
                f"matrix diagonal = p_whole for {diag['as_returned']['agree']} of "
                f"{diag['as_returned']['labels']} countries, halved for {diag['halved']['agree']}"
            )
    for t in result["targets"]:
        if "met" in t:
            v = t.get("value", t.get("value_gb"))
            where = f" at {t['works']:,}" if "works" in t else ""
            cpu = f" (CPU time: {t['cpu_value']})" if "cpu_value" in t else ""
            lines.append(f"{'PASS' if t['met'] else 'FAIL'} {t['target']}{where}: {v}{cpu}")
        else:
            lines.append(f"---- {t['target']}: not measured ({t['reason']})")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="100,000 and 1,000,000 works (the default)")
    mode.add_argument("--full", action="store_true", help="100,000, 1,000,000 and 5,000,000 works")
    ap.add_argument("--sizes", type=int, nargs="+", help="override the sizes (works)")
    ap.add_argument("--ingest-sizes", type=int, nargs="*", help="sizes whose ingest is timed")
    ap.add_argument("--repeat", type=int, help="timed runs per DuckDB/pandas measurement (default 3)")
    ap.add_argument("--warmup", type=int, help="untimed runs first (default 1)")
    ap.add_argument("--no-spark", action="store_true", help="leave Spark out (ingest and indicators)")
    ap.add_argument("--spark-ingest", action="store_true", help="time Spark's ingest in --quick too")
    ap.add_argument("--no-biblium", action="store_true", help="leave biblium out")
    ap.add_argument("--workdir", type=Path, help="keep worlds and stores here (reused by the next run)")
    ap.add_argument(
        "--duckdb-memory-limit",
        metavar="SIZE",
        help="DuckDB memory_limit (e.g. 6GB) for kakehashi and the DuckDB baselines alike; "
        "default DuckDB's own, 80%% of RAM",
    )
    ap.add_argument("--timeout", type=float, default=3600, help="seconds allowed to one measurement")
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    ap.add_argument("--snapshot-works", type=float, default=270e6, help="works in the full OpenAlex snapshot")
    ap.add_argument("--snapshot-gb", type=float, default=330, help="its gzipped size, GB")
    ap.add_argument("--price-per-vcpu-hour", type=float, default=0.05, help="USD, an assumption")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, payload = args.child
        print(json.dumps(CHILDREN[kind](json.loads(payload))))
        return

    if args.duckdb_memory_limit:
        os.environ[MEMORY_LIMIT_ENV] = args.duckdb_memory_limit  # the children inherit it
    full = args.full
    sizes = sorted(args.sizes or (FULL_SIZES if full else QUICK_SIZES))
    ingest_sizes = set(args.ingest_sizes if args.ingest_sizes is not None else (sizes if full else sizes[:1]))
    # --quick measures as --full does (a warm-up, then the best of 3): at 100,000 works a
    # query takes 0.1-0.3 s, and a cold first run decided the ratio (docs/performance.md).
    repeat = args.repeat if args.repeat is not None else 3
    warmup = args.warmup if args.warmup is not None else 1
    spark_ingest = not args.no_spark and (full or args.spark_ingest)
    t_start = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:6.0f} s] {msg}", file=sys.stderr, flush=True)

    run = Runner(args.timeout, log)
    machine = machine_info()
    keep = args.workdir is not None
    root = args.workdir or Path(tempfile.mkdtemp(prefix="kakehashi-bench-"))
    results: dict[int, dict[str, Any]] = {}
    try:
        for n in sizes:
            log(f"{n:,} works")
            d = root / str(n)
            d.mkdir(parents=True, exist_ok=True)
            s: dict[str, Any] = {"works": n, "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}
            store = None
            if n in ingest_sizes:
                s["ingest"], store = measure_ingest(run, d, n, keep, spark_ingest, quick=not full)
            if store is not None:
                s["store_from"] = "kakehashi ingest of the world written as OpenAlex JSON"
            else:
                store = d / "store"
                b = run("build", "build_demo", store=store, works=n)
                s["store_from"] = "build_demo (the same world, straight into a store)"
                s["build_demo"] = _rounded(b)
            s["figures"] = measure_figures(run, store, d, n, repeat, warmup, spark=not args.no_spark)
            if args.no_biblium:
                s["biblium"] = {"measured": False, "reason": "--no-biblium"}
            elif n > BIBLIUM_MAX or not (d / "openalex" / ".complete").exists():
                s["biblium"] = {
                    "measured": False,
                    "reason": f"only where the world was written as OpenAlex JSON and N <= {BIBLIUM_MAX:,}",
                }
            else:
                s["biblium"] = measure_biblium(run, d, d / "openalex", store)
            s["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
            results[n] = s
            if not keep:
                shutil.rmtree(d, ignore_errors=True)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)

    exps = scaling(results)
    result = {
        "benchmark": "kakehashi issue 6 suite",
        "mode": "full" if full else "quick",
        "sizes_run": sizes,
        "ingest_sizes": sorted(ingest_sizes),
        "timing": f"DuckDB and pandas: best of {repeat} after {warmup} warm-up, each in its own process; "
        "Spark: each figure once in one fresh session per size",
        "machine": machine,
        "duckdb_memory_limit": os.environ.get(MEMORY_LIMIT_ENV) or "DuckDB's default (80 % of RAM)",
        "wall_seconds": round(time.perf_counter() - t_start, 1),
        "sizes": {str(n): s for n, s in results.items()},
        "scaling_exponents": exps,
        "targets": targets(results, exps),
        "per_vcpu": per_vcpu(results, machine["cpus"] or 1, args),
        "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    text = json.dumps(result, indent=1, default=str)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    print(summary(result), file=sys.stderr)


if __name__ == "__main__":
    main()
