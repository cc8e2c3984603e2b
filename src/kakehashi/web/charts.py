"""Vega-Lite specs for the dashboard, built in Python and drawn in the browser.

Each spec carries its data inline, a title with units, pale marks for cells
resting on fewer than :data:`FEW_WORKS` works (field ``few``), shaded recent
years whose citations are still accruing (field ``recent``), and in
``usermeta.works`` how a click on a mark becomes the works behind it: which
datum fields become which query parameters of ``/works`` (``fields``) and
which parameters are fixed (``fixed``). ``static/app.js`` reads that.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["FEW_WORKS", "FONT", "bars", "base", "lines", "network", "scatter", "stacked_bars", "year_bars"]

#: cells resting on fewer works than this are marked (DESIGN.md, issue 5)
FEW_WORKS = 30

FONT = "Noto Sans CJK JP, Noto Sans JP, sans-serif"
FOCUS = "#b03a2e"
OTHER = "#5d7a99"


def base(
    title: str,
    rows: list[dict[str, Any]],
    works: dict[str, Any] | None = None,
    *,
    height: int = 280,
    label_limit: int = 220,
) -> dict[str, Any]:
    """The frame every spec shares: title, full width, inline ``rows``, the CJK font, ``usermeta``.

    For charts none of the builders here draw (the Institutions page's layered
    ones), so every chart of the dashboard looks alike.
    """
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {"text": title, "anchor": "start", "fontSize": 14, "limit": 900},
        "width": "container",
        "height": height,
        "data": {"values": rows},
        "config": {
            "font": FONT,
            "axis": {"labelFont": FONT, "titleFont": FONT, "labelLimit": label_limit},
            "legend": {"labelFont": FONT, "titleFont": FONT},
            "title": {"font": FONT},
            "view": {"stroke": None},
        },
        "usermeta": {"works": works or {}},
    }


def _opacity() -> dict[str, Any]:
    return {"condition": {"test": "datum.few", "value": 0.35}, "value": 1}


def _value_axis(fmt: str, values: list[float] | None = None) -> dict[str, Any]:
    """A value axis; counts (format ``,d``) over a short span tick at whole numbers only.

    (Vega-Lite's ``tickMinStep`` does not reach the compiled axis, so the tick
    count is the span itself when that is small.)
    """
    axis: dict[str, Any] = {"format": fmt}
    if fmt.endswith("d") and values:
        span = max(0.0, *values) - min(0.0, *values)
        if span < 10:
            axis["tickCount"] = max(1, int(span))
    return axis


def _year_axes(
    rows: list[dict[str, Any]], value: str, value_title: str, year_title: str, fmt: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Years along x (upright labels), ``value`` up y in ``fmt`` (whole ticks for small counts)."""
    x = {"field": "year", "type": "ordinal", "title": year_title, "axis": {"labelAngle": 0}}
    vals = [r[value] for r in rows if r.get(value) is not None]
    return x, {"field": value, "type": "quantitative", "title": value_title, "axis": _value_axis(fmt, vals)}


def _mark(kind: str, works: dict[str, Any] | None, **kw: Any) -> dict[str, Any]:
    """A mark, with the pointer cursor only where a click opens the works behind it."""
    return {"type": kind, **({"cursor": "pointer"} if works else {}), **kw}


def bars(
    title: str,
    rows: list[dict[str, Any]],
    *,
    category: str,
    category_title: str,
    value: str,
    value_title: str,
    percent: bool = False,
    focus: tuple[str, str] | None = None,
    text: str | None = None,
    tooltip: list[dict[str, Any]] | None = None,
    works: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Horizontal bars of ``value`` per ``category``, longest first; ``focus`` = (field, value) in red."""
    spec = base(title, rows, works)
    spec["height"] = max(120, 24 * len(rows))
    fmt = ".1%" if percent else ",.1~f"
    enc: dict[str, Any] = {
        "y": {"field": category, "type": "nominal", "sort": "-x", "title": category_title},
        "x": {"field": value, "type": "quantitative", "title": value_title, "axis": {"format": fmt}},
        "opacity": _opacity(),
        "tooltip": tooltip or [{"field": category, "title": category_title}, {"field": value, "format": fmt}],
        "color": {"value": OTHER},
    }
    if focus is not None:
        enc["color"] = {
            "condition": {"test": f"datum[{focus[0]!r}] === {focus[1]!r}", "value": FOCUS},
            "value": OTHER,
        }
    layers: list[dict[str, Any]] = [{"mark": _mark("bar", works), "encoding": enc}]
    if text is not None:
        layers.append(
            {
                "mark": {"type": "text", "align": "left", "dx": 4, "font": FONT},
                "encoding": {
                    "y": enc["y"],
                    "x": enc["x"],
                    "text": {"field": text},
                },
            }
        )
    spec["layer"] = layers
    return spec


def lines(
    title: str,
    rows: list[dict[str, Any]],
    *,
    value: str,
    value_title: str,
    series: str,
    series_title: str,
    year_title: str,
    band: tuple[str, str] | None = None,
    percent: bool = False,
    recent_from: int | None = None,
    works: dict[str, Any] | None = None,
    value_format: str | None = None,
    series_order: list[str] | None = None,
) -> dict[str, Any]:
    """Lines over ``year`` per ``series``, with points to click and an optional interval band."""
    spec = base(title, rows, works)
    fmt = value_format or (".1%" if percent else ",.2~f")
    color: dict[str, Any] = {"field": series, "type": "nominal", "title": series_title}
    if series_order is not None:
        color["sort"] = series_order
        color["scale"] = {"domain": series_order}
    x, y = _year_axes(rows, value, value_title, year_title, fmt)
    layers: list[dict[str, Any]] = []
    if recent_from is not None:
        layers.append(
            {
                "transform": [{"filter": "datum.recent"}],
                "mark": {"type": "rect", "color": "#f3e5ab", "opacity": 0.5},
                "encoding": {"x": x},
            }
        )
    if band is not None:
        layers.append(
            {
                "mark": {"type": "errorband", "opacity": 0.2},
                "encoding": {
                    "x": x,
                    "y": {"field": band[0], "type": "quantitative", "title": value_title},
                    "y2": {"field": band[1]},
                    "color": color,
                },
            }
        )
    layers.append({"mark": {"type": "line"}, "encoding": {"x": x, "y": y, "color": color}})
    tips = [
        {"field": series, "title": series_title},
        {"field": "year", "title": year_title},
        {"field": value, "title": value_title, "format": fmt},
    ]
    if band is not None:
        tips += [{"field": band[0], "format": fmt}, {"field": band[1], "format": fmt}]
    layers.append(
        {
            "mark": _mark("point", works, filled=True, size=60),
            "encoding": {"x": x, "y": y, "color": color, "opacity": _opacity(), "tooltip": tips},
        }
    )
    spec["layer"] = layers
    return spec


def scatter(
    title: str,
    rows: list[dict[str, Any]],
    *,
    x: str,
    x_title: str,
    y: str,
    y_title: str,
    size: str,
    size_title: str,
    label: str,
    y_percent: bool = False,
    works: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Points at (x, y) sized by ``size``, labelled by ``label``."""
    spec = base(title, rows, works)
    spec["height"] = 340
    yfmt = ".1%" if y_percent else ",.2~f"
    enc = {
        "x": {"field": x, "type": "quantitative", "title": x_title, "scale": {"zero": False}},
        "y": {"field": y, "type": "quantitative", "title": y_title, "axis": {"format": yfmt}},
    }
    spec["layer"] = [
        {
            "mark": _mark("circle", works, color=OTHER),
            "encoding": {
                **enc,
                "size": {"field": size, "type": "quantitative", "title": size_title},
                "opacity": _opacity(),
                "tooltip": [
                    {"field": label},
                    {"field": x, "title": x_title, "format": ",.2f"},
                    {"field": y, "title": y_title, "format": yfmt},
                    {"field": size, "title": size_title, "format": ","},
                ],
            },
        },
        {
            "mark": {"type": "text", "dy": -10, "fontSize": 10, "font": FONT},
            "encoding": {**enc, "text": {"field": label}},
        },
    ]
    return spec


def stacked_bars(
    title: str,
    rows: list[dict[str, Any]],
    *,
    category: str,
    category_title: str,
    value: str,
    value_title: str,
    color: str,
    color_title: str,
    color_order: list[str],
    colors: list[str] | None = None,
    category_order: list[str] | None = None,
    normalize: bool = False,
    works: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Horizontal bars of ``value`` per ``category``, stacked by ``color`` in ``color_order``.

    Longest first unless ``category_order`` is given; ``normalize`` stacks to
    100 % (shares of each category's total).
    """
    spec = base(title, rows, works)
    spec["height"] = max(120, 26 * len({r[category] for r in rows}))
    fmt = ".0%" if normalize else ",d"
    totals: dict[Any, float] = {}
    for r in rows:
        totals[r[category]] = totals.get(r[category], 0) + (r[value] or 0)
    spec["transform"] = [
        {"calculate": f"indexof({json.dumps(color_order)}, datum[{json.dumps(color)}])", "as": "_order"},
    ]
    enc: dict[str, Any] = {
        "y": {
            "field": category,
            "type": "nominal",
            "sort": category_order if category_order is not None else "-x",
            "title": category_title,
        },
        "x": {
            "field": value,
            "type": "quantitative",
            "title": value_title,
            "stack": "normalize" if normalize else "zero",
            "axis": _value_axis(fmt, list(totals.values())),
        },
        "color": {
            "field": color,
            "type": "nominal",
            "title": color_title,
            "sort": color_order,
            "scale": {"domain": color_order, **({"range": colors} if colors else {})},
            "legend": {"orient": "bottom", "direction": "horizontal"},
        },
        "order": {"field": "_order", "type": "quantitative"},
        "opacity": _opacity(),
        "tooltip": [
            {"field": category, "title": category_title},
            {"field": color, "title": color_title},
            {"field": value, "title": value_title, "format": ",d"},
        ],
    }
    spec["layer"] = [{"mark": _mark("bar", works), "encoding": enc}]
    return spec


def year_bars(
    title: str,
    rows: list[dict[str, Any]],
    *,
    value: str,
    value_title: str,
    year_title: str,
    works: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Vertical bars of ``value`` per ``year``: above zero in blue, below in red (net flows)."""
    spec = base(title, rows, works)
    x, y = _year_axes(rows, value, value_title, year_title, ",d")
    spec["layer"] = [
        {
            "mark": _mark("bar", works),
            "encoding": {
                "x": x,
                "y": y,
                "color": {"condition": {"test": f"datum[{value!r}] < 0", "value": FOCUS}, "value": OTHER},
                "opacity": _opacity(),
                "tooltip": [{"field": "year", "title": year_title}, {"field": value, "title": value_title}],
            },
        },
        {"mark": {"type": "rule", "color": "#888"}, "encoding": {"y": {"datum": 0}}},
    ]
    return spec


def network(
    title: str,
    nodes: list[dict[str, Any]],
    links: list[dict[str, Any]],
    *,
    size_title: str,
    link_title: str,
    pair_title: str,
    strength_title: str,
    community_title: str,
    community_order: list[str],
    subtitle: str = "",
    works: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A co-authorship map, as VOSviewer draws one: circles at (x, y), links as lines between them.

    ``nodes``: ``name, x, y, p`` (circle area), ``community`` (colour, in
    ``community_order``), ``focus`` (outlined); ``links``: ``x, y, x2, y2``,
    ``n_ab`` (opacity and width) and ``assoc_strength`` (tooltip), plus the
    fields ``works`` turns into the query of the works behind a link. The
    positions come laid out in [−1, 1]²; the axes are hidden.
    """
    spec = base(title, [], works)
    del spec["data"]
    spec["title"]["subtitle"] = subtitle
    spec["config"]["legend"] = {**spec["config"]["legend"], "titleLimit": 320}
    spec["height"] = 560
    scale = {"domain": [-1.2, 1.2], "nice": False, "zero": False}
    x = {"field": "x", "type": "quantitative", "scale": scale, "axis": None}
    y = {"field": "y", "type": "quantitative", "scale": scale, "axis": None}
    top = max((r["n_ab"] for r in links), default=1) or 1
    link_enc = {
        "x": x,
        "y": y,
        "x2": {"field": "x2"},
        "y2": {"field": "y2"},
        "opacity": {
            "field": "n_ab",
            "type": "quantitative",
            "scale": {"domain": [0, top], "range": [0.08, 0.7]},
            "legend": None,
        },
        "strokeWidth": {
            "field": "n_ab",
            "type": "quantitative",
            "title": link_title,
            "scale": {"domain": [0, top], "range": [0.5, 7]},
            "legend": {"format": ",~r"},
        },
        "tooltip": [
            {"field": "pair", "title": pair_title},
            {"field": "n_ab", "title": link_title, "format": ",.1~f"},
            {"field": "assoc_strength", "title": strength_title, "format": ",.2f"},
        ],
    }
    color = {
        "field": "community",
        "type": "nominal",
        "title": community_title,
        "sort": community_order,
        "scale": {"domain": community_order, "scheme": "tableau10"},
    }
    node_enc = {
        "x": x,
        "y": y,
        "size": {
            "field": "p",
            "type": "quantitative",
            "title": size_title,
            "scale": {"range": [40, 2200]},
            "legend": {"format": ",~r"},
        },
        "color": color,
        "stroke": {"condition": {"test": "datum.focus", "value": "#222"}, "value": "#fff"},
        "strokeWidth": {"condition": {"test": "datum.focus", "value": 3}, "value": 1},
        "tooltip": [
            {"field": "name"},
            {"field": "p", "title": size_title, "format": ","},
            {"field": "community", "title": community_title},
        ],
    }
    spec["layer"] = [
        {"data": {"values": links}, "mark": _mark("rule", works, color="#777"), "encoding": link_enc},
        {"data": {"values": nodes}, "mark": {"type": "circle", "opacity": 0.9}, "encoding": node_enc},
        {
            "data": {"values": nodes},
            "mark": {"type": "text", "fontSize": 11, "font": FONT, "dy": -2, "baseline": "middle"},
            "encoding": {"x": x, "y": y, "text": {"field": "label"}},
        },
    ]
    return spec
