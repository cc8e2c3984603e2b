"""The Institutions page's profile of one institution: its shares, percentiles and partners abroad.

For ``?institution=I…`` (by default the largest WPI centre, else the largest
institution), ``views_institutions`` draws with :func:`profile_figures` its
shares against the national median and WPI's targets, its national
percentiles, and its partner institutions abroad by co-authored works and by
their ``pp_top10`` (the "top-level labs" of M-1). The look shared with the
page's scatter and table (:func:`spec_base`, :func:`value_text`, …) lives
here too, as the page imports this module and not the other way round.

Strategy items M-2, M-1 and D-4. Every figure is a cached
``institution-profile`` or ``institution-partners`` result.
"""

from __future__ import annotations

import functools
from typing import Any

from kakehashi.i18n import country_name, t
from kakehashi.indicators import Scope
from kakehashi.indicators.institutions import KPI_FOREIGN, KPI_INTL, RANKED
from kakehashi.web import charts
from kakehashi.web.api import indicator_result
from kakehashi.web.figures import Figure, figure
from kakehashi.web.service import Result, Service
from kakehashi.web.views import pct, years_text

__all__ = ["percentile_bars", "profile_bars", "profile_figures"]

#: partner institutions shown in each partner chart
TOP_PARTNERS = 15
#: the profile's shares, drawn against the national median and WPI's targets
SHARES = ("pp_intl", "foreign_origin_share", "pp_top10")
#: WPI's public targets, per share
TARGETS = {"pp_intl": KPI_INTL, "foreign_origin_share": KPI_FOREIGN}
FEW = charts.FEW_WORKS
WPI_COLOR = charts.FOCUS
OTHER_COLOR = charts.OTHER
MEDIAN_COLOR = "#9aa9b8"
#: measures counted in people or works (the rest are shares)
COUNTS = ("works", "transfers_in", "transfers_out")
#: the data of a layer drawn once (a target line, its words), not once per row
ONE: dict[str, list[dict[str, Any]]] = {"values": [{}]}
XY = {"type": "quantitative"}


def value_text(column: str, v: Any) -> str:
    if v is None:
        return "—"
    return f"{v:,}" if column in COUNTS else pct(v)


def percentile_text(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.0f}"


def works_query(scope: Scope, lang: str, **cell: str) -> dict[str, Any]:
    """The query of ``/works`` for a cell of this page (its country, years, field, period, level)."""
    q: dict[str, Any] = {"country": scope.country}
    if scope.years is not None:
        q["years"] = f"{scope.years[0]}-{scope.years[1]}"
    if scope.field is not None:
        q["field"] = scope.field
    if scope.period != "calendar":
        q["period"] = scope.period
    if scope.level == "root":
        q["level"] = "root"
    return {**q, **cell, "lang": lang}


def spec_base(title: str, rows: list[dict[str, Any]], height: int) -> dict[str, Any]:
    """charts.py's frame with room for institution names; ``usermeta.works`` empty (no click-through)."""
    return charts.base(title, rows, height=height, label_limit=260)


def opacity() -> dict[str, Any]:
    return {"condition": {"test": "datum.few", "value": 0.35}, "value": 0.9}


def profile_bars(
    title: str,
    rows: list[dict[str, Any]],
    *,
    value_title: str,
    series_title: str,
    series: list[str],
    measures: list[str],
    target_rows: list[dict[str, Any]],
) -> dict[str, Any]:
    """Grouped bars: the institution's shares and the national median per measure, WPI targets as ticks."""
    spec = spec_base(title, rows, max(150, 60 * len(measures)))
    y = {"field": "measure", "type": "nominal", "sort": measures, "title": None}
    xq = {
        "field": "value",
        "type": "quantitative",
        "title": value_title,
        "axis": {"format": ".0%"},
        "scale": {"domain": [0, 1]},
    }
    spec["layer"] = [
        {
            "mark": {"type": "bar"},
            "encoding": {
                "y": y,
                "yOffset": {"field": "series", "sort": series},
                "x": xq,
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": series_title,
                    "sort": series,
                    "scale": {"domain": series, "range": [WPI_COLOR, MEDIAN_COLOR]},
                    "legend": {"orient": "bottom", "direction": "horizontal", "labelLimit": 500},
                },
                "opacity": opacity(),
                "tooltip": [
                    {"field": "measure", "title": value_title},
                    {"field": "series", "title": series_title},
                    {"field": "value", "format": ".1%"},
                ],
            },
        },
        {
            "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11, "font": charts.FONT},
            "encoding": {
                "y": y,
                "yOffset": {"field": "series", "sort": series},
                "x": xq,
                "text": {"field": "value", "format": ".1%"},
            },
        },
        {
            "data": {"values": target_rows},
            "mark": {"type": "tick", "color": "#000", "thickness": 3, "orient": "vertical"},
            "encoding": {
                "y": y,
                "x": {"field": "value", "type": "quantitative"},
                "tooltip": [{"field": "label"}, {"field": "value", "format": ".0%"}],
            },
        },
    ]
    return spec


def percentile_bars(
    title: str, rows: list[dict[str, Any]], *, value_title: str, measures: list[str], median_words: str
) -> dict[str, Any]:
    """Horizontal bars of national percentiles (0–100) per measure, a rule at the median (50)."""
    spec = spec_base(title, rows, max(140, 32 * len(measures)))
    y = {"field": "measure", "type": "nominal", "sort": measures, "title": None}
    x = {"field": "pct", "type": "quantitative", "title": value_title, "scale": {"domain": [0, 100]}}
    spec["layer"] = [
        {
            "mark": {"type": "bar", "color": WPI_COLOR},
            "encoding": {
                "y": y,
                "x": x,
                "opacity": opacity(),
                "tooltip": [
                    {"field": "measure", "title": value_title},
                    {"field": "pct", "title": value_title, "format": ".0f"},
                    {"field": "value_text"},
                ],
            },
        },
        {
            "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11, "font": charts.FONT},
            "encoding": {"y": y, "x": x, "text": {"field": "value_text"}},
        },
        {
            "data": ONE,
            "mark": {"type": "rule", "color": "#555", "strokeDash": [6, 4]},
            "encoding": {"x": {"datum": 50, "type": "quantitative"}},
        },
        {
            "data": ONE,
            "mark": {"type": "text", "dy": -4, "baseline": "bottom", "color": "#555", "font": charts.FONT},
            "encoding": {
                "x": {"datum": 50, "type": "quantitative"},
                "y": {"value": 0},
                "text": {"value": median_words},
            },
        },
    ]
    return spec


def _count_axis(spec: dict[str, Any], values: list[int]) -> None:
    """Bars of counts: whole-number ticks, and no category title (the chart's title names the bars)."""
    enc = spec["layer"][0]["encoding"]
    axis: dict[str, Any] = {"format": ",d"}
    if values and max(values) < 10:
        axis["tickCount"] = max(1, max(values))
    enc["x"]["axis"] = axis
    _untitled(spec)


def _untitled(spec: dict[str, Any]) -> None:
    """No category title over long institution names (the chart's title names them); room for the names."""
    spec["layer"][0]["encoding"]["y"]["title"] = None
    spec["config"]["axis"]["labelLimit"] = 320


def profile_figures(
    svc: Service,
    one: Scope,
    res_one: Result,
    row: dict[str, Any],
    medians: dict[str, float | None],
    lang: str,
) -> list[Figure]:
    name = row["name"] or row["institution_id"]
    cname = country_name(one.country, lang)
    words = {"name": name, "country": cname, "years": years_text(one, lang)}
    label = {c: t(f"column.{c}", lang) for c in RANKED}
    few = row["works"] < FEW
    out: list[Figure] = []
    # Two figures per result: each pair shares its indicator, scope and download links.
    profile_figure = functools.partial(
        figure, indicator="institution-profile", scope=one, result=res_one, lang=lang, mobility=True
    )

    # Its shares against the national median, with WPI's targets.
    median_word = t("web.institutions.national_median", lang, country=cname)
    series = [name, median_word]
    measures = [label[c] for c in SHARES]
    bars = [
        {"measure": label[c], "series": s, "value": v, "few": few and s == name}
        for c in SHARES
        for s, v in ((name, row[c]), (median_word, medians[c]))
        if v is not None
    ]
    targets = [
        {"measure": label[c], "value": v, "label": t("web.institutions.wpi_target", lang)}
        for c, v in TARGETS.items()
    ]
    title = t("web.institutions.chart_profile", lang, **words)
    spec = profile_bars(
        title,
        bars,
        value_title=t("web.institutions.share", lang),
        series_title=t("web.institutions.series", lang),
        series=series,
        measures=measures,
        target_rows=targets,
    )
    notes = [t("web.institutions.profile_note", lang, min_works=one.min_works_ranked)]
    out.append(profile_figure("institution_profile", title, spec, notes=notes))

    # Its national percentiles (where ranked).
    all_measures = [label[c] for c in RANKED]
    pcts = [
        {
            "measure": label[c],
            "pct": row[f"{c}_pct"] * 100,
            "value_text": value_text(c, row[c]),
            "few": False,
        }
        for c in RANKED
        if row[f"{c}_pct"] is not None
    ]
    if pcts:
        title = t("web.institutions.chart_percentiles", lang, **words)
        spec = percentile_bars(
            title,
            pcts,
            value_title=t("web.institutions.percentile", lang),
            measures=all_measures,
            median_words=t("web.institutions.median", lang),
        )
        notes = [t("web.institutions.percentile_note", lang, min_works=one.min_works_ranked)]
        out.append(profile_figure("institution_percentiles", title, spec, notes=notes))

    # Its partner institutions abroad: by co-authored works and by their pp_top10.
    res_p = indicator_result(svc, "institution-partners", one)
    partners = res_p.table.to_pylist()
    partners_figure = functools.partial(
        figure, indicator="institution-partners", scope=one, result=res_p, lang=lang
    )

    def bar_rows(ps: list[dict[str, Any]], few_of: Any) -> list[dict[str, Any]]:
        return [
            {
                **p,
                "label": f"{p['partner_name'] or p['partner_id']} ({p['partner_country'] or '?'})",
                "few": few_of(p),
            }
            for p in ps
        ]

    by_works = bar_rows(
        sorted(partners, key=lambda p: (p["rank_by_works"], p["partner_id"]))[:TOP_PARTNERS],
        lambda p: p["n_ab"] < FEW,
    )
    title = t("web.institutions.chart_partners_works", lang, n=len(by_works), **words)
    spec = charts.bars(
        title,
        by_works,
        category="label",
        category_title=t("column.partner_name", lang),
        value="n_ab",
        value_title=t("web.institutions.coauthored", lang),
        tooltip=[
            {"field": "label", "title": t("column.partner_name", lang)},
            {"field": "n_ab", "title": t("web.institutions.coauthored", lang), "format": ","},
            {"field": "partner_pp_top10", "title": t("column.pp_top10", lang), "format": ".1%"},
        ],
        # A bar is this institution's works with that partner abroad (Cell.partner_institution).
        works={
            "fields": {"partner_institution": "partner_id"},
            "fixed": works_query(one, lang, institution=row["institution_id"]),
        },
    )
    _count_axis(spec, [p["n_ab"] for p in by_works])
    notes = [t("web.institutions.partners_note", lang)]
    out.append(partners_figure("institution_partners_works", title, spec, notes=notes))
    ranked = [p for p in partners if p["rank_by_pp_top10"] is not None]
    by_q = bar_rows(
        sorted(ranked, key=lambda p: (p["rank_by_pp_top10"], p["partner_id"]))[:TOP_PARTNERS],
        lambda p: False,
    )
    title = t("web.institutions.chart_partners_top10", lang, n=len(by_q), **words)
    spec = charts.bars(
        title,
        by_q,
        category="label",
        category_title=t("column.partner_name", lang),
        value="partner_pp_top10",
        value_title=t("column.partner_pp_top10", lang) + " (%)",
        percent=True,
        tooltip=[
            {"field": "label", "title": t("column.partner_name", lang)},
            {"field": "partner_pp_top10", "title": t("column.partner_pp_top10", lang), "format": ".1%"},
            {"field": "n_ab", "title": t("web.institutions.coauthored", lang), "format": ","},
        ],
    )
    _untitled(spec)
    notes = [t("web.institutions.top_labs_note", lang, min_works=one.min_works_ranked)]
    if not by_q:
        notes.append(t("web.no_data", lang))
    out.append(partners_figure("institution_partners_top10", title, spec, notes=notes))
    return out
