"""The one JSON error shape of the API: ``{"status": int, "message": str, "parameter": str | null}``.

Every failure leaves the server in this shape — kakehashi's own errors, with
the status :data:`STATUS` gives their class (a :class:`~kakehashi.errors.ConfigError`
names its parameter), FastAPI's validation errors, unknown routes and query
timeouts — so a client needs one branch for all of them. Pinned by
``tests/test_api.py`` and ``tests/test_errors.py``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from kakehashi.errors import (
    ApiError,
    ConfigError,
    ConflictError,
    ForbiddenError,
    IngestError,
    KakehashiError,
    MalformedInputError,
    NotFoundError,
    NotSignedInError,
    QueryTimeout,
    StoreError,
    UnknownValueError,
)

__all__ = [
    "ERROR_RESPONSES",
    "STATUS",
    "Problem",
    "install",
    "problem",
    "responses",
    "status_of",
    "validation",
]


class Problem(BaseModel):
    """An error: HTTP status, one sentence saying what is wrong, the offending parameter."""

    status: int
    message: str
    parameter: str | None = None


#: The HTTP status of each of kakehashi's errors, most specific class first: the first class an
#: error is an instance of decides. Every class of ``kakehashi.errors`` is listed (a test checks).
STATUS: tuple[tuple[type[KakehashiError], int], ...] = (
    (NotSignedInError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (UnknownValueError, 422),
    (ConfigError, 422),
    (MalformedInputError, 422),
    (ApiError, 502),
    (IngestError, 500),
    (QueryTimeout, 503),
    (StoreError, 503),
    (KakehashiError, 500),
)

#: What each status means to a client, for the OpenAPI schema (``responses=`` of a route).
DESCRIPTIONS: dict[int, str] = {
    401: "Not signed in (or the sign-in has expired).",
    403: "Signed in, but the user's role does not allow this.",
    404: "Unknown indicator or page.",
    409: "A conflict: the thing changed since it was read, or the store is being written.",
    422: "A parameter is not acceptable; `parameter` names it.",
    500: "An error of kakehashi's own; the message says what went wrong.",
    502: "The OpenAlex API refused or failed.",
    503: "The query ran past the time limit and was stopped, or the store cannot be read.",
}


def status_of(exc: KakehashiError) -> int:
    """The HTTP status of ``exc``: that of the first class in :data:`STATUS` it is an instance of."""
    return next(status for cls, status in STATUS if isinstance(exc, cls))


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that can answer with these statuses (each a :class:`Problem`)."""
    return {s: {"model": Problem, "description": DESCRIPTIONS[s]} for s in statuses}


#: What the read-only routes can answer besides 200: an unknown name, a bad parameter, a timeout.
ERROR_RESPONSES = responses(404, 422, 503)


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
    assert isinstance(exc, KakehashiError)
    parameter = exc.parameter if isinstance(exc, ConfigError) else None
    return problem(status_of(exc), str(exc), parameter)


def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, str(exc.detail))


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a :class:`Problem`."""
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(KakehashiError, _kakehashi)
    app.add_exception_handler(StarletteHTTPException, _http)
