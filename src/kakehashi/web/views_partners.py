"""The Partners page: partner countries by co-authored papers, affinity and growth; complementarity."""

from __future__ import annotations

from kakehashi.i18n import country_name, field_name, t
from kakehashi.indicators import Scope
from kakehashi.web import charts
from kakehashi.web.api import indicator_result
from kakehashi.web.figures import Table, api_query, figure, footer
from kakehashi.web.service import Service
from kakehashi.web.views import View, counting_words, pct, years_text

__all__ = ["partners"]

TOP_PARTNERS = 20


def partners(svc: Service, scope: Scope, lang: str) -> View:
    """Partner countries: co-authored papers, affinity and growth; complementarity by field."""
    country = scope.country or "JP"
    cname = country_name(country, lang)
    years = years_text(scope, lang)
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
        counting=counting_words(scope, lang),
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
            counting=counting_words(scope, lang),
            n=len(rows),
            years=years,
        ),
        columns=[t(f"column.{c}", lang) for c in cols],
        rows=[
            [
                f"{r['name']} ({r['partner']})",
                f"{r['n_ab']:,.1f}" if isinstance(r["n_ab"], float) else f"{r['n_ab']:,}",
                pct(r["share_of_intl"]),
                f"{r['assoc_strength']:.3f}",
                f"{r['salton']:.3f}",
                f"{r['jaccard']:.3f}",
                pct(r["cagr_ab"]),
            ]
            for r in rows
        ],
        footer=footer(res, api_query(scope, lang), lang),
    )
    return View(t("web.partners.heading", lang, country=cname), [], figures, [table], [])
