"""Command-line options several commands share (declared once, like the settings they set)."""

from __future__ import annotations

import typer

__all__ = [
    "CAREERS",
    "ENGINE",
    "EXCEL",
    "FIELD",
    "FORMAT",
    "LANG",
    "OUT",
    "PERIOD",
    "SPARK_MASTER",
    "STAGE",
    "VISIT_YEARS",
    "YEARS",
]

ENGINE = typer.Option(None, "--engine", help="duckdb (default, embedded) or spark (setting `engine`).")
SPARK_MASTER = typer.Option(
    None,
    "--spark-master",
    help="Spark master URL with --engine spark (default local[*]; setting `spark_master`).",
)

# What `indicator` and `works` share: the scope of a figure, its output, its language.
CAREERS = typer.Option(
    "works", "--careers", help="mobility: careers from works or author-affiliations (OpenAlex authors)."
)
STAGE = typer.Option(None, "--stage", help="mobility: career stage early, mid or senior.")
VISIT_YEARS = typer.Option(
    None, "--visit-years", help="mobility: longest stay abroad that is a visit (default 2 years)."
)
YEARS = typer.Option(None, "--years", help="A year or a range, e.g. 2012-2022.")
FIELD = typer.Option(None, "--field", help="OpenAlex field id (17 = Computer Science).")
PERIOD = typer.Option("calendar", "--period", help="calendar or fiscal (April–March).")
FORMAT = typer.Option("table", "--format", help="table, csv, json, parquet or xlsx.")
OUT = typer.Option(None, "--out", help="Write to this file instead of the terminal.")
EXCEL = typer.Option(False, "--excel", help="CSV with the byte-order mark Excel needs.")
LANG = typer.Option(None, "--lang", help="ja (default) or en.")
