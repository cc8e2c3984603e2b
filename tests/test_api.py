"""The JSON API and the pages of `kakehashi serve`, against a small demo store (no network).

The one error shape ``{"status", "message", "parameter"}`` is pinned here;
the OpenAPI schema is fuzzed by schemathesis (no request may give a 500).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from kakehashi.indicators import INDICATORS
from kakehashi.settings import Settings
from serving import asgi_get

ERROR_KEYS = {"status", "message", "parameter"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kakehashi.ingest.demo import build_demo
    from kakehashi.store import Store

    path = tmp_path_factory.mktemp("api") / "store"
    build_demo(Store.open(path, create=True), works=20_000, seed=11)
    return path


def _settings(**kw: Any) -> Settings:
    return Settings.load(config_file=None, env={}).replace(**kw)


@pytest.fixture(scope="module")
def app(store: Path) -> Any:
    from kakehashi.web import create_app

    return create_app(store, _settings())


def get(app: Any, url: str) -> httpx.Response:
    return asgi_get(app, url)


PARAMS = {
    "partners": "country=JP&years=2012-2022",
    "complementarity": "country=JP&years=2012-2022",
    "growth": "years=2012-2022",
    "impact": "country=JP&years=2020-2022&resamples=50",
}


@pytest.mark.parametrize("name", list(INDICATORS))
def test_every_indicator_has_an_endpoint_with_the_contract_columns(app: Any, name: str) -> None:
    r = get(app, f"/api/v1/indicators/{name}?{PARAMS.get(name, 'country=JP&years=2018-2022')}")
    assert r.status_code == 200, r.text
    doc = r.json()
    _, keys, values = INDICATORS[name]
    assert set(keys) | set(values) <= set(doc["columns"])
    assert set(doc) >= {"provenance", "columns", "labels", "rows", "truncated", "total_rows"}
    assert doc["provenance"]["synthetic"] is True
    assert doc["provenance"]["parameters"]["indicator"] == name
    assert all(set(row) == set(doc["columns"]) for row in doc["rows"])


def test_labels_follow_the_language(app: Any) -> None:
    ja = get(app, "/api/v1/indicators/collaboration?country=JP&years=2022").json()
    en = get(app, "/api/v1/indicators/collaboration?country=JP&years=2022&lang=en").json()
    assert ja["labels"]["pp_intl"] == "国際共著率"
    assert en["labels"]["pp_intl"] == "International co-authorship rate"
    assert ja["rows"] == en["rows"]


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/api/v1/indicators/coverage?country=XX", 422, "country"),
        ("/api/v1/indicators/coverage?years=2022-2012", 422, "years"),
        ("/api/v1/indicators/coverage?years=twenty", 422, "years"),
        ("/api/v1/indicators/coverage?counting=both", 422, "counting"),
        ("/api/v1/indicators/coverage?period=school", 422, "period"),
        ("/api/v1/indicators/coverage?field=99", 422, "field"),
        ("/api/v1/indicators/coverage?field=abc", 422, "field"),
        ("/api/v1/indicators/impact?resamples=-1", 422, "resamples"),
        ("/api/v1/indicators/impact?preset=leiden", 422, "preset"),
        ("/api/v1/indicators/partners", 422, "country"),
        ("/api/v1/indicators/growth?years=2020", 422, "years"),
        ("/api/v1/indicators/collaboration.csv?country=XX", 422, "country"),
        ("/api/v1/works?partner=ZZ", 422, "partner"),
        ("/api/v1/works?collab_type=bilateral", 422, "collab_type"),
        ("/api/v1/works?limit=0", 422, "limit"),
        ("/api/v1/works?institution=xx", 422, "institution"),
        ("/api/v1/works?level=country", 422, "level"),
        ("/api/v1/works?move_kind=arrival", 422, "move_kind"),
        ("/api/v1/works?mobility_class=nomad", 422, "mobility_class"),
        ("/api/v1/works?move_kind=transfer&move_from=XX", 422, "move_from"),
        ("/api/v1/works?move_kind=visit&move_to=ZZ", 422, "move_to"),
        ("/api/v1/works?move_kind=visit&stage=junior", 422, "stage"),
        ("/api/v1/indicators/mobility-flows?stage=junior", 422, "stage"),
        ("/api/v1/indicators/mobility-od?careers=orcid", 422, "careers"),
        ("/api/v1/indicators/mobility-flows?visit_years=-1", 422, "visit_years"),
        ("/api/v1/indicators/partner-network?country=JP&network_top=4", 422, "network_top"),
        ("/api/v1/indicators/partner-network?country=JP&network_top=51", 422, "network_top"),
        ("/api/v1/indicators/partner-network.csv?country=JP&network_top=ten", 422, "network_top"),
        ("/api/v1/indicators/nope", 404, None),
        ("/api/v1/indicators/institution-partners", 422, "institution"),
        ("/api/v1/indicators/institution-profile?institution=xx", 422, "institution"),
        ("/api/v1/indicators/institution-partners.csv?institution=12345", 422, "institution"),
        ("/api/v1/indicators/institution-profile?level=region", 422, "level"),
        ("/api/v1/nothing", 404, None),
    ],
)
def test_errors_have_one_shape_naming_the_parameter(
    app: Any, url: str, status: int, parameter: str | None
) -> None:
    r = get(app, url)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == ERROR_KEYS
    assert body["status"] == status
    assert body["parameter"] == parameter
    assert isinstance(body["message"], str) and body["message"]


def test_results_are_cut_at_the_row_cap_and_say_so(store: Path) -> None:
    from kakehashi.web import create_app

    small = create_app(store, _settings(web_max_rows=5))
    doc = get(small, "/api/v1/indicators/collaboration?years=2022").json()
    assert len(doc["rows"]) == 5
    assert doc["truncated"] is True and doc["total_rows"] > 5
    works = get(small, "/api/v1/works?country=JP&year=2022").json()
    assert len(works["rows"]) == 5 and works["truncated"] is True
    csv_rows = list(csv.reader(io.StringIO(get(small, "/api/v1/works.csv?country=JP&year=2022").text)))
    assert len(csv_rows) == 1 + 5


def test_a_second_call_is_served_from_the_cache(app: Any) -> None:
    svc = app.state.service
    url = "/api/v1/indicators/collab-types?country=KR&years=2015-2016"
    before = svc.computed
    first = get(app, url)
    assert svc.computed == before + 1
    second = get(app, url)
    assert svc.computed == before + 1, "the second call computed again"
    assert first.content == second.content
    get(app, url + "&counting=fractional")
    assert svc.computed == before + 2, "other parameters are another cache entry"
    # The CSV of the same figure is the same cached result.
    get(app, url.replace("collab-types?", "collab-types.csv?"))
    assert svc.computed == before + 2


# A new store version, by a real commit, is not served from the cache:
# tests/test_store_readers.py::test_a_new_store_version_is_not_served_from_the_cache.


def test_csv_and_xlsx_rows_equal_the_json_rows(app: Any) -> None:
    q = "country=JP&years=2012-2022"
    doc = get(app, f"/api/v1/indicators/collaboration?{q}").json()
    raw = get(app, f"/api/v1/indicators/collaboration.csv?{q}")
    assert raw.headers["content-type"].startswith("text/csv")
    assert raw.content.startswith(b"\xef\xbb\xbf"), "UTF-8 with the byte-order mark Excel needs"
    rows = list(csv.DictReader(io.StringIO(raw.content.decode("utf-8-sig"))))
    assert list(rows[0]) == doc["columns"]
    assert len(rows) == len(doc["rows"])
    for got, want in zip(rows, doc["rows"], strict=True):
        assert got == {k: "" if v is None else str(v) for k, v in want.items()}

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(get(app, f"/api/v1/indicators/collaboration.xlsx?{q}").content))
    data = list(wb["data"].iter_rows(values_only=True))
    assert list(data[0]) == doc["columns"]
    # Excel keeps 15 significant digits.
    for got_x, want_x in zip(data[1:], doc["rows"], strict=True):
        for g, w in zip(got_x, want_x.values(), strict=True):
            assert g == (pytest.approx(w, rel=1e-14) if isinstance(w, float) else w)
    assert "provenance" in wb.sheetnames


def test_works_behind_a_cell_carry_dois_and_add_up(app: Any) -> None:
    collab = get(app, "/api/v1/indicators/collaboration?country=JP&years=2020").json()["rows"][0]
    works = get(app, "/api/v1/works?country=JP&year=2020&scope=intl").json()
    assert len(works["rows"]) == collab["p_intl"]
    assert "doi" in works["columns"] and any(w["doi"] for w in works["rows"])
    frac = get(app, "/api/v1/works?country=JP&year=2020&counting=fractional").json()
    assert sum(w["weight"] for w in frac["rows"]) == pytest.approx(collab["p_frac"])


def test_works_behind_a_mobility_cell(app: Any) -> None:
    # JP's busiest year of transfers out: the works, that year, of the authors who left.
    flows = get(app, "/api/v1/indicators/mobility-flows?country=JP&years=2012-2022&visit_years=2").json()
    best = max(flows["rows"], key=lambda r: (r["transfers_out"], r["year"]))
    assert best["transfers_out"] > 0
    q = f"country=JP&year={best['year']}&move_kind=transfer&move_from=JP&visit_years=2"
    works = get(app, f"/api/v1/works?{q}").json()["rows"]
    assert works and all(r["year"] == best["year"] for r in works)
    early = get(app, f"/api/v1/works?{q}&stage=early").json()["rows"]
    assert {r["work_id"] for r in early} <= {r["work_id"] for r in works}
    # The chart's click-through: the /works page of the same cell lists the first of them,
    # and names the cell in the catalogue's words, not by parameter names.
    assert works[0]["work_id"] in get(app, f"/works?{q}").text
    page = get(app, f"/works?{q}&stage=early").text
    for words in ("渡航の種類", "移籍型渡航（移籍）", "移動元", "日本 (JP)", "キャリア段階", "若手"):
        assert words in page, words
    assert "<dt>move_kind</dt>" not in page and "<dt>stage</dt>" not in page
    # Nobody moves from JP to JP: an empty list, not an error.
    assert get(app, f"/api/v1/works?{q}&move_to=JP").json()["rows"] == []


def test_works_of_an_institution_add_up_to_its_profile(app: Any) -> None:
    q = "country=JP&years=2018-2020"
    for level in ("institution", "root"):
        prof = get(app, f"/api/v1/indicators/institution-profile?{q}&level={level}").json()["rows"]
        top = max(prof, key=lambda r: r["works"])
        url = f"/api/v1/works?{q}&institution=https://openalex.org/{top['institution_id']}&level={level}"
        works = get(app, url).json()
        assert len(works["rows"]) == top["works"], level


def test_meta_names_the_store_countries_fields_and_indicators(app: Any) -> None:
    meta = get(app, "/api/v1/meta?lang=en").json()
    assert meta["provenance"]["synthetic"] is True
    assert meta["newest_year"] == 2024
    assert {"code": "JP", "name": "Japan"} in meta["countries"]
    assert {"id": 17, "name": "Computer Science"} in meta["fields"]
    assert set(meta["indicators"]) == set(INDICATORS)
    assert meta["limits"]["max_rows"] == 50_000
    assert "synthetic demo data" in meta["source"]


def test_a_query_past_the_time_limit_is_cut_with_503(store: Path) -> None:
    from kakehashi.web import create_app

    slow = create_app(store, _settings(web_timeout=0.01))
    r = get(slow, "/api/v1/indicators/impact?years=2000-2024&resamples=2000")
    assert r.status_code == 503
    body = r.json()
    assert set(body) == ERROR_KEYS and body["status"] == 503 and "web_timeout" in body["message"]


def test_nothing_writes(app: Any) -> None:
    for route in app.routes:
        methods = getattr(route, "methods", None) or set()
        assert methods <= {"GET", "HEAD"}, f"{route.path} accepts {methods}"


def test_the_openapi_schema_documents_parameters_and_errors(app: Any) -> None:
    schema = get(app, "/openapi.json").json()
    op = schema["paths"]["/api/v1/indicators/{name}"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert names >= {"name", "country", "years", "field", "types", "period", "preset", "smooth", "counting"}
    assert names >= {"country_scheme", "level", "resamples", "confidence", "seed", "lang"}
    assert {"404", "422", "503"} <= set(op["responses"])
    assert set(schema["components"]["schemas"]["Problem"]["properties"]) == ERROR_KEYS
    assert {"/api/v1/works", "/api/v1/meta", "/api/v1/indicators/{name}.csv"} <= set(schema["paths"])


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize(
    "path",
    ["/", "/partners", "/quality", "/mobility", "/institutions", "/works?country=JP&year=2022&scope=intl"],
)
def test_pages_render_with_the_synthetic_banner(app: Any, path: str, lang: str) -> None:
    sep = "&" if "?" in path else "?"
    r = get(app, f"{path}{sep}lang={lang}")
    assert r.status_code == 200, r.text[:500]
    assert 'id="synthetic-banner"' in r.text
    assert ("合成デモデータ" if lang == "ja" else "Synthetic demo data") in r.text
    assert f'<html lang="{lang}">' in r.text
    assert "https://cdn" not in r.text and "/static/vendor/vega.min.js" in r.text


MOBILITY_FIGURES = {
    "mobility_flows": "mobility-flows",
    "mobility_rates": "mobility-flows",
    "mobility_net": "mobility-flows",
    "mobility_od_out": "mobility-od",
    "mobility_od_in": "mobility-od",
    "mobility_stage": "mobility-od",
    "mobility_classes": "mobility-classes",
}


def _json_links(html: str) -> dict[str, str]:
    """figure id → its JSON download link (the API's URL with the chart's parameters)."""
    import html as html_lib
    import re

    out = {}
    for ident, body in re.findall(r'<section class="figure" id="figure-([\w]+)">(.*?)</section>', html, re.S):
        href = re.search(r'<a href="([^"]+)" class="download" data-format="json"', body)
        assert href, ident
        out[ident] = html_lib.unescape(href.group(1))
    return out


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_brain_circulation_page_in_both_languages(app: Any, lang: str) -> None:
    r = get(app, f"/mobility?country=JP&years=2012-2022&lang={lang}")
    assert r.status_code == 200, r.text[:500]
    words = {
        "ja": ["国際頭脳循環", "移籍による流入", "純流入", "フェローシップ型渡航（短期滞在）", "若手"],
        "en": ["Brain circulation", "Transfers in", "Net flow", "Visit (fellowship-type stay)"],
    }[lang]
    for w in words:
        assert w in r.text, w
    # No faked click-through: mobility cells are authors, and the page says so.
    assert ("著者ID" if lang == "ja" else "author ids") in r.text
    assert '"works": {}' in r.text and "/works?" not in r.text
    assert 'name="stage"' in r.text and 'name="careers"' in r.text and 'name="visit_years"' in r.text
    assert 'name="counting"' not in r.text, "counting means nothing for authors"
    links = _json_links(r.text)
    assert set(links) == set(MOBILITY_FIGURES)
    for ident, name in MOBILITY_FIGURES.items():
        assert links[ident].startswith(f"/api/v1/indicators/{name}?"), links[ident]
        assert "visit_years=2" in links[ident]


def test_the_brain_circulation_marks_open_the_works_of_their_authors(app: Any) -> None:
    # Every chart but net flow (a difference, not a set of people) says how its marks become a
    # works cell; a return mark is the return cell of its year, a class bar the class cell.
    import re

    html = get(app, "/mobility?country=JP&years=2012-2022&lang=en").text
    specs = {
        k: json.loads(v)
        for k, v in re.findall(r'<script type="application/json" id="spec-(\w+)">(.*?)</script>', html, re.S)
    }
    need = {k: spec["usermeta"]["works"].get("need") for k, spec in specs.items()}
    assert need == {
        "mobility_flows": "move_kind",
        "mobility_rates": "move_kind",
        "mobility_net": None,
        "mobility_od_out": "move_kind",
        "mobility_od_in": "move_kind",
        "mobility_stage": "move_kind",
        "mobility_classes": "mobility_class",
    }
    returns = [r for r in specs["mobility_flows"]["data"]["values"] if r["measure"] == "Returns"]
    assert returns and all(r["move_kind"] == "return" and r["move_to"] == "JP" for r in returns)
    rates = [
        r for r in specs["mobility_rates"]["data"]["values"] if r["measure"] == "Net flow per active author"
    ]
    assert rates and all(r["move_kind"] is None for r in rates), "the net-flow rate opens nothing"
    stage = specs["mobility_stage"]
    assert stage["usermeta"]["works"]["fields"]["stage"] == "stage"
    assert all(r["move_kind"] in ("transfer", "visit") for r in stage["data"]["values"])
    cls = specs["mobility_classes"]
    assert cls["usermeta"]["works"]["fields"] == {"mobility_class": "class", "country": "country"}
    # The works behind the largest JP class bar: the authors' works over the years, as the API lists.
    top = max((r for r in cls["data"]["values"] if r["country"] == "JP"), key=lambda r: r["n"])
    q = f"country=JP&years=2012-2022&mobility_class={top['class']}&visit_years=2"
    works = get(app, f"/api/v1/works?{q}").json()["rows"]
    assert works and all(2012 <= w["year"] <= 2022 for w in works)
    assert works[0]["work_id"] in get(app, f"/works?{q}").text


def test_the_brain_circulation_charts_data_endpoints_return_the_mobility_columns(app: Any) -> None:
    from kakehashi.indicators.mobility import FLOW_COLUMNS

    html = get(app, "/mobility?country=JP&years=2012-2022&stage=mid&careers=author-affiliations").text
    links = _json_links(html)
    want = {
        "mobility-flows": {"country", "year", *FLOW_COLUMNS},
        "mobility-od": {"from", "to", "kind", "stage", "n"},
        "mobility-classes": {"country", "class", "n"},
    }
    for ident, name in MOBILITY_FIGURES.items():
        href = links[ident]
        assert "careers=author-affiliations" in href
        # The stage chart shows every stage; the others the chosen one.
        assert ("stage=mid" in href) == (ident != "mobility_stage"), href
        doc = get(app, href).json()
        assert set(doc["columns"]) == want[name], ident
        assert doc["provenance"]["parameters"]["careers"] == "author-affiliations"
        assert doc["rows"], f"{ident}: no rows"
        if name == "mobility-od" and "stage=mid" in href:
            assert {r["stage"] for r in doc["rows"]} == {"mid"}
        csv_raw = get(app, href.replace("?", ".csv?", 1))
        assert csv_raw.status_code == 200 and csv_raw.content.startswith(b"\xef\xbb\xbf")
    flows = get(app, links["mobility_flows"]).json()["rows"]
    assert {r["country"] for r in flows} == {"JP"}
    # The page's stage-filtered partners equal the API's stage-filtered origin–destination.
    od_all = get(app, links["mobility_stage"]).json()["rows"]
    od_mid = get(app, links["mobility_od_out"]).json()["rows"]
    assert sorted(map(str, od_mid)) == sorted(map(str, (r for r in od_all if r["stage"] == "mid")))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_partners_page_has_the_map_and_the_institutions(app: Any, lang: str) -> None:
    import re

    r = get(app, f"/partners?country=JP&years=2012-2022&lang={lang}")
    assert r.status_code == 200, r.text[:500]
    words = {
        "ja": ["共著ネットワーク", "関連強度", "コミュニティ1", "海外の共著相手機関"],
        "en": ["Co-authorship map", "Association strength", "Community 1", "partner institutions abroad"],
    }[lang]
    for w in words:
        assert w in r.text, w
    links = _json_links(r.text)
    assert set(links) >= {"partners_nab", "partners_network", "partners_institutions", "complementarity"}
    # The map's data link: the links among JP and its top 20 partners, every pair once.
    net = get(app, links["partners_network"]).json()
    assert net["columns"] == ["country", "a", "b", "n_ab", "assoc_strength", "p_a", "p_b"]
    pairs = {(row["a"], row["b"]) for row in net["rows"]}
    nodes = {c for p in pairs for c in p}
    assert "JP" in nodes and 2 <= len(nodes) <= 21
    assert all(a < b for a, b in pairs) and len(pairs) == len(net["rows"])
    # JP's links on the map are its partners' n_ab (whole counting) from the partners endpoint.
    partners = {row["partner"]: row["n_ab"] for row in get(app, links["partners_nab"]).json()["rows"]}
    for row in net["rows"]:
        if "JP" in (row["a"], row["b"]):
            other = row["b"] if row["a"] == "JP" else row["a"]
            assert row["n_ab"] == partners[other]
    m = re.search(r'<script type="application/json" id="spec-partners_network">(.*?)</script>', r.text, re.S)
    assert m and '"community"' in m.group(1)
    subtitle = json.loads(m.group(1))["title"]["subtitle"]
    assert ("線の太さ" if lang == "ja" else "line width") in subtitle
    csv_raw = get(app, links["partners_network"].replace("?", ".csv?", 1))
    assert csv_raw.status_code == 200 and csv_raw.content.startswith(b"\xef\xbb\xbf")
    # Partner institutions: partners at level institution, names and countries, as CSV and xlsx.
    assert "level=institution" in links["partners_institutions"]
    inst = get(app, links["partners_institutions"]).json()
    assert inst["rows"] and {"partner_name", "partner_country"} <= set(inst["columns"])
    assert all(row["partner_country"] != "JP" for row in inst["rows"])
    for ext in (".csv?", ".xlsx?"):
        assert get(app, links["partners_institutions"].replace("?", ext, 1)).status_code == 200


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_maps_partner_count_is_a_filter(app: Any, lang: str) -> None:
    import re

    r = get(app, f"/partners?country=JP&years=2012-2022&network_top=5&lang={lang}")
    assert r.status_code == 200, r.text[:500]
    assert re.search(r'<input type="number" name="network_top" min="5" max="50"[^>]*value="5"', r.text)
    m = re.search(r'<script type="application/json" id="spec-partners_network">(.*?)</script>', r.text, re.S)
    assert m is not None
    spec = json.loads(m.group(1))
    assert ("上位5か国" if lang == "ja" else "top 5 partner") in spec["title"]["text"]
    nodes = next(layer["data"]["values"] for layer in spec["layer"] if layer["mark"]["type"] == "circle")
    # JP's five partners with most co-authored papers (ties by code), as the partners endpoint ranks them.
    links = _json_links(r.text)
    assert "network_top=5" in links["partners_network"]
    ranked = get(app, links["partners_nab"]).json()["rows"]
    top5 = [row["partner"] for row in sorted(ranked, key=lambda row: (-row["n_ab"], row["partner"]))[:5]]
    assert sorted(n["name"].rsplit("(", 1)[1].rstrip(")") for n in nodes) == sorted(["JP", *top5])
    net = get(app, links["partners_network"]).json()
    assert {c for row in net["rows"] for c in (row["a"], row["b"])} == {"JP", *top5}
    assert net["provenance"]["parameters"]["network_top"] == 5
    # Without the filter the map has its default 20 partners; the filter does not travel to other pages.
    default = get(app, f"/partners?country=JP&years=2012-2022&lang={lang}").text
    assert re.search(r'name="network_top"[^>]*value="20"', default)
    nav = re.search(r'href="/quality\?[^"]*"', r.text)
    assert nav is not None and "network_top" not in nav[0]
    for bad in ("4", "51", "many"):
        page = get(app, f"/partners?country=JP&network_top={bad}&lang={lang}")
        assert page.status_code == 422 and 'id="error"' in page.text and "network_top" in page.text


def test_a_stage_filter_changes_the_flows(app: Any) -> None:
    def spec(url: str) -> str:
        import re

        text = get(app, url).text
        m = re.search(r'<script type="application/json" id="spec-mobility_flows">(.*?)</script>', text, re.S)
        assert m
        return m.group(1)

    base = "/mobility?country=JP&years=2012-2022"
    assert spec(base) != spec(base + "&stage=early")


def test_the_api_takes_the_clis_institution_and_level(app: Any) -> None:
    from kakehashi.indicators.institutions import PROFILE_COLUMNS

    table = get(app, "/api/v1/indicators/institution-profile?country=JP&years=2012-2022").json()
    assert table["columns"] == list(PROFILE_COLUMNS) and len(table["rows"]) > 5
    first = table["rows"][0]
    # The id as the CLI takes it, also as an openalex.org URL.
    url = "https://openalex.org/" + first["institution_id"]
    one = get(
        app, f"/api/v1/indicators/institution-profile?country=JP&years=2012-2022&institution={url}"
    ).json()
    (row,) = one["rows"]
    assert row == pytest.approx(first), "the same row (sums in another order may differ in the last bit)"
    assert one["provenance"]["parameters"]["institution"] == first["institution_id"]
    root = get(app, "/api/v1/indicators/institution-profile?country=JP&years=2012-2022&level=root").json()
    assert root["provenance"]["parameters"]["level"] == "root"
    assert not any(r["is_wpi"] for r in root["rows"]), "roots are universities, not centres"
    assert len(root["rows"]) <= len(table["rows"])
    q = f"institution={first['institution_id']}&years=2012-2022"
    partners = get(app, f"/api/v1/indicators/institution-partners?{q}").json()
    assert partners["rows"] and {r["institution_id"] for r in partners["rows"]} == {first["institution_id"]}
    assert all(r["partner_country"] != "JP" for r in partners["rows"])


INSTITUTION_FIGURES = {
    "institutions_kpi": "institution-profile",
    "institution_profile": "institution-profile",
    "institution_partners_works": "institution-partners",
    "institution_partners_top10": "institution-partners",
}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_institutions_page_in_both_languages(app: Any, lang: str) -> None:
    import re

    r = get(app, f"/institutions?country=JP&years=2012-2022&lang={lang}")
    assert r.status_code == 200, r.text[:500]
    words = {
        "ja": [
            "研究機関の国際的な研究環境",
            "外国出身研究者の割合",
            "世界トップレベル研究拠点プログラム（WPI）",
            "達成",
        ],
        "en": ["International research environment of institutions", "foreign-origin researchers", "WPI"],
    }[lang]
    for w in words:
        assert w in r.text, w
    assert 'name="level"' in r.text and 'name="counting"' not in r.text
    links = _json_links(r.text)
    assert set(INSTITUTION_FIGURES) <= set(links)
    for ident, name in INSTITUTION_FIGURES.items():
        assert links[ident].startswith(f"/api/v1/indicators/{name}?"), links[ident]
    # The table lists every institution (up to its cap), each name a link to its profile.
    table = re.search(r'<section class="table" id="table-institutions">(.*?)</section>', r.text, re.S)
    assert table
    hrefs = re.findall(r'<a href="(/institutions\?[^"]+)">', table.group(1))
    assert hrefs and all("institution=I" in h for h in hrefs)
    assert "<td>WPI</td>" in table.group(1), "the demo world's WPI-like centres are flagged"
    # A chosen institution: its profile and partners are its own.
    chosen = get(app, hrefs[0].replace("&amp;", "&"))
    assert chosen.status_code == 200
    inst = re.search(r"institution=(I\w+)", hrefs[0])
    assert inst
    for ident, href in _json_links(chosen.text).items():
        if ident != "institutions_kpi":
            assert f"institution={inst.group(1)}" in href, ident


@pytest.mark.parametrize("level", ["institution", "root"])
def test_an_institutions_paper_count_opens_its_works(app: Any, level: str) -> None:
    import re

    r = get(app, f"/institutions?country=JP&years=2018-2020&level={level}&lang=en")
    table = re.search(r'<section class="table" id="table-institutions">(.*?)</section>', r.text, re.S)
    assert table
    cells = re.findall(r'<a href="(/works\?[^"]+)">([\d,]+)</a>', table.group(1))
    assert cells and all("institution=I" in h for h, _ in cells)
    href, n = cells[0]
    assert ("level=root" in href) == (level == "root")
    page = get(app, href.replace("&amp;", "&"))
    assert page.status_code == 200
    api = get(app, href.replace("&amp;", "&").replace("/works?", "/api/v1/works?", 1)).json()
    assert len(api["rows"]) == int(n.replace(",", ""))
    # The partner bars by co-authored works open the works with that partner.
    spec = re.search(r'"usermeta": \{"works": \{"fields": \{"partner_institution": "partner_id"\}', r.text)
    assert spec, "the partner bars open their works"


def test_the_institutions_charts_data_endpoints_return_the_contract_columns(app: Any) -> None:
    from kakehashi.indicators.institutions import PARTNER_COLUMNS, PROFILE_COLUMNS

    html = get(app, "/institutions?country=JP&years=2012-2022&lang=en").text
    links = _json_links(html)
    want = {"institution-profile": list(PROFILE_COLUMNS), "institution-partners": list(PARTNER_COLUMNS)}
    docs = {}
    for ident, name in INSTITUTION_FIGURES.items():
        doc = get(app, links[ident]).json()
        assert doc["columns"] == want[name], ident
        assert doc["rows"], f"{ident}: no rows"
        docs[ident] = doc
        csv_raw = get(app, links[ident].replace("?", ".csv?", 1))
        assert csv_raw.status_code == 200 and csv_raw.content.startswith(b"\xef\xbb\xbf")
        header = next(csv.reader(io.StringIO(csv_raw.content.decode("utf-8-sig"))))
        assert header == want[name]
    table = docs["institutions_kpi"]["rows"]
    assert {r["country"] for r in table} == {"JP"}
    # By default the page profiles the largest WPI centre; its row is the table's.
    (one,) = docs["institution_profile"]["rows"]
    largest = max((r for r in table if r["is_wpi"]), key=lambda r: r["works"])
    assert one["is_wpi"] and one == pytest.approx(largest)
    assert {r["institution_id"] for r in docs["institution_partners_works"]["rows"]} == {
        one["institution_id"]
    }


def test_a_bad_filter_gives_a_page_that_says_so(app: Any) -> None:
    r = get(app, "/partners?country=XX")
    assert r.status_code == 422
    assert 'id="error"' in r.text and "XX" in r.text
    r = get(app, "/mobility?stage=junior")
    assert r.status_code == 422 and 'id="error"' in r.text and "stage" in r.text
    r = get(app, "/institutions?institution=nonsense")
    assert r.status_code == 422 and 'id="error"' in r.text and "nonsense" in r.text


def test_the_vendored_libraries_are_served(app: Any) -> None:
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "LICENSE.vega"):
        r = get(app, f"/static/vendor/{name}")
        assert r.status_code == 200 and len(r.content) > 1000


# -- schemathesis: fuzz the OpenAPI schema; no request may give a 500 -----------
def test_no_request_gives_a_server_error(app: Any) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 7

    for op in operations:

        @given(case=op.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        fuzz()


@pytest.mark.spark
def test_the_same_answers_on_spark(store: Path) -> None:
    """`kakehashi serve --engine spark` (issue 6 point 1): the same rows as on DuckDB, Spark's timeout."""
    from kakehashi.web import create_app

    # Fresh apps: the module's `app` has been shut down by schemathesis's run of its lifespan.
    app, spark_app = create_app(store, _settings()), create_app(store, _settings(engine="spark"))
    for url in (
        "/api/v1/indicators/collaboration?country=JP&years=2018-2020",
        "/api/v1/works?country=JP&year=2020&partner=US",
    ):
        duck, spark = get(app, url), get(spark_app, url)
        assert (duck.status_code, spark.status_code) == (200, 200), spark.text
        rows_d, rows_s = duck.json()["rows"], spark.json()["rows"]
        assert len(rows_d) == len(rows_s) > 0
        assert_same_rows(rows_d, rows_s)
    # every query starts Spark jobs: the longer limit applies (settings.py, web_timeout_spark = 300 s)
    assert spark_app.state.service.timeout == 300.0


def assert_same_rows(a: list[dict], b: list[dict]) -> None:
    """Rows equal, floats up to summation order (Spark adds in another order than DuckDB)."""

    def exact(r: dict) -> list[str]:
        return [str(v) for v in r.values() if not isinstance(v, float)]

    for x, y in zip(sorted(a, key=exact), sorted(b, key=exact), strict=True):
        assert x.keys() == y.keys()
        for k, v in x.items():
            assert (v == pytest.approx(y[k], rel=1e-9)) if isinstance(v, float) else (v == y[k]), k
