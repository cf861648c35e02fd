"""The ``devzone`` command.

Each subcommand lives in its own module under ``cli/`` and defines
``register(app: typer.Typer) -> None``; this module discovers and registers them in
:data:`ORDER` (then any others alphabetically), so adding a command touches one file.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click
import typer
from rich.markup import escape
from typer.core import TyperGroup

import devzone.cli as cli_pkg
from devzone import __version__
from devzone.cli.common import err_console
from devzone.errors import DevzoneError

ORDER = (
    "db",
    "users",
    "audit",
    "etl",
    "sample",
    "demo",
    "score",
    "idle",
    "cases",
    "zones",
    "admit",
    "report",
    "map",
)
_NOT_COMMANDS = {"main", "common", "failures"}
_STATE = {"debug": False}

#: Options whose value is never recorded (a database URL may carry a password).
_SECRET_OPTIONS = ("--db", "--password")


def command_text(args: list[str]) -> str:
    """The command as the audit trail records it: no database URL, no password.

    Examples
    --------
    >>> command_text(["score", "--year", "2019", "--db", "postgresql://u:pw@h/d"])
    'score --year 2019'
    >>> command_text(["etl", "load", "a.csv", "--db=postgresql://u:pw@h/d", "x://y"])
    'etl load a.csv'
    """
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in _SECRET_OPTIONS:
            skip = True
            continue
        if arg.startswith(tuple(f"{o}=" for o in _SECRET_OPTIONS)) or "://" in arg:
            continue
        out.append(arg)
    return " ".join(out)


class _Group(TyperGroup):
    """The root group: names the command for the audit trail before it runs."""

    def invoke(self, ctx: click.Context) -> object:
        """Set :func:`devzone.db.audit.set_command` from the command line, then run."""
        from devzone.settings import set_command

        args = [*getattr(ctx, "_protected_args", []), *ctx.args]
        set_command(command_text([str(a) for a in args]) or None)
        try:
            return super().invoke(ctx)
        finally:
            set_command(None)


app = typer.Typer(
    cls=_Group,
    name="devzone",
    help="devzone — 开发区工业用地 GIS: load land-registry exports into one database, "
    "evaluate land-use performance (亩均效益), find idle land (闲置土地), rank zones, "
    "report on the Hefei–Lu'an corridor (合六经济走廊) and draw offline maps.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
    debug: bool = typer.Option(
        False, "--debug", help="On an unexpected failure, write the traceback to devzone-debug.log."
    ),
) -> None:
    _STATE["debug"] = debug
    if version:
        typer.echo(f"devzone {__version__}")
        raise typer.Exit()


def _register_all() -> None:
    found = {m.name for m in pkgutil.iter_modules(cli_pkg.__path__)} - _NOT_COMMANDS
    for name in [*(n for n in ORDER if n in found), *sorted(found - set(ORDER))]:
        module = importlib.import_module(f"devzone.cli.{name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_all()


def run() -> None:
    """Console entry point: every failure becomes one paragraph, never a traceback.

    User errors exit with status 2, other failures (disk, locks, connections, bugs) with
    1; ``--debug`` writes the traceback of the latter to ``devzone-debug.log``.
    """
    try:
        app()  # standalone mode: typer handles --help, usage errors and exit codes
    except DevzoneError as exc:
        err_console.print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("Aborted.")
        sys.exit(130)
    except Exception as exc:
        from devzone.cli.failures import explain, write_debug_log

        message = explain(exc)
        if _STATE["debug"]:
            message += f" Traceback written to {write_debug_log(exc)}."
        err_console.print(f"[bold red]Error:[/] {escape(message)}", highlight=False)
        sys.exit(1)
