"""The Quality page: MNCS, top 10 % and top 1 % shares with stability intervals, world ranks."""

from __future__ import annotations

from kakehashi.i18n import country_name, t
from kakehashi.indicators import Scope
from kakehashi.web import charts
from kakehashi.web.api import indicator_result, newest_year
from kakehashi.web.figures import Table, api_query, figure, footer
from kakehashi.web.service import Service
from kakehashi.web.views import CITATION_WINDOW, View, pct

__all__ = ["quality"]


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
                pct(r["pp_top10"]),
                str(r["rank_top10"]),
            ]
            for r in ranks
        ],
        footer(res, api_query(scope, lang), lang),
    )
    return View(t("web.quality.heading", lang, country=cname), [], figures, [table], [])
