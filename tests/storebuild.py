"""Build small stores from hand-written rows, through the real store code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa

from kakehashi.engines import merge
from kakehashi.model import tables as model
from kakehashi.store import Store


def rows_to_arrow(
    name: str, rows: list[dict[str, Any]], version_of: dict[str, int] | None = None
) -> pa.Table:
    """Arrow rows of table ``name``; unspecified columns are null; ``_version`` added."""
    spec = model.spec(name)
    schema = spec.schema.to_pyarrow()
    cols: dict[str, list[Any]] = {f.name: [] for f in schema}
    for r in rows:
        for f in schema:
            cols[f.name].append(r.get(f.name))
    tbl = pa.table(cols, schema=schema)
    if spec.reference:
        return tbl
    if spec.registry:
        return tbl  # Transaction.replace adds _version
    if spec.parent is None:
        versions = list(range(len(rows)))
    else:
        parent_key = model.spec(spec.parent).key[0]
        versions = [(version_of or {}).get(r[parent_key], 0) for r in rows]
    return tbl.append_column("_version", pa.array(versions, pa.int64()))


def build_store(path: Path, **tables: list[dict[str, Any]]) -> Store:
    """A store holding exactly ``tables`` (works, affiliations, …) as given."""
    store = Store.open(path, create=True)
    works = tables.get("works", [])
    for w in works:
        w.setdefault("updated_date", dt.datetime(2024, 1, 1))
        if "year" in w and "publication_date" not in w:
            w["publication_date"] = dt.date(w["year"], 6, 1)
    with merge.transaction(store, {"kind": "test"}) as tx:
        for name, rows in tables.items():
            if not rows:
                continue
            spec = model.spec(name)
            vo = None
            if spec.parent:
                key = model.spec(spec.parent).key[0]
                vo = {r[key]: i for i, r in enumerate(tables.get(spec.parent, []))}
            tx.add(name, rows_to_arrow(name, rows, vo))
    return store
