"""impact (P-1): MNCS, top 10 % / 1 % with the Leiden tie rule, stability intervals, rank.

Every expected number is worked out in the comments from the rows below. The
stores are built once per module and engine: a Spark query costs seconds.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from impactworlds import leiden_weights, worlds
from kakehashi.engines import open_store
from kakehashi.indicators import INDICATORS, Scope, impact
from kakehashi.indicators.impact import IMPACT_COLUMNS, normalised
from storebuild import build_store


@pytest.fixture(scope="module", params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> str:
    """The conftest's engine fixture, module-scoped so that each store is opened once per engine."""
    return str(request.param)


def aff(work, seq, inst=None, cc=None, author=None):
    return {
        "work_id": work,
        "author_seq": seq,
        "institution_id": inst,
        "country_code": cc,
        "author_id": author,
    }


def work(wid, year, cites, field=17, type_="article"):
    return {"work_id": wid, "year": year, "type": type_, "field_id": field, "cited_by_count": cites}


INSTITUTIONS = [
    {"institution_id": "I1", "country_code": "JP", "type": "education"},
    {"institution_id": "I2", "country_code": "US", "type": "education"},
    {"institution_id": "I3", "country_code": None, "type": "other"},
    {"institution_id": "I5", "country_code": "DE", "type": "facility"},
]

# --- The hand-made world ------------------------------------------------------------------------
# 2020, field 17, articles: a reference set of 20 works with citations
#   W01 30 | W02 12, W03 12, W04 12 | GB's W05–W19: 8 8 5 5 5 4 3 3 2 2 1 1 1 0 0 | W20 0
#   Σ = 30 + 36 + 48 + 0 = 114, mean 114 / 20 = 5.7, so ncs = c / 5.7.
# Top 10 % (Leiden's tie rule): q·n = 20 / 10 = 2. t = 12: #(c > 12) = 1 ≤ 2 < 4 = #(c ≥ 12).
#   W01 weighs 1; W02, W03, W04 share the remaining 2 − 1 = 1: 1/3 each; all others 0.
# Top 1 %: q·n = 0.2. t = 30: #(c > 30) = 0 ≤ 0.2 < 1, so W01 weighs (0.2 − 0) / 1 = 0.2.
#
# W01: JP + US. seq0 (A1) has I1 (JP) and I3 (no country: dropped, so A1's share is not halved);
#      seq1 and seq2 are the same author A2 twice at I2 (US): still two places.
#      Fractional: 3 authors with a known country → JP 1/3, US 2/3.
# W02 JP, W03 US, W04 DE, W05–W19 GB (raw country, no institution), W20 JP: one country each.
# W21: JP, 100 citations but no field: in no reference set, so in no impact figure.
# W22: KR, a review (field 17, 2020, 5 citations): a reference set of its own (type differs):
#      n = 1, mean 5 → ncs 1; top 10 %: q·n = 0.1, t = 5, weight 0.1 / 1 = 0.1; top 1 %: 0.01.
# W23: field 17, 2020 article, 1000 citations, no known country: not in the reference set
#      (else mean would be 1114 / 21 and W01 no longer top).
# 2019, field 17, articles: the textbook tie — 10 works, citations 9 9 5 4 3 2 1 1 0 0,
#   Σ 34, mean 3.4. q·n = 1; t = 9: #(c > 9) = 0 ≤ 1 < 2, so the two 9s share the top place,
#   0.5 each (top 1 %: q·n = 0.1, each 0.1 / 2 = 0.05). W31 (9) JP, W32 (9) US, W33–W40 GB.
GB_2020 = [8, 8, 5, 5, 5, 4, 3, 3, 2, 2, 1, 1, 1, 0, 0]
GB_2019 = [5, 4, 3, 2, 1, 1, 0, 0]

WORKS = [
    work("W01", 2020, 30),
    work("W02", 2020, 12),
    work("W03", 2020, 12),
    work("W04", 2020, 12),
    *[work(f"W{5 + i:02d}", 2020, c) for i, c in enumerate(GB_2020)],
    work("W20", 2020, 0),
    work("W21", 2020, 100, field=None),
    work("W22", 2020, 5, type_="review"),
    work("W23", 2020, 1000),
    work("W31", 2019, 9),
    work("W32", 2019, 9),
    *[work(f"W{33 + i}", 2019, c) for i, c in enumerate(GB_2019)],
]
AFFILIATIONS = [
    aff("W01", 0, "I1", "JP", "A1"),
    aff("W01", 0, "I3", None, "A1"),
    aff("W01", 1, "I2", "US", "A2"),
    aff("W01", 2, "I2", "US", "A2"),
    aff("W02", 0, "I1", "JP"),
    aff("W03", 0, "I2", "US"),
    aff("W04", 0, "I5", "DE"),
    *[aff(f"W{5 + i:02d}", 0, None, "GB") for i in range(len(GB_2020))],
    aff("W20", 0, "I1", "JP"),
    aff("W21", 0, "I1", "JP"),
    aff("W22", 0, None, "KR"),
    aff("W23", 0, None, None),
    aff("W31", 0, "I1", "JP"),
    aff("W32", 0, "I2", "US"),
    *[aff(f"W{33 + i}", 0, None, "GB") for i in range(len(GB_2019))],
]


@pytest.fixture(scope="module")
def tables(tmp_path_factory, engine):
    store = build_store(
        tmp_path_factory.mktemp("impact"),
        works=[dict(w) for w in WORKS],
        affiliations=AFFILIATIONS,
        institutions=INSTITUTIONS,
    )
    return open_store(store, engine)


def rows(expr, key=("country", "year", "scope")):
    return {tuple(r[k] for k in key): r for r in expr.to_pyarrow().to_pylist()}


def check(got, expected):
    for name, value in expected.items():
        assert got[name] == pytest.approx(value), name


NO_BOUNDS = {"resamples": 0}


def test_columns_are_the_contract(tables):
    out = impact(tables, Scope(**NO_BOUNDS))
    assert tuple(out.columns) == IMPACT_COLUMNS
    assert INDICATORS["impact"][1:] == (("country", "year", "scope"), IMPACT_COLUMNS[3:])


def test_whole_counting_hand_worked(tables):
    got = rows(impact(tables, Scope(years=(2019, 2020), **NO_BOUNDS)))
    n = 5.7
    # JP 2020: W01, W02, W20 (W21 has no field). mncs = (30 + 12 + 0) / 5.7 / 3;
    # p_top10 = 1 + 1/3 = 4/3; p_top1 = 0.2. US 2020: W01, W03 — also 4/3, so JP and US
    # share rank 1 (min rank), DE (1/3) is 3rd, KR (0.1) 4th, GB (0) 5th.
    check(got[("JP", 2020, "all")], {
        "p": 3, "mncs": 42 / n / 3, "p_top10": 4 / 3, "pp_top10": 4 / 9,
        "p_top1": 0.2, "pp_top1": 0.2 / 3, "rank_top10": 1,
    })  # fmt: skip
    check(got[("US", 2020, "all")], {"p": 2, "mncs": 42 / n / 2, "p_top10": 4 / 3, "rank_top10": 1})
    check(got[("DE", 2020, "all")], {"p": 1, "mncs": 12 / n, "p_top10": 1 / 3, "rank_top10": 3})
    check(got[("KR", 2020, "all")], {
        "p": 1, "mncs": 1.0, "p_top10": 0.1, "pp_top10": 0.1, "p_top1": 0.01, "rank_top10": 4,
    })  # fmt: skip
    check(got[("GB", 2020, "all")], {"p": 15, "mncs": 48 / n / 15, "p_top10": 0, "rank_top10": 5})
    # International: W01 only, for JP and US alike; domestic JP: W02 and W20.
    check(got[("JP", 2020, "intl")], {"p": 1, "mncs": 30 / n, "p_top10": 1, "pp_top10": 1, "rank_top10": 1})
    check(got[("JP", 2020, "domestic")], {"p": 2, "mncs": 12 / n / 2, "p_top10": 1 / 3, "rank_top10": 1})
    # Domestic 2020: JP, US, DE all 1/3 → all rank 1; KR 0.1 → 4; GB 0 → 5.
    assert got[("KR", 2020, "domestic")]["rank_top10"] == 4
    assert got[("GB", 2020, "domestic")]["rank_top10"] == 5
    # 2019, the two tied 9s: JP W31 weighs 0.5 in the top 10 %, 0.05 in the top 1 %.
    check(got[("JP", 2019, "all")], {"p": 1, "mncs": 9 / 3.4, "p_top10": 0.5, "p_top1": 0.05})
    check(got[("GB", 2019, "all")], {"p": 8, "mncs": 16 / 3.4 / 8, "p_top10": 0})
    # A scope with no works has no row (DE has no international work).
    assert ("DE", 2020, "intl") not in got


def test_fractional_counting_hand_worked(tables):
    got = rows(impact(tables, Scope(years=(2020, 2020), counting="fractional", **NO_BOUNDS)))
    # JP: W01 1/3 (A1's unknown affiliation dropped, A2 counted twice), W02 1, W20 1 → p = 7/3.
    # Σ w·ncs = (30/3 + 12 + 0) / 5.7 = 22 / 5.7; p_top10 = 1/3·1 + 1·1/3 = 2/3; p_top1 = 0.2/3.
    check(got[("JP", 2020, "all")], {
        "p": 7 / 3, "mncs": 22 / 5.7 / (7 / 3), "p_top10": 2 / 3, "pp_top10": 2 / 7,
        "p_top1": 0.2 / 3, "rank_top10": 2,
    })  # fmt: skip
    # US: W01 2/3, W03 1 → p = 5/3, p_top10 = 2/3 + 1/3 = 1: now rank 1.
    check(got[("US", 2020, "all")], {"p": 5 / 3, "p_top10": 1, "pp_top10": 3 / 5, "rank_top10": 1})
    # The world's top 10 % adds up: 2 (the 20 articles) + 0.1 (the single review) = 2.1;
    # and the world's MNCS (Σ w·ncs / Σ w) is exactly 1.
    alls = [r for k, r in got.items() if k[2] == "all"]
    assert sum(r["p_top10"] for r in alls) == pytest.approx(2.1)
    assert sum(r["p_top1"] for r in alls) == pytest.approx(0.21)
    assert sum(r["p"] * r["mncs"] for r in alls) / sum(r["p"] for r in alls) == pytest.approx(1.0)


def test_three_year_style_smoothing(tables):
    # --smooth 2 at 2020 pools 2019 and 2020. JP: W31, W01, W02, W20 → p = 4 / 2 = 2;
    # p_top10 = (0.5 + 4/3) / 2 = 11/12; pp_top10 = 11/12 / 2 = 11/24;
    # mncs = (9/3.4 + 42/5.7) / 4. US: W32, W01, W03 → p_top10 also 11/12, so rank 1 shared.
    got = rows(impact(tables, Scope(years=(2020, 2020), smooth=2, **NO_BOUNDS)))
    check(got[("JP", 2020, "all")], {
        "p": 2, "p_top10": 11 / 12, "pp_top10": 11 / 24, "mncs": (9 / 3.4 + 42 / 5.7) / 4, "rank_top10": 1,
    })  # fmt: skip
    check(got[("US", 2020, "all")], {"p": 1.5, "p_top10": 11 / 12, "rank_top10": 1})
    assert {k[1] for k in got} == {2020}


def test_stability_intervals(tables):
    scope = Scope(years=(2020, 2020), resamples=200, seed=7)
    got = rows(impact(tables, scope))
    for r in got.values():
        for s in ("mncs", "pp_top10", "pp_top1"):
            assert r[f"{s}_lo"] - 1e-12 <= r[s] <= r[f"{s}_hi"] + 1e-12, (r["country"], r["scope"], s)
    # KR has a single work: every resample is that work, so the interval is the point.
    kr = got[("KR", 2020, "all")]
    assert (kr["mncs_lo"], kr["mncs_hi"]) == pytest.approx((1.0, 1.0))
    assert (kr["pp_top10_lo"], kr["pp_top10_hi"]) == pytest.approx((0.1, 0.1))
    # GB has no top work: 0 in every resample.
    assert (got[("GB", 2020, "all")]["pp_top10_lo"], got[("GB", 2020, "all")]["pp_top10_hi"]) == (0, 0)
    # JP's 3 works differ, so the MNCS interval is wide: it reaches the lowest possible resample
    # (W20 three times: 0) only if that has ≥ 2.5 % chance — (1/3)^3 = 3.7 %, so lo = 0.
    assert got[("JP", 2020, "all")]["mncs_lo"] == pytest.approx(0.0)
    # Seeded per cell: the same seed gives the same bounds, also when only JP is asked for.
    jp = rows(impact(tables, Scope(years=(2020, 2020), resamples=200, seed=7, country="JP")))
    assert set(jp) == {("JP", 2020, s) for s in ("all", "intl", "domestic")}
    for k, r in jp.items():
        assert r == got[k]


def test_no_resamples_no_bounds(tables):
    got = rows(impact(tables, Scope(years=(2020, 2020), **NO_BOUNDS)))
    assert all(r[c] is None for r in got.values() for c in IMPACT_COLUMNS if c.endswith(("_lo", "_hi")))


def test_nistep_adjusted_top10_example(tmp_path_factory, engine):
    # NISTEP's adjusted count: 100 papers, 7 counted top, scaled ×10/7 so that the set holds 10.
    # One reference set of 100: 7 papers strictly above the threshold (100, 90, …, 40),
    # 6 tied at t = 20, 87 below (0–9). #(c > 20) = 7 ≤ 10 < 13 = #(c ≥ 20).
    # Leiden's rule: the 7 weigh 1, the 6 tied share 10 − 7 = 3 (0.5 each): 7 + 3 = 10 = 7 × 10/7.
    # JP has 3 of the 7 (100, 70, 40), 2 of the tied and 5 below; US has the rest.
    top = [100, 90, 80, 70, 60, 50, 40]
    cites = top + [20] * 6 + [i % 10 for i in range(87)]
    works = [work(f"N{i:03d}", 2019, c, field=22) for i, c in enumerate(cites)]
    jp = {0, 3, 6, 7, 8, 13, 14, 15, 16, 17}
    affs = [aff(w["work_id"], 0, None, "JP" if i in jp else "US") for i, w in enumerate(works)]
    t = open_store(build_store(tmp_path_factory.mktemp("nistep"), works=works, affiliations=affs), engine)
    got = rows(impact(t, Scope(**NO_BOUNDS)))
    # JP: 3 + 2 × 0.5 = 4 of its 10 papers (NISTEP's scaling would give the 3 alone 30/7 ≈ 4.29:
    # the totals agree, the split between countries does not). Top 1 %: q·n = 1, the 100 → JP.
    check(got[("JP", 2019, "all")], {"p": 10, "p_top10": 4, "pp_top10": 0.4, "p_top1": 1, "rank_top10": 2})
    check(got[("US", 2019, "all")], {"p": 90, "p_top10": 6, "p_top1": 0, "rank_top10": 1})
    assert got[("JP", 2019, "all")]["p_top10"] + got[("US", 2019, "all")]["p_top10"] == pytest.approx(
        7 * 10 / 7
    )


def _max_examples(engine: str) -> int:
    return 25 if engine == "duckdb" else 1


def test_properties(engine):
    """On random small worlds: the weights are Leiden's (against an exact slow reference),
    every reference set holds exactly 10 % and 1 % top works, p_top10 ≤ p, all = intl + domestic,
    and the stability intervals contain the point estimate."""

    @settings(max_examples=_max_examples(engine), deadline=None, suppress_health_check=list(HealthCheck))
    @given(worlds())
    def check_world(world):
        with tempfile.TemporaryDirectory() as d:
            t = open_store(build_store(Path(d) / "s", **world), engine)
            known = {a["work_id"] for a in world["affiliations"] if a["country_code"]}
            sets: dict[tuple, list[str]] = defaultdict(list)
            for w in world["works"]:
                if w["field_id"] is not None and w["work_id"] in known:
                    sets[(w["field_id"], w["year"], w["type"])].append(w["work_id"])
            cites = {w["work_id"]: w["cited_by_count"] for w in world["works"]}
            got = {r["work_id"]: r for r in normalised(t, Scope()).to_pyarrow().to_pylist()}
            assert set(got) == {wid for ids in sets.values() for wid in ids}
            for ids in sets.values():
                for name, d_ in (("top10", 10), ("top1", 100)):
                    ref = leiden_weights([cites[i] for i in ids], d_)
                    for wid, want in zip(ids, ref, strict=True):
                        assert got[wid][name] == pytest.approx(float(want))
                    assert sum(got[i][name] for i in ids) == pytest.approx(float(Fraction(len(ids), d_)))
            out = impact(t, Scope(counting="fractional", resamples=50, seed=3)).to_pyarrow().to_pylist()
            by = {(r["country"], r["year"], r["scope"]): r for r in out}
            for r in out:
                assert r["p_top10"] <= r["p"] + 1e-9
                assert r["p_top1"] <= r["p_top10"] + 1e-9
                for s in ("mncs", "pp_top10", "pp_top1"):
                    assert r[f"{s}_lo"] - 1e-9 <= r[s] <= r[f"{s}_hi"] + 1e-9
                if r["scope"] == "all":
                    parts = [by.get((r["country"], r["year"], s)) for s in ("intl", "domestic")]
                    assert sum(x["p"] for x in parts if x) == pytest.approx(r["p"])
            for year in (2020, 2021):
                n_year = sum(len(ids) for k, ids in sets.items() if k[1] == year)
                world_top = sum(r["p_top10"] for r in out if r["year"] == year and r["scope"] == "all")
                assert world_top == pytest.approx(n_year / 10)

    check_world()
