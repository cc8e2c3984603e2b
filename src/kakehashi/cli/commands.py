"""``kakehashi indicator|works|report|serve|demo``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import typer

from kakehashi.cli.options import (
    CAREERS,
    ENGINE,
    EXCEL,
    FIELD,
    FORMAT,
    LANG,
    OUT,
    PERIOD,
    SPARK_MASTER,
    STAGE,
    VISIT_YEARS,
    YEARS,
)
from kakehashi.errors import ConfigError, UnknownValueError

#: Contract indicators (DESIGN.md) and the issue that brings each one not built yet.
PLANNED: dict[str, int] = {}

DEFAULT_DEMO_STORE = Path("demo-store")


def indicator(
    name: str = typer.Argument(..., help="coverage, collaboration, growth, partners, impact, …"),
    store: Path = typer.Option(..., "--store", help="The store folder."),
    country: str = typer.Option(None, "--country", help="ISO code of the focus country, e.g. JP."),
    years: str = YEARS,
    field: int = FIELD,
    types: str = typer.Option(None, "--types", help="Document types, comma-separated (article,review)."),
    period: str = PERIOD,
    preset: str = typer.Option(None, "--preset", help="nistep: articles and reviews, 3-year averages."),
    smooth: int = typer.Option(None, "--smooth", help="Moving average over this many years (e.g. 3)."),
    counting: str = typer.Option("whole", "--counting", help="whole or fractional."),
    country_scheme: str = typer.Option(
        None, "--country-scheme", help="separate (default) or china (HK, MO → CN)."
    ),
    by: str = typer.Option(None, "--by", help="coverage/collaboration/growth broken down by: field."),
    level: str = typer.Option(
        "country",
        "--level",
        help="partners: country, institution or root; institution-profile/-partners: root rolls centres up.",
    ),
    institution: str = typer.Option(
        None, "--institution", help="institution-profile/-partners: one OpenAlex institution id (I…)."
    ),
    careers: str = CAREERS,
    stage: str = STAGE,
    visit_years: int = VISIT_YEARS,
    network_top: int = typer.Option(
        None, "--network-top", help="partner-network: partner countries on the map (5–50, default 20)."
    ),
    resamples: int = typer.Option(1000, "--resamples", help="Bootstrap resamples for stability intervals."),
    confidence: float = typer.Option(0.95, "--confidence", help="Level of the stability intervals."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap (same seed, same intervals)."),
    engine: str = ENGINE,
    spark_master: str = SPARK_MASTER,
    fmt: str = FORMAT,
    out: Path = OUT,
    excel: bool = EXCEL,
    lang: str = LANG,
) -> None:
    """Compute one indicator of DESIGN.md's contract over a store."""
    from kakehashi.indicators import INDICATORS

    if name not in INDICATORS:
        if name in PLANNED:
            raise ConfigError(
                f"indicator {name!r} is part of the contract but not built yet (issue {PLANNED[name]})."
            )
        known = ", ".join([*INDICATORS, *(p for p in PLANNED if p not in INDICATORS)])
        raise UnknownValueError(f"indicator {name!r} is unknown; choose one of: {known}.")
    from kakehashi.cli.output import write_result
    from kakehashi.engines import open_store
    from kakehashi.indicators import Scope
    from kakehashi.settings import Settings
    from kakehashi.store import Store

    settings = Settings.load(
        engine=engine,
        spark_master=spark_master,
        country_scheme=country_scheme,
        lang=lang,
        mobility_visit_max_years=visit_years,
    )
    scope = Scope.from_params(
        preset=preset,
        years=years,
        types=types,
        field=field,
        country=country,
        institution=institution,
        period=period,
        smooth=smooth,
        counting=counting,
        country_scheme=settings.country_scheme,
        by=by,
        level=level,
        careers=careers,
        stage=stage,
        visit_max_years=settings.mobility_visit_max_years,
        min_works_per_year=settings.mobility_min_works_per_year,
        tie_lookback=settings.mobility_tie_lookback,
        network_top=network_top,
        resamples=resamples,
        confidence=confidence,
        seed=seed,
    )
    st = Store.open(store)
    tables = open_store(st, settings.engine, settings)
    fn, _keys, _values = INDICATORS[name]
    result = fn(tables, scope).to_pyarrow()
    provenance: dict[str, Any] = {
        **st.provenance(),
        "indicator": name,
        "parameters": scope.as_dict(),
        "engine": settings.engine,
    }
    write_result(result, fmt=fmt, out=out, provenance=provenance, lang=settings.lang, excel=excel, title=name)


def works(
    store: Path = typer.Option(..., "--store", help="The store folder."),
    country: str = typer.Option(None, "--country", help="The figure's country (ISO code)."),
    year: int = typer.Option(None, "--year", help="The cell's year (calendar or fiscal, per --period)."),
    partner: str = typer.Option(None, "--partner", help="Only works also with this country."),
    collab_type: str = typer.Option(None, "--collab-type", help="intl_bilateral, …, single_author."),
    impact_scope: str = typer.Option(None, "--scope", help="Impact's scope: all, intl or domestic."),
    top: str = typer.Option(None, "--top", help="Only top papers: top10 or top1."),
    institution: str = typer.Option(
        None, "--institution", help="Only works with this OpenAlex institution (I…) among their affiliations."
    ),
    partner_institution: str = typer.Option(
        None, "--partner-institution", help="Only works with this institution (I…) abroad (partners' n_ab)."
    ),
    level: str = typer.Option(
        "institution", "--level", help="institution or root (--institution counts the units under it too)."
    ),
    move_kind: str = typer.Option(
        None,
        "--move-kind",
        help="mobility: works, in the move's year, of the authors with a transfer, visit or return.",
    ),
    move_from: str = typer.Option(None, "--move-from", help="mobility: the move leaves this country."),
    move_to: str = typer.Option(None, "--move-to", help="mobility: the move arrives in this country."),
    mobility_class: str = typer.Option(
        None,
        "--mobility-class",
        help="mobility: works, in --years, of the authors of this class (non_mobile, traveller, migrant, "
        "returnee) whose origin is --country.",
    ),
    careers: str = CAREERS,
    stage: str = STAGE,
    visit_years: int = VISIT_YEARS,
    years: str = YEARS,
    field: int = FIELD,
    types: str = typer.Option(None, "--types", help="Document types, comma-separated."),
    period: str = PERIOD,
    preset: str = typer.Option(None, "--preset", help="nistep: articles and reviews."),
    counting: str = typer.Option("whole", "--counting", help="whole or fractional (the weight column)."),
    country_scheme: str = typer.Option(None, "--country-scheme", help="separate or china (HK, MO → CN)."),
    limit: int = typer.Option(None, "--limit", help="At most this many works (default: all)."),
    engine: str = ENGINE,
    spark_master: str = SPARK_MASTER,
    fmt: str = FORMAT,
    out: Path = OUT,
    excel: bool = EXCEL,
    lang: str = LANG,
) -> None:
    """List the works behind a figure, with DOIs and the values that add up to it."""
    from kakehashi.cli.output import write_result
    from kakehashi.engines import open_store
    from kakehashi.indicators import Scope
    from kakehashi.indicators.scope import country_code, institution_id
    from kakehashi.indicators.works import Cell, works_behind
    from kakehashi.settings import Settings
    from kakehashi.store import Store

    settings = Settings.load(
        engine=engine,
        spark_master=spark_master,
        country_scheme=country_scheme,
        lang=lang,
        mobility_visit_max_years=visit_years,
    )
    scope = Scope.from_params(
        preset=preset,
        years=years,
        types=types,
        field=field,
        country=country,
        period=period,
        smooth=1,
        counting=counting,
        country_scheme=settings.country_scheme,
        level=level,
        careers=careers,
        stage=stage,
        visit_max_years=settings.mobility_visit_max_years,
        min_works_per_year=settings.mobility_min_works_per_year,
        tie_lookback=settings.mobility_tie_lookback,
    )
    cell = Cell(
        year=year,
        partner=country_code(partner, parameter="partner"),
        collab_type=collab_type,
        impact_scope=impact_scope,
        top=top,
        institution=institution_id(institution),
        partner_institution=institution_id(partner_institution, parameter="partner_institution"),
        move_kind=move_kind,
        move_from=country_code(move_from, parameter="move_from"),
        move_to=country_code(move_to, parameter="move_to"),
        mobility_class=mobility_class,
    )
    st = Store.open(store)
    expr = works_behind(open_store(st, settings.engine, settings), scope, cell)
    if limit is not None:
        expr = expr.limit(limit)
    result = expr.to_pyarrow()
    provenance: dict[str, Any] = {
        **st.provenance(),
        "indicator": "works",
        "parameters": {**scope.as_dict(), **{f"cell_{k}": v for k, v in dataclasses.asdict(cell).items()}},
        "engine": settings.engine,
    }
    write_result(
        result, fmt=fmt, out=out, provenance=provenance, lang=settings.lang, excel=excel, title="works"
    )


def report(
    store: Path = typer.Option(..., "--store", help="The store folder."),
    lang: str = LANG,
    out: Path = typer.Option(..., "--out", help="The report file: FILE.html (standalone) or FILE.pdf (A4)."),
    country: str = typer.Option("JP", "--country", help="The focus country."),
    years: str = typer.Option("2012-2022", "--years", help="The span of the growth and partner figures."),
    network_top: int = typer.Option(
        None, "--network-top", help="Partner countries on the co-authorship map (5–50, default 20)."
    ),
    engine: str = ENGINE,
    spark_master: str = SPARK_MASTER,
) -> None:
    """Write the briefing for a committee: key findings, charts, tables and methods."""
    from kakehashi.indicators.scope import country_code, parse_years
    from kakehashi.report import DEBIAN_PACKAGE, cjk_font, write_report
    from kakehashi.settings import Settings
    from kakehashi.store import Store

    settings = Settings.load(engine=engine, spark_master=spark_master, lang=lang)
    yr = parse_years(years)
    if yr is None or yr[0] == yr[1]:
        raise ConfigError(f"--years {years!r} must be a span like 2012-2022 (first < last).")
    if out.suffix.lower() == ".pdf" and cjk_font() is None:
        typer.echo(
            f"kakehashi: the Japanese font is missing (Debian package {DEBIAN_PACKAGE}); "
            "Japanese text in the PDF will not render.",
            err=True,
        )
    path = write_report(
        Store.open(store),
        lang=settings.lang,
        out=out,
        settings=settings,
        country=country_code(country, parameter="--country") or "JP",
        years=yr,
        network_top=network_top,
    )
    typer.echo(str(path))


def serve(
    store: Path = typer.Option(..., "--store", help="The store folder (read only)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    engine: str = ENGINE,
    spark_master: str = SPARK_MASTER,
    lang: str = typer.Option(None, "--lang", help="Default language of the pages: ja (default) or en."),
) -> None:
    """Serve the dashboard and the read-only JSON API over a store."""
    import uvicorn

    from kakehashi.settings import Settings
    from kakehashi.web import create_app

    settings = Settings.load(engine=engine, spark_master=spark_master, lang=lang)
    app = create_app(store, settings)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"kakehashi: serving {store} at http://{shown}:{port}/ (API /api/v1, docs /api/docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def demo(
    store: Path = typer.Option(DEFAULT_DEMO_STORE, "--store", help="Where the demo store lives."),
    works_n: int = typer.Option(200_000, "--works", help="Size of the demo world if it is built."),
    reports: Path = typer.Option(
        Path("reports"), "--reports", help="Where the briefing reports are written."
    ),
    no_serve: bool = typer.Option(False, "--no-serve", help="Print the figures and stop (no dashboard)."),
    no_report: bool = typer.Option(False, "--no-report", help="Skip writing the briefing reports."),
    country: str = typer.Option("JP", "--country", help="The focus country."),
    years: str = typer.Option("2012-2022", "--years", help="The span of the growth figures."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address the dashboard listens on."),
    port: int = typer.Option(8000, "--port", help="Port of the dashboard."),
    engine: str = ENGINE,
    spark_master: str = SPARK_MASTER,
    lang: str = LANG,
) -> None:
    """The main job: build the demo store if absent, show the S-4 headline, write the
    briefing in Japanese and English, then serve the dashboard."""
    from kakehashi.cli.headline import print_headline
    from kakehashi.errors import KakehashiError
    from kakehashi.indicators.scope import country_code, parse_years
    from kakehashi.settings import Settings
    from kakehashi.store import Store

    settings = Settings.load(engine=engine, spark_master=spark_master, lang=lang)
    focus = country_code(country) or "JP"
    yr = parse_years(years)
    assert yr is not None
    if not (store / "manifest.json").exists():
        from kakehashi.cli.progress import RichProgress
        from kakehashi.ingest import demo as demo_world

        typer.echo(f"building the demo store ({works_n:,} works) at {store} …", err=True)
        with RichProgress("demo", enabled=True) as p:
            demo_world.build_demo(Store.open(store, create=True), works=works_n, seed=1, progress=p)
    st = Store.open(store)
    print_headline(st, settings, country=focus, years=yr)
    if not no_report:
        from kakehashi.report import write_report

        reports.mkdir(parents=True, exist_ok=True)
        for lg in ("ja", "en"):
            for ext in ("html", "pdf"):
                out = reports / f"kakehashi-briefing-{lg}.{ext}"
                try:
                    write_report(st, lang=lg, out=out, settings=settings, country=focus, years=yr)
                except KakehashiError as exc:  # e.g. no Japanese font for the PDF: say so, go on
                    typer.echo(f"kakehashi: {out} not written: {exc}", err=True)
                    continue
                typer.echo(f"report: {out}")
    if not no_serve:
        serve(store=store, host=host, port=port, engine=engine, spark_master=spark_master, lang=lang)


def register(app: typer.Typer) -> None:
    app.command("indicator")(indicator)
    app.command("works")(works)
    app.command("report")(report)
    app.command("serve")(serve)
    app.command("demo")(demo)
