"""`kakehashi works`: the works behind a figure add up to that figure.

First on the hand-made store of test_collaboration and test_mobility's careers,
with the lists worked out by hand; then on a demo world, where for many cells
the list's count and sums must equal what the indicators report. Every kind
of cell (year, partner, impact scope, fractional weight, institution, partner
institution, move, return, class) runs on both engines in one query each
(the ``*_on_each_engine`` tests); the other cells on DuckDB only, since each
Spark query of this plan costs seconds.
"""

from __future__ import annotations

import pytest

from kakehashi.engines import open_store
from kakehashi.errors import ConfigError
from kakehashi.indicators import (
    Scope,
    collab_types,
    collaboration,
    impact,
    mobility_classes,
    mobility_flows,
    partners,
)
from kakehashi.indicators.works import Cell, authors_behind, works_behind
from kakehashi.ingest.demo import build_demo
from kakehashi.store import Store
from storebuild import build_store
from test_collaboration import AFFILIATIONS, INSTITUTIONS, WORKS


@pytest.fixture(scope="module")
def hand_store(tmp_path_factory):
    return build_store(
        tmp_path_factory.mktemp("works") / "s",
        works=[dict(w) for w in WORKS],
        affiliations=AFFILIATIONS,
        institutions=INSTITUTIONS,
    )


def ids(expr):
    return [r["work_id"] for r in expr.to_pyarrow().to_pylist()]


def test_a_cell_on_each_engine(hand_store, engine):
    # One query with every filter on both engines; the cells below run on DuckDB only,
    # since each Spark query of this plan costs many seconds.
    t = open_store(hand_store, engine)
    # JP's international works with the US in 2020: W1, its fractional weight 1/2.
    rows = (
        works_behind(
            t, Scope(country="JP", counting="fractional"), Cell(year=2020, partner="US", impact_scope="intl")
        )
        .to_pyarrow()
        .to_pylist()
    )
    assert [(r["work_id"], r["weight"], r["collab_type"]) for r in rows] == [("W1", 0.5, "intl_bilateral")]


def test_cells_of_the_hand_store(hand_store):
    t = open_store(hand_store, "duckdb")
    # JP's works of 2020: W1 (JP–US) and W2 (JP only) — collaboration's p_whole 2 for JP 2020.
    assert sorted(ids(works_behind(t, Scope(country="JP"), Cell(year=2020)))) == ["W1", "W2"]
    # …with the US: W1 alone; in 2021 the JP–US work is W3.
    assert ids(works_behind(t, Scope(country="JP"), Cell(year=2020, partner="US"))) == ["W1"]
    assert ids(works_behind(t, Scope(country="JP"), Cell(year=2021, partner="US"))) == ["W3"]
    # International only: W1, W3 (JP's p_intl 1 in each year); domestic: W2, W5.
    assert sorted(ids(works_behind(t, Scope(country="JP"), Cell(impact_scope="intl")))) == ["W1", "W3"]
    assert sorted(ids(works_behind(t, Scope(country="JP"), Cell(impact_scope="domestic")))) == ["W2", "W5"]
    # W4 has no country: behind no country's figure.
    assert "W4" not in ids(works_behind(t, Scope(), Cell()))
    # Fractional weights: JP's share of W3 is 1/4 (see test_collaboration).
    rows = (
        works_behind(t, Scope(country="JP", counting="fractional"), Cell(year=2021)).to_pyarrow().to_pylist()
    )
    assert {r["work_id"]: r["weight"] for r in rows} == pytest.approx({"W3": 0.25, "W5": 1.0})
    # W3 has JP, DE and US: a trilateral work; its countries listed sorted.
    w3 = works_behind(t, Scope(country="DE"), Cell()).to_pyarrow().to_pylist()
    assert [(r["work_id"], r["countries"], r["collab_type"]) for r in w3] == [
        ("W3", "DE,JP,US", "intl_trilateral")
    ]


def test_bad_cells_are_refused():
    with pytest.raises(ConfigError, match="collab-type"):
        Cell(collab_type="bilateral")
    with pytest.raises(ConfigError, match="top10 or top1"):
        Cell(top="top5")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store = Store.open(tmp_path_factory.mktemp("works-demo") / "s", create=True)
    build_demo(store, works=20_000, seed=3)
    return open_store(store, "duckdb")


def _sum(expr, col):
    return sum(r[col] for r in expr.to_pyarrow().to_pylist())


@pytest.mark.parametrize("country", ["JP", "US", "DE"])
def test_lists_add_up_to_the_figures(demo, country):
    year = 2022
    s = Scope(country=country, years=(year, year))
    c = collaboration(demo, s).to_pyarrow().to_pylist()[0]
    assert works_behind(demo, s, Cell()).count().execute() == c["p_whole"]
    assert works_behind(demo, s, Cell(impact_scope="intl")).count().execute() == c["p_intl"]
    frac = Scope(country=country, years=(year, year), counting="fractional")
    assert _sum(works_behind(demo, frac, Cell()), "weight") == pytest.approx(c["p_frac"])
    # partners: n_ab over the whole scope
    p = {r["partner"]: r["n_ab"] for r in partners(demo, s).to_pyarrow().to_pylist()}
    top_partner = max(p, key=p.get)
    assert works_behind(demo, s, Cell(partner=top_partner)).count().execute() == p[top_partner]
    # collab-types: n per type
    for r in collab_types(demo, s).to_pyarrow().to_pylist():
        if r["country"] == country and r["year"] == year:
            listed = works_behind(demo, s, Cell(collab_type=r["collab_type"])).count().execute()
            assert listed == r["n"], r["collab_type"]
    # impact: p_top10 is the sum of the listed works' top-10 % weights (works with a field)
    s0 = Scope(country=country, years=(year, year), resamples=0)
    imp = {r["scope"]: r for r in impact(demo, s0).to_pyarrow().to_pylist() if r["country"] == country}
    listed = works_behind(demo, s, Cell(top="top10"))
    assert _sum(listed, "top10") == pytest.approx(imp["all"]["p_top10"])


def test_cells_of_an_institution(hand_store, tmp_path):
    t = open_store(hand_store, "duckdb")
    # I1 (JP) is on W1, W2, W3 and W5; the company I4 only on W2; I3 (no country) on W2.
    assert sorted(ids(works_behind(t, Scope(), Cell(institution="I1")))) == ["W1", "W2", "W3", "W5"]
    assert ids(works_behind(t, Scope(country="JP"), Cell(institution="I4"))) == ["W2"]
    assert ids(works_behind(t, Scope(), Cell(institution="I3"))) == ["W2"]
    assert ids(works_behind(t, Scope(country="JP"), Cell(year=2021, institution="I1"))) == ["W3", "W5"]
    # JP's works with the partner institution I2 (US): W1, W3; with I5 (DE): W3; I1 is not abroad.
    assert sorted(ids(works_behind(t, Scope(country="JP"), Cell(partner_institution="I2")))) == ["W1", "W3"]
    assert ids(works_behind(t, Scope(country="JP"), Cell(partner_institution="I5"))) == ["W3"]
    assert ids(works_behind(t, Scope(country="JP"), Cell(partner_institution="I1"))) == []
    # Rolled up: with I4 under I1 in the lineage, level=root counts I4's W2 under I1 too.
    store = build_store(
        tmp_path / "s",
        works=[dict(w) for w in WORKS],
        affiliations=[a for a in AFFILIATIONS if a["work_id"] != "W2" or a["institution_id"] == "I4"],
        institutions=INSTITUTIONS,
        institution_lineage=[{"institution_id": "I4", "ancestor_id": "I1", "depth": 1}],
    )
    t2 = open_store(store, "duckdb")
    assert sorted(ids(works_behind(t2, Scope(), Cell(institution="I1")))) == ["W1", "W3", "W5"]
    root = Scope(level="root")
    assert sorted(ids(works_behind(t2, root, Cell(institution="I1")))) == ["W1", "W2", "W3", "W5"]
    assert ids(works_behind(t2, root, Cell(institution="I4"))) == []


def test_institution_lists_add_up_to_the_profile(demo):
    from kakehashi.indicators.institutions import institution_profile

    for level in ("institution", "root"):
        s = Scope(country="JP", years=(2020, 2022), level=level)
        prof = institution_profile(demo, s).to_pyarrow().to_pylist()
        for r in sorted(prof, key=lambda r: -r["works"])[:3]:
            listed = works_behind(demo, s, Cell(institution=r["institution_id"])).count().execute()
            assert listed == r["works"], (level, r["institution_id"])
        p = partners(demo, Scope(country="JP", years=(2020, 2022), level=level)).to_pyarrow().to_pylist()
        for r in p[:3]:
            listed = works_behind(demo, s, Cell(partner_institution=r["partner"])).count().execute()
            assert listed == r["n_ab"], (level, r["partner"])


def test_partner_institution_lists_add_up_to_institution_partners(demo):
    from kakehashi.indicators.institutions import institution_partners, institution_profile

    for level in ("institution", "root"):
        s = Scope(country="JP", years=(2020, 2022), level=level)
        x = max(institution_profile(demo, s).to_pyarrow().to_pylist(), key=lambda r: r["works"])[
            "institution_id"
        ]
        one = Scope(country="JP", years=(2020, 2022), level=level, institution=x)
        for r in institution_partners(demo, one).to_pyarrow().to_pylist()[:3]:
            cell = Cell(institution=x, partner_institution=r["partner_id"])
            assert works_behind(demo, s, cell).count().execute() == r["n_ab"], (level, r["partner_id"])


@pytest.fixture(scope="module")
def careers_store(tmp_path_factory):
    from test_mobility import _rows

    return build_store(tmp_path_factory.mktemp("works-careers") / "s", **_rows())


def test_cells_of_the_mobility_indicators(careers_store):
    # test_mobility's careers, one work a row in order: A1 W0–W7 (2010, 2011 ×2, 2012 ×2 = W3 W4,
    # 2013–2015), A2 W8 W9 (2010), W10 (2013), W11 (2014), W12 (2016), A3 W13–W21 (2010–18),
    # A4 W22–W26 (2010–14), A5 W27–W34 (2010–17), A6 W35–W38, A7 W39–W41.
    # Transfers: A1 US→DE 2012, A2 FR→JP 2013, A2 JP→FR 2016, A4 JP→US 2011, A4 US→JP 2014,
    # A5 JP→US 2015; visits: A3 JP→US 2011, A3 JP→GB 2015, A5 JP→US 2011, A5 JP→US 2013.
    t = open_store(careers_store, "duckdb")

    def cell(scope=None, **kw):
        return sorted(ids(works_behind(t, scope or Scope(), Cell(**kw))), key=lambda w: int(w[1:]))

    # JP's transfers out in 2011: A4 to the US, its 2011 work W23 (the visits of A3, A5 are not).
    assert cell(year=2011, move_kind="transfer", move_from="JP") == ["W23"]
    # JP's visits out in 2011: A3 (W14) and A5 (W28); visits hosted by the US that year: the same.
    assert cell(year=2011, move_kind="visit", move_from="JP") == ["W14", "W28"]
    assert cell(year=2011, move_kind="visit", move_to="US") == ["W14", "W28"]
    # Every visit out of JP, each author's works of the visit's year only.
    assert cell(move_kind="visit", move_from="JP") == ["W14", "W18", "W28", "W30"]
    # The return legs of visits count nowhere: nothing in 2012.
    assert cell(year=2012, move_kind="visit") == []
    # Transfers JP→US: A4 2011, A5 2015. With country=JP the works are not filtered by the
    # country (A5's 2015 work is in the US only): the cell's countries are the move's.
    assert cell(move_kind="transfer", move_from="JP", move_to="US") == ["W23", "W32"]
    assert cell(Scope(country="JP"), year=2015, move_kind="transfer", move_from="JP") == ["W32"]
    # Transfers into DE in 2012: A1's two DE works of 2012 (not its 2011 ones).
    assert cell(year=2012, move_kind="transfer", move_to="DE") == ["W3", "W4"]
    # The scope's years bound the moves' years.
    assert cell(Scope(years=(2012, 2014)), move_kind="transfer") == ["W3", "W4", "W10", "W26"]
    # Stage: everyone starts in 2010; A2's 2016 return to FR is at age 6 (mid), the others early.
    assert cell(Scope(stage="mid"), move_kind="transfer") == ["W12"]
    assert cell(Scope(stage="early"), move_kind="transfer") == ["W3", "W4", "W10", "W23", "W26", "W32"]
    # Fractional weights are the scope country's share: 0 on a work without it.
    rows = works_behind(t, Scope(country="JP", counting="fractional"), Cell(year=2015, move_kind="transfer"))
    assert [(r["work_id"], r["weight"]) for r in rows.to_pyarrow().to_pylist()] == [("W32", 0.0)]


def test_return_cells(careers_store):
    # Returns (mobility-flows' `returns`, transfers back to the origin): A4 US→JP 2014 (origin JP),
    # its 2014 work W26 (A4 is W22–W26, 2010–14); A2 JP→FR 2016 (origin FR), its 2016 work W12.
    # A3's JP arrival of 2017 ends a visit (a return leg), so it is no return: JP 2017 is empty.
    t = open_store(careers_store, "duckdb")

    def cell(scope=None, **kw):
        return sorted(ids(works_behind(t, scope or Scope(), Cell(**kw))), key=lambda w: int(w[1:]))

    assert cell(year=2014, move_kind="return", move_to="JP") == ["W26"]
    assert cell(year=2016, move_kind="return", move_to="FR") == ["W12"]
    assert cell(move_kind="return") == ["W12", "W26"]
    assert cell(year=2017, move_kind="return", move_to="JP") == []
    # A return is a transfer: A4's 2014 work is among JP's transfers in that year too.
    assert cell(year=2014, move_kind="transfer", move_to="JP") == ["W26"]
    # A2's return is at age 6 (mid), A4's at 4 (early).
    assert cell(Scope(stage="mid"), move_kind="return") == ["W12"]


def test_the_authors_behind_a_flow_are_its_figure(careers_store):
    # Every non-zero count of test_mobility's hand-worked FLOWS: the cell the Brain circulation
    # chart opens (kind, country as destination or origin, year) holds exactly that many movers.
    from test_mobility import COLS, FLOWS

    t = open_store(careers_store, "duckdb")
    cells = {
        "transfers_in": ("transfer", "move_to"),
        "transfers_out": ("transfer", "move_from"),
        "returns": ("return", "move_to"),
        "visits_out": ("visit", "move_from"),
        "visits_in": ("visit", "move_to"),
    }
    checked = 0
    for (country, year), counts in FLOWS.items():
        for col, n in zip(COLS, counts, strict=False):
            if col not in cells or n == 0:
                continue
            kind, end = cells[col]
            who = authors_behind(t, Scope(), Cell(year=year, move_kind=kind, **{end: country}))
            rows = who.to_pyarrow().to_pylist()
            assert len(rows) == len({r["author_id"] for r in rows}) == n, (country, year, col)
            checked += n
    # Every move counted: 6 transfers in and 6 out, 2 returns, 4 visits out and 4 in.
    assert checked == 6 + 6 + 2 + 4 + 4
    # Over a period a cell counts moves: JP→US visits are A3 2011, A5 2011 and A5 2013,
    # mobility-od's n = 3 from two authors.
    od = authors_behind(t, Scope(), Cell(move_kind="visit", move_from="JP", move_to="US"))
    assert sorted((r["author_id"], r["year"]) for r in od.to_pyarrow().to_pylist()) == [
        ("A3", 2011),
        ("A5", 2011),
        ("A5", 2013),
    ]


def test_class_cells(careers_store):
    # test_mobility's classes over all years: JP travellers A3 (W13–W21) and A6 (W35–W38),
    # JP returnee A4 (W22–W26), FR returnee A2 (W8–W12), US migrant A1 (W0–W7), JP migrant A5
    # (W27–W34), CN non-mobile A7 (W39–W41, but W41 has no country: behind no figure).
    t = open_store(careers_store, "duckdb")

    def cell(scope, **kw):
        return sorted(ids(works_behind(t, scope, Cell(**kw))), key=lambda w: int(w[1:]))

    def n(scope, cls):
        return authors_behind(t, scope, Cell(mobility_class=cls)).count().execute()

    jp = Scope(country="JP")
    assert cell(jp, mobility_class="traveller") == [f"W{i}" for i in [*range(13, 22), *range(35, 39)]]
    assert cell(jp, mobility_class="returnee") == ["W22", "W23", "W24", "W25", "W26"]
    assert cell(Scope(country="FR"), mobility_class="returnee") == ["W8", "W9", "W10", "W11", "W12"]
    assert cell(Scope(country="CN"), mobility_class="non_mobile") == ["W39", "W40"]
    # Without a country: every origin's migrants, A1 and A5.
    assert cell(Scope(), mobility_class="migrant") == [f"W{i}" for i in [*range(0, 8), *range(27, 35)]]
    # The authors behind a cell are mobility-classes' n: JP travellers 2, JP migrants 1, CN 1.
    assert (n(jp, "traveller"), n(jp, "migrant"), n(Scope(country="CN"), "non_mobile")) == (2, 1, 1)
    # 2010–2012 (test_classes_over_a_period): JP travellers A3, A5, A6 (n = 3), their works of
    # those years only: A3 W13–W15, A5 W27–W29, A6 W35–W38.
    p = Scope(country="JP", years=(2010, 2012))
    assert n(p, "traveller") == 3
    assert cell(p, mobility_class="traveller") == [f"W{i}" for i in (13, 14, 15, 27, 28, 29, 35, 36, 37, 38)]


def test_a_mobility_cell_on_each_engine(careers_store, engine):
    # The move filter on both engines: one query, as it costs tens of seconds on Spark (the class
    # cells' author_classes runs on Spark in test_mobility, through mobility_classes).
    t = open_store(careers_store, engine)
    # JP's returns of 2014: A4, its 2014 work W26 (test_return_cells).
    got = works_behind(t, Scope(), Cell(year=2014, move_kind="return", move_to="JP"))
    assert ids(got) == ["W26"]


def test_an_institution_cell_on_each_engine(hand_store, engine):
    # The institution filters, rolled up (level=root; this store has no lineage, so each
    # institution is its own root), in one query on both engines. JP's works at I1 (W1 W2 W3 W5)
    # with the partner institution I2 (US, abroad): W1 (JP–US) and W3 (JP–DE–US). W1 is alone in
    # its reference set (field 17, 2020, article), so it is its top 10 %: weight 0.1; W3, a
    # review without a field, has no top-10 % weight.
    t = open_store(hand_store, engine)
    rows = (
        works_behind(t, Scope(country="JP", level="root"), Cell(institution="I1", partner_institution="I2"))
        .to_pyarrow()
        .to_pylist()
    )
    assert [(r["work_id"], r["countries"], r["collab_type"], r["top10"]) for r in rows] == [
        ("W1", "JP,US", "intl_bilateral", pytest.approx(0.1)),
        ("W3", "DE,JP,US", "intl_trilateral", None),
    ]


def test_a_class_cell_on_each_engine(careers_store, engine):
    # A mobility-classes cell in one query on both engines: FR's returnee A2 (W8–W12, see
    # test_class_cells), all of A2's works whatever their country.
    t = open_store(careers_store, engine)
    got = works_behind(t, Scope(country="FR"), Cell(mobility_class="returnee"))
    assert sorted(ids(got), key=lambda w: int(w[1:])) == ["W8", "W9", "W10", "W11", "W12"]


def test_bad_move_cells_are_refused():
    with pytest.raises(ConfigError, match="transfer, visit or return"):
        Cell(move_kind="arrival")
    with pytest.raises(ConfigError, match="move-kind"):
        Cell(move_to="JP")
    with pytest.raises(ConfigError, match="non_mobile, traveller, migrant, returnee"):
        Cell(mobility_class="nomad")
    with pytest.raises(ConfigError, match="give one"):
        Cell(move_kind="visit", mobility_class="traveller")


def test_mobility_cells_add_up_on_the_demo(demo):
    # On the demo world (returns are rare there: pick the country-year with most of them), each
    # transfer flow's cell holds the flow's figure in movers; each of JP's classes over
    # 2018–2022 holds its n in authors.
    flows = mobility_flows(demo, Scope()).to_pyarrow().to_pylist()
    r = max(flows, key=lambda r: (r["returns"], r["transfers_in"], r["year"], r["country"]))
    assert r["returns"] > 0
    one = Scope(years=(r["year"], r["year"]))
    for col, kind, end in [
        ("transfers_in", "transfer", "move_to"),
        ("transfers_out", "transfer", "move_from"),
        ("returns", "return", "move_to"),
    ]:
        who = authors_behind(demo, one, Cell(year=r["year"], move_kind=kind, **{end: r["country"]}))
        assert who.count().execute() == r[col], col
    p = Scope(country="JP", years=(2018, 2022))
    classes = mobility_classes(demo, p).to_pyarrow().to_pylist()
    assert len(classes) >= 2
    for c in classes:
        assert authors_behind(demo, p, Cell(mobility_class=c["class"])).count().execute() == c["n"]
