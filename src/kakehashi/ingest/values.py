"""OpenAlex values → the store's: id forms, country codes, dates, Crossref types.

Small Ibis expressions shared by :mod:`kakehashi.ingest.normalise`; like it,
they know no engine.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["CROSSREF_TO_OPENALEX"]

#: Crossref's work types (the 2022 schema's ``type``) → OpenAlex's
CROSSREF_TO_OPENALEX = {
    "journal-article": "article",
    "proceedings-article": "article",
    "posted-content": "preprint",
    "book-chapter": "book-chapter",
    "book-part": "book-chapter",
    "book-section": "book-chapter",
    "book-track": "book-chapter",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "reference-book": "book",
    "book-set": "book",
    "book-series": "book",
    "dissertation": "dissertation",
    "dataset": "dataset",
    "report": "report",
    "report-series": "report",
    "report-component": "report",
    "reference-entry": "reference-entry",
    "peer-review": "peer-review",
    "standard": "standard",
    "standard-series": "standard",
    "grant": "grant",
    "component": "other",
    "journal": "paratext",
    "journal-issue": "paratext",
    "journal-volume": "paratext",
    "proceedings": "paratext",
    "proceedings-series": "paratext",
    "other": "other",
}
# Crossref type names OpenAlex never uses: a record typed so is of the 2022 schema.
_CROSSREF_ONLY = sorted(k for k, v in CROSSREF_TO_OPENALEX.items() if k != v)

_STR = "string"
_TS = "timestamp"


def _id(col: ir.StringValue) -> ir.StringValue:
    return col.replace("https://openalex.org/", "")


def _ror(col: ir.StringValue) -> ir.StringValue:
    return col.replace("https://ror.org/", "")


def _orcid(col: ir.StringValue) -> ir.StringValue:
    return col.replace("https://orcid.org/", "")


def _num_id(col: ir.StringValue) -> ir.IntegerValue:
    # https://openalex.org/fields/17 → 17
    return col.re_replace(r"^.*/", "").try_cast("int32")


def _country(col: ir.StringValue) -> ir.StringValue:
    return col.upper().nullif("")


def _date(col: ir.StringValue) -> ir.TimestampValue:
    return col.try_cast(_TS)


def _newest(t: ir.Table, key: str, *tiebreak: str) -> ir.Table:
    """One row per ``key``: the newest record's (latest updated_date, then later record)."""
    order = [ibis.desc(t.updated_date), ibis.desc(t._version), *(ibis.asc(t[c]) for c in tiebreak)]
    w = ibis.window(group_by=t[key], order_by=order)
    ranked = t.mutate(_rn=ibis.row_number().over(w))
    return ranked.filter(ranked._rn == 0).drop("_rn")
