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
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

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
    with s.transaction({"kind": "test2"}) as tx:
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
    with s.transaction({"kind": "t"}) as tx:
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
            with s.transaction({"kind": "t", "round": i}) as tx:
                if how == "staged":
                    for name, t in tables.items():
                        tx.add(name, t)
                else:
                    con = ibis.duckdb.connect()
                    tx.merge(
                        con, {n: _duckdb_table(con, tmp_path / f"{i}-{n}", t) for n, t in tables.items()}
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
    with pytest.raises(ValueError, match="works"), s.transaction({"kind": "t"}) as tx:
        tx.merge(
            con, {"works": _duckdb_table(con, tmp_path / "w", rows_to_arrow("works", works(("W1", "a", 1))))}
        )
        tx.add("affiliations", aff)  # a child of works, which was merged already
    assert not (s.path / "works").exists()


def test_same_ingest_twice_changes_nothing(tmp_path):
    rows = works(("W1", "a", 1), ("W2", "b", 2))
    aff = [{"work_id": "W1", "author_seq": 0, "country_code": "JP"}]
    s = build_store(tmp_path / "s", works=[dict(r) for r in rows], affiliations=aff)
    before = snapshot(s)
    sources_before = len(s.manifest["sources"])
    with s.transaction({"kind": "test"}) as tx:
        tx.add("works", rows_to_arrow("works", [dict(r) for r in rows]))
        tx.add("affiliations", rows_to_arrow("affiliations", aff, {"W1": 0}))
    assert snapshot(s) == before
    assert len(s.manifest["sources"]) == sources_before


def test_an_error_inside_a_transaction_leaves_the_store_as_it_was(tmp_path):
    s = build_store(tmp_path / "s", works=works(("W1", "a", 1)))
    before, manifest = snapshot(s), s.manifest
    with pytest.raises(RuntimeError), s.transaction({"kind": "t"}) as tx:
        tx.add("works", rows_to_arrow("works", works(("W2", "b", 1))))
        raise RuntimeError("the source broke half-way")
    assert snapshot(s) == before
    assert s.manifest == manifest
    assert not list((tmp_path / "s").glob(".tx-*"))


CHILD = textwrap.dedent(
    """
    import datetime as dt, sys
    from kakehashi.store import Store
    from storebuild import rows_to_arrow
    s = Store.open(sys.argv[1])
    w = [{"work_id": "W1", "year": 2020, "title": "changed", "updated_date": dt.datetime(2025, 1, 1)},
         {"work_id": "W9", "year": 2021, "title": "added", "updated_date": dt.datetime(2025, 1, 1)}]
    a = [{"work_id": "W1", "author_seq": 0, "country_code": "KR"},
         {"work_id": "W9", "author_seq": 0, "country_code": "GB"}]
    with s.transaction({"kind": "second"}) as tx:
        tx.add("works", rows_to_arrow("works", w))
        tx.add("affiliations", rows_to_arrow("affiliations", a, {"W1": 0, "W9": 1}))
    """
)


def _run_child(store: Path, crash_at: str | None) -> int:
    env = dict(os.environ, PYTHONPATH=str(TESTS))
    env.pop("KAKEHASHI_CRASH_AT", None)
    if crash_at:
        env["KAKEHASHI_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "-c", CHILD, str(store)], env=env, timeout=120).returncode


@pytest.fixture
def before_and_after(tmp_path):
    """Snapshots of a store before and after the child's transaction, run without a crash."""

    def fresh(name: str) -> Store:
        return build_store(
            tmp_path / name,
            works=works(("W1", "original", 1)),
            affiliations=[{"work_id": "W1", "author_seq": 0, "country_code": "JP"}],
        )

    ref = fresh("ref")
    before = snapshot(ref)
    assert _run_child(ref.path, None) == 0
    after = snapshot(Store.open(ref.path))
    assert before != after
    return fresh, before, after


@pytest.mark.parametrize(
    ("crash_at", "expect"),
    [
        ("before-journal", "before"),  # new tables written aside, no journal yet: roll back
        ("after-journal", "after"),  # journal written, nothing swapped: roll forward
        ("mid-swap", "after"),  # killed with one table swapped and the next not: roll forward
        ("before-journal-removed", "after"),  # all swapped, journal still there: finish
    ],
)
def test_a_kill_leaves_the_store_before_or_after_never_a_mix(before_and_after, crash_at, expect):
    fresh, before, after = before_and_after
    s = fresh(crash_at)
    code = _run_child(s.path, crash_at)
    assert code == 137, "the child should have died at the crash point"
    if crash_at != "before-journal":
        assert (s.path / ".journal.json").exists()
    recovered = Store.open(s.path)  # the next command recovers
    assert snapshot(recovered) == (before if expect == "before" else after)
    assert not (s.path / ".journal.json").exists()
    assert not [p for p in s.path.iterdir() if p.name.startswith((".tx-", ".old-"))]
    titles = {r["title"] for r in recovered.read_arrow("works").to_pylist()}
    assert titles == ({"original"} if expect == "before" else {"changed", "added"})


def test_opening_a_missing_or_foreign_folder(tmp_path):
    with pytest.raises(StoreError, match="no store at"):
        Store.open(tmp_path / "nothing")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("x")
    with pytest.raises(StoreError, match="not a kakehashi store"):
        Store.open(tmp_path / "foreign", create=True)


def test_one_writer_at_a_time(tmp_path):
    s = build_store(tmp_path / "s", works=works(("W1", "a", 1)))
    with s.transaction({"kind": "t"}), pytest.raises(StoreError, match="another kakehashi process"):
        Store.open(s.path)


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
