"""A store folder: one Parquet dataset per table, a manifest, atomic merges.

Layout::

    DIR/manifest.json          what is in the store and where it came from
    DIR/<table>/part-*.parquet one dataset per table (DESIGN.md)
    DIR/.lock                  one writer at a time
    DIR/.journal.json          present only while tables are being swapped
    DIR/.tx-<id>/              a transaction's new tables, written aside

A transaction stages new rows per table, merges them with the stored rows
(:mod:`kakehashi.store.merge`) into ``.tx-<id>/``, then commits: it writes the
journal (the commit point), swaps each table folder for its new version and
writes the new manifest, then removes the journal. The next command that
opens the store finishes a swap a killed process left behind (roll forward,
since the journal exists) or deletes a transaction that never reached its
journal (roll back). Either way the store is as before or as after, never a
mix.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kakehashi._version import __version__
from kakehashi.errors import StoreError
from kakehashi.model import tables as model

__all__ = ["Store", "Transaction", "exclusive_lock"]

MANIFEST = "manifest.json"
JOURNAL = ".journal.json"
LOCK = ".lock"


def _crash_point(name: str) -> None:
    # Fault injection for the atomicity tests: KAKEHASHI_CRASH_AT=<name> makes the
    # process die here, as a kill -9 would, so recovery can be tested for real.
    if os.environ.get("KAKEHASHI_CRASH_AT") == name:
        os._exit(137)


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2, default=str)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def exclusive_lock(path: Path, busy: Exception) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing); raise ``busy`` if another process has it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


class Store:
    """A store folder. Open with :meth:`open`; write through :meth:`transaction`."""

    def __init__(self, path: Path):
        self.path = Path(path)

    # -- opening -------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, create: bool = False) -> Store:
        """Open the store at ``path``, finishing or undoing an interrupted swap.

        With ``create`` a missing folder becomes an empty store; without it a
        missing or foreign folder is a :class:`StoreError`.
        """
        p = Path(path)
        if not (p / MANIFEST).exists() and not (p / JOURNAL).exists():
            if not create:
                if not p.exists():
                    raise StoreError(
                        f"no store at {p}: build one with `kakehashi ingest demo --store {p}` "
                        f"or `kakehashi ingest openalex --store {p} SOURCE…`."
                    )
                raise StoreError(f"{p} is not a kakehashi store (it has no {MANIFEST}); check the path.")
            if p.exists() and any(q for q in p.iterdir() if not q.name.startswith(".")):
                raise StoreError(
                    f"{p} exists, is not empty and is not a kakehashi store; choose a new or empty folder."
                )
            p.mkdir(parents=True, exist_ok=True)
        store = cls(p)
        with store._locked():
            store._recover()
        return store

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        busy = StoreError(
            f"store {self.path} is being written by another kakehashi process; wait for it to finish."
        )
        with exclusive_lock(self.path / LOCK, busy):
            yield

    def _recover(self) -> None:
        journal = self.path / JOURNAL
        if journal.exists():
            j = json.loads(journal.read_text(encoding="utf-8"))
            self._swap(j)
        # Anything written aside without a journal never committed: roll back.
        for q in self.path.glob(".tx-*"):
            shutil.rmtree(q, ignore_errors=True)
        for q in self.path.glob(".old-*"):
            shutil.rmtree(q, ignore_errors=True)

    def _swap(self, j: dict[str, Any]) -> None:
        """Move each staged table into place; safe to run again after a crash."""
        txdir = self.path / f".tx-{j['txid']}"
        olddir = self.path / f".old-{j['txid']}"
        olddir.mkdir(exist_ok=True)
        for i, name in enumerate(j["tables"]):
            new = txdir / name
            if not new.exists():
                continue  # already moved in by an earlier, interrupted run
            live = self.path / name
            if live.exists():
                os.replace(live, olddir / name)
            if i == 1:
                _crash_point("mid-swap")
            os.replace(new, live)
        _fsync_dir(self.path)
        _write_json_atomic(self.path / MANIFEST, j["manifest"])
        _crash_point("before-journal-removed")
        (self.path / JOURNAL).unlink()
        _fsync_dir(self.path)
        shutil.rmtree(olddir, ignore_errors=True)
        shutil.rmtree(txdir, ignore_errors=True)

    # -- reading ---------------------------------------------------------------
    @property
    def manifest(self) -> dict[str, Any]:
        f = self.path / MANIFEST
        if not f.exists():
            return {"kakehashi_version": __version__, "tables": {}, "sources": [], "synthetic": False}
        return json.loads(f.read_text(encoding="utf-8"))

    @property
    def version(self) -> str:
        """Changes with every committed transaction (for caches keyed on it)."""
        return str(self.manifest.get("store_version", "empty"))

    @property
    def is_synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic", False))

    def table_dir(self, name: str) -> Path:
        return self.path / name

    def has_table(self, name: str) -> bool:
        d = self.table_dir(name)
        return d.is_dir() and any(d.glob("*.parquet"))

    def read_arrow(self, name: str) -> pa.Table:
        """The whole table as Arrow (small tables, tests); big ones go through an engine."""
        if not self.has_table(name):
            return model.spec(name).schema.to_pyarrow().empty_table()
        return pq.read_table(self.table_dir(name))

    def provenance(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "store": str(self.path.resolve()),
            "store_version": m.get("store_version"),
            "sources": m.get("sources", []),
            "synthetic": m.get("synthetic", False),
            "kakehashi_version": __version__,
        }

    # -- writing -----------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(
        self, source: dict[str, Any], settings: dict[str, Any] | None = None
    ) -> Iterator[Transaction]:
        """Stage rows, then merge and swap them in atomically on a clean exit.

        An exception inside the block (or a kill) leaves the store untouched.
        """
        with self._locked():
            self._recover()
            tx = Transaction(self, source, settings or {})
            try:
                yield tx
                tx._commit()
            finally:
                shutil.rmtree(tx.dir, ignore_errors=True)


class Transaction:
    """New rows for one ingest; see :meth:`Store.transaction`."""

    def __init__(self, store: Store, source: dict[str, Any], settings: dict[str, Any]):
        self.store = store
        self.source = dict(source)
        self.settings = settings
        self.txid = uuid.uuid4().hex[:12]
        self.dir = store.path / f".tx-{self.txid}"
        (self.dir / "staged").mkdir(parents=True)
        self._parts: dict[str, int] = {}
        self._folders: set[str] = set()
        self._merged: dict[str, int] = {}
        self.synthetic = bool(source.get("synthetic", False))

    def staged_dir(self, name: str) -> Path:
        """Folder where producers may write Parquet files of new rows for ``name``.

        Root tables need a ``_version`` int64 column (unique per record version
        in this transaction, later records higher) and child tables the
        ``_version`` of the root record they belong to.
        """
        model.spec(name)  # unknown names fail early
        d = self.dir / "staged" / name
        d.mkdir(exist_ok=True)
        return d

    def folder(self, name: str) -> Path:
        """A plain folder (e.g. the demo world's ``truth/``) swapped in with the tables."""
        if name.startswith(".") or name in {t.name for t in model.TABLES} or "/" in name:
            raise ValueError(f"bad folder name {name!r}")
        d = self.dir / name
        d.mkdir(exist_ok=True)
        self._folders.add(name)
        return d

    def add(self, name: str, rows: pa.Table) -> None:
        """Stage an Arrow table of new rows for ``name`` (see :meth:`staged_dir`)."""
        n = self._parts.get(name, 0)
        self._parts[name] = n + 1
        pq.write_table(rows, self.staged_dir(name) / f"part-{n:05d}.parquet")

    def merge(self, con: Any, tables: Mapping[str, Any]) -> dict[str, int]:
        """Merge new rows held as tables of the DuckDB connection ``con`` (Ibis) now.

        The other way in, for a producer that has its rows in DuckDB already:
        nothing is staged and read back. ``tables`` are as :meth:`staged_dir`
        describes (``_version`` columns); the merged tables are written aside
        at once and swapped in at commit with the rest. A root table and its
        children come one way or the other, not both. Returns the rows written
        per table.
        """
        from kakehashi.store.merge import family, merge_tables

        again = {family(n) for n in tables} & {family(n) for n in self._merged}
        if again:
            raise ValueError(f"tables of {sorted(again)} were merged already in this transaction")
        rows = merge_tables(con, self.store, tables, self.dir)
        self._merged.update(rows)
        return rows

    def _commit(self) -> None:
        from kakehashi.model.reference import reference_tables
        from kakehashi.store.merge import family, merge_into

        staged_root = self.dir / "staged"
        staged = sorted(p.name for p in staged_root.iterdir() if any(p.glob("*.parquet")))
        both = {family(n) for n in staged} & {family(n) for n in self._merged}
        if both:
            raise ValueError(f"tables of {sorted(both)} were both staged and merged; use one way")
        out = self.dir
        rows = dict(self._merged)
        if staged:
            rows.update(merge_into(self.store, staged_root, staged, out))
        written = sorted(rows)
        # Reference tables come with the package; every store carries the current ones.
        for name, tbl in reference_tables().items():
            (out / name).mkdir(exist_ok=True)
            pq.write_table(tbl, out / name / "part-00000.parquet")
            rows[name] = tbl.num_rows
            written.append(name)
        # Tables never written yet get an empty dataset, so every engine can read every table.
        for t in model.TABLES:
            if t.name not in rows and not self.store.has_table(t.name):
                (out / t.name).mkdir(exist_ok=True)
                pq.write_table(t.schema.to_pyarrow().empty_table(), out / t.name / "part-00000.parquet")
                rows[t.name] = 0
                written.append(t.name)
        written.extend(sorted(self._folders))
        _crash_point("before-journal")
        manifest = self._manifest(rows)
        journal = {"txid": self.txid, "tables": written, "manifest": manifest}
        _write_json_atomic(self.store.path / JOURNAL, journal)
        _crash_point("after-journal")
        self.store._swap(journal)

    def _manifest(self, rows: dict[str, int]) -> dict[str, Any]:
        old = self.store.manifest
        tables = dict(old.get("tables", {}))
        for name, n in rows.items():
            tables[name] = {"rows": int(n)}
        src = dict(self.source)
        src.setdefault("ingested_at", _now())

        def ident(s: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in s.items() if k != "ingested_at"}

        # The same source ingested again replaces its entry: a re-ingest changes nothing.
        sources = [s for s in old.get("sources", []) if ident(s) != ident(src)]
        sources.append(src)
        return {
            "format": "kakehashi-store/1",
            "kakehashi_version": __version__,
            "store_version": self.txid,
            "created": old.get("created", _now()),
            "updated": _now(),
            "synthetic": bool(old.get("synthetic", False)) or self.synthetic,
            "sources": sources,
            "tables": dict(sorted(tables.items())),
            "settings": self.settings,
        }
