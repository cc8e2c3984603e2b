"""Parsing OpenAlex JSON with Apache Spark (the snapshot ingest on a cluster).

The counterpart of :mod:`kakehashi.engines.jsonread` for ``kakehashi ingest
openalex --engine spark``: the same explicit, engine-agnostic schemas of
:mod:`kakehashi.ingest.rawschema` (here as a ``StructType`` for
``from_json``, so nothing is inferred and every other key is skipped), the
same bookkeeping columns, the same :class:`~kakehashi.engines.jsonread.ReadFailed`
on a file that cannot be read. Intermediates are written as Parquet under the
workspace folder (on a cluster: shared storage) rather than cached in memory,
so the snapshot never has to fit in the executors' memory.

Record numbers (``_source_line``) follow DuckDB's: the 1-based place of the
record among the file's non-blank lines. A gzipped file is never split by
Spark, and a plain file no larger than ``spark.sql.files.maxPartitionBytes``
is not either: such a file is one partition read in order, and
``monotonically_increasing_id`` — partition index · 2³³ + row in partition —
gives the record number in its low 33 bits with no shuffle. A larger plain
file (split into several partitions, each still read in order) is numbered
with a window over its own rows instead.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
from ibis.backends.pyspark.datatypes import PySparkSchema

from kakehashi.engines import spark
from kakehashi.engines.jsonread import RawFile, ReadFailed

if TYPE_CHECKING:
    from kakehashi.settings import Settings
    from kakehashi.store import Transaction

__all__ = ["SparkWorkspace"]

_LOW_33 = (1 << 33) - 1
_names = itertools.count()


class SparkWorkspace:
    """An ingest's scratch space on Spark: raw parses and intermediates as Parquet in ``folder``."""

    engine = "spark"
    #: every file in one pass: Spark spills what does not fit on its own
    batch_bytes: int | None = None
    batch_files = 1

    def __init__(self, settings: Settings | None, folder: Path):
        self.con = spark.connect(settings)
        self.session: Any = self.con._session
        self.dir = Path(folder)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._raw: dict[str, list[Path]] = {}
        self._views: list[str] = []

    # -- parsing -------------------------------------------------------------------

    def load_raw(
        self, table: str, files: Sequence[RawFile], schema: ibis.Schema, *, ignore_errors: bool = False
    ) -> int:
        """Parse ``files`` into the raw table ``table``; return the rows added (see jsonread.load_raw)."""
        if not files:
            return 0
        from pyspark.sql import DataFrame

        struct = PySparkSchema.from_ibis(schema)
        df = functools.reduce(DataFrame.unionByName, (self._read(f, struct, ignore_errors) for f in files))
        out = self.dir / "raw" / table / f"batch-{next(_names):05d}"
        try:
            df.write.parquet(str(out), compression="zstd")
        except Exception as exc:  # pyspark's errors (Py4J, AnalysisException…) share no base of use here
            shutil.rmtree(out, ignore_errors=True)
            raise ReadFailed(files, _first_line(exc)) from exc
        self._raw.setdefault(table, []).append(out)
        return _parquet_rows(out)

    def _read(self, f: RawFile, struct: Any, ignore_errors: bool) -> Any:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T
        from pyspark.sql.window import Window

        mode = {"mode": "PERMISSIVE" if ignore_errors else "FAILFAST"}
        fields = [F.col("r")[name].alias(name) for name in struct.fieldNames()]
        if f.page:
            page = T.StructType([T.StructField("results", T.ArrayType(struct))])
            df = self.session.read.schema(page).options(multiLine=True, **mode).json(f.path)
            df = df.select(F.posexplode("results").alias("i", "r")).select(
                (F.col("i") + 1).cast("bigint").alias("n"), *fields
            )
        else:
            text = self.session.read.text(f.path)
            text = text.filter(F.trim("value") != "")
            parsed = text.select(
                F.monotonically_increasing_id().alias("mid"), F.from_json("value", struct, mode).alias("r")
            )
            if _one_partition(f.path, self.session):
                n = (F.col("mid").bitwiseAND(F.lit(_LOW_33)) + 1).cast("bigint")
            else:
                n = F.row_number().over(Window.orderBy("mid")).cast("bigint")
            df = parsed.select(n.alias("n"), *fields)
        return df.select(
            (F.lit(f.version_base).cast("bigint") + F.col("n")).alias("_version"),
            F.lit(f.source_path).alias("_source_path"),
            F.col("n").alias("_source_line"),
            *struct.fieldNames(),
        )

    def raw(self, table: str) -> ir.Table:
        """The raw table ``table`` (every batch parsed into it) as an Ibis table."""
        return self._view(f"raw_{table}", self._raw[table])

    # -- intermediates and output ----------------------------------------------------

    def keep(self, expr: ir.Table, name: str) -> ir.Table:
        """``expr`` computed once (written to Parquet and read back), for an intermediate read often."""
        out = self.dir / "keep" / f"{name}-{next(_names)}"
        self.con.to_parquet(expr, out)
        return self._view(name, [out])

    def stage(self, new: Mapping[str, ir.Table], tx: Transaction) -> dict[str, int]:
        """Stage every table as Parquet for the transaction's merge (on DuckDB, at commit)."""
        stem = f"openalex{next(_names):05d}"  # file names of their own, should a second batch come
        return {name: self._write_staged(expr, tx.staged_dir(name), stem) for name, expr in new.items()}

    def finish(self, tx: Transaction) -> None:
        """Nothing to do: the transaction merges the staged Parquet at commit."""

    def staged(self, tx: Transaction, name: str) -> ir.Table:
        return self._read_staged(tx.staged_dir(name), "openalex")

    def _write_staged(self, expr: ir.Table, folder: Path, stem: str) -> int:
        """Write ``expr`` as ``folder/<stem>-NNNNN.parquet`` files; return the rows written."""
        out = self.dir / "out" / f"{stem}-{next(_names)}"
        self.con.to_parquet(expr, out, compression="zstd")
        folder.mkdir(parents=True, exist_ok=True)
        rows = 0
        for i, part in enumerate(sorted(out.glob("part-*.parquet"))):
            target = folder / f"{stem}-{i:05d}.parquet"
            shutil.move(str(part), target)
            rows += _parquet_rows(target)
        shutil.rmtree(out, ignore_errors=True)
        return rows

    def _read_staged(self, folder: Path, stem: str) -> ir.Table:
        """The Parquet files :meth:`_write_staged` put in ``folder``."""
        return self._view(stem, sorted(folder.glob(f"{stem}*-*.parquet")))

    def execute(self, expr: ir.Expr) -> Any:
        return self.con.execute(expr)

    def close(self) -> None:
        for name in self._views:
            self.session.catalog.dropTempView(name)
        self._views.clear()

    def _view(self, name: str, paths: Sequence[Path]) -> ir.Table:
        view = f"_ingest_{name}_{next(_names)}"
        self.session.read.parquet(*(str(p) for p in paths)).createOrReplaceTempView(view)
        self._views.append(view)
        return self.con.table(view)


def _one_partition(path: str, session: Any) -> bool:
    """Whether Spark reads ``path`` as one partition (gzip is not splittable; small files are not split)."""
    if path.endswith(".gz"):
        return True
    limit = session.conf.get("spark.sql.files.maxPartitionBytes", "134217728")
    return os.path.getsize(path) <= _bytes(limit)


def _bytes(value: str) -> int:
    value = value.strip().lower().removesuffix("b")
    for suffix, factor in (("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("t", 1 << 40)):
        if value.endswith(suffix):
            return int(float(value[: -len(suffix)]) * factor)
    return int(value)


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    files = [path] if path.is_file() else sorted(path.glob("*.parquet"))
    return sum(int(pq.ParquetFile(p).metadata.num_rows) for p in files)


def _first_line(exc: BaseException) -> str:
    """Spark's own reason, not Py4J's "An error occurred while calling o123.parquet"."""
    text = str(exc).strip()
    for line in text.splitlines():
        if "Exception: " in line:
            return line.rsplit("Exception: ", 1)[1].strip()[:300]
    return text.splitlines()[0] if text else type(exc).__name__
