"""The demo world: a deterministic, synthetic, OpenAlex-shaped world, 2000-2024.

``kakehashi ingest demo --store DIR [--works N] [--seed S] [--as-openalex DIR]``.
The quick start, the tests and the benchmarks run on it; everything it writes
is labelled synthetic. It plants known truths for the indicators to recover
(written to the store's ``truth/`` folder, see its README):

- S-4: international co-authorship rates per country and year — the 2022 rates
  of NISTEP's S&T Indicators 2024 for GB, FR, DE, US, JP, KR, CN, realised
  exactly up to rounding — and Japan's international output growing the
  slowest of the seven from 2012 to 2022;
- D-3, D-10, P-1: partner preferences (Japan's top partners US, CN, GB, DE,
  FR, KR), field specialisation, heavy-tailed citations by field;
- M-1, M-2, D-1, D-5: careers with planted transfers, visits and returns at
  about 1-2 % of active authors a year, career stages, and WPI-like centres
  (international, highly cited, many foreign-origin researchers).

Parameters and their sources: ``kakehashi/ingest/demo_params.toml``.

Examples
--------
>>> import tempfile
>>> from kakehashi.store import Store
>>> from kakehashi.ingest.demo import build_demo
>>> store = Store.open(tempfile.mkdtemp() + "/demo", create=True)
>>> build_demo(store, works=2_000).works
2000
>>> store.is_synthetic
True
"""

from __future__ import annotations

from pathlib import Path

from kakehashi.engines import merge
from kakehashi.errors import ConfigError
from kakehashi.ingest import IngestReport, NullProgress, Progress
from kakehashi.ingest._demo_tables import chunk_tables, entity_tables
from kakehashi.ingest._demo_truth import write_truth
from kakehashi.ingest._demo_world import World, build_world
from kakehashi.settings import Settings
from kakehashi.store import Store

__all__ = ["build_demo", "demo_source", "write_demo_openalex"]


def demo_source(works: int, seed: int) -> dict[str, object]:
    """The manifest's source entry of a demo world."""
    return {
        "kind": "demo",
        "synthetic": True,
        "works": int(works),
        "seed": int(seed),
        "generator": "kakehashi.ingest.demo",
        "parameters": "kakehashi/ingest/demo_params.toml",
        "snapshot_date": "2025-01-06",
    }


def _check(works: int, seed: int) -> None:
    if not isinstance(works, int) or isinstance(works, bool):
        raise ConfigError(f"--works must be a whole number, not {works!r}.")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"--seed must be a non-negative whole number, not {seed!r}.")


def _world(works: int, seed: int, progress: Progress, label: str) -> World:
    _check(works, seed)
    progress.start(files=0, nbytes=0, label=label)
    return build_world(works, seed)


def build_demo(
    store: Store,
    *,
    works: int = 200_000,
    seed: int = 1,
    progress: Progress = NullProgress(),
    settings: Settings | None = None,
) -> IngestReport:
    """Generate the demo world into ``store`` in one transaction, with its ``truth/``.

    ``settings``' DuckDB memory and threads bound the merge (the manifest records them).

    Deterministic for ``(works, seed)``. Raises :class:`~kakehashi.errors.ConfigError`
    for a bad size or seed; the store is untouched on any error.
    """
    w = _world(works, seed, progress, "demo world")
    report = IngestReport(notes=["synthetic demo world"])
    rows: dict[str, int] = {}
    with merge.transaction(store, demo_source(works, seed), settings) as tx:
        for name, tbl in entity_tables(w).items():
            tx.add(name, tbl)
            rows[name] = rows.get(name, 0) + tbl.num_rows
        for k in range(w.n_chunks):
            tabs = chunk_tables(w, k)
            for name, tbl in tabs.items():
                tx.add(name, tbl)
                rows[name] = rows.get(name, 0) + tbl.num_rows
            progress.advance(records=tabs["works"].num_rows)
        write_truth(w, tx.folder("truth"))
    report.records = report.works = w.n_works
    report.works_without_country = int((w.skel.lead < 0).sum())
    report.rows = rows
    return report


def write_demo_openalex(
    out_dir: Path, *, works: int = 200_000, seed: int = 1, progress: Progress = NullProgress()
) -> IngestReport:
    """Write the same world as :func:`build_demo` as an OpenAlex snapshot folder.

    ``out_dir/data/works/updated_date=YYYY-MM-DD/part_000.gz`` (one folder per
    chunk of 50,000 works), ``data/authors/…``, ``data/institutions/…`` and
    ``data/funders/…``: gzipped JSON Lines in OpenAlex's current schema, so the
    real ingest path can be tested and benchmarked on it. ``truth/`` is written
    beside ``data/``.
    """
    from kakehashi.ingest._demo_openalex import write_snapshot

    w = _world(works, seed, progress, "demo world (OpenAlex snapshot)")
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise ConfigError(
            f"{out} is not empty; write the OpenAlex-shaped demo world into a new or empty folder."
        )
    files = write_snapshot(w, out, progress)
    write_truth(w, out / "truth")
    return IngestReport(
        files=files,
        records=w.n_works,
        works=w.n_works,
        works_without_country=int((w.skel.lead < 0).sum()),
        notes=["synthetic demo world"],
    )
