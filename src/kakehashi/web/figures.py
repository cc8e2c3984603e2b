"""What a dashboard figure is: a chart spec with its downloads, notes and provenance footer.

A :class:`Figure` is built from the same cached :class:`~kakehashi.web.service.Result`
the API serves, and its download links are the API's URLs with the very
parameters that made it, so the CSV beside a chart is the API's rows.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from typing import Any

from kakehashi.i18n import describe_sources, field_name, t
from kakehashi.indicators import Scope
from kakehashi.web.service import Result

__all__ = ["Figure", "Table", "api_query", "figure", "footer", "qs"]

_DEFAULTS = Scope()


def qs(params: dict[str, Any]) -> str:
    return urllib.parse.urlencode({k: v for k, v in params.items() if v is not None and v != ""})


def api_query(scope: Scope, lang: str, *, mobility: bool = False) -> dict[str, Any]:
    """The API query parameters that rebuild ``scope`` (defaults left out).

    ``mobility``: the mobility parameters too — ``careers`` and ``stage`` when
    set, and ``visit_years`` always, since the server's setting may differ from
    :class:`Scope`'s default.
    """
    q: dict[str, Any] = {}
    if scope.country:
        q["country"] = scope.country
    if scope.years is not None:
        a, b = scope.years
        q["years"] = str(a) if a == b else f"{a}-{b}"
    if scope.field is not None:
        q["field"] = scope.field
    if scope.types is not None:
        q["types"] = ",".join(scope.types)
    if scope.institution is not None:
        q["institution"] = scope.institution
    for name in (
        "period",
        "counting",
        "smooth",
        "country_scheme",
        "level",
        "resamples",
        "confidence",
        "seed",
        "network_top",
    ):
        v = getattr(scope, name)
        if v != getattr(_DEFAULTS, name):
            q[name] = v
    if mobility:
        if scope.careers != _DEFAULTS.careers:
            q["careers"] = scope.careers
        if scope.stage is not None:
            q["stage"] = scope.stage
        q["visit_years"] = scope.visit_max_years
    q["lang"] = lang
    return q


@dataclasses.dataclass
class Figure:
    id: str
    title: str
    spec: dict[str, Any]
    downloads: list[tuple[str, str]]
    notes: list[str]
    footer: list[tuple[str, str]]


@dataclasses.dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    footer: list[tuple[str, str]]
    #: per row, where its first cell links to (None: no link); empty: no links
    links: list[str | None] = dataclasses.field(default_factory=list)
    #: per row, the other cells that link somewhere (column index → href); empty: none
    cell_links: list[dict[int, str]] = dataclasses.field(default_factory=list)
    #: the section's id (``table-<id>``), for links and tests
    id: str = ""


def _parameters_in_words(q: dict[str, Any], lang: str) -> str:
    out = []
    for k, v in q.items():
        if k == "lang":
            continue
        if k == "field":
            v = f"{field_name(int(v), lang)} ({v})"
        elif k == "counting":
            v = t(f"web.{v}", lang)
        elif k == "stage":
            v = t(f"value.stage.{v}", lang)
        out.append(f"{k}={v}")
    return ", ".join(out) or "—"


def footer(result: Result, query: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """The provenance lines under a figure: store, source in words, snapshot, parameters, software."""
    prov = result.provenance
    sources = prov.get("sources", [])
    snaps = sorted({str(s.get("snapshot_date")) for s in sources if s.get("snapshot_date")})
    return [
        (t("web.source", lang), describe_sources(sources, lang)),
        (t("web.snapshot", lang), ", ".join(snaps) or "—"),
        (t("web.store", lang), f"{prov.get('store')} ({prov.get('store_version')})"),
        (t("web.parameters", lang), _parameters_in_words(query, lang)),
        (t("web.software", lang), f"kakehashi {prov.get('kakehashi_version')}"),
    ]


def figure(
    ident: str,
    title: str,
    spec: dict[str, Any],
    *,
    indicator: str,
    scope: Scope,
    result: Result,
    lang: str,
    notes: list[str] | None = None,
    mobility: bool = False,
) -> Figure:
    q = api_query(scope, lang, mobility=mobility)
    base = f"/api/v1/indicators/{indicator}"
    downloads = [
        (t("web.download_csv", lang), f"{base}.csv?{qs(q)}"),
        (t("web.download_xlsx", lang), f"{base}.xlsx?{qs(q)}"),
        (t("web.download_json", lang), f"{base}?{qs(q)}"),
    ]
    notes = list(notes or [])
    if result.truncated:
        notes.append(t("web.truncated", lang, rows=result.table.num_rows))
    return Figure(ident, title, spec, downloads, notes, footer(result, q, lang))
