"""institution_lineage's depths read off the ancestors' own lineages (model/lineage.py).

OpenAlex's ``lineage`` is a set sorted by id, not a list from the
institution upwards, so an ancestor's place in it says nothing. Each case
below is a few hand-made work records (or real ones) ingested as they are;
the expected depths are worked out in the comments by the rule of
:mod:`kakehashi.model.lineage`: for an ancestor A of X whose own lineage is
known, ``1 + the number of X's other ancestors below A`` (B is below A when
B's lineage lists A, or, B's lineage unknown, when A's does not list B); for
an A whose lineage is unknown, one more than the deepest known ancestor of X
listing A, else 1.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict

import pytest

from kakehashi.engines import open_store
from kakehashi.indicators import Scope
from kakehashi.indicators.collab_types import _roots, work_types
from kakehashi.indicators.institutions import institution_profile
from kakehashi.ingest.openalex import ingest_openalex
from kakehashi.store import Store
from test_ingest_batches import batches  # noqa: F401 (a fixture)
from test_ingest_openalex import OA, inst, rows, write_jsonl

CSIC, INIA, ICIFOR = "I134820265", "I4210106474", "I4388891847"


def au(seq: int, iid: str, lineage: list[str], cc: str = "ES") -> dict:
    return {
        "author_position": "first" if seq == 0 else "middle",
        "author": {"id": OA + f"A{seq + 1}", "display_name": f"author {seq + 1}"},
        "institutions": [inst(iid, f"institution {iid}", cc, "facility", lineage)],
        "countries": [cc],
    }


def work(wid: str, *authorships: dict, updated: str = "2024-01-01T00:00:00") -> dict:
    return {
        "id": OA + wid,
        "publication_year": 2008,
        "publication_date": "2008-05-01",
        "type": "article",
        "updated_date": updated,
        "authorships": list(authorships),
    }


# The smallest case (as biodiversity_finance_search_works.jsonl.gz line 66 has it):
# one 2008 work, an author at ICIFOR, whose lineage lists CSIC twice and is sorted by id,
# and one at INIA, whose own lineage puts CSIC above it.
SMALLEST = work(
    "W1",
    au(0, ICIFOR, [CSIC, CSIC, INIA, ICIFOR]),
    au(1, INIA, [CSIC, INIA]),
)
# ICIFOR: ancestors {CSIC, INIA} (CSIC once). INIA's lineage is known and lists CSIC, so
# CSIC is above INIA: nothing of ICIFOR's is below INIA → 1 + 0 = 1. CSIC's lineage is
# unknown (no author is at CSIC): one deeper than INIA, the known one listing it → 2.
# INIA: one ancestor, CSIC, unknown and listed by nothing else of INIA's → 1.
SMALLEST_ROWS = [
    {"institution_id": INIA, "ancestor_id": CSIC, "depth": 1},
    {"institution_id": INIA, "ancestor_id": INIA, "depth": 0},
    {"institution_id": ICIFOR, "ancestor_id": CSIC, "depth": 2},
    {"institution_id": ICIFOR, "ancestor_id": INIA, "depth": 1},
    {"institution_id": ICIFOR, "ancestor_id": ICIFOR, "depth": 0},
]


def test_smallest_case_rows_and_collab_type(tmp_path, engine):
    store = Store.open(tmp_path / "store", create=True)
    ingest_openalex(store, [write_jsonl(tmp_path / "w.jsonl", [SMALLEST])])
    assert rows(store, "institution_lineage", engine) == SMALLEST_ROWS
    t = open_store(store, engine)
    # Both roll up to CSIC (the deepest row of each), so the two Spanish authors are at one
    # institution: single_institution, not domestic_multi_institution.
    roots = _roots(t["institution_lineage"]).to_pyarrow().to_pylist()
    assert sorted((r["institution_id"], r["root_id"]) for r in roots) == [(INIA, CSIC), (ICIFOR, CSIC)]
    got = work_types(t, Scope()).to_pyarrow().to_pylist()
    assert [(r["work_id"], r["collab_type"]) for r in got] == [("W1", "single_institution")]
    # --level root of institution-profile: one row, CSIC, with the one work.
    prof = institution_profile(t, Scope(level="root")).to_pyarrow().to_pylist()
    assert [(r["institution_id"], r["works"]) for r in prof] == [(CSIC, 1)]


@pytest.mark.spark
def test_smallest_case_ingested_on_spark(tmp_path):
    # The Spark ingest normalises with the same Ibis code (duplicates dropped there too).
    store = Store.open(tmp_path / "store", create=True)
    ingest_openalex(store, [write_jsonl(tmp_path / "w.jsonl", [SMALLEST])], engine="spark")
    assert rows(store, "institution_lineage") == SMALLEST_ROWS


# A chain whose id order is not its order: I30 → parent I10 → I40 → top I20. Every lineage is
# sorted by id, as OpenAlex sorts them: I30's starts with I10 (not with I30 itself), I10's
# with itself but goes on I20, I40 (top first).
CHAIN = work(
    "W2",
    au(0, "I30", ["I10", "I20", "I30", "I40"]),
    au(1, "I10", ["I10", "I20", "I40"]),
    au(2, "I40", ["I20", "I40"]),
    au(3, "I20", ["I20"]),
)
# All lineages known. For I30 (ancestors I10, I20, I40): below I10 none → 1; below I40 is
# I10 (its lineage lists I40) → 2; below I20 are I10 and I40 → 3. For I10 (I20, I40):
# I40 1 + 0; I20 1 + 1 (I40's lineage lists I20) = 2. For I40: I20 → 1.
CHAIN_ROWS = [
    ("I10", "I10", 0), ("I10", "I20", 2), ("I10", "I40", 1),
    ("I20", "I20", 0),
    ("I30", "I10", 1), ("I30", "I20", 3), ("I30", "I30", 0), ("I30", "I40", 2),
    ("I40", "I20", 1), ("I40", "I40", 0),
]  # fmt: skip


def triples(store: Store) -> list[tuple[str, str, int]]:
    return [(r["institution_id"], r["ancestor_id"], r["depth"]) for r in rows(store, "institution_lineage")]


def test_sorted_by_id_is_not_the_hierarchy(tmp_path):
    store = Store.open(tmp_path / "store", create=True)
    ingest_openalex(store, [write_jsonl(tmp_path / "w.jsonl", [CHAIN])])
    assert triples(store) == CHAIN_ROWS


def test_unknown_lineages_fall_back(tmp_path):
    records = [
        # I51 → I52 → I50, only I50 (the top) seen on its own. I50's lineage is known and
        # does not list I52, whose lineage is unknown: I52 is below I50 → I50 1 + 1 = 2.
        # I52: unknown, no known ancestor of I51 lists it → 1.
        work("W3", au(0, "I51", ["I50", "I51", "I52"]), au(1, "I50", ["I50"])),
        # I61 → I63 → I60 → I62, only I60 seen (lineage [I60, I62]). I60: I63 is unknown
        # and not in I60's lineage → below; I62 is in it → above: 1 + 1 = 2. I62 unknown,
        # listed by I60 (depth 2) → 3. I63 unknown, listed by none → 1. The chain exactly.
        work("W4", au(0, "I61", ["I60", "I61", "I62", "I63"]), au(1, "I60", ["I60", "I62"])),
        # I71 under I70 and I72, neither seen: nothing tells them apart → both 1 (the
        # roll-up then takes the lower id, I70).
        work("W5", au(0, "I71", ["I70", "I71", "I72"])),
    ]
    store = Store.open(tmp_path / "store", create=True)
    ingest_openalex(store, [write_jsonl(tmp_path / "w.jsonl", records)])
    assert triples(store) == [
        ("I50", "I50", 0),
        ("I51", "I50", 2), ("I51", "I51", 0), ("I51", "I52", 1),
        ("I60", "I60", 0), ("I60", "I62", 1),
        ("I61", "I60", 2), ("I61", "I61", 0), ("I61", "I62", 3), ("I61", "I63", 1),
        ("I71", "I70", 1), ("I71", "I71", 0), ("I71", "I72", 1),
    ]  # fmt: skip
    roots = _roots(open_store(store, "duckdb")["institution_lineage"]).to_pyarrow().to_pylist()
    root = {r["institution_id"]: r["root_id"] for r in roots}
    assert (root["I51"], root["I61"], root["I71"]) == ("I50", "I62", "I70")


# I30 alone: its ancestors' lineages unknown, each depth 1 (the roll-up's lower id, I10, is
# wrong, but nothing says otherwise). The rest of CHAIN, seen later, tells them apart.
ALONE = work("W6", au(0, "I30", ["I10", "I20", "I30", "I40"]))
ALONE_ROWS = [("I30", "I10", 1), ("I30", "I20", 1), ("I30", "I30", 0), ("I30", "I40", 1)]
REST = work("W7", *CHAIN["authorships"][1:])


def test_depths_follow_lineages_learnt_in_a_later_ingest(tmp_path):
    store = Store.open(tmp_path / "store", create=True)
    ingest_openalex(store, [write_jsonl(tmp_path / "a.jsonl", [ALONE])])
    assert triples(store) == ALONE_ROWS
    # I30 is not in the second ingest: its stored rows win, their depths are derived anew.
    ingest_openalex(store, [write_jsonl(tmp_path / "b.jsonl", [REST])])
    assert triples(store) == CHAIN_ROWS


def test_depths_across_batches(tmp_path, batches):  # noqa: F811
    # The same two records as two files of one ingest, each file a batch of its own.
    paths = [write_jsonl(tmp_path / "a.jsonl", [ALONE]), write_jsonl(tmp_path / "b.jsonl", [REST])]
    store = Store.open(tmp_path / "store", create=True)
    ingest_openalex(store, paths)
    assert batches.staged == 2
    assert triples(store) == CHAIN_ROWS


def test_depths_from_institution_entity_records(tmp_path):
    # I30 read off a work; its ancestors' lineages only from institution entity records.
    snap = tmp_path / "snapshot" / "data"
    write_jsonl(snap / "works/updated_date=2024-01-01/part_000.gz", [ALONE], gz=True)
    entities = [
        {**inst(a["institutions"][0]["id"].removeprefix(OA), "x", "ES", "facility"),
         "lineage": a["institutions"][0]["lineage"], "updated_date": "2020-01-01T00:00:00"}
        for a in REST["authorships"]
    ]  # fmt: skip
    write_jsonl(snap / "institutions/updated_date=2024-01-01/part_000.gz", entities, gz=True)
    store = Store.open(tmp_path / "store", create=True)
    ingest_openalex(store, [tmp_path / "snapshot"])
    assert triples(store) == CHAIN_ROWS


@pytest.mark.shared
def test_real_records(tmp_path, real_records):
    store = Store.open(tmp_path / "store", create=True)
    ingest_openalex(store, [real_records])
    got = triples(store)
    # Every institution of the store has exactly one row for itself, at depth 0, and no
    # (institution, ancestor) pair is there twice.
    institutions = {r["institution_id"] for r in rows(store, "institutions")}
    assert sorted(x for x, a, d in got if d == 0) == sorted(institutions)
    assert all(x == a for x, a, d in got if d == 0)
    assert len({(x, a) for x, a, _ in got}) == len(got)
    # The members are the lineage lists of the records as they are (each newest
    # occurrence's list holds the same set in these files), and each ancestor lies below
    # every other ancestor its own lineage lists.
    records = [
        json.loads(line)
        for f in sorted(real_records.glob("*.jsonl.gz"))
        for line in gzip.decompress(f.read_bytes()).decode().split("\n")
        if line.strip()
    ]
    records += json.loads((real_records / "keypapers_results_page_1.json").read_text())["results"]
    raw: dict[str, set[str]] = defaultdict(set)
    for r in records:
        for a in r.get("authorships") or []:
            for i in a.get("institutions") or []:
                raw[i["id"].removeprefix(OA)] |= {x.removeprefix(OA) for x in i.get("lineage") or []}
    depth = {(x, a): d for x, a, d in got}
    ancestors: dict[str, set[str]] = defaultdict(set)
    for x, a, _ in got:
        if a != x:
            ancestors[x].add(a)
    for x, anc in ancestors.items():
        assert anc == raw[x] - {x}, x
        for a in anc & set(ancestors):
            for c in ancestors[a] & anc:
                assert depth[(x, c)] > depth[(x, a)], (x, a, c)
    # Hand-checked (zcat biodiversity_finance_search_works.jsonl.gz, lines 60 and 66, and
    # snowball_…jsonl.gz line 24): ICIFOR under INIA under CSIC (INIA's lineage is
    # [CSIC, INIA]); Plant Industry (I4210152679) under CSIRO (I1292875679, lineage
    # [CSIRO, I2801453606, I4387156119]), whose two ancestors are seen nowhere else: each 2.
    # Guy's Hospital (I1298207432; lineage [itself, I200166805, I4210111135]): I200166805
    # (Guy's and St Thomas' NHS Foundation Trust) has the lineage [itself], so it is not
    # below I4210111135, never seen itself: I200166805 2, I4210111135 1.
    assert {a: depth[(ICIFOR, a)] for a in ancestors[ICIFOR]} == {INIA: 1, CSIC: 2}
    assert {a: depth[("I4210152679", a)] for a in ancestors["I4210152679"]} == {
        "I1292875679": 1,
        "I2801453606": 2,
        "I4387156119": 2,
    }
    assert {a: depth[("I1298207432", a)] for a in ancestors["I1298207432"]} == {
        "I200166805": 2,
        "I4210111135": 1,
    }
