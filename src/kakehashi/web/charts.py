"""Vega-Lite specs for the dashboard, built in Python and drawn in the browser.

Each spec carries its data inline, a title with units, pale marks for cells
resting on fewer than :data:`FEW_WORKS` works (field ``few``), shaded recent
years whose citations are still accruing (field ``recent``), and in
``usermeta.works`` how a click on a mark becomes the works behind it: which
datum fields become which query parameters of ``/works`` (``fields``) and
which parameters are fixed (``fixed``). ``static/app.js`` reads that.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FEW_WORKS", "FONT", "bars", "lines", "scatter"]

#: cells resting on fewer works than this are marked (DESIGN.md, issue 5)
FEW_WORKS = 30

FONT = "Noto Sans CJK JP, Noto Sans JP, sans-serif"
FOCUS = "#b03a2e"
OTHER = "#5d7a99"


def _base(title: str, rows: list[dict[str, Any]], works: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {"text": title, "anchor": "start", "fontSize": 14, "limit": 900},
        "width": "container",
        "height": 280,
        "data": {"values": rows},
        "config": {
            "font": FONT,
            "axis": {"labelFont": FONT, "titleFont": FONT, "labelLimit": 220},
            "legend": {"labelFont": FONT, "titleFont": FONT},
            "title": {"font": FONT},
            "view": {"stroke": None},
        },
        "usermeta": {"works": works or {}},
    }


def _opacity() -> dict[str, Any]:
    return {"condition": {"test": "datum.few", "value": 0.35}, "value": 1}


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
    spec = _base(title, rows, works)
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
    layers: list[dict[str, Any]] = [{"mark": {"type": "bar", "cursor": "pointer"}, "encoding": enc}]
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
) -> dict[str, Any]:
    """Lines over ``year`` per ``series``, with points to click and an optional interval band."""
    spec = _base(title, rows, works)
    fmt = ".1%" if percent else ",.2~f"
    color: dict[str, Any] = {"field": series, "type": "nominal", "title": series_title}
    x = {"field": "year", "type": "ordinal", "title": year_title}
    y = {"field": value, "type": "quantitative", "title": value_title, "axis": {"format": fmt}}
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
            "mark": {"type": "point", "filled": True, "size": 60, "cursor": "pointer"},
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
    spec = _base(title, rows, works)
    spec["height"] = 340
    yfmt = ".1%" if y_percent else ",.2~f"
    enc = {
        "x": {"field": x, "type": "quantitative", "title": x_title, "scale": {"zero": False}},
        "y": {"field": y, "type": "quantitative", "title": y_title, "axis": {"format": yfmt}},
    }
    spec["layer"] = [
        {
            "mark": {"type": "circle", "cursor": "pointer", "color": OTHER},
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
