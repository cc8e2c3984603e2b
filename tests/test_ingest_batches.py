"""The DuckDB ingest a batch of files at a time (issue 6: 5,000,000 works within 8 GB).

Each batch is parsed, normalised and staged on its own, and dropped before the
next; the merge then picks, among every batch's rows, what one pass over all
files would have. The hand-worked cases of ``test_ingest_openalex.py`` are
run again with every file a batch of its own (the records that competed as
lines of one file now compete as files, in the same order, so the expected
rows are the same), and the demo world split into several files must give
the same store batched as all at once.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from kakehashi.ingest import openalex as oa_ingest
from kakehashi.ingest.demo import write_demo_openalex
from kakehashi.ingest.openalex import _batches, _groups, ingest_openalex
from kakehashi.ingest.snapshot import SourceFile
from kakehashi.model import tables as model
from kakehashi.settings import Settings
from kakehashi.store import Store
from test_ingest_openalex import OA, inst, newest_occurrence_records, rows, write_jsonl


class Batches:
    """Whether every file is made a batch of its own, and how many batches were staged."""

    def __init__(self) -> None:
        self.per_file = True
        self.staged = 0


@pytest.fixture
def batches(monkeypatch) -> Batches:
    """Make the DuckDB workspace take one file per batch (while ``per_file``), counting batches."""
    state = Batches()
    real = oa_ingest.open_workspace

    def small_batches(engine, settings, folder):
        ws = real(engine, settings, folder)
        if state.per_file:
            ws.batch_bytes, ws.batch_files = 1, 1  # every file is larger: a batch of its own
        stage = ws.stage

        def counted(new, tx):
            state.staged += 1
            rows = stage(new, tx)
            # everything of the batch is dropped before the next is read
            left = ws.con.con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT internal "
                "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
            assert left == [], left
            return rows

        ws.stage = counted
        return ws

    monkeypatch.setattr(oa_ingest, "open_workspace", small_batches)
    return state


def _file(name: str, entity: str, size: int) -> SourceFile:
    return SourceFile(Path(name), entity, False, size, None)


def test_groups_by_entity_and_size():
    files = [
        _file("a1", "authors", 10),
        _file("w1", "works", 60),
        _file("w2", "works", 50),
        _file("w3", "works", 120),  # larger than a batch: alone
        _file("w4", "works", 30),
        _file("w5", "works", 70),
    ]
    groups = _groups(files, 100)
    # works come first (ENTITIES' order), each run at most 100 bytes: 60 | 50 | 120 | 30+70 | authors 10
    assert [[f.path.name for _, f in g] for g in groups] == [["w1"], ["w2"], ["w3"], ["w4", "w5"], ["a1"]]
    # each file keeps its place in the sorted list, which its records' _version is built from
    assert [i for g in groups for i, _ in g] == [1, 2, 3, 4, 5, 0]
    # no batch size: every file in one batch, in order
    assert [[i for i, _ in g] for g in _groups(files, None)] == [[0, 1, 2, 3, 4, 5]]
    assert _groups([], 100) == [] and _groups([], None) == []
    # two files at least (two parsing threads): 60+50 | 120+30 | 70 | authors 10
    assert [[f.path.name for _, f in g] for g in _groups(files, 100, 2)] == [
        ["w1", "w2"], ["w3", "w4"], ["w5"], ["a1"],
    ]  # fmt: skip


def test_parse_runs_within_a_batch():
    # One parse statement reads at most 16 files or 1 GiB side by side: 20 small files are
    # 16 + 4; files of 600 MB go one by one (600 + 600 > 1,024).
    small = [(i, _file(f"w{i}", "works", 10)) for i in range(20)]
    assert [len(r) for r in _batches(small)] == [16, 4]
    big = [(i, _file(f"w{i}", "works", 600 << 20)) for i in range(3)]
    assert [[i for i, _ in r] for r in _batches(big)] == [[0], [1], [2]]
    # with two parsing threads, two of them side by side whatever their size
    assert [[i for i, _ in r] for r in _batches(big, 2)] == [[0, 1], [2]]


def test_newest_work_wins_across_batches(tmp_path, batches):
    def w(i: str, title: str, updated: str) -> dict:
        return {"id": OA + i, "title": title, "type": "article", "updated_date": updated, "authorships": []}

    # As in test_newest_wins_then_later_file_then_later_line, each record now a file:
    # W10 newest date wins from the earliest file; W11 same date → later file (2) wins;
    # W12 same date → later file (4) wins.
    recs = [
        w("W10", "new", "2024-02-02"),
        w("W11", "a", "2024-01-01"),
        w("W10", "old", "2023-01-01"),
        w("W11", "b", "2024-01-01"),
        w("W12", "first", "2024-01-01"),
        w("W12", "second", "2024-01-01"),
    ]
    paths = [write_jsonl(tmp_path / f"f{k}.jsonl", [r]) for k, r in enumerate(recs)]
    store = Store.open(tmp_path / "store", create=True)
    report = ingest_openalex(store, paths)
    assert batches.staged == 6
    assert (report.records, report.works) == (6, 3)
    assert rows(store, "works", cols=["work_id", "title", "_source_path"]) == [
        {"work_id": "W10", "title": "new", "_source_path": str(paths[0])},
        {"work_id": "W11", "title": "b", "_source_path": str(paths[3])},
        {"work_id": "W12", "title": "second", "_source_path": str(paths[5])},
    ]


def test_entities_read_off_works_newest_across_batches(tmp_path, batches):
    # The records of test_entities_read_off_works_come_from_the_newest_occurrence, a file
    # each in the same order: "the later line" there is "the later file" here; within one
    # record (W5, one batch) the first place still wins.
    records = newest_occurrence_records()
    paths = [write_jsonl(tmp_path / f"w{k}.jsonl", [r]) for k, r in enumerate(records)]
    # An author entity record dated earlier than any work still wins: an entity record beats
    # an occurrence read off a work, whatever the dates, in another batch as in the same one.
    entity = {
        "id": OA + "A4",
        "display_name": "entity",
        "updated_date": "2000-01-01",
        "affiliations": [
            {"institution": inst("I4", "entity affiliation", "JP", "education"), "years": [2020]}
        ],
    }
    paths.append(write_jsonl(tmp_path / "z-authors.jsonl", [entity]))
    store = Store.open(tmp_path / "store", create=True)
    ingest_openalex(store, paths)
    assert batches.staged == 8
    assert [(r["author_id"], r["name"]) for r in rows(store, "authors")] == [
        ("A1", "dated"), ("A2", "second line"), ("A3", "place 0"), ("A4", "entity"),
    ]  # fmt: skip
    # I4: read off W7 (2023-01-01) in one batch and off the author record (2000-01-01) in
    # another; both are occurrences, so the newer date wins.
    assert [(r["institution_id"], r["name"]) for r in rows(store, "institutions")] == [
        ("I1", "dated"), ("I2", "place 0.0"), ("I3", "second line"), ("I4", "W7"),
    ]  # fmt: skip
    # a lineage row for each institution from its winning occurrence only (lineage [itself])
    lineage = rows(store, "institution_lineage", cols=["institution_id", "ancestor_id", "depth"])
    assert lineage == [{"institution_id": i, "ancestor_id": i, "depth": 0} for i in ("I1", "I2", "I3", "I4")]


def _split_works(snapshot: Path, parts: int) -> list[Path]:
    """Split the demo world's works file into ``parts`` files in its folder, records in order,
    each record given one of nine dates or none, so that the newest-occurrence rules decide
    between dates, between a date and none, and on ties (the demo world dates every record
    of a partition alike)."""
    (src,) = sorted((snapshot / "data" / "works").glob("*/part_*.gz"))
    lines = gzip.decompress(src.read_bytes()).decode().splitlines()
    src.unlink()
    records = []
    for k, line in enumerate(lines):
        rec = json.loads(line)
        rec["updated_date"] = None if k % 11 == 0 else f"2024-0{1 + (k * 7) % 9}-01T00:00:00"
        records.append(rec)
    step = -(-len(records) // parts)
    return [
        write_jsonl(src.parent / f"part_{k:03d}.gz", records[k * step : (k + 1) * step], gz=True)
        for k in range(parts)
    ]


@pytest.mark.parametrize("entities", [True, False], ids=["with-entity-records", "works-only"])
def test_demo_world_batched_as_all_at_once(tmp_path, batches, entities):
    write_demo_openalex(tmp_path / "snapshot", works=1500, seed=5)
    if not entities:
        # Without author, institution and funder records every row of those tables is
        # read off works, by the newest-occurrence rules, batch by batch.
        for entity in ("authors", "institutions", "funders"):
            shutil.rmtree(tmp_path / "snapshot" / "data" / entity)
    works_files = _split_works(tmp_path / "snapshot", 4)
    # Re-issued records in a later file: half of the first 40 works again, newer, the other
    # half older. The newer must win (the work and its children), the older must lose.
    first = gzip.decompress(works_files[0].read_bytes()).decode().splitlines()[:40]
    again = []
    for k, line in enumerate(first):
        rec = json.loads(line)
        newer = k % 2 == 0
        rec["updated_date"] = "2099-01-01T00:00:00" if newer else "1999-01-01T00:00:00"
        rec["title"] = "re-issued newer" if newer else "re-issued older"
        rec["authorships"] = rec.get("authorships", [])[:1]  # the newer keeps its first author only
        again.append(rec)
    write_jsonl(works_files[-1].parent / "part_999.gz", again, gz=True)
    source = tmp_path / "snapshot"
    entity_records = _entity_records(source)

    batched = Store.open(tmp_path / "batched", create=True)
    rb = ingest_openalex(batched, [source])
    # 5 works files, then each entity's files
    assert batches.staged == 5 + entity_records[1]
    if not entities:
        tables = ("authors", "institutions", "funders")
        read_off = {e for t in tables for e in batched.read_arrow(t).column("_entity").to_pylist()}
        assert read_off == {0}  # all read off works

    batches.per_file, batches.staged = False, 0
    once = Store.open(tmp_path / "once", create=True)
    ro = ingest_openalex(once, [source], settings=Settings.load(config_file=None).replace(ingest_batch_mb=0))
    assert batches.staged == 1

    summary = lambda r: (r.records, r.works, r.works_without_country, r.skipped)  # noqa: E731
    assert summary(rb) == summary(ro)
    assert (rb.records, rb.works) == (1500 + 40 + entity_records[0], 1500)
    for spec in model.TABLES:
        a, b = batched.read_arrow(spec.name), once.read_arrow(spec.name)
        assert _sorted_rows(a) == _sorted_rows(b), spec.name
    # The newer re-issues (2099) all win. The older ones (1999) lose to a dated original but
    # beat an undated one: of the odd lines 1, 3, … 39, lines 11 and 33 have no date
    # (_split_works: every 11th), so two older re-issues win.
    originals = [json.loads(x) for x in first]
    undated = {k for k, r in enumerate(originals) if r["updated_date"] is None}
    assert undated == {0, 11, 22, 33}
    titles = [r["title"] for r in rows(batched, "works", cols=["title"])]
    assert (titles.count("re-issued newer"), titles.count("re-issued older")) == (20, 2)
    # the winning re-issues' works have one authorship each (their first); the others keep theirs
    won = {r["id"].removeprefix(OA) for k, r in enumerate(originals) if k % 2 == 0 or k in undated}
    kept = [r for r in originals if r["id"].removeprefix(OA) not in won]
    counts = _authorships_per_work(batched)
    assert all(counts[w] == 1 for w in won)
    assert sum(counts[r["id"].removeprefix(OA)] for r in kept) == sum(len(r["authorships"]) for r in kept)


def _sorted_rows(t) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in t.to_pylist())


def _authorships_per_work(store: Store) -> dict[str, int]:
    counts: dict[str, int] = {}
    for w in store.read_arrow("authorships").column("work_id").to_pylist():
        counts[w] = counts.get(w, 0) + 1
    return counts


def _entity_records(snapshot: Path) -> tuple[int, int]:
    """Records and files of the authors, institutions and funders entities."""
    n = files = 0
    for entity in ("authors", "institutions", "funders"):
        for f in (snapshot / "data" / entity).glob("*/part_*.gz"):
            files += 1
            n += sum(1 for line in gzip.decompress(f.read_bytes()).splitlines() if line.strip())
    return n, files
