"""Shared fixtures: the engine fixture (STYLE.md 6), stores built from hand-made rows.

Every indicator test takes ``engine`` and so runs on DuckDB and on Spark.
Spark tests carry the ``spark`` marker; ``-m "not spark"`` gives a quick run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL_RECORDS = SHARED / "data" / "openalex-works"

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> str:
    """The name of the engine a test runs on; open stores with ``open_store(store, engine)``."""
    return str(request.param)


@pytest.fixture
def real_records() -> Path:
    """The real OpenAlex records beside the project (CC0); skip when they are absent."""
    if not REAL_RECORDS.is_dir():
        pytest.skip("../shared/data/openalex-works is absent (only beside the project, never inside it)")
    return REAL_RECORDS


@pytest.fixture
def tables(store: Any, engine: str) -> Any:
    """The module's ``store`` (a fixture each module defines) opened on ``engine``."""
    from kakehashi.engines import open_store

    return open_store(store, engine)


@pytest.fixture
def duck(store: Any) -> Any:
    """The module's ``store`` opened on DuckDB, for the variations checked on one engine."""
    from kakehashi.engines import open_store

    return open_store(store, "duckdb")
