"""Specialisation and complementarity: where a country is strong, and who is strong where it is not.

P-1 names "mutual complementarity of research strength" (研究力の相互補完)
among the aims of international cooperation; D-3 and D-10 ask for strategic
fields and partners. The activity index says in which fields a country
publishes more than the world does; complementarity puts the focus country's
weak fields beside a partner's strong and highly cited ones. Definitions are
DESIGN.md's ("Specialisation"); the docs are ``docs/indicators.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from kakehashi.indicators import counting
from kakehashi.indicators.impact import normalised
from kakehashi.indicators.partners import focus_country, in_years
from kakehashi.indicators.scope import Scope

__all__ = [
    "COMPLEMENTARITY_COLUMNS",
    "MIN_PARTNER_WORKS",
    "SMALL_CELL",
    "complementarity",
    "field_profile",
    "specialisation",
]

Tables = Mapping[str, ir.Table]

#: A partner enters complementarity with at least this many works (whole count) in scope.
MIN_PARTNER_WORKS = 100
#: A partner × field cell with fewer works (whole count) than this is flagged ``few_works``.
SMALL_CELL = 30
#: The world's share of top-10 % papers: pp_top10 / this = 1 at world level.
_WORLD_TOP10 = 0.10

COMPLEMENTARITY_COLUMNS = (
    "partner",
    "field_id",
    "ai_country",
    "ai_partner",
    "pp_top10_partner",
    "score",
    "n_partner",
    "few_works",
)


def _weights(t: Tables, scope: Scope) -> ir.Table:
    """``work_id, country, field_id, weight, one``: each work with a field, per country.

    ``weight`` is 1 (whole) or the author-level fractional weight; ``one`` is
    always 1, for the whole counts the thresholds use. All fields, whatever
    ``scope.field``, and only ``scope.years`` (no smoothing look-back).
    """
    base = dataclasses.replace(scope, field=None)
    works = in_years(base.works(t["works"]), scope)
    works = works.filter(works.field_id.notnull())
    fields = works.select("work_id", "field_id")
    if scope.counting == "fractional":
        ww = counting.work_weights(works, t["affiliations"], base)
        rows = ww.select("work_id", "country", weight=ww.w)
    else:
        wc = counting.work_countries(works, t["affiliations"], base)
        rows = wc.select("work_id", "country", weight=ibis.literal(1.0))
    rows = rows.join(fields, "work_id")
    return rows.select("work_id", "country", "field_id", "weight", one=ibis.literal(1, "int64"))


def field_profile(t: Tables, scope: Scope) -> ir.Table:
    """Every country × field: ``country, field_id, p, ai, n`` (``n`` the whole count).

    The unfiltered table behind :func:`specialisation` and
    :func:`complementarity` (no ``scope.country`` or ``scope.field`` filter).
    """
    w = _weights(t, scope)
    cf = w.group_by(["country", "field_id"]).aggregate(p=w.weight.sum(), n=w.one.sum())
    pc = cf.group_by("country").aggregate(p_c=cf.p.sum())
    # The world counts each work once, whatever the counting of the countries.
    distinct = w.select("work_id", "field_id").distinct()
    pwf = distinct.group_by("field_id").aggregate(p_wf=distinct.count())
    pw = pwf.aggregate(p_w=pwf.p_wf.sum())
    j = cf.join(pc, "country").join(pwf, "field_id").cross_join(pw)
    share_c = j.p / j.p_c
    share_w = j.p_wf.cast("float64") / j.p_w.cast("float64")
    p = j.p.cast("int64") if scope.counting == "whole" else j.p
    return j.select("country", "field_id", p=p, ai=share_c / share_w, n=j.n)


def specialisation(t: Tables, scope: Scope) -> ir.Table:
    """Activity index per country × field (特化係数): ``country, field_id, p, ai``.

    ``p = p_cf``: the country's works in OpenAlex field f (field of the
    primary topic) over ``scope.years`` pooled — whole count, or the
    author-level fractional count with ``scope.counting == "fractional"``.
    ``ai = (p_cf / p_c) / (p_wf / p_w)``: the field's share of the country's
    output over its share of the world's. ``p_c = Σ_f p_cf``; ``p_wf`` is the
    number of works in f with a known country, each work once, and
    ``p_w = Σ_f p_wf``. Under fractional counting ``Σ_c p_cf = p_wf``, so the
    world's output-weighted mean ai is exactly 1; under whole counting an
    international work adds to several countries' ``p_cf`` but once to
    ``p_wf``, so countries that co-author much sum to more than the world.

    Works without a field (OpenAlex has no primary topic for them) are left
    out of the numerator and of every denominator; ``coverage`` counts them.
    ``scope.field`` selects the rows shown, not the works: the shares are
    always over all fields (over one field every ai would be 1).

    Balassa's revealed comparative advantage as bibliometrics uses it
    (Frame 1977; Glänzel 2000; NISTEP's 特化係数 in its research-portfolio
    reports). Serves P-1 and D-3: in which fields a country is strong.
    """
    out = field_profile(t, scope).select("country", "field_id", "p", "ai")
    if scope.country is not None:
        out = out.filter(out.country == scope.country)
    if scope.field is not None:
        out = out.filter(out.field_id == scope.field)
    return out.order_by(["country", "field_id"])


def top10_share(t: Tables, scope: Scope) -> ir.Table:
    """``country, field_id, pp_top10``: each country's share of top-10 % papers per field.

    Per-work top-10 % weights are :func:`kakehashi.indicators.impact.normalised`'s
    (reference sets of field × year × type, Leiden tie rule), summed with the
    country's weight (whole or fractional) and divided by its output there.
    """
    base = dataclasses.replace(scope, field=None)
    top = normalised(t, base).select("work_id", "top10")
    w = _weights(t, scope).join(top, "work_id")
    cells = w.group_by(["country", "field_id"]).aggregate(
        p=w.weight.sum(), p_top10=(w.weight * w.top10).sum()
    )
    return cells.select("country", "field_id", pp_top10=cells.p_top10 / cells.p)


def complementarity(
    t: Tables, scope: Scope, *, min_works: int = MIN_PARTNER_WORKS, small_cell: int = SMALL_CELL
) -> ir.Table:
    """For the focus country A: each partner B × field f, where A is weak and B strong.

    Columns: ``partner, field_id, ai_country`` (A's activity index in f),
    ``ai_partner`` (B's), ``pp_top10_partner`` (B's share of top-10 % papers
    in f, :func:`top10_share`), ``score``, then ``n_partner`` (B's works in f,
    whole count) and ``few_works`` (``n_partner`` < ``small_cell``, default
    30: the score rests on few papers, read it with care).

    ``score = max(0, 1 − ai_A) · max(0, ai_B − 1) · pp_top10_B / 0.10``

    Why this form: P-1's "mutual complementarity of research strength" asks
    for partners strong where Japan is weak, and P-1's "high-quality
    results" for partners whose strength is cited, not only large. Each
    factor is one of those conditions and the product makes each necessary:

    - ``max(0, 1 − ai_A)`` ∈ [0, 1]: how far A is below the world's share in
      f; 0 where A is at or above it (no gap to fill), 1 where A is absent
      (a field without A's works has ``ai_country = 0``);
    - ``max(0, ai_B − 1)``: how far B is above the world's share; 0 where B
      is not specialised in f;
    - ``pp_top10_B / 0.10``: B's top-10 % share relative to the world's
      (1 = world level, 2 = twice as many highly cited papers as expected),
      so that a large but little-cited specialisation counts less.

    A score of 0.5 reads, e.g., "A at half the world's share, B at 1.5× it,
    B cited at twice the world rate" (0.5 · 0.5 · 2). The middle factor is
    not bounded, so a small country with a niche can score high on few
    papers; hence the restriction to partners with at least ``min_works``
    works in scope (whole count, default 100) and the ``few_works`` flag.
    Partners are all countries other than A, co-authors of A or not — D-3
    and D-10 ask about partners to choose, not only existing ones.

    Counting follows ``scope.counting`` for ai and pp_top10; the thresholds
    are in whole works. Rows are sorted with the cells of 30 works or more
    first, each group by score, highest first. Serves
    P-1 (complementarity, quality), D-3 and D-10.
    """
    a = focus_country(scope, "complementarity")
    prof = field_profile(t, scope)
    # A self-join: without .view() Ibis 12 resolved the partner's ``ai`` to A's
    # column (ai_partner came out equal to ai_country); the test pins it.
    mine_src = prof.view()
    mine = mine_src.filter(mine_src.country == a)
    a_has = mine.aggregate(_a_p=mine.p.sum())
    mine = mine.select("field_id", _ai_a=mine.ai)
    totals = prof.group_by("country").aggregate(_n_tot=prof.n.sum())
    eligible = totals.filter((totals._n_tot >= min_works) & (totals.country != a)).select("country")
    b = prof.semi_join(eligible, "country").join(top10_share(t, scope), ["country", "field_id"])
    b = b.select("field_id", _b=b.country, _ai_b=b.ai, _pp_b=b.pp_top10, _n_b=b.n)
    j = b.left_join(mine, "field_id").cross_join(a_has)
    ai_a = ibis.ifelse(j._a_p > 0, ibis.coalesce(j._ai_a, 0.0), ibis.null("float64"))
    zero = ibis.literal(0.0)
    score = ibis.greatest(zero, 1.0 - ai_a) * ibis.greatest(zero, j._ai_b - 1.0) * j._pp_b / _WORLD_TOP10
    out = j.select(
        partner=j._b,
        field_id=j.field_id,
        ai_country=ai_a,
        ai_partner=j._ai_b,
        pp_top10_partner=j._pp_b,
        score=score,
        n_partner=j._n_b,
        few_works=j._n_b < small_cell,
    )
    if scope.field is not None:
        out = out.filter(out.field_id == scope.field)
    return out.order_by(["few_works", ibis.desc("score"), "partner", "field_id"])
