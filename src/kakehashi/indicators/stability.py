"""Stability intervals (安定性区間): the Leiden Ranking's bootstrap over works.

This is the one edge step of the indicators: it takes per-work values as an
Arrow table (already computed by an Ibis expression) and resamples them with
numpy, because a thousand resamples of every cell are cheap in vectorised
numpy and awkward as relational expressions. The result is a small Arrow
table that the caller turns back into an ``ibis.memtable``.

Method (the Leiden Ranking's stability intervals, Waltman et al. 2012):
for each cell, draw ``resamples`` samples of its n works with replacement;
in each, the statistic is the weighted mean ``Σ w·x / Σ w`` (MNCS, PP(top
10 %), …); the interval is the (1 − confidence)/2 and (1 + confidence)/2
quantiles of the resampled statistics (numpy's default, linear
interpolation). Reproducible: works are sorted by ``order`` within a cell,
and each cell's random generator is seeded from ``seed`` and the cell's key,
so a cell gets the same interval whatever other cells are computed with it
(asking for one country gives that country's intervals of the world table).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["bootstrap_intervals"]

#: elements drawn at once (resamples × works), to bound memory on large cells
_BLOCK = 2_000_000


def bootstrap_intervals(
    table: pa.Table,
    *,
    keys: Sequence[str],
    order: Sequence[str],
    weight: str,
    values: Sequence[str],
    resamples: int,
    confidence: float,
    seed: int,
) -> pa.Table:
    """Percentile bootstrap intervals of weighted means per cell.

    Returns one row per distinct ``keys`` with ``<value>_lo`` and
    ``<value>_hi`` for every column in ``values``.

    >>> t = pa.table({"k": ["a"] * 3, "id": [1, 2, 3], "w": [1.0] * 3, "x": [1.0, 1.0, 1.0]})
    >>> r = bootstrap_intervals(t, keys=["k"], order=["id"], weight="w", values=["x"],
    ...                         resamples=10, confidence=0.95, seed=0)
    >>> r.to_pylist()
    [{'k': 'a', 'x_lo': 1.0, 'x_hi': 1.0}]
    """
    t = table.sort_by([(k, "ascending") for k in (*keys, *order)])
    starts = _cell_starts(t, keys)
    ends = np.append(starts[1:], t.num_rows).astype(np.int64)[: len(starts)]
    w = _floats(t, weight)
    x = np.column_stack([_floats(t, v) for v in values]) if values else np.zeros((t.num_rows, 0))
    alpha = (1.0 - confidence) / 2.0
    lo = np.empty((len(starts), len(values)))
    hi = np.empty((len(starts), len(values)))
    key_cols = {k: t.column(k).take(pa.array(starts, pa.int64())) for k in keys}
    key_rows = list(zip(*(key_cols[k].to_pylist() for k in keys), strict=True)) if keys else []
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        stats = _resample(w[a:b], x[a:b], resamples, _rng(seed, key_rows[i]))
        lo[i], hi[i] = np.quantile(stats, [alpha, 1.0 - alpha], axis=0)
    out = dict(key_cols)
    for j, v in enumerate(values):
        out[f"{v}_lo"] = pa.array(lo[:, j], pa.float64())
        out[f"{v}_hi"] = pa.array(hi[:, j], pa.float64())
    return pa.table(out)


def _resample(w: np.ndarray, x: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``resamples × len(values)`` weighted means over samples of the rows with replacement."""
    n = len(w)
    wx = w[:, None] * x
    out = np.empty((resamples, x.shape[1]))
    block = max(1, _BLOCK // max(n, 1))
    for s in range(0, resamples, block):
        b = min(block, resamples - s)
        idx = rng.integers(0, n, size=(b, n))
        sw = w[idx].sum(axis=1)
        swx = wx[idx].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[s : s + b] = swx / sw[:, None]
    return out


def _rng(seed: int, key: tuple[object, ...]) -> np.random.Generator:
    """A generator for one cell: the run's seed and a stable hash of the cell's key."""
    digest = zlib.crc32(repr(key).encode("utf-8"))
    return np.random.default_rng([seed, digest])


def _cell_starts(t: pa.Table, keys: Sequence[str]) -> np.ndarray:
    """Row numbers where a new cell begins in ``t`` (sorted by ``keys``)."""
    n = t.num_rows
    if n == 0:
        return np.zeros(0, np.int64)
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for k in keys:
        col = t.column(k).combine_chunks()
        ne = pc.not_equal(col.slice(1), col.slice(0, n - 1))
        # null keys: a change wherever exactly one side is null
        both_null = pc.and_(pc.is_null(col.slice(1)), pc.is_null(col.slice(0, n - 1)))
        ne = pc.if_else(pc.is_null(ne), pc.invert(both_null), ne)
        change[1:] |= ne.to_numpy(zero_copy_only=False)
    return np.flatnonzero(change).astype(np.int64)


def _floats(t: pa.Table, name: str) -> np.ndarray:
    return np.asarray(t.column(name).to_numpy(), dtype=np.float64)
