"""Key findings: sentences written from the figures through the catalogue's templates.

Nothing here holds a number or a word of its own: each sentence is a
``report.finding.*`` template of ``messages.toml`` filled with values from
:class:`~kakehashi.report.figures.Figures`. A finding whose figures are
missing (no growth rate, no partner) is left out rather than guessed.
"""

from __future__ import annotations

from kakehashi.i18n import country_name, field_name, t
from kakehashi.report.figures import Figures

__all__ = ["findings", "span_words"]


def span_words(year: int, smooth: int, lang: str) -> str:
    """``2020–2022年平均`` for a 3-year mean labelled 2022; the year alone without smoothing.

    No brackets: the span stands inside the bracketed conditions of other
    sentences, and Japanese does not nest brackets.
    """
    if smooth > 1:
        return t("report.prov.span", lang, a=year - smooth + 1, b=year)
    return t("report.prov.span_one", lang, a=year)


def _rank_growth(f: Figures, lang: str) -> str | None:
    h = f.headline
    row = h.row(f.country)
    if row is None or row["cagr_intl"] is None:
        return None
    rank = h.rank("cagr_intl")
    n = sum(1 for r in h.rows if r["cagr_intl"] is not None)
    key = "growth_lowest" if rank == n else "growth_highest" if rank == 1 else "growth"
    return t(
        f"report.finding.{key}",
        lang,
        year_from=h.year_from,
        year_to=h.year_to,
        cagr=row["cagr_intl"] * 100,
        n=n,
        rank=rank,
    )


def _headline(f: Figures, lang: str) -> list[str]:
    h = f.headline
    row = h.row(f.country)
    out = []
    if row is not None and row["pp_intl"] is not None:
        out.append(
            t(
                "report.finding.rate",
                lang,
                year=h.year_to,
                country=country_name(f.country, lang),
                rate=row["pp_intl"] * 100,
                n=sum(1 for r in h.rows if r["pp_intl"] is not None),
                rank=h.rank("pp_intl"),
            )
        )
    g = _rank_growth(f, lang)
    if g is not None:
        out.append(g)
    return out


def _partners(f: Figures, lang: str) -> list[str]:
    rows = f.partners.rows
    if not rows:
        return []
    y0, y1 = f.years
    name = country_name(f.country, lang)
    items = t("report.list_sep", lang).join(
        t(
            "report.finding.partner_item",
            lang,
            name=country_name(r["partner"], lang),
            share=r["share_of_intl"] * 100,
        )
        for r in rows[:3]
    )
    out = [t("report.finding.partners", lang, year_from=y0, year_to=y1, country=name, items=items)]
    top = [r for r in rows[:5] if r["cagr_ab"] is not None]
    if len(top) >= 2:
        fast = max(top, key=lambda r: r["cagr_ab"])
        slow = min(top, key=lambda r: r["cagr_ab"])
        out.append(
            t(
                "report.finding.partners_growth",
                lang,
                k=len(rows[:5]),
                fast=country_name(fast["partner"], lang),
                fast_cagr=fast["cagr_ab"] * 100,
                slow=country_name(slow["partner"], lang),
                slow_cagr=slow["cagr_ab"] * 100,
            )
        )
    return out


def _quality(f: Figures, lang: str) -> list[str]:
    cells = {r["scope"]: r for r in f.quality.rows if r["country"] == f.country}
    year = f.quality.scope.years[1] if f.quality.scope.years else f.years[1]
    span = span_words(year, f.quality.scope.smooth, lang)
    name = country_name(f.country, lang)
    out = []
    intl, dom = cells.get("intl"), cells.get("domestic")
    if intl and dom and intl["pp_top10"] is not None and dom["pp_top10"] is not None:
        a, b = round(intl["pp_top10"] * 100, 1), round(dom["pp_top10"] * 100, 1)
        cmp = "quality_higher" if a > b else "quality_lower" if a < b else "quality_equal"
        lo, hi = intl["pp_top10_lo"], intl["pp_top10_hi"]
        out.append(
            t(
                "report.finding.quality",
                lang,
                span=span,
                country=name,
                intl=intl["pp_top10"] * 100,
                intl_lo=(lo if lo is not None else intl["pp_top10"]) * 100,
                intl_hi=(hi if hi is not None else intl["pp_top10"]) * 100,
                dom=dom["pp_top10"] * 100,
                cmp=t(f"report.finding.{cmp}", lang),
            )
        )
    every = cells.get("all")
    if every and every["rank_top10"] is not None:
        out.append(
            t(
                "report.finding.rank_top10",
                lang,
                span=span,
                country=name,
                rank=every["rank_top10"],
                n=f.world_rank_n,
            )
        )
    return out


def _complement(f: Figures, lang: str) -> list[str]:
    rows = f.complement.rows[:3]
    if not rows:
        return []
    items = t("report.list_sep", lang).join(
        t(
            "report.finding.complement_item",
            lang,
            field=field_name(r["field_id"], lang),
            partner=country_name(r["partner"], lang),
            ai_country=r["ai_country"],
            ai_partner=r["ai_partner"],
        )
        for r in rows
    )
    return [t("report.finding.complement", lang, country=country_name(f.country, lang), items=items)]


def _mobility(f: Figures, lang: str) -> list[str]:
    if f.mobility is None or not f.mobility.rows:
        return []
    rows = f.mobility.rows

    def total(col: str) -> int:
        return int(sum(r.get(col) or 0 for r in rows))

    return [
        t(
            "report.finding.mobility",
            lang,
            year_from=f.years[0],
            year_to=f.years[1],
            country=country_name(f.country, lang),
            inflow=total("transfers_in"),
            outflow=total("transfers_out"),
            net=total("net_flow"),
            returns=total("returns"),
        )
    ]


def findings(f: Figures, lang: str) -> dict[str, list[str]]:
    """The key findings by report section (``collab``, ``partners``, ``quality``, …)."""
    out = {
        "collab": _headline(f, lang),
        "partners": _partners(f, lang),
        "quality": _quality(f, lang),
        "complement": _complement(f, lang),
        "mobility": _mobility(f, lang),
    }
    return {k: v for k, v in out.items() if v}
