"""The dashboard in a real browser: Debian's Chromium driven by Playwright (issue 5 acceptance).

A `kakehashi serve` subprocess serves a small demo store on a free loopback
port; every page is opened in Japanese and English, charts must contain
marks (not an empty box), a filter change must redraw the chart and show in
the URL, a chart's CSV must equal the API's rows, a click on a bar must list
the works behind it. Screenshots go to ``test-artifacts/``.

Skipped, with the reason, where ``/usr/bin/chromium`` is absent (the Debian
package ``chromium``, installed by ``make setup`` as root).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving import get, serving

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs the Debian package chromium (/usr/bin/chromium); `make setup` installs it as root",
    ),
]

PAGES = ["/", "/partners", "/quality", "/mobility", "/institutions"]


def _get(url: str) -> bytes:
    return get(url, timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from kakehashi.ingest.demo import build_demo
    from kakehashi.store import Store

    store = tmp_path_factory.mktemp("browser") / "store"
    build_demo(Store.open(store, create=True), works=20_000, seed=3)
    with serving(store, {**os.environ, "KAKEHASHI_LANG": "ja"}) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _wait_charts(page) -> list:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart')].every(c => c.dataset.rendered)", timeout=30_000
    )
    return page.query_selector_all(".chart")


def _marks(chart) -> int:  # type: ignore[no-untyped-def]
    return int(chart.evaluate("c => c.querySelectorAll('svg .mark-rect path, svg .mark-symbol path').length"))


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_every_page_draws_its_charts(server: str, page, path: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}{path}?lang={lang}")
    charts = _wait_charts(page)
    assert charts, f"{path} has no chart"
    for c in charts:
        assert c.get_attribute("data-rendered") == "true", c.inner_text()
        assert _marks(c) > 0, f"{path}: chart {c.get_attribute('id')} is an empty box"
    banner = page.inner_text("#synthetic-banner")
    assert ("合成デモデータ" if lang == "ja" else "Synthetic demo data") in banner
    assert page.get_attribute("html", "lang") == lang
    ARTIFACTS.mkdir(exist_ok=True)
    name = (path.strip("/") or "overview") + f"-{lang}.png"
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_a_filter_change_redraws_the_chart_and_the_url(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/partners?country=JP&years=2012-2022")
    _wait_charts(page)
    before = page.text_content("#spec-partners_nab")
    with page.expect_navigation():
        page.select_option("select[name=country]", "US")
    charts = _wait_charts(page)
    assert "country=US" in page.url
    assert page.text_content("#spec-partners_nab") != before
    assert all(_marks(c) > 0 for c in charts)


def test_a_stage_change_redraws_the_brain_circulation_charts_and_the_url(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/mobility?country=JP&years=2012-2022&lang=en")
    _wait_charts(page)
    before = page.text_content("#spec-mobility_flows")
    link_before = page.get_attribute("#figure-mobility_od_out a.download[data-format=csv]", "href") or ""
    assert "stage=" not in link_before
    with page.expect_navigation():
        page.select_option("select[name=stage]", "early")
    charts = _wait_charts(page)
    assert "stage=early" in page.url and "lang=en" in page.url
    assert page.text_content("#spec-mobility_flows") != before
    assert "Early career" in (page.text_content("#spec-mobility_flows") or "")
    assert all(_marks(c) > 0 for c in charts)
    link = page.get_attribute("#figure-mobility_od_out a.download[data-format=csv]", "href") or ""
    assert "stage=early" in link, "the chart's CSV carries the chosen stage"
    # The flows' and rates' marks open the works of the movers (the notes say so); net flow's do not.
    assert "works, that year, of the authors" in page.inner_text("#figure-mobility_flows")
    assert "works, that year, of the authors" in page.inner_text("#figure-mobility_rates")
    assert "not a set of authors" in page.inner_text("#figure-mobility_net")
    spec = page.text_content("#spec-mobility_od_out") or ""
    assert '"move_kind": "transfer"' in spec and '"stage": "early"' in spec
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "mobility-early-en.png"), full_page=True)


def test_clicking_a_return_lists_the_returnees_works(server: str, page) -> None:  # type: ignore[no-untyped-def]
    # Returns are rare in the small demo world: CN has one a year in 2023 and 2024 (all stages).
    page.goto(f"{server}/mobility?country=CN&years=2014-2024&lang=en")
    _wait_charts(page)
    spec = json.loads(page.text_content("#spec-mobility_flows") or "{}")
    rows = spec["data"]["values"]
    ret = max((r for r in rows if r["move_kind"] == "return"), key=lambda r: (r["n"], r["year"]))
    assert ret["n"] > 0
    point = page.query_selector(
        f'#chart-mobility_flows svg path[aria-label*="Returns"][aria-label*="{ret["year"]}"]'
    )
    assert point is not None
    with page.expect_navigation():
        point.click()
    assert "/works?" in page.url and "move_kind=return" in page.url and "move_to=CN" in page.url
    assert f"year={ret['year']}" in page.url
    assert not page.inner_text("#works-count").startswith("0 ")
    assert page.query_selector_all("#works tbody tr")


def test_the_csv_download_equals_the_api_rows(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/?country=JP&years=2012-2022")
    _wait_charts(page)
    link = page.query_selector("#figure-cagr a.download[data-format=csv]")
    assert link is not None
    with page.expect_download() as dl:
        link.click()
    raw = Path(dl.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV for Excel starts with the byte-order mark"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    href = link.get_attribute("href") or ""
    api = json.loads(_get(server + href.replace(".csv?", "?")))
    assert [r["country"] for r in rows] == [r["country"] for r in api["rows"]]
    for got, want in zip(rows, api["rows"], strict=True):
        for col in api["columns"]:
            w = want[col]
            assert got[col] == ("" if w is None else str(w)), col


def test_clicking_a_bar_lists_the_works_behind_it(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/?country=JP&years=2012-2022&lang=en")
    _wait_charts(page)
    bar = page.query_selector("#chart-pp_intl svg .mark-rect path")
    assert bar is not None
    with page.expect_navigation():
        bar.click()
    assert "/works?" in page.url and "scope=intl" in page.url
    count = page.inner_text("#works-count")
    assert count and not count.startswith("0 ")
    dois = page.query_selector_all("#works a.doi")
    assert dois and (dois[0].get_attribute("href") or "").startswith("https://doi.org/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "works-en.png"), full_page=True)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_co_authorship_map_draws_countries_and_links(server: str, page, lang: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/partners?country=JP&years=2012-2022&lang={lang}")
    _wait_charts(page)
    chart = page.query_selector("#chart-partners_network")
    assert chart is not None and chart.get_attribute("data-rendered") == "true"
    circles = chart.evaluate("c => c.querySelectorAll('svg .mark-symbol.role-mark path').length")
    lines = chart.evaluate("c => c.querySelectorAll('svg .mark-rule.role-mark line').length")
    labels = chart.evaluate("c => c.querySelectorAll('svg .mark-text.role-mark text').length")
    spec = json.loads(page.text_content("#spec-partners_network") or "{}")
    nodes = spec["layer"][1]["data"]["values"]
    links = spec["layer"][0]["data"]["values"]
    assert circles == labels == len(nodes) > 1
    assert lines == len(links) >= len(nodes) - 1, "every partner is linked to the focus country"
    assert len({n["community"] for n in nodes}) >= 1
    # The institutions chart beside it has bars.
    assert _marks(page.query_selector("#chart-partners_institutions")) > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.query_selector("#figure-partners_network").screenshot(
        path=str(ARTIFACTS / f"partners-network-{lang}.png")
    )
    # A click on a link lists the works of both countries.
    if lang == "en":
        with page.expect_navigation():
            chart.evaluate(
                "c => { const l = [...c.querySelectorAll('svg .mark-rule line')].pop();"
                " l.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: 0, clientY: 0})); }"
            )
        assert "/works?" in page.url and "partner=" in page.url


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_institutions_page_draws_its_charts_and_opens_a_profile(server: str, page, lang: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/institutions?country=JP&years=2012-2022&lang={lang}")
    charts = _wait_charts(page)
    ids = {c.get_attribute("id") for c in charts}
    want = {"chart-institutions_kpi", "chart-institution_profile", "chart-institution_partners_works"}
    assert want <= ids
    for c in charts:
        assert _marks(c) > 0, f"chart {c.get_attribute('id')} is an empty box"
    # The scatter draws the two WPI target lines.
    rules = page.eval_on_selector(
        "#chart-institutions_kpi", "c => c.querySelectorAll('svg .mark-rule line').length"
    )
    assert rules >= 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"institutions-{lang}.png"), full_page=True)
    # A row of the table opens that institution's profile; the URL holds it, the level filter too.
    link = page.query_selector_all("#table-institutions tbody a")[0]
    name = link.inner_text()
    with page.expect_navigation():
        link.click()
    _wait_charts(page)
    assert "institution=I" in page.url and f"lang={lang}" in page.url
    assert name in page.inner_text("#findings")
    assert _marks(page.query_selector("#chart-institution_percentiles")) > 0
    with page.expect_navigation():
        page.select_option("select[name=level]", "root")
    charts = _wait_charts(page)
    assert "level=root" in page.url and "institution=I" in page.url
    assert all(_marks(c) > 0 for c in charts)
    page.screenshot(path=str(ARTIFACTS / f"institutions-profile-{lang}.png"), full_page=True)


def test_a_scatter_point_lists_its_works_and_shift_click_opens_its_profile(server: str, page) -> None:  # type: ignore[no-untyped-def]
    def biggest_point():  # type: ignore[no-untyped-def]
        _wait_charts(page)
        points = page.query_selector_all("#chart-institutions_kpi svg .mark-symbol path")
        boxes = [b for b in (p.bounding_box() for p in points) if b]
        box = max(boxes, key=lambda b: b["width"] * b["height"])
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    page.goto(f"{server}/institutions?country=JP&years=2012-2022&lang=en")
    spec = json.loads(page.text_content("#spec-institutions_kpi") or "{}")
    assert spec["usermeta"]["works"]["fields"] == {"institution": "institution_id"}
    # A click on a point lists the institution's works (the set its size counts).
    x, y = biggest_point()
    with page.expect_navigation():
        page.mouse.click(x, y)
    assert "/works?" in page.url and re.search(r"[?&]institution=I", page.url) and "country=JP" in page.url
    assert not page.inner_text("#works-count").startswith("0 ")
    # A Shift+click opens its profile.
    page.go_back()
    x, y = biggest_point()
    page.keyboard.down("Shift")
    with page.expect_navigation():
        page.mouse.click(x, y)
    page.keyboard.up("Shift")
    assert "/institutions?" in page.url and re.search(r"[?&]institution=I", page.url)


def test_clicking_an_institutions_bar_lists_its_works(server: str, page) -> None:  # type: ignore[no-untyped-def]
    # Partners page: a partner institution abroad opens the focus country's works with it.
    page.goto(f"{server}/partners?country=JP&years=2012-2022&lang=en")
    _wait_charts(page)
    bar = page.query_selector("#chart-partners_institutions svg .mark-rect path")
    assert bar is not None
    with page.expect_navigation():
        bar.click()
    assert "/works?" in page.url and "partner_institution=I" in page.url and "country=JP" in page.url
    assert not page.inner_text("#works-count").startswith("0 ")
    # Institutions page: a partner bar opens the profiled institution's works with that partner.
    page.goto(f"{server}/institutions?country=JP&years=2012-2022&lang=en")
    _wait_charts(page)
    bar = page.query_selector("#chart-institution_partners_works svg .mark-rect path")
    assert bar is not None
    with page.expect_navigation():
        bar.click()
    assert "/works?" in page.url and "partner_institution=I" in page.url
    assert re.search(r"[?&]institution=I", page.url)
    assert not page.inner_text("#works-count").startswith("0 ")
