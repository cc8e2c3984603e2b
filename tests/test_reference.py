"""The reference tables shipped in the package, and the message catalogue's terms.

Counts and memberships are written out here by hand from their sources
(model/data/SOURCES.md), so a slip in the CSV files shows up as a failure.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from importlib import resources

import pytest

from kakehashi import i18n
from kakehashi.i18n import country_name, field_name, t
from kakehashi.model.reference import countries, fields, reference_tables
from kakehashi.model.tables import spec
from kakehashi.settings import SETTINGS


def _w(words: str) -> list[str]:
    return words.split()


# DESIGN.md's indicator table, column by column (key columns first).
INDICATOR_COLUMNS: dict[str, list[str]] = {
    "coverage": _w("year works works_with_country p_unknown works_with_field"),
    "collaboration": _w("country year p_whole p_frac p_intl pp_intl foreign_contribution p_industry"),
    "growth": _w("country year_from year_to cagr_whole cagr_frac cagr_intl"),
    "partners": _w("country partner n_ab share_of_intl assoc_strength salton jaccard cagr_ab"),
    "collab-types": _w("country year collab_type n share mncs"),
    "impact": _w(
        "country year scope p mncs mncs_lo mncs_hi p_top10 pp_top10 pp_top10_lo pp_top10_hi"
        " p_top1 pp_top1 pp_top1_lo pp_top1_hi rank_top10"
    ),
    "specialisation": _w("country field_id p ai"),
    "complementarity": _w("partner field_id ai_country ai_partner pp_top10_partner score"),
    "mobility-flows": _w(
        "country year transfers_in transfers_out returns visits_out visits_in net_flow stayers active_authors"
    ),
    "mobility-od": _w("from to kind stage n"),
    "mobility-classes": _w("country class n"),
    # each figure with its national percentile, <column>_pct
    "institution-profile": _w(
        "institution_id name country works pp_intl foreign_origin_share transfers_in transfers_out pp_top10"
        " works_pct pp_intl_pct foreign_origin_share_pct transfers_in_pct transfers_out_pct pp_top10_pct"
    ),
}

# UN M49 sub-regions, or intermediate regions where M49 has them, plus Antarctica.
M49_REGIONS = {
    *("Northern Africa", "Eastern Africa", "Middle Africa", "Southern Africa", "Western Africa"),
    *("Caribbean", "Central America", "South America", "Northern America"),
    *("Central Asia", "Eastern Asia", "South-eastern Asia", "Southern Asia", "Western Asia"),
    *("Eastern Europe", "Northern Europe", "Southern Europe", "Western Europe"),
    *("Australia and New Zealand", "Melanesia", "Micronesia", "Polynesia", "Antarctica"),
}

GROUPS = {
    "G7": set(_w("CA FR DE IT JP GB US")),
    "G20": set(_w("AR AU BR CA CN FR DE IN ID IT JP KR MX RU SA ZA TR GB US")),
    "EU27": set(_w("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE")),
    "ASEAN": set(_w("BN KH ID LA MY MM PH SG TH VN")),
    "QUAD": set(_w("JP US AU IN")),
}
SIZES = [("G7", 7), ("G20", 19), ("EU27", 27), ("ASEAN", 10), ("QUAD", 4)]


def _countries() -> dict[str, dict[str, object]]:
    tbl = countries().to_pylist()
    return {r["code"]: r for r in tbl}


def _members(group: str) -> set[str]:
    return {c for c, r in _countries().items() if group in r["groups"]}  # type: ignore[operator]


def _fields() -> dict[int, dict[str, object]]:
    return {r["id"]: r for r in fields().to_pylist()}


def _raw_catalogue() -> dict[str, object]:
    text = resources.files("kakehashi.i18n").joinpath("messages.toml").read_text("utf-8")
    return tomllib.loads(text)


# --- countries ---------------------------------------------------------------


def test_countries_are_iso_3166_plus_kosovo() -> None:
    tbl = countries()
    codes = tbl.column("code").to_pylist()
    assert len(codes) == len(set(codes)) == 249 + 1  # ISO 3166-1 alpha-2, plus XK
    assert all(len(c) == 2 and c.isascii() and c.isupper() for c in codes)
    assert {"TW", "HK", "MO", "XK", "JP", "AQ"} <= set(codes)
    assert tbl.schema.equals(spec("countries").schema.to_pyarrow())


def test_every_country_has_names_and_an_m49_region() -> None:
    for code, row in _countries().items():
        assert row["name_en"] and row["name_ja"], code
        assert row["region"] in M49_REGIONS, (code, row["region"])
    assert _countries()["JP"]["region"] == "Eastern Asia"
    assert _countries()["GB"]["region"] == "Northern Europe"
    assert _countries()["BR"]["region"] == "South America"


@pytest.mark.parametrize(
    ("code", "ja", "en"),
    [
        ("US", "米国", "United States"),
        ("GB", "英国", "United Kingdom"),
        ("CN", "中国", "China"),
        ("KR", "韓国", "South Korea"),
        ("JP", "日本", "Japan"),
        ("DE", "ドイツ", "Germany"),
        ("FR", "フランス", "France"),
        ("RU", "ロシア", "Russia"),
        ("TW", "台湾", "Taiwan"),
        ("HK", "香港", "Hong Kong"),
        ("MO", "マカオ", "Macao"),
        ("XK", "コソボ", "Kosovo"),
    ],
)
def test_names_read_as_in_committee_papers(code: str, ja: str, en: str) -> None:
    assert country_name(code, "ja") == ja
    assert country_name(code, "en") == en


@pytest.mark.parametrize(("group", "size"), SIZES)
def test_group_members(group: str, size: int) -> None:
    assert len(GROUPS[group]) == size
    assert _members(group) == GROUPS[group]


def test_oecd_has_38_members() -> None:
    oecd = _members("OECD")
    assert len(oecd) == 38
    # 22 of the 27 EU states are in the OECD; BG, HR, CY, MT and RO are not.
    assert GROUPS["EU27"] - oecd == {"BG", "HR", "CY", "MT", "RO"}
    assert GROUPS["G7"] <= oecd
    assert {"CO", "CR", "LT", "LV", "IL", "CL"} <= oecd
    assert not {"CN", "IN", "RU", "BR", "SG", "TW"} & oecd


def test_group_labels_are_the_known_ones() -> None:
    labels = Counter(g for r in _countries().values() for g in r["groups"])  # type: ignore[attr-defined]
    assert set(labels) == {"G7", "G20", "OECD", "EU27", "ASEAN", "QUAD", "LIKE_MINDED"}


def test_like_minded_default_equals_the_setting() -> None:
    setting = next(s for s in SETTINGS if s.name == "like_minded")
    default = set(setting.default)
    assert _members("LIKE_MINDED") == default
    assert "JP" not in default  # Japan's partners, not Japan


# --- fields ------------------------------------------------------------------


def test_field_levels_and_counts() -> None:
    levels = Counter(r["level"] for r in _fields().values())
    assert levels == {"domain": 4, "field": 26, "subfield": 252}
    ids = fields().column("id").to_pylist()
    assert len(ids) == len(set(ids))
    assert fields().schema.equals(spec("fields").schema.to_pyarrow())


def test_field_hierarchy() -> None:
    rows = _fields()
    domains = {i for i, r in rows.items() if r["level"] == "domain"}
    field_ids = {i for i, r in rows.items() if r["level"] == "field"}
    assert domains == {1, 2, 3, 4}
    assert field_ids == set(range(11, 37))
    for i, r in rows.items():
        if r["level"] == "domain":
            assert r["parent_id"] is None
        elif r["level"] == "field":
            assert r["parent_id"] in domains, i
        else:
            assert r["parent_id"] in field_ids, i
            assert r["parent_id"] == i // 100, i  # ASJC codes: the field is the first two digits
    # every field has subfields, every domain has fields
    assert {r["parent_id"] for r in rows.values() if r["level"] == "subfield"} == field_ids
    assert {r["parent_id"] for r in rows.values() if r["level"] == "field"} == domains


@pytest.mark.parametrize(
    ("fid", "en", "ja", "parent"),
    [
        (1, "Life Sciences", "生命科学", None),
        (3, "Physical Sciences", "物理科学", None),
        (17, "Computer Science", "計算機科学", 3),
        (27, "Medicine", "医学", 4),
        (33, "Social Sciences", "社会科学", 2),
        (13, "Biochemistry, Genetics and Molecular Biology", "生化学・遺伝学・分子生物学", 1),
        (1702, "Artificial Intelligence", "人工知能", 17),
        (3106, "Nuclear and High Energy Physics", "原子核・高エネルギー物理学", 31),
        (2922, "Research and Theory", "看護研究・看護理論", 29),
    ],
)
def test_field_spot_checks(fid: int, en: str, ja: str, parent: int | None) -> None:
    row = _fields()[fid]
    assert (row["name_en"], row["name_ja"], row["parent_id"]) == (en, ja, parent)


def test_subfield_japanese_names_tell_apart_repeated_english_names() -> None:
    subs = [r for r in _fields().values() if r["level"] == "subfield"]
    assert len({r["name_ja"] for r in subs}) == len(subs)
    assert len({r["name_en"] for r in subs}) == len(subs) - 7  # ASJC repeats seven names


def test_reference_tables_are_both_there() -> None:
    assert set(reference_tables()) == {"countries", "fields"}


# --- the message catalogue ---------------------------------------------------


def test_every_indicator_column_has_both_languages() -> None:
    column = _raw_catalogue()["column"]
    assert isinstance(column, dict)
    missing = []
    for indicator, cols in INDICATOR_COLUMNS.items():
        for c in cols:
            entry = column.get(c)
            if not (isinstance(entry, dict) and entry.get("ja") and entry.get("en")):
                missing.append(f"{indicator}.{c}")
    assert not missing


@pytest.mark.parametrize(
    ("key", "ja"),
    [
        ("term.transfer", "移籍型渡航（移籍）"),
        ("term.visit", "フェローシップ型渡航（短期滞在）"),
        ("term.pp_top10", "Top10%論文の割合"),
        ("term.p_top10", "Top10%補正論文数"),
        ("term.pp_intl", "国際共著率"),
        ("term.p_whole", "論文数（整数カウント）"),
        ("term.p_frac", "論文数（分数カウント）"),
        ("term.mncs", "規格化被引用度（MNCS）"),
        ("term.activity_index", "特化係数"),
        ("term.return", "還流（帰国）"),
        ("term.like_minded", "志を同じくする国・地域"),
        ("column.pp_intl", "国際共著率"),
        ("column.pp_top10", "Top10%論文の割合"),
        ("column.net_flow", "純流入"),
    ],
)
def test_glossary_terms(key: str, ja: str) -> None:
    assert t(key, "ja") == ja
    assert t(key, "en") and t(key, "en") != ja


def test_every_term_has_both_languages() -> None:
    terms = _raw_catalogue()["term"]
    assert isinstance(terms, dict) and len(terms) > 50
    assert all(v.get("ja") and v.get("en") for v in terms.values())


def test_country_and_field_names_fall_back() -> None:
    assert country_name(None, "ja") == "不明"
    assert country_name(None, "en") == "unknown"
    assert country_name("ZZ", "en") == "ZZ"
    assert field_name(None, "en") == "unknown"
    assert field_name(99999, "ja") == "99999"
    assert field_name("1702", "en") == "Artificial Intelligence"
    assert field_name("not-a-field", "en") == "not-a-field"
    assert t("country.KR", "ja") == "韓国"
    assert t("field.17", "en") == "Computer Science"


def test_missing_translation_falls_back_to_the_other_language(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {"x.ja_only": {"ja": "日本語のみ"}, "x.en_only": {"en": "only"}}
    monkeypatch.setattr(i18n, "_catalogue", lambda: fake)
    assert t("x.ja_only", "en") == "日本語のみ"
    assert t("x.en_only", "ja") == "only"
    with pytest.raises(KeyError):
        t("x.absent", "ja")
