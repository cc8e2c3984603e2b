"""The dashboard's HTML pages: filters in the URL, Japanese by default, English with ``?lang=en``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from kakehashi.errors import ConfigError
from kakehashi.i18n import country_name, field_name, t
from kakehashi.indicators import Scope
from kakehashi.indicators.scope import NETWORK_TOP
from kakehashi.model.reference import countries, fields
from kakehashi.web import views, views_institutions, views_mobility, views_partners, views_quality
from kakehashi.web.api import service_of, works_result
from kakehashi.web.figures import qs
from kakehashi.web.params import (
    YEARS_PATTERN,
    Careers,
    CellParams,
    Counting,
    Institution,
    Lang,
    NetworkTop,
    Period,
    ScopeParams,
    Stage,
    VisitYears,
    mobility_settings,
)
from kakehashi.web.service import Service

__all__ = ["PageParams", "router", "templates"]

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
router = APIRouter(include_in_schema=False)

#: rows of the works page (all of them through its CSV link)
WORKS_SHOWN = 500

#: (path, catalogue key, view) of the pages in the navigation
PAGES: list[tuple[str, str, Callable[[Service, Scope, str], views.View]]] = [
    ("/", "web.nav_overview", views.overview),
    ("/partners", "web.nav_partners", views_partners.partners),
    ("/quality", "web.nav_quality", views_quality.quality),
    ("/mobility", "web.nav_mobility", views_mobility.mobility),
    ("/institutions", "web.nav_institutions", views_institutions.institutions),
]

#: the filters a page shows (and its navigation links carry); other pages show DEFAULT_FILTERS
DEFAULT_FILTERS = ("country", "years", "field", "counting", "period")
PAGE_FILTERS: dict[str, tuple[str, ...]] = {
    "/mobility": ("country", "years", "field", "period", "stage", "careers", "visit_years"),
    "/institutions": ("country", "years", "field", "period", "level", "institution"),
    "/partners": (*DEFAULT_FILTERS, "network_top"),
}


def filters_of(path: str) -> tuple[str, ...]:
    return PAGE_FILTERS.get(path, DEFAULT_FILTERS)


@dataclasses.dataclass(frozen=True)
class PageParams:
    """The filters of every page; their values live in the URL so a view can be bookmarked."""

    country: Annotated[str, Query(description="ISO code of the focus country.", max_length=8)] = "JP"
    # A form sends empty fields as "", which here means "not given".
    years: Annotated[
        str | None, Query(description="A span like 2012-2022.", pattern=r"^$|" + YEARS_PATTERN)
    ] = "2012-2022"
    field: Annotated[
        str | None, Query(description="OpenAlex field id; empty: all.", pattern=r"^\d{0,6}$")
    ] = None
    counting: Counting = "whole"
    period: Period = "calendar"
    #: Brain circulation's filters (DESIGN.md "Mobility")
    stage: Stage = None
    careers: Careers = "works"
    visit_years: VisitYears = None
    #: the Institutions page's: institutions as OpenAlex assigns them or rolled up, and the one profiled
    level: Annotated[
        Literal["institution", "root"], Query(description="institution, or root (rolled up their lineage).")
    ] = "institution"
    institution: Institution = None
    #: the Partners page's: partner countries on the co-authorship map (default: Scope's, 20)
    network_top: NetworkTop = None
    lang: Lang = None

    def query(self) -> dict[str, Any]:
        q = {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, "")}
        if "field" in q:
            q["field"] = int(q["field"])
        return q


def _country_options(lang: str) -> list[tuple[str, str]]:
    codes = countries().column("code").to_pylist()
    return sorted(((c, f"{country_name(c, lang)} ({c})") for c in codes), key=lambda o: o[1])


def _field_options(lang: str) -> list[tuple[int, str]]:
    f = fields().to_pydict()
    return [(i, field_name(i, lang)) for i, lv in zip(f["id"], f["level"], strict=True) if lv == "field"]


def _context(request: Request, svc: Service, path: str, query: dict[str, Any], lang: str) -> dict[str, Any]:
    other = "en" if lang == "ja" else "ja"
    base = {k: v for k, v in query.items() if k != "lang"}

    def carried(p: str) -> dict[str, Any]:
        # A page's link keeps the filters that page has (a stage means nothing on Partners).
        return {k: v for k, v in base.items() if k in filters_of(p) or k not in _ALL_FILTERS}

    return {
        "request": request,
        "lang": lang,
        "t": lambda key, **kw: t(key, lang, **kw),
        "path": path,
        "query": query,
        "filters": filters_of(path),
        "visit_default": svc.settings.mobility_visit_max_years,
        "network_top": (*NETWORK_TOP, Scope().network_top),
        "nav": [(p, t(key, lang), f"{p}?{qs({**carried(p), 'lang': lang})}") for p, key, _ in PAGES],
        "lang_link": f"{path}?{qs({**base, 'lang': other})}",
        "countries": _country_options(lang),
        "fields": _field_options(lang),
        "synthetic": svc.store.is_synthetic,
    }


_ALL_FILTERS = {f for fs in (DEFAULT_FILTERS, *PAGE_FILTERS.values()) for f in fs}


def _render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, ctx, status_code=status)


def _mobility(svc: Service, p: PageParams) -> dict[str, Any]:
    extra: dict[str, Any] = {**mobility_settings(svc.settings), "careers": p.careers, "stage": p.stage}
    if p.visit_years is not None:
        extra["visit_max_years"] = p.visit_years
    return extra


def _page_extra(path: str, p: PageParams) -> dict[str, Any]:
    """Scope fields of the filters only some pages have (a level means nothing on Overview)."""
    extra: dict[str, Any] = {}
    if "level" in filters_of(path):
        extra["level"] = p.level
    if "institution" in filters_of(path):
        extra["institution"] = p.institution or None
    if "network_top" in filters_of(path) and p.network_top is not None:
        extra["network_top"] = p.network_top
    return extra


def _page(path: str, view: Callable[[Service, Scope, str], views.View]) -> Callable[..., Any]:
    def build(request: Request, svc: Service, p: PageParams, lang: str, key: Hashable) -> HTMLResponse:
        ctx = _context(request, svc, path, p.query(), lang)
        try:
            q = p.query()
            scope = ScopeParams(
                country=p.country,
                years=q.get("years", "2012-2022"),
                field=q.get("field"),
                counting=p.counting,
                period=p.period,
            ).scope(svc.settings.country_scheme, **_mobility(svc, p), **_page_extra(path, p))
            if scope.years is None or scope.years[0] >= scope.years[1]:
                raise ConfigError(t("web.years_span", lang), parameter="years")
            ctx["view"] = view(svc, scope, lang)
        except ConfigError as exc:
            ctx["error"] = str(exc)
            return _render(request, "page.html", ctx, 422)
        return HTMLResponse(svc.memo(key, lambda: bytes(_render(request, "page.html", ctx).body)))

    async def handler(
        request: Request,
        svc: Annotated[Service, Depends(service_of)],
        p: Annotated[PageParams, Depends()],
    ) -> HTMLResponse:
        lang = p.lang or svc.settings.lang
        key = ("page", path, tuple(sorted(p.query().items())), lang)
        # A page seen before (same store version and filters) is sent as rendered then.
        html = svc.cached(("memo", key))
        if isinstance(html, bytes):
            return HTMLResponse(html)
        return await run_in_threadpool(build, request, svc, p, lang, key)

    handler.__name__ = "page_" + (path.strip("/") or "overview")
    return handler


for _path, _key, _view in PAGES:
    router.add_api_route(_path, _page(_path, _view), methods=["GET"], response_class=HTMLResponse)


@router.get("/works", response_class=HTMLResponse)
def works_page(
    request: Request,
    svc: Annotated[Service, Depends(service_of)],
    p: Annotated[ScopeParams, Depends()],
    c: Annotated[CellParams, Depends()],
) -> HTMLResponse:
    lang = p.lang or svc.settings.lang
    query = {**{k: v for k, v in dataclasses.asdict(p).items() if v is not None}, **c.query()}
    query.pop("limit", None)
    ctx = _context(request, svc, "/works", {**query, "lang": lang}, lang)
    try:
        scope = p.scope(svc.settings.country_scheme, **c.scope_extra(svc.settings))
        result = works_result(svc, scope, c.cell(), WORKS_SHOWN)
    except ConfigError as exc:
        ctx["error"] = str(exc)
        return _render(request, "works.html", ctx, 422)
    api_q = qs({**query, "lang": lang})
    ctx.update(
        works=result.table.to_pylist(),
        truncated=result.truncated,
        shown=result.table.num_rows,
        cell=_cell_words(query, lang),
        csv=f"/api/v1/works.csv?{api_q}",
        xlsx=f"/api/v1/works.xlsx?{api_q}",
        json=f"/api/v1/works?{api_q}",
    )
    return _render(request, "works.html", ctx)


def _cell_words(query: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    out = []
    for k, v in query.items():
        if k in ("country", "partner"):
            out.append((t(f"column.{k}", lang), f"{country_name(v, lang)} ({v})"))
        elif k == "field":
            out.append((t("column.field_id", lang), f"{field_name(int(v), lang)} ({v})"))
        elif k == "scope":
            out.append((t("column.scope", lang), t(f"value.scope.{v}", lang)))
        elif k == "collab_type":
            out.append((t("column.collab_type", lang), t(f"value.collab_type.{v}", lang)))
        elif k == "counting":
            out.append((t("web.filter_counting", lang), t(f"web.{v}", lang)))
        elif k in ("institution", "partner_institution"):
            key = "column.partner_name" if k == "partner_institution" else "term.institution"
            out.append((t(key, lang), v))
        elif k in ("move_from", "move_to"):
            col = "column.from" if k == "move_from" else "column.to"
            out.append((t(col, lang), f"{country_name(v, lang)} ({v})"))
        elif k in ("move_kind", "mobility_class", "stage"):
            group = {"move_kind": "kind", "mobility_class": "class", "stage": "stage"}[k]
            out.append((t(f"column.{group}", lang), t(f"value.{group}.{v}", lang)))
        elif k == "careers":
            source = t(f"web.mobility.careers_{v.replace('-', '_')}", lang)
            out.append((t("web.filter_careers", lang), source))
        elif k == "top":
            out.append((t("column.p_top10" if v == "top10" else "column.p_top1", lang), "✓"))
        else:
            out.append((k, str(v)))
    return out
