"""Citation impact: MNCS and top 10 % / 1 % papers with the Leiden tie rule (P-1).

Strategy item P-1 asks for "high-quality results" from international
cooperation; these are the figures NISTEP and the CWTS Leiden Ranking use for
quality, computed the Leiden way (Waltman et al. 2012) on OpenAlex.

Everything up to the per-work values and the point estimates is an Ibis
expression; only the bootstrap of the stability intervals runs at the edge
(:mod:`kakehashi.indicators.stability`), see :func:`impact`.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from kakehashi.indicators import counting, stability
from kakehashi.indicators.scope import Scope

__all__ = ["IMPACT_COLUMNS", "REFERENCE_SET", "impact", "normalised", "per_work"]

Tables = Mapping[str, ir.Table]

#: A reference set: works of the same field (of the primary topic), year and type.
REFERENCE_SET = ("field_id", "year", "type")

#: top q as 1/d: the top 10 % is 1/10 of a reference set, the top 1 % 1/100.
_TOP = {"top10": 10, "top1": 100}

IMPACT_COLUMNS = (
    "country",
    "year",
    "scope",
    "p",
    "mncs",
    "mncs_lo",
    "mncs_hi",
    "p_top10",
    "pp_top10",
    "pp_top10_lo",
    "pp_top10_hi",
    "p_top1",
    "pp_top1",
    "pp_top1_lo",
    "pp_top1_hi",
    "rank_top10",
)


def _top_weight(d: int, n: ir.IntegerValue, above: ir.IntegerValue, eq: ir.IntegerValue) -> ir.FloatingValue:
    """A work's share of the top 1/d of its reference set (the Leiden tie rule).

    With ``above`` = #(c > own c) and ``eq`` = #(c = own c) in a set of ``n``:
    the threshold t satisfies #(c > t) ≤ n/d < #(c ≥ t). A work cited more
    than t has ``above + eq ≤ n/d`` and weighs 1; a work cited exactly t has
    ``above ≤ n/d < above + eq`` and weighs ``(n/d − above) / eq``; the rest
    weigh 0. Compared in integers (``d·above ≤ n``) so that 0.1·30 ≠ 3 in
    floating point cannot move a work across the threshold.
    """
    return ibis.cases(
        (d * (above + eq) <= n, ibis.literal(1.0)),
        (d * above <= n, (n - d * above).cast("float64") / (d * eq).cast("float64")),
        else_=ibis.literal(0.0),
    )


def normalised(t: Tables, scope: Scope) -> ir.Table:
    """Per work in a reference set: ``work_id, year, ncs, top10, top1``.

    The reference sets are the works in scope (types, years, period) that have
    a field and at least one affiliation with a known country — the works the
    country figures count — grouped by :data:`REFERENCE_SET`. Leaving the
    country-less works out keeps the world consistent: under fractional
    counting the world's MNCS is exactly 1 and its top 10 % share exactly
    10 %. ``ncs = c / mean(c)`` over the set (1 where that mean is 0); ``top10``
    and ``top1`` are the work's weights of :func:`_top_weight`, so every set
    holds exactly n/10 and n/100 top works. Missing citation counts count 0.

    Computed on the distinct citation counts of each set (tens of values
    where a set has thousands of works) and joined back, so the windows run
    over a small table: ``above`` = #(c > own c) is a running sum of the
    counts per value in descending order, ``eq`` = #(c = own c) the value's
    own count. Window functions with a plain running sum only, so it runs on
    Spark, which has no DISTINCT window aggregates. Null years and types form
    sets of their own (the join keys get stand-ins so that null matches null).
    """
    works = scope.works(t["works"])
    works = works.filter(works.field_id.notnull())
    known = counting.known_affiliations(t["affiliations"], scope).select("work_id").distinct()
    w = works.semi_join(known, "work_id")
    w = w.select(
        "work_id",
        "year",
        "field_id",
        _y=ibis.coalesce(w.year, -1),
        _t=ibis.coalesce(w["type"], ""),
        c=ibis.coalesce(w.cited_by_count, 0),
    )
    key = ["field_id", "_y", "_t"]
    dist = w.group_by([*key, "c"]).aggregate(_eq=w.count())
    running = ibis.window(group_by=key, order_by=ibis.desc(dist.c), preceding=None, following=0)
    dist = dist.mutate(
        _n=dist._eq.sum().over(group_by=key),
        _sum=(dist.c * dist._eq).sum().over(group_by=key),
        _upto=dist._eq.sum().over(running),
    )
    n, eq = dist._n.cast("int64"), dist._eq.cast("int64")
    above = dist._upto.cast("int64") - eq
    mean = dist._sum.cast("float64") / dist._n.cast("float64")
    vals = dist.select(
        *key,
        "c",
        ncs=ibis.ifelse(mean > 0, dist.c.cast("float64") / mean, ibis.literal(1.0)),
        **{name: _top_weight(d, n, above, eq) for name, d in _TOP.items()},
    )
    # Joined through a view of ``w``: Ibis cannot join a table with an expression
    # derived from itself by column names (IntegrityError) and, given explicit
    # predicates, may resolve both sides to the same column.
    wv = w.view()
    j = wv.join(vals, [*key, "c"])
    return j.select("work_id", "year", "ncs", *_TOP)


def per_work(t: Tables, scope: Scope) -> ir.Table:
    """The per-work values behind every impact figure, one row per (country, work, scope).

    Columns ``country, year, scope, work_id, weight, ncs, top10, top1``:
    ``weight`` is 1 under whole counting and the country's author-level
    fractional weight (:func:`kakehashi.indicators.counting.work_weights`)
    under fractional counting; every work appears under ``scope = "all"`` and
    again under ``"intl"`` (≥ 2 distinct countries) or ``"domestic"``. Summed
    per cell these give ``p``, ``p_top10`` and ``p_top1``; weighted means give
    ``mncs`` and ``pp_top10``. ``kakehashi works`` lists the works behind a
    figure from this table.
    """
    rows = _country_rows(t, scope)
    every = rows.mutate(scope=ibis.literal("all"))
    split = rows.mutate(scope=ibis.ifelse(rows.intl, "intl", "domestic"))
    cols = ["country", "year", "scope", "work_id", "weight", "ncs", "top10", "top1"]
    return ibis.union(every.select(cols), split.select(cols), distinct=False)


def _country_rows(t: Tables, scope: Scope) -> ir.Table:
    """One row per (country, work in a reference set): weight, ncs, top10, top1, intl.

    The reference-set values already carry the scope (types, years, period),
    so the (work, country) pairs join them directly; the number of countries
    of a work is a window count over its pairs.
    """
    aff = t["affiliations"]
    vals = normalised(t, scope)
    wc = counting.known_affiliations(aff, scope).select("work_id", "country").distinct()
    wc = wc.mutate(n_countries=wc.work_id.count().over(group_by="work_id"))
    if scope.counting == "fractional":
        ww = counting.work_weights(scope.works(t["works"]), aff, scope)
        cw = ww.select("work_id", "country", weight=ww.w).join(wc, ["work_id", "country"])
    else:
        cw = wc.mutate(weight=ibis.literal(1.0))
    rows = cw.join(vals, "work_id")
    return rows.select(
        "country",
        "year",
        "work_id",
        "weight",
        "ncs",
        "top10",
        "top1",
        intl=rows.n_countries >= 2,
    )


def impact(t: Tables, scope: Scope) -> ir.Table:
    """MNCS, top 10 % and top 1 % papers per country × year × scope, with stability intervals.

    Definitions (DESIGN.md "Impact"; Waltman et al. 2012, "The Leiden Ranking
    2011/2012: data collection, indicators, and interpretation", JASIST
    63(12)):

    - ``p``: the country's works in reference sets (each 1, or its fractional
      weight with ``scope.counting == "fractional"``);
    - ``mncs = Σ w·ncs / Σ w`` (規格化被引用度), ``ncs`` from :func:`normalised`;
    - ``p_top10 = Σ w·top10`` (Top10%補正論文数, NISTEP's adjusted count:
      tied works at the threshold share the rest so that every reference set
      holds exactly 10 %), ``pp_top10 = p_top10 / p``; the same for ``top1``;
    - ``scope``: ``all`` works, ``intl`` (≥ 2 countries) and ``domestic``;
    - ``rank_top10``: the country's world rank in ``p_top10`` per year and
      scope, 1 = most; tied countries share the best rank (min rank: 1, 2, 2,
      4), compared at 1e-9 so that summation order cannot break a tie. With
      ``--preset nistep --counting fractional`` (articles and reviews,
      ``--smooth 3``) it is the figure in which NISTEP ranks Japan 13th in
      2019–21.

    Smoothing (``scope.smooth = k > 1``): the sums ``p``, ``Σ w·ncs``,
    ``p_top10``, ``p_top1`` are k-year trailing means
    (:func:`kakehashi.indicators.counting.smooth`); ``mncs`` and the shares
    are ratios of those means — the works of the k years pooled, as NISTEP's
    3-year figures pool them; the rank uses the smoothed ``p_top10``.

    Stability intervals (安定性区間, the Leiden Ranking's): ``*_lo``, ``*_hi``
    are the percentile bounds (``scope.confidence``, default 95 %) of the
    statistic over ``scope.resamples`` (default 1,000) bootstrap resamples of
    the cell's works, seeded by ``scope.seed``; ``resamples = 0`` gives null
    bounds. **Edge step:** this is the one part not run as an Ibis
    expression. The per-work table (:func:`per_work`, spread over the window
    years when smoothing; only the years and country asked for) is executed
    and pulled to Arrow, resampled with numpy
    (:func:`kakehashi.indicators.stability.bootstrap_intervals`), and the
    bounds come back as an ``ibis.memtable`` left-joined to the point
    estimates; so calling :func:`impact` with resamples executes one query,
    and the result is still an Ibis table.

    Serves P-1 (high-quality results); the scope split shows whether
    international co-authorship goes with higher impact (S-4).
    """
    # Sums per international/domestic cell, and "all" as their total: one pass over
    # the (country, work) rows instead of two.
    rows = _country_rows(t, scope)
    rows = rows.mutate(scope=ibis.ifelse(rows.intl, "intl", "domestic"))
    split = rows.group_by(["country", "year", "scope"]).aggregate(
        p=rows.weight.sum(),
        s_ncs=(rows.weight * rows.ncs).sum(),
        p_top10=(rows.weight * rows.top10).sum(),
        p_top1=(rows.weight * rows.top1).sum(),
    )
    sums = ["p", "s_ncs", "p_top10", "p_top1"]
    every = split.group_by(["country", "year"]).aggregate(**{c: split[c].sum() for c in sums})
    every = every.select("country", "year", scope=ibis.literal("all"), **{c: every[c] for c in sums})
    cells = ibis.union(split, every, distinct=False)
    cells = counting.smooth(cells, ["country", "scope"], ["p", "s_ncs", "p_top10", "p_top1"], scope)
    if scope.years is not None:
        cells = cells.filter(cells.year.between(*scope.years))
    p = cells.p.cast("float64")
    cells = cells.mutate(
        p=p,
        mncs=cells.s_ncs / p,
        pp_top10=cells.p_top10 / p,
        pp_top1=cells.p_top1 / p,
        rank_top10=(
            ibis.rank().over(group_by=["year", "scope"], order_by=ibis.desc(cells.p_top10.round(9))) + 1
        ).cast("int64"),
    )
    if scope.country is not None:
        cells = cells.filter(cells.country == scope.country)
    bounds = _bounds(per_work(t, scope), scope)
    out = cells.left_join(bounds, ["country", "year", "scope"]).select(*IMPACT_COLUMNS)
    return out.order_by(["country", "year", "scope"])


_STATS = {"ncs": "mncs", "top10": "pp_top10", "top1": "pp_top1"}


def _bounds(pw: ir.Table, scope: Scope) -> ir.Table:
    """``country, year, scope`` and the ``_lo``/``_hi`` bound of each statistic."""
    names = [f"{s}_{end}" for s in _STATS.values() for end in ("lo", "hi")]
    schema = ibis.schema(
        {"country": "string", "year": "int32", "scope": "string", **dict.fromkeys(names, "float64")}
    )
    if scope.resamples == 0:
        return ibis.memtable({c: [] for c in schema.names}, schema=schema)
    sample = _spread(pw, scope.smooth)
    if scope.years is not None:
        sample = sample.filter(sample.year.between(*scope.years))
    if scope.country is not None:
        sample = sample.filter(sample.country == scope.country)
    sample = sample.select(
        "country", "year", "scope", "work_id", "weight", **{v: sample[k] for k, v in _STATS.items()}
    )
    got = stability.bootstrap_intervals(
        sample.to_pyarrow(),
        keys=("country", "year", "scope"),
        order=("work_id",),
        weight="weight",
        values=tuple(_STATS.values()),
        resamples=scope.resamples,
        confidence=scope.confidence,
        seed=scope.seed,
    )
    return ibis.memtable(got.select(schema.names).cast(schema.to_pyarrow()), schema=schema)


def _spread(pw: ir.Table, k: int) -> ir.Table:
    """Each work also in the k − 1 following years: the cells of k-year smoothing."""
    if k <= 1:
        return pw
    offsets = ibis.memtable({"_off": list(range(k))}, schema={"_off": "int32"})
    s = pw.cross_join(offsets)
    return s.mutate(year=(s.year + s._off).cast("int32")).drop("_off")
