"""Saying where a file that DuckDB could not read goes wrong, by file and line.

DuckDB's errors give a record number or byte offset, not the line a person
would open the file at (blank lines are not records; a gzip has no lines
until it is unpacked). These functions read the file again in plain Python —
only after a fast read failed, so the slow pass costs nothing on good input —
and find the first bad line.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

from kakehashi.errors import MalformedInputError
from kakehashi.ingest.snapshot import open_text

__all__ = ["diagnose", "line_of_record", "readable_part"]

_SKIP_HINT = "or run with --on-error skip to leave bad lines out"


def _truncated(path: Path, line: int) -> MalformedInputError:
    return MalformedInputError(
        f"{path} is a truncated or damaged gzip file: it breaks off in line {line}; "
        f"download it again ({_SKIP_HINT}, keeping the {line - 1} complete lines before it).",
        path=str(path),
        line=line,
    )


def diagnose(path: Path, *, page: bool = False) -> MalformedInputError | None:
    """The first problem in ``path`` as an error naming its line, or None if none is found."""
    if page:
        try:
            with open_text(path) as fh:
                json.load(fh)
        except json.JSONDecodeError as exc:
            return MalformedInputError(
                f"{path} line {exc.lineno} is not valid JSON ({exc.msg}); save the API page again "
                "(with --on-error skip the page is left out).",
                path=str(path),
                line=exc.lineno,
            )
        except (OSError, EOFError, zlib.error):
            return _truncated(path, 1)
        return None
    line_no = 0
    try:
        with open_text(path) as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    return MalformedInputError(
                        f"{path} line {line_no} is not valid JSON ({exc.msg}); fix or remove that line "
                        f"({_SKIP_HINT}).",
                        path=str(path),
                        line=line_no,
                    )
                if not isinstance(rec, dict):
                    return MalformedInputError(
                        f"{path} line {line_no} is a JSON {type(rec).__name__}, not an OpenAlex record "
                        f"(an object); fix or remove that line ({_SKIP_HINT}).",
                        path=str(path),
                        line=line_no,
                    )
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError):
        return _truncated(path, line_no + 1)
    return None


def line_of_record(path: Path, record: int) -> int:
    """The 1-based line on which the ``record``-th (1-based) non-blank line of ``path`` stands."""
    seen = 0
    with open_text(path) as fh:
        for line_no, line in enumerate(fh, start=1):
            if line.strip():
                seen += 1
                if seen == record:
                    return line_no
    return record


def readable_part(path: Path, dest: Path) -> tuple[int, int]:
    """Copy the complete lines of a truncated gzip to ``dest`` (plain JSON Lines).

    Returns ``(lines kept, line where it breaks off)``. The broken last line is
    dropped: it lost its end.
    """
    kept = 0
    with open(dest, "w", encoding="utf-8") as out:
        try:
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if not line.endswith("\n"):
                        break  # the last, cut-off line
                    out.write(line)
                    kept += 1
        except (EOFError, gzip.BadGzipFile, zlib.error, OSError):
            pass
    return kept, kept + 1
