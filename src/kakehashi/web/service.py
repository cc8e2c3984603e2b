"""Running queries for the web: one engine connection, a time limit, a cache per store version.

Every figure the server shows goes through :meth:`Service.run`, keyed by
``(store version, what, parameters)``. A hit costs a dictionary look-up, which
is what lets 50 clients share the overview in well under 150 ms; a miss runs in
a worker thread, one query at a time on the store's connection (DuckDB's
connection is not for concurrent use), and is cut after ``web_timeout``
seconds: the engine is interrupted and the caller gets :class:`QueryTimeout`.
A new ingest changes the store's version, so stale results are never served.

The server reads one store version at a time and never writes: it is pinned
to the version current when it last looked (:class:`kakehashi.store.Version`),
and every request checks — one ``stat`` of the manifest — whether a commit
has named a new one since; the first request after a commit pins and reads
the new version, while queries already running finish on the old one. A
commit killed half-way never shows: the manifest names the old version or
the whole new one.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextvars
import dataclasses
import os
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import pyarrow as pa

from kakehashi.engines import Tables, interrupt, open_store
from kakehashi.errors import QueryTimeout, StoreError
from kakehashi.settings import Settings
from kakehashi.store import Store

__all__ = ["PinEachRequest", "QueryTimeout", "Result", "Service", "Snapshot"]


@dataclasses.dataclass
class Result:
    """A computed table, cut to ``web_max_rows``, with its provenance."""

    table: pa.Table
    provenance: dict[str, Any]
    total_rows: int
    truncated: bool
    #: serialised forms, made once per entry (JSON per language, CSV, …)
    rendered: dict[Hashable, bytes] = dataclasses.field(default_factory=dict)


class Snapshot:
    """One store version as the server reads it: the pinned store and, once a query needs
    them, its tables on the engine. Every request reads one snapshot from start to end."""

    def __init__(self, store: Store):
        self.store = store
        self.version = store.version
        self._tables: Tables | None = None

    def tables(self, settings: Settings) -> Tables:
        """The engine's tables on this version (opened on first use; callers hold the engine lock)."""
        if self._tables is None:
            self._tables = open_store(self.store, settings.engine, settings)
        return self._tables


#: the snapshot the request being served reads (set by :class:`PinEachRequest`)
_REQUEST: contextvars.ContextVar[Snapshot | None] = contextvars.ContextVar("kakehashi_snapshot", default=None)


class Service:
    """The store, its tables on the engine, and the result cache of one server."""

    def __init__(self, store_path: str | Path, settings: Settings):
        self.settings = settings
        self.path = Path(store_path)
        self._stat = self._manifest_stat()
        self._snap = Snapshot(Store.open(store_path))
        self.max_rows = int(settings.web_max_rows)
        self.timeout = float(
            settings.web_timeout_spark if settings.engine == "spark" else settings.web_timeout
        )
        self._cache: collections.OrderedDict[Hashable, Any] = collections.OrderedDict()
        self._cache_lock = threading.Lock()
        self._store_lock = threading.Lock()
        self._engine_lock = threading.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="kakehashi-q")
        self._running: tuple[tuple[str, Hashable], Tables] | None = None
        #: results computed (cache misses) since start — read by the tests
        self.computed = 0

    # -- the store -------------------------------------------------------------
    def _manifest_stat(self) -> tuple[int, int, int, int] | None:
        try:
            st = os.stat(self.path / "manifest.json")
        except FileNotFoundError:
            return None
        # A commit replaces the file: a new inode, new times (inode numbers are reused).
        return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)

    def current(self) -> Snapshot:
        """The store's current version; the first call after a commit pins the new one.

        If the new version cannot be opened (a permission, a damaged file) the
        server goes on serving the version it has and tries again next time.
        """
        st = self._manifest_stat()
        if st != self._stat:
            with self._store_lock:
                if st != self._stat:
                    try:
                        store = Store.open(self.path)  # requests on the old snapshot keep theirs
                    except StoreError:
                        return self._snap
                    self._snap, self._stat = Snapshot(store), st
        return self._snap

    def snapshot(self) -> Snapshot:
        """The snapshot of the request being served, or the current one outside a request."""
        return _REQUEST.get() or self.current()

    @property
    def store(self) -> Store:
        return self.snapshot().store

    @property
    def version(self) -> str:
        return self.snapshot().version

    def provenance(self) -> dict[str, Any]:
        return self.snapshot().store.provenance()

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
        version = self.version  # the request's snapshot: make() reads the same one
        hit = self.cached(("memo", key))
        if isinstance(hit, bytes):
            return hit
        out = make()
        self._remember((version, ("memo", key)), out)
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
        snap = self.snapshot()
        full = (snap.version, key)
        with self._cache_lock:
            hit = self._cache.get(full)
        if hit is not None:
            return hit
        cancelled = threading.Event()
        fut = self._pool.submit(self._compute, snap, full, compute, parameters, limit, cancelled)
        try:
            return fut.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            cancelled.set()
            running = self._running
            if running is not None and running[0][1] == key:
                interrupt(running[1])
            raise QueryTimeout(
                f"the query ran longer than {self.timeout:g} s and was stopped; "
                "narrow it (fewer years, one country or field) or raise the web_timeout setting."
            ) from None

    def _compute(
        self,
        snap: Snapshot,
        full: tuple[str, Hashable],
        compute: Callable[[Tables], pa.Table],
        parameters: dict[str, Any],
        limit: int | None,
        cancelled: threading.Event,
    ) -> Result:
        with self._engine_lock:
            tables = snap.tables(self.settings)
            with self._cache_lock:
                hit = self._cache.get(full)
            if hit is not None:
                return hit
            if cancelled.is_set():
                raise QueryTimeout("the query was stopped before it started.")
            self._running = (full, tables)
            try:
                table = compute(tables)
            finally:
                self._running = None
        cap = self.max_rows if limit is None else min(limit, self.max_rows)
        total = table.num_rows
        result = Result(
            table=table.slice(0, cap) if total > cap else table,
            provenance={**tables.provenance, "parameters": parameters, "engine": self.settings.engine},
            total_rows=total,
            truncated=total > cap,
        )
        self.computed += 1
        self._remember(full, result)
        return result

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class PinEachRequest:
    """ASGI middleware: every request reads the one snapshot current when it came in.

    A page runs several queries (and ``/meta`` reads provenance and figures):
    without this, a commit between two of them would mix versions on one page.
    """

    def __init__(self, app: Any, service: Service):
        self.app = app
        self.service = service

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _REQUEST.set(self.service.current())
        try:
            await self.app(scope, receive, send)
        finally:
            _REQUEST.reset(token)
