"""The command line (DESIGN.md "Command line"): ``kakehashi ingest|indicator|works|report|serve|demo``.

Heavy imports (ibis, duckdb, pyspark) happen inside the commands, so that
``kakehashi --help`` answers at once (STYLE.md 8). This is the one place,
with the web layer, that turns a :class:`~kakehashi.errors.KakehashiError`
into a message and an exit code; a user error never shows a traceback.
"""

from __future__ import annotations

import sys

import typer

from kakehashi._version import __version__
from kakehashi.errors import KakehashiError

__all__ = ["app", "main"]

app = typer.Typer(
    name="kakehashi",
    help="架け橋 kakehashi — evidence for international cooperation in science and technology.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kakehashi {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """架け橋 kakehashi — evidence for international cooperation in science and technology."""


def _register() -> None:
    from kakehashi.cli import commands, ingest

    app.add_typer(ingest.app, name="ingest")
    commands.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning kakehashi's errors into one line on stderr."""
    _register()
    # Typer handles its own usage errors (exit 2); ours propagate out of it.
    try:
        app(args=argv)
    except KakehashiError as exc:
        typer.echo(f"kakehashi: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("kakehashi: interrupted; the store was left as it was.", err=True)
        sys.exit(130)
