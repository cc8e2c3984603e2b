"""Mobility (DESIGN.md "Mobility" rules 1–6) on hand-made careers, and on the demo world.

Every expected number is worked out in the comments from the careers below.
The hand-made store is built once per module; the flows, origin–destination
and classes (over all years and over a period), and the careers from author
entities, run on DuckDB and Spark (the ``engine`` fixture); the rule-by-rule
checks of the per-author pipeline and the variations of the flows (visit
threshold, stage, field, years) on DuckDB only, to keep Spark cheap — they
change literals and filters of an expression the Spark tests run whole.
"""

from __future__ import annotations

import itertools
from typing import Any

import pyarrow.parquet as pq
import pytest

from kakehashi.engines import open_store
from kakehashi.errors import ConfigError
from kakehashi.indicators import INDICATORS, Scope, careers, mobility_classes, mobility_flows, mobility_od
from kakehashi.ingest.demo import build_demo
from kakehashi.store import Store
from storebuild import build_store

INSTITUTIONS = [
    {"institution_id": i, "country_code": c, "type": "education"}
    for i, c in [
        ("IJP1", "JP"),
        ("IJP2", "JP"),
        ("IUS1", "US"),
        ("IUS2", "US"),
        ("IDE1", "DE"),
        ("IFR1", "FR"),
        ("IGB1", "GB"),
    ]
]
HOME = {"JP": "IJP1", "US": "IUS1", "DE": "IDE1", "FR": "IFR1", "GB": "IGB1"}


def _yearly(first: int, mains: str) -> list[tuple[int, list[str], int]]:
    """One work a year from ``first``, at the home institution of each country in ``mains``."""
    return [(first + i, [HOME[c]], 17) for i, c in enumerate(mains.split())]


# Careers: author → one entry per work: (year, [institutions or raw countries on it], field).
# A raw-affiliation country (no institution) is written "raw:CN".
CAREERS: dict[str, list[tuple[int, list[str], int]]] = {
    # A1, origin US. 2011: one US and one DE work → US 1, DE 1, a tie; the previous
    # active year (2010) has US 1, DE 0 → US, although DE comes first alphabetically.
    # (The 2011 US work lists A1 twice with IUS1: still one institution, US counts 1.)
    # 2012: two DE works → DE 2 → main DE: move US→DE 2012, then DE to 2015: a transfer.
    "A1": [
        (2010, ["IUS1"], 17),
        (2011, ["IUS1"], 17),
        (2011, ["IDE1"], 17),
        (2012, ["IDE1"], 17),
        (2012, ["IDE1"], 17),
        (2013, ["IDE1"], 17),
        (2014, ["IDE1"], 17),
        (2015, ["IDE1"], 17),
    ],
    # A2, origin FR: 2010 a JP and a FR work, a tie with no previous year → FR
    # (alphabetical). Gaps: active 2010, 2013, 2014, 2016. FR→JP 2013 and JP→FR
    # 2016 are 3 years apart (> 2): both transfers, the second a return to FR.
    "A2": [
        (2010, ["IJP1"], 22),
        (2010, ["IFR1"], 22),
        (2013, ["IJP1"], 22),
        (2014, ["IJP1"], 22),
        (2016, ["IFR1"], 22),
    ],
    # A3, origin JP: a 1-year visit (JP→US 2011, back 2012) and a 2-year visit
    # (JP→GB 2015, back 2017); the return legs count nowhere.
    "A3": _yearly(2010, "JP US JP JP JP GB GB JP JP"),
    # A4, origin JP: 3 years in the US (2011–2013), back 2014: 3 > 2, so JP→US 2011
    # is a transfer, and US→JP 2014 a transfer that is a return.
    "A4": _yearly(2010, "JP US US US JP"),
    # A5, origin JP: a run of reversals JP→US 2011, US→JP 2012, JP→US 2013,
    # US→JP 2014, JP→US 2015, each within a year of the one before; greedy from
    # the left: (2011, 2012) a visit, (2013, 2014) a visit, 2015 a transfer.
    "A5": _yearly(2010, "JP US JP US JP US US US"),
    # A6, origin JP: a side affiliation abroad (IUS1 beside IJP1 on a 2011 work):
    # 2011 JP 2, US 1 → JP; no move. Fields: 17 in 2010, 22 twice in 2011
    # (22 leads 2:1), 17 in 2012 (2:2, a tie → the smaller id, 17).
    "A6": [
        (2010, ["IJP1"], 17),
        (2011, ["IJP1", "IUS1"], 22),
        (2011, ["IJP1"], 22),
        (2012, ["IJP1"], 17),
    ],
    # A7, origin CN from raw-affiliation countries only; 2012 has no country: not active.
    "A7": [(2010, ["raw:CN"], 17), (2011, ["raw:CN"], 17), (2012, ["raw:"], 17)],
}


def _rows() -> dict[str, list[dict[str, Any]]]:
    works, authorships, affs = [], [], []
    n = itertools.count()
    for author, entries in CAREERS.items():
        for year, units, field in entries:
            wid = f"W{next(n)}"
            works.append({"work_id": wid, "year": year, "type": "article", "field_id": field})
            seqs = [0, 1] if (author == "A1" and year == 2011 and units == ["IUS1"]) else [0]
            for seq in seqs:
                authorships.append({"work_id": wid, "author_seq": seq, "author_id": author})
                for u in units:
                    raw = u.startswith("raw:")
                    affs.append(
                        {
                            "work_id": wid,
                            "author_seq": seq,
                            "author_id": author,
                            "institution_id": None if raw else u,
                            "country_code": (u[4:] or None) if raw else HOME_COUNTRY[u],
                        }
                    )
    # An authorship without an author id, in the US in 2011: no career, counted nowhere.
    works.append({"work_id": "WX", "year": 2011, "type": "article", "field_id": 17})
    authorships.append({"work_id": "WX", "author_seq": 0, "author_id": None})
    affs.append(
        {"work_id": "WX", "author_seq": 0, "author_id": None, "institution_id": "IUS2", "country_code": "US"}
    )
    # B1 exists only in the author entities' affiliations[].years (the second career source):
    # 2010 JP; 2011 IUS1, IUS2, IJP1 → US 2, JP 1 → US; 2012 JP: a 1-year visit JP→US 2011.
    aa = [
        {"author_id": "B1", "institution_id": i, "year": y}
        for i, y in [("IJP1", 2010), ("IUS1", 2011), ("IUS2", 2011), ("IJP1", 2011), ("IJP1", 2012)]
    ]
    return {
        "works": works,
        "authorships": authorships,
        "affiliations": affs,
        "institutions": [dict(i) for i in INSTITUTIONS],
        "authors": [{"author_id": "B1"}],
        "author_affiliations": aa,
    }


HOME_COUNTRY = {i["institution_id"]: i["country_code"] for i in INSTITUTIONS}

# country, year: transfers_in, transfers_out, returns, visits_out, visits_in, stayers, active_authors
# Main countries: A1 US US DE DE DE DE (2010–15); A2 FR·JP JP·FR (2010, 2013, 2014, 2016);
# A3 JP US JP JP JP GB GB JP JP (2010–18); A4 JP US US US JP (2010–14);
# A5 JP US JP US JP US US US (2010–17); A6 JP JP JP; A7 CN CN.
# Transfers: A1 US→DE 2012, A2 FR→JP 2013, A2 JP→FR 2016 (return), A4 JP→US 2011,
# A4 US→JP 2014 (return), A5 JP→US 2015. Visits (outgoing year): A3 JP→US 2011,
# A3 JP→GB 2015, A5 JP→US 2011, A5 JP→US 2013.
FLOWS = {
    ("CN", 2010): (0, 0, 0, 0, 0, 0, 1),  # A7
    ("CN", 2011): (0, 0, 0, 0, 0, 1, 1),  # A7 stays
    ("DE", 2012): (1, 0, 0, 0, 0, 0, 1),  # A1 arrives
    ("DE", 2013): (0, 0, 0, 0, 0, 1, 1),
    ("DE", 2014): (0, 0, 0, 0, 0, 1, 1),
    ("DE", 2015): (0, 0, 0, 0, 0, 1, 1),
    ("FR", 2010): (0, 0, 0, 0, 0, 0, 1),  # A2
    ("FR", 2013): (0, 1, 0, 0, 0, 0, 0),  # A2 leaves FR (arrival year 2013); nobody in FR
    ("FR", 2016): (1, 0, 1, 0, 0, 0, 1),  # A2 back at the origin: a return
    ("GB", 2015): (0, 0, 0, 0, 1, 0, 1),  # A3's visit
    ("GB", 2016): (0, 0, 0, 0, 0, 1, 1),
    ("JP", 2010): (0, 0, 0, 0, 0, 0, 4),  # A3 A4 A5 A6
    ("JP", 2011): (0, 1, 0, 2, 0, 1, 1),  # A4 out; A3, A5 visits out; A6 stays
    ("JP", 2012): (0, 0, 0, 0, 0, 1, 3),  # A3, A5 back from visits (return legs: nothing); A6 stays
    ("JP", 2013): (1, 0, 0, 1, 0, 1, 2),  # A2 in; A5 visit out; A3 stays
    ("JP", 2014): (1, 0, 1, 0, 0, 2, 4),  # A4 back (a return); A2, A3 stay; A5 back from a visit
    ("JP", 2015): (0, 1, 0, 1, 0, 0, 0),  # A5 transfer out, A3 visit out
    ("JP", 2016): (0, 1, 0, 0, 0, 0, 0),  # A2 out (to FR)
    ("JP", 2017): (0, 0, 0, 0, 0, 0, 1),  # A3 back from GB: a return leg, not a return
    ("JP", 2018): (0, 0, 0, 0, 0, 1, 1),
    ("US", 2010): (0, 0, 0, 0, 0, 0, 1),  # A1
    ("US", 2011): (1, 0, 0, 0, 2, 1, 4),  # A4 in; A3, A5 visiting; A1 stays (tie → US)
    ("US", 2012): (0, 1, 0, 0, 0, 1, 1),  # A1 out; A4 stays
    ("US", 2013): (0, 0, 0, 0, 1, 1, 2),  # A5 visiting; A4 stays
    ("US", 2014): (0, 1, 0, 0, 0, 0, 0),  # A4 out
    ("US", 2015): (1, 0, 0, 0, 0, 0, 1),  # A5 in
    ("US", 2016): (0, 0, 0, 0, 0, 1, 1),
    ("US", 2017): (0, 0, 0, 0, 0, 1, 1),
}
COLS = ("transfers_in", "transfers_out", "returns", "visits_out", "visits_in", "stayers", "active_authors")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build_store(tmp_path_factory.mktemp("mobility") / "s", **_rows())


def _by(expr: Any, keys: list[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(r[k] for k in keys): r for r in expr.to_pyarrow().to_pylist()}


def _flows(t: Any, scope: Scope) -> dict[tuple[Any, ...], tuple[int, ...]]:
    got = _by(mobility_flows(t, scope), ["country", "year"])
    return {k: tuple(r[c] for c in COLS) for k, r in got.items()}


def test_flows_hand_worked(tables: Any) -> None:
    got = _by(mobility_flows(tables, Scope()), ["country", "year"])
    assert {k: tuple(r[c] for c in COLS) for k, r in got.items()} == FLOWS
    for r in got.values():
        assert r["net_flow"] == r["transfers_in"] - r["transfers_out"]
    # rates per active author: US 2011 hosts 2 visits among 4 active authors;
    # JP 2015 has no active author, so its rates are null, not infinite.
    assert got[("US", 2011)]["visits_in_rate"] == pytest.approx(2 / 4)
    assert got[("JP", 2014)]["returns_rate"] == pytest.approx(1 / 4)
    assert got[("JP", 2011)]["net_flow_rate"] == pytest.approx(-1 / 1)
    assert got[("JP", 2015)]["transfers_out_rate"] is None


def test_od_and_classes_hand_worked(tables: Any) -> None:
    od = {k: r["n"] for k, r in _by(mobility_od(tables, Scope()), ["from", "to", "kind", "stage"]).items()}
    # stage at the move = its year − the first active year: A1 2, A2 3 and 6, A4 1 and 4,
    # A5 1, 3 and 5, A3 1 and 5: all early (0–5) but A2's JP→FR (6: mid).
    assert od == {
        ("US", "DE", "transfer", "early"): 1,  # A1
        ("FR", "JP", "transfer", "early"): 1,  # A2
        ("JP", "FR", "transfer", "mid"): 1,  # A2
        ("JP", "US", "transfer", "early"): 2,  # A4 2011, A5 2015
        ("US", "JP", "transfer", "early"): 1,  # A4
        ("JP", "US", "visit", "early"): 3,  # A3 2011, A5 2011, A5 2013
        ("JP", "GB", "visit", "early"): 1,  # A3
    }
    cls = {k: r["n"] for k, r in _by(mobility_classes(tables, Scope()), ["country", "class"]).items()}
    # Over all years: A1 ends in DE by transfer (migrant, US); A2 away 2013–14, back in FR
    # (returnee); A3 away only on visits, A6 only a side affiliation (travellers, JP);
    # A4 back in JP (returnee); A5 ends in the US by transfer (migrant); A7 never abroad.
    assert cls == {
        ("CN", "non_mobile"): 1,
        ("FR", "returnee"): 1,
        ("JP", "migrant"): 1,
        ("JP", "returnee"): 1,
        ("JP", "traveller"): 2,
        ("US", "migrant"): 1,
    }


def test_classes_over_a_period(tables: Any) -> None:
    # 2010–2012: A1 ends in DE (migrant); A2 is seen only in 2010, at home with a JP
    # work beside (traveller); A3 and A5 away only on visits, A6 a side affiliation
    # (travellers); A4 in the US at the period's end (migrant); A7 non-mobile.
    cls = _by(mobility_classes(tables, Scope(years=(2010, 2012))), ["country", "class"])
    assert {k: r["n"] for k, r in cls.items()} == {
        ("CN", "non_mobile"): 1,
        ("FR", "traveller"): 1,
        ("JP", "migrant"): 1,
        ("JP", "traveller"): 3,
        ("US", "migrant"): 1,
    }


def test_author_years_each_rule(duck: Any) -> None:
    ay = _by(careers.author_years(duck, Scope()), ["author_id", "year"])
    main = {k: r["main_country"] for k, r in ay.items()}
    assert main[("A1", 2011)] == "US"  # tie DE 1 / US 1, broken by 2010 (US 1, DE 0)
    assert main[("A2", 2010)] == "FR"  # tie FR 1 / JP 1, no previous year: alphabetical
    assert main[("A6", 2011)] == "JP"  # JP 2 (two works), US 1 (a side affiliation)
    assert main[("A7", 2011)] == "CN"  # raw-affiliation country
    assert ("A7", 2012) not in ay  # no known country: not an active year
    assert {k[0] for k in ay} == {f"A{i}" for i in range(1, 8)}  # the authorship without id: none
    assert ay[("A2", 2013)]["prev_year"] == 2010  # gaps: the previous *active* year
    assert ay[("A2", 2016)]["age"] == 6 and ay[("A2", 2016)]["stage"] == "mid"
    assert ay[("A1", 2015)]["origin"] == "US" and ay[("A1", 2015)]["first_year"] == 2010
    # Without a look-back the A1 2011 tie goes alphabetically to DE: a move US→DE in 2011.
    ay0 = _by(careers.author_years(duck, Scope(tie_lookback=0)), ["author_id", "year"])
    assert ay0[("A1", 2011)]["main_country"] == "DE"
    # With two works a year required, A1 is active only in 2011 (US + DE works, a tie
    # with no earlier active year → DE) and 2012 (DE).
    ay2 = _by(careers.author_years(duck, Scope(min_works_per_year=2)), ["author_id", "year"])
    assert {k: r["main_country"] for k, r in ay2.items() if k[0] == "A1"} == {
        ("A1", 2011): "DE",
        ("A1", 2012): "DE",
    }


def test_moves_with_fields(duck: Any) -> None:
    mv = _by(careers.moves(duck, Scope()), ["author_id", "year"])
    assert {k: (r["from"], r["to"], r["kind"], r["is_return"]) for k, r in mv.items()} == {
        ("A1", 2012): ("US", "DE", "transfer", False),
        ("A2", 2013): ("FR", "JP", "transfer", False),
        ("A2", 2016): ("JP", "FR", "transfer", True),
        ("A3", 2011): ("JP", "US", "visit", False),
        ("A3", 2015): ("JP", "GB", "visit", False),
        ("A4", 2011): ("JP", "US", "transfer", False),
        ("A4", 2014): ("US", "JP", "transfer", True),
        ("A5", 2011): ("JP", "US", "visit", False),
        ("A5", 2013): ("JP", "US", "visit", False),
        ("A5", 2015): ("JP", "US", "transfer", False),
    }
    assert mv[("A3", 2015)]["return_year"] == 2017
    assert mv[("A2", 2016)]["field_id"] == 22 and mv[("A1", 2012)]["field_id"] == 17
    ay = careers.author_years(duck, Scope())
    f = _by(careers.author_fields(duck, Scope(), ay), ["author_id", "year"])
    # A6: 17 (1:0), then 22 (2:1), then a 2:2 tie → the smaller id, 17
    assert [f[("A6", y)]["field_id"] for y in (2010, 2011, 2012)] == [17, 22, 17]


def test_visit_threshold(duck: Any) -> None:
    one = _flows(duck, Scope(visit_max_years=1))
    # At most 1 year: A3's JP→GB 2015 (back 2017, 2 years) becomes a transfer and
    # GB→JP 2017 a transfer too — a return to JP. JP 2015: transfers out 1 + 1 = 2.
    assert one[("JP", 2015)] == (0, 2, 0, 0, 0, 0, 0)
    assert one[("GB", 2015)] == (1, 0, 0, 0, 0, 0, 1)
    assert one[("JP", 2017)] == (1, 0, 1, 0, 0, 0, 1)
    assert one[("US", 2011)] == FLOWS[("US", 2011)]  # 1-year visits stay visits
    three = _flows(duck, Scope(visit_max_years=3))
    # At most 3 years: A2's FR→JP 2013 (back 2016) and A4's JP→US 2011 (back 2014) are visits.
    assert three[("FR", 2013)] == (0, 0, 0, 1, 0, 0, 0)
    assert three[("JP", 2013)] == (0, 0, 0, 1, 1, 1, 2)
    assert three[("US", 2011)] == (0, 0, 0, 0, 3, 1, 4)
    assert ("US", 2014) not in three and ("JP", 2016) not in three  # return legs: no row


def test_stage_field_years_country(duck: Any) -> None:
    mid = _flows(duck, Scope(stage="mid"))
    # Academic age 6–15: A2 in 2016 (6), A3 2016–18 (6–8), A5 2016–17 (6–7).
    assert mid == {
        ("FR", 2016): (1, 0, 1, 0, 0, 0, 1),
        ("JP", 2016): (0, 1, 0, 0, 0, 0, 0),
        ("GB", 2016): (0, 0, 0, 0, 0, 1, 1),
        ("US", 2016): (0, 0, 0, 0, 0, 1, 1),
        ("JP", 2017): (0, 0, 0, 0, 0, 0, 1),
        ("US", 2017): (0, 0, 0, 0, 0, 1, 1),
        ("JP", 2018): (0, 0, 0, 0, 0, 1, 1),
    }
    f22 = _flows(duck, Scope(field=22))
    # Field 22: A2 always; A6 only in 2011 (see test_moves_with_fields).
    assert f22 == {
        ("FR", 2010): (0, 0, 0, 0, 0, 0, 1),
        ("FR", 2013): (0, 1, 0, 0, 0, 0, 0),
        ("JP", 2011): (0, 0, 0, 0, 0, 1, 1),
        ("JP", 2013): (1, 0, 0, 0, 0, 0, 1),
        ("JP", 2014): (0, 0, 0, 0, 0, 1, 1),
        ("JP", 2016): (0, 1, 0, 0, 0, 0, 0),
        ("FR", 2016): (1, 0, 1, 0, 0, 0, 1),
    }
    jp = _flows(duck, Scope(country="JP", years=(2013, 2014)))
    assert jp == {k: v for k, v in FLOWS.items() if k[0] == "JP" and k[1] in (2013, 2014)}


def test_author_affiliations_source(tables: Any) -> None:
    mv = careers.moves(tables, Scope(careers="author-affiliations")).to_pyarrow().to_pylist()
    # B1: 2011 US 2 (IUS1, IUS2), JP 1 → US; back in JP 2012: a 1-year visit.
    assert [(r["author_id"], r["from"], r["to"], r["year"], r["kind"]) for r in mv] == [
        ("B1", "JP", "US", 2011, "visit")
    ]


def test_contract_and_bad_values(duck: Any) -> None:
    fn, keys, values = INDICATORS["mobility-flows"]
    out = fn(duck, Scope())
    assert tuple(out.columns) == (*keys, *values)
    assert values[:8] == (
        "transfers_in",
        "transfers_out",
        "returns",
        "visits_out",
        "visits_in",
        "net_flow",
        "stayers",
        "active_authors",
    )
    for name in ("mobility-od", "mobility-classes"):
        fn, keys, values = INDICATORS[name]
        assert tuple(fn(duck, Scope()).columns) == (*keys, *values)
    for bad in (
        {"careers": "orcid"},
        {"stage": "junior"},
        {"visit_max_years": -1},
        {"min_works_per_year": 0},
    ):
        with pytest.raises(ConfigError):
            Scope(**bad)


# -- the demo world -------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store.open(tmp_path_factory.mktemp("demo") / "store", create=True)
    build_demo(store, works=50_000, seed=5)
    return store


def test_demo_planted_moves_recovered(demo: Store) -> None:
    got = careers.moves(open_store(demo, "duckdb"), Scope()).to_pyarrow().to_pylist()
    truth = pq.read_table(demo.folder_dir("truth") / "moves.parquet").to_pylist()
    key = ("author_id", "kind", "from", "to", "year")
    g = {tuple(r[k] for k in key) for r in got}
    t = {tuple(r[k] for k in key) for r in truth}
    for kind in ("transfer", "visit"):
        gk = {x for x in g if x[1] == kind}
        tk = {x for x in t if x[1] == kind}
        assert len(tk) >= 100, kind  # enough planted moves for the ratios to mean something
        precision, recall = len(gk & tk) / len(gk), len(gk & tk) / len(tk)
        assert precision >= 0.95 and recall >= 0.95, (kind, precision, recall)
    # planted returns and stages agree where the moves do
    tr = {tuple(r[k] for k in key): r for r in truth}
    same = [r for r in got if tuple(r[k] for k in key) in tr]
    assert sum(r["is_return"] == tr[tuple(r[k] for k in key)]["is_return"] for r in same) / len(same) >= 0.99
    assert sum(r["stage"] == tr[tuple(r[k] for k in key)]["stage"] for r in same) / len(same) >= 0.95


def test_demo_flows_add_up(demo: Store) -> None:
    t = open_store(demo, "duckdb")
    flows = mobility_flows(t, Scope()).to_pyarrow().to_pylist()
    mv = careers.moves(t, Scope()).to_pyarrow().to_pylist()
    # every transfer counts once in and once out; every visit once out and once hosted
    assert sum(r["transfers_in"] for r in flows) == sum(r["transfers_out"] for r in flows)
    assert sum(r["transfers_in"] for r in flows) == sum(m["kind"] == "transfer" for m in mv)
    assert sum(r["visits_out"] for r in flows) == sum(r["visits_in"] for r in flows)
    assert sum(r["visits_out"] for r in flows) == sum(m["kind"] == "visit" for m in mv)
    assert all(r["stayers"] <= r["active_authors"] for r in flows)
