"""The Brain circulation page (国際頭脳循環): flows, net flow, origin–destination, stages, classes.

Strategy items M-1 (outbound: fellowship-type stays and transfers, where
researchers go), M-2 (inbound), D-1 (rates per active author, the actual
state behind numerical targets) and D-5 (by career stage). Every figure is a
cached ``mobility-flows``, ``mobility-od`` or ``mobility-classes`` result, the
one the API serves for the parameters in the figure's download links.

Mobility cells count authors (author ids), not works. A mark that is a set
of people opens ``/works`` of its cell (:class:`~kakehashi.indicators.works.Cell`):
the flows and rates over time, the origin–destination and career-stage bars
a move cell (``move_kind`` transfer, visit or return, ``move_from``,
``move_to``, ``stage``) — the papers, in the move's year, of the authors
counted in it (for a rate, its numerator's) —, the classes a class cell
(``mobility_class`` with the origin as ``country``) — the papers, in the
years, of the authors of that class. Net flow is a difference of two sets,
not a set, and opens nothing (its note says so; the two sets open from the
flows chart). Cells resting on fewer than
:data:`~kakehashi.web.charts.FEW_WORKS` authors are drawn pale.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

from kakehashi.i18n import country_name, t
from kakehashi.indicators import Scope
from kakehashi.indicators.careers import STAGES
from kakehashi.indicators.mobility import CLASSES
from kakehashi.strategy.headline import MAJOR_COUNTRIES
from kakehashi.web import charts
from kakehashi.web.api import indicator_result
from kakehashi.web.figures import Figure, Table, api_query, figure, footer
from kakehashi.web.service import Service
from kakehashi.web.views import View, years_text

__all__ = ["mobility"]

#: partner countries shown in the origin–destination charts
TOP_OD = 15
#: the counts of mobility-flows drawn over time, in this order
FLOWS = ("transfers_in", "transfers_out", "returns", "visits_out", "visits_in")
#: the rates drawn over time
RATES = (*(f"{c}_rate" for c in FLOWS), "net_flow_rate")
#: classes from staying put to leaving (legend and stacking order)
CLASS_ORDER = ("non_mobile", "traveller", "returnee", "migrant")
KIND_COLORS = ["#5d7a99", "#e0a030"]
STAGE_COLORS = ["#8fbf6a", "#3f8f9f", "#3b4a7a"]
CLASS_COLORS = ["#c9d3de", "#8fb0c8", "#e0a030", "#b03a2e"]
FEW = charts.FEW_WORKS

assert set(CLASS_ORDER) == set(CLASSES)


def _ja_unit(lang: str) -> str:
    return "（人）" if lang == "ja" else " (authors)"


def _stage_words(scope: Scope, lang: str) -> str:
    if scope.stage is None:
        return t("web.mobility.all_stages", lang)
    return t(f"value.stage.{scope.stage}", lang)


def _fig(
    ident: str,
    title: str,
    spec: dict[str, Any],
    name: str,
    scope: Scope,
    res: Any,
    lang: str,
    notes: list[str],
) -> Figure:
    return figure(
        ident, title, spec, indicator=name, scope=scope, result=res, lang=lang, notes=notes, mobility=True
    )


#: per flow, the move cell of its authors (net flow: none, it is not a set of people)
_FLOW_MOVES: dict[str, tuple[str, str]] = {
    "transfers_in": ("transfer", "move_to"),
    "transfers_out": ("transfer", "move_from"),
    "returns": ("return", "move_to"),
    "visits_out": ("visit", "move_from"),
    "visits_in": ("visit", "move_to"),
}
_MOVE_FIELDS = {"move_kind": "move_kind", "move_from": "move_from", "move_to": "move_to"}


def _works(scope: Scope, lang: str, need: str = "move_kind", **fields: str) -> dict[str, Any]:
    """A chart's click-through to the works of a move cell, or with ``need="mobility_class"`` a class cell.

    ``fields`` map further query parameters to datum fields; a mark without
    the ``need`` field opens nothing.
    """
    fixed: dict[str, Any] = {"visit_years": scope.visit_max_years, "lang": lang}
    if scope.years is not None:
        fixed["years"] = f"{scope.years[0]}-{scope.years[1]}"
    if scope.stage is not None:
        fixed["stage"] = scope.stage
    if scope.careers != "works":
        fixed["careers"] = scope.careers
    base = _MOVE_FIELDS if need == "move_kind" else {need: need}
    return {"fields": {**base, **fields}, "fixed": fixed, "need": need}


def _move(measure: str, country: str) -> dict[str, str | None]:
    """The move cell of a flow (``transfers_in``, …, or its ``_rate``) of ``country``."""
    measure = measure.removesuffix("_rate")
    if measure not in _FLOW_MOVES:
        return {"move_kind": None}
    kind, end = _FLOW_MOVES[measure]
    return {"move_kind": kind, end: country}


def mobility(svc: Service, scope: Scope, lang: str) -> View:
    """Brain circulation of the chosen country: flows and rates, net flow, partners, stages, classes."""
    country = scope.country or "JP"
    scope = dataclasses.replace(scope, country=country)
    cname = country_name(country, lang)
    years = years_text(scope, lang)
    stage = _stage_words(scope, lang)
    words = {"country": cname, "years": years, "stage": stage}
    label_year = t("column.year", lang)
    figures: list[Figure] = []

    # -- flows over time, rates per active author, net flow ------------------------------------
    res = indicator_result(svc, "mobility-flows", scope)
    flows = sorted((r for r in res.table.to_pylist() if r["country"] == country), key=lambda r: r["year"])
    order = [t(f"column.{c}", lang) for c in FLOWS]
    rows = [
        {
            "year": r["year"],
            "measure": t(f"column.{c}", lang),
            "n": r[c],
            "few": r[c] < FEW,
            **_move(c, country),
        }
        for r in flows
        for c in FLOWS
    ]
    title = t("web.mobility.chart_flows", lang, **words)
    spec = charts.lines(
        title,
        rows,
        value="n",
        value_title=t("web.mobility.authors", lang),
        series="measure",
        series_title=t("web.mobility.measure", lang),
        year_title=label_year,
        value_format=",d",
        series_order=order,
        works=_works(scope, lang, year="year"),
    )
    notes = [t("web.mobility.flows_works", lang)]
    figures.append(_fig("mobility_flows", title, spec, "mobility-flows", scope, res, lang, notes))

    rate_rows = [
        {
            "year": r["year"],
            "measure": t(f"column.{c}", lang),
            "rate": r[c],
            "few": abs(r[c.removesuffix("_rate")]) < FEW,
            **_move(c, country),
        }
        for r in flows
        for c in RATES
        if r[c] is not None
    ]
    title = t("web.mobility.chart_rates", lang, **words)
    spec = charts.lines(
        title,
        rate_rows,
        value="rate",
        value_title=t("web.mobility.rate", lang),
        series="measure",
        series_title=t("web.mobility.measure", lang),
        year_title=label_year,
        percent=True,
        value_format=".2%",
        series_order=[t(f"column.{c}", lang) for c in RATES],
        works=_works(scope, lang, year="year"),
    )
    notes = [t("web.mobility.rate_note", lang), t("web.mobility.rates_works", lang)]
    figures.append(_fig("mobility_rates", title, spec, "mobility-flows", scope, res, lang, notes))

    net_rows = [
        {"year": r["year"], "net_flow": r["net_flow"], "few": r["transfers_in"] + r["transfers_out"] < FEW}
        for r in flows
    ]
    title = t("web.mobility.chart_net", lang, **words)
    spec = charts.year_bars(
        title,
        net_rows,
        value="net_flow",
        value_title=t("column.net_flow", lang) + _ja_unit(lang),
        year_title=label_year,
    )
    notes = [t("web.mobility.net_note", lang), t("web.mobility.net_works", lang)]
    figures.append(_fig("mobility_net", title, spec, "mobility-flows", scope, res, lang, notes))

    # -- origin–destination: one result over every stage serves the stage chart too ------------
    od_scope = dataclasses.replace(scope, stage=None)
    res_od = indicator_result(svc, "mobility-od", od_scope)
    od = res_od.table.to_pylist()
    picked = [r for r in od if scope.stage is None or r["stage"] == scope.stage]
    kinds = [t(f"value.kind.{k}", lang) for k in ("transfer", "visit")]
    tops: dict[str, tuple[str, int] | None] = {}
    for direction, here, there in (("out", "from", "to"), ("in", "to", "from")):
        per: dict[tuple[str, str], int] = defaultdict(int)
        for r in picked:
            if r[here] == country and r[there] != country:
                per[(r[there], r["kind"])] += r["n"]
        total: dict[str, int] = defaultdict(int)
        for (partner, _), n in per.items():
            total[partner] += n
        best = sorted(total, key=lambda c: (-total[c], c))[:TOP_OD]
        tr = {c: per.get((c, "transfer"), 0) for c in best}
        top_tr = max(tr, key=lambda c: (tr[c], c), default=None)
        tops[direction] = (top_tr, tr[top_tr]) if top_tr is not None and tr[top_tr] > 0 else None
        od_rows = [
            {
                "partner": c,
                "name": f"{country_name(c, lang)} ({c})",
                "kind": kind,
                "kind_label": t(f"value.kind.{kind}", lang),
                "n": per[(c, kind)],
                "few": per[(c, kind)] < FEW,
                "move_kind": kind,
                f"move_{here}": country,
                f"move_{there}": c,
            }
            for c in best
            for kind in ("transfer", "visit")
            if per.get((c, kind))
        ]
        title = t(f"web.mobility.chart_od_{direction}", lang, n=len(best), **words)
        spec = charts.stacked_bars(
            title,
            od_rows,
            category="name",
            category_title=t(f"column.{there}", lang),
            value="n",
            value_title=t("web.mobility.authors", lang),
            color="kind_label",
            color_title=t("column.kind", lang),
            color_order=kinds,
            colors=KIND_COLORS,
            category_order=[f"{country_name(c, lang)} ({c})" for c in best],
            works=_works(scope, lang),
        )
        notes = [t("web.mobility.od_note", lang), t("web.mobility.od_works", lang)]
        figures.append(
            _fig(f"mobility_od_{direction}", title, spec, "mobility-od", scope, res_od, lang, notes)
        )

    stage_labels = [t(f"value.stage.{s}", lang) for s in STAGES]
    cats = {
        ("transfer", "from"): t("column.transfers_out", lang),
        ("transfer", "to"): t("column.transfers_in", lang),
        ("visit", "from"): t("column.visits_out", lang),
        ("visit", "to"): t("column.visits_in", lang),
    }
    cat_moves = {cat: (kind, end) for (kind, end), cat in cats.items()}
    per_stage: dict[tuple[str, str], int] = defaultdict(int)
    for r in od:
        if r["from"] == r["to"]:
            continue
        for end in ("from", "to"):
            if r[end] == country:
                per_stage[(cats[(r["kind"], end)], r["stage"])] += r["n"]
    stage_rows = [
        {
            "direction": cat,
            "stage": s,
            "stage_label": t(f"value.stage.{s}", lang),
            "n": per_stage[(cat, s)],
            "few": per_stage[(cat, s)] < FEW,
            "move_kind": cat_moves[cat][0],
            f"move_{cat_moves[cat][1]}": country,
        }
        for cat in cats.values()
        for s in STAGES
        if per_stage.get((cat, s))
    ]
    title = t("web.mobility.chart_stage", lang, country=cname, years=years)
    spec = charts.stacked_bars(
        title,
        stage_rows,
        category="direction",
        category_title=t("web.mobility.measure", lang),
        value="n",
        value_title=t("web.mobility.authors", lang),
        color="stage_label",
        color_title=t("column.stage", lang),
        color_order=stage_labels,
        colors=STAGE_COLORS,
        category_order=list(cats.values()),
        works=_works(od_scope, lang, stage="stage"),
    )
    notes = [t("web.mobility.stage_note", lang), t("web.mobility.stage_works", lang)]
    figures.append(_fig("mobility_stage", title, spec, "mobility-od", od_scope, res_od, lang, notes))

    # -- Robinson-Garcia classes: the chosen origin country against the major countries --------
    cls_scope = dataclasses.replace(scope, country=None)
    res_c = indicator_result(svc, "mobility-classes", cls_scope)
    codes = list(dict.fromkeys([country, *MAJOR_COUNTRIES]))
    by_country: dict[str, dict[str, int]] = defaultdict(dict)
    for r in res_c.table.to_pylist():
        if r["country"] in codes:
            by_country[r["country"]][r["class"]] = r["n"]
    class_labels = [t(f"value.class.{c}", lang) for c in CLASS_ORDER]
    names = [f"{country_name(c, lang)} ({c})" for c in codes if c in by_country]
    cls_rows = [
        {
            "country": c,
            "name": f"{country_name(c, lang)} ({c})",
            "class": k,
            "class_label": t(f"value.class.{k}", lang),
            "n": n,
            "few": n < FEW,
        }
        for c in codes
        for k in CLASS_ORDER
        if (n := by_country.get(c, {}).get(k, 0))
    ]
    title = t("web.mobility.chart_classes", lang, **words)
    spec = charts.stacked_bars(
        title,
        cls_rows,
        category="name",
        category_title=t("term.origin_country", lang),
        value="n",
        value_title=t("web.mobility.share", lang),
        color="class_label",
        color_title=t("column.class", lang),
        color_order=class_labels,
        colors=CLASS_COLORS,
        category_order=names,
        normalize=True,
        works=_works(cls_scope, lang, need="mobility_class", country="country", mobility_class="class"),
    )
    notes = [t("web.mobility.classes_note", lang), t("web.mobility.classes_works", lang)]
    figures.append(_fig("mobility_classes", title, spec, "mobility-classes", cls_scope, res_c, lang, notes))

    # -- findings and the table per year ------------------------------------------------------
    findings = _findings(flows, tops, by_country.get(country, {}), scope, cname, lang)
    cols = [*FLOWS, "net_flow", "stayers", "active_authors"]
    table = Table(
        t("web.mobility.table", lang, **words),
        [label_year, *(t(f"column.{c}", lang) for c in cols)],
        [[str(r["year"]), *(f"{r[c]:+,}" if c == "net_flow" else f"{r[c]:,}" for c in cols)] for r in flows],
        footer(res, api_query(scope, lang, mobility=True), lang),
    )
    source = t(f"web.mobility.careers_{scope.careers.replace('-', '_')}", lang)
    page_notes = [t("web.mobility.method_note", lang, source=source, visit=scope.visit_max_years)]
    if not flows:
        page_notes.append(t("web.no_data", lang))
    hints = [t("web.mobility.hint", lang), t("web.export_hint", lang)]
    return View(t("web.mobility.heading", lang, country=cname), findings, figures, [table], page_notes, hints)


def _findings(
    flows: list[dict[str, Any]],
    tops: dict[str, tuple[str, int] | None],
    classes: dict[str, int],
    scope: Scope,
    cname: str,
    lang: str,
) -> list[str]:
    out: list[str] = []
    assert scope.years is not None
    if flows:
        out.append(
            t(
                "report.finding.mobility",
                lang,
                year_from=scope.years[0],
                year_to=scope.years[1],
                country=cname,
                inflow=sum(r["transfers_in"] for r in flows),
                outflow=sum(r["transfers_out"] for r in flows),
                net=sum(r["net_flow"] for r in flows),
                returns=sum(r["returns"] for r in flows),
            )
        )
    for direction in ("out", "in"):
        top = tops.get(direction)
        if top is not None:
            partner = country_name(top[0], lang)
            out.append(
                t(f"web.mobility.finding_top_{direction}", lang, country=cname, partner=partner, n=top[1])
            )
    total = sum(classes.values())
    if total:
        out.append(
            t(
                "web.mobility.finding_classes",
                lang,
                country=cname,
                total=total,
                **{k: 100 * classes.get(k, 0) / total for k in CLASS_ORDER},
            )
        )
    return out
