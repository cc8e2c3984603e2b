"""``write_report``: figures → findings, charts, tables → HTML (Jinja2) → PDF (WeasyPrint)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kakehashi._version import __version__
from kakehashi.engines import open_store
from kakehashi.errors import ConfigError
from kakehashi.i18n import LANGS, country_name, describe_sources, field_name, t
from kakehashi.report.figures import Block, Figures, compute_figures
from kakehashi.report.findings import findings, span_words
from kakehashi.report.fonts import FONT_FAMILY
from kakehashi.strategy.headline import MAJOR_COUNTRIES

if TYPE_CHECKING:
    from kakehashi.settings import Settings
    from kakehashi.store import Store

__all__ = ["FORMATS", "render_html", "write_report"]

FORMATS = (".html", ".pdf")


def _pct(v: float | None, digits: int = 1) -> str:
    return "—" if v is None else f"{v * 100:.{digits}f}%"


def _num(v: float | None, digits: int = 0) -> str:
    return "—" if v is None else f"{v:,.{digits}f}"


def _snapshot(sources: list[dict[str, Any]], lang: str) -> str:
    out = []
    for s in sources:
        if s.get("snapshot_date"):
            out.append(t("report.snapshot_value.snapshot", lang, date=s["snapshot_date"]))
        elif s.get("record_dates"):
            d = s["record_dates"]
            first, last = (str(d.get(k) or "?")[:10] for k in ("min", "max"))
            out.append(t("report.snapshot_value.records", lang, first=first, last=last))
    return t("report.list_sep", lang).join(dict.fromkeys(out)) or t("report.snapshot_value.unknown", lang)


def _provenance(block: Block, f: Figures, meta: dict[str, Any], lang: str) -> str:
    s = block.scope
    parts = []
    if s.years is not None:
        a, b = s.years
        if s.smooth > 1:
            parts.append(span_words(b, s.smooth, lang))
        else:
            parts.append(
                t("report.prov.years", lang, a=a, b=b) if a != b else t("report.prov.year", lang, a=a)
            )
    parts.append(t(f"report.prov.counting_{s.counting}", lang))
    if s.smooth > 1:
        parts.append(t("report.prov.smooth", lang, k=s.smooth))
    parts.append(
        t("report.prov.types", lang, types=",".join(s.types)) if s.types else t("report.prov.types_all", lang)
    )
    if s.country is not None:
        parts.append(t("report.prov.country", lang, code=s.country))
    if "countries" in block.notes:
        parts.append(t("report.prov.countries", lang, codes=",".join(f.compare)))
    if "network_top" in block.notes:
        parts.append(t("report.prov.network_top", lang, n=s.network_top))
    if "min_works" in block.notes:
        parts.append(t("report.prov.min_works", lang))
    if block.indicator == "impact" and s.resamples > 0:
        parts.append(t("report.prov.resamples", lang, n=s.resamples, conf=s.confidence * 100, seed=s.seed))
    return t(
        "report.prov.line",
        lang,
        source=meta["source"],
        indicator=block.indicator,
        params=t("report.list_sep", lang).join(parts),
        version=__version__,
        store_version=meta["store_version"],
    )


def _table(
    columns: list[str], rows: list[list[str]], numeric: list[bool], prov: str, focus: set[int] | None = None
) -> dict[str, Any]:
    """A table as the template draws it; ``focus`` holds the indices of rows to emphasise."""
    return {"columns": columns, "rows": rows, "numeric": numeric, "prov": prov, "focus": focus or set()}


def _tables(f: Figures, meta: dict[str, Any], lang: str) -> dict[str, dict[str, Any]]:
    col = lambda c: t(f"column.{c}", lang)  # noqa: E731
    h = f.headline
    y1 = h.year_to
    head_block = Block("collaboration, growth", h.scope, h.rows, ("countries",))
    out = {
        "headline": _table(
            [
                col("country"),
                f"{col('p_whole')} {y1}",
                f"{col('p_frac')} {y1}",
                f"{col('p_intl')} {y1}",
                f"{col('pp_intl')} {y1}",
                col("cagr_intl"),
                col("cagr_whole"),
            ],
            [
                [
                    f"{country_name(r['country'], lang)} ({r['country']})",
                    _num(r["p_whole"]),
                    _num(r["p_frac"], 1),
                    _num(r["p_intl"]),
                    _pct(r["pp_intl"]),
                    _pct(r["cagr_intl"]),
                    _pct(r["cagr_whole"]),
                ]
                for r in h.rows
            ],
            [False, True, True, True, True, True, True],
            _provenance(head_block, f, meta, lang),
            {i for i, r in enumerate(h.rows) if r["country"] == f.country},
        ),
        "partners": _table(
            [col("partner"), col("n_ab"), col("share_of_intl"), col("assoc_strength"), col("cagr_ab")],
            [
                [
                    f"{country_name(r['partner'], lang)} ({r['partner']})",
                    _num(r["n_ab"]),
                    _pct(r["share_of_intl"]),
                    _num(r["assoc_strength"], 2),
                    _pct(r["cagr_ab"]),
                ]
                for r in f.partners.rows
            ],
            [False, True, True, True, True],
            _provenance(f.partners, f, meta, lang),
        ),
    }
    order = {c: i for i, c in enumerate(f.compare)}
    scopes = ("all", "intl", "domestic")
    q = sorted(f.quality.rows, key=lambda r: (order.get(r["country"], 99), scopes.index(r["scope"])))
    out["quality"] = _table(
        [
            col("country"),
            col("scope"),
            col("p"),
            col("pp_top10"),
            t("term.stability_interval", lang),
            col("mncs"),
            col("rank_top10"),
        ],
        [
            [
                f"{country_name(r['country'], lang)} ({r['country']})",
                t(f"value.scope.{r['scope']}", lang),
                _num(r["p"], 1),
                _pct(r["pp_top10"]),
                "—"
                if r["pp_top10_lo"] is None
                else t("report.interval", lang, lo=r["pp_top10_lo"] * 100, hi=r["pp_top10_hi"] * 100),
                _num(r["mncs"], 2),
                _num(r["rank_top10"]),
            ]
            for r in q
        ],
        [False, False, True, True, True, True, True],
        _provenance(f.quality, f, meta, lang),
        {i for i, r in enumerate(q) if r["country"] == f.country},
    )
    out["complement"] = _table(
        [
            col("field_id"),
            col("partner"),
            col("ai_country"),
            col("ai_partner"),
            col("pp_top10_partner"),
            col("score"),
        ],
        [
            [
                field_name(r["field_id"], lang),
                f"{country_name(r['partner'], lang)} ({r['partner']})",
                _num(r["ai_country"], 2),
                _num(r["ai_partner"], 2),
                _pct(r["pp_top10_partner"]),
                _num(r["score"], 3),
            ]
            for r in f.complement.rows
        ],
        [False, False, True, True, True, True],
        _provenance(f.complement, f, meta, lang),
    )
    if f.mobility is not None:
        cols = ["transfers_in", "transfers_out", "net_flow", "returns", "visits_out", "visits_in"]
        out["mobility"] = _table(
            [col("year"), *(col(c) for c in cols)],
            [[str(r["year"]), *(_num(r.get(c)) for c in cols)] for r in f.mobility.rows],
            [False, *([True] * len(cols))],
            _provenance(f.mobility, f, meta, lang),
        )
    return out


def _methods(f: Figures, meta: dict[str, Any], synthetic: bool, lang: str) -> list[dict[str, Any]]:
    m = lambda k, **kw: t(f"report.methods.{k}", lang, **kw)  # noqa: E731
    definitions = [m("pp_intl"), m("counting"), m("cagr"), m("partners"), m("impact"), m("complement")]
    if f.mobility is not None:
        definitions.append(m("mobility"))
    source = [
        m("source", source=meta["source"], snapshot=meta["snapshot"], store_version=meta["store_version"])
    ]
    if synthetic:
        source.append(m("synthetic"))
    return [
        {"heading": m("h_definitions"), "paragraphs": definitions},
        {"heading": m("h_source"), "paragraphs": source},
        {"heading": m("h_nistep"), "paragraphs": [m("nistep_db"), m("nistep_conventions")]},
    ]


def _context(store: Store, f: Figures, lang: str, made: dt.date) -> dict[str, Any]:
    from kakehashi.report.charts import captions, charts

    manifest = store.manifest
    sources = manifest.get("sources", [])
    synthetic = store.is_synthetic
    meta = {
        "source": describe_sources(sources, lang),
        "snapshot": _snapshot(sources, lang),
        "store_version": store.version,
    }
    sections = [
        ("collab", "report.sec_collab", ("trend", "growth"), ("headline",)),
        ("partners", "report.sec_partners", ("partners", "network"), ("partners",)),
        ("quality", "report.sec_quality", ("quality",), ("quality",)),
        ("complement", "report.sec_complement", (), ("complement",)),
    ]
    if f.mobility is not None:
        sections.append(("mobility", "report.sec_mobility", (), ("mobility",)))
    found = findings(f, lang)
    svgs = charts(f, lang)
    words = captions(f, lang)
    tables = _tables(f, meta, lang)
    chart_blocks = {
        "trend": f.trend,
        "growth": None,
        "partners": f.partners,
        "network": f.network,
        "quality": f.quality,
    }
    head_block = Block("growth", f.headline.scope, f.headline.rows, ("countries",))
    chart_prov = {k: _provenance(b or head_block, f, meta, lang) for k, b in chart_blocks.items()}
    name = country_name(f.country, lang)
    return {
        "lang": lang,
        "t": lambda key, **kw: t(key, lang, **kw),
        "title": t("report.title", lang, country=name),
        "subtitle": t("report.subtitle", lang),
        "synthetic": synthetic,
        "meta": meta,
        "made": made.isoformat(),
        "version": __version__,
        "font_family": FONT_FAMILY,
        "findings": [(t(key, lang), found[sid]) for sid, key, _c, _t in sections if sid in found],
        "sections": [
            {
                "id": sid,
                "heading": t(key, lang),
                "findings": found.get(sid, []),
                "charts": [
                    {"svg": svgs[c], "caption": words.get(c, []), "prov": chart_prov[c]}
                    for c in cs
                    if c in svgs
                ],
                "tables": [tables[x] for x in ts if x in tables and tables[x]["rows"]],
            }
            for sid, key, cs, ts in sections
        ],
        "methods": _methods(f, meta, synthetic, lang),
    }


def render_html(context: dict[str, Any]) -> str:
    """The report as one standalone HTML page (inline CSS and SVG, no network)."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("kakehashi.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    assert env.loader is not None
    css = env.loader.get_source(env, "report.css")[0]
    ctx = dict(context, css=Markup(css))
    for s in ctx["sections"]:
        for c in s["charts"]:
            c["svg"] = Markup(c["svg"])
    return env.get_template("report.html.j2").render(**ctx)


def write_report(
    store: Store,
    *,
    lang: str,
    out: Path,
    settings: Settings,
    country: str = "JP",
    years: tuple[int, int] = (2012, 2022),
    network_top: int | None = None,
    made: dt.date | None = None,
) -> Path:
    """Write the briefing report on ``store`` to ``out`` (``.html`` or ``.pdf``) in ``lang``.

    The findings, charts and tables come from one set of figures
    (:func:`~kakehashi.report.figures.compute_figures`); see ``docs/report.md``.
    ``network_top`` is the number of partner countries on the co-authorship
    map (5–50; default 20).
    Raises :class:`~kakehashi.errors.ConfigError` for an unknown language or
    file type, a store without the country's works, or an unwritable ``out``.
    """
    if lang not in LANGS:
        raise ConfigError(f"--lang {lang!r} must be one of {', '.join(LANGS)}.")
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(f"--out {out} must end in .html or .pdf.")
    tables = open_store(store, settings.engine, settings)
    compare = tuple(dict.fromkeys([country, *MAJOR_COUNTRIES]))
    f = compute_figures(tables, country=country, years=years, compare=compare, network_top=network_top)
    html = render_html(_context(store, f, lang, made or dt.date.today()))
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        if suffix == ".pdf":
            import weasyprint

            weasyprint.HTML(string=html, base_url=None).write_pdf(tmp)
        else:
            tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"cannot write the report to {out}: {exc.strerror}; choose another --out.") from exc
    return out
