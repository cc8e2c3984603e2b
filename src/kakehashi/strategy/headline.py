"""The S-4 headline: is Japan's international co-authorship keeping up?

S-4 of the strategy: "Japan's number of internationally co-authored papers
grows more slowly than that of other major countries". The headline puts the
country's international co-authorship (counts, rate, growth) beside the
major countries', and ranks it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir

from kakehashi.i18n import country_name, t
from kakehashi.indicators import Scope, collaboration, growth

__all__ = ["MAJOR_COUNTRIES", "Headline", "s4_headline"]

#: The comparison set of issue 2 and NISTEP's international comparisons.
MAJOR_COUNTRIES = ("JP", "US", "CN", "DE", "GB", "FR", "KR")


@dataclasses.dataclass(frozen=True)
class Headline:
    country: str
    year_from: int
    year_to: int
    rows: list[dict[str, Any]]  # one per country, ordered by pp_intl descending
    scope: Scope

    def row(self, code: str) -> dict[str, Any] | None:
        return next((r for r in self.rows if r["country"] == code), None)

    def findings(self, lang: str = "ja") -> list[str]:
        """The headline's findings in words (rate and its rank; growth and its rank).

        Written from the figures through the catalogue, so the terminal and the
        dashboard say the same sentences.
        """
        focus = self.row(self.country)
        if focus is None:
            return []
        n = len(self.rows)
        out = [
            t(
                "headline.finding_rank",
                lang,
                country=country_name(self.country, lang),
                rate=(focus["pp_intl"] or 0) * 100,
                n=n,
                rank=self.rank("pp_intl"),
            )
        ]
        if focus["cagr_intl"] is not None:
            out.append(
                t(
                    "headline.finding_growth",
                    lang,
                    year_from=self.year_from,
                    cagr=focus["cagr_intl"] * 100,
                    n=n,
                    rank=self.rank("cagr_intl"),
                )
            )
        return out

    def rank(self, column: str) -> int | None:
        """The focus country's rank (1 = highest) among the compared on ``column``."""
        vals = [(r[column], r["country"]) for r in self.rows if r[column] is not None]
        vals.sort(key=lambda v: -v[0])
        codes = [c for _, c in vals]
        return codes.index(self.country) + 1 if self.country in codes else None


def last_complete_year(t: Mapping[str, ir.Table]) -> int | None:
    """The latest publication year with works (the demo world ends in 2024)."""
    w = t["works"]
    y = w.aggregate(y=w.year.max()).to_pyarrow()["y"][0].as_py()
    return int(y) if y is not None else None


def s4_headline(
    t: Mapping[str, ir.Table],
    *,
    country: str = "JP",
    years: tuple[int, int] = (2012, 2022),
    compare: tuple[str, ...] = MAJOR_COUNTRIES,
    scope: Scope | None = None,
) -> Headline:
    """Counts in the last year, the international rate and growth over ``years``.

    Each row: ``country, p_whole, p_frac, p_intl, pp_intl`` (in ``years[1]``)
    and ``cagr_whole, cagr_frac, cagr_intl`` (``years[0]`` → ``years[1]``).
    """
    scope = dataclasses.replace(scope or Scope(), years=years)
    codes = list(dict.fromkeys([country, *compare]))
    c = collaboration(t, dataclasses.replace(scope, years=(years[1], years[1])))
    c = c.filter(c.country.isin(codes)).to_pyarrow().to_pylist()
    g = growth(t, scope)
    g = {r["country"]: r for r in g.filter(g.country.isin(codes)).to_pyarrow().to_pylist()}
    rows = []
    for r in c:
        gr = g.get(r["country"], {})
        rows.append(
            {
                "country": r["country"],
                "p_whole": r["p_whole"],
                "p_frac": r["p_frac"],
                "p_intl": r["p_intl"],
                "pp_intl": r["pp_intl"],
                "cagr_whole": gr.get("cagr_whole"),
                "cagr_frac": gr.get("cagr_frac"),
                "cagr_intl": gr.get("cagr_intl"),
            }
        )
    rows.sort(key=lambda r: -(r["pp_intl"] or 0.0))
    return Headline(country, years[0], years[1], rows, scope)
