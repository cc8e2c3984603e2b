"""Command-line options several commands share (declared once, like the settings they set)."""

from __future__ import annotations

import typer

__all__ = ["ENGINE", "SPARK_MASTER"]

ENGINE = typer.Option(None, "--engine", help="duckdb (default, embedded) or spark (setting `engine`).")
SPARK_MASTER = typer.Option(
    None,
    "--spark-master",
    help="Spark master URL with --engine spark (default local[*]; setting `spark_master`).",
)
