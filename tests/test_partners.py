"""partners (P-1, D-3, D-10) on a hand-made store, on both engines.

Every expected number is worked out in the comments from the rows below.
The focus country is JP; the scope is 2018–2020 (W13, 2017, lies outside).
"""

from __future__ import annotations

import math

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kakehashi.engines import open_store
from kakehashi.errors import ConfigError
from kakehashi.indicators import INDICATORS, Scope, partners
from kakehashi.ingest.demo import build_demo
from kakehashi.store import Store
from storebuild import build_store


def aff(work, seq, inst=None, cc=None):
    return {"work_id": work, "author_seq": seq, "institution_id": inst, "country_code": cc}


# IJ2 (a RIKEN-like centre) sits under IJ3; IU2 (a medical school) under IU3 (its
# university); ID1 (an institute) under ID2 (its society). Lineage as OpenAlex gives it:
# the institution itself at depth 0, its ancestors deeper.
INSTITUTIONS = [
    {"institution_id": "IJ1", "name": "Tokyo U", "country_code": "JP", "type": "education"},
    {"institution_id": "IJ2", "name": "Centre", "country_code": "JP", "type": "facility"},
    {"institution_id": "IJ3", "name": "Institute", "country_code": "JP", "type": "government"},
    {"institution_id": "IU1", "name": "MIT", "country_code": "US", "type": "education"},
    {"institution_id": "IU2", "name": "Harvard Medical School", "country_code": "US", "type": "education"},
    {"institution_id": "IU3", "name": "Harvard University", "country_code": "US", "type": "education"},
    {"institution_id": "ID1", "name": "MPI X", "country_code": "DE", "type": "facility"},
    {"institution_id": "ID2", "name": "Max Planck Society", "country_code": "DE", "type": "government"},
    {"institution_id": "IG1", "name": "Oxford", "country_code": "GB", "type": "education"},
    {"institution_id": "IX", "name": "Nowhere", "country_code": None, "type": "other"},
]
LINEAGE = [
    {"institution_id": i, "ancestor_id": anc, "depth": d}
    for i, anc, d in [
        ("IJ2", "IJ2", 0),
        ("IJ2", "IJ3", 1),
        ("IU2", "IU2", 0),
        ("IU2", "IU3", 1),
        ("ID1", "ID1", 0),
        ("ID1", "ID2", 1),
    ]
]

# work: year, [(author_seq, institution, country)]; a country without institution is a
# raw affiliation string.
LAYOUT = {
    "W1": (2018, [(0, "IJ1", "JP"), (1, "IU1", "US")]),
    "W2": (2018, [(0, "IJ2", "JP"), (1, "IU2", "US"), (2, "ID1", "DE")]),
    "W3": (2020, [(0, "IJ1", "JP"), (1, "IU1", "US")]),
    "W4": (2020, [(0, "IJ1", "JP"), (1, "IU2", "US"), (2, "IU1", "US")]),
    "W5": (2020, [(0, "IJ1", "JP"), (1, "ID1", "DE"), (2, None, "CN"), (3, "IG1", "GB")]),
    "W6": (2020, [(0, "IJ1", "JP")]),
    "W7": (2020, [(0, "IU3", "US"), (1, "ID2", "DE")]),
    "W8": (2018, [(0, "IU1", "US")]),
    "W9": (2020, [(0, None, "CN")]),
    "W10": (2019, [(0, "IJ2", "JP"), (1, None, "US")]),
    "W11": (2020, [(0, "IX", None)]),
    # one author with a Japanese and an American affiliation
    "W12": (2020, [(0, "IJ1", "JP"), (0, "IU1", "US")]),
    "W13": (2017, [(0, "IJ1", "JP"), (1, "IU1", "US")]),
}
WORKS = [{"work_id": w, "year": y, "type": "article"} for w, (y, _) in LAYOUT.items()]
AFFILIATIONS = [aff(w, s, i, c) for w, (_, rows) in LAYOUT.items() for s, i, c in rows]
YEARS = (2018, 2020)

# In 2018–2020 (W1–W12):
#   N = works with a known country = W1–W10, W12 = 11 (W11 has none);
#   n_a (JP) = W1 W2 W3 W4 W5 W6 W10 W12 = 8; p_intl(JP) = all of them but W6 = 7;
#   n_b: US = W1 W2 W3 W4 W7 W8 W10 W12 = 8, DE = W2 W5 W7 = 3, CN = W5 W9 = 2, GB = W5 = 1;
#   n_ab: US = W1 W2 W3 W4 W10 W12 = 6, DE = W2 W5 = 2, CN = W5 = 1, GB = W5 = 1.
N, N_A, P_INTL = 11, 8, 7
WHOLE = {
    # partner: n_ab, n_b, n_ab in 2018, n_ab in 2020
    "US": (6, 8, 2, 3),  # 2018: W1 W2; 2020: W3 W4 W12
    "DE": (2, 3, 1, 1),  # 2018: W2; 2020: W5
    "CN": (1, 2, 0, 1),  # nothing in 2018: no growth rate
    "GB": (1, 1, 0, 1),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(
        tmp_path_factory.mktemp("partners") / "s",
        works=[dict(w) for w in WORKS],
        affiliations=AFFILIATIONS,
        institutions=INSTITUTIONS,
        institution_lineage=LINEAGE,
    )


def by(expr, key="partner"):
    return {r[key]: r for r in expr.to_pyarrow().to_pylist()}


def test_partners_whole_hand_worked(tables):
    got = by(partners(tables, Scope(country="JP", years=YEARS)))
    assert set(got) == set(WHOLE)
    for b, (n_ab, n_b, x0, x1) in WHOLE.items():
        r = got[b]
        assert (r["country"], r["n_ab"], r["n_a"], r["n_b"]) == ("JP", n_ab, N_A, n_b)
        assert r["share_of_intl"] == pytest.approx(n_ab / P_INTL)
        assert r["assoc_strength"] == pytest.approx(n_ab * N / (N_A * n_b))
        assert r["salton"] == pytest.approx(n_ab / math.sqrt(N_A * n_b))
        assert r["jaccard"] == pytest.approx(n_ab / (N_A + n_b - n_ab))
        # growth over the span 2020 − 2018 = 2; no joint work in 2018 → null
        assert r["cagr_ab"] == (pytest.approx((x1 / x0) ** (1 / 2) - 1) if x0 else None)
    # The same numbers written out, so the formulas above are not the only check:
    # US: assoc 6·11/(8·8) = 66/64; salton 6/√64 = 0.75; jaccard 6/(8+8−6) = 0.6; share 6/7.
    us = got["US"]
    assert (us["assoc_strength"], us["salton"], us["jaccard"]) == pytest.approx((66 / 64, 0.75, 0.6))
    assert us["share_of_intl"] == pytest.approx(6 / 7)
    # GB: assoc 1·11/(8·1) = 1.375 (above 1: more often than sizes predict); jaccard 1/(8+1−1).
    assert got["GB"]["assoc_strength"] == pytest.approx(1.375)
    assert got["GB"]["jaccard"] == pytest.approx(1 / 8)
    # cagr_ab over 2018 → 2020 (span 2): US (3/2)^(1/2) − 1; DE (1/1)^(1/2) − 1 = 0;
    # CN and GB have no joint work in 2018: null, as growth gives.
    assert us["cagr_ab"] == pytest.approx(math.sqrt(1.5) - 1)
    assert got["DE"]["cagr_ab"] == pytest.approx(0.0)
    assert got["CN"]["cagr_ab"] is None and got["GB"]["cagr_ab"] is None
    # Contract columns first, in the contract's order.
    cols = partners(tables, Scope(country="JP", years=YEARS)).columns
    assert tuple(cols[:8]) == ("country", "partner", *INDICATORS["partners"][2])


def test_partners_fractional_link_weights(tables):
    got = by(partners(tables, Scope(country="JP", years=YEARS, counting="fractional")))
    # A work with m countries gives each pair 1/(m − 1): W2 has 3 countries (1/2 each),
    # W5 has 4 (1/3 each), every other joint work 2 (1 each).
    # JP–US: W1 1 + W2 1/2 + W3 1 + W4 1 + W10 1 + W12 1 = 5.5
    # JP–DE: W2 1/2 + W5 1/3 = 5/6;  JP–CN: W5 1/3;  JP–GB: W5 1/3
    frac = {"US": 5.5, "DE": 5 / 6, "CN": 1 / 3, "GB": 1 / 3}
    for b, n_ab in frac.items():
        assert got[b]["n_ab"] == pytest.approx(n_ab)
        # Sizes stay whole counts: share 5.5/7, assoc 5.5·11/(8·8) for the US.
        n_b = WHOLE[b][1]
        assert got[b]["share_of_intl"] == pytest.approx(n_ab / P_INTL)
        assert got[b]["assoc_strength"] == pytest.approx(n_ab * N / (N_A * n_b))
    # Each of JP's international works spreads exactly 1 over its partners:
    # 5.5 + 5/6 + 1/3 + 1/3 = 7 = p_intl(JP), so the shares add up to 1.
    assert sum(r["share_of_intl"] for r in got.values()) == pytest.approx(1.0)
    # cagr_ab: US 2018 W1 1 + W2 1/2 = 1.5 → 2020 W3 W4 W12 = 3: (3/1.5)^(1/2) − 1 = √2 − 1;
    # DE 2018 W2 1/2 → 2020 W5 1/3: (2/3)^(1/2) − 1.
    assert got["US"]["cagr_ab"] == pytest.approx(math.sqrt(2) - 1)
    assert got["DE"]["cagr_ab"] == pytest.approx(math.sqrt(2 / 3) - 1)


def test_partner_institutions(tables):
    got = by(partners(tables, Scope(country="JP", years=YEARS, level="institution")))
    # Foreign institutions on JP's works: W1 IU1; W2 IU2, ID1; W3 IU1; W4 IU2, IU1;
    # W5 ID1, IG1 (CN is a raw string, no institution); W10 none (raw US); W12 IU1.
    # n_ab: IU1 = W1 W3 W4 W12 = 4, IU2 = W2 W4 = 2, ID1 = W2 W5 = 2, IG1 = W5 = 1.
    # n_b: IU1 = W1 W3 W4 W8 W12 = 5 (W13 is 2017), IU2 = 2, ID1 = 2, IG1 = 1.
    assert set(got) == {"IU1", "IU2", "ID1", "IG1"}
    iu1 = got["IU1"]
    assert (iu1["n_ab"], iu1["n_a"], iu1["n_b"]) == (4, 8, 5)
    assert iu1["share_of_intl"] == pytest.approx(4 / 7)
    assert iu1["assoc_strength"] == pytest.approx(4 * 11 / (8 * 5))  # 1.1
    assert iu1["salton"] == pytest.approx(4 / math.sqrt(40))
    assert iu1["jaccard"] == pytest.approx(4 / (8 + 5 - 4))
    # IU1: 2018 W1 = 1 → 2020 W3 W4 W12 = 3: √3 − 1.
    assert iu1["cagr_ab"] == pytest.approx(math.sqrt(3) - 1)
    assert (iu1["partner_name"], iu1["partner_country"]) == ("MIT", "US")
    # IU2: assoc 2·11/(8·2) = 1.375; salton 2/√16 = 0.5; jaccard 2/(8+2−2) = 0.25.
    iu2 = got["IU2"]
    assert (iu2["assoc_strength"], iu2["salton"], iu2["jaccard"]) == pytest.approx((1.375, 0.5, 0.25))

    # Fractional: each JP work with k foreign institutions gives each 1/k.
    # IU1 = W1 1 + W3 1 + W4 1/2 + W12 1 = 3.5; IU2 = W2 1/2 + W4 1/2 = 1; ID1 = 1/2 + 1/2; IG1 = 1/2.
    frac = by(partners(tables, Scope(country="JP", years=YEARS, level="institution", counting="fractional")))
    assert {k: r["n_ab"] for k, r in frac.items()} == pytest.approx(
        {"IU1": 3.5, "IU2": 1.0, "ID1": 1.0, "IG1": 0.5}
    )


def test_partner_institutions_rolled_up(tables):
    got = by(partners(tables, Scope(country="JP", years=YEARS, level="institution"), roll_up=True))
    # IU2 → IU3 (Harvard University), ID1 → ID2 (Max Planck Society).
    assert set(got) == {"IU1", "IU3", "ID2", "IG1"}
    # Harvard: works with IU2 or IU3 = W2 W4 W7 → n_b 3; with JP: W2 W4 → n_ab 2;
    # assoc 2·11/(8·3) = 22/24.
    h = got["IU3"]
    assert (h["n_ab"], h["n_b"]) == (2, 3)
    assert h["assoc_strength"] == pytest.approx(22 / 24)
    assert (h["partner_name"], h["partner_country"]) == ("Harvard University", "US")
    # Max Planck: W2 W5 W7 → n_b 3; n_ab W2 W5 = 2.
    assert (got["ID2"]["n_ab"], got["ID2"]["n_b"]) == (2, 3)


def test_partners_without_years_span_the_data(store):
    # DuckDB only: the span comes from the data as growth's does (both engines in test_collaboration).
    t = open_store(store, "duckdb")
    got = by(partners(t, Scope(country="JP")))
    # With W13 (2017, JP–US) in: n_ab(US) = 7; span 2017 → 2020, US 1 → 3: 3^(1/3) − 1.
    assert got["US"]["n_ab"] == 7
    assert got["US"]["cagr_ab"] == pytest.approx(3 ** (1 / 3) - 1)
    # One year: no span, no growth.
    one = by(partners(t, Scope(country="JP", years=(2020, 2020))))
    assert one["US"]["cagr_ab"] is None
    assert one["US"]["n_ab"] == 3


def test_partners_needs_a_country(store):
    t = open_store(store, "duckdb")
    with pytest.raises(ConfigError, match="--country"):
        partners(t, Scope(years=YEARS))


# --- properties ----------------------------------------------------------------

COUNTRIES = ["JP", "US", "DE", "CN"]
# A work: a list of authors, each a list of 0–2 affiliation countries (None = unknown).
author = st.lists(st.sampled_from([*COUNTRIES, None]), min_size=0, max_size=2)
work = st.lists(author, min_size=1, max_size=4)
world = st.lists(work, min_size=1, max_size=8)


def _store_of(tmp_path_factory, works):
    ws = [{"work_id": f"W{i}", "year": 2020, "type": "article"} for i in range(len(works))]
    affs = [
        aff(f"W{i}", s, None, c)
        for i, authors in enumerate(works)
        for s, cs in enumerate(authors)
        for c in cs
    ]
    # The store keys affiliations by (work, place, institution, country): drop exact repeats.
    affs = list({(a["work_id"], a["author_seq"], a["country_code"]): a for a in affs}.values())
    return build_store(tmp_path_factory.mktemp("prop") / "s", works=ws, affiliations=affs)


def _check_bounds(tmp_path_factory, engine, works):
    t = open_store(_store_of(tmp_path_factory, works), engine)
    # p_intl(JP) by hand from the drawn works.
    p_intl = sum(
        1
        for authors in works
        if "JP" in {c for cs in authors for c in cs} and len({c for cs in authors for c in cs} - {None}) >= 2
    )
    for counting in ("whole", "fractional"):
        rows = partners(t, Scope(country="JP", counting=counting)).to_pyarrow().to_pylist()
        for r in rows:
            assert r["n_ab"] <= p_intl + 1e-9
            assert r["salton"] <= 1 + 1e-9
            assert r["jaccard"] <= r["salton"] + 1e-9
        if counting == "fractional" and rows:
            assert sum(r["n_ab"] for r in rows) == pytest.approx(p_intl)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(works=world)
def test_partner_bounds_duckdb(tmp_path_factory, works):
    """p_intl(A) ≥ every n_ab; salton ≤ 1; jaccard ≤ salton; fractional n_ab sums to p_intl(A)."""
    _check_bounds(tmp_path_factory, "duckdb", works)


@pytest.mark.spark
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(works=world)
def test_partner_bounds_spark(tmp_path_factory, works):
    _check_bounds(tmp_path_factory, "spark", works)


# --- the demo world's planted partner preferences (D-3, D-10) -----------------------


def test_demo_world_partner_preferences_recovered(tmp_path_factory):
    """JP's partners on a 200,000-work demo world match the planted expectations.

    ``truth/partners.parquet`` holds the expected ``n_ab`` per year; pooled over
    2012–2022 Japan has about 1,600 international works, the largest partner
    about 800 of them. Partner draws are stratified (closer to expectation than
    independent draws), so the Poisson standard deviation sqrt(E) bounds the
    noise; 4·sqrt(E) (±113 at the US's 806, ±42 at 110) cannot fail by chance
    in practice and still catches a wrong count of the size of a partner's
    share. DuckDB only: this checks the data, the engines are checked above.
    """
    store = Store.open(tmp_path_factory.mktemp("demo") / "store", create=True)
    build_demo(store, works=200_000, seed=1)
    truth = pq.read_table(store.folder_dir("truth") / "partners.parquet")
    expected: dict[str, float] = {}
    for r in truth.to_pylist():
        if r["country"] != "JP" or not 2012 <= r["year"] <= 2022:
            continue
        expected[r["partner"]] = expected.get(r["partner"], 0.0) + r["n_ab"]
    got = by(partners(open_store(store, "duckdb"), Scope(country="JP", years=(2012, 2022))))
    big = {b: e for b, e in expected.items() if e >= 50}
    assert len(big) >= 8
    for b, e in big.items():
        assert abs(got[b]["n_ab"] - e) <= 4 * math.sqrt(e), (b, got[b]["n_ab"], e)
    # The planted top four (US, then CN, GB, DE close together) are the observed top four.
    top4 = sorted(expected, key=expected.__getitem__, reverse=True)[:4]
    observed = sorted(got, key=lambda b: got[b]["n_ab"], reverse=True)[:4]
    assert set(observed) == set(top4) and observed[0] == top4[0] == "US"
