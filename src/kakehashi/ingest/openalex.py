"""`kakehashi ingest openalex`: OpenAlex snapshot folders, JSON Lines files and saved API pages.

The path of the data::

    SOURCE… ─find_files─▶ sorted files ─┬ a batch ─read_json(columns=…) or Spark from_json─▶ raw tables
                                         │   ─normalise (Ibis)─▶ staged Parquet (the batch dropped)
                                         └ next batch …     ─merge.transaction─▶ merged, committed

On DuckDB a batch is at most ``ingest_batch_mb`` of one entity's files, so
the ingest's memory is bounded by a batch, not by the snapshot; on Spark
every file is one batch.

Every record gets ``_version`` = (its file's place in sorted path order + 1)
· 2³² + its record number, so the merge's tie rule — on the same
``updated_date``, the later file in sorted path order, then the later line —
is the order of ``_version``.

Bad input stops the ingest with a :class:`~kakehashi.errors.MalformedInputError`
naming the file and the 1-based line, and the store is untouched (the
transaction is abandoned). With ``on_error="skip"`` bad lines are left out
and counted in :attr:`IngestReport.skipped`: a line that is not JSON (or not
an object), a record without an id, a record of another entity; a saved API
page that is not valid JSON is left out whole (one skip). A truncated gzip
keeps its complete lines and counts the one it breaks off in as skipped.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from kakehashi.engines import ENGINES, jsonread, merge
from kakehashi.engines.workspace import Workspace, open_workspace
from kakehashi.errors import ConfigError, MalformedInputError
from kakehashi.ingest import IngestReport, NullProgress, Progress
from kakehashi.ingest.diagnose import diagnose, line_of_record, readable_part
from kakehashi.ingest.normalise import normalise, works_summary
from kakehashi.ingest.rawschema import ENTITIES, ENTITY_PREFIX, RAW_SCHEMAS
from kakehashi.ingest.snapshot import SourceFile, find_files, is_gzip
from kakehashi.settings import Settings
from kakehashi.store import Store

__all__ = ["ingest_openalex"]

_BATCH_FILES = 16
_BATCH_BYTES = 1 << 30
_PREFIX_OF = {e: p for p, e in ENTITY_PREFIX.items()}


def ingest_openalex(
    store: Store,
    sources: Sequence[str | Path],
    *,
    on_error: Literal["stop", "skip"] = "stop",
    progress: Progress = NullProgress(),
    settings: Settings | None = None,
    source: dict[str, Any] | None = None,
    engine: str = "duckdb",
) -> IngestReport:
    """Ingest OpenAlex works, authors and institutions records into ``store``.

    Parameters
    ----------
    store
        The store to merge into (:meth:`Store.open`).
    sources
        Snapshot folders (or their ``data/`` or entity folders), other folders
        of ``.jsonl``/``.jsonl.gz``/``.json`` files, or such files.
    on_error
        ``"stop"`` (default): the first bad line raises and the store is left
        as it was. ``"skip"``: bad lines are left out and counted.
    progress
        Told the files, records and bytes as they are read.
    settings
        DuckDB memory and threads; the manifest records them.
    source
        Extra entries for the manifest's source record (the API ingest's filter).
    engine
        ``"duckdb"`` (default) or ``"spark"``: the engine that parses the files
        and normalises them; the merge into the store is the same for both.

    Returns
    -------
    IngestReport
        ``rows`` holds the rows this ingest staged per table, before merging.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> record = {"id": "https://openalex.org/W1", "publication_year": 2024, "authorships": [
    ...     {"author": {"id": "https://openalex.org/A1"}, "countries": ["jp"], "institutions": []}]}
    >>> _ = (tmp / "works.jsonl").write_text(json.dumps(record) + chr(10))
    >>> store = Store.open(tmp / "store", create=True)
    >>> ingest_openalex(store, [tmp / "works.jsonl"]).works
    1
    >>> store.read_arrow("affiliations").column("country_code").to_pylist()
    ['JP']
    """
    if on_error not in ("stop", "skip"):
        raise ConfigError(f"on_error={on_error!r} must be 'stop' or 'skip'.")
    if engine not in ENGINES:
        choices = ", ".join(ENGINES)
        raise ConfigError(f"unknown engine {engine!r}; choose one of {choices}.", parameter="engine")
    settings = settings if settings is not None else Settings.load()
    files, notes = find_files(sources)
    report = IngestReport(files=len(files), notes=list(notes))
    partitions = sorted(f.partition for f in files if f.partition)
    src: dict[str, Any] = {
        "kind": "openalex",
        "paths": [str(Path(s).resolve()) for s in sources],
        "files": len(files),
        "entities": {
            e: sum(f.entity == e for f in files) for e in ENTITIES if any(f.entity == e for f in files)
        },
        "snapshot_date": partitions[-1] if partitions else None,
        "on_error": on_error,
        "engine": engine,
    }
    progress.start(files=len(files), nbytes=sum(f.size for f in files), label="openalex")
    with merge.transaction(store, src, settings) as tx:
        work = tx.dir / "openalex"
        ws = open_workspace(engine, settings, work)
        try:
            record_dates = _run(ws, files, on_error == "skip", work, report, progress, tx)
        finally:
            ws.close()
            shutil.rmtree(work, ignore_errors=True)
        tx.source.update(
            records=report.records,
            skipped=report.skipped,
            works=report.works,
            works_without_country=report.works_without_country,
            record_dates=record_dates,
        )
        if source:
            tx.source.update(source)
    return report


def _run(
    ws: Workspace,
    files: list[SourceFile],
    skip: bool,
    work: Path,
    report: IngestReport,
    progress: Progress,
    tx: Any,
) -> dict[str, str | None]:
    """Parse, check and normalise ``files`` into ``tx``, a batch at a time; return the records' date range.

    Each batch (:func:`_groups`) is normalised on its own. Where a table is
    built from many records at once — an institution, author or funder read
    off works is the occurrence in the newest record — each batch gives its
    newest, and the merge picks the newest of those by the same rule
    (``updated_date``, then ``_version``; a record is in one batch only), so
    the store's rows are those of one pass over every file.
    """
    spans: list[Any] = []  # each entity's earliest and latest updated_date
    seen: set[str] = set()
    left_out = dict.fromkeys(ENTITIES, 0)  # bad lines skipped, per entity over every batch
    for group in _groups(files, ws.batch_bytes, ws.batch_files):
        raw: dict[str, ir.Table] = {}
        for entity in ENTITIES:
            mine = [(i, f) for i, f in group if f.entity == entity]
            if not mine:
                continue
            table = f"raw_{entity}"
            loaded = 0
            for batch in _batches(mine, ws.batch_files):
                n = _load_batch(ws, table, batch, entity, skip, work, report)
                loaded += n
                progress.advance(files=len(batch), records=n, nbytes=sum(f.size for _, f in batch))
            if loaded:
                raw[entity], span, bad = _checked(ws, ws.raw(table), entity, skip, report)
                spans.extend(x for x in span if x is not None)
                left_out[entity] += bad
        if raw:
            for name, n in ws.stage(normalise(raw, cache=ws.keep), tx).items():
                report.rows[name] = report.rows.get(name, 0) + n
            seen.update(raw)
    report.notes.extend(
        f"{n} {entity} lines left out: not JSON, no id, or another entity's record"
        for entity, n in left_out.items()
        if n
    )
    if not seen:
        report.notes.append("no records found; the store's tables are unchanged")
        return {"min": None, "max": None}
    ws.finish(tx)
    if "works" in seen:
        n, unplaced = works_summary(ws.staged(tx, "works"), ws.staged(tx, "affiliations"))
        report.works = int(ws.execute(n))
        report.works_without_country = int(ws.execute(unplaced))
    return {"min": _iso(min(spans, default=None)), "max": _iso(max(spans, default=None))}


def _iso(x: Any) -> str | None:
    return None if x is None else str(x.isoformat())


def _groups(
    files: list[SourceFile], batch_bytes: int | None, min_files: int = 1
) -> list[list[tuple[int, SourceFile]]]:
    """The files (with their place in sorted order) in the batches the workspace normalises:
    all at once (``batch_bytes`` None), or one entity's files at a time, in sorted path order,
    in runs of at most ``batch_bytes`` — but of ``min_files`` at least, whatever their size
    (each parsing thread reads a file of its own)."""
    numbered = list(enumerate(files))
    if batch_bytes is None:
        return [numbered] if numbered else []
    return [
        run
        for entity in ENTITIES
        for run in _runs([x for x in numbered if x[1].entity == entity], batch_bytes, min_files=min_files)
    ]


def _batches(files: list[tuple[int, SourceFile]], min_files: int = 1) -> list[list[tuple[int, SourceFile]]]:
    """A batch's files in the runs one parse call each reads, its files side by side: at
    most 16 files or 1 GiB, but ``min_files`` (one per thread) at least, so large files too
    are parsed in parallel."""
    return _runs(files, _BATCH_BYTES, min_files=min_files, max_files=max(_BATCH_FILES, min_files))


def _runs(
    items: list[tuple[int, SourceFile]], max_bytes: int, *, min_files: int = 1, max_files: int | None = None
) -> list[list[tuple[int, SourceFile]]]:
    """``items`` in order, cut into runs of at most ``max_bytes`` and ``max_files`` — except
    that a run holds ``min_files`` at least, whatever their size (so with ``min_files`` 1 a
    file larger than ``max_bytes`` is a run of its own)."""
    out: list[list[tuple[int, SourceFile]]] = []
    cur: list[tuple[int, SourceFile]] = []
    size = 0
    for item in items:
        full = max_files is not None and len(cur) >= max_files
        if cur and len(cur) >= min_files and (full or size + item[1].size > max_bytes):
            out.append(cur)
            cur, size = [], 0
        cur.append(item)
        size += item[1].size
    if cur:
        out.append(cur)
    return out


def _raw_file(i: int, f: SourceFile, path: Path | None = None) -> jsonread.RawFile:
    return jsonread.RawFile(
        path=str(path or f.path), source_path=str(f.path), version_base=(i + 1) << 32, page=f.page
    )


def _load_batch(
    ws: Workspace,
    table: str,
    batch: list[tuple[int, SourceFile]],
    entity: str,
    skip: bool,
    work: Path,
    report: IngestReport,
) -> int:
    schema = RAW_SCHEMAS[entity]
    try:
        n = ws.load_raw(table, [_raw_file(i, f) for i, f in batch], schema, ignore_errors=skip)
    except jsonread.ReadFailed:
        # One of them is bad: read them one by one to find which, and say where.
        n = sum(_load_one(ws, table, i, f, schema, skip, work, report) for i, f in batch)
    report.records += n
    return n


def _load_one(
    ws: Workspace,
    table: str,
    i: int,
    f: SourceFile,
    schema: ibis.Schema,
    skip: bool,
    work: Path,
    report: IngestReport,
) -> int:
    try:
        return ws.load_raw(table, [_raw_file(i, f)], schema, ignore_errors=skip)
    except jsonread.ReadFailed as exc:
        problem = diagnose(f.path, page=f.page)
        if not skip:
            raise problem or MalformedInputError(
                f"{f.path} could not be read as OpenAlex {f.entity} records ({exc.detail}); "
                "check that it is an unmodified OpenAlex file.",
                path=str(f.path),
            ) from None
    if is_gzip(f.path):
        work.mkdir(parents=True, exist_ok=True)
        part = Path(tempfile.mkstemp(suffix=".jsonl", dir=work)[1])
        kept, broke = readable_part(f.path, part)
        try:
            n = ws.load_raw(table, [_raw_file(i, f, part)], schema, ignore_errors=True)
        except jsonread.ReadFailed:
            pass
        else:
            report.skipped += 1
            report.notes.append(f"{f.path}: breaks off in line {broke}; kept the {kept} lines before it")
            return n
    report.skipped += 1
    report.notes.append(f"{f.path}: left out whole, it could not be read ({problem or 'unreadable'})")
    return 0


def _checked(
    ws: Workspace, raw: ir.Table, entity: str, skip: bool, report: IngestReport
) -> tuple[ir.Table, tuple[Any, Any], int]:
    """``raw`` without records lacking an id or of another entity (an error unless skipping),
    the earliest and latest ``updated_date`` of its good records (``None`` if none has one),
    and how many were left out.

    One pass counts the bad records and finds the dates; when none is bad (the
    usual case) ``raw`` is returned as it is, so no later step re-runs the test.
    """
    short = raw.id.replace("https://openalex.org/", "")
    good = (short.startswith(_PREFIX_OF[entity]) & short.substr(1, 1).re_search(r"^[0-9]$")).fill_null(False)
    stamp = raw.updated_date.try_cast("timestamp")
    stats = ws.execute(
        raw.aggregate(n_bad=good.ifelse(0, 1).sum(), lo=stamp.min(where=good), hi=stamp.max(where=good))
    ).iloc[0]
    n_bad = int(stats["n_bad"] or 0)
    span = (_stamp(stats["lo"]), _stamp(stats["hi"]))
    if not n_bad:
        return raw, span, 0
    bad = raw.filter(~good)
    if not skip:
        first = ws.execute(bad.order_by(["_source_path", "_source_line"]).limit(1)).iloc[0]
        path = Path(first["_source_path"])
        line = line_of_record(path, int(first["_source_line"]))
        what = (
            "is not a JSON object with an OpenAlex id"
            if first["id"] is None
            else f"holds {first['id']}, not one of the {entity}"
        )
        raise MalformedInputError(
            f"{path} line {line} {what}; fix or remove that line "
            "(or run with --on-error skip to leave such lines out).",
            path=str(path),
            line=line,
        )
    report.skipped += n_bad
    report.records -= n_bad
    return raw.filter(good), span, n_bad


def _stamp(x: Any) -> Any:
    # A missing timestamp comes back as None, NaT or NaN depending on the engine's driver.
    return None if x is None or x != x or str(x) == "NaT" else x
