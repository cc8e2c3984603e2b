"""The JSON API, ``/api/v1``: one endpoint per indicator, the works behind a cell, the store's meta.

Same parameters and column names as ``kakehashi indicator`` and ``kakehashi
works``; read-only (GET only). Each indicator is also offered as ``.csv``
(UTF-8 with BOM) and ``.xlsx`` with the same parameters.
"""

from __future__ import annotations

from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from kakehashi.errors import NotFoundError
from kakehashi.i18n import country_name, describe_sources, field_name
from kakehashi.indicators import INDICATORS, Scope
from kakehashi.indicators.works import Cell, works_behind
from kakehashi.model.reference import countries, fields
from kakehashi.web import export
from kakehashi.web.params import CellParams, IndicatorParams, Lang, ScopeParams, mobility_settings
from kakehashi.web.problems import ERROR_RESPONSES
from kakehashi.web.service import Result, Service

__all__ = ["indicator_result", "newest_year", "router", "works_result"]

router = APIRouter(prefix="/api/v1", tags=["api"], responses=ERROR_RESPONSES)

#: contract indicators another issue is still building (404 says so)
PLANNED: tuple[str, ...] = ()

_NAME_HELP = "Indicator name: " + ", ".join(INDICATORS) + "."


def service_of(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


def _known(name: str) -> None:
    if name in INDICATORS:
        return
    known = ", ".join(INDICATORS)
    if name in PLANNED:
        raise NotFoundError(f"indicator {name!r} is part of the contract but not built yet; built: {known}.")
    raise NotFoundError(f"indicator {name!r} is unknown; choose one of: {known}.")


def _scope_key(scope: Scope) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(scope.as_dict().items()))


def indicator_result(svc: Service, name: str, scope: Scope) -> Result:
    """The cached result of indicator ``name`` over ``scope``."""
    _known(name)
    fn = INDICATORS[name][0]

    def compute(tables: Any) -> pa.Table:
        return fn(tables, scope).to_pyarrow()

    params = {"indicator": name, **scope.as_dict()}
    return svc.run(("indicator", name, _scope_key(scope)), compute, params)


def works_result(svc: Service, scope: Scope, cell: Cell, limit: int | None) -> Result:
    """The works behind one cell, most cited first, at most ``limit`` (and the row cap)."""
    cap = min(limit or svc.max_rows, svc.max_rows)

    def compute(tables: Any) -> pa.Table:
        # One row past the cap tells whether the list was cut.
        return works_behind(tables, scope, cell).limit(cap + 1).to_pyarrow()

    params = {"indicator": "works", **scope.as_dict(), **{f"cell_{k}": v for k, v in vars(cell).items()}}
    key = ("works", _scope_key(scope), tuple(sorted(vars(cell).items())), cap)
    return svc.run(key, compute, params, limit=cap)


def newest_year(svc: Service) -> int | None:
    """The store's latest publication year (citation windows are counted from it)."""

    def compute(tables: Any) -> pa.Table:
        w = tables["works"]
        return w.aggregate(y=w.year.max()).to_pyarrow()

    y = svc.run(("newest_year",), compute, {}).table.column("y")[0].as_py()
    return int(y) if y is not None else None


def _send(result: Result, fmt: str, lang: str, stem: str) -> Response:
    if fmt == "csv":
        return Response(
            export.csv_bytes(result),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            export.xlsx_bytes(result, lang),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
        )
    return Response(export.json_bytes(result, lang), media_type="application/json")


NamePath = Annotated[str, Path(description=_NAME_HELP)]
Svc = Annotated[Service, Depends(service_of)]
IParams = Annotated[IndicatorParams, Depends()]


async def _indicator(svc: Service, name: str, p: IndicatorParams, fmt: str) -> Response:
    _known(name)
    lang = p.lang or svc.settings.lang
    scope = p.scope(svc.settings.country_scheme, **mobility_settings(svc.settings))
    # A cached result is answered on the event loop; a computation goes to a worker thread.
    result = svc.cached(("indicator", name, _scope_key(scope)))
    if result is None:
        result = await run_in_threadpool(indicator_result, svc, name, scope)
    if fmt == "json":
        return _send(result, fmt, lang, name)
    return await run_in_threadpool(_send, result, fmt, lang, name)


@router.get("/indicators/{name}.csv", summary="An indicator as CSV (UTF-8 with BOM, for Excel)")
async def indicator_csv(name: NamePath, p: IParams, svc: Svc) -> Response:
    return await _indicator(svc, name, p, "csv")


@router.get("/indicators/{name}.xlsx", summary="An indicator as an Excel workbook (data and provenance)")
async def indicator_xlsx(name: NamePath, p: IParams, svc: Svc) -> Response:
    return await _indicator(svc, name, p, "xlsx")


@router.get(
    "/indicators/{name}",
    summary="One indicator of the contract (DESIGN.md), as the CLI's JSON",
    responses={200: {"description": "`provenance`, `columns`, `labels`, `rows`, `truncated`, `total_rows`."}},
)
async def indicator_json(name: NamePath, p: IParams, svc: Svc) -> Response:
    """Rows of the indicator ``name`` with the contract's columns (see `/api/v1/meta`).

    `partners` and `complementarity` need `country`; `growth` needs `years` FROM-TO.
    """
    return await _indicator(svc, name, p, "json")


def _works(svc: Service, p: ScopeParams, c: CellParams, fmt: str) -> Response:
    lang = p.lang or svc.settings.lang
    scope = p.scope(svc.settings.country_scheme, **c.scope_extra(svc.settings))
    return _send(works_result(svc, scope, c.cell(), c.limit), fmt, lang, "works")


SParams = Annotated[ScopeParams, Depends()]
CParams = Annotated[CellParams, Depends()]


@router.get("/works.csv", summary="The works behind a cell as CSV")
def works_csv(p: SParams, c: CParams, svc: Svc) -> Response:
    return _works(svc, p, c, "csv")


@router.get("/works.xlsx", summary="The works behind a cell as an Excel workbook")
def works_xlsx(p: SParams, c: CParams, svc: Svc) -> Response:
    return _works(svc, p, c, "xlsx")


@router.get("/works", summary="The works behind one cell of a figure, with DOIs")
def works_json(p: SParams, c: CParams, svc: Svc) -> Response:
    """Columns as `kakehashi works`: `weight` sums to the fractional count, `top10` to `p_top10`.

    Mobility cells are sets of authors: `move_kind` (`transfer`, `visit`, `return`) with
    `move_from`/`move_to` lists their works in the move's year, `mobility_class` (origin
    `country`) their works in `years`.
    """
    return _works(svc, p, c, "json")


@router.get("/meta", summary="The store's provenance, countries, fields, indicators and limits")
def meta(svc: Svc, lang: Lang = None) -> dict[str, Any]:
    lg = lang or svc.settings.lang
    prov = svc.provenance()
    f = fields().to_pydict()
    return {
        "provenance": prov,
        "source": describe_sources(prov.get("sources", []), lg),
        "newest_year": newest_year(svc),
        "countries": [
            {"code": c, "name": country_name(c, lg)} for c in countries().column("code").to_pylist()
        ],
        "fields": [
            {"id": i, "name": field_name(i, lg)}
            for i, lv in zip(f["id"], f["level"], strict=True)
            if lv == "field"
        ],
        "indicators": {n: {"keys": list(k), "values": list(v)} for n, (_, k, v) in INDICATORS.items()},
        "limits": {"max_rows": svc.max_rows, "timeout_seconds": svc.timeout},
    }
