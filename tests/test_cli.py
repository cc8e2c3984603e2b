"""The command line as a user meets it: outputs with the contract's headers, clear errors.

Runs the real entry point in a child process, so what is checked is exactly
what a user sees on stdout/stderr and the exit code.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from storebuild import build_store

COLLAB_COLUMNS = [
    "country",
    "year",
    "p_whole",
    "p_frac",
    "p_intl",
    "pp_intl",
    "foreign_contribution",
    "p_industry",
]


def kk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kakehashi", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    # One JP–US work in 2020 and one JP work in 2021 (whole: JP 1, 1; US 1, 0).
    path = tmp_path_factory.mktemp("cli") / "s"
    build_store(
        path,
        works=[
            {"work_id": "W1", "year": 2020, "type": "article", "doi": "https://doi.org/10.1/a"},
            {"work_id": "W2", "year": 2021, "type": "article"},
        ],
        affiliations=[
            {"work_id": "W1", "author_seq": 0, "country_code": "JP", "institution_id": "I1"},
            {"work_id": "W1", "author_seq": 1, "country_code": "US"},
            {"work_id": "W2", "author_seq": 0, "country_code": "JP"},
        ],
    )
    return path


def test_csv_has_the_contract_header_and_excel_bom(store, tmp_path):
    out = tmp_path / "c.csv"
    r = kk(
        "indicator", "collaboration", "--store", str(store), "--format", "csv", "--excel", "--out", str(out)
    )
    assert r.returncode == 0, r.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "--excel must write the UTF-8 byte-order mark"
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == COLLAB_COLUMNS
    # JP 2020: whole 1, frac 1/2 (two authors, one JP), international, rate 1.0.
    assert lines[1].split(",")[:6] == ["JP", "2020", "1", "0.5", "1", "1.0"]
    prov = json.loads((tmp_path / "c.csv.provenance.json").read_text(encoding="utf-8"))
    assert prov["indicator"] == "collaboration"
    assert prov["parameters"]["counting"] == "whole"


def test_json_and_parquet_carry_provenance(store, tmp_path):
    r = kk("indicator", "coverage", "--store", str(store), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["columns"] == ["year", "works", "works_with_country", "p_unknown", "works_with_field"]
    assert doc["rows"][0] == {
        "year": 2020,
        "works": 1,
        "works_with_country": 1,
        "p_unknown": 0,
        "works_with_field": 0,
    }
    assert doc["provenance"]["store"] == str(store.resolve())
    out = tmp_path / "g.parquet"
    r = kk("indicator", "growth", "--store", str(store), "--format", "parquet", "--out", str(out))
    assert r.returncode == 0, r.stderr
    meta = pq.read_schema(out).metadata
    assert json.loads(meta[b"kakehashi.provenance"])["indicator"] == "growth"


def test_xlsx_has_data_and_provenance_sheets(store, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "c.xlsx"
    r = kk("indicator", "collaboration", "--store", str(store), "--format", "xlsx", "--out", str(out))
    assert r.returncode == 0, r.stderr
    wb = load_workbook(out)
    assert [c.value for c in wb["data"][1]] == COLLAB_COLUMNS
    assert wb["provenance"]["A1"].value == "store"


def test_table_speaks_japanese_by_default_and_english_on_request(store):
    ja = kk("indicator", "collaboration", "--store", str(store))
    en = kk("indicator", "collaboration", "--store", str(store), "--lang", "en")
    assert ja.returncode == en.returncode == 0
    assert "国際共著率" in ja.stdout and "日本" in ja.stdout
    assert "International co-authorship rate" in en.stdout and "Japan" in en.stdout


def test_works_of_an_institution(store, tmp_path):
    out = tmp_path / "w.csv"
    r = kk(
        "works",
        "--store",
        str(store),
        "--institution",
        "openalex.org/I1",
        "--format",
        "csv",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    assert [line.split(",")[0] for line in out.read_text(encoding="utf-8-sig").splitlines()[1:]] == ["W1"]
    r = kk(
        "works", "--store", str(store), "--country", "US", "--partner-institution", "I1", "--format", "csv"
    )
    assert r.returncode == 0, r.stderr
    assert "W1" in r.stdout and "W2" not in r.stdout


def test_works_of_a_mobility_cell(tmp_path):
    # test_mobility's careers (ids as in test_works): JP's returns of 2014 are A4's US→JP
    # transfer back to its origin, A4's 2014 work W26 (A4 is W22–W26, 2010–14); JP-origin
    # returnees over all years: A4 alone, W22–W26. Flags as the API's works parameters.
    from test_mobility import _rows

    s = tmp_path / "s"
    build_store(s, **_rows())

    def listed(*args: str) -> list[str]:
        r = kk("works", "--store", str(s), "--format", "csv", *args)
        assert r.returncode == 0, r.stderr
        return sorted(line.split(",")[0] for line in r.stdout.splitlines()[1:] if line)

    assert listed("--year", "2014", "--move-kind", "return", "--move-to", "jp") == ["W26"]
    assert listed("--country", "JP", "--mobility-class", "returnee") == ["W22", "W23", "W24", "W25", "W26"]
    # A2's JP→FR return of 2016 is at age 6: in --stage mid, not early.
    assert listed("--move-kind", "return", "--stage", "mid") == ["W12"]
    assert listed("--move-kind", "return", "--stage", "early") == ["W26"]


@pytest.mark.spark
def test_works_on_spark_prints_what_duckdb_prints(tmp_path):
    """`kakehashi works --engine spark` (issue 6 point 1) gives the DuckDB output, byte for byte.

    In-process (Typer's CliRunner), so the run's shared Spark session serves it instead of a JVM
    started per command. test_collaboration's store: JP's works are W1 (JP–US, fractional 1/2),
    W2 (two JP authors, 1), W3 (JP–DE–US, 1/4) and W5 (JP alone, 1); W4 has no country.
    """
    from typer.testing import CliRunner

    from kakehashi.cli import _register, app
    from test_collaboration import AFFILIATIONS, INSTITUTIONS, WORKS

    if not app.registered_commands:
        _register()
    s = tmp_path / "s"
    build_store(s, works=[dict(w) for w in WORKS], affiliations=AFFILIATIONS, institutions=INSTITUTIONS)
    args = ["works", "--store", str(s), "--country", "JP", "--counting", "fractional", "--format", "csv"]
    out = {}
    for engine in ("duckdb", "spark"):
        r = CliRunner().invoke(app, [*args, "--engine", engine])
        assert r.exit_code == 0, (engine, r.output, r.exception)
        out[engine] = r.stdout
    rows = list(csv.DictReader(io.StringIO(out["duckdb"])))
    assert sorted((r["work_id"], float(r["weight"])) for r in rows) == [
        ("W1", 0.5),
        ("W2", 1.0),
        ("W3", 0.25),
        ("W5", 1.0),
    ]
    assert out["spark"] == out["duckdb"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["indicator", "nonsense", "--store", "{store}"], "unknown"),
        (["indicator", "institution-partners", "--store", "{store}"], "--institution"),
        (["indicator", "partners", "--store", "{store}"], "--country"),
        (["indicator", "complementarity", "--store", "{store}"], "--country"),
        (["indicator", "collaboration", "--store", "{store}", "--country", "XX"], "'XX'"),
        (["indicator", "collaboration", "--store", "{store}", "--years", "2022-2012"], "2022-2012"),
        (["indicator", "collaboration", "--store", "{store}", "--field", "999"], "999"),
        (["indicator", "collaboration", "--store", "{store}", "--engine", "oracle"], "oracle"),
        (["indicator", "collaboration", "--store", "{missing}"], "no store at"),
        (["indicator", "coverage", "--store", "{store}", "--format", "parquet"], "--out"),
        (["works", "--store", "{store}", "--institution", "xx"], "'xx'"),
        (["works", "--store", "{store}", "--partner-institution", "I1", "--level", "planet"], "planet"),
        (["works", "--store", "{store}", "--move-kind", "arrival"], "transfer, visit or return"),
        (["works", "--store", "{store}", "--move-to", "JP"], "--move-kind"),
        (["works", "--store", "{store}", "--move-kind", "visit", "--move-from", "XX"], "'XX'"),
        (["works", "--store", "{store}", "--mobility-class", "nomad"], "nomad"),
    ],
)
def test_user_errors_are_one_sentence_without_traceback(store, tmp_path, args, needle):
    args = [a.format(store=store, missing=tmp_path / "missing") for a in args]
    r = kk(*args)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert needle in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_malformed_line_names_file_and_line_and_leaves_store(tmp_path, store):
    bad = tmp_path / "bad.jsonl.gz"
    good = '{"id": "https://openalex.org/W1", "publication_year": 2020, "authorships": []}'
    with gzip.open(bad, "wt", encoding="utf-8") as f:
        f.write(good + "\n" + good.replace("W1", "W2") + "\n" + '{"id": "https://openalex.org/W3", "auth\n')
    before = sorted(p.name for p in store.rglob("*"))
    manifest = (store / "manifest.json").read_text()
    r = kk("ingest", "openalex", "--store", str(store), str(bad))
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert str(bad) in r.stderr and "line 3" in r.stderr
    assert sorted(p.name for p in store.rglob("*")) == before
    assert (store / "manifest.json").read_text() == manifest


def test_help_lists_the_commands():
    r = kk("--help")
    assert r.returncode == 0
    for cmd in ("ingest", "indicator", "works", "report", "serve", "demo"):
        assert cmd in r.stdout


def test_partner_network_size_from_the_command_line(tmp_path):
    # --network-top N keeps the focus country and its N top partners: at most N + 1 countries
    # on the map, so at most (N + 1)·N / 2 pairs — 15 for N = 5; outside 5–50 it is refused.
    from kakehashi.ingest.demo import build_demo
    from kakehashi.store import Store

    build_demo(Store.open(tmp_path / "s", create=True), works=2000, seed=3)
    args = ["indicator", "partner-network", "--store", str(tmp_path / "s"), "--country", "JP"]
    r = kk(*args, "--years", "2015-2024", "--network-top", "5", "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    countries = {r["a"] for r in rows} | {r["b"] for r in rows}
    assert 0 < len(rows) <= 15 and len(countries) <= 6 and "JP" in countries
    bad = kk(*args, "--network-top", "4")
    assert bad.returncode == 2 and "network_top 4" in bad.stderr
