"""Merging staged rows into stored tables (the upsert rules of DESIGN.md), on DuckDB.

The store (:mod:`kakehashi.store`) moves files and keeps versions; the merge
that decides which rows the new version holds lives here, with the engines,
and runs with the ingest's settings (``duckdb_memory_limit``,
``duckdb_threads``). :func:`transaction` is the way to write a store: a
:meth:`Store.transaction <kakehashi.store.Store.transaction>` whose staged
rows are merged when the block ends, before the commit.

For a root table (works, institutions, authors, funders) every version of a
key — stored, or staged by this transaction — competes; the highest in the
table's ``order_by`` wins, then the staged one, then the later staged record
(higher ``_version``). A child table's rows for a key are those of the
winning version, but for a column derived from the whole merged table
(``institution_lineage.depth``, :mod:`kakehashi.model.lineage`): that is
recomputed for every row, stored or new, at each merge. A registry table is
a root without ``order_by``: a staged row replaces the stored row of its
key, the later of two staged rows wins, and stored rows of other keys stay.
All of it is Ibis over DuckDB, reading and writing Parquet, so nothing has
to fit in Python memory.

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

import contextlib
import shutil
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from kakehashi.engines import duckdb as duck
from kakehashi.model import tables as model
from kakehashi.model.lineage import lineage_depths

if TYPE_CHECKING:
    from kakehashi.settings import Settings
    from kakehashi.store import Store, Transaction

__all__ = ["family", "merge_staged", "merge_tables", "transaction"]


@contextlib.contextmanager
def transaction(
    store: Store,
    source: dict[str, Any],
    settings: Settings | None = None,
    *,
    writes: Collection[str] = ("openalex",),
) -> Iterator[Transaction]:
    """A store transaction whose staged rows are merged (with ``settings``) when the block ends.

    ``writes``: the table kinds it may write (:meth:`kakehashi.store.Store.transaction`).
    """
    with store.transaction(source, settings.as_dict() if settings else {}, writes=writes) as tx:
        yield tx
        merge_staged(tx, settings)


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


def merge_staged(tx: Transaction, settings: Settings | None = None) -> dict[str, int]:
    """Merge every table ``tx`` staged as Parquet into its new version; return the rows written.

    Runs in a DuckDB connection of its own with ``settings``' memory and threads.
    """
    staged = tx.staged()
    again = {family(n) for n in staged} & {family(n) for n in tx.written}
    if again:
        raise ValueError(f"tables of {sorted(again)} were both staged and merged; use one way")
    if not staged:
        return {}
    con = duck.connect(settings)
    try:
        new = {name: duck.read_parquet(con, d) for name, d in staged.items()}
        rows = merge_tables(con, tx, new)
    finally:
        con.disconnect()
    for name, d in staged.items():
        if name not in tx.written:  # children staged without their root: nothing can win
            shutil.rmtree(d)
    return rows


def family(name: str) -> str:
    """The root table whose merge writes ``name`` (itself, for a root)."""
    return model.spec(name).parent or name


def merge_tables(con: ibis.BaseBackend, tx: Transaction, new: Mapping[str, ir.Table]) -> dict[str, int]:
    """Merge new rows held as tables of the DuckDB connection ``con`` into ``tx``'s new version.

    ``new`` maps table names to their new rows, with ``_version`` as
    :meth:`~kakehashi.store.Transaction.staged_dir` says (the OpenAlex ingest
    on DuckDB hands its batches' Parquet parts over this way, merged in its
    own connection). A root table and its children come in one call. The
    merged tables are written to :meth:`~kakehashi.store.Transaction.output_dir`
    and recorded with :meth:`~kakehashi.store.Transaction.wrote`. Returns the
    row count of each table written.
    """
    again = {family(n) for n in new} & {family(n) for n in tx.written}
    if again:
        raise ValueError(f"tables of {sorted(again)} were merged already in this transaction")
    touched_roots = sorted({family(n) for n in new})
    rows: dict[str, int] = {}

    def stored(name: str) -> ir.Table | None:
        d = tx.stored_dir(name)
        return duck.read_parquet(con, d) if d is not None else None

    def write(name: str, expr: ir.Table) -> None:
        rows[name] = duck.write_parquet(con, expr, tx.output_dir(name))
        tx.wrote(name, rows[name])

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
        write(root_name, winners.select(*root.columns))
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
            write(kid.name, merged)
    return rows


def _unique(con: ibis.BaseBackend, t: ir.Table, key: list[str]) -> bool:
    """Whether no two rows of ``t`` share ``key`` (a null key counts as a value, as in the window)."""
    dupes = t.group_by(key).aggregate(n=t.count()).filter(lambda g: g.n > 1).count()
    return int(con.execute(dupes)) == 0
