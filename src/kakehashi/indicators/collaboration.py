"""International co-authorship: coverage, collaboration and growth (S-4).

These are the figures behind the strategy's opening observation, S-4:
"Japan's number of internationally co-authored papers grows more slowly than
that of other major countries". Definitions are DESIGN.md's; the docs are
``docs/indicators.md``.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from kakehashi.errors import ConfigError
from kakehashi.indicators import counting
from kakehashi.indicators.scope import Scope

__all__ = ["collaboration", "coverage", "growth"]

Tables = Mapping[str, ir.Table]


def coverage(t: Tables, scope: Scope) -> ir.Table:
    """How many works per year the country indicators can count (DESIGN.md coverage).

    ``works``: works in scope; ``works_with_country``: those with at least
    one affiliation carrying a country (the base of every country figure);
    ``p_unknown = works − works_with_country``; ``works_with_field``: those
    with an OpenAlex field (the base of every impact figure). Serves D-1: a
    figure is only defensible with its coverage beside it.
    """
    w = scope.works(t["works"])
    with_country = (
        t["affiliations"].filter(t["affiliations"].country_code.notnull()).select("work_id").distinct()
    )
    flagged = w.left_join(with_country.mutate(_c=ibis.literal(1)), "work_id")
    by = scope.by_columns()
    out = flagged.group_by(["year", *by]).aggregate(
        works=flagged.count(),
        works_with_country=flagged._c.count(),
        works_with_field=flagged.field_id.count(),
    )
    out = out.mutate(p_unknown=out.works - out.works_with_country)
    cols = ["year", *by, "works", "works_with_country", "p_unknown", "works_with_field"]
    return _years(out.select(*cols), scope)


def collaboration(t: Tables, scope: Scope) -> ir.Table:
    """Per country and year: whole and fractional counts, international and industry co-authorship.

    - ``p_whole``: works with the country among their affiliations (1 each);
    - ``p_frac``: the sum of the country's author-level fractional weights
      (:func:`kakehashi.indicators.counting.work_weights`);
    - ``p_intl``: works with the country and at least one other country;
      ``pp_intl = p_intl / p_whole`` (国際共著率);
    - ``foreign_contribution = p_whole − p_frac`` (海外の貢献分);
    - ``p_industry``: works with the country and an institution of type
      company (産学共著), anywhere in the work.

    With ``scope.by == "field"`` the rows are per country × field × year
    (works without a field left out), as NISTEP's field tables are.

    Serves S-4 and D-1. Counting as the Leiden Ranking's (author-level
    fractional) and NISTEP's whole count ("involvement").
    """
    works = scope.works(t["works"])
    by = scope.by_columns()
    if by:
        works = works.filter(works.field_id.notnull())
    aff = t["affiliations"]
    # One pass: the fractional weights have one row per (work, country), the
    # rows of the whole count too, so every column comes from them, and the
    # countries per work are a window count (docs/performance.md, issue 3).
    ww = counting.work_weights(works, aff, scope)
    ww = ww.mutate(n_countries=ww.count().over(group_by="work_id"))
    if by:
        ww = ww.join(works.select("work_id", *by), "work_id")
    companies = t["institutions"].filter(t["institutions"].type == "company").select("institution_id")
    industry = aff.semi_join(companies, "institution_id").select("work_id").distinct()
    flagged = ww.left_join(industry.mutate(_ind=ibis.literal(1)), "work_id").select(
        "work_id", "year", "country", *by, "w", "n_countries", "_ind"
    )
    keys = ["country", *by, "year"]
    out = flagged.group_by(keys).aggregate(
        p_whole=flagged.count(),
        p_frac=flagged.w.sum(),
        p_intl=(flagged.n_countries >= 2).cast("int64").sum(),
        p_industry=flagged._ind.count(),
    )
    out = out.select(*keys, "p_whole", "p_frac", "p_intl", "p_industry")
    out = counting.smooth(out, ["country", *by], ["p_whole", "p_frac", "p_intl", "p_industry"], scope)
    out = out.mutate(
        pp_intl=out.p_intl.cast("float64") / out.p_whole,
        foreign_contribution=out.p_whole.cast("float64") - out.p_frac,
    )
    out = out.select(*keys, "p_whole", "p_frac", "p_intl", "pp_intl", "foreign_contribution", "p_industry")
    if scope.country is not None:
        out = out.filter(out.country == scope.country)
    return _years(out, scope)


def growth(t: Tables, scope: Scope) -> ir.Table:
    """Compound annual growth between the ends of ``scope.years`` (年平均成長率).

    ``cagr_x = (x_to / x_from) ** (1 / (to − from)) − 1`` for the whole,
    fractional and international counts of :func:`collaboration` (smoothed
    first when ``scope.smooth`` > 1). Without ``years`` the span is the first
    to the last year with data. A country with no works at either end gets
    null. Serves S-4: the speed of growth is the strategy's concern.
    """
    if scope.years is not None and scope.years[0] == scope.years[1]:
        raise ConfigError(
            "growth needs --years FROM-TO with FROM < TO, e.g. --years 2012-2022.", parameter="years"
        )
    c = collaboration(t, scope)
    if scope.years is not None:
        bounds = ibis.memtable(
            {"y0": [scope.years[0]], "y1": [scope.years[1]]}, schema={"y0": "int32", "y1": "int32"}
        )
    else:
        bounds = c.aggregate(y0=c.year.min().cast("int32"), y1=c.year.max().cast("int32"))
    cb = c.cross_join(bounds)
    k = ["country", *scope.by_columns()]
    a = cb.filter(cb.year == cb.y0).select(
        *k, w0=cb.p_whole.cast("float64"), f0=cb.p_frac, i0=cb.p_intl.cast("float64")
    )
    b = cb.filter(cb.year == cb.y1).select(
        *k, w1=cb.p_whole.cast("float64"), f1=cb.p_frac, i1=cb.p_intl.cast("float64")
    )
    # Every country seen at either end; one missing at an end gets null rates.
    keys = ibis.union(a.select(*k), b.select(*k), distinct=True).cross_join(bounds)
    j = keys.left_join(a, k).left_join(b, k)
    j = j.select(*k, "y0", "y1", "w0", "f0", "i0", "w1", "f1", "i1")
    span = (j.y1 - j.y0).cast("float64")

    def cagr(x0: ir.FloatingValue, x1: ir.FloatingValue) -> ir.FloatingValue:
        return ibis.ifelse((x0 > 0) & (span > 0), (x1 / x0) ** (1.0 / span) - 1.0, ibis.null("float64"))

    out = j.select(
        *k,
        year_from=j.y0,
        year_to=j.y1,
        cagr_whole=cagr(j.w0, j.w1),
        cagr_frac=cagr(j.f0, j.f1),
        cagr_intl=cagr(j.i0, j.i1),
    )
    return out.order_by(k)


def _years(t: ir.Table, scope: Scope) -> ir.Table:
    out = t if scope.years is None else t.filter(t.year.between(*scope.years))
    return out.order_by([c for c in ("country", "field_id", "year") if c in out.columns])
