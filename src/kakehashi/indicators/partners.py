"""Partners of a country: who it co-authors with, and how strongly (P-1, D-3, D-10).

D-3 asks to "choose strategic fields and partners"; D-10 for a mechanism to
set partners strategically. The first fact behind either choice is the
present pattern of co-authorship: with whom the focus country A writes, how
much of its international output that is, how strong the tie is once the
two countries' sizes are allowed for, and how fast it grows. Definitions are
DESIGN.md's ("Partners"); the docs are ``docs/indicators.md``.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from kakehashi.errors import ConfigError
from kakehashi.indicators import counting
from kakehashi.indicators.collab_types import _roots
from kakehashi.indicators.scope import Scope

__all__ = ["PARTNER_COLUMNS", "focus_country", "partners"]

Tables = Mapping[str, ir.Table]

#: The contract's columns, then the two sizes behind the ratios.
PARTNER_COLUMNS = (
    "country",
    "partner",
    "n_ab",
    "share_of_intl",
    "assoc_strength",
    "salton",
    "jaccard",
    "cagr_ab",
    "n_a",
    "n_b",
)


def focus_country(scope: Scope, indicator: str) -> str:
    """``scope.country``, or a :class:`ConfigError` saying the indicator needs one."""
    if scope.country is None:
        raise ConfigError(
            f"{indicator} is computed for one focus country: give it with --country, e.g. --country JP.",
            parameter="country",
        )
    return scope.country


def in_years(t: ir.Table, scope: Scope) -> ir.Table:
    """Rows of ``scope.years`` only (``scope.works`` also keeps the smoothing look-back)."""
    if scope.years is None:
        return t
    return t.filter(t.year.between(*scope.years))


def partners(t: Tables, scope: Scope, *, roll_up: bool = False) -> ir.Table:
    """Every partner of the focus country A, with co-authorship counts, affinities and growth.

    For A = ``scope.country`` and each partner B, over the works in scope
    (``years`` pooled, ``field``, ``types``) with at least one known country:

    - ``n_a``, ``n_b``: whole counts (works with A, works with B);
    - ``n_ab``: works with both A and B (whole counting) — or their
      fractional link weight, below;
    - ``N``: all works with a known country; ``p_intl(A)``: A's works with
      another country;
    - ``share_of_intl = n_ab / p_intl(A)`` (A's international output that
      involves B);
    - ``assoc_strength = n_ab · N / (n_a · n_b)`` — observed co-authorship over
      the number expected if A and B chose their works independently; 1 means
      "as often as their sizes predict" (van Eck & Waltman 2009, "How to
      normalize cooccurrence data?", JASIST 60(8); the probabilistic
      affinity index of Zitt, Bassecoulard & Okubo 2000);
    - ``salton = n_ab / sqrt(n_a · n_b)`` (cosine) and
      ``jaccard = n_ab / (n_a + n_b − n_ab)``; both ≤ 1 and
      ``jaccard ≤ salton`` because ``n_ab ≤ min(n_a, n_b)``;
    - ``cagr_ab = (n_ab,to / n_ab,from)^(1/(to − from)) − 1`` between the ends
      of ``scope.years``, on the yearly ``n_ab`` (moving averages first when
      ``scope.smooth`` > 1), the formula of
      :func:`kakehashi.indicators.collaboration.growth`; without ``years`` the
      span is the data's first to last year. Null where there is no span
      (one year) or no co-authored work at an end.

    ``scope.counting == "fractional"`` gives fractional *link* weights
    (Perianes-Rodriguez, Waltman & van Eck 2016, "Constructing bibliometric
    networks: a comparison between full and fractional counting",
    J. Informetrics 10(4)), applied to the units of the network — countries,
    not authors — as VOSviewer does for country maps: a work with m ≥ 2
    distinct countries gives each pair of them the weight 1/(m − 1), so each
    country's links from one work add up to 1 however many countries share
    it, and a 100-country consortium paper no longer outweighs 99 bilateral
    ones. ``n_ab`` is then Σ 1/(m − 1) over the works with A and B, and its
    sum over all partners is exactly ``p_intl(A)`` (``share_of_intl`` sums to
    1). ``n_a``, ``n_b``, ``N`` and ``p_intl(A)`` stay whole counts, so the
    ratios compare link weight with the countries' sizes; ``assoc_strength``
    then no longer equals 1 under independence and is meant for ranking A's
    partners against one another. Under whole counting ``n_ab`` is an
    integer column, under fractional a float.

    ``scope.level == "institution"``: the partners are the institutions
    abroad (country known and not A) on A's works: ``partner`` is the
    OpenAlex institution id, ``partner_name`` and ``partner_country`` follow
    the contract columns. ``n_b`` counts the institution's works in scope,
    ``n_ab`` the works with A and it. Authors without an institution (raw
    affiliation strings) add their country but no partner institution.
    Fractional: each of A's works with k foreign institutions gives each of
    them 1/k (the same rule, with A counted as one unit). With
    ``roll_up=True`` (Python API) each institution is replaced by the top of
    its OpenAlex lineage (a Max Planck institute by the Max Planck Society)
    before counting, as ``scope.level == "root"`` (``--level root``) does;
    the default keeps OpenAlex's institutions as assigned.

    Serves P-1 (mutual complementarity starts from existing ties), D-3 and
    D-10 (strategic partners). InCites' "collaborating countries" table gives
    ``n_ab`` under whole counting; VOSviewer's country maps give fractional
    ``n_ab`` and normalise by association strength (with total link
    strengths instead of output sizes).

    Example: ``partners(open_store(store), Scope(country="JP", years=(2012, 2022)))``;
    on the command line ``kakehashi indicator partners --store DIR --country JP``.
    """
    a = focus_country(scope, "partners")
    works = scope.works(t["works"])
    wc_all = counting.work_countries(works, t["affiliations"], scope)
    nc = counting.n_countries(wc_all)
    a_works_all = wc_all.filter(wc_all.country == a).select("work_id")
    if scope.level in ("institution", "root"):
        roll_up = roll_up or scope.level == "root"
        links_all, sizes, extra = _institution_links(t, scope, a, works, a_works_all, roll_up)
    else:
        links_all, sizes = _country_links(wc_all, nc, a, a_works_all, scope)
        extra = None

    wc = in_years(wc_all, scope)
    world = wc.aggregate(n_world=wc.work_id.nunique())
    a_rows = in_years(wc_all.filter(wc_all.country == a), scope).join(nc, "work_id")
    a_tot = a_rows.aggregate(n_a=a_rows.count(), p_intl=(a_rows.n_countries >= 2).cast("int64").sum())
    links = in_years(links_all, scope)
    n_ab = links.group_by("partner").aggregate(n_ab=links.w.sum())
    if scope.counting == "whole":
        n_ab = n_ab.mutate(n_ab=n_ab.n_ab.cast("int64"))

    j = n_ab.join(sizes, "partner").cross_join(a_tot).cross_join(world)
    j = j.left_join(_link_growth(links_all, wc_all, scope), "partner")
    f = j.n_ab.cast("float64")
    na, nb = j.n_a.cast("float64"), j.n_b.cast("float64")
    out = j.select(
        country=ibis.literal(a),
        partner=j.partner,
        n_ab=j.n_ab,
        share_of_intl=f / j.p_intl.cast("float64"),
        assoc_strength=f * j.n_world.cast("float64") / (na * nb),
        salton=f / (na * nb).sqrt(),
        jaccard=f / (na + nb - f),
        cagr_ab=j.cagr_ab,
        n_a=j.n_a,
        n_b=j.n_b,
    )
    if extra is not None:
        out = out.left_join(extra, "partner").select(*PARTNER_COLUMNS, "partner_name", "partner_country")
    return out.order_by([ibis.desc("n_ab"), "partner"])


def _country_links(
    wc_all: ir.Table, nc: ir.Table, a: str, a_works: ir.Table, scope: Scope
) -> tuple[ir.Table, ir.Table]:
    """``work_id, year, partner, w`` for every other country on A's works; ``partner, n_b``."""
    others = wc_all.filter(wc_all.country != a).semi_join(a_works, "work_id").join(nc, "work_id")
    w = _weight(others.n_countries - 1, scope)
    links = others.select("work_id", "year", partner=others.country, w=w)
    wc = in_years(wc_all, scope)
    sizes = wc.group_by("country").aggregate(n_b=wc.count())
    return links, sizes.select(partner=sizes.country, n_b=sizes.n_b)


def _institution_links(
    t: Tables, scope: Scope, a: str, works: ir.Table, a_works: ir.Table, roll_up: bool
) -> tuple[ir.Table, ir.Table, ir.Table]:
    """Links to foreign institutions on A's works; their sizes; their names and countries."""
    known = counting.known_affiliations(t["affiliations"], scope)
    rows = known.filter(known.institution_id.notnull()).join(works.select("work_id", "year"), "work_id")
    rows = rows.select("work_id", "year", "country", "institution_id")
    if roll_up:
        rows = rows.left_join(_roots(t["institution_lineage"]), "institution_id")
        rows = rows.select(
            "work_id", "year", "country", institution_id=ibis.coalesce(rows.root_id, rows.institution_id)
        )
    # Foreign by the affiliation's own country, so a root abroad cannot make a Japanese unit foreign.
    foreign = rows.filter(rows.country != a).semi_join(a_works, "work_id")
    foreign = foreign.select("work_id", "year", partner=foreign.institution_id).distinct()
    k = foreign.group_by("work_id").aggregate(k=foreign.count())
    fk = foreign.join(k, "work_id")
    links = fk.select("work_id", "year", "partner", w=_weight(fk.k, scope))

    scoped = in_years(rows, scope)
    per_inst = scoped.select("work_id", partner=scoped.institution_id).distinct()
    sizes = per_inst.group_by("partner").aggregate(n_b=per_inst.count())

    # The country as the affiliations give it, for institutions missing from the table.
    seen_c = rows.group_by("institution_id").aggregate(c=rows.country.max())
    seen_c = seen_c.select(partner=seen_c.institution_id, c=seen_c.c).semi_join(foreign, "partner")
    inst = t["institutions"]
    info = seen_c.left_join(
        inst.select(partner=inst.institution_id, name=inst.name, cc=inst.country_code), "partner"
    )
    cc = ibis.coalesce(scope.map_country(info.cc.upper()), info.c)
    extra = info.select("partner", partner_name=info.name, partner_country=cc)
    return links, sizes, extra


def _weight(others: ir.IntegerValue, scope: Scope) -> ir.FloatingValue:
    """A link's weight: 1, or 1/(number of A's partners on the work) when fractional."""
    if scope.counting == "fractional":
        return 1.0 / others.cast("float64")
    return ibis.literal(1.0)


def _link_growth(links_all: ir.Table, wc_all: ir.Table, scope: Scope) -> ir.Table:
    """``partner, cagr_ab``: growth of the yearly link weight between the ends of the span."""
    yearly = links_all.group_by(["partner", "year"]).aggregate(x=links_all.w.sum())
    yearly = counting.smooth(yearly, ["partner"], ["x"], scope)
    if scope.years is not None:
        bounds = ibis.memtable(
            {"y0": [scope.years[0]], "y1": [scope.years[1]]}, schema={"y0": "int32", "y1": "int32"}
        )
    else:
        bounds = wc_all.aggregate(y0=wc_all.year.min().cast("int32"), y1=wc_all.year.max().cast("int32"))
    yb = yearly.cross_join(bounds)
    x0 = yb.filter(yb.year == yb.y0).select("partner", x0=yb.x.cast("float64"))
    x1 = yb.filter(yb.year == yb.y1).select("partner", x1=yb.x.cast("float64"))
    j = yearly.select("partner").distinct().cross_join(bounds)
    j = j.left_join(x0, "partner").left_join(x1, "partner")
    span = (j.y1 - j.y0).cast("float64")
    cagr = ibis.ifelse((j.x0 > 0) & (span > 0), (j.x1 / j.x0) ** (1.0 / span) - 1.0, ibis.null("float64"))
    return j.select("partner", cagr_ab=cagr)
