"""The web face of kakehashi: a read-only JSON API and the dashboard (`kakehashi serve`).

One FastAPI application serves both, from one :class:`~kakehashi.settings.Settings`
(as datasette's CLI, web UI and JSON API share theirs):

- ``/api/v1/indicators/{name}`` (and ``.csv``, ``.xlsx``), ``/api/v1/works``,
  ``/api/v1/meta`` — the CLI's parameters and column names, errors in one
  JSON shape (``status``, ``message``, ``parameter``), documented by the
  OpenAPI schema at ``/openapi.json``;
- ``/``, ``/partners``, ``/quality``, ``/mobility``, ``/works`` — server-rendered pages in
  Japanese (``?lang=en`` for English) whose charts are Vega-Lite specs built
  here and drawn in the browser by the vendored vega libraries.

FastAPI is imported only when an application is made, so ``kakehashi --help``
stays fast (STYLE.md 8).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from kakehashi.settings import Settings

__all__ = ["create_app"]


def create_app(store_path: str | Path, settings: Settings | None = None) -> FastAPI:
    """The application serving the store at ``store_path`` (read-only)."""
    from kakehashi.web.app import create_app as _create

    return _create(store_path, settings)
