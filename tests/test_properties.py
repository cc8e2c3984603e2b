"""Properties every store must satisfy, on random hand-sized stores (hypothesis).

DuckDB draws many examples, Spark a few (each Spark query costs seconds).
Examples are small: the point is the odd shapes — authors without a known
affiliation, two affiliations in one country, works with no country at all.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kakehashi.engines import open_store
from kakehashi.indicators import Scope, collaboration, coverage
from storebuild import build_store

COUNTRIES = ["JP", "US", "DE", "CN"]
# A work: authors, each with 0–3 affiliations whose country may be unknown (None).
author = st.lists(st.sampled_from([*COUNTRIES, None]), min_size=0, max_size=3)
work = st.tuples(st.sampled_from([2020, 2021]), st.lists(author, min_size=1, max_size=4))
world = st.lists(work, min_size=1, max_size=10)


def _store(tmp_path_factory, works):
    ws = [{"work_id": f"W{i}", "year": y, "type": "article"} for i, (y, _) in enumerate(works)]
    affs = {}
    for i, (_, authors) in enumerate(works):
        for s, countries in enumerate(authors):
            for k, c in enumerate(countries):
                # a distinct institution per affiliation, so two in one country stay two
                inst = f"I{i}_{s}_{k}"
                affs[(i, s, k)] = {
                    "work_id": f"W{i}",
                    "author_seq": s,
                    "institution_id": inst,
                    "country_code": c,
                }
    return build_store(tmp_path_factory.mktemp("prop") / "s", works=ws, affiliations=list(affs.values()))


def _check_collaboration(tmp_path_factory, engine, works):
    t = open_store(_store(tmp_path_factory, works), engine)
    got = collaboration(t, Scope()).to_pyarrow().to_pylist()
    cov = {r["year"]: r for r in coverage(t, Scope()).to_pyarrow().to_pylist()}
    for year in (2020, 2021):
        rows = [r for r in got if r["year"] == year]
        # Σ p_frac over countries = works with a known country (each such work weighs 1)
        expected = sum(1 for y, authors in works if y == year and any(c for cs in authors for c in cs))
        assert sum(r["p_frac"] for r in rows) == pytest.approx(expected)
        assert cov.get(year, {"works_with_country": 0})["works_with_country"] == expected
        for r in rows:
            assert r["p_intl"] <= r["p_whole"]
            assert 0 < r["p_frac"] <= r["p_whole"] + 1e-9


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(works=world)
def test_fractional_counts_sum_to_works_with_a_country_duckdb(tmp_path_factory, works):
    """Σ_c p_frac = works with a known country; p_intl ≤ p_whole; p_frac ≤ p_whole."""
    _check_collaboration(tmp_path_factory, "duckdb", works)


@pytest.mark.spark
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(works=world)
def test_fractional_counts_sum_to_works_with_a_country_spark(tmp_path_factory, works):
    _check_collaboration(tmp_path_factory, "spark", works)
