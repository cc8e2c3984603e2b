"""Ingest: sources → store. OpenAlex snapshot files and API pages, the API, the demo world."""

from __future__ import annotations

import dataclasses
from typing import Protocol

__all__ = ["IngestReport", "NullProgress", "Progress"]


class Progress(Protocol):
    """What an ingest reports while it runs (the CLI draws a Rich bar from it)."""

    def start(self, *, files: int, nbytes: int, label: str = "") -> None: ...

    def advance(self, *, files: int = 0, records: int = 0, nbytes: int = 0) -> None: ...


class NullProgress:
    def start(self, *, files: int, nbytes: int, label: str = "") -> None:
        pass

    def advance(self, *, files: int = 0, records: int = 0, nbytes: int = 0) -> None:
        pass


@dataclasses.dataclass
class IngestReport:
    """What an ingest did, for the CLI to print and the manifest to keep."""

    files: int = 0
    records: int = 0
    skipped: int = 0
    works: int = 0
    works_without_country: int = 0
    rows: dict[str, int] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)
