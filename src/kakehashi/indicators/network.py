"""The co-authorship map of a country's partners: pair counts, communities, a layout (P-1, D-3, D-10).

The Partners page draws the network VOSviewer draws for countries: the focus
country A, its top partner countries, and the links among all of them,
weighted by co-authored works and normalised by association strength, the
countries grouped into communities. The pair counts are an Ibis expression
(:func:`partner_network`, the indicator ``partner-network``); the communities
(:func:`communities`) and the positions (:func:`layout`) are plain Python on
that small table (at most ``top + 1`` countries, so a few hundred links) and
deterministic: the same table always gives the same picture.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir

from kakehashi.indicators import counting
from kakehashi.indicators.partners import _weight, focus_country, in_years
from kakehashi.indicators.scope import Scope

__all__ = [
    "NETWORK_COLUMNS",
    "TOP_NETWORK",
    "NetworkMap",
    "communities",
    "layout",
    "network_map",
    "pair_counts",
    "partner_network",
]

Tables = Mapping[str, ir.Table]

#: partner countries on the map besides the focus country, unless the scope says otherwise
TOP_NETWORK = Scope().network_top

NETWORK_COLUMNS = ("country", "a", "b", "n_ab", "assoc_strength", "p_a", "p_b")


def pair_counts(t: Tables, scope: Scope, countries: ir.Table) -> ir.Table:
    """Co-authorship between every pair of ``countries`` (a table with a ``country`` column).

    Over the works in scope (``years``, ``field``, ``types``) with a known
    country, for each pair a < b of the given countries that share at least
    one work: ``a, b``; ``n_ab`` the works with both (whole counting), or
    under ``scope.counting == "fractional"`` Σ 1/(m − 1) over them, m the
    number of distinct countries on the work (all of them, not only the
    given ones) — the fractional link weight of :func:`partners`
    (Perianes-Rodriguez, Waltman & van Eck 2016); ``p_a``, ``p_b`` the
    countries' whole counts; ``assoc_strength = n_ab · N / (p_a · p_b)``, N
    the works with a known country (van Eck & Waltman 2009). Pairs with no
    joint work are absent.
    """
    works = scope.works(t["works"])
    wc = in_years(counting.work_countries(works, t["affiliations"], scope), scope)
    nc = counting.n_countries(wc)
    world = wc.aggregate(n_world=wc.work_id.nunique())
    picked = wc.semi_join(countries.select("country").distinct(), "country")
    sizes = picked.group_by("country").aggregate(p=picked.count())
    rows = picked.join(nc, "work_id").select("work_id", "country", "n_countries")
    left = rows.select(work_id=rows.work_id, a=rows.country, m=rows.n_countries)
    right = rows.select(work_id=rows.work_id, b=rows.country)
    pairs = left.join(right, [left.work_id == right.work_id, left.a < right.b])
    pairs = pairs.select("a", "b", w=_weight(pairs.m - 1, scope))
    n = pairs.group_by(["a", "b"]).aggregate(n_ab=pairs.w.sum())
    if scope.counting == "whole":
        n = n.mutate(n_ab=n.n_ab.cast("int64"))
    sa = sizes.select(a=sizes.country, p_a=sizes.p)
    sb = sizes.select(b=sizes.country, p_b=sizes.p)
    j = n.join(sa, "a").join(sb, "b").cross_join(world)
    pa, pb = j.p_a.cast("float64"), j.p_b.cast("float64")
    return j.select(
        "a",
        "b",
        "n_ab",
        assoc_strength=j.n_ab.cast("float64") * j.n_world.cast("float64") / (pa * pb),
        p_a=j.p_a,
        p_b=j.p_b,
    )


def partner_network(t: Tables, scope: Scope, *, top: int | None = None) -> ir.Table:
    """The links among the focus country A and its ``top`` partner countries (the co-authorship map).

    ``top`` defaults to ``scope.network_top`` (20; 5–50, ``--network-top``).
    The partners are A's ``top`` partners by ``n_ab`` (under
    ``scope.counting``; ties by country code), as :func:`partners` ranks
    them; the rows are :func:`pair_counts` over A and them — every pair, not
    only A's links, so the map shows how the partners write with each other.
    Columns: ``country`` (A), ``a``, ``b`` (a < b), ``n_ab``,
    ``assoc_strength``, ``p_a``, ``p_b`` (each country's works, whole
    counting: the node sizes), most co-authored pairs first.

    VOSviewer's country maps weigh links the same way (fractional counting
    optional) and normalise them by association strength before clustering
    and laying out; :func:`communities` and :func:`layout` do that part.

    Example: ``partner_network(open_store(store), Scope(country="JP", years=(2012, 2022)))``;
    on the command line ``kakehashi indicator partner-network --store DIR --country JP``.
    """
    a = focus_country(scope, "partner-network")
    top = scope.network_top if top is None else top
    works = scope.works(t["works"])
    wc = in_years(counting.work_countries(works, t["affiliations"], scope), scope)
    nc = counting.n_countries(wc)
    a_works = wc.filter(wc.country == a).select("work_id")
    others = wc.filter(wc.country != a).semi_join(a_works, "work_id").join(nc, "work_id")
    others = others.select("country", w=_weight(others.n_countries - 1, scope))
    ranked = others.group_by("country").aggregate(n=others.w.sum())
    best = ranked.order_by([ibis.desc("n"), "country"]).limit(top).select("country")
    focus = ibis.memtable({"country": [a]}, schema={"country": "string"})
    nodes = best.union(focus)
    out = pair_counts(t, scope, nodes)
    out = out.select(country=ibis.literal(a), **{c: out[c] for c in NETWORK_COLUMNS[1:]})
    return out.order_by([ibis.desc("n_ab"), "a", "b"])


# -- communities and positions: plain Python on the pair table ---------------------------------


Link = tuple[str, str, float]


def _adjacency(nodes: Sequence[str], links: Iterable[Link]) -> dict[str, dict[str, float]]:
    adj: dict[str, dict[str, float]] = {v: {} for v in nodes}
    for a, b, w in links:
        if a == b or w <= 0 or a not in adj or b not in adj:
            continue
        adj[a][b] = adj[a].get(b, 0.0) + w
        adj[b][a] = adj[b].get(a, 0.0) + w
    return adj


def modularity(nodes: Sequence[str], links: Iterable[Link], groups: Mapping[str, int]) -> float:
    """Newman's modularity Q = Σ_c [w_in(c)/m − (deg(c)/2m)²] of a partition (m: total link weight)."""
    adj = _adjacency(nodes, links)
    deg = {v: sum(adj[v].values()) for v in nodes}
    two_m = sum(deg.values())
    if two_m == 0:
        return 0.0
    inside: dict[int, float] = defaultdict(float)
    tot: dict[int, float] = defaultdict(float)
    for v in nodes:
        tot[groups[v]] += deg[v]
        for u, w in adj[v].items():
            if groups[u] == groups[v]:
                inside[groups[v]] += w
    return sum(inside[c] / two_m - (tot[c] / two_m) ** 2 for c in tot)


def communities(nodes: Sequence[str], links: Iterable[Link], *, resolution: float = 1.0) -> dict[str, int]:
    """Communities by the Louvain method, deterministic: node → community 0, 1, … (largest first).

    Louvain (Blondel, Guillaume, Lambiotte & Lefebvre 2008, "Fast unfolding of
    communities in large networks", J. Stat. Mech. P10008) maximises
    modularity Q (Newman 2004) with resolution γ: each node in turn moves to
    the neighbouring community with the largest gain
    ``w_in(c) − γ · deg(v) · deg(c) / 2m``, until no move helps; the
    communities then become the nodes of a smaller graph, and so on. VOSviewer
    clusters with a modularity of the same family (the smart local moving
    algorithm of Waltman & van Eck 2013, Louvain's successor). There is no
    randomness: nodes are visited in the order given (pass them sorted), a
    tie keeps the node where it is or picks the community met first, so the
    same links always give the same communities. Communities are numbered by
    total link weight (then size, then first member), largest first.
    ``links`` are ``(a, b, weight)``; the page passes association strengths.
    Isolated nodes are communities of their own.
    """
    order = list(nodes)
    adj = _adjacency(order, links)
    # member lists of the current super-nodes; the graph among them
    members: list[list[str]] = [[v] for v in order]
    index = {v: i for i, v in enumerate(order)}
    g: list[dict[int, float]] = [{index[u]: w for u, w in adj[v].items()} for v in order]
    self_w: list[float] = [0.0] * len(order)
    while True:
        comm, moved = _local_moves(g, self_w, resolution)
        labels = sorted(set(comm), key=comm.index)
        if not moved or len(labels) == len(g):
            break
        new = {c: i for i, c in enumerate(labels)}
        members = [
            [v for i, c in enumerate(comm) if new[c] == k for v in members[i]] for k in range(len(labels))
        ]
        g2: list[dict[int, float]] = [defaultdict(float) for _ in labels]
        s2 = [0.0] * len(labels)
        for i, nbrs in enumerate(g):
            ci = new[comm[i]]
            s2[ci] += self_w[i]
            for j, w in nbrs.items():
                cj = new[comm[j]]
                if ci == cj:
                    s2[ci] += w  # each inner link is seen from both ends: 2w, as a self-loop counts
                else:
                    g2[ci][cj] += w
        g, self_w = [dict(d) for d in g2], s2
    strength = [sum(g[i].values()) + self_w[i] for i in range(len(members))]
    rank = sorted(
        range(len(members)),
        key=lambda i: (-strength[i], -len(members[i]), min(index[v] for v in members[i])),
    )
    return {v: k for k, i in enumerate(rank) for v in members[i]}


def _local_moves(g: list[dict[int, float]], self_w: list[float], gamma: float) -> tuple[list[int], bool]:
    """Louvain's first phase (graph with self-loops): each node's community, and whether any moved."""
    n = len(g)
    deg = [sum(g[i].values()) + self_w[i] for i in range(n)]
    two_m = sum(deg)
    comm = list(range(n))
    tot = deg[:]
    moved_any = False
    if two_m == 0:
        return comm, False
    improved = True
    while improved:
        improved = False
        for i in range(n):
            ci = comm[i]
            links_to: dict[int, float] = {}
            for j, w in g[i].items():
                links_to[comm[j]] = links_to.get(comm[j], 0.0) + w
            tot[ci] -= deg[i]
            best, best_gain = ci, links_to.get(ci, 0.0) - gamma * deg[i] * tot[ci] / two_m
            for c, w in links_to.items():
                gain = w - gamma * deg[i] * tot[c] / two_m
                if gain > best_gain + 1e-12:
                    best, best_gain = c, gain
            tot[best] += deg[i]
            if best != ci:
                comm[i] = best
                improved = moved_any = True
    return comm, moved_any


def layout(
    nodes: Sequence[str], links: Iterable[Link], *, seed: int = 0, iterations: int = 300
) -> dict[str, tuple[float, float]]:
    """Positions in [−1, 1]² by Fruchterman & Reingold's force-directed layout, deterministic.

    Fruchterman & Reingold (1991), "Graph drawing by force-directed
    placement", Software: Practice and Experience 21(11): nodes repel with
    k²/d, linked nodes attract with w·d²/k (w the link weight over the
    largest), the step cooling linearly over ``iterations``. The start is
    the nodes on a circle, in the order given, nudged by ``random.Random(seed)``:
    the same links, order and seed give the same picture. The result is
    centred and scaled so the farthest node lies at distance 1.
    """
    order = list(nodes)
    n = len(order)
    if n == 0:
        return {}
    if n == 1:
        return {order[0]: (0.0, 0.0)}
    adj = _adjacency(order, links)
    wmax = max((w for v in order for w in adj[v].values()), default=1.0) or 1.0
    rng = random.Random(seed)
    pos = [
        [
            math.cos(2 * math.pi * i / n) + rng.uniform(-0.05, 0.05),
            math.sin(2 * math.pi * i / n) + rng.uniform(-0.05, 0.05),
        ]
        for i in range(n)
    ]
    idx = {v: i for i, v in enumerate(order)}
    k = math.sqrt(4.0 / n)
    for it in range(iterations):
        temp = 0.1 * (1 - it / iterations) + 1e-3
        disp = [[0.0, 0.0] for _ in range(n)]
        for i in range(n):
            for j in range(i + 1, n):
                dx, dy = pos[i][0] - pos[j][0], pos[i][1] - pos[j][1]
                d = math.hypot(dx, dy) or 1e-6
                f = k * k / d
                disp[i][0] += dx / d * f
                disp[i][1] += dy / d * f
                disp[j][0] -= dx / d * f
                disp[j][1] -= dy / d * f
        for v in order:
            i = idx[v]
            for u, w in adj[v].items():
                j = idx[u]
                if j <= i:
                    continue
                dx, dy = pos[i][0] - pos[j][0], pos[i][1] - pos[j][1]
                d = math.hypot(dx, dy) or 1e-6
                f = (w / wmax) * d * d / k
                disp[i][0] -= dx / d * f
                disp[i][1] -= dy / d * f
                disp[j][0] += dx / d * f
                disp[j][1] += dy / d * f
        for i in range(n):
            dl = math.hypot(*disp[i]) or 1e-6
            step = min(dl, temp)
            pos[i][0] += disp[i][0] / dl * step
            pos[i][1] += disp[i][1] / dl * step
    cx = sum(p[0] for p in pos) / n
    cy = sum(p[1] for p in pos) / n
    r = max(math.hypot(p[0] - cx, p[1] - cy) for p in pos) or 1.0
    return {v: ((pos[i][0] - cx) / r, (pos[i][1] - cy) / r) for i, v in enumerate(order)}


@dataclasses.dataclass(frozen=True)
class NetworkMap:
    """The picture of a ``partner-network`` table: node sizes, communities, positions."""

    #: each country's works (whole counting), the focus country first among equals
    sizes: dict[str, int]
    #: country → community 0, 1, … (largest first), by :func:`communities`
    groups: dict[str, int]
    #: country → (x, y) in [−1, 1]², by :func:`layout`
    positions: dict[str, tuple[float, float]]

    def members(self, community: int) -> list[str]:
        """The countries of ``community``, largest first (ties by code)."""
        out = [c for c in self.sizes if self.groups[c] == community]
        return sorted(out, key=lambda c: (-self.sizes[c], c))

    @property
    def n_communities(self) -> int:
        return max(self.groups.values(), default=-1) + 1


def network_map(pairs: Sequence[Mapping[str, Any]], focus: str) -> NetworkMap:
    """Communities and positions of the rows of :func:`partner_network`, as the Partners page and
    the report draw them: association strength is the link weight of both (as VOSviewer
    normalises before clustering and laying out), nodes in code order, seed 0 — the same rows
    always give the same map. The focus country is on the map even without a link.
    """
    size: dict[str, int] = {focus: 0}
    for r in pairs:
        size[r["a"]], size[r["b"]] = r["p_a"], r["p_b"]
    names = sorted(size)
    weights = [(r["a"], r["b"], float(r["assoc_strength"])) for r in pairs]
    return NetworkMap(
        sizes={c: size[c] for c in names},
        groups=communities(names, weights),
        positions=layout(names, weights, seed=0),
    )
