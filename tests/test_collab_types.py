"""collab-types (S-4, P-1): one type per work, counts, shares and MNCS per type.

Every expected number is worked out in the comments from the rows below.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from impactworlds import worlds
from kakehashi.engines import open_store
from kakehashi.indicators import INDICATORS, Scope, collab_types, collaboration
from kakehashi.indicators.collab_types import COLLAB_TYPES, work_types
from storebuild import build_store


@pytest.fixture(scope="module", params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> str:
    """The conftest's engine fixture, module-scoped so that the store is opened once per engine."""
    return str(request.param)


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
    {"institution_id": "I6", "country_code": "JP", "type": "facility"},  # a centre of I7
    {"institution_id": "I7", "country_code": "JP", "type": "government"},
    {"institution_id": "I8", "country_code": "GB", "type": "education"},
]
# I6's OpenAlex lineage is [I6, I7]: the centre rolls up to its organisation.
LINEAGE = [
    {"institution_id": "I6", "ancestor_id": "I6", "depth": 0},
    {"institution_id": "I6", "ancestor_id": "I7", "depth": 1},
    {"institution_id": "I7", "ancestor_id": "I7", "depth": 0},
]

# All 2020, field 17, articles (C08 has no field), citations in brackets.
# The reference set: C01–C07, C09, C11 — 9 works, Σ c = 90, mean 10, so ncs = c / 10.
# C01 [10] JP + US                           → intl_bilateral
# C02 [20] JP + US + DE                      → intl_trilateral
# C03 [30] JP + US + DE + GB                 → intl_quadrilateral_plus
# C04 [0]  JP at I1 and JP at I4             → domestic_multi_institution
# C05 [5]  JP at I6 and at I7: I6 rolls up to I7, one institution; 2 authors → single_institution
# C06 [5]  the same author id twice at I1: two places, two authors → single_institution
# C07 [10] one author at I1 (one authorship row) → single_author
# C08 [–]  two authors with a raw country (JP) and no institution: no two institutions are
#          known, so not multi-institution; 2 authors → single_institution (no field: no ncs)
# C09 [0]  JP at I1, a second author only at I3 (no country): that affiliation is unknown and
#          drops out, its institution with it → one institution, 2 authors → single_institution
# C10      only an affiliation without country: no type, counted nowhere
# C11 [10] one affiliation row (I1), but authorships lists two places → single_institution
WORKS = [
    {"work_id": f"C{i:02d}", "year": 2020, "type": "article", "field_id": 17, "cited_by_count": c}
    for i, c in [(1, 10), (2, 20), (3, 30), (4, 0), (5, 5), (6, 5), (7, 10), (9, 0), (10, 0), (11, 10)]
] + [{"work_id": "C08", "year": 2020, "type": "article", "field_id": None, "cited_by_count": 50}]
AFFILIATIONS = [
    aff("C01", 0, "I1", "JP"),
    aff("C01", 1, "I2", "US"),
    aff("C02", 0, "I1", "JP"),
    aff("C02", 1, "I2", "US"),
    aff("C02", 2, "I5", "DE"),
    aff("C03", 0, "I1", "JP"),
    aff("C03", 1, "I2", "US"),
    aff("C03", 2, "I5", "DE"),
    aff("C03", 3, "I8", "GB"),
    aff("C04", 0, "I1", "JP"),
    aff("C04", 1, "I4", "JP"),
    aff("C05", 0, "I6", "JP"),
    aff("C05", 1, "I7", "JP"),
    aff("C06", 0, "I1", "JP", "A1"),
    aff("C06", 1, "I1", "JP", "A1"),
    aff("C07", 0, "I1", "JP"),
    aff("C08", 0, None, "JP"),
    aff("C08", 1, None, "JP"),
    aff("C09", 0, "I1", "JP"),
    aff("C09", 1, "I3", None),
    aff("C10", 0, None, None),
    aff("C11", 0, "I1", "JP"),
]
AUTHORSHIPS = [
    {"work_id": "C07", "author_seq": 0, "author_position": "first"},
    {"work_id": "C11", "author_seq": 0, "author_position": "first"},
    {"work_id": "C11", "author_seq": 1, "author_position": "last"},
]


@pytest.fixture(scope="module")
def tables(tmp_path_factory, engine):
    store = build_store(
        tmp_path_factory.mktemp("collab_types"),
        works=[dict(w) for w in WORKS],
        affiliations=AFFILIATIONS,
        authorships=AUTHORSHIPS,
        institutions=INSTITUTIONS,
        institution_lineage=LINEAGE,
    )
    return open_store(store, engine)


def rows(expr):
    return {(r["country"], r["year"], r["collab_type"]): r for r in expr.to_pyarrow().to_pylist()}


def test_each_work_gets_its_type(tables):
    got = {r["work_id"]: r["collab_type"] for r in work_types(tables, Scope()).to_pyarrow().to_pylist()}
    assert got == {
        "C01": "intl_bilateral",
        "C02": "intl_trilateral",
        "C03": "intl_quadrilateral_plus",
        "C04": "domestic_multi_institution",
        "C05": "single_institution",
        "C06": "single_institution",
        "C07": "single_author",
        "C08": "single_institution",
        "C09": "single_institution",
        "C11": "single_institution",
    }


def test_counts_shares_and_mncs_hand_worked(tables):
    got = rows(collab_types(tables, Scope()))
    assert tuple(collab_types(tables, Scope()).columns) == (
        "country",
        "year",
        "collab_type",
        "n",
        "share",
        "mncs",
    )
    assert INDICATORS["collab-types"][1:] == (("country", "year", "collab_type"), ("n", "share", "mncs"))
    # JP has 10 works: 1 of each international type, 1 domestic multi-institution,
    # 5 single-institution (C05, C06, C08, C09, C11), 1 single-author.
    expected = {
        # type: n, share, mncs (ncs = c / 10)
        "intl_bilateral": (1, 0.1, 1.0),
        "intl_trilateral": (1, 0.1, 2.0),
        "intl_quadrilateral_plus": (1, 0.1, 3.0),
        "domestic_multi_institution": (1, 0.1, 0.0),
        # C08 has no field: counted in n, left out of mncs = (0.5 + 0.5 + 0 + 1.0) / 4.
        "single_institution": (5, 0.5, 0.5),
        "single_author": (1, 0.1, 1.0),
    }
    for ct, (n, share, mncs) in expected.items():
        r = got[("JP", 2020, ct)]
        assert (r["n"], r["share"], r["mncs"]) == pytest.approx((n, share, mncs)), ct
    # US: C01, C02, C03, a third each.
    assert {k[2] for k in got if k[0] == "US"} == set(COLLAB_TYPES[:3])
    assert all(got[("US", 2020, ct)]["share"] == pytest.approx(1 / 3) for ct in COLLAB_TYPES[:3])


def test_fractional_counting(tables):
    got = rows(collab_types(tables, Scope(counting="fractional", country="JP")))
    # JP's weights: C01 1/2, C02 1/3, C03 1/4 (one author per country); every domestic work 1
    # (C09's second author has no known country and drops out, so JP keeps the whole work).
    # Total 1/2 + 1/3 + 1/4 + 7 (C04–C09, C11) = 13/12 + 84/12 = 97/12.
    total = 97 / 12
    assert got[("JP", 2020, "intl_bilateral")]["share"] == pytest.approx(0.5 / total)
    assert got[("JP", 2020, "intl_quadrilateral_plus")]["n"] == pytest.approx(0.25)
    assert got[("JP", 2020, "single_institution")]["share"] == pytest.approx(5 / total)
    assert {k[0] for k in got} == {"JP"}


def test_properties(engine):
    """On random small worlds: every work with a country has exactly one type, so each
    country-year's shares add up to 1 and its counts to collaboration's p_whole."""

    @settings(
        max_examples=12 if engine == "duckdb" else 1, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(worlds())
    def check_world(world):
        with tempfile.TemporaryDirectory() as d:
            t = open_store(build_store(Path(d) / "s", **world), engine)
            out = collab_types(t, Scope()).to_pyarrow().to_pylist()
            n: dict[tuple, float] = defaultdict(float)
            share: dict[tuple, float] = defaultdict(float)
            for r in out:
                assert r["collab_type"] in COLLAB_TYPES
                n[(r["country"], r["year"])] += r["n"]
                share[(r["country"], r["year"])] += r["share"]
            whole = {
                (r["country"], r["year"]): r["p_whole"]
                for r in collaboration(t, Scope()).to_pyarrow().to_pylist()
            }
            assert n == pytest.approx(whole)
            assert all(s == pytest.approx(1.0) for s in share.values())

    check_world()
