"""The store: layout, manifest, upsert rules, idempotence and atomicity (issue 2, point 2).

Atomicity is tested for real: a child process runs a transaction and dies at a
named point (``KAKEHASHI_CRASH_AT``, the same exit a ``kill -9`` gives), then
the store is opened again and must be exactly as before, or — once the
journal exists — exactly as after; never a mix.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kakehashi.engines import merge
from kakehashi.errors import StoreError
from kakehashi.model import tables as model
from kakehashi.store import Store
from storebuild import build_store, rows_to_arrow

TESTS = Path(__file__).parent


def snapshot(store: Store) -> dict[str, list]:
    """Every table's rows, sorted, for comparing whole stores."""
    out = {}
    for t in model.TABLES:
        rows = store.read_arrow(t.name).to_pylist()
        out[t.name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return out


def _rows(t: pa.Table) -> list[str]:
    """A table's rows without bookkeeping columns, sorted, as text (to compare across readers)."""
    keep = [c for c in t.column_names if not c.startswith("_")]
    return _rows_of(t.select(keep).to_pylist())


def _rows_of(rows: list[dict]) -> list[str]:
    return sorted(
        json.dumps({k: v for k, v in r.items() if not k.startswith("_")}, sort_keys=True, default=str)
        for r in rows
    )


def works(*specs):
    return [
        {
            "work_id": w,
            "year": 2020,
            "publication_date": dt.date(2020, 6, 1),
            "title": title,
            "updated_date": dt.datetime(2024, 1, day),
        }
        for w, title, day in specs
    ]


def test_layout_and_manifest(tmp_path):
    s = build_store(
        tmp_path / "s",
        works=works(("W1", "a", 1)),
        affiliations=[{"work_id": "W1", "author_seq": 0, "country_code": "JP"}],
    )
    for t in model.TABLES:
        files = list((tmp_path / "s" / t.name).glob("*.parquet"))
        assert files, f"{t.name}/ has no part file"
        names = pq.read_schema(files[0]).names
        assert list(t.contract_columns) == [c for c in names if not c.startswith("_")]
    m = s.manifest
    assert m["tables"]["works"]["rows"] == 1
    assert m["tables"]["affiliations"]["rows"] == 1
    assert m["tables"]["countries"]["rows"] > 200  # the reference table came along
    assert m["sources"][0]["kind"] == "test"
    assert m["kakehashi_version"]
    assert not any(p.name.startswith((".tx-", ".old-", ".journal")) for p in (tmp_path / "s").iterdir())


def test_newest_updated_date_wins_and_children_follow(tmp_path):
    s = build_store(
        tmp_path / "s",
        works=works(("W1", "old", 1), ("W2", "keep", 1)),
        affiliations=[
            {"work_id": "W1", "author_seq": 0, "country_code": "JP"},
            {"work_id": "W2", "author_seq": 0, "country_code": "US"},
        ],
    )
    newer = works(("W1", "new", 5))
    older = works(("W2", "stale", 1))  # same date as stored: a tie; the later source wins
    older[0]["updated_date"] = dt.datetime(2023, 1, 1)  # …but this one is older, so it loses
    with merge.transaction(s, {"kind": "test2"}) as tx:
        tx.add("works", rows_to_arrow("works", newer + older))
        tx.add(
            "affiliations",
            rows_to_arrow(
                "affiliations",
                [
                    {"work_id": "W1", "author_seq": 0, "country_code": "DE"},
                    {"work_id": "W1", "author_seq": 1, "country_code": "FR"},
                    {"work_id": "W2", "author_seq": 0, "country_code": "CN"},
                ],
                {"W1": 0, "W2": 1},
            ),
        )
    got = {r["work_id"]: r["title"] for r in s.read_arrow("works").to_pylist()}
    assert got == {"W1": "new", "W2": "keep"}
    aff = sorted(
        (r["work_id"], r["author_seq"], r["country_code"]) for r in s.read_arrow("affiliations").to_pylist()
    )
    # W1's affiliations are the new version's; W2 kept its stored ones (its new version lost).
    assert aff == [("W1", 0, "DE"), ("W1", 1, "FR"), ("W2", 0, "US")]


def test_within_one_ingest_a_tie_goes_to_the_later_record(tmp_path):
    s = Store.open(tmp_path / "s", create=True)
    same_day = works(("W1", "first", 1), ("W1", "second", 1))
    for i, w in enumerate(same_day):
        w["_source_path"] = "a.jsonl"
        w["_source_line"] = i + 1
    with merge.transaction(s, {"kind": "t"}) as tx:
        tx.add("works", rows_to_arrow("works", same_day))
    assert [r["title"] for r in s.read_arrow("works").to_pylist()] == ["second"]


def test_rows_merged_from_duckdb_tables_give_the_store_staged_rows_give(tmp_path):
    # Transaction.merge (the DuckDB ingest's way in) against tx.add (staged Parquet), on the
    # cases above: a first ingest with a key twice (tie → the later record), then newer and
    # older versions of stored works whose children follow the winner.
    first = works(("W1", "old", 1), ("W2", "keep", 1), ("W3", "first", 1), ("W3", "second", 1))
    first_aff = [
        {"work_id": "W1", "author_seq": 0, "country_code": "JP"},
        {"work_id": "W2", "author_seq": 0, "country_code": "US"},
        {"work_id": "W3", "author_seq": 0, "country_code": "KR"},  # of "first": loses with it
        {"work_id": "W3", "author_seq": 0, "country_code": "CN"},  # of "second"
    ]
    second = works(("W1", "new", 5), ("W2", "stale", 1))
    second[1]["updated_date"] = dt.datetime(2023, 1, 1)
    second_aff = [
        {"work_id": "W1", "author_seq": 0, "country_code": "DE"},
        {"work_id": "W2", "author_seq": 0, "country_code": "CN"},
    ]
    rounds = [
        {"works": rows_to_arrow("works", first), "affiliations": rows_to_arrow("affiliations", first_aff)},
        {"works": rows_to_arrow("works", second), "affiliations": rows_to_arrow("affiliations", second_aff)},
    ]
    for r, versions in zip(rounds, [[0, 1, 2, 3], [0, 1]], strict=True):
        aff = r["affiliations"]
        r["affiliations"] = aff.set_column(aff.schema.get_field_index("_version"), "_version",
                                           pa.array(versions, pa.int64()))  # fmt: skip
    stores = {}
    for how in ("staged", "merged"):
        s = stores[how] = Store.open(tmp_path / how, create=True)
        for i, tables in enumerate(rounds):
            with merge.transaction(s, {"kind": "t", "round": i}) as tx:
                if how == "staged":
                    for name, t in tables.items():
                        tx.add(name, t)
                else:
                    con = ibis.duckdb.connect()
                    merge.merge_tables(
                        con, tx, {n: _duckdb_table(con, tmp_path / f"{i}-{n}", t) for n, t in tables.items()}
                    )
    assert snapshot(stores["merged"]) == snapshot(stores["staged"])
    got = {r["work_id"]: r["title"] for r in stores["merged"].read_arrow("works").to_pylist()}
    assert got == {"W1": "new", "W2": "keep", "W3": "second"}
    aff = sorted(
        (r["work_id"], r["country_code"]) for r in stores["merged"].read_arrow("affiliations").to_pylist()
    )
    assert aff == [("W1", "DE"), ("W2", "US"), ("W3", "CN")]


def _duckdb_table(con: ibis.BaseBackend, path: Path, rows: pa.Table) -> ibis.Table:
    """``rows`` as a temporary table of ``con`` (by way of a Parquet file)."""
    pq.write_table(rows, path.with_suffix(".parquet"))
    return con.create_table(path.name, con.read_parquet(path.with_suffix(".parquet")), temp=True)


def test_a_table_is_staged_or_merged_not_both(tmp_path):
    s = Store.open(tmp_path / "s", create=True)
    con = ibis.duckdb.connect()
    aff = rows_to_arrow("affiliations", [{"work_id": "W1", "author_seq": 0, "country_code": "JP"}])
    with pytest.raises(ValueError, match="works"), merge.transaction(s, {"kind": "t"}) as tx:
        merge.merge_tables(
            con,
            tx,
            {"works": _duckdb_table(con, tmp_path / "w", rows_to_arrow("works", works(("W1", "a", 1))))},
        )
        tx.add("affiliations", aff)  # a child of works, which was merged already
    assert not (s.path / "works").exists()


def test_same_ingest_twice_changes_nothing(tmp_path):
    rows = works(("W1", "a", 1), ("W2", "b", 2))
    aff = [{"work_id": "W1", "author_seq": 0, "country_code": "JP"}]
    s = build_store(tmp_path / "s", works=[dict(r) for r in rows], affiliations=aff)
    before = snapshot(s)
    sources_before = len(s.manifest["sources"])
    with merge.transaction(s, {"kind": "test"}) as tx:
        tx.add("works", rows_to_arrow("works", [dict(r) for r in rows]))
        tx.add("affiliations", rows_to_arrow("affiliations", aff, {"W1": 0}))
    assert snapshot(s) == before
    assert len(s.manifest["sources"]) == sources_before


def test_an_error_inside_a_transaction_leaves_the_store_as_it_was(tmp_path):
    s = build_store(tmp_path / "s", works=works(("W1", "a", 1)))
    before, manifest = snapshot(s), s.manifest
    with pytest.raises(RuntimeError), merge.transaction(s, {"kind": "t"}) as tx:
        tx.add("works", rows_to_arrow("works", works(("W2", "b", 1))))
        raise RuntimeError("the source broke half-way")
    assert snapshot(s) == before
    assert s.manifest == manifest
    assert not list((tmp_path / "s").glob(".tx-*"))


CHILD = textwrap.dedent(
    """
    import datetime as dt, sys
    from kakehashi.engines import merge
    from kakehashi.store import Store
    from storebuild import rows_to_arrow
    s = Store.open(sys.argv[1])
    w = [{"work_id": "W1", "year": 2020, "title": "changed", "updated_date": dt.datetime(2025, 1, 1)},
         {"work_id": "W9", "year": 2021, "title": "added", "updated_date": dt.datetime(2025, 1, 1)}]
    a = [{"work_id": "W1", "author_seq": 0, "country_code": "KR"},
         {"work_id": "W9", "author_seq": 0, "country_code": "GB"}]
    with merge.transaction(s, {"kind": "second"}) as tx:
        tx.add("works", rows_to_arrow("works", w))
        tx.add("affiliations", rows_to_arrow("affiliations", a, {"W1": 0, "W9": 1}))
    """
)

#: the points a commit can be killed at (store.py), and what the store is after each
CRASH_POINTS = [
    ("before-move", "before"),  # merged tables written aside in .tx-<v>/, nothing moved
    ("before-commit", "before"),  # new folders under .versions/, version manifest written, not current
    ("after-commit", "after"),  # manifest.json replaced (the commit point), symlinks not yet moved
    ("mid-links", "after"),  # killed with some symlinks moved and the rest not
    ("before-tidy", "after"),  # all moved, the old version not yet deleted
]


def _child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    env.pop("KAKEHASHI_CRASH_AT", None)
    env.pop("KAKEHASHI_PAUSE_AT", None)
    env.update(extra)
    return env


def _run_child(store: Path, crash_at: str | None) -> int:
    env = _child_env(**({"KAKEHASHI_CRASH_AT": crash_at} if crash_at else {}))
    return subprocess.run([sys.executable, "-c", CHILD, str(store)], env=env, timeout=120).returncode


def _paused_child(store: Path, point: str, go: Path) -> subprocess.Popen[bytes]:
    """The child's transaction, started and waiting at ``point`` until ``go`` exists."""
    env = _child_env(KAKEHASHI_PAUSE_AT=f"{point}:{go}")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(store)], env=env)
    waiting = Path(str(go) + ".waiting")
    for _ in range(3000):
        if waiting.exists() or child.poll() is not None:
            break
        time.sleep(0.02)
    assert waiting.exists(), f"the child never reached {point}"
    return child


def _fresh(path: Path) -> Store:
    return build_store(
        path,
        works=works(("W1", "original", 1)),
        affiliations=[{"work_id": "W1", "author_seq": 0, "country_code": "JP"}],
    )


@pytest.fixture
def before_and_after(tmp_path):
    """Snapshots of a store before and after the child's transaction, run without a crash."""
    ref = _fresh(tmp_path / "ref")
    before = snapshot(ref)
    assert _run_child(ref.path, None) == 0
    after = snapshot(Store.open(ref.path))
    assert before != after
    return before, after


def _versions_kept(store: Path) -> set[str]:
    return {p.stem for p in (store / ".versions" / "manifests").glob("*.json")}


def _tidy_by_a_writer(path: Path) -> None:
    with merge.transaction(Store.open(path, create=True), {"kind": "nothing"}):
        pass


@pytest.mark.parametrize(("crash_at", "expect"), CRASH_POINTS)
def test_a_kill_leaves_the_store_before_or_after_never_a_mix(tmp_path, before_and_after, crash_at, expect):
    before, after = before_and_after
    s = _fresh(tmp_path / crash_at)
    old_version = s.version
    s.refresh()  # reads as a new Store would, and drops the pin of the version built here
    code = _run_child(s.path, crash_at)
    assert code == 137, "the child should have died at the crash point"
    # A reader sees a complete version at once, with nothing recovered and nothing written.
    listing = sorted(str(p.relative_to(s.path)) for p in s.path.rglob("*"))
    # A program reading DIR/<table>/ without kakehashi sees one version too (not always the
    # committed one: the links follow the commit point in one rename, then the next writer).
    external = {t.name: _rows(pq.read_table(s.path / t.name)) for t in model.TABLES}
    assert external in (
        {k: _rows_of(v) for k, v in before.items()},
        {k: _rows_of(v) for k, v in after.items()},
    )
    reader = Store.open(s.path)
    assert snapshot(reader) == (before if expect == "before" else after)
    assert (reader.version == old_version) == (expect == "before")
    titles = {r["title"] for r in reader.read_arrow("works").to_pylist()}
    assert titles == ({"original"} if expect == "before" else {"changed", "added"})
    assert sorted(str(p.relative_to(s.path)) for p in s.path.rglob("*")) == listing
    # The next writer tidies what the kill left: no work folder, only versions someone holds,
    # and DIR/<table> naming the current version's folder (what DuckDB or pandas read).
    del reader, s.pinned
    _tidy_by_a_writer(s.path)
    assert not [p for p in s.path.iterdir() if p.name.startswith((".tx-", ".old-", ".journal"))]
    current = Store.open(s.path)
    assert _versions_kept(s.path) == {current.version}
    assert snapshot(current) == (before if expect == "before" else after)
    for t in model.TABLES:
        assert (s.path / t.name).resolve() == current.table_dir(t.name).resolve()
    on_disk = {t: sorted(p.name for p in (s.path / ".versions" / "tables" / t).iterdir()) for t in ("works",)}
    assert on_disk["works"] == [Path(current.manifest["tables"]["works"]["path"]).name]


@pytest.mark.parametrize("point", ["before-commit", "after-commit", "before-tidy"])
def test_a_reader_pinned_before_a_commit_reads_the_old_version_throughout(tmp_path, before_and_after, point):
    """A reader opened before a commit reads every table of the old version while the
    commit runs (the child paused just before its commit point, just after it, and
    before it tidies) and after it; it never waits for the writer; a reader opened
    mid-commit sees one whole version, and one opened after the commit the new one."""
    from kakehashi.engines import open_store

    before, after = before_and_after
    path = _fresh(tmp_path / "s").path
    old = Store.open(path)
    tables = open_store(old)  # opens no table yet: the first query does, mid-commit
    go = tmp_path / "go"
    child = _paused_child(path, point, go)
    try:
        assert snapshot(old) == before
        assert tables["works"].title.to_pyarrow().to_pylist() == ["original"]
        assert tables["affiliations"].country_code.to_pyarrow().to_pylist() == ["JP"]
        assert snapshot(Store.open(path)) == (before if point == "before-commit" else after)
        with pytest.raises(StoreError, match="another kakehashi process"):
            _tidy_by_a_writer(path)  # a second writer is refused; readers are not
    finally:
        go.touch()
        assert child.wait(timeout=120) == 0
    # After the commit the old reader still reads the old version, every table of it...
    assert snapshot(old) == before
    assert tables["works"].title.to_pyarrow().to_pylist() == ["original"]
    assert tables["authorships"].count().to_pyarrow().as_py() == 0
    # ...while a reader opened now, or the old one refreshed, reads the new one.
    assert snapshot(Store.open(path)) == after
    first = old.version
    assert first in _versions_kept(path)
    assert old.refresh() and snapshot(old) == after
    # The old version goes with the next writer once nobody holds it (the tables opened on it did).
    _tidy_by_a_writer(path)
    assert first in _versions_kept(path)
    del tables
    _tidy_by_a_writer(path)
    assert first not in _versions_kept(path)
    assert not (path / ".versions" / "tables" / "works" / first).exists()


def test_opening_a_missing_or_foreign_folder(tmp_path):
    with pytest.raises(StoreError, match="no store at"):
        Store.open(tmp_path / "nothing")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("x")
    with pytest.raises(StoreError, match="not a kakehashi store"):
        Store.open(tmp_path / "foreign", create=True)


def test_one_writer_at_a_time_and_readers_never_wait(tmp_path):
    s = build_store(tmp_path / "s", works=works(("W1", "a", 1)))
    with merge.transaction(s, {"kind": "t"}):
        assert Store.open(s.path).read_arrow("works").num_rows == 1  # a reader goes on
        with pytest.raises(StoreError, match="another kakehashi process"):
            _tidy_by_a_writer(s.path)


def test_open_store_opens_a_table_when_first_asked_for_and_once(tmp_path):
    """open_store registers no table up front (each costs a view and a schema read,
    on Spark a job); the first ``tables[name]`` opens it, later ones reuse it."""
    from kakehashi.engines import open_store

    s = build_store(
        tmp_path / "s",
        works=works(("W1", "a", 1)),
        affiliations=[{"work_id": "W1", "author_seq": 0, "country_code": "JP"}],
    )
    tables = open_store(s)
    con = tables.backend.con

    def views() -> set[str]:
        rows = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        return {r[0] for r in rows}

    assert views() == set()
    assert len(tables) == len(model.TABLES) and set(tables) == {t.name for t in model.TABLES}
    w = tables["works"]
    assert len(views()) == 1 and next(iter(views())).startswith("works_")
    assert tables["works"] is w and tables.works is w and len(views()) == 1
    assert tables["affiliations"].country_code.to_pyarrow().to_pylist() == ["JP"]
    assert len(views()) == 2
    with pytest.raises(KeyError):
        tables["no_such_table"]


# -- the registry kind: rows edited by people, replaced by key, never touched by OpenAlex ------


def _programmes(*rows: tuple[str, str, str]) -> pa.Table:
    """Registry rows (programme_id, name_en, _source); the other columns empty."""
    schema = model.spec("programmes").schema.to_pyarrow()
    data = [{"programme_id": p, "name_en": n, "_source": src} for p, n, src in rows]
    return pa.Table.from_pylist(data, schema=schema)


def _registry(store: Store) -> list[tuple[str, str, str]]:
    rows = store.read_arrow("programmes").to_pylist()
    return sorted((r["programme_id"], r["name_en"], r["_source"]) for r in rows)


def test_registry_rows_are_replaced_by_key_and_keep_their_source(tmp_path):
    s = build_store(tmp_path / "s", works=works(("W1", "a", 1)))
    with merge.transaction(s, {"kind": "registry", "files": ["a.csv"]}, writes=("registry",)) as tx:
        tx.replace("programmes", _programmes(("p-a", "A", "a.csv:2"), ("p-b", "B", "a.csv:3")))
    assert _registry(s) == [("p-a", "A", "a.csv:2"), ("p-b", "B", "a.csv:3")]
    # A newer file: p-b twice (the later row wins), p-c new; p-a, not in it, stays as it was.
    with merge.transaction(s, {"kind": "registry", "files": ["b.xlsx"]}, writes=("registry",)) as tx:
        tx.replace(
            "programmes",
            _programmes(("p-b", "B2", "b.xlsx:programmes:2"), ("p-c", "C", "b.xlsx:programmes:3")),
        )
        tx.replace("programmes", _programmes(("p-b", "B3", "b.xlsx:programmes:4")))
    assert _registry(s) == [
        ("p-a", "A", "a.csv:2"),
        ("p-b", "B3", "b.xlsx:programmes:4"),
        ("p-c", "C", "b.xlsx:programmes:3"),
    ]
    assert s.read_arrow("works").num_rows == 1  # the registry write left the works alone
    # The same file again changes nothing.
    before = snapshot(s)
    with merge.transaction(s, {"kind": "registry", "files": ["b.xlsx"]}, writes=("registry",)) as tx:
        tx.replace("programmes", _programmes(("p-b", "B3", "b.xlsx:programmes:4")))
    assert snapshot(s) == before


def test_registry_rows_need_a_source_and_a_key(tmp_path):
    s = Store.open(tmp_path / "s", create=True)
    with merge.transaction(s, {"kind": "registry"}, writes=("registry",)) as tx:
        with pytest.raises(ValueError, match="_source"):
            tx.replace("programmes", _programmes(("p-a", "A", None)))  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="_source"):
            tx.replace("programmes", _programmes(("p-a", "A", "x")).drop_columns(["_source"]))
        with pytest.raises(ValueError, match="key"):
            tx.replace("programmes", _programmes((None, "A", "x")))  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="works is of kind openalex"):
            tx.replace("works", rows_to_arrow("works", works(("W1", "a", 1))))


def test_an_openalex_transaction_cannot_write_the_registry_nor_a_registry_one_works(tmp_path):
    s = Store.open(tmp_path / "s", create=True)
    with (
        pytest.raises(ValueError, match="programmes is of kind registry"),
        merge.transaction(s, {"kind": "t"}) as tx,
    ):
        tx.replace("programmes", _programmes(("p-a", "A", "x")))
    refused = pytest.raises(ValueError, match="works is of kind openalex")
    with refused, merge.transaction(s, {"kind": "r"}, writes=("registry",)) as tx:
        tx.add("works", rows_to_arrow("works", works(("W1", "a", 1))))
    assert not (s.path / "manifest.json").exists()  # both refused before anything was written


def test_the_registry_survives_an_openalex_ingest_untouched(tmp_path):
    from kakehashi.ingest.openalex import ingest_openalex

    s = Store.open(tmp_path / "s", create=True)
    with merge.transaction(s, {"kind": "registry"}, writes=("registry",)) as tx:
        tx.replace("programmes", _programmes(("p-a", "A", "a.csv:2")))
    folder = s.manifest["tables"]["programmes"]["path"]
    src = tmp_path / "w.jsonl"
    author = {"author": {"id": "https://openalex.org/A1"}, "countries": ["JP"], "institutions": []}
    record = {"id": "https://openalex.org/W1", "publication_year": 2020, "updated_date": "2024-01-01"}
    src.write_text(json.dumps({**record, "authorships": [author]}) + "\n")
    for _ in range(2):  # a first ingest and the same again
        ingest_openalex(s, [src])
        assert _registry(s) == [("p-a", "A", "a.csv:2")]
        assert s.manifest["tables"]["programmes"]["path"] == folder  # the very same files
        assert s.read_arrow("works").column("work_id").to_pylist() == ["W1"]


def test_a_format_1_store_is_read_as_it_is_and_moved_to_versions_by_its_next_write(tmp_path):
    """A store written before versions (tables in DIR/<table>/ itself, manifest format 1)
    reads as before; the next write moves it by hard links, and keeps every row."""
    s = _fresh(tmp_path / "s")
    s.refresh()
    before = snapshot(s)
    # Rewrite it as format 1 laid it out.
    old = tmp_path / "old"
    old.mkdir()
    m = s.manifest
    for name, entry in m["tables"].items():
        (old / name).mkdir()
        for f in (s.path / entry["path"]).glob("*.parquet"):
            (old / name / f.name).write_bytes(f.read_bytes())
    (old / "truth" / "sub").mkdir(parents=True)
    (old / "truth" / "a.txt").write_text("kept")
    (old / "truth" / "sub" / "deep.txt").write_text("kept too")
    (old / "mine").mkdir()  # a user's own folder: left where it is
    (old / "mine" / "x.txt").write_text("mine")
    m1 = {k: v for k, v in m.items() if k not in ("folders",)}
    m1["format"] = "kakehashi-store/1"
    m1["tables"] = {k: {"rows": v["rows"]} for k, v in m["tables"].items()}
    (old / "manifest.json").write_text(json.dumps(m1))
    legacy = Store.open(old)
    assert snapshot(legacy) == before and legacy.folder_dir("truth").joinpath("a.txt").read_text() == "kept"
    _tidy_by_a_writer(old)
    moved = Store.open(old)
    assert moved.manifest["format"] == "kakehashi-store/2"
    assert snapshot(moved) == before
    assert moved.folder_dir("truth").joinpath("a.txt").read_text() == "kept"
    assert moved.folder_dir("truth").joinpath("sub", "deep.txt").read_text() == "kept too"
    assert (old / "works").is_symlink() and (old / "truth").is_symlink()
    assert (old / "truth" / "sub" / "deep.txt").read_text() == "kept too"
    assert (old / "mine" / "x.txt").read_text() == "mine" and not (old / "mine").is_symlink()
    assert pq.read_table(old / "works").num_rows == 1  # DIR/<table>/ as DESIGN.md has it


def test_a_store_copied_without_its_versions_folder_says_so(tmp_path):
    s = _fresh(tmp_path / "s")
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "manifest.json").write_bytes((s.path / "manifest.json").read_bytes())  # no .versions/
    with pytest.raises(StoreError, match=r"without its hidden \.versions folder"):
        Store.open(copy)


def test_a_refused_first_write_leaves_no_folder_behind(tmp_path):
    s = Store.open(tmp_path / "new", create=True)
    with pytest.raises(RuntimeError), merge.transaction(s, {"kind": "t"}) as tx:
        tx.add("works", rows_to_arrow("works", works(("W1", "a", 1))))
        raise RuntimeError("the source broke")
    assert not (tmp_path / "new").exists()
    with pytest.raises(StoreError, match="no store at"):
        Store.open(tmp_path / "new")
    (tmp_path / "dots").mkdir()
    (tmp_path / "dots" / ".lock").touch()  # what an older refused write could leave
    with pytest.raises(StoreError, match="no store at"):
        Store.open(tmp_path / "dots")


def test_a_format_1_store_left_mid_swap_is_refused_to_readers_and_finished_by_a_writer(tmp_path):
    s = _fresh(tmp_path / "s")
    s.refresh()
    old = tmp_path / "old"
    (old / ".tx-abc" / "works").mkdir(parents=True)
    m = s.manifest
    for name, entry in m["tables"].items():
        (old / name).mkdir()
        for f in (s.path / entry["path"]).glob("*.parquet"):
            (old / name / f.name).write_bytes(f.read_bytes())
    m1 = {k: v for k, v in m.items() if k != "folders"}
    m1.update(format="kakehashi-store/1", tables={k: {"rows": v["rows"]} for k, v in m["tables"].items()})
    # A format-1 commit killed after its journal: the new works wait in .tx-abc/.
    (old / ".tx-abc" / "works" / "part-00000.parquet").write_bytes(
        next((s.path / m["tables"]["works"]["path"]).glob("*.parquet")).read_bytes()
    )
    journal = {"txid": "abc", "tables": ["works"], "manifest": {**m1, "store_version": "abc"}}
    (old / ".journal.json").write_text(json.dumps(journal))
    with pytest.raises(StoreError, match="half-written by an older kakehashi"):
        Store.open(old)
    _tidy_by_a_writer(old)
    assert not (old / ".journal.json").exists()
    assert snapshot(Store.open(old)) == snapshot(s)
