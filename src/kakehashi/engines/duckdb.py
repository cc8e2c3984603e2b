"""DuckDB, the embedded default engine, reached through Ibis."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

if TYPE_CHECKING:
    from kakehashi.model.tables import TableSpec
    from kakehashi.settings import Settings

__all__ = ["connect", "empty_table", "materialise", "read_parquet", "write_parquet"]

_names = itertools.count()


def connect(settings: Settings | None = None) -> ibis.BaseBackend:
    kw: dict[str, object] = {}
    if settings is not None:
        if settings.duckdb_memory_limit:
            kw["memory_limit"] = settings.duckdb_memory_limit
        if settings.duckdb_threads:
            kw["threads"] = int(settings.duckdb_threads)
    return ibis.duckdb.connect(**kw)


def read_parquet(con: ibis.BaseBackend, folder: Path, name: str | None = None) -> ir.Table:
    name = name or f"t{next(_names)}"
    return con.read_parquet(str(Path(folder) / "*.parquet"), table_name=f"{name}_{next(_names)}")


def empty_table(con: ibis.BaseBackend, spec: TableSpec) -> ir.Table:
    return con.create_table(f"{spec.name}_{next(_names)}", schema=spec.schema, temp=True)


def materialise(con: ibis.BaseBackend, expr: ir.Table, name: str) -> ir.Table:
    """Compute ``expr`` once into a temporary table (it is read more than once)."""
    return con.create_table(f"{name}_{next(_names)}", expr, temp=True)


def write_parquet(
    con: ibis.BaseBackend,
    expr: ir.Table,
    folder: Path,
    *,
    name: str = "part-00000.parquet",
    compression: str = "zstd",
) -> int:
    """Write ``expr`` as ``folder/name`` (a store table: zstd; an ingest batch's part, written
    and read back once: snappy); return its row count."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    con.to_parquet(expr, str(target), compression=compression)
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(target).metadata.num_rows)
