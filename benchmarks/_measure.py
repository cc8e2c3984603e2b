"""What the benchmark scripts share: timing, peak memory, child processes, agreement, the machine.

Each measurement runs in a child process of its own (:func:`spawn`), so that
its peak resident memory is its own: :class:`PeakRSS` samples the RSS of the
process — and of the processes it started, such as Spark's JVM — every 5 ms
with psutil. ``getrusage``'s max RSS would not do: it carries the parent's
peak over fork/exec and leaves the JVM out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
MB = 2**20
#: packages whose versions a result records (those not installed are left out)
PACKAGES = ("kakehashi", "duckdb", "ibis-framework", "pyarrow", "pandas", "numpy", "pyspark", "biblium")


#: the environment variable kakehashi reads its ``duckdb_memory_limit`` setting from;
#: ``run.py --duckdb-memory-limit`` sets it, and the baselines honour it too
MEMORY_LIMIT_ENV = "KAKEHASHI_DUCKDB_MEMORY_LIMIT"


def duckdb_connect() -> Any:
    """A DuckDB connection for a baseline, under the same memory limit as kakehashi's (if one is set)."""
    import duckdb

    limit = os.environ.get(MEMORY_LIMIT_ENV)
    return duckdb.connect(config={"memory_limit": limit} if limit else {})


class PeakRSS:
    """Peak resident memory of this process and its children while the block runs.

    ``base_mb`` is the RSS on entry (imports done), ``peak_mb`` the highest
    sum sampled. The list of children is refreshed every half second; their
    memory every sample.
    """

    def __init__(self, interval: float = 0.005) -> None:
        import psutil

        self._proc = psutil.Process()
        self._interval = interval
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.base_mb = self._proc.memory_info().rss / MB
        self.peak_mb = self.base_mb

    def _sample(self) -> None:
        import psutil

        children: list[Any] = []
        refreshed = 0.0
        while not self._done.wait(self._interval):
            now = time.monotonic()
            if now - refreshed > 0.5:
                children = self._proc.children(recursive=True)
                refreshed = now
            rss = self._proc.memory_info().rss
            for c in children:
                with contextlib.suppress(psutil.Error):  # a child that has ended
                    rss += c.memory_info().rss
            self.peak_mb = max(self.peak_mb, rss / MB)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def cpu_seconds() -> float:
    """CPU time so far of every thread of this process and of its live children (Spark's JVM).

    On a machine shared with other work it moves far less than wall time, so
    ratios of CPU seconds are the steadier figures there.
    """
    import psutil

    r = resource.getrusage(resource.RUSAGE_SELF)
    total = r.ru_utime + r.ru_stime
    for c in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            t = c.cpu_times()
            total += t.user + t.system
    return total


@dataclasses.dataclass
class Timings:
    """Wall and CPU seconds of each timed call."""

    wall: list[float]
    cpu: list[float]


def time_runs(run: Callable[[], T], repeat: int, warmup: int) -> tuple[Timings, T]:
    """``warmup`` untimed calls, then ``repeat`` timed ones: their wall and CPU seconds, the last result."""
    for _ in range(warmup):
        run()
    t = Timings([], [])
    result: Any = None
    for _ in range(max(repeat, 1)):
        w, c = time.perf_counter(), cpu_seconds()
        result = run()
        t.wall.append(time.perf_counter() - w)
        t.cpu.append(cpu_seconds() - c)
    return t, result


def measured(t: Timings, mem: PeakRSS) -> dict[str, Any]:
    """The fields every measurement reports: best wall and CPU seconds, all of them, memory."""
    return {
        "seconds": min(t.wall),
        "cpu_seconds": round(min(t.cpu), 3),
        "all_seconds": [round(s, 3) for s in t.wall],
        "all_cpu_seconds": [round(s, 3) for s in t.cpu],
        "rss_after_imports_mb": round(mem.base_mb),
        "peak_rss_mb": round(mem.peak_mb),
    }


def to_pandas(result: Any) -> Any:
    """An indicator's result (an Arrow table or a DataFrame) as a DataFrame."""
    import pandas as pd

    return result if isinstance(result, pd.DataFrame) else result.to_pandas()


def spawn(cmd: Sequence[str], timeout: float | None = None) -> dict[str, Any]:
    """Run a child that prints its result as JSON on its last line; its result, or the failure.

    A failure or a timeout is returned as ``{"error": …}`` (with the tail of
    stderr) rather than raised, so that one broken measurement does not lose
    a whole run.
    """
    try:
        res = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if res.returncode != 0:
        return {"error": f"exit {res.returncode}", "stderr_tail": res.stderr.strip().splitlines()[-15:]}
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def spawn_or_exit(cmd: Sequence[str], what: str) -> dict[str, Any]:
    """:func:`spawn` for scripts where a failed measurement ends the run."""
    out = spawn(cmd)
    if "error" in out:
        sys.exit(f"{what} failed ({out['error']}):\n" + "\n".join(out.get("stderr_tail", [])))
    return out


def compare(
    frames: dict[str, Any], keys: list[str], cols: list[str], base: str = "sql", tolerance: float = 1e-9
) -> dict[str, Any]:
    """Rows, keys and the max abs difference per column of every version against ``base``.

    NaN equals NaN; a NaN against a number is an infinite difference.
    """
    import numpy as np

    def norm(f: Any) -> Any:
        f = f[[*keys, *cols]].copy()
        f["year"] = f["year"].astype("int64")
        for c in cols:
            f[c] = f[c].astype("float64")
        return f.sort_values(keys).reset_index(drop=True)

    ref = norm(frames[base])
    report: dict[str, Any] = {"rows": {k: len(v) for k, v in frames.items()}}
    agree = True
    for impl, f in frames.items():
        if impl == base:
            continue
        other = norm(f)
        same_rows = len(other) == len(ref) and bool((other[keys].to_numpy() == ref[keys].to_numpy()).all())
        diffs = {}
        if same_rows:
            for c in cols:
                a, b = other[c].to_numpy(), ref[c].to_numpy()
                d = np.where(np.isnan(a) & np.isnan(b), 0.0, np.abs(a - b))
                diffs[c] = float(np.nanmax(np.where(np.isnan(d), np.inf, d))) if len(d) else 0.0
        ok = same_rows and all(v < tolerance for v in diffs.values())
        agree &= ok
        report[f"{impl}_vs_{base}"] = {"same_rows": same_rows, "max_abs_diff": diffs, "agree": ok}
    report["agree"] = agree
    return report


def demo_store(d: Path, works: int, seed: int = 1) -> float | None:
    """Build the demo world into ``d`` unless a store is there already; the seconds it took, or None."""
    from kakehashi.ingest.demo import build_demo
    from kakehashi.store import Store

    if (d / "manifest.json").exists():
        return None
    t0 = time.perf_counter()
    build_demo(Store.open(d, create=True), works=works, seed=seed)
    return time.perf_counter() - t0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(*args: str) -> str | None:
    try:
        res = subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=Path(__file__).parent, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def _java() -> str | None:
    try:
        res = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = res.stderr.strip().splitlines()
    return lines[0] if lines else None


def machine_info() -> dict[str, Any]:
    """CPU, memory, OS, Python, package versions, git commit and the load when asked."""
    import psutil

    versions = {}
    for p in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[p] = metadata.version(p)
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "java": _java(),
        "packages": versions,
        "git_commit": _git("rev-parse", "HEAD"),
        "git_tree_modified": bool(dirty) if dirty is not None else None,
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
