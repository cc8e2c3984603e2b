"""The Institutions page (研究機関の国際的な研究環境): WPI-style profiles against the national benchmark.

Strategy items M-2 (WPI's international research environment, its indicators
spread to other universities), M-1 (networks with top-level labs abroad) and
D-4. Every figure is a cached ``institution-profile`` or
``institution-partners`` result, the one the API serves for the parameters in
the figure's download links:

- the table of every institution of the chosen country (each figure with its
  national percentile; WPI centres flagged; WPI's two targets met or not), each
  name a link to that institution's profile;
- a scatter of international co-authorship against the share of foreign-origin
  researchers, with WPI's two target lines and the WPI centres highlighted
  (a click on a point lists that institution's works, a Shift+click opens its
  profile);
- for one institution (``?institution=I…``; by default the largest WPI centre,
  else the largest institution): its shares against the national median and
  WPI's targets, its national percentiles, and its partner institutions abroad
  by co-authored works and by their ``pp_top10`` (the "top-level labs" of M-1),
  drawn by ``views_institution_profile``.

Names stand for institutions and open their profiles; the marks and cells
that are sets of works open those works (``/works?institution=…``): a point
of the scatter and an institution's paper count in the table (its works, the
``works`` the point's size shows), and a bar of its partner institutions by
co-authored works (its works with that partner abroad).
"""

from __future__ import annotations

import dataclasses
import statistics
from typing import Any

from kakehashi.i18n import country_name, t
from kakehashi.indicators import Scope
from kakehashi.indicators.institutions import KPI_FOREIGN, KPI_INTL, RANKED
from kakehashi.web import charts
from kakehashi.web.api import indicator_result
from kakehashi.web.figures import Figure, Table, api_query, figure, footer, qs
from kakehashi.web.service import Service
from kakehashi.web.views import View, pct, years_text
from kakehashi.web.views_institution_profile import (
    FEW,
    ONE,
    OTHER_COLOR,
    WPI_COLOR,
    XY,
    opacity,
    percentile_text,
    profile_figures,
    spec_base,
    value_text,
    works_query,
)

__all__ = ["institutions", "kpi_scatter"]

#: institutions listed in the page's table (all of them in its CSV), the WPI centres and the chosen one always
TABLE_ROWS = 100


def _page_link(scope: Scope, lang: str, institution: str) -> str:
    """This page for ``institution``, with the page's other filters."""
    return f"/institutions?{qs(works_query(scope, lang, institution=institution))}"


def kpi_scatter(
    title: str,
    rows: list[dict[str, Any]],
    *,
    x_title: str,
    y_title: str,
    size_title: str,
    group_title: str,
    groups: list[str],
    target_words: tuple[str, str],
    works: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """International co-authorship (x) against foreign-origin share (y), WPI targets as lines.

    ``rows`` carry ``name, pp_intl, foreign_origin_share, works, group, few,
    href, chosen``; ``groups`` = [others, WPI centres] (legend order, WPI in
    red and labelled). A click on a point opens the works behind it
    (``works``, as :mod:`kakehashi.web.charts`' ``usermeta.works``), a
    Shift+click (or any click without ``works``) opens ``href`` (``usermeta.link``).
    """
    spec = spec_base(title, rows, 380)
    spec["usermeta"]["link"] = "href"
    if works is not None:
        spec["usermeta"]["works"] = works
    pct_axis = {"format": ".0%"}
    x = {"field": "pp_intl", "type": "quantitative", "title": x_title, "scale": {"domain": [0, 1]}}
    y = {
        "field": "foreign_origin_share",
        "type": "quantitative",
        "title": y_title,
        "scale": {"domain": [0, 1]},
    }
    x["axis"], y["axis"] = pct_axis, pct_axis
    rule = {"type": "rule", "color": "#555", "strokeDash": [6, 4]}
    words = {"type": "text", "color": "#555", "font": charts.FONT, "baseline": "bottom", "dy": -3}
    spec["layer"] = [
        {"data": ONE, "mark": rule, "encoding": {"x": {"datum": KPI_INTL, **XY}}},
        {"data": ONE, "mark": rule, "encoding": {"y": {"datum": KPI_FOREIGN, **XY}}},
        {
            "data": ONE,
            "mark": {**words, "align": "left", "dx": 4},
            "encoding": {
                "x": {"datum": KPI_INTL, **XY},
                "y": {"datum": 0.93, **XY},
                "text": {"value": target_words[0]},
            },
        },
        {
            "data": ONE,
            "mark": {**words, "align": "right"},
            "encoding": {
                "x": {"datum": 1, **XY},
                "y": {"datum": KPI_FOREIGN, **XY},
                "text": {"value": target_words[1]},
            },
        },
        {
            "mark": {"type": "circle", "cursor": "pointer"},
            "encoding": {
                "x": x,
                "y": y,
                "size": {
                    "field": "works",
                    "type": "quantitative",
                    "title": size_title,
                    "legend": {"orient": "bottom", "direction": "horizontal"},
                },
                "color": {
                    "field": "group",
                    "type": "nominal",
                    "title": group_title,
                    "sort": groups,
                    "scale": {"domain": groups, "range": [OTHER_COLOR, WPI_COLOR]},
                    "legend": {"orient": "bottom", "direction": "horizontal"},
                },
                "stroke": {"condition": {"test": "datum.chosen", "value": "#000"}, "value": None},
                "strokeWidth": {"condition": {"test": "datum.chosen", "value": 2}, "value": 0},
                "opacity": opacity(),
                "order": {"field": "wpi", "type": "quantitative"},
                "tooltip": [
                    {"field": "name", "title": group_title},
                    {"field": "pp_intl", "title": x_title, "format": ".1%"},
                    {"field": "foreign_origin_share", "title": y_title, "format": ".1%"},
                    {"field": "works", "title": size_title, "format": ","},
                ],
            },
        },
        {
            "transform": [{"filter": "datum.wpi || datum.chosen"}],
            "mark": {
                "type": "text",
                # Labels on the right half end at their point, so they stay inside the plot.
                "align": {"expr": "datum.pp_intl > 0.6 ? 'right' : 'left'"},
                "dx": {"expr": "datum.pp_intl > 0.6 ? -8 : 8"},
                "fontSize": 10,
                "font": charts.FONT,
            },
            "encoding": {"x": x, "y": y, "text": {"field": "name"}},
        },
    ]
    return spec


def _national_medians(rows: list[dict[str, Any]], min_works: int) -> dict[str, float | None]:
    """Per measure, the median over the country's ranked institutions (those the percentiles rank)."""
    out: dict[str, float | None] = {}
    for c in RANKED:
        vals = [r[c] for r in rows if r["works"] >= min_works and r[c] is not None]
        out[c] = float(statistics.median(vals)) if vals else None
    return out


def _default_institution(rows: list[dict[str, Any]]) -> str | None:
    """The largest WPI centre, else the largest institution (rows come largest first)."""
    wpi = [r for r in rows if r["is_wpi"]]
    pick = wpi[0] if wpi else (rows[0] if rows else None)
    return None if pick is None else str(pick["institution_id"])


def _kpi(ok: bool | None, lang: str) -> str:
    return "—" if ok is None else t("web.institutions.met" if ok else "web.institutions.not_met", lang)


def institutions(svc: Service, scope: Scope, lang: str) -> View:
    """Every institution of the chosen country on WPI's yardsticks, and one institution's profile."""
    country = scope.country or "JP"
    base = dataclasses.replace(scope, country=country, institution=None)
    cname = country_name(country, lang)
    years = years_text(base, lang)
    words = {"country": cname, "years": years}
    figures: list[Figure] = []
    notes: list[str] = []

    res = indicator_result(svc, "institution-profile", base)
    rows = res.table.to_pylist()
    medians = _national_medians(rows, base.min_works_ranked)
    chosen_id = scope.institution or _default_institution(rows)
    label = {c: t(f"column.{c}", lang) for c in (*RANKED, "name")}
    wpi_word = t("web.institutions.wpi_centre", lang)
    other_word = t("web.institutions.other_institution", lang)

    # -- the chosen institution: its profile against the country, its partners abroad ----------
    chosen: dict[str, Any] | None = None
    if chosen_id is not None:
        one = dataclasses.replace(base, institution=chosen_id)
        res_one = indicator_result(svc, "institution-profile", one)
        found = res_one.table.to_pylist()
        if found:
            chosen = found[0]
            figures += profile_figures(svc, one, res_one, chosen, medians, lang)
        else:
            notes.append(t("web.institutions.not_found", lang, institution=chosen_id, **words))
    chosen_key = None if chosen is None else chosen["institution_id"]

    # -- the scatter of WPI's two yardsticks over every institution -----------------------------
    groups = [other_word, wpi_word]
    points = [
        {
            "institution_id": r["institution_id"],
            "name": r["name"] or r["institution_id"],
            "pp_intl": r["pp_intl"],
            "foreign_origin_share": r["foreign_origin_share"],
            "works": r["works"],
            "wpi": bool(r["is_wpi"]),
            "group": wpi_word if r["is_wpi"] else other_word,
            "few": r["works"] < FEW,
            "chosen": r["institution_id"] == chosen_key,
            "href": _page_link(base, lang, r["institution_id"]),
        }
        for r in rows
        if r["pp_intl"] is not None and r["foreign_origin_share"] is not None
    ]
    title = t("web.institutions.chart_kpi", lang, **words)
    spec = kpi_scatter(
        title,
        points,
        x_title=label["pp_intl"] + " (%)",
        y_title=label["foreign_origin_share"] + " (%)",
        size_title=t("web.institutions.works_unit", lang),
        group_title=t("term.institution", lang),
        groups=groups,
        target_words=(
            t("web.institutions.target_intl", lang, target=KPI_INTL * 100),
            t("web.institutions.target_foreign", lang, target=KPI_FOREIGN * 100),
        ),
        # A point is the set of the institution's works (its size): it opens them.
        works={"fields": {"institution": "institution_id"}, "fixed": works_query(base, lang)},
    )
    kpi_notes = [t("web.institutions.kpi_note", lang), t("web.institutions.click_note", lang)]
    figures.insert(
        0,
        figure(
            "institutions_kpi",
            title,
            spec,
            indicator="institution-profile",
            scope=base,
            result=res,
            lang=lang,
            notes=kpi_notes,
            mobility=True,
        ),
    )

    # -- the table of every institution --------------------------------------------------------
    shown = [
        r for i, r in enumerate(rows) if i < TABLE_ROWS or r["is_wpi"] or r["institution_id"] == chosen_key
    ]
    sep = ("（", "）") if lang == "ja" else (" (", ")")
    cols = [
        label["name"],
        t("column.is_wpi", lang),
        *(label[c] for c in RANKED),
        t("web.institutions.kpi_intl", lang, target=KPI_INTL * 100),
        t("web.institutions.kpi_foreign", lang, target=KPI_FOREIGN * 100),
    ]
    table_rows = [
        [
            r["name"] or r["institution_id"],
            "WPI" if r["is_wpi"] else "",
            *(
                value_text(c, r[c])
                + (f"{sep[0]}{percentile_text(r[f'{c}_pct'])}{sep[1]}" if r[f"{c}_pct"] is not None else "")
                for c in RANKED
            ),
            _kpi(r["kpi_intl_ok"], lang),
            _kpi(r["kpi_foreign_ok"], lang),
        ]
        for r in shown
    ]
    table = Table(
        t("web.institutions.table", lang, n=len(rows), **words),
        cols,
        table_rows,
        footer(res, api_query(base, lang, mobility=True), lang),
        links=[_page_link(base, lang, r["institution_id"]) for r in shown],
        # The paper count is the set of the institution's works: it opens them.
        cell_links=[
            {2: f"/works?{qs(works_query(base, lang, institution=r['institution_id']))}"} for r in shown
        ],
        id="institutions",
    )
    if len(shown) < len(rows):
        notes.append(t("web.institutions.table_cut", lang, n=len(shown), total=len(rows)))

    findings = _findings(rows, chosen, base, cname, lang)
    notes.insert(0, t("web.institutions.method_note", lang, min_works=base.min_works_ranked))
    if base.level == "root":
        notes.append(t("web.institutions.root_note", lang))
    if not rows:
        notes.append(t("web.no_data", lang))
    hints = [t("web.institutions.hint", lang), t("web.export_hint", lang), t("web.few_works", lang)]
    heading = t("web.institutions.heading", lang, country=cname)
    return View(heading, findings, figures, [table], notes, hints)


def _findings(
    rows: list[dict[str, Any]], chosen: dict[str, Any] | None, scope: Scope, cname: str, lang: str
) -> list[str]:
    out: list[str] = []
    if rows:
        both = [r for r in rows if r["kpi_intl_ok"] and r["kpi_foreign_ok"]]
        out.append(
            t(
                "web.institutions.finding_kpi",
                lang,
                country=cname,
                years=years_text(scope, lang),
                n=len(rows),
                k=len(both),
                intl=KPI_INTL * 100,
                foreign=KPI_FOREIGN * 100,
            )
        )
        wpi = [r for r in rows if r["is_wpi"]]
        if wpi:
            wpi_both = [r for r in wpi if r["kpi_intl_ok"] and r["kpi_foreign_ok"]]
            out.append(t("web.institutions.finding_wpi", lang, n=len(wpi), k=len(wpi_both)))
    if chosen is not None:

        def at(c: str) -> str:
            p = chosen[f"{c}_pct"]
            if p is None:
                return pct(chosen[c])
            return t("web.institutions.value_pct", lang, value=pct(chosen[c]), pct=percentile_text(p))

        out.append(
            t(
                "web.institutions.finding_profile",
                lang,
                name=chosen["name"] or chosen["institution_id"],
                works=chosen["works"],
                intl=at("pp_intl"),
                foreign=at("foreign_origin_share"),
                top10=at("pp_top10"),
                tin=chosen["transfers_in"],
                tout=chosen["transfers_out"],
            )
        )
    return out
