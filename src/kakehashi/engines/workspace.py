"""An ingest's scratch space on one engine: parse, keep intermediates, write staged Parquet.

:func:`open_workspace` gives the same small interface on DuckDB (temporary
tables in an in-memory database that spills to disk; the default) and on
Spark (Parquet under the workspace folder, :mod:`kakehashi.engines.spark_json`),
so :mod:`kakehashi.ingest.openalex` runs one code path on either; only how the
new rows reach the store's transaction differs (:meth:`Workspace.stage`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import ibis.expr.operations as ops

from kakehashi.engines import jsonread
from kakehashi.engines.jsonread import RawFile
from kakehashi.errors import ConfigError

if TYPE_CHECKING:
    import ibis
    import ibis.expr.types as ir

    from kakehashi.settings import Settings
    from kakehashi.store import Transaction

__all__ = ["DuckDBWorkspace", "Workspace", "open_workspace"]


class Workspace(Protocol):
    """What the ingest needs of an engine (both engines implement it)."""

    engine: str

    def load_raw(
        self, table: str, files: Sequence[RawFile], schema: ibis.Schema, *, ignore_errors: bool = False
    ) -> int: ...

    def raw(self, table: str) -> ir.Table: ...

    def keep(self, expr: ir.Table, name: str) -> ir.Table: ...

    def stage(self, new: Mapping[str, ir.Table], tx: Transaction) -> dict[str, int]:
        """Give ``tx`` the new rows of every table; return the rows per table."""
        ...

    def staged(self, tx: Transaction, name: str) -> ir.Table:
        """The new rows of ``name`` that :meth:`stage` gave ``tx``."""
        ...

    def execute(self, expr: ir.Expr) -> Any: ...

    def close(self) -> None: ...


class DuckDBWorkspace:
    """Raw parses and intermediates as temporary tables of one DuckDB connection."""

    engine = "duckdb"

    def __init__(self, settings: Settings | None, folder: Path):
        self.con = jsonread.workspace(settings, Path(folder) / "spill")
        self._staged: dict[str, ir.Table] = {}

    def load_raw(
        self, table: str, files: Sequence[RawFile], schema: ibis.Schema, *, ignore_errors: bool = False
    ) -> int:
        return jsonread.load_raw(self.con, table, files, schema, ignore_errors=ignore_errors)

    def raw(self, table: str) -> ir.Table:
        return self.con.table(table)

    def keep(self, expr: ir.Table, name: str) -> ir.Table:
        return self.con.create_table(f"_{name}", expr, temp=True)

    def stage(self, new: Mapping[str, ir.Table], tx: Transaction) -> dict[str, int]:
        """Merge now, in this connection, on its own temporary tables (:meth:`Transaction.merge`):
        nothing is written to Parquet and read back but the merged tables."""
        pending = dict(new)
        self._staged = {}
        for name in new:
            self._staged[name] = self.keep(pending.pop(name), f"new_{name}")
            # A raw parse or intermediate that no table still to come reads is done
            # with: its memory goes to the rest and to the merge.
            needed = {t.name for expr in pending.values() for t in expr.op().find(ops.DatabaseTable)}
            jsonread.drop_temp_tables(self.con, keep=needed | {t.op().name for t in self._staged.values()})
        rows = {name: int(self.execute(t.count())) for name, t in self._staged.items()}
        tx.merge(self.con, self._staged)
        return rows

    def staged(self, tx: Transaction, name: str) -> ir.Table:
        return self._staged[name]

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
