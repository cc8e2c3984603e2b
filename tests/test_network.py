"""The co-authorship map: pair counts on a hand-made store (both engines), communities, layout.

Every expected number is worked out in the comments from the rows below.
The focus country is JP; the scope is 2018–2020 (W10, 2017, lies outside).
"""

from __future__ import annotations

import math
from itertools import combinations

import pytest

from kakehashi.errors import ConfigError
from kakehashi.indicators import INDICATORS, Scope, partner_network
from kakehashi.indicators.network import communities, layout, modularity, pair_counts
from storebuild import build_store

# work: year, countries (one author each); None is an affiliation without a country.
LAYOUT = {
    "W1": (2018, ["JP", "US"]),
    "W2": (2019, ["JP", "US", "DE"]),
    "W3": (2019, ["US", "DE"]),
    "W4": (2020, ["JP", "CN"]),
    "W5": (2020, ["CN", "KR"]),
    "W6": (2020, ["JP", "US", "JP"]),  # two Japanese authors: JP counts once
    "W7": (2020, ["US", "CN"]),
    "W8": (2018, ["FR"]),
    "W9": (2019, ["JP", "KR"]),
    "W10": (2017, ["JP", "US"]),  # outside the years
    "W11": (2020, [None]),  # no known country: not in N
}
WORKS = [{"work_id": w, "year": y, "type": "article"} for w, (y, _) in LAYOUT.items()]
AFFILIATIONS = [
    {"work_id": w, "author_seq": s, "institution_id": None, "country_code": c}
    for w, (_, cs) in LAYOUT.items()
    for s, c in enumerate(cs)
]
YEARS = (2018, 2020)

# In 2018–2020: N = W1–W9 = 9 works with a known country.
# Sizes p: JP = W1 W2 W4 W6 W9 = 5; US = W1 W2 W3 W6 W7 = 5; DE = W2 W3 = 2;
#          CN = W4 W5 W7 = 3; KR = W5 W9 = 2.
N = 9
P = {"JP": 5, "US": 5, "DE": 2, "CN": 3, "KR": 2}
# JP's partners (whole): US = W1 W2 W6 = 3; DE = W2, CN = W4, KR = W9 = 1 each.
# Top 3, ties by code: US, CN, DE (KR is fourth) → nodes JP US CN DE.
# Pairs among them (whole): JP–US W1 W2 W6 = 3; DE–JP W2 = 1; DE–US W2 W3 = 2;
# CN–JP W4 = 1; CN–US W7 = 1; CN–DE none (absent).
WHOLE = {("JP", "US"): 3, ("DE", "JP"): 1, ("DE", "US"): 2, ("CN", "JP"): 1, ("CN", "US"): 1}
# Fractional: W2 has m = 3 countries (1/2 a pair), every other work 2 (1 a pair).
# JP's partners: US = 1 + 1/2 + 1 = 2.5, CN = 1, KR = 1, DE = 1/2 → top 3: US, CN, KR.
# Pairs among JP US CN KR: JP–US 2.5; CN–JP W4 1; JP–KR W9 1; CN–US W7 1; CN–KR W5 1.
FRACTIONAL = {("JP", "US"): 2.5, ("CN", "JP"): 1.0, ("JP", "KR"): 1.0, ("CN", "US"): 1.0, ("CN", "KR"): 1.0}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(
        tmp_path_factory.mktemp("network") / "s", works=[dict(w) for w in WORKS], affiliations=AFFILIATIONS
    )


def by_pair(expr):
    return {(r["a"], r["b"]): r for r in expr.to_pyarrow().to_pylist()}


def test_pair_counts_whole_hand_worked(tables):
    got = by_pair(partner_network(tables, Scope(country="JP", years=YEARS), top=3))
    assert set(got) == set(WHOLE)
    for (a, b), n_ab in WHOLE.items():
        r = got[(a, b)]
        assert (r["country"], r["n_ab"], r["p_a"], r["p_b"]) == ("JP", n_ab, P[a], P[b])
        assert r["assoc_strength"] == pytest.approx(n_ab * N / (P[a] * P[b]))
    # Written out: JP–US 3·9/(5·5) = 1.08; DE–US 2·9/(2·5) = 1.8 (the strongest tie); CN–JP 9/15.
    assert got[("JP", "US")]["assoc_strength"] == pytest.approx(1.08)
    assert got[("DE", "US")]["assoc_strength"] == pytest.approx(1.8)
    assert got[("CN", "JP")]["assoc_strength"] == pytest.approx(0.6)
    assert isinstance(got[("JP", "US")]["n_ab"], int)
    # Most co-authored pairs first; contract columns in order.
    rows = partner_network(tables, Scope(country="JP", years=YEARS), top=3).to_pyarrow().to_pylist()
    assert [r["n_ab"] for r in rows] == sorted((r["n_ab"] for r in rows), reverse=True)
    _, keys, values = INDICATORS["partner-network"]
    assert list(rows[0]) == [*keys, *values]


def test_pair_counts_fractional_pick_other_partners(tables):
    got = by_pair(partner_network(tables, Scope(country="JP", years=YEARS, counting="fractional"), top=3))
    assert set(got) == set(FRACTIONAL)
    for (a, b), n_ab in FRACTIONAL.items():
        assert got[(a, b)]["n_ab"] == pytest.approx(n_ab)
        # sizes stay whole counts
        assert (got[(a, b)]["p_a"], got[(a, b)]["p_b"]) == (P[a], P[b])
        assert got[(a, b)]["assoc_strength"] == pytest.approx(n_ab * N / (P[a] * P[b]))


def test_pair_counts_for_any_set_of_countries(tables):
    import ibis

    # Every pair of US, DE, KR: DE–US W2 W3 = 2; KR has no work with either (absent).
    got = by_pair(pair_counts(tables, Scope(years=YEARS), ibis.memtable({"country": ["US", "DE", "KR"]})))
    assert {k: r["n_ab"] for k, r in got.items()} == {("DE", "US"): 2}
    # Without years: W10 (2017) adds a JP–US work; N = 10, p(JP) = p(US) = 6.
    got = by_pair(pair_counts(tables, Scope(), ibis.memtable({"country": ["JP", "US"]})))
    assert got[("JP", "US")]["n_ab"] == 4
    assert got[("JP", "US")]["assoc_strength"] == pytest.approx(4 * 10 / 36)


def test_the_scope_sets_the_maps_partner_count(tables):
    # Scope's default is 20 partners, more than JP's four: every one of them is on the map, so the
    # pairs are WHOLE's and JP–KR (W9) and CN–KR (W5), one work each.
    assert Scope().network_top == 20
    got = by_pair(partner_network(tables, Scope(country="JP", years=YEARS)))
    assert {k: r["n_ab"] for k, r in got.items()} == {**WHOLE, ("JP", "KR"): 1, ("CN", "KR"): 1}
    # The bounds are 5–50; a value outside names its parameter.
    assert Scope(network_top=5).network_top == 5 and Scope(network_top=50).network_top == 50
    for bad in (4, 51):
        with pytest.raises(ConfigError) as e:
            Scope(network_top=bad)
        assert e.value.parameter == "network_top"


def test_partner_network_needs_a_country(tables):
    with pytest.raises(ConfigError) as e:
        partner_network(tables, Scope(years=YEARS))
    assert e.value.parameter == "country"


# -- communities and layout ---------------------------------------------------------------------


def two_cliques() -> tuple[list[str], list[tuple[str, str, float]]]:
    """Two 4-cliques (A–D, E–H), strong inside, joined by one weak link D–E."""
    nodes = list("ABCDEFGH")
    links = [(a, b, 3.0) for a, b in combinations("ABCD", 2)]
    links += [(a, b, 2.0) for a, b in combinations("EFGH", 2)]
    links.append(("D", "E", 0.2))
    return nodes, links


def test_communities_find_the_obvious_ones():
    nodes, links = two_cliques()
    got = communities(nodes, links)
    # The A–D clique has more link weight (6 · 3 = 18 > 6 · 2 = 12): community 0.
    assert got == {**dict.fromkeys("ABCD", 0), **dict.fromkeys("EFGH", 1)}
    # Its modularity beats every other split into two halves and the single community.
    q = modularity(nodes, links, got)
    assert q > modularity(nodes, links, dict.fromkeys(nodes, 0)) == pytest.approx(0.0)
    for half in combinations(nodes, 4):
        alt = {v: 0 if v in half else 1 for v in nodes}
        assert modularity(nodes, links, alt) <= q + 1e-12
    # Deterministic, and the same whatever order the links come in.
    assert communities(nodes, links[::-1]) == got


def test_communities_three_triangles_and_isolated():
    # Three triangles in a ring joined by single weak links, plus an isolated node:
    # each triangle is a community (the second phase merges nothing), Z on its own.
    tri = [("a1", "a2"), ("a2", "a3"), ("a1", "a3"), ("b1", "b2"), ("b2", "b3"), ("b1", "b3")]
    tri += [("c1", "c2"), ("c2", "c3"), ("c1", "c3")]
    links = [(a, b, 1.0) for a, b in tri] + [("a3", "b1", 0.1), ("b3", "c1", 0.1), ("c3", "a1", 0.1)]
    nodes = [*sorted({v for a, b, _ in links for v in (a, b)}), "Z"]
    got = communities(nodes, links)
    groups = {frozenset(v for v in nodes if got[v] == c) for c in set(got.values())}
    assert groups == {
        frozenset({"a1", "a2", "a3"}),
        frozenset({"b1", "b2", "b3"}),
        frozenset({"c1", "c2", "c3"}),
        frozenset({"Z"}),
    }
    assert got["Z"] == 3  # no link weight: last
    assert communities([], []) == {}


def test_layout_is_deterministic_and_keeps_communities_together():
    nodes, links = two_cliques()
    pos = layout(nodes, links)
    assert pos == layout(nodes, links)
    assert all(math.hypot(x, y) <= 1 + 1e-9 for x, y in pos.values())
    assert max(math.hypot(x, y) for x, y in pos.values()) == pytest.approx(1.0)

    def d(u: str, v: str) -> float:
        return math.dist(pos[u], pos[v])

    inside = max(d(u, v) for u, v in combinations("ABCD", 2))
    across = min(d(u, v) for u in "ABC" for v in "FGH")
    assert inside < across
    assert layout(["X"], []) == {"X": (0.0, 0.0)}
    assert layout([], []) == {}
