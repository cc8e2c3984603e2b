"""Capture "the answers" of kakehashi, so that a refactoring can show it changes none of them.

Usage::

    PYTHONPATH=src .venv/bin/python scripts/answers.py --out /tmp/answers-before [--quick]
    # … refactor …
    PYTHONPATH=src .venv/bin/python scripts/answers.py --out /tmp/answers-after [--quick]
    PYTHONPATH=src .venv/bin/python scripts/answers.py --compare /tmp/answers-before /tmp/answers-after

What it writes under ``--out``, one file per answer (``STORE/…``), for every store below:

- ``indicator/NAME[~VARIANT].{whole,fractional}.csv`` — every indicator the CLI offers
  (``kakehashi indicator NAME --store … --format csv``), with the option variants that
  change the answer (``--country``, ``--by field``, ``--level institution|root``,
  ``--careers author-affiliations``, ``--stage``, ``--visit-years``, ``--institution``,
  ``--network-top``, ``--period fiscal``, ``--preset nistep``, ``--country-scheme china``,
  ``--smooth``, ``--years``, ``--resamples 0``). Each indicator's first variant under both
  countings; its other variants too when that first answer depends on the counting (else
  whole only). On a hand-made sample only the indicators it is made for get variants;
- ``works/CELL.{whole,fractional}.csv`` — ``kakehashi works`` for a few cells;
- ``report/briefing.{ja,en}.txt`` — the text of ``kakehashi report --out X.html`` (charts' SVG,
  scripts and styles left out);
- ``web/page/…txt`` and ``web/chart/…json`` — the dashboard's pages (through FastAPI's
  TestClient on the app of ``kakehashi.web.create_app``, no socket): the page's visible text
  (the form's option lists left out) and the data rows of every Vega-Lite chart on it;
- ``web/api/…json`` — every JSON download link (``/api/v1/…``) of those pages, fetched, its
  ``provenance`` member left out (the parameters' names and the store are not answers), and
  ``web/api/meta.json`` with the store-specific values normalised.

A command that fails is an answer too: ``….error.txt`` holds its exit code and message.
The CLI runs in this process (``kakehashi.cli.main``), so one Python start serves every call.
``--jobs N`` answers N stores side by side (default 1: the machine has 2 cores).

Stores: the demo world of ``make demo`` (200,000 works, seed 1; left out by ``--quick``), the
demo worlds the tests build (20,000 works seed 11, 5,000 works seed 7), the hand-made samples
the tests' store fixtures build (``tests/test_*.py``, called with a temporary folder), and the
store ingested from the real OpenAlex records in ``../shared/data/openalex-works`` (left out,
with a message, when that folder is absent).

Normalisation, so that two runs at the same commit give the same bytes: CSV rows, chart rows
and every list of objects in a JSON answer are sorted (header first; after rounding, since ties
broken by a float's last bits come in either order); the co-authorship map's layout
coordinates (``x``, ``y``, ``x2``, ``y2`` of chart rows) are left out; every float (in CSV
cells and JSON) is rounded to 10 significant digits (sums in another order differ in the last
bits); the store's path, its ``store_version``, the
kakehashi version, ISO timestamps and today's date are replaced by ``<store>``,
``<store_version>``, ``<version>``, ``<timestamp>`` and ``<today>``. DuckDB runs one thread
(``KAKEHASHI_DUCKDB_THREADS=1`` unless set): with more, sums come in another order from run to
run, and a figure the pages or the briefing show rounded at a half (8.05) flips its last digit.

``index.tsv`` lists every answer with its sha256 and size. ``--compare A B`` prints the
answers that are missing on one side or differ (with the first differing lines) and exits 1
when any differ, 0 when all are identical.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import difflib
import hashlib
import html
import html.parser
import inspect
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
REAL_RECORDS = ROOT.parent / "shared" / "data" / "openalex-works"
FOCUS = "JP"

#: (name, works, seed) of the demo worlds; the first is `make demo`'s, skipped by --quick
DEMO_WORLDS = [("demo-200000-s1", 200_000, 1), ("demo-20000-s11", 20_000, 11), ("demo-5000-s7", 5_000, 7)]

#: (module, fixture, indicators whose option variants it is made for) of the tests' hand-made
#: samples; on a sample the other indicators are computed with their first variant only
SAMPLES = [
    ("test_cli", "store", ("coverage", "collaboration")),
    ("test_collab_types", "tables", ("collab-types",)),
    ("test_collaboration", "tables", ("coverage", "collaboration", "growth")),
    ("test_impact", "tables", ("impact",)),
    ("test_institutions", "store", ("institution-profile", "institution-partners", "partners")),
    ("test_mobility", "store", ("mobility-flows", "mobility-od", "mobility-classes")),
    ("test_network", "store", ("partner-network", "partners")),
    ("test_partners", "store", ("partners", "partner-network")),
    ("test_specialisation", "store", ("specialisation", "complementarity")),
    ("test_works", "hand_store", ()),
]

COUNTINGS = ("whole", "fractional")


# -- normalisation ----------------------------------------------------------------------------


def norm_float(x: float) -> float | str:
    if math.isnan(x) or math.isinf(x):
        return str(x)
    y = float(f"{x:.10g}")
    return 0.0 if abs(y) < 1e-12 else y  # a zero that a sum left as 1e-16


_NUM = re.compile(r"^-?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+)$")


def norm_cell(s: str) -> str:
    if _NUM.match(s):
        return repr(norm_float(float(s)))
    return s


def norm_json(v: Any) -> Any:
    if isinstance(v, float):
        return norm_float(v)
    if isinstance(v, dict):
        return {k: norm_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm_json(x) for x in v]
    return v


class Volatile:
    """The store-specific and run-specific strings of one store's answers."""

    def __init__(self, store: Path, version: str) -> None:
        self.pairs: list[tuple[str, str]] = []
        manifest = store / "manifest.json"
        if manifest.exists():
            sv = json.loads(manifest.read_text(encoding="utf-8")).get("store_version")
            if sv:
                self.pairs.append((str(sv), "<store_version>"))
        for p in sorted({str(store.resolve()), str(store)}, key=len, reverse=True):
            self.pairs.append((p, "<store>"))
        self.pairs.append((str(REAL_RECORDS), "<openalex-works>"))
        self.version = version
        today = dt.date.today()
        utc = dt.datetime.now(dt.UTC).date()
        self.days = sorted(
            {d.isoformat() for d in (today, utc)} | {f"{d.year}年{d.month}月{d.day}日" for d in (today, utc)}
        )

    def text(self, s: str) -> str:
        for a, b in self.pairs:
            s = s.replace(a, b)
        s = re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?", "<timestamp>", s)
        for d in self.days:
            s = s.replace(d, "<today>")
        s = re.sub(rf"(kakehashi[ _-]?(version)?[\s:=\"']*){re.escape(self.version)}\b", r"\g<1><version>", s)
        s = re.sub(rf"\bv{re.escape(self.version)}\b", "v<version>", s)
        return s

    def json(self, v: Any) -> Any:
        if isinstance(v, str):
            return self.text(v)
        if isinstance(v, dict):
            return {k: self.json(x) for k, x in v.items()}
        if isinstance(v, list):
            return [self.json(x) for x in v]
        if isinstance(v, float):
            return norm_float(v)
        return v


def csv_text(raw: str, vol: Volatile) -> str:
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff"))))
    if not rows:
        return ""
    head, body = rows[0], [[norm_cell(vol.text(c)) for c in r] for r in rows[1:]]
    body.sort()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(head)
    w.writerows(body)
    return out.getvalue()


def dumps(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


_BLOCK_TAGS = (
    "p div li tr h1 h2 h3 h4 h5 h6 br table section header footer nav figure figcaption caption ul ol "
    "dt dd th td title label option button a summary details"
)


class TextOf(html.parser.HTMLParser):
    """The visible text of an HTML page, a line per block; scripts, styles, SVG and <select> out."""

    SKIP = frozenset({"script", "style", "svg", "select", "noscript"})
    BLOCK = frozenset(_BLOCK_TAGS.split())

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)

    def text(self) -> str:
        lines = (re.sub(r"\s+", " ", ln).strip() for ln in "".join(self.parts).split("\n"))
        return "\n".join(ln for ln in lines if ln) + "\n"


def html_text(page: str) -> str:
    p = TextOf()
    p.feed(page)
    p.close()
    return p.text()


# -- the CLI, in this process (one Python start for hundreds of calls) -------------------------


_PRISTINE: dict[str, list[Any]] = {}


def kakehashi(*args: str) -> tuple[int, str, str]:
    """Run ``kakehashi ARGS`` through its entry point; (exit code, stdout, stderr)."""
    from kakehashi import cli
    from kakehashi.cli import main

    # The entry point registers its sub-commands on the Typer app at each call; put the app's
    # lists back as they were before the first call, else the app grows (and slows) call by call.
    for attr in ("registered_commands", "registered_groups"):
        lst = getattr(cli.app, attr, None)
        if isinstance(lst, list):
            _PRISTINE.setdefault(attr, list(lst))
            lst[:] = _PRISTINE[attr]
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except Exception as exc:  # a traceback is an answer too (and a bug)
            code = 99
            err.write(f"{type(exc).__name__}: {exc}\n")
    return code, out.getvalue(), err.getvalue()


# -- the answers ------------------------------------------------------------------------------


class Writer:
    def __init__(self, root: Path, name: str, store: Path, vol: Volatile) -> None:
        self.dir = root / name
        self.name = name
        self.store = store
        self.vol = vol
        self.count = 0
        self.errors = 0

    def put(self, rel: str, text: str) -> None:
        p = self.dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        self.count += 1

    def error(self, rel: str, code: int, err: str) -> None:
        self.errors += 1
        self.put(rel + ".error.txt", f"exit {code}\n{self.vol.text(err.strip())}\n")

    def cli_csv(self, rel: str, *args: str) -> str | None:
        """``kakehashi ARGS --format csv --out F``, written normalised at ``rel``.csv (and returned)."""
        _t0 = time.time()
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / "out.csv"
            code, _out, err = kakehashi(*args, "--store", str(self.store), "--format", "csv", "--out", str(f))
            if os.environ.get("ANSWERS_TIMING"):
                print(f"  {time.time() - _t0:5.2f} s {' '.join(args)}", file=sys.stderr)
            if code != 0 or not f.exists():
                self.error(rel, code, err)
                return None
            text = csv_text(f.read_text(encoding="utf-8"), self.vol)
        self.put(rel + ".csv", text)
        return text


def safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=,~-]+", "_", s).strip("_")


def variant_name(opts: list[str]) -> str:
    pairs, i = [], 0
    while i < len(opts):
        k = opts[i].lstrip("-")
        if i + 1 < len(opts) and not opts[i + 1].startswith("--"):
            pairs.append(f"{k}={opts[i + 1]}")
            i += 2
        else:
            pairs.append(k)
            i += 1
    return safe("~".join(pairs)) if pairs else ""


def rows_of(raw: str | None) -> list[dict[str, str]]:
    if not raw:
        return []
    return list(csv.DictReader(io.StringIO(raw.lstrip("\ufeff"))))


def indicator_names() -> list[str]:
    """The indicators the CLI offers: its message for an unknown name lists them."""
    code, _out, err = kakehashi("indicator", "no-such-indicator", "--store", str(ROOT / "-no-store-"))
    m = re.search(r"choose one of: (.*?)\.?\s*$", err.strip(), re.S)
    if not m:
        raise SystemExit(f"answers: cannot read the indicator names from the CLI (exit {code}): {err}")
    return [n.strip() for n in m.group(1).split(",") if n.strip()]


def span_of(w: Writer) -> tuple[int, int]:
    """The years with works of the focus country (else of the store), as a span of two years or more."""
    years: list[int] = []
    for args in (["collaboration", "--country", FOCUS], ["coverage"]):
        code, out, _err = kakehashi("indicator", *args, "--store", str(w.store), "--format", "csv")
        rows = rows_of(out if code == 0 else None)
        count = "p_whole" if args[0] == "collaboration" else "works"
        years = sorted(int(r["year"]) for r in rows if r.get("year") and float(r.get(count) or 0) > 0)
        if years:
            break
    if not years:
        return (2012, 2022)
    lo, hi = years[0], years[-1]
    return (lo, hi) if lo < hi else (lo - 1, hi)


def indicator_variants(names: list[str], span: str) -> dict[str, list[list[str]]]:
    c = ["--country", FOCUS]
    known: dict[str, list[list[str]]] = {
        "coverage": [[], ["--by", "field"], ["--period", "fiscal"], ["--years", span]],
        "collaboration": [
            [],
            c,
            ["--by", "field"],
            [*c, "--preset", "nistep"],
            [*c, "--period", "fiscal"],
            ["--country-scheme", "china", "--country", "CN"],
            [*c, "--smooth", "3"],
            [*c, "--years", span],
        ],
        "growth": [["--years", span], ["--years", span, "--by", "field"]],
        "collab-types": [[], c],
        "impact": [[], c, [*c, "--preset", "nistep"], [*c, "--resamples", "0"]],
        "partners": [[*c], [*c, "--years", span], [*c, "--level", "institution"], [*c, "--level", "root"]],
        "partner-network": [[*c, "--years", span], [*c, "--years", span, "--network-top", "5"]],
        "specialisation": [[], ["--years", span]],
        "complementarity": [c],
        "mobility-flows": [
            [],
            c,
            ["--careers", "author-affiliations"],
            ["--stage", "early"],
            ["--visit-years", "1"],
        ],
        "mobility-od": [
            [],
            c,
            ["--careers", "author-affiliations"],
            [*c, "--stage", "senior"],
            ["--visit-years", "3"],
        ],
        "mobility-classes": [[], ["--years", span], ["--careers", "author-affiliations"], ["--stage", "mid"]],
        "institution-profile": [
            c,
            [*c, "--level", "root"],
            [*c, "--careers", "author-affiliations"],
            [*c, "--years", span],
        ],
        "institution-partners": [c, [*c, "--level", "root"]],
    }
    return {n: known.get(n, [[], c]) for n in names}


def do_indicators(w: Writer, names: list[str], span: str, families: tuple[str, ...] | None) -> str | None:
    """Every indicator; its variants (all, or on a sample only those of ``families``) whole, and
    fractional too when its first variant's answer depends on the counting. The institution
    picked for the one-institution cells."""
    variants = indicator_variants(names, span)
    for name in names:
        first, *rest = variants[name]
        if families is not None and name not in families:
            rest = []
        answers = {}
        for counting in COUNTINGS:
            answers[counting] = w.cli_csv(
                indicator_rel(name, first, counting), "indicator", name, *first, "--counting", counting
            )
        both = answers["whole"] != answers["fractional"]
        for opts in rest:
            for counting in COUNTINGS if both else ("whole",):
                w.cli_csv(
                    indicator_rel(name, opts, counting), "indicator", name, *opts, "--counting", counting
                )
    prof = w.dir / (indicator_rel("institution-profile", ["--country", FOCUS], "whole") + ".csv")
    inst = pick_institution(rows_of(prof.read_text(encoding="utf-8"))) if prof.exists() else None
    if inst and (families is None or "institution-partners" in families):
        for name in ("institution-partners", "institution-profile"):
            if name in names:
                w.cli_csv(
                    indicator_rel(name, ["--institution", "picked"], "whole"),
                    "indicator",
                    name,
                    "--institution",
                    inst,
                )
    w.put("indicator/_picked-institution.txt", f"{inst}\n")
    return inst


def indicator_rel(name: str, opts: list[str], counting: str) -> str:
    v = variant_name(opts)
    return f"indicator/{name}{'~' + v if v else ''}.{counting}"


def pick_institution(rows: list[dict[str, str]]) -> str | None:
    best = None
    for r in rows:
        iid = r.get("institution_id")
        if not iid:
            continue
        key = (-float(r.get("works") or 0), iid)
        if best is None or key < best[0]:
            best = (key, iid)
    return best[1] if best else None


def top_partner(w: Writer) -> str:
    raw = w.dir / "indicator/partners~country=JP.whole.csv"
    rows = rows_of(raw.read_text(encoding="utf-8")) if raw.exists() else []
    rows = [r for r in rows if r.get("partner")]
    rows.sort(key=lambda r: (-float(r.get("n_ab") or 0), r["partner"]))
    return rows[0]["partner"] if rows else "US"


def do_works(w: Writer, span: str, inst: str | None, full: bool) -> None:
    last = span.split("-")[1]
    partner = top_partner(w)
    cells: list[list[str]] = [
        ["--country", FOCUS, "--year", last],
        ["--country", FOCUS, "--year", last, "--partner", partner],
        ["--country", FOCUS, "--year", last, "--collab-type", "intl_bilateral"],
        ["--country", FOCUS, "--year", last, "--scope", "intl", "--top", "top10"],
        ["--country", FOCUS, "--years", span, "--scope", "domestic"],
        ["--country", FOCUS, "--years", span, "--move-kind", "transfer", "--move-to", FOCUS],
        ["--country", FOCUS, "--years", span, "--mobility-class", "migrant"],
    ]
    if inst:
        cells.append(["--country", FOCUS, "--years", span, "--institution", inst])
        cells.append(["--country", FOCUS, "--years", span, "--institution", inst, "--level", "root"])
    for i, opts in enumerate(cells):
        v = variant_name(
            [o if o not in (partner, inst) else ("top" if o == partner else "picked") for o in opts]
        )
        # the weight column of the first cells under both countings (of every cell on the works sample)
        for counting in COUNTINGS if full or i < 4 else ("whole",):
            w.cli_csv(f"works/{v}.{counting}", "works", *opts, "--counting", counting)


def do_report(w: Writer, span: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        for lang in ("ja", "en"):
            f = Path(d) / f"briefing-{lang}.html"
            code, _o, err = kakehashi(
                "report",
                "--store",
                str(w.store),
                "--lang",
                lang,
                "--out",
                str(f),
                "--country",
                FOCUS,
                "--years",
                span,
            )
            if code != 0 or not f.exists():
                w.error(f"report/briefing.{lang}", code, err)
                continue
            w.put(f"report/briefing.{lang}.txt", w.vol.text(html_text(f.read_text(encoding="utf-8"))))


#: the co-authorship map's layout coordinates: Fruchterman–Reingold moves them by ~1e-4 when
#: the link weights differ in their last bits (fractional counting), so they are left out
LAYOUT_KEYS = frozenset({"x", "y", "x2", "y2"})


def sorted_rows(rows: list[Any], drop: frozenset[str] = frozenset()) -> list[Any]:
    """Rows normalised (floats rounded, ``drop`` keys out), then sorted: their order is not an answer."""
    out = [
        norm_json({k: v for k, v in r.items() if k not in drop} if isinstance(r, dict) else r) for r in rows
    ]
    return sorted(out, key=lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False))


def sort_lists(v: Any) -> Any:
    """Every list of objects in a JSON body normalised and sorted (the API's rows, meta's lists)."""
    if isinstance(v, dict):
        return {k: sort_lists(x) for k, x in v.items()}
    if isinstance(v, list):
        items = [sort_lists(x) for x in v]
        return sorted_rows(items) if items and all(isinstance(x, dict) for x in items) else items
    return norm_json(v)


def chart_data(spec: Any) -> Any:
    """Every inline data set of a Vega-Lite spec (``data.values``, ``datasets``), rows sorted."""
    found: list[Any] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "values" and isinstance(v, list) and path.endswith("data"):
                    found.append({"at": path, "rows": sorted_rows(v, LAYOUT_KEYS)})
                elif k == "datasets" and isinstance(v, dict):
                    for name, rows in sorted(v.items()):
                        found.append(
                            {"at": f"{path}/datasets/{name}", "rows": sorted_rows(rows, LAYOUT_KEYS)}
                        )
                else:
                    walk(v, f"{path}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}/{i}")

    walk(spec, "")
    return found


_SPEC = re.compile(r'<script type="application/json" id="spec-([^"]+)">(.*?)</script>', re.S)
_HREF = re.compile(r'href="(/api/v1/[^"]+)"')


def api_name(url: str) -> str:
    u = urllib.parse.urlsplit(url)
    q = sorted(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
    path = u.path.removeprefix("/api/v1/").replace("/", "_")
    return safe(path + ("~" + "~".join(f"{k}={v}" for k, v in q) if q else ""))


def do_web(w: Writer, span: str, inst: str | None) -> None:
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from fastapi.testclient import TestClient

    from kakehashi.web import create_app

    client = TestClient(create_app(w.store))
    last = span.split("-")[1]
    base = {"country": FOCUS, "years": span}
    pages: list[tuple[str, dict[str, str]]] = [
        ("/", {}),
        ("/", {"counting": "fractional"}),
        ("/", {"period": "fiscal"}),
        ("/partners", {}),
        ("/partners", {"counting": "fractional"}),
        ("/partners", {"network_top": "5"}),
        ("/quality", {}),
        ("/quality", {"counting": "fractional"}),
        ("/mobility", {}),
        ("/mobility", {"careers": "author-affiliations"}),
        ("/mobility", {"stage": "early"}),
        ("/mobility", {"visit_years": "1"}),
        ("/institutions", {}),
        ("/institutions", {"level": "root"}),
        ("/works", {"year": last}),
        ("/works", {"year": last, "scope": "intl", "top": "top10"}),
    ]
    if inst:
        pages.append(("/institutions", {"institution": inst}))
    api_urls: set[str] = set()
    for lang in ("ja", "en"):
        for path, extra in pages:
            q = {**base, **extra, "lang": lang}
            shown = {k: ("picked" if v == inst else v) for k, v in extra.items()}
            name = (
                safe((path.strip("/") or "overview") + "".join(f"~{k}={v}" for k, v in sorted(shown.items())))
                + f".{lang}"
            )
            r = client.get(path, params=q)
            page = r.text
            text = f"status {r.status_code}\n" + html_text(page)
            w.put(f"web/page/{name}.txt", w.vol.text(text))
            charts = {
                fid: chart_data(json.loads(html.unescape(s) if s.lstrip().startswith("&") else s))
                for fid, s in _SPEC.findall(page)
            }
            if charts:
                w.put(f"web/chart/{name}.json", dumps(w.vol.json(charts)))
            for href in _HREF.findall(page):
                href = html.unescape(href)
                if not re.search(r"\.(csv|xlsx)(\?|$)", href):
                    api_urls.add(href)
    for url in sorted(api_urls):
        r = client.get(url)
        try:
            body = r.json()
        except ValueError:
            body = {"text": r.text}
        if isinstance(body, dict):
            body.pop("provenance", None)
        body = sort_lists(body)
        name = api_name(re.sub(rf"\b{re.escape(inst)}\b", "picked", url) if inst else url)
        w.put(f"web/api/{name}.json", dumps({"status": r.status_code, "body": w.vol.json(body)}))
    for lang in ("ja", "en"):
        r = client.get("/api/v1/meta", params={"lang": lang})
        w.put(
            f"web/api/meta.{lang}.json",
            dumps({"status": r.status_code, "body": w.vol.json(sort_lists(r.json()))}),
        )


def answers_of(w: Writer, names: list[str], demo: bool, families: tuple[str, ...] | None) -> None:
    t0 = time.time()
    lo, hi = (2012, 2022) if demo else span_of(w)
    span = f"{lo}-{hi}"
    w.put("span.txt", span + "\n")
    inst = do_indicators(w, names, span, families)
    t1 = time.time()
    do_works(w, span, inst, full=families is None or families == ())
    t2 = time.time()
    do_report(w, span)
    t3 = time.time()
    do_web(w, span, inst)
    t4 = time.time()
    print(
        f"answers: {w.name}: {w.count} answers ({w.errors} errors) in {t4 - t0:.0f} s "
        f"(indicators {t1 - t0:.0f} s, works {t2 - t1:.0f} s, report {t3 - t2:.0f} s, web {t4 - t3:.0f} s)",
        file=sys.stderr,
    )


# -- the stores -------------------------------------------------------------------------------


class _Factory:
    """Enough of pytest's ``tmp_path_factory`` for the tests' store fixtures."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.n = 0

    def mktemp(self, name: str, numbered: bool = True) -> Path:
        self.n += 1
        p = self.base / f"{name}{self.n}"
        p.mkdir(parents=True)
        return p

    def getbasetemp(self) -> Path:
        return self.base


def build_sample(module: str, fixture: str, base: Path) -> Path:
    """The store a test module's fixture builds (found by its manifest under ``base``)."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    import importlib

    mod = importlib.import_module(module)
    fx = getattr(mod, fixture)
    fn: Callable[..., Any] = (
        fx._get_wrapped_function() if hasattr(fx, "_get_wrapped_function") else fx.__wrapped__
    )
    kwargs: dict[str, Any] = {}
    for p in inspect.signature(fn).parameters:
        if p == "tmp_path_factory":
            kwargs[p] = _Factory(base)
        elif p == "tmp_path":
            kwargs[p] = base / "tmp"
            kwargs[p].mkdir(parents=True)
        elif p == "engine":
            kwargs[p] = "duckdb"
        else:
            raise RuntimeError(f"{module}.{fixture} takes {p!r}, which this script cannot give")
    res = fn(**kwargs)
    if inspect.isgenerator(res):
        next(res)
    stores = sorted(m.parent for m in base.rglob("manifest.json"))
    if len(stores) != 1:
        raise RuntimeError(f"{module}.{fixture} built {len(stores)} stores under {base}")
    return stores[0]


#: (name, kind, arguments) of one store: ("demo", (works, seed)), ("sample", (module, fixture,
#: families)) or ("openalex", (folder,))
StoreSpec = tuple[str, str, tuple[Any, ...]]


def store_specs(quick: bool, only: set[str] | None) -> list[StoreSpec]:
    """The stores to answer for, the largest first (so that --jobs ends together)."""
    specs: list[StoreSpec] = []
    for name, n, seed in DEMO_WORLDS:
        if quick and n > 50_000:
            print(f"answers: {name} left out (--quick)", file=sys.stderr)
            continue
        specs.append((name, "demo", (n, seed)))
    for module, fixture, families in SAMPLES:
        specs.append((f"sample-{module.removeprefix('test_')}", "sample", (module, fixture, families)))
    if REAL_RECORDS.is_dir():
        specs.append(("openalex-real", "openalex", (str(REAL_RECORDS),)))
    else:
        print(f"answers: openalex-real left out: {REAL_RECORDS} is absent", file=sys.stderr)
    return [s for s in specs if not only or s[0] in only]


def answer_store(spec: StoreSpec, out: Path, version: str, names: list[str]) -> None:
    """Build one store in a temporary folder, write its answers under ``out``, drop the store."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    name, kind, a = spec
    with tempfile.TemporaryDirectory(prefix=f"kakehashi-answers-{name}-") as d:
        p = Path(d) / name
        families: tuple[str, ...] | None = None
        if kind == "demo":
            code, _o, err = kakehashi(
                "ingest", "demo", "--store", str(p), "--works", str(a[0]), "--seed", str(a[1])
            )
        elif kind == "openalex":
            code, _o, err = kakehashi("ingest", "openalex", "--store", str(p), a[0])
        else:
            families = a[2]
            try:
                p, code, err = build_sample(a[0], a[1], p), 0, ""
            except Exception as exc:  # the sample is gone or changed: say so, the compare shows it
                code, err = 1, f"{type(exc).__name__}: {exc}"
        if code != 0:
            print(f"answers: {name} not built: {err.strip()}", file=sys.stderr)
            (out / name).mkdir(parents=True, exist_ok=True)
            (out / name / "store.error.txt").write_text(f"exit {code}\n{err.strip()}\n", encoding="utf-8")
            return
        answers_of(Writer(out, name, p, Volatile(p, version)), names, kind == "demo", families)


def write_index(out: Path) -> int:
    lines = []
    for p in sorted(out.rglob("*")):
        if p.is_file() and p.name != "index.tsv":
            b = p.read_bytes()
            lines.append(f"{p.relative_to(out).as_posix()}\t{hashlib.sha256(b).hexdigest()}\t{len(b)}")
    (out / "index.tsv").write_text("answer\tsha256\tbytes\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def run(out: Path, quick: bool, only: set[str] | None, jobs: int) -> None:
    t0 = time.time()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    _code, version, _e = kakehashi("--version")
    version = version.strip().split()[-1]
    names = indicator_names()
    specs = store_specs(quick, only)
    if jobs <= 1:
        for spec in specs:
            answer_store(spec, out, version, names)
    else:
        import concurrent.futures
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            for f in [pool.submit(answer_store, spec, out, version, names) for spec in specs]:
                f.result()
    n = write_index(out)
    print(f"answers: {n} answers in {out} ({time.time() - t0:.0f} s)", file=sys.stderr)


# -- compare ----------------------------------------------------------------------------------


def index_of(d: Path) -> dict[str, str]:
    f = d / "index.tsv"
    if not f.exists():
        raise SystemExit(f"answers: {f} is missing (not a folder this script wrote)")
    rows = f.read_text(encoding="utf-8").splitlines()[1:]
    return {r.split("\t")[0]: r.split("\t")[1] for r in rows if r}


def compare(a: Path, b: Path, lines: int = 12) -> int:
    ia, ib = index_of(a), index_of(b)
    only_a, only_b = sorted(set(ia) - set(ib)), sorted(set(ib) - set(ia))
    differ = sorted(k for k in set(ia) & set(ib) if ia[k] != ib[k])
    for k in only_a:
        print(f"only in {a}: {k}")
    for k in only_b:
        print(f"only in {b}: {k}")
    for k in differ:
        print(f"\n=== differs: {k}")
        ta = (a / k).read_text(encoding="utf-8").splitlines()
        tb = (b / k).read_text(encoding="utf-8").splitlines()
        if k.endswith(".csv") and ta and tb and ta[0] != tb[0]:
            print(f"  header: {ta[0]}\n      vs: {tb[0]}")
        diff = list(difflib.unified_diff(ta, tb, str(a / k), str(b / k), n=0, lineterm=""))
        for ln in diff[:lines]:
            print("  " + ln[:300])
        if len(diff) > lines:
            print(f"  … {len(diff) - lines} more diff lines")
    n = len(only_a) + len(only_b) + len(differ)
    same = len(set(ia) & set(ib)) - len(differ)
    print(
        f"\nanswers: {same} identical, {len(differ)} differ, {len(only_a)} only in A, {len(only_b)} only in B"
    )
    return 1 if n else 0


def main() -> None:
    ap = argparse.ArgumentParser(
        prog="scripts/answers.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, help="Write the answers here (the folder is replaced).")
    ap.add_argument("--quick", action="store_true", help="Leave out the 200,000-work demo world.")
    ap.add_argument("--jobs", type=int, default=1, help="Stores answered side by side (default 1).")
    ap.add_argument("--only", help="Comma-separated store names (e.g. sample-partners,demo-5000-s7).")
    ap.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("DIR_A", "DIR_B"),
        help="Compare two folders written by --out; exit 1 when any answer differs.",
    )
    args = ap.parse_args()
    if args.compare:
        sys.exit(compare(*args.compare))
    if not args.out:
        ap.error("give --out DIR or --compare DIR_A DIR_B")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # One DuckDB thread: sums then add up in one order, so a figure shown rounded (8.05 → 8.0 or
    # 8.1) is the same from run to run; with more threads its last bits, and so its digit, vary.
    os.environ.setdefault("KAKEHASHI_DUCKDB_THREADS", "1")
    run(args.out, args.quick, set(args.only.split(",")) if args.only else None, args.jobs)


if __name__ == "__main__":
    main()
