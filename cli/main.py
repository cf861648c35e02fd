"""The ``devzone`` command. Each subcommand lives in its own module under ``cli/``."""

from __future__ import annotations

import sys

import typer

from devzone import __version__
from devzone.cli import db
from devzone.cli.common import err_console
from devzone.errors import DevzoneError

app = typer.Typer(
    name="devzone",
    help="devzone — 开发区工业用地 GIS: load land-registry exports into one database, "
    "evaluate land-use performance (亩均效益), find idle land (闲置土地), rank zones, "
    "report on the Hefei–Lu'an corridor (合六经济走廊) and draw offline maps.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        typer.echo(f"devzone {__version__}")
        raise typer.Exit()


def run() -> None:
    """Console entry point: user errors become a one-paragraph message, exit status 2."""
    try:
        app(standalone_mode=False)
    except DevzoneError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("Aborted.")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors come through here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
