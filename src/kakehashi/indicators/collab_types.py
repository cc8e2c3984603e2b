"""Collaboration types: SciVal's cascade, with counts, shares and MNCS (S-4, P-1).

Every work with a known country gets exactly one type, the first that applies
(DESIGN.md "Collaboration type"):

1. ``intl_bilateral``, ``intl_trilateral``, ``intl_quadrilateral_plus`` — 2,
   3, 4 or more distinct countries among its known affiliations;
2. ``domestic_multi_institution`` — one country, two or more distinct
   institutions;
3. ``single_institution`` — two or more authors (places in the author list:
   the same author id twice is two authors);
4. ``single_author``.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from kakehashi.indicators import counting
from kakehashi.indicators.impact import normalised
from kakehashi.indicators.scope import Scope

__all__ = ["COLLAB_TYPES", "collab_types", "work_types"]

Tables = Mapping[str, ir.Table]

COLLAB_TYPES = (
    "intl_bilateral",
    "intl_trilateral",
    "intl_quadrilateral_plus",
    "domestic_multi_institution",
    "single_institution",
    "single_author",
)


def _roots(lineage: ir.Table) -> ir.Table:
    """``institution_id, root_id``: each institution's top ancestor (deepest lineage entry, the
    lower id on a tie; depths as :mod:`kakehashi.model.lineage` derives them)."""
    ranked = lineage.mutate(
        _r=ibis.row_number().over(
            group_by="institution_id", order_by=[ibis.desc(lineage.depth), "ancestor_id"]
        )
    )
    return ranked.filter(ranked._r == 0).select("institution_id", root_id=ranked.ancestor_id)


def work_types(t: Tables, scope: Scope) -> ir.Table:
    """One row per work in scope with a known country: ``work_id, year, collab_type``.

    Institutions are those of the work's affiliations with a known country,
    rolled up to the top of their OpenAlex lineage (a RIKEN centre and RIKEN
    are one institution), so that departments of one organisation do not make
    a work "multi-institution". An author with no institution — only the
    country OpenAlex read from the raw affiliation string — adds a country
    but no institution: a domestic work is ``domestic_multi_institution``
    only when two distinct institutions are *known*, otherwise it falls to
    ``single_institution`` (2+ authors) or ``single_author``. So the domestic
    multi-institution count is a lower bound where affiliations are raw
    strings; ``coverage`` shows how common they are.

    The number of authors is the number of places in the author list
    (``authorships``; where a store has affiliations but no authorship rows,
    the distinct places among the affiliations).
    """
    works = scope.works(t["works"])
    aff = t["affiliations"]
    nc = counting.n_countries(counting.work_countries(works, aff, scope))
    known = counting.known_affiliations(aff, scope).semi_join(nc, "work_id")
    inst = known.filter(known.institution_id.notnull()).select("work_id", "institution_id")
    inst = inst.left_join(_roots(t["institution_lineage"]), "institution_id")
    inst = inst.select("work_id", root=ibis.coalesce(inst.root_id, inst.institution_id)).distinct()
    ni = inst.group_by("work_id").aggregate(n_inst=inst.count())
    ships = t["authorships"].semi_join(nc, "work_id")
    na1 = ships.group_by("work_id").aggregate(n1=ships.count())
    places = aff.semi_join(nc, "work_id").select("work_id", "author_seq").distinct()
    na2 = places.group_by("work_id").aggregate(n2=places.count())
    j = (
        nc.left_join(ni, "work_id")
        .left_join(na1, "work_id")
        .left_join(na2, "work_id")
        .select("work_id", "n_countries", "n_inst", "n1", "n2")
    )
    n_inst = ibis.coalesce(j.n_inst, 0)
    n_auth = ibis.greatest(ibis.coalesce(j.n1, 0), ibis.coalesce(j.n2, 0))
    typed = j.select(
        "work_id",
        collab_type=ibis.cases(
            (j.n_countries == 2, "intl_bilateral"),
            (j.n_countries == 3, "intl_trilateral"),
            (j.n_countries >= 4, "intl_quadrilateral_plus"),
            (n_inst >= 2, "domestic_multi_institution"),
            (n_auth >= 2, "single_institution"),
            else_="single_author",
        ),
    )
    return typed.join(works.select("work_id", "year"), "work_id").select("work_id", "year", "collab_type")


def collab_types(t: Tables, scope: Scope) -> ir.Table:
    """Per country × year × collaboration type: ``n``, ``share``, ``mncs``.

    - ``n``: the country's works of the type (each 1, or the country's
      author-level fractional weight with ``scope.counting == "fractional"``);
    - ``share = n / Σ_types n``, the type's part of the country's works that
      year (the shares of a country-year add up to 1);
    - ``mncs``: the weighted mean normalised citation score
      (:func:`kakehashi.indicators.impact.normalised`) of those of the works
      that lie in a reference set (have a field); null when none does.

    Types of :func:`work_types` — SciVal's collaboration types
    (international, national, institutional, single authorship; InCites
    reports the same distinctions), the international one split by the
    number of countries. With ``scope.smooth = k``, ``n`` and the sums behind
    ``mncs`` are k-year trailing means, and ``share`` and ``mncs`` ratios of
    those. Serves S-4 (how Japan's papers are co-authored) and P-1 (whether
    international co-authorship goes with higher impact).
    """
    works = scope.works(t["works"])
    aff = t["affiliations"]
    if scope.counting == "fractional":
        ww = counting.work_weights(works, aff, scope)
        cw = ww.select("work_id", "country", weight=ww.w)
    else:
        wc = counting.work_countries(works, aff, scope)
        cw = wc.select("work_id", "country", weight=ibis.literal(1.0))
    ncs = normalised(t, scope).select("work_id", "ncs")
    rows = cw.join(work_types(t, scope), "work_id").left_join(ncs, "work_id")
    rows = rows.select("country", "year", "collab_type", "weight", "ncs")
    cells = rows.group_by(["country", "year", "collab_type"]).aggregate(
        n=rows.weight.sum(),
        s_ncs=(rows.weight * rows.ncs).sum(),
        p_ncs=ibis.ifelse(rows.ncs.notnull(), rows.weight, 0.0).sum(),
    )
    cells = counting.smooth(cells, ["country", "collab_type"], ["n", "s_ncs", "p_ncs"], scope)
    if scope.years is not None:
        cells = cells.filter(cells.year.between(*scope.years))
    n = cells.n.cast("float64")
    out = cells.select(
        "country",
        "year",
        "collab_type",
        n=n,
        share=n / n.sum().over(group_by=["country", "year"]),
        mncs=ibis.ifelse(cells.p_ncs > 0, cells.s_ncs / cells.p_ncs, ibis.null("float64")),
    )
    if scope.country is not None:
        out = out.filter(out.country == scope.country)
    return out.order_by(["country", "year", "collab_type"])
