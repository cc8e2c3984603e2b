"""`kakehashi ingest openalex --engine spark` against the DuckDB ingest on the same files (issue 6, point 3).

Parity means the same store: every table, every column — the bookkeeping
ones (``_source_path``, ``_source_line``, ``_version``, ``_entity``) too —
the same rows, the same column types, and the same :class:`IngestReport`
(but for the rows staged before the merge, see :func:`ingest_both`).
Bad input must give the same message (file and line) and leave the store as
it was. The expected rows themselves are worked out by hand in
``test_ingest_openalex.py`` and ``test_ingest_real.py``; here the DuckDB
ingest, checked there, is the reference.

Each Spark ingest costs seconds (one shared session), so the cases are few.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import zlib
from pathlib import Path

import pytest

from kakehashi.errors import MalformedInputError
from kakehashi.ingest.demo import write_demo_openalex
from kakehashi.ingest.openalex import ingest_openalex
from kakehashi.model import tables as model
from kakehashi.store import Store
from test_ingest_openalex import OA, W1, W2, W3, write_jsonl

pytestmark = pytest.mark.spark


def _table(store: Store, name: str) -> tuple[list[tuple[str, str]], list[str]]:
    """A table's column types (nullability aside: see docs/scale.md) and its rows, sorted."""
    t = store.read_arrow(name)
    types = [(f.name, str(f.type)) for f in t.schema]
    return types, sorted(json.dumps(r, sort_keys=True, default=str) for r in t.to_pylist())


def ingest_both(tmp_path: Path, sources: list[Path], **kw) -> tuple[Store, Store, object, object]:
    """Both engines' stores and reports; the reports without ``rows``, the rows each engine
    staged before the merge: DuckDB normalises each entity's files on their own (an
    institution read off works and off author records is staged once by each), Spark all
    at once, so those counts differ while the merged tables, compared row by row, do not."""
    stores, reports = [], []
    for engine in ("duckdb", "spark"):
        store = Store.open(tmp_path / f"store-{engine}", create=True)
        report = ingest_openalex(store, sources, engine=engine, **kw)
        reports.append(dataclasses.replace(report, rows={}))
        stores.append(store)
    return stores[0], stores[1], reports[0], reports[1]


def assert_same_store(a: Store, b: Store) -> None:
    assert [s.name for s in model.TABLES if a.has_table(s.name)] == [
        s.name for s in model.TABLES if b.has_table(s.name)
    ]
    for spec in model.TABLES:
        if a.has_table(spec.name):
            assert _table(a, spec.name) == _table(b, spec.name), spec.name
    # the manifest's source record differs only in the engine named
    sa, sb = a.provenance()["sources"][-1], b.provenance()["sources"][-1]
    assert (sa.pop("engine"), sb.pop("engine")) == ("duckdb", "spark")
    for s in (sa, sb):
        s.pop("ingested_at", None)
    assert sa == sb


def test_hand_made_records(tmp_path):
    # The two files of test_ingest_openalex: current and 2022-schema records, a plain and a
    # gzipped file, every rule of issue 2 point 4 (the rows are worked out there).
    a = write_jsonl(tmp_path / "src" / "a.jsonl", [W1])
    b = write_jsonl(tmp_path / "src" / "b.jsonl.gz", [W2, W3], gz=True)
    duck, spark, rd, rs = ingest_both(tmp_path, [a, b])
    assert rd == rs
    assert_same_store(duck, spark)
    # and the line numbers are the records' own: W2 line 1, W3 line 2 of b
    lines = {r["work_id"]: r["_source_line"] for r in spark.read_arrow("works").to_pylist()}
    assert lines == {"W1": 1, "W2": 1, "W3": 2}


def test_demo_world_as_openalex(tmp_path):
    # Works, authors, institutions and funders entities in snapshot folders, gzipped.
    write_demo_openalex(tmp_path / "snapshot", works=1000, seed=3)
    duck, spark, rd, rs = ingest_both(tmp_path, [tmp_path / "snapshot"])
    assert rd == rs
    assert rd.works == 1000
    assert_same_store(duck, spark)


@pytest.mark.shared
def test_real_records(tmp_path, real_records):
    # Three gzipped JSON Lines files and one saved API page (the `results` array).
    duck, spark, rd, rs = ingest_both(tmp_path, [real_records])
    assert rd == rs
    assert (rs.records, rs.works) == (422, 338)  # README of ../shared; test_ingest_real.py
    assert_same_store(duck, spark)


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    w = {"id": OA + "W20", "updated_date": "2024-01-01", "authorships": []}
    recs = [{"id": OA + f"W{100 + i}", "title": "x" * 200, "updated_date": "2024-01-01"} for i in range(400)]
    full = gzip.compress(("\n".join(json.dumps(r) for r in recs) + "\n").encode(), mtime=0)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(full[: len(full) // 2])
    return {
        # line 1 W20, line 2 blank, line 3 broken, line 4 W21
        "not JSON": write_jsonl(
            tmp_path / "bad.jsonl", [w, {**w, "id": OA + "W21"}], raw_lines={1: '\n{"id": "x", '}
        ),
        "a list": write_jsonl(tmp_path / "list.jsonl", [w, {**w, "id": OA + "W21"}], raw_lines={1: "[1, 2]"}),
        "truncated": cut,
    }


def test_bad_input_same_message_and_store_untouched(tmp_path):
    files = _bad_files(tmp_path)
    base = write_jsonl(tmp_path / "base.jsonl", [W1])
    # how many lines of the cut gzip survive, worked out by unpacking as far as it goes
    kept = zlib.decompressobj(31).decompress(files["truncated"].read_bytes()).count(b"\n")
    expected_line = {"not JSON": 3, "a list": 2, "truncated": kept + 1}
    for engine in ("duckdb", "spark"):
        store = Store.open(tmp_path / f"s-{engine}", create=True)
        ingest_openalex(store, [base], engine=engine)
        version = store.version
        for what, path in files.items():
            with pytest.raises(MalformedInputError) as err:
                ingest_openalex(store, [path], engine=engine)
            where = (err.value.path, err.value.line)
            assert where == (str(path.resolve()), expected_line[what]), (engine, what)
            assert store.version == version and not list(store.path.glob(".tx-*"))
        assert {r["work_id"] for r in store.read_arrow("works").to_pylist()} == {"W1"}


def test_bad_input_skipped_alike(tmp_path):
    files = _bad_files(tmp_path)
    kept = zlib.decompressobj(31).decompress(files["truncated"].read_bytes()).count(b"\n")
    duck, spark, rd, rs = ingest_both(tmp_path, list(files.values()), on_error="skip")
    # two good records in each of the two line files, the complete lines of the cut one;
    # one skip each: the broken line, the list, the line the gzip breaks off in
    assert (rs.records, rs.skipped) == (2 + 2 + kept, 3)
    assert (rd.records, rd.skipped, sorted(rd.notes)) == (rs.records, rs.skipped, sorted(rs.notes))
    assert_same_store(duck, spark)
