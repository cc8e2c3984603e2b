"""Finding the OpenAlex files a SOURCE names, and which entity each holds.

A SOURCE is one of:

- an OpenAlex snapshot folder, its ``data/`` folder, or one entity folder of
  it (``data/works``, ``data/authors``, ``data/institutions``): the
  ``updated_date=*/part_*.gz`` files under it (other entities' folders —
  sources, topics, publishers… — are left out, with a note);
- any other folder: the ``.jsonl``, ``.jsonl.gz``, ``.gz`` and ``.json``
  files directly in it;
- a JSON Lines file, plain or gzipped, or a saved API page
  (``{"meta": …, "results": […]}``, ``.json``).

A loose file's entity is read off its first record's id (``W…`` works,
``A…`` authors, ``I…`` institutions); a file of any other entity, or a file
in an entity folder holding another entity, is an error.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from kakehashi.errors import IngestError, MalformedInputError
from kakehashi.ingest.rawschema import ENTITIES, ENTITY_PREFIX

__all__ = ["SourceFile", "find_files", "is_gzip", "open_text"]

_PARTITION = re.compile(r"updated_date=(\d{4}-\d{2}-\d{2})")
_LOOSE_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".gz", ".ndjson", ".ndjson.gz")
_OTHER = {
    "S": "sources",
    "T": "topics",
    "P": "publishers",
    "C": "concepts",
    "G": "awards",
    "K": "keywords",
}


@dataclasses.dataclass(frozen=True)
class SourceFile:
    path: Path
    entity: str
    page: bool
    size: int
    #: the ``updated_date=`` partition the file sits in, if any
    partition: str | None


def is_gzip(path: Path) -> bool:
    """Whether ``path`` is gzip-compressed (by its magic bytes, whatever its name)."""
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def open_text(path: Path) -> TextIO:
    """A text reader over ``path``, gunzipping when it is gzip."""
    if is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def _is_page(path: Path) -> bool:
    return path.name.endswith(".json")


def _first_id(path: Path, page: bool) -> tuple[str | None, bool]:
    """The id of the first record and whether there is a record at all."""
    try:
        if page:
            with open_text(path) as fh:
                doc = json.load(fh)
            results = doc.get("results") if isinstance(doc, dict) else None
            if not isinstance(results, list):
                raise MalformedInputError(
                    f"{path} is a .json file but not a saved OpenAlex API page "
                    '({"meta": …, "results": […]}); save the API response as it came, '
                    "or give records as JSON Lines (.jsonl).",
                    path=str(path),
                )
            if not results:
                return None, False
            first = results[0]
        else:
            with open_text(path) as fh:
                line_no, line = 0, ""
                for line_no, line in enumerate(fh, start=1):  # noqa: B007
                    if line.strip():
                        break
                else:
                    return None, False
            try:
                first = json.loads(line)
            except json.JSONDecodeError:
                raise MalformedInputError(
                    f"{path} line {line_no} is not valid JSON; fix or remove that line "
                    "(or run with --on-error skip to leave bad lines out).",
                    path=str(path),
                    line=line_no,
                ) from None
    except json.JSONDecodeError as exc:
        raise MalformedInputError(
            f"{path} line {exc.lineno} is not valid JSON ({exc.msg}); save the API page again.",
            path=str(path),
            line=exc.lineno,
        ) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise MalformedInputError(
            f"{path} cannot be read as (gzipped) JSON ({exc}); download it again.", path=str(path)
        ) from None
    rid = first.get("id") if isinstance(first, dict) else None
    return (rid if isinstance(rid, str) else None), True


def _entity_of(path: Path, page: bool) -> str | None:
    rid, any_record = _first_id(path, page)
    if not any_record:
        return None
    if rid is None:
        raise MalformedInputError(
            f"{path}: the first record has no OpenAlex id; is this an OpenAlex works, authors, "
            "institutions or funders file?",
            path=str(path),
            line=1,
        )
    short = rid.removeprefix("https://openalex.org/").removeprefix("http://openalex.org/")
    entity = ENTITY_PREFIX.get(short[:1]) if short[1:2].isdigit() else None
    if entity is None:
        kind = _OTHER.get(short[:1]) if short[1:2].isdigit() else short.split("/")[0]
        raise MalformedInputError(
            f"{path} holds OpenAlex {kind or 'unknown'} records (first id {rid}), not works, authors, "
            "institutions or funders; leave it out of the sources.",
            path=str(path),
            line=1,
        )
    return entity


def _loose_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.name.endswith(_LOOSE_SUFFIXES) and p.name[0] != "."
    )


def _entity_folder_files(folder: Path) -> list[Path]:
    parts = sorted(folder.glob("updated_date=*/part_*.gz"))
    return parts or _loose_files(folder)


def find_files(sources: Sequence[str | Path]) -> tuple[list[SourceFile], list[str]]:
    """The files to ingest, sorted by path (the order that breaks ties), and notes."""
    if not sources:
        raise IngestError(
            "no source given; name an OpenAlex snapshot folder, .jsonl(.gz) files or API pages."
        )
    notes: list[str] = []
    found: dict[Path, SourceFile] = {}

    def add(p: Path, expected: str | None) -> None:
        p = p.resolve()
        if p in found:
            return
        page = _is_page(p)
        entity = _entity_of(p, page)
        if entity is None:
            notes.append(f"{p} holds no records")
            return
        if expected is not None and entity != expected:
            raise MalformedInputError(
                f"{p} holds OpenAlex {entity} records but sits in a {expected} folder; "
                "move it to its own entity folder or leave it out.",
                path=str(p),
                line=1,
            )
        m = _PARTITION.search(str(p))
        found[p] = SourceFile(p, entity, page, p.stat().st_size, m.group(1) if m else None)

    for s in sources:
        p = Path(s)
        if not p.exists():
            raise IngestError(f"source {p} does not exist; check the path.")
        if p.is_file():
            add(p, None)
            continue
        data = p / "data" if (p / "data").is_dir() else p
        entity_dirs = [data / e for e in ENTITIES if (data / e).is_dir()]
        files: list[tuple[Path, str | None]] = []
        if entity_dirs:
            others = sorted(q.name for q in data.iterdir() if q.is_dir() and q.name not in ENTITIES)
            if others:
                notes.append(f"{data}: left out the entities kakehashi does not read ({', '.join(others)})")
            for d in entity_dirs:
                files += [(f, d.name) for f in _entity_folder_files(d)]
        elif p.name in ENTITIES:
            files = [(f, p.name) for f in _entity_folder_files(p)]
        else:
            files = [(f, None) for f in _entity_folder_files(p)]
        if not files:
            raise IngestError(
                f"no OpenAlex files found in {p}: expected a snapshot (data/works/updated_date=*/part_*.gz) "
                "or .jsonl, .jsonl.gz or .json files; check the path."
            )
        for f, expected in files:
            add(f, expected)
    return sorted(found.values(), key=lambda f: str(f.path)), notes
