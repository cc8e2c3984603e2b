"""What a user reads is the same on Spark as on DuckDB (issue 6 point 2).

The indicator tests check every indicator on both engines against
hand-worked numbers. Here the composed outputs — the S-4 headline and the
briefing report, whose figures come from seven indicators — are compared
between the engines on one small demo world (5,000 works, built once). Each
runs once: a report on Spark costs about a minute on a shared 2-core machine.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from kakehashi.engines import open_store
from kakehashi.ingest.demo import build_demo
from kakehashi.report import write_report
from kakehashi.settings import Settings
from kakehashi.store import Store
from kakehashi.strategy.headline import s4_headline

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    st = Store.open(tmp_path_factory.mktemp("parity") / "s", create=True)
    build_demo(st, works=5_000, seed=7)
    return st


def _same_row(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Equal, floats up to summation order (Spark adds fractional counts in another order)."""
    assert a.keys() == b.keys()
    for k, v in a.items():
        assert (v == pytest.approx(b[k], rel=1e-9)) if isinstance(v, float) else (v == b[k]), (a, k)


def test_the_s4_headline_is_the_same_on_spark(store: Store) -> None:
    duck = s4_headline(open_store(store, "duckdb"))
    spark = s4_headline(open_store(store, "spark"))
    # All seven countries, in the same order (by pp_intl), with the same counts, rates and growth.
    assert len(duck.rows) == 7
    assert [r["country"] for r in spark.rows] == [r["country"] for r in duck.rows]
    for a, b in zip(duck.rows, spark.rows, strict=True):
        _same_row(a, b)
    for lang in ("ja", "en"):
        assert spark.findings(lang) == duck.findings(lang) != []


def _text(path: Path) -> str:
    """The report's words and table cells (charts left out: SVG coordinates are not figures)."""
    html = path.read_text(encoding="utf-8")
    body = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_the_report_says_the_same_on_spark(store: Store, tmp_path: Path) -> None:
    settings = Settings.load(config_file=None, env={})
    made = dt.date(2025, 4, 1)
    duck = write_report(store, lang="ja", out=tmp_path / "duck.html", settings=settings, made=made)
    spark = write_report(
        store, lang="ja", out=tmp_path / "spark.html", settings=settings.replace(engine="spark"), made=made
    )
    html = duck.read_text(encoding="utf-8")
    found = re.search(r'<section id="findings".*?</section>', html, flags=re.S)
    # Not vacuous: findings on collaboration, partners, quality, complementarity and mobility (at
    # least one sentence each), and the five tables behind them.
    assert found is not None and found.group(0).count("<li>") >= 5 and html.count("<table") == 5
    assert _text(spark) == _text(duck)
