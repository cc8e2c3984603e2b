"""Researcher mobility, brain circulation (国際頭脳循環): flows, origin–destination, classes.

DESIGN.md "Mobility" and the indicator table's mobility rows. The per-author
pipeline (main country per year, moves, visits paired greedily, stage and
field) is :mod:`kakehashi.indicators.careers`; here it is counted.

Serves M-1 (outbound: fellowship-type stays and transfer-type moves), M-2
(inbound: the international research environment), D-1 (numerical targets on
the actual state) and D-5 (support by career stage). Sources: the OECD's
researcher-mobility indicators from bibliometric affiliations and the Max
Planck demographers' (MPIDR) modal country per year; Robinson-Garcia et al.
(2019), *The many faces of mobility*, Scientometrics 120, 1–24 (classes).
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from kakehashi.indicators.careers import affiliation_counts, author_fields, author_years, moves_of
from kakehashi.indicators.scope import Scope

__all__ = [
    "CLASSES",
    "FLOW_COLUMNS",
    "author_classes",
    "mobility_classes",
    "mobility_flows",
    "mobility_od",
]

Tables = Mapping[str, ir.Table]

_COUNTS = ("transfers_in", "transfers_out", "returns", "visits_out", "visits_in")
#: mobility-flows' value columns: the contract's, then rates per active author
FLOW_COLUMNS = (
    *_COUNTS,
    "net_flow",
    "stayers",
    "active_authors",
    *(f"{c}_rate" for c in (*_COUNTS, "net_flow")),
)
#: Robinson-Garcia et al. (2019)'s classes, relative to the origin country
CLASSES = ("non_mobile", "traveller", "migrant", "returnee")


def _careers(t: Tables, scope: Scope) -> tuple[ir.Table, ir.Table]:
    """Author-years (with ``field_id`` when ``scope.field`` asks) and all moves, each computed once.

    Both are read several times below; cached, so Spark does not recompute
    the windows for every read (DuckDB keeps them as temporary tables).
    """
    ay = author_years(t, scope)
    if scope.field is not None:
        ay = ay.left_join(author_fields(t, scope, ay), ["author_id", "year"])
        ay = ay.drop(*(c for c in ay.columns if c.endswith("_right")))
    ay = _reuse(t, ay)
    mv = moves_of(ay, scope.visit_max_years, return_legs=True)
    if scope.field is not None:
        mv = mv.join(ay.select("author_id", "year", "field_id"), ["author_id", "year"])
    return ay, _reuse(t, mv)


def _reuse(t: Tables, expr: ir.Table) -> ir.Table:
    """``expr`` computed once where the tables' engine offers it (:meth:`kakehashi.engines.Tables.reuse`)."""
    reuse = getattr(t, "reuse", None)
    return expr if reuse is None else reuse(expr)


def _who(t: ir.Table, scope: Scope) -> ir.Table:
    """Rows of author-years or moves in the scope's career stage and field."""
    if scope.stage is not None:
        t = t.filter(t.stage == scope.stage)
    if scope.field is not None:
        t = t.filter(t.field_id == scope.field)
    return t


def _in_years(t: ir.Table, scope: Scope) -> ir.Table:
    return t if scope.years is None else t.filter(t.year.between(*scope.years))


def mobility_flows(t: Tables, scope: Scope) -> ir.Table:
    """Per country and year: transfers and visits in and out, returns, stayers, active authors.

    From :func:`kakehashi.indicators.careers.moves_of` (DESIGN.md rules 1–6):

    - ``transfers_in``, ``transfers_out``: transfers (移籍) arriving in /
      leaving the country, counted in the year they arrive;
    - ``returns``: the transfers in whose destination is the author's origin
      (還流); a visit's return leg is never one and counts nowhere;
    - ``visits_out``, ``visits_in``: visits (fellowship-type stays of at most
      ``scope.visit_max_years``) leaving / hosted by the country, counted in
      the year of the outgoing leg;
    - ``net_flow = transfers_in − transfers_out`` (純流入);
    - ``stayers``: authors whose main country it was this and their previous
      active year (定着者); ``active_authors``: authors whose main country it
      was this year, the denominator of every rate;
    - ``<count>_rate = <count> / active_authors`` for the five counts and
      ``net_flow`` (null where ``active_authors`` is 0).

    ``scope.stage`` (early/mid/senior) and ``scope.field`` keep the moves and
    author-years of authors in that career stage / with that field that year;
    ``scope.years`` the counting years; ``scope.country`` one country. A row
    for every country-year where any count is non-zero. Sources: OECD, MPIDR
    (modal country per year). Serves M-1, M-2, D-1, D-5.
    """
    ay, mv = _careers(t, scope)
    ay, mv = _who(ay, scope), _who(mv, scope)
    mv = mv.filter(mv.kind != "return_leg")
    zero = ibis.literal(0, "int64")

    def flag(cond: ir.BooleanValue) -> ir.IntegerValue:
        return cond.cast("int64")

    cols = ("transfers_in", "transfers_out", "returns", "visits_out", "visits_in", "stayers", "active")
    here = ay.select(
        country=ay.main_country,
        year=ay.year,
        **dict.fromkeys(cols[:5], zero),
        stayers=flag(ay.prev_main == ay.main_country).fill_null(0),
        active=ibis.literal(1, "int64"),
    )
    tr, vi = mv.kind == "transfer", mv.kind == "visit"
    arrive = mv.select(
        country=mv["to"],
        year=mv.year,
        transfers_in=flag(tr),
        transfers_out=zero,
        returns=flag(mv.is_return),
        visits_out=zero,
        visits_in=flag(vi),
        stayers=zero,
        active=zero,
    )
    leave = mv.select(
        country=mv["from"],
        year=mv.year,
        transfers_in=zero,
        transfers_out=flag(tr),
        returns=zero,
        visits_out=flag(vi),
        visits_in=zero,
        stayers=zero,
        active=zero,
    )
    u = _in_years(ibis.union(here, arrive, leave), scope)
    if scope.country is not None:
        u = u.filter(u.country == scope.country)
    g = u.group_by(["country", "year"]).aggregate(**{c: u[c].sum() for c in cols})
    g = g.rename(active_authors="active")
    g = g.mutate(net_flow=g.transfers_in - g.transfers_out)
    den = ibis.ifelse(g.active_authors > 0, g.active_authors.cast("float64"), ibis.null("float64"))
    g = g.mutate(**{f"{c}_rate": g[c].cast("float64") / den for c in (*_COUNTS, "net_flow")})
    return g.select("country", "year", *FLOW_COLUMNS).order_by(["country", "year"])


def mobility_od(t: Tables, scope: Scope) -> ir.Table:
    """Origin–destination of moves over a period: ``from × to × kind × stage → n``.

    Every visit and transfer (DESIGN.md rules 4–6) whose counting year lies in
    ``scope.years`` (all years without it), by the country it leaves, the
    country it arrives in, its kind (``visit`` or ``transfer``) and the
    author's career stage at the move (early 0–5, mid 6–15, senior 16+ years
    since the first active year). Return legs of visits count nowhere.
    ``scope.country`` keeps moves leaving or entering it; ``scope.stage``,
    ``scope.field`` filter as in :func:`mobility_flows`. Serves M-1 (where
    Japanese researchers go, and for how long), M-2, D-5.
    """
    _ay, mv = _careers(t, scope)
    mv = _in_years(_who(mv, scope), scope)
    mv = mv.filter(mv.kind != "return_leg")
    if scope.country is not None:
        mv = mv.filter((mv["from"] == scope.country) | (mv["to"] == scope.country))
    out = mv.group_by(["from", "to", "kind", "stage"]).aggregate(n=mv.count())
    return out.order_by(["from", "to", "kind", "stage"])


def mobility_classes(t: Tables, scope: Scope) -> ir.Table:
    """Authors per origin country and mobility class over a period (Robinson-Garcia et al. 2019).

    The authors active in ``scope.years`` (every year without it), each
    classed relative to their origin (the main country of their first active
    year, whenever that was). An author's *base* in a year is their main
    country, except during a visit, when it is the country the visit left
    from. Then, first that applies:

    - ``migrant``: base abroad (≠ origin) in the last active year of the
      period — away by transfer at the period's end;
    - ``returnee``: base abroad in some active year of the period, back at
      the origin by its end — away by transfer, back by the end;
    - ``traveller``: an affiliation in another country than the origin in the
      period (a side affiliation, or a visit), base always the origin;
    - ``non_mobile``: no foreign affiliation in the period.

    ``scope.stage`` and ``scope.field`` keep authors by their stage / field
    in their last active year of the period; ``scope.country`` one origin.
    Serves M-1, M-2, D-1. One row per author: :func:`author_classes`.
    """
    k = author_classes(t, scope)
    out = k.group_by(["country", "class"]).aggregate(n=k.count())
    return out.order_by(["country", "class"])


def author_classes(t: Tables, scope: Scope) -> ir.Table:
    """``author_id, country, class``: each author :func:`mobility_classes` counts, with their class.

    ``country`` is the author's origin; the same filters as
    :func:`mobility_classes` (which counts these rows per country and class).
    """
    ay, mv = _careers(t, scope)
    visits = mv.filter(mv.kind == "visit").select(_a="author_id", _vy="year", _vb="return_year", _vf="from")
    p = _in_years(ay, scope)
    j = p.left_join(visits, [p.author_id == visits._a, p.year >= visits._vy, p.year < visits._vb])
    p = j.select(
        "author_id",
        "year",
        "origin",
        "stage",
        *(["field_id"] if scope.field is not None else []),
        _away=(ibis.coalesce(j._vf, j.main_country) != j.origin).cast("int8"),
    )
    per = p.group_by("author_id").aggregate(_last=p.year.max(), _ever=p._away.max())
    end = p.join(per, [p.author_id == per.author_id, p.year == per._last])
    end = _who(end, scope).select("author_id", "origin", "_away", "_ever")
    cnt = affiliation_counts(t, scope)
    cnt = _in_years(cnt, scope)
    origins = ay.select(_o="author_id", _origin="origin").distinct()
    foreign = cnt.join(origins, cnt.author_id == origins._o)
    foreign = foreign.filter(foreign.country != foreign._origin).select(_f="author_id").distinct()
    k = end.left_join(foreign, end.author_id == foreign._f)
    cls = ibis.cases(
        (k._away == 1, "migrant"),
        (k._ever == 1, "returnee"),
        (k._f.notnull(), "traveller"),
        else_="non_mobile",
    )
    k = k.select("author_id", country=k.origin, **{"class": cls})
    if scope.country is not None:
        k = k.filter(k.country == scope.country)
    return k
