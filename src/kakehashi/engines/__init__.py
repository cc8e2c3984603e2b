"""Engines: the only place that imports duckdb or pyspark (STYLE.md 1).

:func:`open_store` returns the store's tables as Ibis tables on the chosen
engine; everything above this layer takes and returns Ibis expressions and
does not know which engine runs them.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from kakehashi.errors import ConfigError
from kakehashi.model import tables as model
from kakehashi.store import Store as _Store

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from kakehashi.settings import Settings
    from kakehashi.store import Store, Version

__all__ = ["ENGINES", "Tables", "interrupt", "open_store"]

ENGINES = ("duckdb", "spark")

_reused = itertools.count()


@dataclasses.dataclass(frozen=True)
class Tables(Mapping[str, "ir.Table"]):
    """The store's tables on one engine, by name (``tables["works"]``)."""

    engine: str
    backend: Any
    tables: Mapping[str, ir.Table]
    provenance: Mapping[str, Any]

    def __getitem__(self, name: str) -> ir.Table:
        return self.tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def __getattr__(self, name: str) -> ir.Table:
        try:
            return self.tables[name]
        except KeyError:
            raise AttributeError(name) from None

    def reuse(self, expr: ir.Table) -> ir.Table:
        """``expr`` computed once, for an intermediate read several times (Spark recomputes otherwise).

        DuckDB: a temporary table (dropped with the connection); Spark: Ibis's
        ``cache()``, released when the returned table is garbage collected.
        """
        if self.engine == "duckdb":
            return self.backend.create_table(f"_reuse_{next(_reused)}", expr, temp=True)
        return expr.cache()


def open_store(store: Store | Version, engine: str = "duckdb", settings: Settings | None = None) -> Tables:
    """Open every table of ``store``'s pinned version as an Ibis table on ``engine``.

    The tables hold that version (:class:`kakehashi.store.Version`) for as long
    as they live: a commit meanwhile neither changes nor deletes what they read.
    """
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}.")
    if engine == "duckdb":
        from kakehashi.engines import duckdb as eng
    else:
        from kakehashi.engines import spark as eng  # type: ignore[no-redef]
    version = store.pinned if isinstance(store, _Store) else store
    backend = eng.connect(settings)

    def open_one(name: str) -> ir.Table:
        if version.has_table(name):
            return eng.read_parquet(backend, version.table_dir(name), name)
        return eng.empty_table(backend, model.spec(name))

    return Tables(
        engine, backend, _OnFirstUse(open_one, [s.name for s in model.TABLES]), version.provenance()
    )


class _OnFirstUse(Mapping[str, "ir.Table"]):
    """Tables opened when first asked for, then kept: opening one costs a view and a
    schema read (on Spark a job), and an indicator reads a few of the store's
    tables. A lock keeps two threads of a server from opening the same table twice."""

    def __init__(self, open_one: Callable[[str], ir.Table], names: list[str]):
        self._open = open_one
        self._names = tuple(names)
        self._opened: dict[str, ir.Table] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> ir.Table:
        if name not in self._names:
            raise KeyError(name)
        with self._lock:
            if name not in self._opened:
                self._opened[name] = self._open(name)
            return self._opened[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def interrupt(tables: Tables) -> None:
    """Stop the query running on ``tables``' connection (a web request past its time limit)."""
    if tables.engine == "duckdb":
        tables.backend.con.interrupt()
    else:
        tables.backend._session.sparkContext.cancelAllJobs()
