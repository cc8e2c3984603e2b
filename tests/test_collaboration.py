"""coverage, collaboration, growth (S-4) on a hand-made store, on both engines.

Every expected number is worked out in the comments from the rows below.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kakehashi.engines import open_store
from kakehashi.errors import ConfigError
from kakehashi.indicators import Scope, collaboration, coverage, growth
from storebuild import build_store


def aff(work, seq, inst=None, cc=None, author=None):
    return {
        "work_id": work,
        "author_seq": seq,
        "institution_id": inst,
        "country_code": cc,
        "author_id": author,
    }


INSTITUTIONS = [
    {"institution_id": "I1", "country_code": "JP", "type": "education"},
    {"institution_id": "I2", "country_code": "US", "type": "education"},
    {"institution_id": "I3", "country_code": None, "type": "other"},
    {"institution_id": "I4", "country_code": "JP", "type": "company"},
    {"institution_id": "I5", "country_code": "DE", "type": "facility"},
]

# W1 2020: seq0 JP, seq1 US → whole JP 1, US 1; frac JP 1/2, US 1/2; international.
# W2 2020: seq0 has I1 (JP) and I3 (no country: dropped before splitting) → JP, 1 aff;
#          seq1 I4 (JP, company); seq2 only I3 → drops out. Two known authors, both JP:
#          JP frac 1/2 + 1/2 = 1; domestic; industry (I4 is a company).
# W3 2021: seq0 author A1 with I1 (JP) and I5 (DE): two affiliations, 1/2 · 1/2 = 1/4 each;
#          seq1 is A1 again (same author id twice: still a second place) with I2 (US): 1/2.
#          whole JP, DE, US 1 each; international for all three.
# W4 2021: only an affiliation without country: counted in coverage as unknown, nowhere else.
# W5 2021 (published 2021-02-01, fiscal year 2020), type preprint: JP alone, frac 1.
WORKS = [
    {"work_id": "W1", "year": 2020, "type": "article", "field_id": 17},
    {"work_id": "W2", "year": 2020, "type": "article"},
    {"work_id": "W3", "year": 2021, "type": "review"},
    {"work_id": "W4", "year": 2021, "type": "article"},
    {"work_id": "W5", "year": 2021, "type": "preprint", "publication_date": dt.date(2021, 2, 1)},
]
AFFILIATIONS = [
    aff("W1", 0, "I1", "JP"),
    aff("W1", 1, "I2", "US"),
    aff("W2", 0, "I1", "JP"),
    aff("W2", 0, "I3", None),
    aff("W2", 1, "I4", "JP"),
    aff("W2", 2, "I3", None),
    aff("W3", 0, "I1", "JP", "A1"),
    aff("W3", 0, "I5", "DE", "A1"),
    aff("W3", 1, "I2", "US", "A1"),
    aff("W4", 0, None, None),
    aff("W5", 0, "I1", "JP"),
]


@pytest.fixture
def tables(tmp_path, engine):
    store = build_store(
        tmp_path / "s",
        works=[dict(w) for w in WORKS],
        affiliations=AFFILIATIONS,
        institutions=INSTITUTIONS,
    )
    return open_store(store, engine)


def rows(expr, key):
    out = {}
    for r in expr.to_pyarrow().to_pylist():
        out[tuple(r[k] for k in key)] = r
    return out


def test_collaboration_hand_worked(tables):
    got = rows(collaboration(tables, Scope()), ["country", "year"])
    expected = {
        # country, year: p_whole, p_frac, p_intl, pp_intl, foreign_contribution, p_industry
        ("JP", 2020): (2, 0.5 + 1.0, 1, 1 / 2, 2 - 1.5, 1),
        ("US", 2020): (1, 0.5, 1, 1.0, 0.5, 0),
        ("JP", 2021): (2, 0.25 + 1.0, 1, 1 / 2, 2 - 1.25, 0),
        ("DE", 2021): (1, 0.25, 1, 1.0, 0.75, 0),
        ("US", 2021): (1, 0.5, 1, 1.0, 0.5, 0),
    }
    assert set(got) == set(expected)
    for k, (pw, pf, pi, ppi, fc, pind) in expected.items():
        r = got[k]
        assert r["p_whole"] == pw
        assert r["p_frac"] == pytest.approx(pf)
        assert r["p_intl"] == pi
        assert r["pp_intl"] == pytest.approx(ppi)
        assert r["foreign_contribution"] == pytest.approx(fc)
        assert r["p_industry"] == pind


def test_fractional_counts_add_up_to_works_with_a_country(tables):
    got = collaboration(tables, Scope()).to_pyarrow().to_pylist()
    cov = rows(coverage(tables, Scope()), ["year"])
    for year in (2020, 2021):
        total = sum(r["p_frac"] for r in got if r["year"] == year)
        assert total == pytest.approx(cov[(year,)]["works_with_country"])


def test_coverage_hand_worked(tables):
    got = rows(coverage(tables, Scope()), ["year"])
    # 2020: W1, W2 both with a country, only W1 with a field.
    assert got[(2020,)] == {
        "year": 2020,
        "works": 2,
        "works_with_country": 2,
        "p_unknown": 0,
        "works_with_field": 1,
    }
    # 2021: W3, W4, W5; W4 has no country; none has a field.
    assert got[(2021,)] == {
        "year": 2021,
        "works": 3,
        "works_with_country": 2,
        "p_unknown": 1,
        "works_with_field": 0,
    }


def test_types_and_fiscal_year(tables):
    # Articles and reviews only: W5 (preprint) leaves; JP 2021 keeps only W3.
    got = rows(collaboration(tables, Scope(types=("article", "review"))), ["country", "year"])
    assert got[("JP", 2021)]["p_whole"] == 1
    assert got[("JP", 2021)]["p_frac"] == pytest.approx(0.25)
    # Fiscal years: W5 (February 2021) falls in FY2020, so JP FY2020 = W1, W2, W5.
    got = rows(collaboration(tables, Scope(period="fiscal")), ["country", "year"])
    assert got[("JP", 2020)]["p_whole"] == 3
    assert got[("JP", 2021)]["p_whole"] == 1


def test_growth_hand_worked(tables):
    got = rows(growth(tables, Scope(years=(2020, 2021))), ["country"])
    # JP whole 2 → 2: 0; fractional 1.5 → 1.25: 1.25/1.5 − 1 = −1/6; international 1 → 1: 0.
    assert got[("JP",)]["cagr_whole"] == pytest.approx(0.0)
    assert got[("JP",)]["cagr_frac"] == pytest.approx(-1 / 6)
    assert got[("JP",)]["cagr_intl"] == pytest.approx(0.0)
    assert (got[("JP",)]["year_from"], got[("JP",)]["year_to"]) == (2020, 2021)
    # DE has no works in 2020: no growth rate can be given.
    assert got[("DE",)]["cagr_whole"] is None


def test_growth_needs_a_span(tables):
    with pytest.raises(ConfigError):
        growth(tables, Scope(years=(2020, 2020)))


def test_moving_average_counts_missing_years_as_zero(tmp_path, engine):
    # JP: 1 work in 2018, none in 2019, 3 in 2020 → 3-year average at 2020 = (1 + 0 + 3) / 3.
    works = [
        {"work_id": f"W{i}", "year": y, "type": "article"} for i, y in enumerate([2018, 2020, 2020, 2020])
    ]
    affs = [aff(w["work_id"], 0, None, "JP") for w in works]
    t = open_store(build_store(tmp_path / "s", works=works, affiliations=affs), engine)
    got = rows(collaboration(t, Scope(years=(2020, 2020), smooth=3)), ["country", "year"])
    assert list(got) == [("JP", 2020)]
    assert got[("JP", 2020)]["p_whole"] == pytest.approx(4 / 3)


def test_hong_kong_scheme(tmp_path, engine):
    # One work with a Hong Kong and a mainland affiliation: international when kept apart,
    # domestic Chinese under Leiden's scheme.
    works = [{"work_id": "W1", "year": 2020, "type": "article"}]
    affs = [aff("W1", 0, None, "HK"), aff("W1", 1, None, "CN")]
    t = open_store(build_store(tmp_path / "s", works=works, affiliations=affs), engine)
    apart = rows(collaboration(t, Scope()), ["country", "year"])
    assert apart[("HK", 2020)]["p_intl"] == 1
    china = rows(collaboration(t, Scope(country_scheme="china")), ["country", "year"])
    assert list(china) == [("CN", 2020)]
    assert china[("CN", 2020)]["p_intl"] == 0
    assert china[("CN", 2020)]["p_frac"] == pytest.approx(1.0)


def test_growth_without_years_spans_the_data(tables):
    # Data years are 2020 and 2021, so the default span is 2020 → 2021: as above.
    got = rows(growth(tables, Scope()), ["country"])
    assert (got[("JP",)]["year_from"], got[("JP",)]["year_to"]) == (2020, 2021)
    assert got[("JP",)]["cagr_frac"] == pytest.approx(-1 / 6)


def test_by_field(tmp_path, engine):
    # W1 (2020, field 17): JP and US authors → JP 1 whole, 1/2 fractional, international.
    # W2 (2020, field 17): JP only → JP 1. W3 (2020, field 22): JP only. W4: no field, left out.
    # W5 (2022, field 17): JP only — the growth end year.
    works = [
        {"work_id": "W1", "year": 2020, "field_id": 17},
        {"work_id": "W2", "year": 2020, "field_id": 17},
        {"work_id": "W3", "year": 2020, "field_id": 22},
        {"work_id": "W4", "year": 2020},
        {"work_id": "W5", "year": 2022, "field_id": 17},
    ]
    affs = [aff("W1", 0, None, "JP"), aff("W1", 1, None, "US")] + [
        aff(w, 0, None, "JP") for w in ("W2", "W3", "W4", "W5")
    ]
    t = open_store(build_store(tmp_path / "s", works=works, affiliations=affs), engine)
    got = rows(collaboration(t, Scope(by="field")), ["country", "field_id", "year"])
    assert set(got) == {("JP", 17, 2020), ("JP", 22, 2020), ("US", 17, 2020), ("JP", 17, 2022)}
    jp17 = got[("JP", 17, 2020)]
    assert (jp17["p_whole"], jp17["p_frac"], jp17["p_intl"]) == (2, pytest.approx(1.5), 1)
    assert got[("JP", 22, 2020)]["p_intl"] == 0
    # Growth of JP in field 17, 2020 → 2022: whole 2 → 1 over 2 years: (1/2)^(1/2) − 1.
    g = rows(growth(t, Scope(years=(2020, 2022), by="field")), ["country", "field_id"])
    assert g[("JP", 17)]["cagr_whole"] == pytest.approx(0.5**0.5 - 1)
    assert g[("JP", 22)]["cagr_whole"] is None  # no field-22 works in 2022
    cov = rows(coverage(t, Scope(by="field")), ["year", "field_id"])
    assert cov[(2020, 17)]["works"] == 2 and cov[(2020, None)]["works"] == 1
