"""`ingest_openalex` on hand-made OpenAlex records: every rule of issue 2 point 4.

Each test writes its records here and works out, in the comments, the rows
they must become; the rows are read back through ``open_store`` (both
engines for the main case, DuckDB elsewhere: Spark is slow to start).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from kakehashi.engines import open_store
from kakehashi.errors import IngestError, KakehashiError, MalformedInputError
from kakehashi.ingest.openalex import ingest_openalex
from kakehashi.store import Store

OA = "https://openalex.org/"


def write_jsonl(
    path: Path, records: list[Any], *, gz: bool = False, raw_lines: dict[int, str] | None = None
) -> Path:
    """Write one JSON line per record; ``raw_lines`` puts text as-is before record i (0-based)."""
    lines = []
    for i, r in enumerate(records):
        if raw_lines and i in raw_lines:
            lines.append(raw_lines[i])
        lines.append(json.dumps(r))
    data = ("\n".join(lines) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def rows(store: Store, name: str, engine: str = "duckdb", cols: list[str] | None = None) -> list[dict]:
    t = open_store(store, engine)[name]
    cols = cols or [c for c in t.columns if not c.startswith("_")]
    out = t.select(*cols).to_pyarrow().to_pylist()
    return sorted(out, key=lambda r: [(v is None, str(v)) for v in r.values()])


def snapshot(store: Store) -> dict[str, list[dict]]:
    """Every table's every column (bookkeeping too), for before/after comparisons."""
    tables = open_store(store, "duckdb")
    return {name: rows(store, name, cols=list(tables[name].columns)) for name in tables}


def inst(iid, name, cc, typ, lineage=None, ror=None) -> dict:
    d = {"id": OA + iid, "display_name": name, "ror": ror, "country_code": cc, "type": typ}
    if lineage is not None:
        d["lineage"] = [OA + x for x in lineage]
    return d


# -- the records -----------------------------------------------------------------------
# W1: current schema, everything a record can carry, plus keys kakehashi ignores.
W1 = {
    "id": OA + "W1",
    "doi": "https://doi.org/10.1000/abc",
    "title": "Current record",
    "display_name": "Current record",
    "publication_year": 2021,
    "publication_date": "2021-03-04",
    "type": "article",
    "type_crossref": "journal-article",
    "cited_by_count": 7,
    "language": "en",
    "is_retracted": False,
    "updated_date": "2024-05-01T10:00:00.000000",
    "primary_topic": {
        "id": OA + "T10001",
        "display_name": "Some topic",
        "subfield": {"id": OA + "subfields/1702", "display_name": "AI"},
        "field": {"id": OA + "fields/17", "display_name": "Computer Science"},
        "domain": {"id": OA + "domains/3", "display_name": "Physical Sciences"},
    },
    "topics": [{"id": OA + "T10001"}],
    "authorships": [
        {
            "author_position": "first",
            "author": {
                "id": OA + "A1",
                "display_name": "Aiko Sato",
                "orcid": "https://orcid.org/0000-0001-2345-6789",
            },
            "institutions": [
                inst("I1", "Univ Tokyo", "jp", "education", ["I1"], ror="https://ror.org/057zh3y96"),
                inst("I2", "RIKEN Centre", "JP", "facility", ["I2", "I3"]),
            ],
            "countries": ["JP"],
            "is_corresponding": True,
            "raw_author_name": "A. Sato",
            "raw_affiliation_strings": ["Univ Tokyo", "RIKEN"],
        },
        {
            # no institution: the raw affiliation's country (lower case here) is kept
            "author_position": "middle",
            "author": {"id": OA + "A2", "display_name": "Bo Li", "orcid": None},
            "institutions": [],
            "countries": ["cn"],
            "is_corresponding": False,
            "raw_author_name": "Bo Li",
        },
        {
            # no author id; an institution without a country
            "author_position": "last",
            "author": {"id": None, "display_name": "Anon"},
            "institutions": [inst("I4", "Lab Co", None, "company", ["I4"])],
            "countries": [],
            "is_corresponding": False,
            "raw_author_name": "X. Anon",
        },
    ],
    "funders": [
        {"id": OA + "F1", "display_name": "JSPS", "ror": "https://ror.org/00hhkn466"},
        {"id": OA + "F2", "display_name": "JST", "ror": None},
    ],
    "awards": [
        {
            "id": OA + "G1",
            "funder_id": OA + "F1",
            "funder_display_name": "JSPS",
            "funder_award_id": "18K1, 20K2",
        }
    ],
    "abstract_inverted_index": {"Hello": [0]},
    "locations": [{"source": {"id": OA + "S1"}}],
}

# W2: the 2022 schema — Crossref type, host_venue, concepts, grants, no topics/countries/lineage.
W2 = {
    "id": OA + "W2",
    "doi": "https://doi.org/10.2000/XYZ",
    "title": "Old record",
    "display_name": "Old record",
    "publication_year": 2019,
    "publication_date": "2019-12-31",
    "type": "journal-article",
    "cited_by_count": 3,
    "is_retracted": False,
    "updated_date": "2022-06-01T00:00:00",
    "host_venue": {"id": "https://openalex.org/V1", "display_name": "A Journal"},
    "concepts": [{"id": OA + "C1", "level": 0}],
    "authorships": [
        {
            "author_position": "first",
            "author": {"id": OA + "A1", "display_name": "A. Sato (2022)", "orcid": None},
            "institutions": [inst("I1", "University of Tokyo (2022)", "JP", "education")],
            "raw_affiliation_string": "Univ Tokyo",
        }
    ],
    "grants": [
        {"funder": OA + "F3", "funder_display_name": "NSF", "award_id": "1234 , 5678,"},
        {"funder": OA + "F1", "funder_display_name": "JSPS", "award_id": None},
    ],
}

# W3: current schema, an author with neither institution nor country: no country at all.
W3 = {
    "id": OA + "W3",
    "doi": None,
    "title": "Nowhere",
    "publication_year": 2020,
    "publication_date": "2020-01-01",
    "type": "book",
    "cited_by_count": 0,
    "language": "ja",
    "is_retracted": True,
    "updated_date": "2023-01-01T00:00:00",
    "authorships": [
        {
            "author_position": "first",
            "author": {"id": OA + "A3", "display_name": "C"},
            "institutions": [],
            "countries": [],
            "is_corresponding": False,
            "raw_author_name": "C",
        }
    ],
    "funders": [],
    "awards": [],
}


@pytest.fixture
def two_files(tmp_path: Path) -> list[Path]:
    a = write_jsonl(tmp_path / "src" / "a.jsonl", [W1])
    b = write_jsonl(tmp_path / "src" / "b.jsonl.gz", [W2, W3], gz=True)
    return [a, b]


def test_current_and_2022_records_into_every_table(tmp_path, two_files, engine):
    store = Store.open(tmp_path / "store", create=True)
    report = ingest_openalex(store, two_files)
    a, b = (str(p.resolve()) for p in two_files)

    # 3 records of 3 works; W3 has no country anywhere (W1 has JP/CN, W2 JP).
    assert (report.files, report.records, report.skipped) == (2, 3, 0)
    assert (report.works, report.works_without_country) == (3, 1)

    assert rows(store, "works", engine, cols=[*open_store(store, "duckdb").works.columns][:-1]) == [
        {
            "work_id": "W1",
            "year": 2021,
            "publication_date": dt.date(2021, 3, 4),
            "type": "article",
            "type_crossref": "journal-article",
            "cited_by_count": 7,
            "field_id": 17,
            "subfield_id": 1702,
            "domain_id": 3,
            "topic_id": "T10001",
            "doi": "https://doi.org/10.1000/abc",
            "title": "Current record",
            "language": "en",
            "is_retracted": False,
            "updated_date": dt.datetime(2024, 5, 1, 10, 0),
            "_source_path": a,
        },
        {
            # Crossref's journal-article → article, the original kept; no topic → no field
            "work_id": "W2",
            "year": 2019,
            "publication_date": dt.date(2019, 12, 31),
            "type": "article",
            "type_crossref": "journal-article",
            "cited_by_count": 3,
            "field_id": None,
            "subfield_id": None,
            "domain_id": None,
            "topic_id": None,
            "doi": "https://doi.org/10.2000/XYZ",
            "title": "Old record",
            "language": None,
            "is_retracted": False,
            "updated_date": dt.datetime(2022, 6, 1),
            "_source_path": b,
        },
        {
            # a current record without type_crossref: none invented
            "work_id": "W3",
            "year": 2020,
            "publication_date": dt.date(2020, 1, 1),
            "type": "book",
            "type_crossref": None,
            "cited_by_count": 0,
            "field_id": None,
            "subfield_id": None,
            "domain_id": None,
            "topic_id": None,
            "doi": None,
            "title": "Nowhere",
            "language": "ja",
            "is_retracted": True,
            "updated_date": dt.datetime(2023, 1, 1),
            "_source_path": b,
        },
    ]
    assert rows(store, "works", engine, cols=["work_id", "_source_line"]) == [
        {"work_id": "W1", "_source_line": 1},
        {"work_id": "W2", "_source_line": 1},
        {"work_id": "W3", "_source_line": 2},
    ]
    assert rows(store, "authorships", engine) == [
        {"work_id": "W1", "author_seq": 0, "author_id": "A1", "author_position": "first",
         "is_corresponding": True, "raw_author_name": "A. Sato"},
        {"work_id": "W1", "author_seq": 1, "author_id": "A2", "author_position": "middle",
         "is_corresponding": False, "raw_author_name": "Bo Li"},
        {"work_id": "W1", "author_seq": 2, "author_id": None, "author_position": "last",
         "is_corresponding": False, "raw_author_name": "X. Anon"},
        {"work_id": "W2", "author_seq": 0, "author_id": "A1", "author_position": "first",
         "is_corresponding": None, "raw_author_name": None},
        {"work_id": "W3", "author_seq": 0, "author_id": "A3", "author_position": "first",
         "is_corresponding": False, "raw_author_name": "C"},
    ]  # fmt: skip
    # W1 seq0: two institutions (jp upper-cased); seq1: no institution → raw country CN;
    # seq2: institution without a country → null country. W3: nothing → no row.
    assert rows(store, "affiliations", engine) == [
        {"work_id": "W1", "author_seq": 0, "author_id": "A1", "institution_id": "I1", "country_code": "JP"},
        {"work_id": "W1", "author_seq": 0, "author_id": "A1", "institution_id": "I2", "country_code": "JP"},
        {"work_id": "W1", "author_seq": 1, "author_id": "A2", "institution_id": None, "country_code": "CN"},
        {"work_id": "W1", "author_seq": 2, "author_id": None, "institution_id": "I4", "country_code": None},
        {"work_id": "W2", "author_seq": 0, "author_id": "A1", "institution_id": "I1", "country_code": "JP"},
    ]
    # W1: F1's award "18K1, 20K2" split and trimmed; F2 named without an award → null award.
    # W2 (grants): "1234 , 5678," → 1234, 5678 (the empty tail dropped); F1 without award.
    assert rows(store, "work_funders", engine) == [
        {"work_id": "W1", "funder_id": "F1", "award_id": "18K1"},
        {"work_id": "W1", "funder_id": "F1", "award_id": "20K2"},
        {"work_id": "W1", "funder_id": "F2", "award_id": None},
        {"work_id": "W2", "funder_id": "F1", "award_id": None},
        {"work_id": "W2", "funder_id": "F3", "award_id": "1234"},
        {"work_id": "W2", "funder_id": "F3", "award_id": "5678"},
    ]
    # F1 is named by W1 (2024) and W2 (2022): the newer record's name; all read off works.
    funder_cols = ["funder_id", "name", "country_code", "_entity", "updated_date"]
    assert rows(store, "funders", engine, cols=funder_cols) == [
        {"funder_id": "F1", "name": "JSPS", "country_code": None, "_entity": 0,
         "updated_date": dt.datetime(2024, 5, 1, 10, 0)},
        {"funder_id": "F2", "name": "JST", "country_code": None, "_entity": 0,
         "updated_date": dt.datetime(2024, 5, 1, 10, 0)},
        {"funder_id": "F3", "name": "NSF", "country_code": None, "_entity": 0,
         "updated_date": dt.datetime(2022, 6, 1)},
    ]  # fmt: skip
    # I1 is in W1 (2024) and W2 (2022): W1's version wins; ROR shortened.
    assert rows(store, "institutions", engine, cols=["institution_id", "ror", "name", "name_ja",
                                                     "country_code", "type", "_entity"]) == [
        {"institution_id": "I1", "ror": "057zh3y96", "name": "Univ Tokyo", "name_ja": None,
         "country_code": "JP", "type": "education", "_entity": 0},
        {"institution_id": "I2", "ror": None, "name": "RIKEN Centre", "name_ja": None,
         "country_code": "JP", "type": "facility", "_entity": 0},
        {"institution_id": "I4", "ror": None, "name": "Lab Co", "name_ja": None,
         "country_code": None, "type": "company", "_entity": 0},
    ]  # fmt: skip
    # Every institution itself at depth 0; I2's parent I3 at depth 1 (its place in lineage).
    assert rows(store, "institution_lineage", engine) == [
        {"institution_id": "I1", "ancestor_id": "I1", "depth": 0},
        {"institution_id": "I2", "ancestor_id": "I2", "depth": 0},
        {"institution_id": "I2", "ancestor_id": "I3", "depth": 1},
        {"institution_id": "I4", "ancestor_id": "I4", "depth": 0},
    ]
    # A1 in W1 (2024, with ORCID, shortened) and W2 (2022): W1's.
    assert rows(store, "authors", engine, cols=["author_id", "orcid", "name", "_entity"]) == [
        {"author_id": "A1", "orcid": "0000-0001-2345-6789", "name": "Aiko Sato", "_entity": 0},
        {"author_id": "A2", "orcid": None, "name": "Bo Li", "_entity": 0},
        {"author_id": "A3", "orcid": None, "name": "C", "_entity": 0},
    ]
    assert rows(store, "author_affiliations", engine) == []

    src = store.manifest["sources"][-1]
    assert src["kind"] == "openalex"
    assert src["paths"] == [a, b]
    assert (src["records"], src["works"], src["works_without_country"]) == (3, 3, 1)
    assert src["record_dates"] == {"min": "2022-06-01T00:00:00", "max": "2024-05-01T10:00:00"}
    assert src["snapshot_date"] is None


def test_newest_wins_then_later_file_then_later_line(tmp_path):
    def w(i: str, title: str, updated: str) -> dict:
        return {"id": OA + i, "title": title, "type": "article", "updated_date": updated, "authorships": []}

    # W10: newest updated_date wins even from the earlier file.
    # W11: same date in both files → the later file (b) wins.
    # W12: same date twice in one file → the later line (3) wins.
    a = write_jsonl(tmp_path / "a.jsonl", [w("W10", "new", "2024-02-02"), w("W11", "a", "2024-01-01")])
    b = write_jsonl(
        tmp_path / "b.jsonl",
        [w("W10", "old", "2023-01-01"), w("W11", "b", "2024-01-01"), w("W12", "first", "2024-01-01"),
         w("W12", "second", "2024-01-01")],
    )  # fmt: skip
    store = Store.open(tmp_path / "store", create=True)
    # Given in reverse: the order of arguments does not matter, sorted path order does.
    report = ingest_openalex(store, [b, a])
    assert (report.records, report.works) == (6, 3)
    assert rows(store, "works", cols=["work_id", "title", "_source_path", "_source_line"]) == [
        {"work_id": "W10", "title": "new", "_source_path": str(a), "_source_line": 1},
        {"work_id": "W11", "title": "b", "_source_path": str(b), "_source_line": 2},
        {"work_id": "W12", "title": "second", "_source_path": str(b), "_source_line": 4},
    ]


def newest_occurrence_records() -> list[dict]:
    """Works naming the same authors and institutions, for the newest-occurrence rule
    (also run with every record a file of its own: test_ingest_batches.py)."""

    def au(aid: str, name: str, *insts: tuple[str, str]) -> dict:
        return {
            "author": {"id": OA + aid, "display_name": name},
            "author_position": "middle",
            "institutions": [inst(i, n, "JP", "education", [i]) for i, n in insts],
        }

    def w(i: str, updated: str | None, *authorships: dict) -> dict:
        return {"id": OA + i, "updated_date": updated, "authorships": list(authorships)}

    return [
        w("W2", "2024-01-01T00:00:00", au("A1", "dated", ("I1", "dated"))),
        # later line but no updated_date: a missing date loses to any date
        w("W1", None, au("A1", "undated", ("I1", "undated"))),
        # neither has a date: the later line (W4) wins
        w("W3", None, au("A2", "first line", ("I3", "first line"))),
        w("W4", None, au("A2", "second line", ("I3", "second line"))),
        # one record names A3 twice and I2 three times: the first place wins (author 0, institution 0)
        w("W5", "2023-01-01",
          au("A3", "place 0", ("I2", "place 0.0"), ("I2", "place 0.1")),
          au("A3", "place 1", ("I2", "place 1.0"))),
        # the same date: the later line (W7) wins
        w("W6", "2023-01-01", au("A4", "W6", ("I4", "W6"))),
        w("W7", "2023-01-01", au("A4", "W7", ("I4", "W7"))),
    ]  # fmt: skip


def test_entities_read_off_works_come_from_the_newest_occurrence(tmp_path):
    records = newest_occurrence_records()
    store = Store.open(tmp_path / "store", create=True)
    ingest_openalex(store, [write_jsonl(tmp_path / "w.jsonl", records)])
    assert [(r["author_id"], r["name"]) for r in rows(store, "authors")] == [
        ("A1", "dated"), ("A2", "second line"), ("A3", "place 0"), ("A4", "W7"),
    ]  # fmt: skip
    assert [(r["institution_id"], r["name"]) for r in rows(store, "institutions")] == [
        ("I1", "dated"), ("I2", "place 0.0"), ("I3", "second line"), ("I4", "W7"),
    ]  # fmt: skip


def test_idempotent_and_newest_wins_across_ingests(tmp_path, two_files):
    store = Store.open(tmp_path / "store", create=True)
    ingest_openalex(store, two_files)
    once = snapshot(store)
    ingest_openalex(store, two_files)
    assert snapshot(store) == once
    assert len(store.manifest["sources"]) == 1

    # A newer W1 with one author and another title, then the old files again:
    newer = {
        **W1,
        "title": "Revised",
        "updated_date": "2025-01-01T00:00:00",
        "authorships": W1["authorships"][:1],
    }
    ingest_openalex(store, [write_jsonl(tmp_path / "new" / "w1.jsonl", [newer])])
    ingest_openalex(store, two_files)
    assert rows(store, "works", cols=["work_id", "title"])[0] == {"work_id": "W1", "title": "Revised"}
    # its children are the newer version's: one authorship, two affiliations
    assert [r["author_seq"] for r in rows(store, "authorships") if r["work_id"] == "W1"] == [0]
    assert len([r for r in rows(store, "affiliations") if r["work_id"] == "W1"]) == 2


AUTHOR = {
    "id": OA + "A1",
    "orcid": "https://orcid.org/0000-0001-2345-6789",
    "display_name": "Aiko SATO",
    "updated_date": "2020-01-01T00:00:00",
    "affiliations": [
        {
            "institution": inst("I1", "U Tokyo (author view)", "JP", "education", ["I1"]),
            "years": [2021, 2019],
        },
        {"institution": inst("I9", "MIT", "US", "education", ["I9"]), "years": [2020]},
    ],
    "works_count": 12,
}
INSTITUTION = {
    "id": OA + "I1",
    "ror": "https://ror.org/057zh3y96",
    "display_name": "The University of Tokyo",
    "country_code": "JP",
    "type": "education",
    "lineage": [OA + "I1"],
    "updated_date": "2019-01-01T00:00:00",
    "international": {"display_name": {"en": "The University of Tokyo", "ja": "東京大学"}},
}
INSTITUTION_NO_JA = {
    "id": OA + "I3",
    "display_name": "RIKEN",
    "country_code": "jp",
    "type": "government",
    "lineage": [OA + "I3"],
    "updated_date": "2019-01-01T00:00:00",
    "international": {"display_name": {"en": "RIKEN"}},
}


def test_snapshot_folder_with_entities(tmp_path, two_files):
    snap = tmp_path / "openalex-snapshot"
    write_jsonl(snap / "data/works/updated_date=2024-05-01/part_000.gz", [W1], gz=True)
    write_jsonl(snap / "data/works/updated_date=2024-05-02/part_000.gz", [W2, W3], gz=True)
    write_jsonl(snap / "data/authors/updated_date=2024-05-01/part_000.gz", [AUTHOR], gz=True)
    write_jsonl(
        snap / "data/institutions/updated_date=2024-04-30/part_000.gz",
        [INSTITUTION, INSTITUTION_NO_JA],
        gz=True,
    )
    write_jsonl(snap / "data/sources/updated_date=2024-05-01/part_000.gz", [{"id": OA + "S1"}], gz=True)
    # A funder entity: it brings the funder's country, which works do not carry.
    funder = {"id": OA + "F1", "display_name": "Japan Society for the Promotion of Science",
              "country_code": "jp", "updated_date": "2024-04-01T00:00:00"}  # fmt: skip
    write_jsonl(snap / "data/funders/updated_date=2024-04-01/part_000.gz", [funder], gz=True)
    (snap / "data/works/manifest").write_text("{}")

    for given in (snap, snap / "data"):
        store = Store.open(tmp_path / f"store-{given.name}", create=True)
        report = ingest_openalex(store, [given])
        assert (report.files, report.records) == (5, 7)
        assert any("sources" in n for n in report.notes)
        src = store.manifest["sources"][-1]
        assert src["snapshot_date"] == "2024-05-02"
        assert src["entities"] == {"works": 2, "authors": 1, "institutions": 1, "funders": 1}
        # The record's own updated_date (10:00), not the partition folder's date (midnight).
        w1 = [r for r in rows(store, "works", cols=["work_id", "updated_date"]) if r["work_id"] == "W1"]
        assert w1 == [{"work_id": "W1", "updated_date": dt.datetime(2024, 5, 1, 10, 0)}]
        # F1 from its entity record (country upper-cased) beats the works' dehydrated F1.
        f1 = [r for r in rows(store, "funders", cols=["funder_id", "name", "country_code", "_entity"])
              if r["funder_id"] == "F1"]  # fmt: skip
        assert f1 == [{"funder_id": "F1", "name": "Japan Society for the Promotion of Science",
                       "country_code": "JP", "_entity": 1}]  # fmt: skip

    # Entity records (_entity 1) win over what works say, though older (2019/2020 < 2024).
    assert rows(store, "authors", cols=["author_id", "orcid", "name", "_entity"]) == [
        {"author_id": "A1", "orcid": "0000-0001-2345-6789", "name": "Aiko SATO", "_entity": 1},
        {"author_id": "A2", "orcid": None, "name": "Bo Li", "_entity": 0},
        {"author_id": "A3", "orcid": None, "name": "C", "_entity": 0},
    ]
    # affiliations[].years → one row a year
    assert rows(store, "author_affiliations") == [
        {"author_id": "A1", "institution_id": "I1", "year": 2019},
        {"author_id": "A1", "institution_id": "I1", "year": 2021},
        {"author_id": "A1", "institution_id": "I9", "year": 2020},
    ]
    # I1, I3 from the entity file (Japanese name where it has one); I9 known only from the
    # author's affiliations; I2, I4 only from works.
    inst_cols = ["institution_id", "name", "name_ja", "country_code", "type", "_entity"]
    assert rows(store, "institutions", cols=inst_cols) == [
        {"institution_id": "I1", "name": "The University of Tokyo", "name_ja": "東京大学",
         "country_code": "JP", "type": "education", "_entity": 1},
        {"institution_id": "I2", "name": "RIKEN Centre", "name_ja": None, "country_code": "JP",
         "type": "facility", "_entity": 0},
        {"institution_id": "I3", "name": "RIKEN", "name_ja": None, "country_code": "JP",
         "type": "government", "_entity": 1},
        {"institution_id": "I4", "name": "Lab Co", "name_ja": None, "country_code": None,
         "type": "company", "_entity": 0},
        {"institution_id": "I9", "name": "MIT", "name_ja": None, "country_code": "US",
         "type": "education", "_entity": 0},
    ]  # fmt: skip
    assert rows(store, "institution_lineage") == [
        {"institution_id": "I1", "ancestor_id": "I1", "depth": 0},
        {"institution_id": "I2", "ancestor_id": "I2", "depth": 0},
        {"institution_id": "I2", "ancestor_id": "I3", "depth": 1},
        {"institution_id": "I3", "ancestor_id": "I3", "depth": 0},
        {"institution_id": "I4", "ancestor_id": "I4", "depth": 0},
        {"institution_id": "I9", "ancestor_id": "I9", "depth": 0},
    ]

    # An entity folder on its own is a source too.
    store = Store.open(tmp_path / "store-inst", create=True)
    assert ingest_openalex(store, [snap / "data" / "institutions"]).records == 2


def test_saved_api_page(tmp_path):
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"meta": {"count": 2, "next_cursor": None}, "results": [W3, W1]}))
    store = Store.open(tmp_path / "store", create=True)
    report = ingest_openalex(store, [page])
    assert (report.records, report.works) == (2, 2)
    # _source_line: the place in results
    assert rows(store, "works", cols=["work_id", "_source_line"]) == [
        {"work_id": "W1", "_source_line": 2},
        {"work_id": "W3", "_source_line": 1},
    ]
    assert len(rows(store, "affiliations")) == 4


class Recorder:
    def __init__(self) -> None:
        self.started: dict = {}
        self.files = self.records = self.nbytes = 0

    def start(self, *, files: int, nbytes: int, label: str = "") -> None:
        self.started = {"files": files, "nbytes": nbytes}

    def advance(self, *, files: int = 0, records: int = 0, nbytes: int = 0) -> None:
        self.files += files
        self.records += records
        self.nbytes += nbytes


def test_progress_counts_files_records_bytes(tmp_path, two_files):
    rec = Recorder()
    ingest_openalex(Store.open(tmp_path / "store", create=True), two_files, progress=rec)
    size = sum(p.stat().st_size for p in two_files)
    assert rec.started == {"files": 2, "nbytes": size}
    assert (rec.files, rec.records, rec.nbytes) == (2, 3, size)


# -- bad input ----------------------------------------------------------------------------


@pytest.fixture
def stored(tmp_path, two_files) -> Store:
    store = Store.open(tmp_path / "store", create=True)
    ingest_openalex(store, two_files)
    return store


def unchanged(store: Store, before: dict, version: str) -> bool:
    return store.version == version and snapshot(store) == before and not list(store.path.glob(".tx-*"))


def test_malformed_line_names_file_and_line(tmp_path, stored):
    before, version = snapshot(stored), stored.version
    w = {"id": OA + "W20", "updated_date": "2024-01-01", "authorships": []}
    # line 1 W20, line 2 blank, line 3 broken, line 4 W21
    bad = write_jsonl(
        tmp_path / "bad.jsonl",
        [w, {**w, "id": OA + "W21"}],
        raw_lines={1: '\n{"id": "https://openalex.org/W99", '},
    )
    with pytest.raises(MalformedInputError) as err:
        ingest_openalex(stored, [bad])
    assert (err.value.path, err.value.line) == (str(bad.resolve()), 3)
    assert f"{bad.resolve()} line 3" in str(err.value)
    assert unchanged(stored, before, version)

    report = ingest_openalex(stored, [bad], on_error="skip")
    assert (report.records, report.skipped) == (2, 1)
    assert {r["work_id"] for r in rows(stored, "works")} == {"W1", "W2", "W3", "W20", "W21"}


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("[1, 2]", "an array, not a record"),
        ('{"title": "no id"}', "a record without an id"),
        (json.dumps({"id": OA + "A5", "display_name": "an author"}), "an author among works"),
    ],
)
def test_lines_that_are_not_work_records(tmp_path, stored, line, why):
    before, version = snapshot(stored), stored.version
    w = {"id": OA + "W20", "updated_date": "2024-01-01"}
    bad = write_jsonl(tmp_path / "bad.jsonl", [w, {**w, "id": OA + "W21"}], raw_lines={1: line})
    with pytest.raises(MalformedInputError) as err:
        ingest_openalex(stored, [bad])
    assert (err.value.path, err.value.line) == (str(bad.resolve()), 2), why
    assert unchanged(stored, before, version)
    report = ingest_openalex(stored, [bad], on_error="skip")
    assert (report.records, report.skipped) == (2, 1)


def test_truncated_gzip(tmp_path, stored):
    before, version = snapshot(stored), stored.version
    recs = [{"id": OA + f"W{100 + i}", "title": "x" * 200, "updated_date": "2024-01-01"} for i in range(400)]
    full = gzip.compress(("\n".join(json.dumps(r) for r in recs) + "\n").encode(), mtime=0)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(full[: len(full) // 2])
    # the lines that survive the cut, worked out by unpacking as far as it goes
    d = __import__("zlib").decompressobj(31)
    kept = d.decompress(full[: len(full) // 2]).count(b"\n")
    assert 0 < kept < 400

    with pytest.raises(MalformedInputError) as err:
        ingest_openalex(stored, [cut])
    assert err.value.path == str(cut.resolve())
    assert "truncated" in str(err.value)
    assert unchanged(stored, before, version)

    # skip: keep the complete lines, count the broken one
    report = ingest_openalex(stored, [cut], on_error="skip")
    assert (report.records, report.skipped) == (kept, 1)
    assert len(rows(stored, "works")) == 3 + kept


def test_file_of_another_entity(tmp_path, stored):
    before, version = snapshot(stored), stored.version
    sources = write_jsonl(tmp_path / "sources.jsonl", [{"id": OA + "S123", "display_name": "A journal"}])
    with pytest.raises(MalformedInputError) as err:
        ingest_openalex(stored, [sources])
    assert err.value.path == str(sources.resolve())
    assert "sources" in str(err.value)

    # an author file where works belong
    snap = tmp_path / "snap"
    write_jsonl(snap / "data/works/updated_date=2024-01-01/part_000.gz", [AUTHOR], gz=True)
    with pytest.raises(MalformedInputError, match="authors records but sits in a works folder"):
        ingest_openalex(stored, [snap])
    assert unchanged(stored, before, version)


def test_missing_path_and_empty_folder(tmp_path, stored):
    before, version = snapshot(stored), stored.version
    with pytest.raises(IngestError, match="does not exist"):
        ingest_openalex(stored, [tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(IngestError, match="no OpenAlex files found"):
        ingest_openalex(stored, [tmp_path / "empty"])
    (tmp_path / "empty-snapshot" / "data" / "works").mkdir(parents=True)
    with pytest.raises(KakehashiError, match="no OpenAlex files found"):
        ingest_openalex(stored, [tmp_path / "empty-snapshot"])
    assert unchanged(stored, before, version)
