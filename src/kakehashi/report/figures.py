"""The figures behind the briefing report, computed once from the store.

Every number the report shows — in a sentence, a chart or a table — comes
from the :class:`Figures` built here, so the findings and the charts cannot
disagree. Each block keeps the :class:`~kakehashi.indicators.Scope` it was
computed under; that is the provenance printed under it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir

from kakehashi.errors import ConfigError
from kakehashi.indicators import (
    INDICATORS,
    Scope,
    collaboration,
    complementarity,
    impact,
    partner_network,
    partners,
)
from kakehashi.strategy.headline import MAJOR_COUNTRIES, Headline, s4_headline

__all__ = ["Block", "Figures", "compute_figures", "quality_scope"]

#: How many partner countries and complementarity cells the report lists.
TOP_PARTNERS = 10
TOP_COMPLEMENT = 10


@dataclasses.dataclass(frozen=True)
class Block:
    """One indicator's rows as shown in the report, with the scope they came from."""

    indicator: str
    scope: Scope
    rows: list[dict[str, Any]]
    #: extra provenance words beyond the scope (e.g. the countries compared)
    notes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Figures:
    country: str
    years: tuple[int, int]
    compare: tuple[str, ...]
    headline: Headline
    trend: Block  # collaboration per country × year, the compared countries
    partners: Block  # the focus country's top partners, years pooled
    network: Block  # partner-network: the links among the focus country and its top partners
    quality: Block  # impact, compared countries, last year (3-year mean), all scopes
    world_rank_n: int  # countries ranked in quality's all-scope rank_top10
    complement: Block  # complementarity, top cells without few_works
    mobility: Block | None  # mobility-flows of the focus country, when that indicator exists


def quality_scope(years: tuple[int, int]) -> Scope:
    """Impact as NISTEP ranks it: fractional counting, 3-year mean ending in the last year."""
    return Scope(years=(years[1], years[1]), counting="fractional", smooth=3, resamples=1000, seed=0)


def compute_figures(
    t: Mapping[str, ir.Table],
    *,
    country: str = "JP",
    years: tuple[int, int] = (2012, 2022),
    compare: tuple[str, ...] = MAJOR_COUNTRIES,
    network_top: int | None = None,
) -> Figures:
    """Run the indicators the report needs; raises ConfigError when the store cannot answer.

    ``network_top``: partner countries on the co-authorship map (default :class:`Scope`'s, 20).
    """
    p_scope = Scope(years=years, country=country)
    # Checked first: a map size out of bounds fails before the long computations.
    n_scope = p_scope if network_top is None else dataclasses.replace(p_scope, network_top=network_top)
    codes = tuple(dict.fromkeys([country, *compare]))
    head = s4_headline(t, country=country, years=years, compare=codes)
    if head.row(country) is None:
        raise ConfigError(
            f"the store has no works of {country} in {years[1]}; choose other --years or another store."
        )

    trend_scope = Scope(years=years)
    c = collaboration(t, trend_scope)
    trend_rows = c.filter(c.country.isin(list(codes))).order_by(["country", "year"]).to_pyarrow().to_pylist()

    p = partners(t, p_scope)
    p_rows = p.order_by([p.n_ab.desc(), p.partner]).limit(TOP_PARTNERS).to_pyarrow().to_pylist()

    q_scope = quality_scope(years)
    q = impact(t, q_scope).to_pyarrow().to_pylist()
    ranked = [r for r in q if r["scope"] == "all"]
    q_rows = [r for r in q if r["country"] in codes]

    n_rows = partner_network(t, n_scope).to_pyarrow().to_pylist()

    c_scope = Scope(years=years, country=country)
    comp = complementarity(t, c_scope)
    comp = comp.filter(~comp.few_works & (comp.score > 0))
    comp_rows = comp.order_by([comp.score.desc(), comp.partner, comp.field_id]).limit(TOP_COMPLEMENT)

    mob: Block | None = None
    if "mobility-flows" in INDICATORS:
        fn = INDICATORS["mobility-flows"][0]
        m_scope = Scope(years=years, country=country)
        m = fn(t, m_scope)
        m_rows = m.filter(m.country == country).order_by("year").to_pyarrow().to_pylist()
        mob = Block("mobility-flows", m_scope, m_rows)

    return Figures(
        country=country,
        years=years,
        compare=codes,
        headline=head,
        trend=Block("collaboration", trend_scope, trend_rows, ("countries",)),
        partners=Block("partners", p_scope, p_rows),
        network=Block("partner-network", n_scope, n_rows, ("network_top",)),
        quality=Block("impact", q_scope, q_rows, ("countries",)),
        world_rank_n=len(ranked),
        complement=Block("complementarity", c_scope, comp_rows.to_pyarrow().to_pylist(), ("min_works",)),
        mobility=mob,
    )
