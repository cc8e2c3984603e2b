"""Counting works by country: the building blocks of every country indicator.

DESIGN.md "Indicator contract": the authors of a work are its authorships
(each place in the list counts, even the same author id twice); an
author's affiliations are the rows of ``affiliations`` for that place, a
row without a country being unknown and dropped before any splitting.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from kakehashi.indicators.scope import Scope

__all__ = ["author_weights", "work_countries", "work_weights"]


def known_affiliations(affiliations: ir.Table, scope: Scope) -> ir.Table:
    """Affiliation rows with a country (upper-cased at ingest), under the country scheme."""
    a = affiliations.filter(affiliations.country_code.notnull())
    return a.mutate(country=scope.map_country(a.country_code))


def work_countries(works: ir.Table, affiliations: ir.Table, scope: Scope) -> ir.Table:
    """One row per (work in scope, country among its affiliations): ``work_id, year, country``.

    The whole count: a work counts once for each of its countries.
    """
    a = known_affiliations(affiliations, scope)
    wc = a.select("work_id", "country").distinct()
    return wc.join(works.select("work_id", "year"), "work_id").select("work_id", "year", "country")


def work_weights(works: ir.Table, affiliations: ir.Table, scope: Scope) -> ir.Table:
    """Author-level fractional weights per (work, country): ``work_id, year, country, w``.

    Each work weighs 1, split equally over its authors that have at least one
    known affiliation; each author's share split equally over that author's
    known affiliations (the Leiden Ranking's author-level fractional count).
    So the weights of a work with any known country add up to exactly 1.
    """
    a = known_affiliations(affiliations, scope)
    # A work's weights depend on its own rows only, so the final join with
    # ``works`` picks the works in scope; the semi-join first only pays when
    # the scope narrows the works (a quarter of collaboration's time on all
    # works, docs/performance.md). The authors per work are a window count
    # over the per-author rows: one aggregation and one join fewer.
    if scope.types is not None or scope.field is not None or scope.years is not None:
        a = a.semi_join(works.select("work_id"), "work_id")
    per_author = a.group_by(["work_id", "author_seq"]).aggregate(n_aff=a.count())
    per_author = per_author.mutate(n_auth=per_author.count().over(group_by="work_id"))
    rows = a.join(per_author, ["work_id", "author_seq"])
    rows = rows.mutate(w=1.0 / (rows.n_auth.cast("float64") * rows.n_aff.cast("float64")))
    wc = rows.group_by(["work_id", "country"]).aggregate(w=rows.w.sum())
    return wc.join(works.select("work_id", "year"), "work_id").select("work_id", "year", "country", "w")


def author_weights(works: ir.Table, affiliations: ir.Table, scope: Scope) -> ir.Table:
    """Alias kept for readers looking for the per-author split; see :func:`work_weights`."""
    return work_weights(works, affiliations, scope)


def n_countries(work_countries_: ir.Table) -> ir.Table:
    """``work_id, n_countries``: how many distinct countries a work has."""
    return work_countries_.group_by("work_id").aggregate(n_countries=work_countries_.count())


def smooth(t: ir.Table, keys: list[str], values: list[str], scope: Scope) -> ir.Table:
    """Trailing moving averages over ``scope.smooth`` years (NISTEP: 3).

    The value at year y is the mean of years y−k+1 … y, a missing year
    counting 0; only years whose whole window lies in the data are kept.
    Built with a self-join rather than a window over rows, so that years
    with no works still count as zeros.
    """
    k = scope.smooth
    if k <= 1:
        return t
    offsets = ibis.memtable({"_off": list(range(k))}, schema={"_off": "int32"})
    spread = t.cross_join(offsets)
    spread = spread.mutate(year=(spread.year + spread._off).cast("int32"))
    agg = spread.group_by([*keys, "year"]).aggregate(
        **{v: spread[v].sum().cast("float64") / k for v in values}
    )
    lo_hi = scope.data_years()
    if lo_hi is not None:
        agg = agg.filter(agg.year.between(lo_hi[0] + k - 1, lo_hi[1]))
    else:
        bounds = t.aggregate(lo=t.year.min(), hi=t.year.max())
        agg = agg.cross_join(bounds)
        agg = agg.filter((agg.year >= agg.lo + k - 1) & (agg.year <= agg.hi)).drop("lo", "hi")
    return agg
