"""The Partners page: partner countries by co-authored papers, affinity and growth, the co-authorship
map, partner institutions abroad, complementarity."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from kakehashi.i18n import country_name, field_name, t
from kakehashi.indicators import Scope
from kakehashi.indicators.network import network_map
from kakehashi.web import charts
from kakehashi.web.api import indicator_result
from kakehashi.web.figures import Figure, Table, api_query, figure, footer
from kakehashi.web.service import Service
from kakehashi.web.views import View, counting_words, pct, years_text

__all__ = ["partners"]

TOP_PARTNERS = 20


def partners(svc: Service, scope: Scope, lang: str) -> View:
    """Partner countries: papers, affinity and growth; the map; institutions abroad; complementarity."""
    country = scope.country or "JP"
    cname = country_name(country, lang)
    years = years_text(scope, lang)
    res = indicator_result(svc, "partners", scope)
    all_rows = sorted(res.table.to_pylist(), key=lambda r: -(r["n_ab"] or 0))
    rows = [
        {**r, "name": country_name(r["partner"], lang), "few": (r["n_ab"] or 0) < charts.FEW_WORKS}
        for r in all_rows[:TOP_PARTNERS]
    ]
    nab_title = t(
        "web.partners.chart_nab",
        lang,
        country=cname,
        counting=counting_words(scope, lang),
        n=len(rows),
        years=years,
    )
    works = {"fields": {"partner": "partner"}, "fixed": {}}
    # The bars and the scatter are one result: the same indicator, scope and download links.
    partners_figure = functools.partial(figure, indicator="partners", scope=scope, result=res, lang=lang)
    spec = charts.bars(
        nab_title,
        rows,
        category="name",
        category_title=t("column.partner", lang),
        value="n_ab",
        value_title=t("column.n_ab", lang),
        works=works,
    )
    figures = [partners_figure("partners_nab", nab_title, spec)]
    pts = [r for r in rows if r["cagr_ab"] is not None]
    title = t("web.partners.chart_affinity", lang, country=cname, years=years)
    spec = charts.scatter(
        title,
        pts,
        x="assoc_strength",
        x_title=t("column.assoc_strength", lang),
        y="cagr_ab",
        y_title=t("column.cagr_ab", lang) + " (%)",
        size="n_ab",
        size_title=t("column.n_ab", lang),
        label="name",
        y_percent=True,
        works=works,
    )
    figures.append(
        partners_figure("partners_affinity", title, spec, notes=[t("web.partners.affinity_note", lang)])
    )
    figures.append(_network(svc, scope, lang))
    inst_fig, inst_table = _institutions(svc, scope, lang)
    figures.append(inst_fig)
    res_c = indicator_result(svc, "complementarity", scope)
    comp = sorted((r for r in res_c.table.to_pylist() if r["score"] is not None), key=lambda r: -r["score"])[
        :TOP_PARTNERS
    ]
    comp_rows = [
        {
            **r,
            "pair": f"{country_name(r['partner'], lang)} — {field_name(r['field_id'], lang)}",
            "field": r["field_id"],
            "few": False,
        }
        for r in comp
    ]
    title = t("web.partners.chart_complementarity", lang, country=cname, n=len(comp_rows))
    spec = charts.bars(
        title,
        comp_rows,
        category="pair",
        category_title=t("column.partner", lang) + " — " + t("column.field_id", lang),
        value="score",
        value_title=t("column.score", lang),
        works={"fields": {"partner": "partner", "field": "field"}, "fixed": {}},
    )
    figures.append(
        figure(
            "complementarity", title, spec, indicator="complementarity", scope=scope, result=res_c, lang=lang
        )
    )
    cols = ["partner", "n_ab", "share_of_intl", "assoc_strength", "salton", "jaccard", "cagr_ab"]
    table = Table(
        title=nab_title,
        columns=[t(f"column.{c}", lang) for c in cols],
        rows=[
            [
                f"{r['name']} ({r['partner']})",
                _count(r["n_ab"]),
                pct(r["share_of_intl"]),
                f"{r['assoc_strength']:.3f}",
                f"{r['salton']:.3f}",
                f"{r['jaccard']:.3f}",
                pct(r["cagr_ab"]),
            ]
            for r in rows
        ],
        footer=footer(res, api_query(scope, lang), lang),
    )
    return View(t("web.partners.heading", lang, country=cname), [], figures, [table, inst_table], [])


def _count(n: float) -> str:
    """Co-authored papers as the tables print them: whole counts as integers, fractional to 0.1."""
    return f"{n:,.1f}" if isinstance(n, float) else f"{n:,}"


def _network(svc: Service, scope: Scope, lang: str) -> Figure:
    """The co-authorship map: the focus country, its top partners, the links among them, communities.

    Communities (Louvain) and positions (Fruchterman–Reingold) are computed
    from the ``partner-network`` rows with association strength as the link
    weight, as VOSviewer normalises before clustering and laying out; both
    are deterministic, so the same data always give the same picture.
    """
    country = scope.country or "JP"
    cname = country_name(country, lang)
    res = indicator_result(svc, "partner-network", scope)
    pairs = res.table.to_pylist()
    m = network_map(pairs, country)
    size, groups, pos, names = m.sizes, m.groups, m.positions, list(m.sizes)
    order = [t("web.partners.community_n", lang, n=k + 1) for k in range(m.n_communities)]
    nodes = [
        {
            "name": f"{country_name(c, lang)} ({c})",
            "label": country_name(c, lang),
            "x": pos[c][0],
            "y": pos[c][1],
            "p": size[c],
            "community": order[groups[c]],
            "focus": c == country,
        }
        for c in names
    ]
    links: list[dict[str, Any]] = [
        {
            # a click on a link opens the works of both countries
            "country": r["a"],
            "partner": r["b"],
            "pair": f"{country_name(r['a'], lang)} — {country_name(r['b'], lang)}",
            "x": pos[r["a"]][0],
            "y": pos[r["a"]][1],
            "x2": pos[r["b"]][0],
            "y2": pos[r["b"]][1],
            "n_ab": r["n_ab"],
            "assoc_strength": r["assoc_strength"],
        }
        for r in sorted(pairs, key=lambda r: r["n_ab"])  # the strongest drawn last, on top
    ]
    n = len(names) - 1
    title = t(
        "web.partners.chart_network",
        lang,
        country=cname,
        n=n,
        years=years_text(scope, lang),
    )
    spec = charts.network(
        title,
        nodes,
        links,
        size_title=t("column.p_whole", lang) + ("（件）" if lang == "ja" else ""),
        link_title=t("web.partners.link_weight", lang, counting=counting_words(scope, lang)),
        pair_title=t("web.partners.pair", lang),
        strength_title=t("column.assoc_strength", lang),
        community_title=t("web.partners.community", lang),
        community_order=order,
        subtitle=t("web.partners.network_legend", lang, counting=counting_words(scope, lang)),
        works={"fields": {"country": "country", "partner": "partner"}, "fixed": {}},
    )
    members = [
        t(
            "web.partners.community_members",
            lang,
            community=label,
            members=("、" if lang == "ja" else ", ").join(country_name(c, lang) for c in m.members(k)),
        )
        for k, label in enumerate(order)
    ]
    notes = [t("web.partners.network_note", lang), *members]
    return figure(
        "partners_network",
        title,
        spec,
        indicator="partner-network",
        scope=scope,
        result=res,
        lang=lang,
        notes=notes,
    )


def _institutions(svc: Service, scope: Scope, lang: str) -> tuple[Figure, Table]:
    """The focus country's top partner institutions abroad (``partners`` at level institution)."""
    country = scope.country or "JP"
    cname = country_name(country, lang)
    iscope = dataclasses.replace(scope, level="institution")
    res = indicator_result(svc, "partners", iscope)
    top = sorted(res.table.to_pylist(), key=lambda r: (-(r["n_ab"] or 0), r["partner"]))[:TOP_PARTNERS]
    rows = [
        {
            **r,
            "name": f"{r['partner_name'] or r['partner']} ({country_name(r['partner_country'], lang)})",
            "few": (r["n_ab"] or 0) < charts.FEW_WORKS,
        }
        for r in top
    ]
    words = {
        "country": cname,
        "counting": counting_words(scope, lang),
        "n": len(rows),
        "years": years_text(scope, lang),
    }
    title = t("web.partners.chart_institutions", lang, **words)
    spec = charts.bars(
        title,
        rows,
        category="name",
        category_title=t("column.partner_name", lang),
        value="n_ab",
        value_title=t("web.partners.n_ab_institution", lang),
        # A bar is the focus country's works with that institution abroad (Cell.partner_institution).
        works={"fields": {"partner_institution": "partner"}, "fixed": {}},
    )
    notes = [t("web.partners.institutions_note", lang)]
    fig = figure(
        "partners_institutions",
        title,
        spec,
        indicator="partners",
        scope=iscope,
        result=res,
        lang=lang,
        notes=notes,
    )
    cols = ["partner_name", "partner_country", "n_ab", "share_of_intl", "assoc_strength", "cagr_ab"]
    table = Table(
        title=title,
        columns=[t(f"column.{c}", lang) for c in cols],
        rows=[
            [
                f"{r['partner_name'] or r['partner']} ({r['partner']})",
                f"{country_name(r['partner_country'], lang)} ({r['partner_country']})",
                _count(r["n_ab"]),
                pct(r["share_of_intl"]),
                f"{r['assoc_strength']:.3f}",
                pct(r["cagr_ab"]),
            ]
            for r in rows
        ],
        footer=footer(res, api_query(iscope, lang), lang),
    )
    return fig, table
