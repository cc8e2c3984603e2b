"""Apache Spark (local mode by default), reached through Ibis.

One Spark session per process: starting one takes seconds, so it is made
once and shared (tests, the CLI and the server all reuse it).
"""

from __future__ import annotations

import functools
import itertools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

if TYPE_CHECKING:
    from kakehashi.model.tables import TableSpec
    from kakehashi.settings import Settings

__all__ = ["connect", "empty_table", "read_parquet", "session"]

_names = itertools.count()


@functools.cache
def session(master: str = "local[*]", driver_memory: str = "4g") -> Any:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)  # type: ignore[attr-defined]
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(master)
        .appName("kakehashi")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.driver.extraJavaOptions", "-Dlog4j2.level=ERROR")
        .getOrCreate()
    )
    # Failures reach Python as exceptions (turned into messages there); the JVM log would only repeat them.
    spark.sparkContext.setLogLevel("FATAL")
    return spark


def connect(settings: Settings | None = None) -> ibis.BaseBackend:
    s = session() if settings is None else session(settings.spark_master, settings.spark_driver_memory)
    return ibis.pyspark.connect(s)


def read_parquet(con: ibis.BaseBackend, folder: Path, name: str | None = None) -> ir.Table:
    name = name or "t"
    # Spark reads a folder of part files; a glob only draws a warning.
    return con.read_parquet(str(Path(folder)), table_name=f"{name}_{next(_names)}")


def empty_table(con: ibis.BaseBackend, spec: TableSpec) -> ir.Table:
    return con.create_table(f"{spec.name}_{next(_names)}", schema=spec.schema, temp=True)
