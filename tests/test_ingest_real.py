"""The real OpenAlex records beside the project (CC0) ingest, with hand-checked fields.

The expected values were read off the raw JSON with ``zcat FILE | python -c``
(one-off look-ups, noted at each assertion); the files themselves are never
copied into the repository. Skipped when ``../shared`` is absent.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kakehashi.engines import open_store
from kakehashi.ingest.openalex import ingest_openalex
from kakehashi.store import Store

pytestmark = pytest.mark.shared


def works_rows(store: Store, *ids: str) -> dict[str, dict]:
    t = open_store(store, "duckdb").works
    return {r["work_id"]: r for r in t.filter(t.work_id.isin(ids)).to_pyarrow().to_pylist()}


def test_real_records_ingest(tmp_path, real_records):
    store = Store.open(tmp_path / "store", create=True)
    report = ingest_openalex(store, [real_records])
    # README: 420 JSON Lines records + 2 in the API page = 422 records, 338 distinct works.
    assert (report.files, report.records, report.skipped) == (4, 422, 0)
    assert report.works == 338
    # Works whose newest record has no authorship with a country (an institution's, or
    # the raw affiliation's where the author has no institution): counted with
    # `zcat *.jsonl.gz` + the page, newest per id → 167. Kept, not dropped:
    assert report.works_without_country == 167
    tables = open_store(store, "duckdb")
    assert tables.works.count().execute() == 338
    # authorships of the 338 newest records, summed: 873
    assert tables.authorships.count().execute() == 873

    w = works_rows(store, "W1934649023", "W2755950973", "W2041234663")
    # doi_list_works.jsonl.gz line 1
    assert {
        k: w["W1934649023"][k] for k in ("doi", "type", "year", "publication_date", "cited_by_count")
    } == {
        "doi": "https://doi.org/10.1596/1813-9450-3630",
        "type": "book",
        "year": 2005,
        "publication_date": dt.date(2005, 6, 15),
        "cited_by_count": 1589,
    }
    assert (w["W1934649023"]["field_id"], w["W1934649023"]["subfield_id"], w["W1934649023"]["domain_id"]) == (
        33,
        3312,
        2,
    )
    assert w["W1934649023"]["topic_id"] == "T11042"
    assert w["W1934649023"]["_source_line"] == 1
    assert w["W1934649023"]["_source_path"].endswith("doi_list_works.jsonl.gz")
    # the API page's first result
    assert (w["W2755950973"]["type"], w["W2755950973"]["type_crossref"], w["W2755950973"]["field_id"]) == (
        "article",
        "journal-article",
        17,
    )
    assert w["W2755950973"]["_source_path"].endswith("keypapers_results_page_1.json")
    # W2041234663 is in two files: biodiversity… line 3 (updated 2025-11-06, cited 22) and
    # doi_list… line 45 (updated 2025-09-21, cited 23): the newer wins though its count is lower.
    assert w["W2041234663"]["cited_by_count"] == 22
    assert w["W2041234663"]["updated_date"] == dt.datetime(2025, 11, 6, 3, 46, 38, 306776)

    aff = tables.affiliations
    got = aff.filter(aff.work_id == "W1934649023").order_by("author_seq").to_pyarrow().to_pylist()
    # authors 0 and 1 each at one US institution; author 2 has neither institution nor country
    assert got == [
        {"work_id": "W1934649023", "author_seq": 0, "author_id": "A5084264679",
         "institution_id": "I115283149", "country_code": "US"},
        {"work_id": "W1934649023", "author_seq": 1, "author_id": "A5046648232",
         "institution_id": "I55633929", "country_code": "US"},
    ]  # fmt: skip
    inst = tables.institutions
    brookings = inst.filter(inst.institution_id == "I115283149").to_pyarrow().to_pylist()[0]
    assert (brookings["ror"], brookings["country_code"], brookings["type"]) == (
        "04aj4sh46",
        "US",
        "nonprofit",
    )

    # snowball… line 1, the older `grants` shape: "18K13235, 20K20132" split, JST's one award
    wf = tables.work_funders
    got = wf.filter(wf.work_id == "W3046863325").order_by(["funder_id", "award_id"]).to_pyarrow().to_pylist()
    assert got == [
        {"work_id": "W3046863325", "funder_id": "F4320334764", "award_id": "18K13235"},
        {"work_id": "W3046863325", "funder_id": "F4320334764", "award_id": "20K20132"},
        {"work_id": "W3046863325", "funder_id": "F4320334789", "award_id": "JPMJCR19U1"},
    ]

    # ingesting the same folder again changes nothing
    before = {
        n: open_store(store, "duckdb")[n].count().execute() for n in ("works", "affiliations", "authors")
    }
    ingest_openalex(store, [real_records])
    assert {n: open_store(store, "duckdb")[n].count().execute() for n in before} == before
