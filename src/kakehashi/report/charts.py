"""The report's charts: Altair specifications rendered to SVG by vl-convert.

The SVG keeps its text as text in the CJK font (Noto Sans CJK JP, registered
with vl-convert for measuring), so the browser or WeasyPrint draws Japanese
labels with the same font as the body and the PDF can be searched. Each
chart's element ids are prefixed so several SVGs can live in one HTML page.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from kakehashi.i18n import country_name, t
from kakehashi.indicators.network import NetworkMap, network_map
from kakehashi.report.figures import Figures
from kakehashi.report.findings import span_words
from kakehashi.report.fonts import FONT_FAMILY, cjk_font

__all__ = ["captions", "charts"]

FOCUS_COLOUR = "#c0392b"
OTHER_COLOUR = "#7f8c8d"
SCOPE_COLOURS = ("#1f5fa8", "#e08e0b")
PALETTE = ("#1f5fa8", "#e08e0b", "#2e8b57", "#8e44ad", "#16a085", "#7f6a00", "#34495e", "#d35400")
WIDTH = 440


@functools.cache
def _vlc() -> Any:
    import vl_convert as vlc

    font = cjk_font()
    if font is not None:
        vlc.register_font_directory(str(font.parent))
    return vlc


def _svg(chart: Any, ident: str) -> str:
    """Render an Altair chart to SVG with ids made unique by ``ident``."""
    spec = chart.configure(font=FONT_FAMILY).configure_view(stroke=None).to_dict()
    svg: str = _vlc().vegalite_to_svg(spec)
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    for i in sorted(ids, key=len, reverse=True):
        svg = re.sub(rf'(\bid="|url\(#|href="#){re.escape(i)}(["\)])', rf"\g<1>{ident}-{i}\g<2>", svg)
    # Inline in HTML the namespace declarations are implied; drop them so the page names no URL.
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)


def _trend(f: Figures, lang: str) -> Any:
    import altair as alt

    rows = [
        {
            "country": country_name(r["country"], lang),
            "year": r["year"],
            "rate": (r["pp_intl"] or 0) * 100,
            "focus": r["country"] == f.country,
        }
        for r in f.trend.rows
    ]
    order = [country_name(r["country"], lang) for r in f.headline.rows]
    others = iter(PALETTE)
    colours = [
        FOCUS_COLOUR if r["country"] == f.country else next(others, OTHER_COLOUR) for r in f.headline.rows
    ]
    return (
        alt.Chart(alt.Data(values=rows), title=t("report.chart.trend", lang), width=WIDTH, height=240)
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("year:O", title=t("report.chart.axis_year", lang), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("rate:Q", title=t("report.chart.axis_rate", lang)),
            color=alt.Color(
                "country:N",
                sort=order,
                scale=alt.Scale(domain=order, range=colours),
                title=t("report.chart.legend_country", lang),
            ),
            strokeWidth=alt.condition("datum.focus", alt.value(3.5), alt.value(1.5)),
        )
    )


def _growth(f: Figures, lang: str) -> Any:
    import altair as alt

    h = f.headline
    rows = [
        {
            "country": country_name(r["country"], lang),
            "cagr": r["cagr_intl"] * 100,
            "focus": r["country"] == f.country,
        }
        for r in h.rows
        if r["cagr_intl"] is not None
    ]
    title = t("report.chart.growth", lang, year_from=h.year_from, year_to=h.year_to)
    base = alt.Chart(alt.Data(values=rows), title=title, width=WIDTH, height=24 * max(len(rows), 1))
    bars = base.mark_bar().encode(
        x=alt.X("cagr:Q", title=t("report.chart.axis_cagr", lang)),
        y=alt.Y("country:N", sort="-x", title=None),
        color=alt.condition("datum.focus", alt.value(FOCUS_COLOUR), alt.value(OTHER_COLOUR)),
    )
    labels = base.mark_text(align="left", dx=3).encode(
        x="cagr:Q", y=alt.Y("country:N", sort="-x"), text=alt.Text("cagr:Q", format=".1f")
    )
    return bars + labels


def _partners(f: Figures, lang: str) -> Any:
    import altair as alt

    rows = [{"partner": country_name(r["partner"], lang), "n_ab": r["n_ab"]} for r in f.partners.rows]
    y0, y1 = f.years
    title = t(
        "report.chart.partners",
        lang,
        country=country_name(f.country, lang),
        k=len(rows),
        year_from=y0,
        year_to=y1,
    )
    base = alt.Chart(alt.Data(values=rows), title=title, width=WIDTH, height=22 * max(len(rows), 1))
    bars = base.mark_bar(color=SCOPE_COLOURS[0]).encode(
        x=alt.X("n_ab:Q", title=t("report.chart.axis_n_ab", lang)),
        y=alt.Y("partner:N", sort="-x", title=None),
    )
    labels = base.mark_text(align="left", dx=3).encode(
        x="n_ab:Q", y=alt.Y("partner:N", sort="-x"), text=alt.Text("n_ab:Q", format=",.0f")
    )
    return bars + labels


def _quality(f: Figures, lang: str) -> Any:
    import altair as alt

    scopes = {s: t(f"value.scope.{s}", lang) for s in ("intl", "domestic")}
    rows = [
        {
            "country": country_name(r["country"], lang),
            "scope": scopes[r["scope"]],
            "pp": (r["pp_top10"] or 0) * 100,
            "lo": (r["pp_top10_lo"] if r["pp_top10_lo"] is not None else r["pp_top10"] or 0) * 100,
            "hi": (r["pp_top10_hi"] if r["pp_top10_hi"] is not None else r["pp_top10"] or 0) * 100,
        }
        for r in f.quality.rows
        if r["scope"] in scopes
    ]
    order = [country_name(c, lang) for c in f.compare]
    year = f.quality.scope.years[1] if f.quality.scope.years else f.years[1]
    title = alt.TitleParams(
        t("report.chart.quality", lang),
        subtitle=t("report.chart.quality_sub", lang, span=span_words(year, f.quality.scope.smooth, lang)),
    )
    colour = alt.Color(
        "scope:N",
        title=t("report.chart.legend_scope", lang),
        scale=alt.Scale(domain=list(scopes.values()), range=list(SCOPE_COLOURS)),
    )
    base = alt.Chart(alt.Data(values=rows), width=WIDTH, height=34 * max(len(order), 1))
    y = alt.Y("country:N", sort=order, title=None)
    offset = alt.YOffset("scope:N", sort=list(scopes.values()))
    rules = base.mark_rule(strokeWidth=1.5).encode(
        x=alt.X("lo:Q", title=t("report.chart.axis_pp_top10", lang)),
        x2="hi:Q",
        y=y,
        yOffset=offset,
        color=colour,
    )
    points = base.mark_point(filled=True, size=45).encode(x="pp:Q", y=y, yOffset=offset, color=colour)
    world = (
        alt.Chart(alt.Data(values=[{"x": 10.0, "label": t("report.chart.world_level", lang)}]))
        .mark_rule(strokeDash=[4, 3], color="#555")
        .encode(x="x:Q")
    )
    return alt.layer(world, rules, points, title=title)


def _map(f: Figures) -> NetworkMap:
    return network_map(f.network.rows, f.country)


def _community_names(m: NetworkMap, lang: str) -> list[str]:
    return [t("report.chart.community_n", lang, n=k + 1) for k in range(m.n_communities)]


def _network(f: Figures, lang: str) -> Any:
    """The co-authorship map as the Partners page draws it: same communities, same positions."""
    import altair as alt

    m = _map(f)
    order = _community_names(m, lang)
    pos = m.positions
    nodes = [
        {
            "label": country_name(c, lang),
            "x": pos[c][0],
            "y": pos[c][1],
            "p": m.sizes[c],
            "community": order[m.groups[c]],
            "focus": c == f.country,
        }
        for c in m.sizes
    ]
    links = [
        {
            "x": pos[r["a"]][0],
            "y": pos[r["a"]][1],
            "x2": pos[r["b"]][0],
            "y2": pos[r["b"]][1],
            "n_ab": r["n_ab"],
        }
        for r in sorted(f.network.rows, key=lambda r: r["n_ab"])  # the strongest drawn last, on top
    ]
    top = max((r["n_ab"] for r in links), default=1) or 1
    y0, y1 = f.years
    name = country_name(f.country, lang)
    title = alt.TitleParams(
        t("report.chart.network", lang, country=name, k=len(nodes) - 1, year_from=y0, year_to=y1),
        subtitle=t("report.chart.network_sub", lang, country=name),
    )
    scale = alt.Scale(domain=[-1.2, 1.2], nice=False, zero=False)
    x = alt.X("x:Q", scale=scale, axis=None)
    y = alt.Y("y:Q", scale=scale, axis=None)
    lines = (
        alt.Chart(alt.Data(values=links))
        .mark_rule(color="#777")
        .encode(
            x=x,
            y=y,
            x2="x2:Q",
            y2="y2:Q",
            opacity=alt.Opacity("n_ab:Q", scale=alt.Scale(domain=[0, top], range=[0.08, 0.7]), legend=None),
            strokeWidth=alt.StrokeWidth(
                "n_ab:Q",
                scale=alt.Scale(domain=[0, top], range=[0.5, 6]),
                title=t("report.chart.axis_n_ab", lang),
                legend=alt.Legend(format=",~r"),
            ),
        )
    )
    circles = (
        alt.Chart(alt.Data(values=nodes))
        .mark_circle(opacity=0.9)
        .encode(
            x=x,
            y=y,
            size=alt.Size(
                "p:Q",
                scale=alt.Scale(range=[30, 1400]),
                title=t("report.chart.legend_papers", lang),
                legend=alt.Legend(format=",~r"),
            ),
            color=alt.Color(
                "community:N",
                sort=order,
                scale=alt.Scale(domain=order, scheme="tableau10"),
                title=t("report.chart.legend_community", lang),
            ),
            stroke=alt.condition("datum.focus", alt.value("#222"), alt.value("#fff")),
            strokeWidth=alt.condition("datum.focus", alt.value(2.5), alt.value(0.8)),
        )
    )
    labels = (
        alt.Chart(alt.Data(values=nodes))
        .mark_text(fontSize=9, dy=-2, baseline="middle")
        .encode(x=x, y=y, text="label:N")
    )
    return alt.layer(lines, circles, labels, title=title).properties(width=WIDTH, height=WIDTH)


def charts(f: Figures, lang: str) -> dict[str, str]:
    """The report's charts as inline SVG strings, by name."""
    out = {}
    makers = {
        "trend": _trend,
        "growth": _growth,
        "partners": _partners,
        "network": _network,
        "quality": _quality,
    }
    for name, make in makers.items():
        if name == "partners" and not f.partners.rows:
            continue
        if name == "network" and not f.network.rows:
            continue
        out[name] = _svg(make(f, lang), f"k{name}")
    return out


def captions(f: Figures, lang: str) -> dict[str, list[str]]:
    """The words under a chart beyond its provenance, by chart name: the map's method and communities."""
    if not f.network.rows:
        return {}
    m = _map(f)
    sep = t("report.list_sep", lang)
    members = [
        t(
            "report.chart.network_members",
            lang,
            community=label,
            members=sep.join(country_name(c, lang) for c in m.members(k)),
        )
        for k, label in enumerate(_community_names(m, lang))
    ]
    name = country_name(f.country, lang)
    return {"network": [t("report.chart.network_caption", lang, country=name), *members]}
