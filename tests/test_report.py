"""The briefing report (`kakehashi report`): its findings say what the indicators say.

On one 20,000-work demo world, the report is written in both languages as
HTML and PDF. The expected numbers are computed here through the Python API
(collaboration, growth, partners, impact) — never read back from the report —
and the sentences that carry them are spelled out in the test, so a change of
template or of figure both show up. The PDF's text is read with pypdf.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kakehashi.engines import open_store
from kakehashi.i18n import country_name
from kakehashi.indicators import Scope, collaboration, growth, impact, partners
from kakehashi.ingest.demo import build_demo
from kakehashi.report import DEBIAN_PACKAGE, cjk_font, write_report
from kakehashi.settings import Settings
from kakehashi.store import Store

MAJOR = ("JP", "US", "CN", "DE", "GB", "FR", "KR")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
needs_font = pytest.mark.skipif(
    cjk_font() is None,
    reason=f"Noto Sans CJK JP is not installed: the PDF needs the Debian package {DEBIAN_PACKAGE}",
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    st = Store.open(tmp_path_factory.mktemp("report") / "store", create=True)
    build_demo(st, works=20_000, seed=11)
    return st


@pytest.fixture(scope="module")
def figures(store: Store) -> dict[str, Any]:
    """The report's headline numbers, computed independently through the indicators."""
    t = open_store(store)
    c = collaboration(t, Scope(years=(2022, 2022))).to_pyarrow().to_pylist()
    rates = {r["country"]: r["pp_intl"] for r in c if r["country"] in MAJOR}
    g = growth(t, Scope(years=(2012, 2022))).to_pyarrow().to_pylist()
    cagr = {r["country"]: r["cagr_intl"] for r in g if r["country"] in MAJOR}
    p = partners(t, Scope(years=(2012, 2022), country="JP")).to_pyarrow().to_pylist()
    top = min(p, key=lambda r: (-r["n_ab"], r["partner"]))  # the report's order
    q = impact(
        t, Scope(years=(2022, 2022), counting="fractional", smooth=3, resamples=1000, seed=0)
    ).to_pyarrow()
    jp = {r["scope"]: r for r in q.to_pylist() if r["country"] == "JP"}
    return {
        "rate": rates["JP"],
        # rank 1 = highest rate among the seven (no ties on the demo world)
        "rate_rank": 1 + sum(v > rates["JP"] for v in rates.values()),
        "cagr": cagr["JP"],
        "cagr_rank": 1 + sum(v > cagr["JP"] for v in cagr.values()),
        "top_partner": top["partner"],
        "top_share": top["share_of_intl"],
        "pp_top10_intl": jp["intl"]["pp_top10"],
        "pp_top10_dom": jp["domestic"]["pp_top10"],
        "rank_top10": jp["all"]["rank_top10"],
    }


@pytest.fixture(scope="module")
def reports(store: Store, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    out = tmp_path_factory.mktemp("out")
    settings = Settings.load(config_file=None, env={})
    made = dt.date(2025, 4, 1)
    got = {}
    for lang in ("ja", "en"):
        got[(lang, "html")] = write_report(
            store, lang=lang, out=out / f"report-{lang}.html", settings=settings, made=made
        )
        if cjk_font() is not None:
            got[(lang, "pdf")] = write_report(
                store, lang=lang, out=out / f"report-{lang}.pdf", settings=settings, made=made
            )
    return got


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _expected(f: dict[str, Any], lang: str) -> list[str]:
    """The key findings the report must carry, spelled out with the API's numbers."""
    rate, cagr = f"{f['rate'] * 100:.1f}", f"{f['cagr'] * 100:.1f}"
    intl, dom = f"{f['pp_top10_intl'] * 100:.1f}", f"{f['pp_top10_dom'] * 100:.1f}"
    if lang == "ja":
        growth_tail = "7か国中最も低い。" if f["cagr_rank"] == 7 else f"7か国中{f['cagr_rank']}位。"
        return [
            f"2022年の日本の国際共著率は{rate}%で、主要7か国中{f['rate_rank']}位。",
            f"2012年からの国際共著論文数の年平均成長率は{cagr}%で、{growth_tail}",
            f"国際共著論文に占めるTop10%論文の割合は{intl}%",
            f"国内論文の{dom}%より",
            f"日本は世界{f['rank_top10']}位",
            f"日本の主な共著相手国は{country_name(f['top_partner'], 'ja')}（{f['top_share'] * 100:.1f}%）",
        ]
    growth_tail = "the slowest of the 7." if f["cagr_rank"] == 7 else f"rank {f['cagr_rank']} of 7."
    return [
        f"In 2022, Japan's international co-authorship rate was {rate}%, "
        f"rank {f['rate_rank']} of the 7 major countries.",
        f"Its internationally co-authored papers grew {cagr}% a year from 2012 to 2022, {growth_tail}",
        f"{intl}% of Japan's internationally co-authored papers were top 10% papers",
        f"the {dom}% of its domestic papers",
        f"Japan is number {f['rank_top10']} in the world",
        f"Japan's main partner countries were "
        f"{country_name(f['top_partner'], 'en')} ({f['top_share'] * 100:.1f}%)",
    ]


def _html_text(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    body = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body).replace("&#39;", "'").replace("&amp;", "&")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_html_findings_carry_the_indicators_numbers(reports, figures, lang):
    text = _flat(_html_text(reports[(lang, "html")]))
    for sentence in _expected(figures, lang):
        assert _flat(sentence) in text, sentence


def test_demo_world_gives_the_s4_finding(figures):
    # The demo world plants S-4: Japan's international output grows slowest of the seven.
    assert figures["cagr_rank"] == 7


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_html_is_standalone_with_svg_charts_and_the_synthetic_label(reports, lang):
    html = reports[(lang, "html")].read_text(encoding="utf-8")
    label = {"ja": "合成デモデータ", "en": "Synthetic demo data"}[lang]
    assert 'class="synthetic-banner"' in html and label in html
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) >= 5
    for svg in svgs:  # charts with marks, not empty boxes
        assert svg.count("<path") + svg.count("<line") > 10
    # Nothing to fetch: no URL at all, so no script, style, font or image from the network.
    assert not re.search(r"https?://", html)
    assert "<script" not in html and "<link" not in html


@pytest.fixture(scope="module")
def network(store: Store) -> dict[str, Any]:
    """The co-authorship map's countries and links, counted here from the works' country sets.

    A work's countries are the distinct country codes of its affiliations; the
    map holds Japan and its 20 partners with most joint works 2012–2022 (ties by
    code), and a link for every pair of them with at least one joint work.
    """
    t = open_store(store)
    works = t["works"]
    years = works.filter(works.year.between(2012, 2022)).select("work_id")
    aff = t["affiliations"]
    aff = aff.filter(aff.country_code.notnull()).semi_join(years, "work_id")
    sets: dict[str, set[str]] = {}
    for r in aff.select("work_id", "country_code").distinct().to_pyarrow().to_pylist():
        sets.setdefault(r["work_id"], set()).add(r["country_code"])
    with_jp: dict[str, int] = {}
    for cs in sets.values():
        if "JP" in cs:
            for c in cs - {"JP"}:
                with_jp[c] = with_jp.get(c, 0) + 1
    top = sorted(with_jp, key=lambda c: (-with_jp[c], c))[:20]
    nodes = {"JP", *top}
    pairs = {(a, b) for cs in sets.values() for a in cs & nodes for b in cs & nodes if a < b}
    return {"nodes": nodes, "links": len(pairs)}


def _section(html: str, sid: str) -> str:
    found = re.search(rf'<section id="{sid}".*?</section>', html, flags=re.S)
    assert found is not None, sid
    return found.group(0)


def _marks(svg: str, kind: str) -> str:
    """The inside of the SVG's group of ``kind`` marks (``symbol``, ``rule``, ``text``), legends apart."""
    found = re.search(rf'<g class="mark-{kind} role-mark\b[^"]*"[^>]*>(.*?)</g>', svg, flags=re.S)
    assert found is not None, kind
    return found.group(1)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_partners_section_draws_the_coauthorship_map(reports, network, lang):
    html = reports[(lang, "html")].read_text(encoding="utf-8")
    section = _section(html, "partners")
    heading = {"ja": "<h2>共著相手国</h2>", "en": "<h2>Partner countries</h2>"}[lang]
    assert heading in section
    title = {"ja": "日本と共著相手国 上位20か国の共著ネットワーク", "en": "Co-authorship map of Japan"}[lang]
    maps = [s for s in re.findall(r"<svg\b.*?</svg>", section, flags=re.S) if title in s]
    assert len(maps) == 1
    svg = maps[0]
    # One circle per country (Japan and its 20 partners), one line per linked pair, a name on each circle.
    assert _marks(svg, "symbol").count("<path") == len(network["nodes"]) == 21
    assert _marks(svg, "rule").count("<line") == network["links"]
    labels = re.findall(r">([^<]+)</text>", _marks(svg, "text"))
    assert sorted(labels) == sorted(country_name(c, lang) for c in network["nodes"])
    # Under the map: how it is made, then every country in exactly one community.
    captions = re.findall(r'<p class="caption">(.*?)</p>', section, flags=re.S)
    assert ("Louvain" in captions[0]) and ("Fruchterman–Reingold" in captions[0])
    prefix, sep = {"ja": ("コミュニティ", "："), "en": ("Community ", ": ")}[lang]
    listed: list[str] = []
    for k, line in enumerate(captions[1:], start=1):
        assert line.startswith(f"{prefix}{k}{sep}"), line
        listed += line.split(sep, 1)[1].split({"ja": "、", "en": ", "}[lang])
    assert sorted(listed) == sorted(country_name(c, lang) for c in network["nodes"])


def test_each_figure_states_its_provenance(reports, store):
    html = reports[("en", "html")].read_text(encoding="utf-8")
    provs = re.findall(r'<figcaption class="prov">(.*?)</figcaption>', html, flags=re.S)
    assert len(provs) >= 9  # five charts, four tables (five with mobility)
    for p in provs:
        assert "synthetic demo data (20,000 works, seed 11)" in p
        assert store.version in p and "indicator:" in p
        assert "whole counting" in p or "fractional counting" in p


def _nesting(text: str) -> int:
    """How deep parentheses nest in ``text``, full-width （） and ASCII () alike."""
    depth = deepest = 0
    for ch in text:
        if ch in "（(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "）)":
            depth -= 1
    return deepest


def test_nesting_counts_both_kinds_of_parentheses():
    assert _nesting("割合は10%（安定性区間 9–11%）") == 1
    assert _nesting("（分数カウント、2020–2022年（平均））") == 2
    assert _nesting("（分数カウント、2020–2022 (average)）") == 2
    assert _nesting("米国（30%）、中国（20%）") == 1


def test_japanese_findings_never_nest_parentheses(reports):
    # Japanese style: a bracket inside a bracket reads badly; every finding keeps to one level.
    html = reports[("ja", "html")].read_text(encoding="utf-8")
    listed = re.findall(r"<li>(.*?)</li>", _section(html, "findings"), flags=re.S)
    leads = [
        p
        for lead in re.findall(r'<div class="lead">(.*?)</div>', html, flags=re.S)
        for p in re.findall(r"<p>(.*?)</p>", lead, flags=re.S)
    ]
    # The quality section's rank sentence (with its counting and span in brackets) is among them.
    assert any("Top10%補正論文数" in s for s in listed) and len(leads) == len(listed)
    for sentence in listed + leads:
        assert _nesting(sentence) <= 1, sentence


def test_english_has_no_japanese_and_japanese_no_english_findings(reports, figures):
    en = _html_text(reports[("en", "html")])
    assert not CJK.search(en), CJK.findall(en)[:10]
    ja = _html_text(reports[("ja", "html")])
    for sentence in _expected(figures, "en"):
        assert sentence not in ja
    assert "co-authorship rate" not in ja


@needs_font
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_pdf_text_carries_the_findings(reports, figures, lang):
    from pypdf import PdfReader

    reader = PdfReader(reports[(lang, "pdf")])
    text = _flat("".join(page.extract_text() for page in reader.pages))
    for sentence in _expected(figures, lang):
        assert _flat(sentence) in text, sentence
    assert _flat({"ja": "合成デモデータ", "en": "Synthetic demo data"}[lang]) in text
    assert len(reader.pages) >= 6


def _font_names(obj: Any, seen: set[int]) -> set[str]:
    """Every /BaseFont and /FontName under a PDF object (fonts, descendants, descriptors)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if isinstance(obj, IndirectObject):
        if obj.idnum in seen:
            return set()
        seen.add(obj.idnum)
        obj = obj.get_object()
    names: set[str] = set()
    if isinstance(obj, DictionaryObject):
        for key in ("/BaseFont", "/FontName"):
            if key in obj:
                names.add(str(obj[key]))
        for key, value in obj.items():
            if key not in ("/Parent", "/FontFile", "/FontFile2", "/FontFile3"):
                names |= _font_names(value, seen)
    elif isinstance(obj, ArrayObject):
        for value in obj:
            names |= _font_names(value, seen)
    return names


@needs_font
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_pdf_embeds_the_cjk_font(reports, lang):
    from pypdf import PdfReader

    reader = PdfReader(reports[(lang, "pdf")])
    names: set[str] = set()
    embedded = False
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        names |= _font_names(fonts, set())
        for f in fonts.values():
            for d in f.get_object().get("/DescendantFonts", []):
                desc = d.get_object()["/FontDescriptor"].get_object()
                embedded |= any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert any("NotoSansCJK" in n.replace("-", "") for n in names), names
    assert embedded


def test_write_report_refuses_other_formats_and_languages(store, tmp_path):
    from kakehashi.errors import ConfigError

    settings = Settings.load(config_file=None, env={})
    with pytest.raises(ConfigError, match=r"\.html or \.pdf"):
        write_report(store, lang="ja", out=tmp_path / "r.docx", settings=settings)
    with pytest.raises(ConfigError, match="--lang"):
        write_report(store, lang="fr", out=tmp_path / "r.html", settings=settings)
    for bad in (4, 51):  # the map shows 5 to 50 partner countries
        with pytest.raises(ConfigError) as e:
            write_report(store, lang="en", out=tmp_path / "r.html", settings=settings, network_top=bad)
        assert e.value.parameter == "network_top"
    assert not (tmp_path / "r.html").exists()


def test_cli_writes_the_report_and_says_where(store, tmp_path):
    out = tmp_path / "briefing.html"
    got = subprocess.run(
        [
            sys.executable,
            "-m",
            "kakehashi",
            "report",
            "--store",
            str(store.path),
            "--lang",
            "en",
            "--out",
            str(out),
            "--network-top",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == str(out)
    html = out.read_text(encoding="utf-8")
    assert "Synthetic demo data" in html
    # --network-top 5: Japan and five partners on the map, and its provenance says so.
    svg = next(s for s in re.findall(r"<svg\b.*?</svg>", html, flags=re.S) if "Co-authorship map" in s)
    assert "its top 5 partner countries" in svg
    assert _marks(svg, "symbol").count("<path") == 6
    assert "indicator: partner-network" in html and "top 5 partner countries" in html
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "kakehashi",
            "report",
            "--store",
            str(store.path),
            "--out",
            str(tmp_path / "x.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2
    assert "x.txt must end in .html or .pdf" in bad.stderr and "Traceback" not in bad.stderr
