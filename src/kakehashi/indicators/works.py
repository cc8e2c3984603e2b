"""The works behind a figure (`kakehashi works`): every number traced to its papers.

A figure in a committee paper must be checkable: "these 183 papers are
Japan's international co-authorships of 2022". :func:`works_behind` lists the
works of one cell of any indicator — the same scope (years, types, field,
period, counting) plus the cell's coordinates (country, year, partner,
collaboration type, impact scope, top-10 %/1 % flag) — with DOIs and titles,
and the per-work values that add up to the figure: the country's ``weight``
(1 under whole counting, its fractional share otherwise), ``ncs`` and the
work's top-10 %/1 % weight. So ``count()`` of the list is the figure's
``p_whole``/``p_intl``/``n_ab``/``n``, ``sum(weight)`` its ``p_frac``, and
``sum(top10)`` its ``p_top10`` (tested against the indicators).

The mobility indicators count authors, not works: there a cell is a set of
people (:func:`authors_behind`, whose row count is the figure) and its works
are theirs — in the move's year for a move, in the period for a class.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from kakehashi.errors import ConfigError
from kakehashi.indicators import counting
from kakehashi.indicators.careers import moves
from kakehashi.indicators.collab_types import COLLAB_TYPES, _roots, work_types
from kakehashi.indicators.impact import normalised
from kakehashi.indicators.mobility import CLASSES, author_classes
from kakehashi.indicators.scope import Scope

__all__ = ["COLLAB_TYPES", "MOVE_KINDS", "WORK_COLUMNS", "Cell", "authors_behind", "works_behind"]

Tables = Mapping[str, ir.Table]


WORK_COLUMNS = (
    "work_id",
    "year",
    "doi",
    "title",
    "type",
    "field_id",
    "cited_by_count",
    "countries",
    "collab_type",
    "weight",
    "ncs",
    "top10",
    "top1",
)

#: move cells: a transfer, a visit, or a return (a transfer back to the author's origin)
MOVE_KINDS = ("transfer", "visit", "return")


@dataclasses.dataclass(frozen=True)
class Cell:
    """The coordinates of one figure's cell; None means "any".

    ``year`` is the counting year of the scope (calendar or fiscal); the
    country is ``scope.country``; ``impact_scope`` is impact's ``all``,
    ``intl`` or ``domestic``; ``top`` is ``top10`` or ``top1`` (works with a
    positive weight in the top set — tied works carry their fraction).
    ``institution`` (an OpenAlex id ``I…``) keeps the works with an
    affiliation at that institution — with ``scope.level == "root"`` at it or
    any institution under it in ``institution_lineage`` (as
    ``institution-profile``'s ``works`` counts them); ``partner_institution``
    the works with an affiliation at it whose own country is not
    ``scope.country`` (as ``partners --level institution``'s ``n_ab``).

    ``move_kind`` (``transfer``, ``visit`` or ``return``) makes the cell one
    of ``mobility-flows``/``mobility-od``: the works, in the move's counting
    year, of the authors with such a move that year
    (:func:`kakehashi.indicators.careers.moves` under the scope's mobility
    settings) leaving ``move_from`` and/or arriving in ``move_to`` (None:
    any), in ``scope.stage`` and (an author's field) ``scope.field`` when
    set; ``return`` is a transfer whose destination is the author's origin
    (``mobility-flows``' ``returns`` with ``move_to`` its country). The
    cell's countries are then the move's: ``scope.country`` and
    ``scope.field`` do not filter the works, and ``weight`` is
    ``scope.country``'s share (0 on a work without it).

    ``mobility_class`` (``non_mobile``, ``traveller``, ``migrant``,
    ``returnee``) makes it one of ``mobility-classes``: the works, in the
    scope's years, of the authors of that class whose origin is
    ``scope.country`` (None: any), with ``scope.stage`` and ``scope.field``
    as that indicator applies them (the author's, in their last active year
    of the period); their works are not filtered by country or field.
    """

    year: int | None = None
    partner: str | None = None
    collab_type: str | None = None
    impact_scope: str | None = None
    top: str | None = None
    institution: str | None = None
    partner_institution: str | None = None
    move_kind: str | None = None
    move_from: str | None = None
    move_to: str | None = None
    mobility_class: str | None = None

    def __post_init__(self) -> None:
        if self.collab_type is not None and self.collab_type not in COLLAB_TYPES:
            raise ConfigError(f"--collab-type {self.collab_type!r} must be one of {', '.join(COLLAB_TYPES)}.")
        if self.impact_scope not in (None, "all", "intl", "domestic"):
            raise ConfigError(f"--scope {self.impact_scope!r} must be all, intl or domestic.")
        if self.top not in (None, "top10", "top1"):
            raise ConfigError(f"--top {self.top!r} must be top10 or top1.")
        if self.move_kind not in (None, *MOVE_KINDS):
            raise ConfigError(f"--move-kind {self.move_kind!r} must be transfer, visit or return.")
        if self.move_kind is None and (self.move_from is not None or self.move_to is not None):
            raise ConfigError("--move-from and --move-to need --move-kind (transfer, visit or return).")
        if self.mobility_class not in (None, *CLASSES):
            raise ConfigError(
                f"--mobility-class {self.mobility_class!r} must be one of {', '.join(CLASSES)}."
            )
        if self.mobility_class is not None and self.move_kind is not None:
            raise ConfigError("--mobility-class and --move-kind are cells of different indicators: give one.")

    @property
    def mobility(self) -> bool:
        """Whether the cell is a set of authors (a move or a mobility class), not of works."""
        return self.move_kind is not None or self.mobility_class is not None


def works_behind(t: Tables, scope: Scope, cell: Cell) -> ir.Table:
    """The works of one cell, most cited first, with the values that sum to its figure."""
    movers = _authors_works(t, scope, cell) if cell.mobility else None
    if movers is not None:
        # The cell's countries and field are the move's and its author's, not the works'.
        scope = dataclasses.replace(scope, field=None)
    works = scope.works(t["works"])
    if scope.years is not None:
        works = works.filter(works.year.between(*scope.years))
    if cell.year is not None:
        works = works.filter(works.year == cell.year)
    aff = t["affiliations"]
    wc = counting.work_countries(works, aff, scope)
    listed = wc.group_by("work_id").aggregate(
        countries=wc.country.collect().sort().join(","), n_countries=wc.count()
    )
    sel = works.join(listed, "work_id")
    if movers is not None:
        sel = sel.semi_join(movers, "work_id")
    elif scope.country is not None:
        mine = wc.filter(wc.country == scope.country).select("work_id")
        sel = sel.semi_join(mine, "work_id")
    if cell.partner is not None:
        theirs = wc.filter(wc.country == cell.partner).select("work_id")
        sel = sel.semi_join(theirs, "work_id")
    if cell.impact_scope == "intl":
        sel = sel.filter(sel.n_countries >= 2)
    elif cell.impact_scope == "domestic":
        sel = sel.filter(sel.n_countries < 2)
    if cell.institution is not None:
        sel = sel.semi_join(_at_institution(t, scope, cell.institution), "work_id")
    if cell.partner_institution is not None:
        sel = sel.semi_join(_at_institution(t, scope, cell.partner_institution, abroad=True), "work_id")
    types = work_types(t, scope).select("work_id", "collab_type")
    sel = sel.left_join(types, "work_id").drop("work_id_right")
    if cell.collab_type is not None:
        sel = sel.filter(sel.collab_type == cell.collab_type)
    if scope.counting == "fractional" and scope.country is not None:
        ww = counting.work_weights(works, aff, scope)
        ww = ww.filter(ww.country == scope.country).select("work_id", weight=ww.w)
        sel = sel.left_join(ww, "work_id").drop("work_id_right")
        sel = sel.mutate(weight=sel.weight.fill_null(0.0))
    else:
        sel = sel.mutate(weight=ibis.literal(1.0))
    vals = normalised(t, scope).select("work_id", "ncs", "top10", "top1")
    sel = sel.left_join(vals, "work_id").drop("work_id_right")
    if cell.top is not None:
        sel = sel.filter(sel[cell.top] > 0)
    out = sel.select(*WORK_COLUMNS)
    return out.order_by([ibis.desc("cited_by_count"), "work_id"])


def authors_behind(t: Tables, scope: Scope, cell: Cell) -> ir.Table:
    """The authors a mobility cell counts, one row per count: its ``count()`` is the figure.

    A move cell: ``author_id, year`` (the move's counting year) — in a year's
    cell one row per mover (``mobility-flows``), over a period one per move
    (``mobility-od``'s ``n``). A class cell: ``author_id`` (``mobility-classes``' ``n``).
    """
    if cell.mobility_class is not None:
        k = author_classes(t, scope)
        return k.filter(k["class"] == cell.mobility_class).select("author_id")
    if cell.move_kind is None:
        raise ConfigError("the authors behind a cell need --move-kind or --mobility-class.")
    mv = moves(t, scope)
    if cell.move_kind == "return":
        mv = mv.filter((mv.kind == "transfer") & mv.is_return)
    else:
        mv = mv.filter(mv.kind == cell.move_kind)
    if cell.move_from is not None:
        mv = mv.filter(mv["from"] == cell.move_from)
    if cell.move_to is not None:
        mv = mv.filter(mv["to"] == cell.move_to)
    if cell.year is not None:
        mv = mv.filter(mv.year == cell.year)
    if scope.years is not None:
        mv = mv.filter(mv.year.between(*scope.years))
    if scope.stage is not None:
        mv = mv.filter(mv.stage == scope.stage)
    if scope.field is not None:
        mv = mv.filter(mv.field_id == scope.field)
    # One move per author and year (moves are between consecutive active years).
    return mv.select("author_id", "year")


def _authors_works(t: Tables, scope: Scope, cell: Cell) -> ir.Table:
    """``work_id`` of the works of a mobility cell's authors: in the move's year, or in the period."""
    who = authors_behind(t, scope, cell).distinct()
    works = dataclasses.replace(scope, field=None).works(t["works"]).select("work_id", "year")
    au = t["authorships"]
    au = au.filter(au.author_id.notnull()).select("author_id", "work_id").distinct()
    j = au.join(works, "work_id")
    j = j.join(who, ["author_id", "year"] if cell.move_kind is not None else "author_id")
    return j.select("work_id").distinct()


def _at_institution(t: Tables, scope: Scope, institution: str, *, abroad: bool = False) -> ir.Table:
    """``work_id`` of the works with an affiliation at ``institution`` (rolled up under ``level=root``).

    ``abroad``: only affiliation rows whose own country is known and not ``scope.country``.
    """
    a = t["affiliations"]
    a = a.filter(a.institution_id.notnull())
    if abroad:
        a = a.mutate(_c=scope.map_country(a.country_code))
        a = a.filter(a._c.notnull())
        if scope.country is not None:
            a = a.filter(a._c != scope.country)
    if scope.level == "root":
        j = a.left_join(_roots(t["institution_lineage"]), "institution_id")
        a = j.select("work_id", institution_id=ibis.coalesce(j.root_id, j.institution_id))
    return a.filter(a.institution_id == institution).select("work_id").distinct()
