"""Writing a result table: Rich table, CSV, JSON, Parquet, xlsx — each with provenance.

A figure copied into a committee paper must be traceable: JSON and Parquet
carry the provenance (store, sources, parameters, version) inside; CSV and
xlsx carry it beside the data (a ``.provenance.json`` file, an xlsx sheet).
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa

from kakehashi.errors import ConfigError
from kakehashi.i18n import country_name, field_name, t

__all__ = ["FORMATS", "write_result"]

FORMATS = ("table", "csv", "json", "parquet", "xlsx")


def _plain(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def write_result(
    table: pa.Table,
    *,
    fmt: str,
    out: Path | None,
    provenance: dict[str, Any],
    lang: str = "ja",
    excel: bool = False,
    title: str | None = None,
) -> None:
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r} must be one of {', '.join(FORMATS)}.")
    if fmt in ("parquet", "xlsx") and out is None:
        raise ConfigError(f"--format {fmt} writes a file: give --out FILE.")
    if fmt == "table":
        _rich(table, provenance, lang, title, out)
    elif fmt == "csv":
        text = _csv(table)
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8-sig" if excel else "utf-8", newline="")
            out.with_name(out.name + ".provenance.json").write_text(
                json.dumps(provenance, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
            )
    elif fmt == "json":
        doc = {
            "provenance": provenance,
            "columns": table.column_names,
            "rows": [{k: _plain(v) for k, v in r.items()} for r in table.to_pylist()],
        }
        text = json.dumps(doc, ensure_ascii=False, indent=2, default=str)
        if out is None:
            sys.stdout.write(text + "\n")
        else:
            out.write_text(text + "\n", encoding="utf-8")
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        meta = dict(table.schema.metadata or {})
        meta[b"kakehashi.provenance"] = json.dumps(provenance, ensure_ascii=False, default=str).encode()
        pq.write_table(table.replace_schema_metadata(meta), out)
    elif fmt == "xlsx":
        _xlsx(table, provenance, out, lang)  # type: ignore[arg-type]


def _csv(table: pa.Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.column_names)
    for r in table.to_pylist():
        w.writerow(["" if _plain(v) is None else v for v in r.values()])
    return buf.getvalue()


def _label(col: str, lang: str) -> str:
    try:
        return t(f"column.{col}", lang)
    except KeyError:
        return col


#: Indices around or below 1 (affinities, activity index, scores): one decimal would hide them.
_INDEX_COLUMNS = frozenset(
    {
        "assoc_strength",
        "salton",
        "jaccard",
        "ai",
        "ai_country",
        "ai_partner",
        "score",
        "mncs",
        "mncs_lo",
        "mncs_hi",
        "ncs",
    }
)


#: columns whose codes the table view shows in words (value.<column>.<code> in the catalogue)
_VALUE_COLUMNS = ("collab_type", "scope", "kind", "stage", "class")


def _fmt(col: str, v: Any, lang: str) -> str:
    v = _plain(v)
    if v is None:
        return "—"
    if col in ("country", "partner", "from", "to", "partner_country"):
        return f"{country_name(v, lang)} ({v})"
    if col == "field_id" and isinstance(v, int):
        return f"{field_name(v, lang)} ({v})"
    if col in _VALUE_COLUMNS and isinstance(v, str):
        try:
            return t(f"value.{col}.{v}", lang)
        except KeyError:
            return v
    if isinstance(v, float):
        if col.startswith(("pp_", "cagr_", "share")):
            return f"{v * 100:.1f}%"
        if col.endswith("_rate"):  # mobility rates per active author: about 1 %
            return f"{v * 100:.2f}%"
        if col in _INDEX_COLUMNS:
            return f"{v:.3f}"
        return f"{v:,.1f}"
    if isinstance(v, int) and col not in ("year", "year_from", "year_to", "field_id"):
        return f"{v:,}"
    return str(v)


def _rich(
    table: pa.Table, provenance: dict[str, Any], lang: str, title: str | None, out: Path | None
) -> None:
    from rich.console import Console

    if out is not None:
        with open(out, "w", encoding="utf-8") as fh:
            _rich_to(Console(file=fh, width=1000), table, provenance, lang, title)
    else:
        # Piped output is not cut to 80 columns: headers in Japanese are wide.
        _rich_to(Console(width=None if sys.stdout.isatty() else 1000), table, provenance, lang, title)


def _rich_to(console: Any, table: pa.Table, provenance: dict[str, Any], lang: str, title: str | None) -> None:
    from rich.table import Table

    if provenance.get("synthetic"):
        console.print(f"[bold reverse] {t('synthetic.banner', lang)} [/] {t('synthetic.note', lang)}")
    tbl = Table(title=title, show_lines=False)
    for c in table.column_names:
        tbl.add_column(_label(c, lang), justify="left" if c in ("country", "partner", "name") else "right")
    for r in table.to_pylist():
        tbl.add_row(*[_fmt(c, v, lang) for c, v in r.items()])
    if not console.is_terminal:
        # Piped or written to a file: as wide as the table needs, never wrapped.
        console.width = max(console.measure(tbl).maximum, 40)
    console.print(tbl)


def _xlsx(table: pa.Table, provenance: dict[str, Any], out: Path, lang: str) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(table.column_names)
    for r in table.to_pylist():
        ws.append([_plain(v) for v in r.values()])
    meta = wb.create_sheet("provenance")
    for k, v in provenance.items():
        meta.append([k, json.dumps(v, ensure_ascii=False, default=str) if not isinstance(v, str) else v])
    if provenance.get("synthetic"):
        meta.append(["note", t("synthetic.note", lang)])
    wb.save(out)
