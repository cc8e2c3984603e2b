"""The dashboard's pages as figures: the common :class:`View` and Overview (S-4).

Partners, Quality and Brain circulation are in ``views_partners``,
``views_quality`` and ``views_mobility``. Each view takes the page's
:class:`~kakehashi.indicators.Scope` (country, years, field, counting,
period) and returns a :class:`View`: findings written
from the numbers, figures and tables. Every number comes from a cached
indicator result, the one the API serves for the same parameters.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pyarrow as pa

from kakehashi.i18n import country_name, t
from kakehashi.indicators import Scope
from kakehashi.strategy.headline import MAJOR_COUNTRIES, Headline, s4_headline
from kakehashi.web import charts
from kakehashi.web.api import indicator_result, newest_year
from kakehashi.web.figures import Figure, Table, api_query, figure, footer
from kakehashi.web.service import Service

__all__ = ["CITATION_WINDOW", "View", "counting_words", "overview", "pct", "year_span", "years_text"]

#: citations need this many years to settle; younger cells carry a warning
CITATION_WINDOW = 3


@dataclasses.dataclass
class View:
    heading: str
    findings: list[str]
    figures: list[Figure]
    tables: list[Table]
    notes: list[str]
    #: the hints above the figures; None: click-through to works, PNG/SVG, pale cells under 30 works
    hints: list[str] | None = None


def pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def counting_words(scope: Scope, lang: str) -> str:
    return t(f"web.{scope.counting}", lang)


def year_span(scope: Scope) -> tuple[int, int]:
    assert scope.years is not None
    return scope.years


def years_text(scope: Scope, lang: str) -> str:
    a, b = year_span(scope)
    return f"{a}–{b}" + ("年" if lang == "ja" else "")


def _headline(svc: Service, scope: Scope) -> Headline:
    country = scope.country or "JP"
    base = dataclasses.replace(scope, country=None)

    def compute(tables: Any) -> pa.Table:
        h = s4_headline(tables, country=country, years=year_span(scope), scope=base)
        return pa.Table.from_pylist(h.rows)

    key = ("headline", country, tuple(sorted(base.as_dict().items())))
    res = svc.run(key, compute, {"indicator": "headline", **scope.as_dict()})
    y0, y1 = year_span(scope)
    return Headline(country, y0, y1, res.table.to_pylist(), base)


def overview(svc: Service, scope: Scope, lang: str) -> View:
    """S-4: the country's international co-authorship against the major countries."""
    country = scope.country or "JP"
    y0, y1 = year_span(scope)
    codes = list(dict.fromkeys([country, *MAJOR_COUNTRIES]))
    cname = country_name(country, lang)
    counting = counting_words(scope, lang)
    label_c = t("column.country", lang)
    figures: list[Figure] = []

    # International co-authorship rate in the last year.
    last = dataclasses.replace(scope, years=(y1, y1), country=None)
    res = indicator_result(svc, "collaboration", last)
    rows = [
        {**r, "name": country_name(r["country"], lang), "few": r["p_intl"] < charts.FEW_WORKS}
        for r in res.table.to_pylist()
        if r["country"] in codes and r["year"] == y1
    ]
    title = t("web.overview.chart_pp_intl", lang, year=y1)
    spec = charts.bars(
        title,
        rows,
        category="name",
        category_title=label_c,
        value="pp_intl",
        value_title=t("column.pp_intl", lang) + " (%)",
        percent=True,
        focus=("country", country),
        works={"fields": {"country": "country"}, "fixed": {"year": y1, "scope": "intl"}},
    )
    figures.append(
        figure("pp_intl", title, spec, indicator="collaboration", scope=last, result=res, lang=lang)
    )

    # Papers per year, whole or fractional.
    span = dataclasses.replace(scope, country=None)
    res = indicator_result(svc, "collaboration", span)
    value = "p_whole" if scope.counting == "whole" else "p_frac"
    rows = [
        {**r, "name": country_name(r["country"], lang), "few": r["p_whole"] < charts.FEW_WORKS}
        for r in res.table.to_pylist()
        if r["country"] in codes
    ]
    title = t("web.overview.chart_papers", lang, counting=counting, year_from=y0, year_to=y1)
    spec = charts.lines(
        title,
        rows,
        value=value,
        value_title=t(f"column.{value}", lang) + (" (件)" if lang == "ja" else ""),
        series="name",
        series_title=label_c,
        year_title=t("column.year", lang),
        works={"fields": {"country": "country", "year": "year"}, "fixed": {}},
    )
    figures.append(
        figure("papers", title, spec, indicator="collaboration", scope=span, result=res, lang=lang)
    )

    # Growth of internationally co-authored papers.
    res = indicator_result(svc, "growth", span)
    rows = [
        {**r, "name": country_name(r["country"], lang), "few": False}
        for r in res.table.to_pylist()
        if r["country"] in codes and r["cagr_intl"] is not None
    ]
    title = t("web.overview.chart_cagr", lang, year_from=y0, year_to=y1)
    spec = charts.bars(
        title,
        rows,
        category="name",
        category_title=label_c,
        value="cagr_intl",
        value_title=t("column.cagr_intl", lang) + " (%)",
        percent=True,
        focus=("country", country),
        works={"fields": {"country": "country"}, "fixed": {"scope": "intl"}},
    )
    figures.append(figure("cagr", title, spec, indicator="growth", scope=span, result=res, lang=lang))

    # Top 10 % papers and the world rank (impact's rank_top10).
    imp_scope = dataclasses.replace(scope, years=(y1, y1), country=None, resamples=0)
    res = indicator_result(svc, "impact", imp_scope)
    newest = newest_year(svc)
    recent = newest is not None and y1 > newest - CITATION_WINDOW
    rows = [
        {
            **r,
            "name": country_name(r["country"], lang),
            "rank": f"#{r['rank_top10']}",
            "few": r["p"] < charts.FEW_WORKS,
        }
        for r in res.table.to_pylist()
        if r["country"] in codes and r["scope"] == "all" and r["year"] == y1
    ]
    title = t("web.overview.chart_top10", lang, counting=counting, year=y1)
    spec = charts.bars(
        title,
        rows,
        category="name",
        category_title=label_c,
        value="p_top10",
        value_title=t("column.p_top10", lang),
        focus=("country", country),
        text="rank",
        works={"fields": {"country": "country"}, "fixed": {"year": y1, "scope": "all", "top": "top10"}},
    )
    notes = [t("web.recent_years", lang, year=newest - CITATION_WINDOW + 1)] if recent and newest else []
    figures.append(
        figure("top10", title, spec, indicator="impact", scope=imp_scope, result=res, lang=lang, notes=notes)
    )
    rank10 = next((r["rank_top10"] for r in rows if r["country"] == country), None)

    # The S-4 headline table and its findings.
    h = _headline(svc, scope)
    findings = h.findings(lang)
    if rank10 is not None:
        findings.append(
            t("web.overview.finding_top10", lang, country=cname, year=y1, counting=counting, rank=rank10)
        )
    cols = ["country", "p_whole", "p_frac", "p_intl", "pp_intl", "cagr_whole", "cagr_frac", "cagr_intl"]
    table = Table(
        t("web.overview.table", lang),
        [
            t(f"column.{c}", lang) + (f" {y1}" if c in ("p_whole", "p_frac", "p_intl", "pp_intl") else "")
            for c in cols
        ],
        [
            [
                f"{country_name(r['country'], lang)} ({r['country']})",
                f"{r['p_whole']:,}",
                f"{r['p_frac']:,.1f}",
                f"{r['p_intl']:,}",
                pct(r["pp_intl"]),
                pct(r["cagr_whole"]),
                pct(r["cagr_frac"]),
                pct(r["cagr_intl"]),
            ]
            for r in h.rows
        ],
        footer(res, api_query(span, lang), lang),
    )
    return View(
        t("web.overview.heading", lang, country=cname),
        findings,
        figures,
        [table],
        [t("web.major_note", lang)],
    )
