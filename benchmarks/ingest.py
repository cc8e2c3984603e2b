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
- ``kakehashi``: the whole ingest into a fresh store (parse, normalise to the store's
  tables, merge, atomic swap).

and prints one JSON object: seconds, records/s, MB/s and ``ratio_*`` =
kakehashi's throughput / DuckDB's (1.0 = as fast; the target is ≥ 0.6 of ``duckdb_auto``).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
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
    con = duckdb.connect()
    cols = f", columns={columns}" if columns else ""
    t = time.perf_counter()
    con.execute(
        f"COPY (SELECT * FROM read_json($files, format='newline_delimited', records=true{cols}, "
        f"maximum_object_size=268435456)) TO '{out}' (FORMAT parquet, COMPRESSION zstd)",
        {"files": files},
    ).fetchall()
    took = time.perf_counter() - t
    con.close()
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument(
        "--make", type=int, metavar="N", help="first write a works snapshot of N records to FOLDER"
    )
    ap.add_argument("--template", type=Path, help="JSON Lines (.gz) records to clone for --make")
    args = ap.parse_args()
    if args.make:
        make_snapshot(args.make, args.folder, args.template)
    found, _ = find_files([args.folder])
    works = [str(f.path) for f in found if f.entity == "works" and not f.page]
    nbytes = sum(f.size for f in found)
    columns = raw_columns("works")

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        auto = duckdb_copy(works, tmpdir / "auto.parquet", None)
        cols = duckdb_copy(works, tmpdir / "cols.parquet", columns)
        store = Store.open(tmpdir / "store", create=True)
        t = time.perf_counter()
        report = ingest_openalex(store, [args.folder], settings=Settings.load(config_file=None))
        ours = time.perf_counter() - t
        shutil.rmtree(tmpdir / "store", ignore_errors=True)

    n = report.records
    print(
        json.dumps(
            {
                "folder": str(args.folder),
                "files": len(found),
                "records": n,
                "mb": round(nbytes / 1e6, 1),
                "seconds": {
                    "duckdb_auto": round(auto, 2),
                    "duckdb_columns": round(cols, 2),
                    "kakehashi": round(ours, 2),
                },
                "records_per_s": {
                    "duckdb_auto": round(n / auto),
                    "duckdb_columns": round(n / cols),
                    "kakehashi": round(n / ours),
                },
                "kakehashi_mb_per_s": round(nbytes / 1e6 / ours, 1),
                "ratio_vs_duckdb_auto": round(auto / ours, 3),
                "ratio_vs_duckdb_columns": round(cols / ours, 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
