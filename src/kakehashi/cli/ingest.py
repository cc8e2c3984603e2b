"""``kakehashi ingest demo|openalex|api|registry``: sources into a store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer

from kakehashi.cli.options import ENGINE, SPARK_MASTER
from kakehashi.errors import ConfigError

if TYPE_CHECKING:
    from kakehashi.cli.progress import RichProgress
    from kakehashi.ingest import IngestReport

app = typer.Typer(help="Bring data into a store.", no_args_is_help=True)

STORE = typer.Option(..., "--store", help="The store folder (created if missing).")
LANG = typer.Option("ja", "--lang", help="Language of messages: ja or en.")


def _report(report: IngestReport, store: Path, lang: str) -> None:
    from kakehashi.i18n import t

    typer.echo(
        t(
            "ingest.done",
            lang,
            files=report.files,
            records=report.records,
            skipped=report.skipped,
            works=report.works,
            no_country=report.works_without_country,
            store=store,
        )
    )
    for note in report.notes:
        typer.echo(f"  {note}")


def _progress(label: str) -> RichProgress:
    from kakehashi.cli.progress import RichProgress

    return RichProgress(label, enabled=sys.stderr.isatty())


@app.command("demo")
def demo(
    store: Path = typer.Option(None, "--store", help="The store folder to build."),
    works: int = typer.Option(200_000, "--works", min=1000, help="Number of works in the world."),
    seed: int = typer.Option(1, "--seed", help="Seed: the same seed gives the same world."),
    as_openalex: Path = typer.Option(
        None, "--as-openalex", help="Write the world as an OpenAlex snapshot folder instead of a store."
    ),
    lang: str = LANG,
) -> None:
    """Build the synthetic demo world (合成デモデータ) into a store, or as an OpenAlex snapshot."""
    from kakehashi.ingest import demo as demo_world

    if as_openalex is None and store is None:
        raise ConfigError("give --store DIR to build a store, or --as-openalex DIR to write a snapshot.")
    with _progress("demo") as p:
        if as_openalex is not None:
            report = demo_world.write_demo_openalex(as_openalex, works=works, seed=seed, progress=p)
            target = as_openalex
        else:
            from kakehashi.settings import Settings
            from kakehashi.store import Store

            st = Store.open(store, create=True)
            report = demo_world.build_demo(st, works=works, seed=seed, progress=p, settings=Settings.load())
            target = store
    _report(report, target, lang)


@app.command("openalex")
def openalex(
    sources: list[Path] = typer.Argument(
        ..., help="Snapshot folders, .jsonl/.jsonl.gz files, saved API pages."
    ),
    store: Path = STORE,
    on_error: str = typer.Option(
        "stop", "--on-error", help="stop (default: store untouched) or skip bad records."
    ),
    engine: str = ENGINE,
    spark_master: str = SPARK_MASTER,
    lang: str = LANG,
) -> None:
    """Ingest OpenAlex snapshot files, JSON Lines files or saved API pages.

    With --engine spark the files are parsed and normalised by Spark (a cluster
    with --spark-master); the store written is the same.
    """
    from kakehashi.ingest.openalex import ingest_openalex
    from kakehashi.settings import Settings
    from kakehashi.store import Store

    if on_error not in ("stop", "skip"):
        raise ConfigError(f"--on-error {on_error!r} must be stop or skip.")
    mode: Literal["stop", "skip"] = "skip" if on_error == "skip" else "stop"
    settings = Settings.load(engine=engine, spark_master=spark_master)
    with _progress("OpenAlex") as p:
        report = ingest_openalex(
            Store.open(store, create=True),
            sources,
            on_error=mode,
            progress=p,
            settings=settings,
            engine=settings.engine,
        )
    _report(report, store, lang)


@app.command("api")
def api(
    store: Path = STORE,
    filter: str = typer.Option(
        ..., "--filter", help="An OpenAlex works filter, e.g. institutions.country_code:JP."
    ),
    mailto: str = typer.Option(None, "--mailto", help="Your e-mail for OpenAlex's polite pool."),
    api_key: str = typer.Option(None, "--api-key", help="OpenAlex API key (never stored)."),
    max_records: int = typer.Option(None, "--max-records", help="Stop after this many records."),
    lang: str = LANG,
) -> None:
    """Fetch works from the live OpenAlex API (needs network); resumable."""
    from kakehashi.ingest.api import ingest_api
    from kakehashi.settings import Settings
    from kakehashi.store import Store

    settings = Settings.load(openalex_mailto=mailto, openalex_api_key=api_key)
    with _progress("OpenAlex API") as p:
        report = ingest_api(
            Store.open(store, create=True),
            filter=filter,
            settings=settings,
            progress=p,
            max_records=max_records,
        )
    _report(report, store, lang)


@app.command("registry")
def registry(
    files: list[Path] = typer.Argument(..., help="Programme registry files."),
    store: Path = STORE,
) -> None:
    """Ingest the programme registry (programmes, participants, targets)."""
    raise ConfigError(
        "the programme registry is not built yet: its format comes with the programme issues; "
        "no store was changed."
    )
