"""A result as the API sends it: JSON (the CLI's layout), CSV for Excel, xlsx.

The JSON document is the CLI's ``--format json`` (``provenance``, ``columns``,
``rows``) plus ``labels`` (column names in the asked language) and
``truncated``/``total_rows`` when the row cap cut the result. CSV carries the
byte-order mark Excel needs to read UTF-8; xlsx carries a provenance sheet.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from kakehashi.i18n import t
from kakehashi.web.service import Result

__all__ = ["csv_bytes", "json_bytes", "label", "plain", "rows", "xlsx_bytes"]


def plain(v: Any) -> Any:
    """JSON-safe scalar: NaN and infinities become null."""
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def label(column: str, lang: str) -> str:
    try:
        return t(f"column.{column}", lang)
    except KeyError:
        return column


def rows(result: Result) -> list[dict[str, Any]]:
    return [{k: plain(v) for k, v in r.items()} for r in result.table.to_pylist()]


def json_bytes(result: Result, lang: str) -> bytes:
    key = ("json", lang)
    if key not in result.rendered:
        cols = result.table.column_names
        doc: dict[str, Any] = {
            "provenance": result.provenance,
            "columns": cols,
            "labels": {c: label(c, lang) for c in cols},
            "rows": rows(result),
            "truncated": result.truncated,
            "total_rows": result.total_rows,
        }
        result.rendered[key] = json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8")
    return result.rendered[key]


def csv_bytes(result: Result) -> bytes:
    if "csv" not in result.rendered:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(result.table.column_names)
        for r in result.table.to_pylist():
            w.writerow(["" if plain(v) is None else v for v in r.values()])
        result.rendered["csv"] = buf.getvalue().encode("utf-8-sig")
    return result.rendered["csv"]


def xlsx_bytes(result: Result, lang: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "data"
    ws.append(result.table.column_names)
    for r in result.table.to_pylist():
        ws.append([plain(v) for v in r.values()])
    meta = wb.create_sheet("provenance")
    for k, v in result.provenance.items():
        meta.append([k, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)])
    if result.truncated:
        meta.append(["truncated", t("web.truncated", lang, rows=result.table.num_rows)])
    if result.provenance.get("synthetic"):
        meta.append(["note", t("synthetic.note", lang)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
