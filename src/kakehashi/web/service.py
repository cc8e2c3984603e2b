"""Running queries for the web: one engine connection, a time limit, a cache per store version.

Every figure the server shows goes through :meth:`Service.run`, keyed by
``(store version, what, parameters)``. A hit costs a dictionary look-up, which
is what lets 50 clients share the overview in well under 150 ms; a miss runs in
a worker thread, one query at a time on the store's connection (DuckDB's
connection is not for concurrent use), and is cut after ``web_timeout``
seconds: the engine is interrupted and the caller gets :class:`QueryTimeout`.
A new ingest changes the store's version, so stale results are never served.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import pyarrow as pa

from kakehashi.engines import Tables, interrupt, open_store
from kakehashi.errors import QueryTimeout
from kakehashi.settings import Settings
from kakehashi.store import Store

__all__ = ["QueryTimeout", "Result", "Service"]


@dataclasses.dataclass
class Result:
    """A computed table, cut to ``web_max_rows``, with its provenance."""

    table: pa.Table
    provenance: dict[str, Any]
    total_rows: int
    truncated: bool
    #: serialised forms, made once per entry (JSON per language, CSV, …)
    rendered: dict[Hashable, bytes] = dataclasses.field(default_factory=dict)


class Service:
    """The store, its tables on the engine, and the result cache of one server."""

    #: how often (seconds) the store's manifest is re-read to notice a new version
    VERSION_CHECK = 1.0

    def __init__(self, store_path: str | Path, settings: Settings):
        self.settings = settings
        self.store = Store.open(store_path)
        self.max_rows = int(settings.web_max_rows)
        self.timeout = float(
            settings.web_timeout_spark if settings.engine == "spark" else settings.web_timeout
        )
        self._cache: collections.OrderedDict[Hashable, Any] = collections.OrderedDict()
        self._cache_lock = threading.Lock()
        self._engine_lock = threading.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="kakehashi-q")
        self._tables: Tables | None = None
        self._tables_version: str | None = None
        self._version = self.store.version
        self._version_read = time.monotonic()
        self._running: Hashable | None = None
        #: results computed (cache misses) since start — read by the tests
        self.computed = 0

    # -- the store -------------------------------------------------------------
    @property
    def version(self) -> str:
        now = time.monotonic()
        if now - self._version_read > self.VERSION_CHECK:
            self._version = self.store.version
            self._version_read = now
        return self._version

    def provenance(self) -> dict[str, Any]:
        return self.store.provenance()

    def _tables_for(self, version: str) -> Tables:
        if self._tables is None or self._tables_version != version:
            self._tables = open_store(self.store, self.settings.engine, self.settings)
            self._tables_version = version
        return self._tables

    # -- the cache -------------------------------------------------------------
    def cached(self, key: Hashable) -> Any:
        full = (self.version, key)
        with self._cache_lock:
            hit = self._cache.get(full)
            if hit is not None:
                self._cache.move_to_end(full)
            return hit

    def memo(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        """``make()``'s bytes (a rendered page), kept in the cache beside the results."""
        hit = self.cached(("memo", key))
        if isinstance(hit, bytes):
            return hit
        out = make()
        self._remember((self.version, ("memo", key)), out)
        return out

    def _remember(self, full: Hashable, result: Any) -> None:
        with self._cache_lock:
            self._cache[full] = result
            while len(self._cache) > int(self.settings.web_cache_entries):
                self._cache.popitem(last=False)

    # -- running ---------------------------------------------------------------
    def run(
        self,
        key: Hashable,
        compute: Callable[[Tables], pa.Table],
        parameters: dict[str, Any],
        *,
        limit: int | None = None,
    ) -> Result:
        """The result of ``compute`` on the store's tables, from the cache when it can.

        ``key`` must name everything the result depends on besides the store
        version. At most ``limit`` (default ``web_max_rows``) rows are kept.
        """
        hit = self.cached(key)
        if hit is not None:
            return hit
        full = (self.version, key)
        cancelled = threading.Event()
        fut = self._pool.submit(self._compute, full, compute, parameters, limit, cancelled)
        try:
            return fut.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            cancelled.set()
            if self._running == full and self._tables is not None:
                interrupt(self._tables)
            raise QueryTimeout(
                f"the query ran longer than {self.timeout:g} s and was stopped; "
                "narrow it (fewer years, one country or field) or raise the web_timeout setting."
            ) from None

    def _compute(
        self,
        full: tuple[str, Hashable],
        compute: Callable[[Tables], pa.Table],
        parameters: dict[str, Any],
        limit: int | None,
        cancelled: threading.Event,
    ) -> Result:
        with self._engine_lock:
            with self._cache_lock:
                hit = self._cache.get(full)
            if hit is not None:
                return hit
            if cancelled.is_set():
                raise QueryTimeout("the query was stopped before it started.")
            tables = self._tables_for(full[0])
            self._running = full
            try:
                table = compute(tables)
            finally:
                self._running = None
        cap = self.max_rows if limit is None else min(limit, self.max_rows)
        total = table.num_rows
        result = Result(
            table=table.slice(0, cap) if total > cap else table,
            provenance={**self.provenance(), "parameters": parameters, "engine": self.settings.engine},
            total_rows=total,
            truncated=total > cap,
        )
        self.computed += 1
        self._remember(full, result)
        return result

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
