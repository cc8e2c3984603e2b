"""Merging staged rows into stored tables (the upsert rules of DESIGN.md).

For a root table (works, institutions, authors, funders) every version of a
key — stored, or staged by this transaction — competes; the highest in the
table's ``order_by`` wins, then the staged one, then the later staged record
(higher ``_version``). A child table's rows for a key are those of the
winning version, but for a column derived from the whole merged table
(``institution_lineage.depth``, :mod:`kakehashi.model.lineage`): that is
recomputed for every row, stored or new, at each merge. All of it is Ibis
over DuckDB, reading and writing Parquet, so nothing has to fit in Python
memory.

Two shortcuts give the same rows for less work: a stored table with no rows
(the empty dataset a first ingest writes for every table) is left out, and
when only staged rows compete and no key is staged twice — a first ingest of
records without duplicates — every staged root row wins, with no ranking
window and no intermediate table. Tables are written in the order DuckDB
produces them, not sorted by key: the same rows give the same rows, not
always the same bytes. Sorting every table cost about 25 s of a
5,000,000-work ingest's 175 s (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow.parquet as pq

from kakehashi.engines import duckdb as duck
from kakehashi.model import tables as model
from kakehashi.model.lineage import lineage_depths
from kakehashi.store.store import Store

__all__ = ["family", "merge_into", "merge_tables"]

#: Child tables with a column derived from the whole merged table, not from one version:
#: an ancestor's depth in ``institution_lineage`` is read off the other institutions'
#: lineages, which may come from another record, batch or ingest (model/lineage.py).
_DERIVED = {"institution_lineage": lineage_depths}


def _cast(t: ir.Table, spec: model.TableSpec, extra: dict[str, str]) -> ir.Table:
    """Select the table's columns in order and types; missing ones become null."""
    cols = {}
    for name, typ in list(spec.schema.items()) + [(k, ibis.dtype(v)) for k, v in extra.items()]:
        cols[name] = t[name].cast(typ) if name in t.columns else ibis.null(typ)
    return t.select(**cols)


def _has_rows(folder: Path) -> bool:
    """Whether the Parquet dataset in ``folder`` holds any row (read from the files' footers)."""
    return any(pq.ParquetFile(f).metadata.num_rows for f in sorted(folder.glob("*.parquet")))


def merge_into(store: Store, staged_root: Path, staged: list[str], out: Path) -> dict[str, int]:
    """Write the merged version of every table touched by ``staged`` into ``out/<table>/``.

    ``staged`` names the folders of ``staged_root`` that hold Parquet files of
    new rows. Returns the row count of each table written.
    """
    con = duck.connect()
    try:
        new = {}
        for name in staged:
            d = staged_root / name
            if not model.spec(name).reference and d.is_dir() and any(d.glob("*.parquet")):
                new[name] = duck.read_parquet(con, d)
        return merge_tables(con, store, new, out)
    finally:
        con.disconnect()


def family(name: str) -> str:
    """The root table whose merge writes ``name`` (itself, for a root)."""
    return model.spec(name).parent or name


def merge_tables(
    con: ibis.BaseBackend, store: Store, new: Mapping[str, ir.Table], out: Path
) -> dict[str, int]:
    """:func:`merge_into` for new rows held as tables of the DuckDB connection ``con``.

    ``new`` maps table names to their new rows, with ``_version`` as
    :meth:`~kakehashi.store.Transaction.staged_dir` says. Returns the row
    count of each table written.
    """
    touched_roots = sorted({family(n) for n in new})
    rows: dict[str, int] = {}

    def stored(name: str) -> ir.Table | None:
        d = store.table_dir(name)
        return duck.read_parquet(con, d) if store.has_table(name) and _has_rows(d) else None

    for root_name in touched_roots:
        root = model.spec(root_name)
        key = list(root.key)
        order = [ibis.desc(c) for c in root.order_by] + [ibis.desc("_new"), ibis.desc("_version")]
        parts = []
        new_root = new.get(root_name)
        old_root = stored(root_name)
        if new_root is not None:
            parts.append(_cast(new_root, root, {"_version": "int64"}).mutate(_new=ibis.literal(1, "int8")))
        if old_root is not None:
            parts.append(
                _cast(old_root, root, {"_version": "int64"}).mutate(
                    _new=ibis.literal(0, "int8"), _version=ibis.literal(-1, "int64")
                )
            )
        if not parts:
            # Only children were staged (no root rows): nothing can win; keep what is stored.
            continue
        if len(parts) == 1 and _unique(con, parts[0], key):
            winners = parts[0]  # read twice, as it is
        else:
            both = ibis.union(*parts) if len(parts) > 1 else parts[0]
            # Nulls sort last under DESC in DuckDB and Spark alike; a null version loses.
            ranked = both.mutate(_rn=ibis.row_number().over(ibis.window(group_by=key, order_by=order)))
            winners = duck.materialise(
                con, ranked.filter(ranked._rn == 0).drop("_rn"), f"winners_{root_name}"
            )
        rows[root_name] = duck.write_parquet(con, winners.select(*root.columns), out / root_name)
        new_won = winners.filter(winners._new == 1).select(*key, "_version")
        for kid in model.children_of(root_name):
            kid_parts = []
            nk = new.get(kid.name)
            if nk is not None:
                nk = _cast(nk, kid, {"_version": "int64"})
                kid_parts.append(nk.semi_join(new_won, [*key, "_version"]).select(*kid.columns))
            ok = stored(kid.name)
            if ok is not None:
                ok = _cast(ok, kid, {})
                kid_parts.append(ok.anti_join(new_won, key).select(*kid.columns))
            if not kid_parts:
                continue
            merged = ibis.union(*kid_parts) if len(kid_parts) > 1 else kid_parts[0]
            if kid.name in _DERIVED:
                # computed once: the derivation reads the merged rows several times
                merged = _DERIVED[kid.name](duck.materialise(con, merged, f"merged_{kid.name}"))
            rows[kid.name] = duck.write_parquet(con, merged, out / kid.name)
    return rows


def _unique(con: ibis.BaseBackend, t: ir.Table, key: list[str]) -> bool:
    """Whether no two rows of ``t`` share ``key`` (a null key counts as a value, as in the window)."""
    dupes = t.group_by(key).aggregate(n=t.count()).filter(lambda g: g.n > 1).count()
    return int(con.execute(dupes)) == 0
