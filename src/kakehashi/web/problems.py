"""The one JSON error shape of the API: ``{"status": int, "message": str, "parameter": str | null}``.

Every failure leaves the server in this shape — kakehashi's own errors
(a :class:`~kakehashi.errors.ConfigError` names its parameter), FastAPI's
validation errors, unknown routes and query timeouts — so a client needs one
branch for all of them. Pinned by ``tests/test_api.py``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from kakehashi.errors import ConfigError, KakehashiError, StoreError
from kakehashi.web.service import QueryTimeout

__all__ = ["ERROR_RESPONSES", "Problem", "install", "problem", "validation"]


class Problem(BaseModel):
    """An error: HTTP status, one sentence saying what is wrong, the offending parameter."""

    status: int
    message: str
    parameter: str | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "Unknown indicator or page."},
    422: {"model": Problem, "description": "A parameter is not acceptable; `parameter` names it."},
    503: {"model": Problem, "description": "The query ran past the time limit and was stopped."},
}


def problem(status: int, message: str, parameter: str | None = None) -> JSONResponse:
    body = {"status": status, "message": message, "parameter": parameter}
    return JSONResponse(body, status_code=status)


def validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ())]
    parameter = loc[-1] if loc and loc[0] in ("query", "path") else None
    msg = str(first.get("msg", "invalid request"))
    text = f"{parameter}: {msg}" if parameter else msg
    return problem(422, text + ".", parameter)


def _kakehashi(_: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, QueryTimeout):
        return problem(503, str(exc))
    if isinstance(exc, ConfigError):
        return problem(getattr(exc, "http_status", 422), str(exc), exc.parameter)
    if isinstance(exc, StoreError):
        return problem(503, str(exc))
    return problem(500, str(exc))


def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, str(exc.detail))


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a :class:`Problem`."""
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(KakehashiError, _kakehashi)
    app.add_exception_handler(StarletteHTTPException, _http)
