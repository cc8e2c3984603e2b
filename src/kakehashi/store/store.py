"""A store folder: versions of Parquet tables, a manifest naming the current one, atomic commits.

Layout (format ``kakehashi-store/2``)::

    DIR/manifest.json                      the current version: the commit point
    DIR/.versions/manifests/<v>.json       every version still kept (a reader's pin)
    DIR/.versions/tables/<table>/<v>/      a table as version <v> wrote it (part-*.parquet)
    DIR/.versions/folders/<name>/<v>/      a plain folder (the demo world's truth/)
    DIR/.versions/views/<v>/<name>         symlinks to version <v>'s folder of each table
    DIR/.current                           symlink to the current version's view
    DIR/<table>, DIR/<name>                symlinks to .current/<name>, so DuckDB, Spark,
                                           Polars or pandas read DIR/<table>/ (not pinned)
    DIR/.lock                              writers only: one at a time
    DIR/.tx-<v>/                           a transaction's work, written aside

A transaction writes the new version of every table it touches into
``.tx-<v>/``; at commit the new folders are moved under ``.versions/``, the
version's manifest written, and ``manifest.json`` replaced by it in one
``rename`` — **the commit point**. A table the transaction did not touch
keeps its folder: the new manifest names the old one. ``.current`` is then
switched to the new version's view (one ``rename``, so a program reading
``DIR/<table>`` sees all tables switch at once), and versions no reader holds
are deleted.

Readers never write and never wait. :meth:`Store.open` reads
``manifest.json`` and *pins* that version: it holds a shared ``flock`` on the
version's manifest file (an open file descriptor, nothing written), and every
table it reads comes from that version's folders, whatever commits meanwhile.
A writer deletes an old version only when it can take that file's lock
exclusively, i.e. when no reader holds it; what a dead process held is freed
by the kernel. A commit killed at any point leaves the old version current
(before the rename) or the new one complete (after it); the leftovers —
folders of an uncommitted version, stale symlinks, unheld versions — are
tidied by the next writer. A reader that wants a newer version opens the
store again, or calls :meth:`Store.refresh` (the web server does so on the first
request after a commit).

Merging staged rows into stored ones is the engines' work
(:mod:`kakehashi.engines.merge`): this module moves files and keeps
manifests, and imports no engine.

Stores of format ``kakehashi-store/1`` (tables in ``DIR/<table>/`` itself)
are read as they are, without a pin; the first write moves them to this
layout by hard links (no data copied).

The store needs what a local POSIX file system gives: atomic ``rename``,
symbolic and hard links, ``flock``, ``fsync``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import shutil
import time
import uuid
import warnings
import weakref
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kakehashi._version import __version__
from kakehashi.errors import StoreError
from kakehashi.model import tables as model

__all__ = ["FORMAT", "Store", "Transaction", "Version", "exclusive_lock"]

FORMAT = "kakehashi-store/2"
MANIFEST = "manifest.json"
LOCK = ".lock"
VERSIONS = ".versions"
LEGACY_JOURNAL = ".journal.json"  # format 1's commit journal


def _crash_point(name: str) -> None:
    # Fault injection for the atomicity tests: KAKEHASHI_CRASH_AT=<name> makes the
    # process die here, as a kill -9 would, so recovery can be tested for real;
    # KAKEHASHI_PAUSE_AT=<name>:<file> makes it wait there until <file> exists, so a
    # test can read the store while a commit is half done.
    if os.environ.get("KAKEHASHI_CRASH_AT") == name:
        os._exit(137)
    pause = os.environ.get("KAKEHASHI_PAUSE_AT", "")
    if pause.startswith(name + ":"):
        go = Path(pause.split(":", 1)[1])
        Path(str(go) + ".waiting").touch()
        deadline = time.monotonic() + 120
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.02)


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


def _empty_manifest() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "kakehashi_version": __version__,
        "tables": {},
        "sources": [],
        "synthetic": False,
    }


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise StoreError(f"{what} {path} is not valid JSON ({exc}); the store is damaged.") from exc
    except PermissionError as exc:
        raise StoreError(f"cannot read {path}: permission denied; ask for read access to the store.") from exc
    if not isinstance(data, dict):
        raise StoreError(f"{what} {path} is not a JSON object; the store is damaged.")
    return data


def _is_legacy(manifest: dict[str, Any]) -> bool:
    return manifest.get("format", FORMAT) != FORMAT and bool(manifest.get("tables"))


class _Pin:
    """A shared lock on one version's manifest file while a reader uses that version."""

    def __init__(self, fd: int | None):
        self.fd = fd
        self._finalizer = weakref.finalize(self, _close_fd, fd) if fd is not None else None

    def release(self) -> None:
        if self._finalizer is not None:
            self._finalizer()


def _close_fd(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def _lock_shared(path: Path) -> tuple[_Pin, dict[str, Any]] | None:
    """Pin the version whose manifest is ``path``: (pin, manifest), or None if it is gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except PermissionError as exc:
        raise StoreError(f"cannot read {path}: permission denied; ask for read access to the store.") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)  # a writer is deleting it this instant
        return None
    except OSError:
        pass  # a file system without flock (some network mounts): read unpinned
    try:
        if os.fstat(fd).st_nlink == 0:  # deleted between open and lock
            os.close(fd)
            return None
        with os.fdopen(os.dup(fd), "r", encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (ValueError, OSError) as exc:  # JSON, UTF-8 or read errors
        os.close(fd)
        raise StoreError(f"version manifest {path} cannot be read ({exc}); the store is damaged.") from exc
    except BaseException:
        os.close(fd)
        raise
    return _Pin(fd), manifest


def _pin_current(p: Path) -> Version:
    """The version ``p/manifest.json`` names, pinned (format 1 and empty stores: unpinned)."""
    missing = None
    for _ in range(200):
        current = p / MANIFEST
        if not current.exists():
            return Version(p, _empty_manifest(), None)
        m = _read_json(current, "manifest")
        if _is_legacy(m) or "store_version" not in m:
            return Version(p, m, None)
        vfile = p / VERSIONS / "manifests" / f"{m['store_version']}.json"
        got = _lock_shared(vfile)
        if got is not None and got[1].get("store_version") == m["store_version"]:
            return Version(p, got[1], got[0])
        if got is not None:
            got[0].release()
        if not vfile.exists():
            if missing == m["store_version"]:  # named twice, absent both times: not a commit race
                raise StoreError(
                    f"{current} names version {missing} but {vfile} is missing; the store was copied "
                    "without its hidden .versions folder — copy the whole folder (cp -a or rsync -a)."
                )
            missing = m["store_version"]
        time.sleep(0.005)  # a commit replaced the manifest meanwhile: read it again
    raise StoreError(f"store {p} changed version 200 times while being opened; try again.")


class Version:
    """One committed version of a store, held for reading: its manifest and its folders.

    While a :class:`Version` object lives, its pin keeps a writer from deleting
    its folders; an engine's tables opened on it (:func:`kakehashi.engines.open_store`)
    hold it, so a query started on a version finishes on it.
    """

    def __init__(self, path: Path, manifest: dict[str, Any], pin: _Pin | None):
        self.path = Path(path)
        self._manifest = manifest
        self._pin = pin

    @property
    def manifest(self) -> dict[str, Any]:
        """This version's manifest (a copy)."""
        return json.loads(json.dumps(self._manifest))

    @property
    def version(self) -> str:
        """This version's id (changes with every committed transaction; caches key on it)."""
        return str(self._manifest.get("store_version", "empty"))

    @property
    def is_synthetic(self) -> bool:
        return bool(self._manifest.get("synthetic", False))

    def _entry_path(self, section: str, name: str) -> Path | None:
        entry = self._manifest.get(section, {}).get(name)
        if entry is None:
            return self.path / name if _is_legacy(self._manifest) else None  # format 1: DIR/<name>
        rel = entry.get("path")
        return self.path / (rel if rel else name)

    def table_dir(self, name: str) -> Path:
        """The folder of table ``name`` in this version (may not exist for a table never written)."""
        return self._entry_path("tables", name) or self.path / VERSIONS / "tables" / name / "none"

    def folder_dir(self, name: str) -> Path:
        """This version of a plain folder a transaction wrote (:meth:`Transaction.folder`)."""
        got = self._entry_path("folders", name)
        if got is None:
            raise StoreError(f"store {self.path} has no folder {name!r}; no ingest wrote one.")
        return got

    def has_table(self, name: str) -> bool:
        d = self.table_dir(name)
        return d.is_dir() and any(d.glob("*.parquet"))

    def read_arrow(self, name: str) -> pa.Table:
        """The whole table as Arrow (small tables, tests); big ones go through an engine."""
        if not self.has_table(name):
            return model.spec(name).schema.to_pyarrow().empty_table()
        return pq.read_table(self.table_dir(name))

    def provenance(self) -> dict[str, Any]:
        m = self._manifest
        return {
            "store": str(self.path.resolve()),
            "store_version": m.get("store_version"),
            "sources": m.get("sources", []),
            "synthetic": m.get("synthetic", False),
            "kakehashi_version": __version__,
        }


class Store:
    """A store folder, pinned to the version current when it was opened.

    Open with :meth:`open`; read with :meth:`table_dir` / :meth:`read_arrow`
    (always the pinned version, :attr:`pinned`); write through a transaction
    (:func:`kakehashi.engines.merge.transaction`, or :meth:`transaction` for
    producers that merge by themselves), after which the store is pinned to
    the new version.
    """

    def __init__(self, path: Path, pinned: Version):
        self.path = Path(path)
        self.pinned = pinned

    # -- opening -------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, create: bool = False) -> Store:
        """Open the store at ``path`` for reading, pinned to its current version.

        Writes nothing. With ``create`` a missing or empty folder is an empty
        store (created when a transaction first commits); without it a missing
        or foreign folder is a :class:`StoreError`.
        """
        p = Path(path)
        journal = (p / LEGACY_JOURNAL).exists()
        if not (p / MANIFEST).exists() and not journal:
            visible = p.is_dir() and any(not q.name.startswith(".") for q in p.iterdir())
            if not create:
                if not visible:  # missing, empty, or left by a refused first ingest
                    raise StoreError(
                        f"no store at {p}: build one with `kakehashi ingest demo --store {p}` "
                        f"or `kakehashi ingest openalex --store {p} SOURCE…`."
                    )
                raise StoreError(f"{p} is not a kakehashi store (it has no {MANIFEST}); check the path.")
            if visible:
                raise StoreError(
                    f"{p} exists, is not empty and is not a kakehashi store; choose a new or empty folder."
                )
        if journal and not create:
            raise StoreError(
                f"store {p} was left half-written by an older kakehashi (it has {LEGACY_JOURNAL}); "
                f"run any ingest into it (e.g. the last one again) to finish that write, then read it."
            )
        return cls(p, _pin_current(p))

    def refresh(self) -> bool:
        """Pin the version current now; True if it differs from the one pinned before.

        Tables already opened on the old version (:attr:`pinned`) keep reading it.
        """
        new = _pin_current(self.path)
        changed = new.version != self.pinned.version
        self.pinned = new
        return changed

    @staticmethod
    def current_version(path: str | Path) -> str:
        """The version ``path``'s manifest names now (reads one small file; nothing is pinned)."""
        f = Path(path) / MANIFEST
        try:
            return str(_read_json(f, "manifest").get("store_version", "empty"))
        except FileNotFoundError:
            return "empty"

    # -- reading the pinned version ---------------------------------------------
    @property
    def manifest(self) -> dict[str, Any]:
        return self.pinned.manifest

    @property
    def version(self) -> str:
        return self.pinned.version

    @property
    def is_synthetic(self) -> bool:
        return self.pinned.is_synthetic

    def table_dir(self, name: str) -> Path:
        return self.pinned.table_dir(name)

    def folder_dir(self, name: str) -> Path:
        return self.pinned.folder_dir(name)

    def has_table(self, name: str) -> bool:
        return self.pinned.has_table(name)

    def read_arrow(self, name: str) -> pa.Table:
        return self.pinned.read_arrow(name)

    def provenance(self) -> dict[str, Any]:
        return self.pinned.provenance()

    # -- writing -----------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        busy = StoreError(
            f"store {self.path} is being written by another kakehashi process; wait for it to finish."
        )
        with exclusive_lock(self.path / LOCK, busy):
            yield

    @contextlib.contextmanager
    def transaction(
        self,
        source: dict[str, Any],
        settings: dict[str, Any] | None = None,
        *,
        writes: Collection[str] = ("openalex",),
    ) -> Iterator[Transaction]:
        """A transaction on the current version; it commits on a clean exit of the block.

        ``writes`` are the table kinds (:data:`kakehashi.model.tables.KINDS`)
        it may write: an OpenAlex ingest writes ``openalex`` tables only, so
        the registry is carried over untouched. Rows staged with
        :meth:`Transaction.add` / :meth:`~Transaction.replace` must be merged
        into the transaction's output before the block ends
        (:func:`kakehashi.engines.merge.transaction` does). An exception inside
        the block (or a kill) leaves the store as it was. Afterwards this
        object is pinned to the new version.
        """
        unknown = set(writes) - set(model.KINDS)
        if unknown:
            raise ValueError(f"unknown table kinds {sorted(unknown)}")
        created = not self.path.exists()
        self.path.mkdir(parents=True, exist_ok=True)
        committed = False
        try:
            with self._locked():
                self._tidy()
                tx = Transaction(self, _pin_current(self.path), source, settings or {}, frozenset(writes))
                try:
                    yield tx
                    manifest = tx._commit()
                    committed = True
                    tx.base = None  # type: ignore[assignment]  # the old version's pin: released
                    self.pinned = _pin_current(self.path)
                    assert self.version == manifest["store_version"]
                    try:
                        self._publish(manifest, committing=True)
                        _crash_point("before-tidy")
                        self._tidy()
                    except OSError as exc:  # committed all the same: the next writer does these again
                        warnings.warn(
                            f"store {self.path}: the new version is committed, but pointing DIR/<table> "
                            f"at it or deleting old versions failed ({exc}); the next write tries again.",
                            RuntimeWarning,
                            stacklevel=3,
                        )
                finally:
                    shutil.rmtree(tx.dir, ignore_errors=True)
        finally:
            if created and not committed:  # a refused first write leaves no folder behind
                shutil.rmtree(self.path, ignore_errors=True)

    # -- tidying (writers only, under the lock) ---------------------------------
    def _tidy(self) -> None:
        """Finish what a killed writer left: a format-1 journal, uncommitted folders, stale
        links, versions no reader holds. Safe to run at any time under the lock."""
        if (self.path / LEGACY_JOURNAL).exists():
            self._legacy_swap(_read_json(self.path / LEGACY_JOURNAL, "journal"))
        for q in [*self.path.glob(".tx-*"), *self.path.glob(".old-*")]:
            shutil.rmtree(q, ignore_errors=True)
        vdir = self.path / VERSIONS
        for q in [
            *self.path.glob(".*.link"),
            self.path / f"{MANIFEST}.tmp",
            *vdir.glob("manifests/*.tmp"),
            *vdir.glob("views/*.tmp"),
        ]:
            if q.is_dir() and not q.is_symlink():
                shutil.rmtree(q, ignore_errors=True)
            else:
                q.unlink(missing_ok=True)
        current = self.path / MANIFEST
        if not current.exists():
            return
        m = _read_json(current, "manifest")
        if _is_legacy(m) or "store_version" not in m:
            return
        kept = [m]
        for f in sorted(vdir.glob("manifests/*.json")):
            if f.stem == m["store_version"]:
                continue
            fd = os.open(f, os.O_RDWR)  # read-write: NFS emulates flock with fcntl locks
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:  # a reader holds this version (or the lock cannot be had): keep it
                    kept.append(_read_json(f, "version manifest"))
                    continue
                f.unlink()
            finally:
                os.close(fd)
        referenced = {
            entry["path"]
            for mm in kept
            for section in ("tables", "folders")
            for entry in mm.get(section, {}).values()
            if entry.get("path")
        }
        referenced |= {f"{VERSIONS}/views/{mm['store_version']}" for mm in kept}
        for pattern in ("tables/*/*", "folders/*/*", "views/*"):
            for d in sorted(vdir.glob(pattern)):
                if str(d.relative_to(self.path)) not in referenced:
                    shutil.rmtree(d, ignore_errors=True)
        self._publish(m)

    def _publish(self, m: dict[str, Any], *, committing: bool = False) -> None:
        """Point ``DIR/.current`` at ``m``'s view (one rename) and ``DIR/<name>`` at ``.current/<name>``."""
        view = f"{VERSIONS}/views/{m['store_version']}"
        if not (self.path / view).is_dir():
            _write_view(self.path, m)
        _replace_link(self.path / ".current", view)
        if committing:
            _crash_point("mid-links")
        for section in ("tables", "folders"):
            for name in m.get(section, {}):
                live, target = self.path / name, f".current/{name}"
                if live.is_symlink() and os.readlink(live) == target:
                    continue
                aside = None
                if live.exists() and not live.is_symlink():
                    # format 1's folder, hard-linked into .versions/ by the commit: set aside
                    aside = self.path / f".old-{m['store_version']}-{name}"
                    os.replace(live, aside)
                _replace_link(live, target)
                if aside is not None:
                    shutil.rmtree(aside)
        _fsync_dir(self.path)

    def _legacy_swap(self, j: dict[str, Any]) -> None:
        """Replay a format-1 journal (a format-1 commit killed during its swap)."""
        txdir = self.path / f".tx-{j['txid']}"
        olddir = self.path / f".old-{j['txid']}"
        olddir.mkdir(exist_ok=True)
        for name in j["tables"]:
            new = txdir / name
            if not new.exists():
                continue
            live = self.path / name
            if live.exists():
                os.replace(live, olddir / name)
            os.replace(new, live)
        _write_json_atomic(self.path / MANIFEST, j["manifest"])
        (self.path / LEGACY_JOURNAL).unlink()
        _fsync_dir(self.path)
        shutil.rmtree(olddir, ignore_errors=True)
        shutil.rmtree(txdir, ignore_errors=True)


class Transaction:
    """One version in the making; see :meth:`Store.transaction`.

    Producers either stage rows (:meth:`add`, :meth:`replace`, :meth:`staged_dir`)
    for the engines' merge, or write a table's merged new version themselves
    into :meth:`output_dir` and report it with :meth:`wrote`.
    """

    def __init__(
        self,
        store: Store,
        base: Version,
        source: dict[str, Any],
        settings: dict[str, Any],
        writes: frozenset[str],
    ):
        self.store = store
        self.base = base
        self.source = dict(source)
        self.settings = settings
        self.writes = writes
        self.txid = uuid.uuid4().hex[:12]
        self.dir = store.path / f".tx-{self.txid}"
        (self.dir / "staged").mkdir(parents=True)
        (self.dir / "out").mkdir()
        self._parts: dict[str, int] = {}
        self._folders: set[str] = set()
        self._written: dict[str, int] = {}
        self.synthetic = bool(source.get("synthetic", False))

    # -- what the merge reads ---------------------------------------------------
    def stored_dir(self, name: str) -> Path | None:
        """The folder of ``name`` in the version this transaction builds on, if it has rows there."""
        d = self.base.table_dir(name)  # a folder that does not exist where the version has none
        if not (d.is_dir() and any(pq.ParquetFile(f).metadata.num_rows for f in sorted(d.glob("*.parquet")))):
            return None
        return d

    def staged(self) -> dict[str, Path]:
        """Folders of staged rows, by table (only those holding Parquet files)."""
        root = self.dir / "staged"
        return {p.name: p for p in sorted(root.iterdir()) if any(p.glob("*.parquet"))}

    # -- staging --------------------------------------------------------------------
    def _writable(self, name: str, *, staged: bool = True) -> model.TableSpec:
        """The spec of ``name`` if this transaction may write it (reference tables are never staged)."""
        spec = model.spec(name)  # unknown names fail early
        if spec.kind not in self.writes or (staged and spec.reference):
            raise ValueError(
                f"this transaction writes {sorted(self.writes)} tables only; {name} is of kind {spec.kind}"
            )
        return spec

    def staged_dir(self, name: str) -> Path:
        """Folder where producers may write Parquet files of new rows for ``name``.

        Root tables need a ``_version`` int64 column (unique per record version
        in this transaction, later records higher) and child tables the
        ``_version`` of the root record they belong to.
        """
        self._writable(name)
        d = self.dir / "staged" / name
        d.mkdir(exist_ok=True)
        return d

    def add(self, name: str, rows: pa.Table) -> None:
        """Stage an Arrow table of new rows for ``name`` (see :meth:`staged_dir`)."""
        n = self._parts.get(name, 0)
        self._parts[name] = n + 1
        pq.write_table(rows, self.staged_dir(name) / f"part-{n:05d}.parquet")

    def replace(self, name: str, rows: pa.Table) -> None:
        """Stage rows of registry table ``name``: each replaces the stored row of its key.

        Every row needs its ``_source`` (file and line, sheet and row, RS table
        and id); of two rows with one key in this transaction the later wins.
        """
        spec = self._writable(name)
        if not spec.registry:
            raise ValueError(f"replace() is for registry tables; {name} is of kind {spec.kind}")
        if "_source" not in rows.column_names or rows.column("_source").null_count:
            raise ValueError(f"every row of {name} needs its _source")
        missing = [k for k in spec.key if k not in rows.column_names or rows.column(k).null_count]
        if missing:
            raise ValueError(f"rows of {name} lack their key {missing}")
        start = sum(pq.ParquetFile(f).metadata.num_rows for f in self.staged_dir(name).glob("*.parquet"))
        rows = rows.append_column("_version", pa.array(range(start, start + rows.num_rows), pa.int64()))
        self.add(name, rows)

    def folder(self, name: str) -> Path:
        """A plain folder (e.g. the demo world's ``truth/``) committed with the tables."""
        if name.startswith(".") or name in {t.name for t in model.TABLES} or "/" in name or name == MANIFEST:
            raise ValueError(f"bad folder name {name!r}")
        d = self.dir / "folders" / name
        d.mkdir(parents=True, exist_ok=True)
        self._folders.add(name)
        return d

    # -- writing merged tables ---------------------------------------------------
    def output_dir(self, name: str) -> Path:
        """Where the merged new version of ``name`` is written (Parquet files)."""
        self._writable(name, staged=False)
        return self.dir / "out" / name

    def wrote(self, name: str, rows: int) -> None:
        """Record that :meth:`output_dir` of ``name`` holds its new version, of ``rows`` rows."""
        if name in self._written:
            raise ValueError(f"{name} was written already in this transaction")
        self._written[name] = int(rows)

    @property
    def written(self) -> dict[str, int]:
        return dict(self._written)

    # -- commit -------------------------------------------------------------------
    def _commit(self) -> dict[str, Any]:
        from kakehashi.model.reference import reference_tables

        left = sorted(set(self.staged()) - set(self._written))
        if left:
            raise ValueError(
                f"staged rows of {left} were not merged; open the transaction with "
                "kakehashi.engines.merge.transaction, which merges them"
            )
        out = self.dir / "out"
        rows = dict(self._written)
        # Reference tables come with the package; every version carries the current ones.
        for name, tbl in reference_tables().items():
            (out / name).mkdir(exist_ok=True)
            pq.write_table(tbl, out / name / "part-00000.parquet")
            rows[name] = tbl.num_rows
        base = self.base._manifest
        base_tables = base.get("tables", {})
        legacy = _is_legacy(base)
        for t in model.TABLES:
            if t.name in rows:
                continue
            old = base_tables.get(t.name)
            if old is not None and legacy:
                _link_files(self.store.path / t.name, out / t.name)  # moved to the new layout
                rows[t.name] = int(old.get("rows", 0))
            elif old is None:
                # Tables never written yet get an empty dataset, so every engine can read every table.
                (out / t.name).mkdir(exist_ok=True)
                pq.write_table(t.schema.to_pyarrow().empty_table(), out / t.name / "part-00000.parquet")
                rows[t.name] = 0
        folders = sorted(self._folders)
        if legacy:
            for name in base.get("folders", {}) or _legacy_folders(self.store.path):
                if name not in self._folders:
                    _link_files(self.store.path / name, self.dir / "folders" / name)
                    folders.append(name)
        _crash_point("before-move")
        # Move the new folders under .versions/ (still invisible: no manifest names them).
        vdir = self.store.path / VERSIONS
        tables = {k: dict(v) for k, v in base_tables.items()} if not legacy else {}
        for name, n in sorted(rows.items()):
            rel = f"{VERSIONS}/tables/{name}/{self.txid}"
            (vdir / "tables" / name).mkdir(parents=True, exist_ok=True)
            os.replace(out / name, self.store.path / rel)
            tables[name] = {"rows": int(n), "path": rel}
        folder_entries = {k: dict(v) for k, v in base.get("folders", {}).items()} if not legacy else {}
        for name in sorted(set(folders)):
            rel = f"{VERSIONS}/folders/{name}/{self.txid}"
            (vdir / "folders" / name).mkdir(parents=True, exist_ok=True)
            os.replace(self.dir / "folders" / name, self.store.path / rel)
            folder_entries[name] = {"path": rel}
        manifest = self._manifest(tables, folder_entries)
        _write_view(self.store.path, manifest)
        for rel in {e["path"] for e in [*tables.values(), *folder_entries.values()]}:
            if Path(rel).name == self.txid:
                _fsync_tree(self.store.path / rel)  # the data is on disk before a manifest names it
        for section in ("tables", "folders"):
            for d in (vdir / section).glob("*"):
                _fsync_dir(d)
        (vdir / "manifests").mkdir(parents=True, exist_ok=True)
        _write_json_atomic(vdir / "manifests" / f"{self.txid}.json", manifest)
        _crash_point("before-commit")
        _write_json_atomic(self.store.path / MANIFEST, manifest)  # the commit point
        _crash_point("after-commit")
        return manifest

    def _manifest(self, tables: dict[str, Any], folders: dict[str, Any]) -> dict[str, Any]:
        old = self.base._manifest
        src = dict(self.source)
        src.setdefault("ingested_at", _now())

        def ident(s: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in s.items() if k != "ingested_at"}

        # The same source ingested again replaces its entry: a re-ingest changes nothing.
        sources = [s for s in old.get("sources", []) if ident(s) != ident(src)]
        sources.append(src)
        return {
            "format": FORMAT,
            "kakehashi_version": __version__,
            "store_version": self.txid,
            "created": old.get("created", _now()),
            "updated": _now(),
            "synthetic": bool(old.get("synthetic", False)) or self.synthetic,
            "sources": sources,
            "tables": dict(sorted(tables.items())),
            "folders": dict(sorted(folders.items())),
            "settings": self.settings,
        }


def _link_files(src: Path, dst: Path) -> None:
    """Hard-link every file under ``src`` into ``dst`` (same file system: no data copied)."""
    if src.is_dir():
        shutil.copytree(src, dst, symlinks=True, copy_function=os.link, dirs_exist_ok=True)
    else:
        dst.mkdir(parents=True, exist_ok=True)


#: the plain folders a format-1 store could hold (its manifest did not list them)
_LEGACY_FOLDERS = ("truth",)


def _legacy_folders(path: Path) -> list[str]:
    return [name for name in _LEGACY_FOLDERS if (path / name).is_dir() and not (path / name).is_symlink()]


def _replace_link(path: Path, target: str) -> None:
    """Make ``path`` a symlink to ``target`` in one rename (replacing a link that is there)."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    tmp = path.with_name(f".{path.name.lstrip('.')}.link")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def _write_view(root: Path, m: dict[str, Any]) -> None:
    """``.versions/views/<v>/<name>``: a relative symlink to the version's folder of each table and folder."""
    d = root / VERSIONS / "views" / m["store_version"]
    tmp = d.with_name(d.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for section in ("tables", "folders"):
        for name, entry in m.get(section, {}).items():
            os.symlink(os.path.relpath(root / entry["path"], d), tmp / name)
    shutil.rmtree(d, ignore_errors=True)
    os.replace(tmp, d)
    _fsync_dir(d.parent)


def _fsync_tree(path: Path) -> None:
    """fsync every file and folder under ``path``."""
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            fd = os.open(os.path.join(dirpath, f), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))
