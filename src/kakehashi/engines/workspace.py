"""An ingest's scratch space on one engine: parse, keep intermediates, write staged Parquet.

:func:`open_workspace` gives the same small interface on DuckDB (temporary
tables in an in-memory database that spills to disk; the default) and on
Spark (Parquet under the workspace folder, :mod:`kakehashi.engines.spark_json`),
so :mod:`kakehashi.ingest.openalex` runs one code path on either.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kakehashi.engines import jsonread
from kakehashi.engines.jsonread import RawFile
from kakehashi.errors import ConfigError

if TYPE_CHECKING:
    import ibis
    import ibis.expr.types as ir

    from kakehashi.settings import Settings

__all__ = ["DuckDBWorkspace", "Workspace", "open_workspace"]


class Workspace(Protocol):
    """What the ingest needs of an engine (both engines implement it)."""

    engine: str

    def load_raw(
        self, table: str, files: Sequence[RawFile], schema: ibis.Schema, *, ignore_errors: bool = False
    ) -> int: ...

    def raw(self, table: str) -> ir.Table: ...

    def keep(self, expr: ir.Table, name: str) -> ir.Table: ...

    def write(self, expr: ir.Table, folder: Path, stem: str) -> int: ...

    def read(self, folder: Path, stem: str) -> ir.Table: ...

    def execute(self, expr: ir.Expr) -> Any: ...

    def close(self) -> None: ...


class DuckDBWorkspace:
    """Raw parses and intermediates as temporary tables of one DuckDB connection."""

    engine = "duckdb"

    def __init__(self, settings: Settings | None, folder: Path):
        self.con = jsonread.workspace(settings, Path(folder) / "spill")

    def load_raw(
        self, table: str, files: Sequence[RawFile], schema: ibis.Schema, *, ignore_errors: bool = False
    ) -> int:
        return jsonread.load_raw(self.con, table, files, schema, ignore_errors=ignore_errors)

    def raw(self, table: str) -> ir.Table:
        return self.con.table(table)

    def keep(self, expr: ir.Table, name: str) -> ir.Table:
        return self.con.create_table(f"_{name}", expr, temp=True)

    def write(self, expr: ir.Table, folder: Path, stem: str) -> int:
        import pyarrow.parquet as pq

        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{stem}.parquet"
        self.con.to_parquet(expr, str(target), compression="zstd")
        return int(pq.ParquetFile(target).metadata.num_rows)

    def read(self, folder: Path, stem: str) -> ir.Table:
        return self.con.read_parquet(str(folder / f"{stem}.parquet"))

    def execute(self, expr: ir.Expr) -> Any:
        return self.con.execute(expr)

    def close(self) -> None:
        self.con.disconnect()


def open_workspace(engine: str, settings: Settings | None, folder: Path) -> Workspace:
    """A workspace on ``engine`` (``duckdb`` or ``spark``) with its scratch files under ``folder``."""
    if engine == "duckdb":
        return DuckDBWorkspace(settings, folder)
    if engine == "spark":
        from kakehashi.engines.spark_json import SparkWorkspace

        return SparkWorkspace(settings, folder)
    raise ConfigError(f"unknown engine {engine!r}; choose duckdb or spark.", parameter="engine")
