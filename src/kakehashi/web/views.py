"""The dashboard's pages as figures: Overview (S-4), Partners, Quality.

Each view takes the page's :class:`~kakehashi.indicators.Scope` (country,
years, field, counting, period) and returns a :class:`View`: findings written
from the numbers, figures and tables. Every number comes from a cached
indicator result, the one the API serves for the same parameters.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pyarrow as pa

from kakehashi.i18n import country_name, field_name, t
from kakehashi.indicators import Scope
from kakehashi.strategy.headline import MAJOR_COUNTRIES, Headline, s4_headline
from kakehashi.web import charts
from kakehashi.web.api import indicator_result, newest_year
from kakehashi.web.figures import Figure, Table, api_query, figure, footer
from kakehashi.web.service import Service

__all__ = ["View", "overview", "partners", "quality"]

TOP_PARTNERS = 20
#: citations need this many years to settle; younger cells carry a warning
CITATION_WINDOW = 3


@dataclasses.dataclass
class View:
    heading: str
    findings: list[str]
    figures: list[Figure]
    tables: list[Table]
    notes: list[str]


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _counting(scope: Scope, lang: str) -> str:
    return t(f"web.{scope.counting}", lang)


def _span(scope: Scope) -> tuple[int, int]:
    assert scope.years is not None
    return scope.years


def _years_text(scope: Scope, lang: str) -> str:
    a, b = _span(scope)
    return f"{a}–{b}" + ("年" if lang == "ja" else "")


def _headline(svc: Service, scope: Scope) -> Headline:
    country = scope.country or "JP"
    base = dataclasses.replace(scope, country=None)

    def compute(tables: Any) -> pa.Table:
        h = s4_headline(tables, country=country, years=_span(scope), scope=base)
        return pa.Table.from_pylist(h.rows)

    key = ("headline", country, tuple(sorted(base.as_dict().items())))
    res = svc.run(key, compute, {"indicator": "headline", **scope.as_dict()})
    y0, y1 = _span(scope)
    return Headline(country, y0, y1, res.table.to_pylist(), base)


def overview(svc: Service, scope: Scope, lang: str) -> View:
    """S-4: the country's international co-authorship against the major countries."""
    country = scope.country or "JP"
    y0, y1 = _span(scope)
    codes = list(dict.fromkeys([country, *MAJOR_COUNTRIES]))
    cname = country_name(country, lang)
    counting = _counting(scope, lang)
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
    findings = []
    focus = h.row(country)
    if focus is not None:
        n = len(h.rows)
        findings.append(
            t(
                "headline.finding_rank",
                lang,
                country=cname,
                rate=(focus["pp_intl"] or 0) * 100,
                n=n,
                rank=h.rank("pp_intl"),
            )
        )
        if focus["cagr_intl"] is not None:
            findings.append(
                t(
                    "headline.finding_growth",
                    lang,
                    year_from=y0,
                    cagr=focus["cagr_intl"] * 100,
                    n=n,
                    rank=h.rank("cagr_intl"),
                )
            )
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
                _pct(r["pp_intl"]),
                _pct(r["cagr_whole"]),
                _pct(r["cagr_frac"]),
                _pct(r["cagr_intl"]),
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


def partners(svc: Service, scope: Scope, lang: str) -> View:
    """Partner countries: co-authored papers, affinity and growth; complementarity by field."""
    country = scope.country or "JP"
    cname = country_name(country, lang)
    years = _years_text(scope, lang)
    res = indicator_result(svc, "partners", scope)
    all_rows = sorted(res.table.to_pylist(), key=lambda r: -(r["n_ab"] or 0))
    rows = [
        {**r, "name": country_name(r["partner"], lang), "few": (r["n_ab"] or 0) < charts.FEW_WORKS}
        for r in all_rows[:TOP_PARTNERS]
    ]
    title = t(
        "web.partners.chart_nab",
        lang,
        country=cname,
        counting=_counting(scope, lang),
        n=len(rows),
        years=years,
    )
    works = {"fields": {"partner": "partner"}, "fixed": {}}
    figures = [
        figure(
            "partners_nab",
            title,
            charts.bars(
                title,
                rows,
                category="name",
                category_title=t("column.partner", lang),
                value="n_ab",
                value_title=t("column.n_ab", lang),
                works=works,
            ),
            indicator="partners",
            scope=scope,
            result=res,
            lang=lang,
        )
    ]
    pts = [r for r in rows if r["cagr_ab"] is not None]
    title = t("web.partners.chart_affinity", lang, country=cname, years=years)
    spec = charts.scatter(
        title,
        pts,
        x="assoc_strength",
        x_title=t("column.assoc_strength", lang),
        y="cagr_ab",
        y_title=t("column.cagr_ab", lang) + " (%)",
        size="n_ab",
        size_title=t("column.n_ab", lang),
        label="name",
        y_percent=True,
        works=works,
    )
    figures.append(
        figure(
            "partners_affinity",
            title,
            spec,
            indicator="partners",
            scope=scope,
            result=res,
            lang=lang,
            notes=[t("web.partners.affinity_note", lang)],
        )
    )
    res_c = indicator_result(svc, "complementarity", scope)
    comp = sorted((r for r in res_c.table.to_pylist() if r["score"] is not None), key=lambda r: -r["score"])[
        :TOP_PARTNERS
    ]
    comp_rows = [
        {
            **r,
            "pair": f"{country_name(r['partner'], lang)} — {field_name(r['field_id'], lang)}",
            "field": r["field_id"],
            "few": False,
        }
        for r in comp
    ]
    title = t("web.partners.chart_complementarity", lang, country=cname, n=len(comp_rows))
    spec = charts.bars(
        title,
        comp_rows,
        category="pair",
        category_title=t("column.partner", lang) + " — " + t("column.field_id", lang),
        value="score",
        value_title=t("column.score", lang),
        works={"fields": {"partner": "partner", "field": "field"}, "fixed": {}},
    )
    figures.append(
        figure(
            "complementarity", title, spec, indicator="complementarity", scope=scope, result=res_c, lang=lang
        )
    )
    cols = ["partner", "n_ab", "share_of_intl", "assoc_strength", "salton", "jaccard", "cagr_ab"]
    table = Table(
        title=t(
            "web.partners.chart_nab",
            lang,
            country=cname,
            counting=_counting(scope, lang),
            n=len(rows),
            years=years,
        ),
        columns=[t(f"column.{c}", lang) for c in cols],
        rows=[
            [
                f"{r['name']} ({r['partner']})",
                f"{r['n_ab']:,.1f}" if isinstance(r["n_ab"], float) else f"{r['n_ab']:,}",
                _pct(r["share_of_intl"]),
                f"{r['assoc_strength']:.3f}",
                f"{r['salton']:.3f}",
                f"{r['jaccard']:.3f}",
                _pct(r["cagr_ab"]),
            ]
            for r in rows
        ],
        footer=footer(res, api_query(scope, lang), lang),
    )
    return View(t("web.partners.heading", lang, country=cname), [], figures, [table], [])


def quality(svc: Service, scope: Scope, lang: str) -> View:
    """MNCS, top 10 % and top 1 % shares with stability intervals; international vs domestic."""
    country = scope.country or "JP"
    cname = country_name(country, lang)
    res = indicator_result(svc, "impact", scope)
    newest = newest_year(svc)
    first_recent = newest - CITATION_WINDOW + 1 if newest is not None else None
    rows = [
        {
            **r,
            "scope_label": t(f"value.scope.{r['scope']}", lang),
            "few": r["p"] < charts.FEW_WORKS,
            "recent": first_recent is not None and r["year"] >= first_recent,
        }
        for r in res.table.to_pylist()
    ]
    conf = f"{scope.confidence * 100:g}"
    recent = first_recent is not None and any(r["recent"] for r in rows)
    notes = [t("web.recent_years", lang, year=first_recent)] if recent else []
    figures = []
    for stat, top in (("mncs", None), ("pp_top10", "top10"), ("pp_top1", "top1")):
        title = t(f"web.quality.chart_{stat}", lang, country=cname, conf=conf)
        fixed = {"top": top} if top else {}
        spec = charts.lines(
            title,
            rows,
            value=stat,
            value_title=t(f"column.{stat}", lang) + ("" if stat == "mncs" else " (%)"),
            series="scope_label",
            series_title=t("column.scope", lang),
            year_title=t("column.year", lang),
            band=(f"{stat}_lo", f"{stat}_hi") if scope.resamples > 0 else None,
            percent=stat != "mncs",
            recent_from=first_recent if recent else None,
            works={"fields": {"year": "year", "scope": "scope"}, "fixed": fixed},
        )
        figures.append(
            figure(stat, title, spec, indicator="impact", scope=scope, result=res, lang=lang, notes=notes)
        )
    ranks = sorted((r for r in rows if r["scope"] == "all"), key=lambda r: r["year"])
    table = Table(
        t("web.quality.table", lang),
        [
            t("column.year", lang),
            t("column.p", lang),
            t("column.p_top10", lang),
            t("column.pp_top10", lang),
            t("column.rank_top10", lang),
        ],
        [
            [
                str(r["year"]),
                f"{r['p']:,.1f}",
                f"{r['p_top10']:,.1f}",
                _pct(r["pp_top10"]),
                str(r["rank_top10"]),
            ]
            for r in ranks
        ],
        footer(res, api_query(scope, lang), lang),
    )
    return View(t("web.quality.heading", lang, country=cname), [], figures, [table], [])
