"""A Rich progress bar for ingests: files, records and MB/s (the Progress protocol)."""

from __future__ import annotations

import time
from types import TracebackType

from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn


class RichProgress:
    def __init__(self, label: str, enabled: bool = True) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[files]} files · {task.fields[records]:,} records · {task.fields[rate]}"),
            TimeElapsedColumn(),
            disable=not enabled,
            transient=False,
        )
        self._label = label
        self._task: TaskID | None = None
        self._by_bytes = False
        self._files_total = 0
        self._records = 0
        self._files = 0
        self._bytes = 0
        self._t0 = time.perf_counter()

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bar.stop()

    def start(self, *, files: int, nbytes: int, label: str = "") -> None:
        self._t0 = time.perf_counter()
        total = nbytes if nbytes else files
        self._by_bytes = bool(nbytes)
        self._task = self._bar.add_task(
            label or self._label, total=total or None, files=f"0/{files}", records=0, rate="—"
        )
        self._files_total = files

    def advance(self, *, files: int = 0, records: int = 0, nbytes: int = 0) -> None:
        if self._task is None:
            self.start(files=0, nbytes=0)
        assert self._task is not None
        self._files += files
        self._records += records
        self._bytes += nbytes
        dt = max(time.perf_counter() - self._t0, 1e-6)
        rate = f"{self._bytes / dt / 1e6:.1f} MB/s" if self._bytes else f"{self._records / dt:,.0f} rec/s"
        self._bar.update(
            self._task,
            advance=nbytes if self._by_bytes else files,
            files=f"{self._files}/{self._files_total}",
            records=self._records,
            rate=rate,
        )
