"""Printing the S-4 headline in the terminal (what `make demo` shows)."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from kakehashi.engines import open_store
from kakehashi.i18n import country_name, describe_sources, t
from kakehashi.settings import Settings
from kakehashi.store import Store
from kakehashi.strategy.headline import s4_headline


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def print_headline(store: Store, settings: Settings, *, country: str, years: tuple[int, int]) -> None:
    lang = settings.lang
    tables = open_store(store, settings.engine, settings)
    h = s4_headline(tables, country=country, years=years)
    console = Console(width=None if sys.stdout.isatty() else 1000)
    if store.is_synthetic:
        console.print(f"[bold reverse] {t('synthetic.banner', lang)} [/] {t('synthetic.note', lang)}")
    src = describe_sources(store.manifest.get("sources", []), lang)
    tbl = Table(
        title=t("headline.title", lang),
        caption=t("headline.caption", lang, year_from=h.year_from, year_to=h.year_to, source=src),
    )
    cols = [
        ("country", "left"),
        ("p_whole", "right"),
        ("p_frac", "right"),
        ("p_intl", "right"),
        ("pp_intl", "right"),
        ("cagr_intl", "right"),
        ("cagr_whole", "right"),
    ]
    for c, just in cols:
        label = t(f"column.{c}", lang)
        if c in ("p_whole", "p_frac", "p_intl", "pp_intl"):
            label += f" {h.year_to}"
        tbl.add_column(label, justify=just)  # type: ignore[arg-type]
    for r in h.rows:
        style = "bold" if r["country"] == country else None
        tbl.add_row(
            f"{country_name(r['country'], lang)} ({r['country']})",
            f"{r['p_whole']:,}",
            f"{r['p_frac']:,.1f}",
            f"{r['p_intl']:,}",
            _pct(r["pp_intl"]),
            _pct(r["cagr_intl"]),
            _pct(r["cagr_whole"]),
            style=style,
        )
    if not console.is_terminal:
        console.width = max(console.measure(tbl).maximum, 40)
    console.print(tbl)
    for sentence in h.findings(lang):
        console.print(sentence)
