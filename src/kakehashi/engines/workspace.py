"""An ingest's scratch space on one engine: parse, keep intermediates, write staged Parquet.

:func:`open_workspace` gives the same small interface on DuckDB (temporary
tables in an in-memory database that spills to disk; the default) and on
Spark (Parquet under the workspace folder, :mod:`kakehashi.engines.spark_json`),
so :mod:`kakehashi.ingest.openalex` runs one code path on either; only how the
new rows reach the store's transaction differs (:meth:`Workspace.stage`,
:meth:`Workspace.finish`).

The DuckDB workspace takes the files a batch at a time
(:attr:`Workspace.batch_bytes`): each batch is parsed, normalised and written
as Parquet parts, and everything of it dropped, before the next is read, so
its memory is bounded by a batch rather than by the snapshot; the parts are
merged into the store at the end. Spark, which spills on its own, takes all
files at once.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import ibis.expr.operations as ops

from kakehashi.engines import duckdb as duck
from kakehashi.engines import jsonread, merge
from kakehashi.engines.jsonread import RawFile
from kakehashi.errors import ConfigError
from kakehashi.settings import Settings

if TYPE_CHECKING:
    import ibis
    import ibis.expr.types as ir

    from kakehashi.store import Transaction

__all__ = ["DuckDBWorkspace", "Workspace", "open_workspace"]

_views = itertools.count()


class Workspace(Protocol):
    """What the ingest needs of an engine (both engines implement it)."""

    engine: str
    #: Bytes of files (as stored) to parse and normalise at a time; None: all at once.
    batch_bytes: int | None
    #: Files a batch holds at least, whatever their size (one per parsing thread).
    batch_files: int

    def load_raw(
        self, table: str, files: Sequence[RawFile], schema: ibis.Schema, *, ignore_errors: bool = False
    ) -> int: ...

    def raw(self, table: str) -> ir.Table: ...

    def keep(self, expr: ir.Table, name: str) -> ir.Table: ...

    def stage(self, new: Mapping[str, ir.Table], tx: Transaction) -> dict[str, int]:
        """Stage one batch's new rows of every table; return the rows per table.

        Called once per batch; everything the batch parsed may be dropped after it.
        """
        ...

    def finish(self, tx: Transaction) -> None:
        """Hand every batch's staged rows to ``tx`` (after the last :meth:`stage`)."""
        ...

    def staged(self, tx: Transaction, name: str) -> ir.Table:
        """The new rows of ``name`` that :meth:`stage` staged, every batch's."""
        ...

    def execute(self, expr: ir.Expr) -> Any: ...

    def close(self) -> None: ...


class DuckDBWorkspace:
    """Raw parses and intermediates as temporary tables of one DuckDB connection,
    each batch's new rows as Parquet parts under ``folder/parts/<table>/``."""

    engine = "duckdb"

    def __init__(self, settings: Settings | None, folder: Path):
        self.con = jsonread.workspace(settings, Path(folder) / "spill")
        self.parts = Path(folder) / "parts"
        # No settings: the declared defaults (256 MB), not the environment's.
        mb = (settings or Settings.load(env={}, config_file=None)).ingest_batch_mb
        self.batch_bytes: int | None = int(mb) << 20 if int(mb) > 0 else None
        # A gzipped file is parsed by one thread: a batch of fewer files than threads
        # (snapshot files are up to 2 GB) would leave cores idle.
        self.batch_files = jsonread.threads(self.con)
        self._batches = 0

    def load_raw(
        self, table: str, files: Sequence[RawFile], schema: ibis.Schema, *, ignore_errors: bool = False
    ) -> int:
        return jsonread.load_raw(self.con, table, files, schema, ignore_errors=ignore_errors)

    def raw(self, table: str) -> ir.Table:
        return self.con.table(table)

    def keep(self, expr: ir.Table, name: str) -> ir.Table:
        return self.con.create_table(f"_{name}", expr, temp=True)

    def stage(self, new: Mapping[str, ir.Table], tx: Transaction) -> dict[str, int]:
        """Write each table's new rows as ``parts/<table>/part-<batch>.parquet``, then drop
        the batch's raw parses and intermediates (each as soon as no table still to be
        written reads it: its memory goes to the rest)."""
        pending = dict(new)
        rows = {}
        batch = self._batches
        self._batches += 1
        try:
            for name in new:
                rows[name] = duck.write_parquet(
                    self.con,
                    pending.pop(name),
                    self.parts / name,
                    name=f"part-{batch:05d}.parquet",
                    compression="snappy",
                )
                needed = {t.name for expr in pending.values() for t in expr.op().find(ops.DatabaseTable)}
                jsonread.drop_temp_tables(self.con, keep=needed)
        finally:
            jsonread.drop_temp_tables(self.con, keep=set())
        return rows

    def finish(self, tx: Transaction) -> None:
        """Merge every batch's parts now, in this connection (:func:`~kakehashi.engines.merge.merge_tables`),
        so the merge runs with the ingest's memory and thread settings."""
        tables = {name: self.staged(tx, name) for name in self._staged_names()}
        if tables:
            merge.merge_tables(self.con, tx, tables)

    def _staged_names(self) -> list[str]:
        if not self.parts.is_dir():
            return []
        return sorted(d.name for d in self.parts.iterdir() if any(d.glob("*.parquet")))

    def staged(self, tx: Transaction, name: str) -> ir.Table:
        return self.con.read_parquet(
            str(self.parts / name / "*.parquet"), table_name=f"_staged_{name}_{next(_views)}"
        )

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
