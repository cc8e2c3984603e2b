"""`kakehashi ingest api`: works from the live OpenAlex API, through the snapshot ingest.

The client pages ``GET {openalex_base_url}/works?filter=…`` with OpenAlex's
cursor paging (``cursor=*``, then ``meta.next_cursor`` until it is null or a
page comes back empty), 200 records a page, sending ``mailto`` and
``api_key`` as the query parameters OpenAlex documents
(https://docs.openalex.org/how-to-use-the-api/get-lists-of-entities/paging,
https://developers.openalex.org/api-reference/authentication).

It is resumable. Each page's records go to a gzipped JSON Lines file in a
download folder inside the store, and ``state.json`` beside them (written
atomically after the page file) holds the cursor to go on from::

    STORE/.api/<hash of base url + filter>/page-00001.jsonl.gz
                                          /state.json
                                          /.lock

Run the same command again after an interruption and it asks only for the
pages it does not have. Once every page is in, the files are ingested by
:func:`kakehashi.ingest.openalex.ingest_openalex` — the same normalisation as
saved snapshot files — and the folder is removed only after that ingest
committed, so a failed ingest can be retried without fetching again.

Transient failures (HTTP 429, 5xx, transport errors, a truncated body) are
retried with exponential backoff and jitter, honouring ``Retry-After``, up to
the ``api_max_retries`` setting; any other 4xx fails at once with OpenAlex's
own message. The API key never appears in a message, ``state.json`` or the
manifest.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gzip
import hashlib
import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

import httpx

from kakehashi.errors import ConfigError, IngestError, MalformedInputError
from kakehashi.ingest import IngestReport, NullProgress, Progress
from kakehashi.ingest.api_client import OpenAlexClient, Sleep, check_base_url
from kakehashi.settings import Settings
from kakehashi.store import Store
from kakehashi.store.store import exclusive_lock

__all__ = ["download_dir", "fetch_pages", "ingest_api"]

PER_PAGE = 200  # OpenAlex's maximum for list endpoints
STATE = "state.json"
STATE_FORMAT = "kakehashi-api-download/1"


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def download_dir(store: Store, *, filter: str, base_url: str) -> Path:
    """The folder one (base url, filter) download lives in while it is fetched."""
    key = hashlib.sha256(f"{base_url.rstrip('/')}\n{filter}".encode()).hexdigest()[:16]
    return store.path / ".api" / key


def ingest_api(
    store: Store,
    *,
    filter: str,
    settings: Settings,
    progress: Progress = NullProgress(),
    transport: httpx.BaseTransport | None = None,
    max_records: int | None = None,
    sleep: Sleep = time.sleep,
) -> IngestReport:
    """Fetch every work matching ``filter`` from the OpenAlex API and ingest it.

    Parameters
    ----------
    store
        An open store (``Store.open(path, create=True)``).
    filter
        An OpenAlex works filter, as in the API's ``filter=`` parameter, e.g.
        ``authorships.institutions.country_code:JP,publication_year:2022``.
    settings
        ``openalex_base_url``, ``openalex_mailto``, ``openalex_api_key`` and
        ``api_max_retries`` are used here; all are passed on to the ingest.
    progress
        Told of each page fetched (``advance(files=1, records=…, nbytes=…)``),
        then handed to the ingest.
    transport
        An httpx transport; tests pass an ``httpx.MockTransport``.
    max_records
        Stop fetching once this many records are in (for a sample).
    sleep
        How to wait between retries (tests pass a recorder).

    Returns
    -------
    IngestReport
        The report of :func:`kakehashi.ingest.openalex.ingest_openalex`, with
        a note on what was fetched.

    Raises
    ------
    ApiError
        OpenAlex refused the request (bad filter, bad key…) or kept failing
        after ``api_max_retries`` retries; what was fetched so far is kept
        and the next run resumes from it.
    """
    if not filter.strip():
        raise ConfigError(
            "give a --filter: the whole of OpenAlex takes days to page through the API; "
            "use the snapshot (`kakehashi ingest openalex`) for that."
        )
    if max_records is not None and max_records < 1:
        raise ConfigError(f"max_records={max_records} must be at least 1.")
    folder = download_dir(store, filter=filter, base_url=settings.openalex_base_url)
    check_base_url(str(settings.openalex_base_url))
    with _download_lock(folder):
        try:
            state = fetch_pages(
                folder,
                filter=filter,
                settings=settings,
                progress=progress,
                transport=transport,
                max_records=max_records,
                sleep=sleep,
            )
        except BaseException:
            if not (folder / STATE).exists():
                _remove(folder)  # nothing fetched: leave no trace (a bad filter, say)
            raise
        files = [folder / name for name in state["files"]]
        note = (
            f"fetched {state['records']} records in {state['pages']} pages from the OpenAlex API "
            f"(filter {filter!r}, {state['fetched_at']})"
        )
        if not files:
            _remove(folder)
            return IngestReport(
                notes=[note, f"the filter {filter!r} matched no works; the store is unchanged"]
            )
        from kakehashi.ingest.openalex import ingest_openalex

        report = ingest_openalex(store, files, progress=progress, settings=settings, source=api_source(state))
        report.notes.append(note)
        # Only now: had the ingest failed, the next run would ingest these files again.
        _remove(folder)
        return report


def api_source(state: dict[str, Any]) -> dict[str, Any]:
    """What the manifest's source entry says of a finished download (never the key)."""
    return {
        "kind": "openalex-api",
        # The page files are gone once ingested; the query is what can be repeated.
        "paths": None,
        "url": f"{state['base_url']}/works",
        "filter": state["filter"],
        "fetched_at": state["fetched_at"],
        "fetch_started_at": state["started_at"],
        # The API serves the live database: the data are as of the day they were fetched.
        "snapshot_date": (state["fetched_at"] or "")[:10] or None,
        "fetched_records": state["records"],
        "count": state["count"],
        "complete": state["next_cursor"] is None,
    }


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        folder.parent.rmdir()  # .api/ itself, once no other download is in it


def _download_lock(folder: Path) -> contextlib.AbstractContextManager[None]:
    busy = IngestError(f"another kakehashi process is downloading into {folder}; wait for it to finish.")
    return exclusive_lock(folder / ".lock", busy)


# -- fetching ------------------------------------------------------------------


def fetch_pages(
    folder: Path,
    *,
    filter: str,
    settings: Settings,
    progress: Progress = NullProgress(),
    transport: httpx.BaseTransport | None = None,
    max_records: int | None = None,
    sleep: Sleep = time.sleep,
) -> dict[str, Any]:
    """Fetch the pages of ``filter`` into ``folder``, resuming from its ``state.json``.

    Returns the final state: ``files`` (page files with records, in order),
    ``records``, ``pages``, ``next_cursor`` (null at the end), ``done``.
    """
    base_url = str(settings.openalex_base_url).rstrip("/")
    folder.mkdir(parents=True, exist_ok=True)
    state = _load_state(folder, filter=filter, base_url=base_url)
    client = OpenAlexClient(settings, transport=transport, sleep=sleep, resume_from=str(folder))
    started = False
    try:
        while not _finished(state, max_records):
            want = PER_PAGE if max_records is None else min(PER_PAGE, max_records - state["records"])
            cursor = state["next_cursor"]
            page, nbytes = client.get_page(f"{base_url}/works", filter=filter, cursor=cursor, per_page=want)
            results, meta = page["results"], page["meta"]
            next_cursor, count = meta.get("next_cursor"), meta.get("count")
            if not started:
                total = count if isinstance(count, int) else state["records"] + len(results)
                if max_records is not None:
                    total = min(total, max_records)
                progress.start(files=math.ceil(total / PER_PAGE), nbytes=0, label="OpenAlex API")
                progress.advance(files=state["pages"], records=state["records"])
                started = True
            state["pages"] += 1
            if results:
                name = f"page-{state['pages']:05d}.jsonl.gz"
                _write_page(folder / name, results)
                state["files"].append(name)
            state["records"] += len(results)
            # An empty page ends the walk even if a cursor came with it (docs: both signal the end).
            state["next_cursor"] = next_cursor if results else None
            state["count"] = count if isinstance(count, int) else state["count"]
            state["fetched_at"] = _now()
            state["done"] = _finished(state, max_records)
            _write_json_atomic(folder / STATE, state)
            progress.advance(files=1, records=len(results), nbytes=nbytes)
    finally:
        client.close()
    return state


def _finished(state: dict[str, Any], max_records: int | None) -> bool:
    if state["pages"] > 0 and state["next_cursor"] is None:
        return True
    return max_records is not None and state["records"] >= max_records


def _load_state(folder: Path, *, filter: str, base_url: str) -> dict[str, Any]:
    path = folder / STATE
    if not path.exists():
        return {
            "format": STATE_FORMAT,
            "filter": filter,
            "base_url": base_url,
            "started_at": _now(),
            "fetched_at": None,
            "next_cursor": "*",
            "pages": 0,
            "files": [],
            "records": 0,
            "count": None,
            "done": False,
        }
    try:
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        ok = state.get("format") == STATE_FORMAT and state["filter"] == filter
        ok = ok and state["base_url"] == base_url
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MalformedInputError(
            f"download state {path} is unreadable ({exc}); delete the folder {folder} to fetch again.",
            path=str(path),
        ) from exc
    if not ok:
        raise MalformedInputError(
            f"download state {path} belongs to another download; delete the folder {folder} to fetch again.",
            path=str(path),
        )
    return state


def _write_page(path: Path, records: list[Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as raw:
        # mtime=0: the same page gives the same bytes.
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            for rec in records:
                gz.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
                gz.write(b"\n")
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(tmp, path)


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
