"""Time `ingest_openalex` on a folder of OpenAlex JSON against DuckDB's own read_json → Parquet.

    python benchmarks/ingest.py SNAPSHOT_DIR
    python benchmarks/ingest.py --make 200000 DIR [--template FILE.jsonl.gz]   # then time DIR

SNAPSHOT_DIR is any OpenAlex snapshot folder (``data/works/updated_date=*/part_*.gz``
— e.g. one written by ``kakehashi ingest demo --as-openalex DIR``) or a folder of
``.jsonl(.gz)`` files. ``--make`` writes a works snapshot of N records first, cloned
from real records (by default the CC0 ones in ``../shared/data/openalex-works``) with
fresh work ids, so that records have a realistic size and shape.

In the same run it times, on the same files:

- ``duckdb_auto``: ``COPY (SELECT * FROM read_json(files)) TO x.parquet`` — DuckDB's
  own reader with its schema inference, every field kept;
- ``duckdb_columns``: the same with kakehashi's explicit ``columns=`` — the raw parse
  alone, the floor of what kakehashi's ingest can cost;
- ``duckdb_columns_all``: that for every entity's files (works, authors,
  institutions, funders), one copy per entity, as ``benchmarks/run.py`` does;
- ``kakehashi``: the whole ingest into a fresh store (parse, normalise to the store's
  tables, merge, atomic swap).

``--repeat`` rounds (default 3) time the four in turn, so a burst of other work on
a shared machine hits all of them alike; the best wall and CPU time of each are
kept. It prints one JSON object: seconds, CPU seconds (every thread of the
process), records/s, MB/s, ``ratio_*`` = kakehashi's throughput / DuckDB's from
the best times (1.0 = as fast; issue 6's target is ≥ 0.6), ``cpu_ratio_*`` the
same from CPU time, and each round's ratio against ``duckdb_columns``.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _measure import duckdb_connect
from ibis.backends.sql.datatypes import DuckDBType

from kakehashi.ingest.openalex import ingest_openalex
from kakehashi.ingest.rawschema import RAW_SCHEMAS
from kakehashi.ingest.snapshot import find_files
from kakehashi.settings import Settings
from kakehashi.store import Store

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "openalex-works"


def make_snapshot(n: int, out: Path, template: Path | None, per_part: int = 50_000) -> None:
    files = [template] if template else sorted(SHARED.glob("*.jsonl.gz"))
    if not files:
        sys.exit("no template records: pass --template FILE.jsonl.gz")
    records: list[str] = []
    for f in files:
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            records += [line for line in fh if line.strip()]
    folder = out / "data" / "works" / "updated_date=2024-01-01"
    folder.mkdir(parents=True, exist_ok=True)
    source = itertools.cycle(records)
    for part in range((n + per_part - 1) // per_part):
        with gzip.open(folder / f"part_{part:03d}.gz", "wt", encoding="utf-8", compresslevel=6) as fh:
            for i in range(part * per_part, min(n, (part + 1) * per_part)):
                rec = json.loads(next(source))
                rec["id"] = f"https://openalex.org/W{9_000_000_000 + i}"
                fh.write(json.dumps(rec) + "\n")


def raw_columns(entity: str) -> str:
    """kakehashi's raw schema of ``entity`` as DuckDB's ``read_json(columns=…)`` argument."""
    schema = RAW_SCHEMAS[entity]
    return "{" + ", ".join(f"'{n}': '{DuckDBType.to_string(t)}'" for n, t in schema.items()) + "}"


def duckdb_copy(files: list[str], out: Path, columns: str | None) -> float:
    return duckdb_copy_timed(files, out, columns)[0]


def duckdb_copy_timed(files: list[str], out: Path, columns: str | None) -> tuple[float, float]:
    """DuckDB's ``read_json`` → Parquet of ``files``: (wall seconds, CPU seconds of this process)."""
    con = duckdb_connect()
    cols = f", columns={columns}" if columns else ""
    t, c = time.perf_counter(), _cpu()
    con.execute(
        f"COPY (SELECT * FROM read_json($files, format='newline_delimited', records=true{cols}, "
        f"maximum_object_size=268435456)) TO '{out}' (FORMAT parquet, COMPRESSION zstd)",
        {"files": files},
    ).fetchall()
    took = time.perf_counter() - t, _cpu() - c
    con.close()
    return took


def _cpu() -> float:
    # CPU time of every thread of this process: on a machine shared with other work it
    # moves far less than wall time, so the CPU ratio is the steadier of the two.
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument(
        "--make", type=int, metavar="N", help="first write a works snapshot of N records to FOLDER"
    )
    ap.add_argument("--template", type=Path, help="JSON Lines (.gz) records to clone for --make")
    ap.add_argument("--repeat", type=int, default=3, help="rounds, each timing all four in turn (best kept)")
    args = ap.parse_args()
    if args.make:
        make_snapshot(args.make, args.folder, args.template)
    found, _ = find_files([args.folder])
    by_entity: dict[str, list[str]] = {}
    for f in found:
        if not f.page:
            by_entity.setdefault(f.entity, []).append(str(f.path))
    works = by_entity.get("works", [])
    nbytes = sum(f.size for f in found)

    names = ("duckdb_auto", "duckdb_columns", "duckdb_columns_all", "kakehashi")
    rounds: list[dict[str, tuple[float, float]]] = []
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        for _ in range(args.repeat):
            r = {
                "duckdb_auto": duckdb_copy_timed(works, tmpdir / "auto.parquet", None),
                "duckdb_columns": duckdb_copy_timed(works, tmpdir / "cols.parquet", raw_columns("works")),
            }
            each = [
                duckdb_copy_timed(paths, tmpdir / f"{e}.parquet", raw_columns(e))
                for e, paths in sorted(by_entity.items())
            ]
            r["duckdb_columns_all"] = (sum(w for w, _ in each), sum(c for _, c in each))
            store = Store.open(tmpdir / "store", create=True)
            t, c = time.perf_counter(), _cpu()
            report = ingest_openalex(store, [args.folder], settings=Settings.load(config_file=None))
            r["kakehashi"] = (time.perf_counter() - t, _cpu() - c)
            shutil.rmtree(tmpdir / "store", ignore_errors=True)
            n = report.records
            rounds.append(r)

    best = {k: min(r[k][0] for r in rounds) for k in names}
    best_cpu = {k: min(r[k][1] for r in rounds) for k in names}
    ours, ours_cpu = best["kakehashi"], best_cpu["kakehashi"]
    print(
        json.dumps(
            {
                "folder": str(args.folder),
                "files": len(found),
                "records": n,
                "mb": round(nbytes / 1e6, 1),
                "rounds": args.repeat,
                "seconds": {k: round(v, 2) for k, v in best.items()},
                "cpu_seconds": {k: round(v, 2) for k, v in best_cpu.items()},
                "records_per_s": {k: round(n / v) for k, v in best.items()},
                "kakehashi_mb_per_s": round(nbytes / 1e6 / ours, 1),
                **{f"ratio_vs_{k}": round(best[k] / ours, 3) for k in names[:3]},
                **{f"cpu_ratio_vs_{k}": round(best_cpu[k] / ours_cpu, 3) for k in names[:3]},
                "ratio_vs_duckdb_columns_each_round": [
                    round(r["duckdb_columns"][0] / r["kakehashi"][0], 3) for r in rounds
                ],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
