"""The FastAPI application: API, pages, vendored static files, one error shape."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from kakehashi._version import __version__
from kakehashi.settings import Settings
from kakehashi.web import api, pages, problems
from kakehashi.web.service import PinEachRequest, Service

__all__ = ["create_app"]

DESCRIPTION = """\
Read-only JSON API of kakehashi over one store: every indicator of the
contract (DESIGN.md) with the CLI's parameters and column names, the works
behind any cell of a figure, and the store's provenance.

Errors always have the shape `{"status": int, "message": str, "parameter": str | null}`:
422 for a parameter that is not acceptable (named in `parameter`), 404 for an
unknown indicator, 503 when a query runs past the time limit (setting
`web_timeout`). Results longer than `web_max_rows` rows are cut and say so
(`truncated`, `total_rows`). Results are cached per store version.
"""


def create_app(store_path: str | Path, settings: Settings | None = None) -> FastAPI:
    """The application serving the store at ``store_path``; nothing it offers writes."""
    settings = settings or Settings.load()
    service = Service(store_path, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        service.close()

    app = FastAPI(
        lifespan=lifespan,
        title="kakehashi 架け橋",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.service = service
    app.add_middleware(PinEachRequest, service=service)
    problems.install(app)

    async def validation(request: Request, exc: Exception) -> JSONResponse | HTMLResponse:
        # Pages answer a bad filter with a page that says so; the API with the JSON shape.
        if not request.url.path.startswith("/api") and isinstance(exc, RequestValidationError):
            svc = app.state.service
            lang = request.query_params.get("lang")
            lang = lang if lang in ("ja", "en") else svc.settings.lang
            ctx = pages._context(request, svc, request.url.path, {"lang": lang}, lang)
            first = exc.errors()[0] if exc.errors() else {}
            loc = [str(p) for p in first.get("loc", ())]
            ctx["error"] = f"{loc[-1] if loc else ''}: {first.get('msg', '')}"
            return pages.templates.TemplateResponse(request, "page.html", ctx, status_code=422)
        return problems.validation(request, exc)

    app.add_exception_handler(RequestValidationError, validation)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).with_name("static"))), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    return app
