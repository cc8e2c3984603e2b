"""specialisation and complementarity (P-1, D-3, D-10) on a hand-made store, on both engines.

Every expected number is worked out in the comments from the rows below.
Fields: 17 (Computer Science), 22 (Engineering), 27 (Medicine); all works are
2020 articles, so each field is one reference set for the top-10 % weights.
The activity index and complementarity (whole and fractional) run on both
engines; the row filter, the thresholds and the ordering on DuckDB only (they
filter and sort the result the Spark tests check).
"""

from __future__ import annotations

import pytest

from kakehashi.engines import open_store
from kakehashi.errors import ConfigError
from kakehashi.indicators import INDICATORS, Scope, complementarity, specialisation
from storebuild import build_store

# work: field, citations, countries of its authors (one affiliation each)
LAYOUT = {
    "S1": (17, 3, ["JP"]),
    "S2": (17, 2, ["JP"]),
    "S3": (17, 1, ["JP"]),
    "S4": (17, 4, ["US"]),
    "S5": (27, 5, ["US"]),
    "S6": (27, 1, ["US"]),
    "S7": (27, 5, ["JP", "US"]),
    "S8": (22, 10, ["DE"]),
    "S9": (None, 100, ["JP"]),  # no field: left out of every figure here
    "S10": (22, 0, ["US", "DE"]),
    "S11": (27, 0, ["DE"]),
}
WORKS = [
    {"work_id": w, "year": 2020, "type": "article", "field_id": f, "cited_by_count": c}
    for w, (f, c, _) in LAYOUT.items()
]
AFFILIATIONS = [
    {"work_id": w, "author_seq": s, "country_code": cc}
    for w, (_, _, ccs) in LAYOUT.items()
    for s, cc in enumerate(ccs)
]

# Whole counts p_cf (works with a field only; S9 is out):
#   JP: f17 S1 S2 S3 = 3, f27 S7 = 1                 → p_c = 4
#   US: f17 S4 = 1, f27 S5 S6 S7 = 3, f22 S10 = 1    → p_c = 5
#   DE: f22 S8 S10 = 2, f27 S11 = 1                  → p_c = 3
# World, each work once: f17 4, f27 S5 S6 S7 S11 = 4, f22 2 → p_w = 10.
AI_WHOLE = {
    ("JP", 17): (3, (3 / 4) / (4 / 10)),  # 1.875
    ("JP", 27): (1, (1 / 4) / (4 / 10)),  # 0.625
    ("US", 17): (1, (1 / 5) / (4 / 10)),  # 0.5
    ("US", 27): (3, (3 / 5) / (4 / 10)),  # 1.5
    ("US", 22): (1, (1 / 5) / (2 / 10)),  # 1.0
    ("DE", 22): (2, (2 / 3) / (2 / 10)),  # 10/3
    ("DE", 27): (1, (1 / 3) / (4 / 10)),  # 5/6
}
# Fractional (one affiliation per author, so each author of an n-author work has 1/n):
# S7 gives JP 1/2 and US 1/2, S10 US 1/2 and DE 1/2.
#   JP: f17 3, f27 0.5 → 3.5;  US: f17 1, f27 2.5, f22 0.5 → 4;  DE: f22 1.5, f27 1 → 2.5.
# Σ over countries = 10 = p_w: the world is the same works.
AI_FRAC = {
    ("JP", 17): (3.0, (3 / 3.5) / (4 / 10)),  # 15/7
    ("JP", 27): (0.5, (0.5 / 3.5) / (4 / 10)),  # 5/14
    ("US", 17): (1.0, (1 / 4) / (4 / 10)),  # 0.625
    ("US", 27): (2.5, (2.5 / 4) / (4 / 10)),  # 1.5625
    ("US", 22): (0.5, (0.5 / 4) / (2 / 10)),  # 0.625
    ("DE", 22): (1.5, (1.5 / 2.5) / (2 / 10)),  # 3.0
    ("DE", 27): (1.0, (1 / 2.5) / (4 / 10)),  # 1.0
}

# Top-10 % weights (Leiden rule, q·n top works per reference set):
#   f17: S1..S4, q·n = 0.4; the most cited, S4 (4), alone above nothing: S4 = 0.4.
#   f27: S5 (5), S6 (1), S7 (5), S11 (0), q·n = 0.4; S5 and S7 tie at 5: 0.4/2 = 0.2 each.
#   f22: S8 (10), S10 (0), q·n = 0.2: S8 = 0.2.
# pp_top10, whole: US f27 (0.2 + 0 + 0.2)/3 = 0.4/3; US f17 0.4/1; US f22 0/1;
#   DE f22 (0.2 + 0)/2 = 0.1; DE f27 0/1.


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(
        tmp_path_factory.mktemp("spec") / "s", works=[dict(w) for w in WORKS], affiliations=AFFILIATIONS
    )


def rows(expr, key):
    return {tuple(r[k] for k in key): r for r in expr.to_pyarrow().to_pylist()}


@pytest.mark.parametrize(("counting", "expected"), [("whole", AI_WHOLE), ("fractional", AI_FRAC)])
def test_activity_index_hand_worked(tables, counting, expected):
    got = rows(specialisation(tables, Scope(counting=counting)), ["country", "field_id"])
    assert set(got) == set(expected)
    for k, (p, ai) in expected.items():
        assert got[k]["p"] == pytest.approx(p)
        assert got[k]["ai"] == pytest.approx(ai)
        assert isinstance(got[k]["p"], int if counting == "whole" else float)
    assert list(next(iter(got.values()))) == ["country", "field_id", *INDICATORS["specialisation"][2]]


def test_specialisation_filters_rows_not_works(store):
    t = open_store(store, "duckdb")
    # --field 27 --country JP shows one row, with the ai over all fields (0.625), not 1.
    got = rows(specialisation(t, Scope(field=27, country="JP")), ["country", "field_id"])
    assert list(got) == [("JP", 27)]
    assert got[("JP", 27)]["ai"] == pytest.approx(0.625)


def test_complementarity_hand_worked(tables):
    # min_works=1: the store is tiny; every country but JP is a candidate partner.
    got = rows(complementarity(tables, Scope(country="JP"), min_works=1), ["partner", "field_id"])
    # Cells where the partner has works: US 17, 27, 22; DE 22, 27.
    assert set(got) == {("US", 17), ("US", 27), ("US", 22), ("DE", 22), ("DE", 27)}
    # score = max(0, 1 − ai_JP) · max(0, ai_B − 1) · pp_top10_B / 0.10
    # DE f22: JP has no works there, ai_JP = 0 → 1; DE 10/3 − 1 = 7/3; pp 0.1/0.1 = 1 → 7/3.
    de = got[("DE", 22)]
    assert (de["ai_country"], de["ai_partner"], de["pp_top10_partner"]) == pytest.approx((0.0, 10 / 3, 0.1))
    assert de["score"] == pytest.approx(7 / 3)
    # US f27: 1 − 0.625 = 0.375; 1.5 − 1 = 0.5; (0.4/3)/0.1 = 4/3 → 0.375 · 0.5 · 4/3 = 0.25.
    us = got[("US", 27)]
    assert (us["ai_country"], us["ai_partner"], us["pp_top10_partner"]) == pytest.approx(
        (0.625, 1.5, 0.4 / 3)
    )
    assert us["score"] == pytest.approx(0.25)
    # US f17: JP is strong there (1.875): 0. US f22: US at world level (1.0): 0. DE f27: 5/6 < 1: 0.
    for k in [("US", 17), ("US", 22), ("DE", 27)]:
        assert got[k]["score"] == pytest.approx(0.0)
    assert got[("US", 17)]["pp_top10_partner"] == pytest.approx(0.4)
    # Every cell here has fewer than 30 works: flagged.
    assert all(r["few_works"] for r in got.values())
    assert (us["n_partner"], de["n_partner"]) == (3, 2)
    # Highest score first (all cells are flagged, so one group).
    ordered = complementarity(tables, Scope(country="JP"), min_works=1).to_pyarrow().to_pylist()
    assert [(r["partner"], r["field_id"]) for r in ordered[:2]] == [("DE", 22), ("US", 27)]


def test_complementarity_fractional(tables):
    got = rows(
        complementarity(tables, Scope(country="JP", counting="fractional"), min_works=1),
        ["partner", "field_id"],
    )
    # pp_top10, fractional: US f27 (1·0.2 + 1·0 + ½·0.2)/2.5 = 0.12; DE f22 (0.2 + ½·0)/1.5 = 2/15.
    # US f27: (1 − 5/14) · (1.5625 − 1) · 0.12/0.1 = 9/14 · 0.5625 · 1.2
    assert got[("US", 27)]["pp_top10_partner"] == pytest.approx(0.12)
    assert got[("US", 27)]["score"] == pytest.approx(9 / 14 * 0.5625 * 1.2)
    # DE f22: 1 · (3 − 1) · (2/15)/0.1 = 8/3.
    assert got[("DE", 22)]["score"] == pytest.approx(8 / 3)


def test_complementarity_partner_threshold(store):
    t = open_store(store, "duckdb")
    # US has 5 works with a field, DE 3: at 4, DE drops out; at the default 100, both.
    got = rows(complementarity(t, Scope(country="JP"), min_works=4), ["partner", "field_id"])
    assert {p for p, _ in got} == {"US"}
    assert complementarity(t, Scope(country="JP")).count().execute() == 0
    # Cells of at least `small_cell` works come first: at 3, US f27 (3 works, 0.25) is
    # reliable and leads; DE f22 (2 works, 7/3) follows among the flagged.
    ordered = complementarity(t, Scope(country="JP"), min_works=1, small_cell=3).to_pyarrow().to_pylist()
    assert [(r["partner"], r["field_id"], r["few_works"]) for r in ordered[:2]] == [
        ("US", 27, False),
        ("DE", 22, True),
    ]


def test_complementarity_needs_a_country(store):
    t = open_store(store, "duckdb")
    with pytest.raises(ConfigError, match="--country"):
        complementarity(t, Scope())
