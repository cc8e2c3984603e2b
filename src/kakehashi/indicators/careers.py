"""Researchers' careers from dated affiliations: the per-author pipeline of the mobility indicators.

DESIGN.md "Mobility", rules 1–6, as Ibis window functions that run the same
on DuckDB and Spark (no recursion, no DISTINCT windows):

- :func:`affiliation_counts` — ``author_id, year, country, n``: per work,
  each distinct institution (or, without institutions, each raw-affiliation
  country) counts 1 for its country; the counts add up over the year's works
  (career source ``works``), or one per institution of the author entity's
  ``affiliations[].years`` (career source ``author-affiliations``);
- :func:`author_years` — one row per active author-year: ``main_country``
  (the modal country, ties broken by the previous active year(s), then
  alphabetically), ``prev_year``, ``prev_main``, ``origin``, ``first_year``,
  ``age``, ``stage``;
- :func:`moves` — one row per move that counts (visits and transfers; the
  return legs of visits are left out): ``author_id, year, from, to, kind,
  is_return, stage, field_id`` and more;
- :func:`author_fields` — ``author_id, year, field_id``: the most frequent
  field of the author's works up to that year.

These are the building blocks of :mod:`kakehashi.indicators.mobility` and of
``institution-profile`` (foreign-origin researchers, transfers by institution).
Sources: the OECD's and the Max Planck demographers' (MPIDR) modal country
per year; Robinson-Garcia et al. (2019), *The many faces of mobility*,
Scientometrics 120, 1–24. Serves M-1, M-2, D-1, D-5.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from kakehashi.indicators.scope import Scope

__all__ = [
    "CAREER_SOURCES",
    "STAGES",
    "affiliation_counts",
    "author_fields",
    "author_years",
    "moves",
    "moves_of",
    "stage_of",
]

Tables = Mapping[str, ir.Table]

#: where careers come from: the works' affiliations, or OpenAlex author entities' affiliations[].years
CAREER_SOURCES = ("works", "author-affiliations")
#: career stages by academic age (years since the first active year): 0–5, 6–15, 16+
STAGES = ("early", "mid", "senior")

_BY_AUTHOR = ("author_id",)
# A field's cumulative count and id packed in one integer, so that a running max
# picks the most frequent field with the smallest id on a tie.
_FIELD_BASE = 1_000_000


def stage_of(age: ir.IntegerValue) -> ir.StringValue:
    """Career stage at academic age ``age``: early 0–5, mid 6–15, senior 16+ (DESIGN.md rule 6)."""
    return ibis.cases((age <= 5, "early"), (age <= 15, "mid"), else_="senior")


def _career_works(t: Tables, scope: Scope) -> ir.Table:
    # Careers need every year (a move into the first year of --years starts the
    # year before) and every field (an author's field is a filter on authors).
    s = dataclasses.replace(scope, years=None, field=None, smooth=1)
    return s.works(t["works"])


def affiliation_counts(t: Tables, scope: Scope) -> ir.Table:
    """``author_id, year, country, n``: an author's affiliations per country and year.

    Source ``works`` (default): per work, each distinct institution of the
    author (or, for an authorship without institutions, each raw-affiliation
    country) counts 1 for its country; counts add up over the year's works;
    affiliations without a country and authorships without an author id are
    left out; years with fewer than ``scope.min_works_per_year`` such works
    are not active. Source ``author-affiliations``: each institution listed
    for the author and year in the ``author_affiliations`` table counts 1 for
    the institution's country (there are no works, so the minimum does not apply).
    """
    if scope.careers == "author-affiliations":
        aa = t["author_affiliations"]
        inst = t["institutions"].select("institution_id", _cc=t["institutions"].country_code)
        j = aa.filter(aa.author_id.notnull()).join(inst, "institution_id")
        j = j.filter(j._cc.notnull())
        u = j.select("author_id", "year", "institution_id", country=scope.map_country(j._cc)).distinct()
        return u.group_by(["author_id", "year", "country"]).aggregate(n=u.count())
    a = t["affiliations"]
    a = a.filter(a.author_id.notnull() & a.country_code.notnull())
    # Distinct (author, work, country, institution): rows without an institution
    # group as one per raw-affiliation country, so each counts 1.
    a = a.select("author_id", "work_id", "institution_id", country=scope.map_country(a.country_code))
    a = a.distinct()
    w = _career_works(t, scope).select("work_id", "year")
    u = a.join(w, "work_id")
    cnt = u.group_by(["author_id", "year", "country"]).aggregate(n=u.count())
    if scope.min_works_per_year > 1:
        aw = u.select("author_id", "year", "work_id").distinct()
        enough = aw.group_by(["author_id", "year"]).aggregate(_w=aw.count())
        enough = enough.filter(enough._w >= scope.min_works_per_year)
        cnt = cnt.semi_join(enough, ["author_id", "year"])
    return cnt


def _main_countries(cnt: ir.Table, lookback: int) -> ir.Table:
    """``author_id, year, main_country``: rule 2, the modal country with its tie rule.

    Three window passes, no join: the active year's index per author; the
    country's affiliations in the ``lookback`` previous active years (a range
    frame over that index); then the first country by (count desc, that
    look-back count desc, code asc).
    """
    c = cnt.mutate(_idx=ibis.dense_rank().over(group_by="author_id", order_by="year"))
    if lookback > 0:
        back = ibis.window(group_by=["author_id", "country"], order_by="_idx", range=(-lookback, -1))
        c = c.mutate(_prev=ibis.coalesce(c.n.sum().over(back), 0))
    else:
        c = c.mutate(_prev=ibis.literal(0, "int64"))
    order = [ibis.desc(c.n), ibis.desc(c._prev), c.country]
    c = c.mutate(_r=ibis.row_number().over(group_by=["author_id", "year"], order_by=order))
    return c.filter(c._r == 0).select("author_id", "year", main_country=c.country)


def author_years(t: Tables, scope: Scope, *, counts: ir.Table | None = None) -> ir.Table:
    """One row per active author-year, with the author's main country (rules 1–3, 6).

    Columns: ``author_id, year, main_country, prev_year, prev_main, origin,
    first_year, age, stage``.

    - active years: years with an affiliation with a known country
      (:func:`affiliation_counts`, at least ``scope.min_works_per_year`` works);
    - ``main_country``: the country with the most affiliations that year; on a
      tie, among the tied the one with the most affiliations in the previous
      ``scope.tie_lookback`` (1) active years; if none appears there or several
      share that count, the alphabetically first of them;
    - ``prev_year``, ``prev_main``: the previous active year and its main
      country (null in the first active year); ``origin``: the main country
      of the first active year, ``first_year``;
    - ``age = year − first_year`` (academic age), ``stage`` early 0–5, mid
      6–15, senior 16+.

    Sources: the modal country per year of the MPIDR demographers and the
    OECD. Serves M-1, M-2, D-1, D-5. ``counts`` (optional) is the output of
    :func:`affiliation_counts`, if already computed.

    >>> import ibis
    >>> from kakehashi.indicators.scope import Scope
    >>> aff = ibis.memtable({"work_id": ["W1", "W2"], "author_seq": [0, 0], "author_id": ["A1", "A1"],
    ...     "institution_id": ["I1", "I2"], "country_code": ["JP", "US"]})
    >>> works = ibis.memtable({"work_id": ["W1", "W2"], "year": [2019, 2021], "type": ["article"] * 2})
    >>> ay = author_years({"affiliations": aff, "works": works}, Scope())
    >>> ay.order_by("year").select("year", "main_country", "prev_main", "origin").to_pyarrow().to_pylist()[1]
    {'year': 2021, 'main_country': 'US', 'prev_main': 'JP', 'origin': 'JP'}
    """
    cnt = affiliation_counts(t, scope) if counts is None else counts
    m = _main_countries(cnt, scope.tie_lookback)
    w = ibis.window(group_by="author_id", order_by="year")
    m = m.mutate(
        prev_year=m.year.lag().over(w),
        prev_main=m.main_country.lag().over(w),
        origin=m.main_country.first().over(w),
        first_year=m.year.min().over(group_by="author_id"),
    )
    age = (m.year - m.first_year).cast("int32")
    return m.select(
        "author_id",
        "year",
        "main_country",
        "prev_year",
        "prev_main",
        "origin",
        "first_year",
        age=age,
        stage=stage_of(age),
    )


def moves_of(ay: ir.Table, visit_max_years: int = 2, *, return_legs: bool = False) -> ir.Table:
    """The moves of the author-years ``ay`` (:func:`author_years`), classified (rules 4–5).

    A move is a pair of consecutive active years with different main
    countries, dated by the later year. A move X→Y is a ``visit`` when the
    author's next move is Y→X at most ``visit_max_years`` later; that return
    leg (kind ``return_leg``) counts nowhere and cannot start a visit. The
    pairing is greedy from the left: ``link`` marks a move whose next move
    reverses it in time; a run of linked moves gets an id from a cumulative
    sum of run starts, and in a run the 1st pairs with the 2nd, the 3rd with
    the 4th, …: even positions with a link are visits, odd positions return
    legs. Every other move is a ``transfer``; ``is_return`` marks a transfer
    whose destination is the author's origin.

    Columns: ``author_id, year, from, to, kind, is_return, origin,
    first_year, age, stage, return_year`` (a visit's return year, else null).
    ``return_legs=True`` keeps the return legs (kind ``return_leg``).
    """
    mv = ay.filter(ay.prev_main.notnull() & (ay.prev_main != ay.main_country))
    mv = mv.select(
        "author_id",
        "year",
        "origin",
        "first_year",
        "age",
        "stage",
        **{"from": mv.prev_main, "to": mv.main_country},
    )
    w = ibis.window(group_by="author_id", order_by="year")
    mv = mv.mutate(
        _nf=mv["from"].lead().over(w),
        _nt=mv["to"].lead().over(w),
        _ny=mv.year.lead().over(w),
        _k=ibis.row_number().over(w),
    )
    link = ibis.coalesce(
        (mv._nf == mv["to"]) & (mv._nt == mv["from"]) & (mv._ny - mv.year <= visit_max_years), False
    )
    mv = mv.mutate(_link=link, _start=ibis.coalesce(link.lag().over(w), False).ifelse(0, 1))
    run_start = ibis.ifelse(mv._start == 1, mv._k, ibis.null("int64")).max()
    mv = mv.mutate(_pos=mv._k - run_start.over(ibis.cumulative_window(group_by="author_id", order_by="year")))
    kind = ibis.cases(
        (mv._pos % 2 == 1, "return_leg"),
        (mv._link, "visit"),
        else_="transfer",
    )
    mv = mv.mutate(kind=kind)
    out = mv.select(
        "author_id",
        "year",
        "from",
        "to",
        "kind",
        is_return=(mv.kind == "transfer") & (mv["to"] == mv.origin),
        origin=mv.origin,
        first_year=mv.first_year,
        age=mv.age,
        stage=mv.stage,
        return_year=ibis.ifelse(mv.kind == "visit", mv._ny, ibis.null("int32")),
    )
    return out if return_legs else out.filter(out.kind != "return_leg")


def author_fields(t: Tables, scope: Scope, ay: ir.Table) -> ir.Table:
    """``author_id, year, field_id`` for the author-years ``ay``: rule 6's field.

    An author's field in year y is the most frequent OpenAlex field (of the
    primary topic) among their works (authorships with their id) published up
    to y; on a tie, the smallest field id; null before their first work with a
    field. Computed with running sums and a running max of a packed
    (count, field) key, no range join.
    """
    works = _career_works(t, scope)
    works = works.filter(works.field_id.notnull()).select("work_id", "year", "field_id")
    au = t["authorships"]
    au = au.filter(au.author_id.notnull()).select("author_id", "work_id").distinct()
    j = au.join(works, "work_id")
    fy = j.group_by(["author_id", "field_id", "year"]).aggregate(_n=j.count())
    cum = fy._n.sum().over(ibis.cumulative_window(group_by=["author_id", "field_id"], order_by="year"))
    fy = fy.mutate(_key=cum.cast("int64") * _FIELD_BASE + (_FIELD_BASE - 1 - fy.field_id.cast("int64")))
    fk = fy.group_by(["author_id", "year"]).aggregate(_key=fy._key.max())
    both = ay.select("author_id", "year", _key=ibis.null("int64")).union(fk)
    both = both.group_by(["author_id", "year"]).aggregate(_key=both._key.max())
    best = both._key.max().over(ibis.cumulative_window(group_by="author_id", order_by="year"))
    both = both.mutate(field_id=(_FIELD_BASE - 1 - best % _FIELD_BASE).cast("int32"))
    return both.semi_join(ay, ["author_id", "year"]).select("author_id", "year", "field_id")


def moves(t: Tables, scope: Scope) -> ir.Table:
    """Every move that counts, with its author's field: one row per visit or transfer.

    Columns ``author_id, year, from, to, kind (visit | transfer), is_return,
    stage, field_id, origin, first_year, age, return_year``; ``year`` is the
    year the move arrives (a visit: its outgoing leg). Not filtered by
    ``scope.years``, ``stage`` or ``field`` (the indicators do that). See
    :func:`moves_of` for the pairing and :func:`author_fields` for the field.
    """
    ay = author_years(t, scope)
    mv = moves_of(ay, scope.visit_max_years)
    f = author_fields(t, scope, ay)
    mv = mv.left_join(f, ["author_id", "year"]).drop("author_id_right", "year_right")
    return mv.select(
        "author_id",
        "year",
        "from",
        "to",
        "kind",
        "is_return",
        "stage",
        "field_id",
        "origin",
        "first_year",
        "age",
        "return_year",
    )
