"""Options and helpers shared by every ``devzone`` subcommand."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:  # imported when a command runs, so `--help` answers at once
    from sqlalchemy import Engine

__all__ = [
    "ConfigOption",
    "DataAsOfOption",
    "DbOption",
    "EngineOption",
    "QuietOption",
    "SchedulerOption",
    "command_line",
    "console",
    "err_console",
    "open_db",
    "progress",
    "shown_db",
]

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="DEVZONE_DB",
        help="Database: a GeoPackage path/URL (gpkg:///landbase.gpkg, the default) or "
        "postgresql://user@host:5432/dbname for PostGIS. Env: DEVZONE_DB.",
        show_default=False,
    ),
]

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="A city's own policy TOML; its tables override the defaults in data/policy/.",
        exists=True,
        dir_okay=False,
    ),
]

EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where spatial joins and per-parcel steps run: local (one process, the "
        "default), dask (dask-geopandas on dask.distributed) or postgis (in the database).",
    ),
]

DataAsOfOption = Annotated[
    str | None,
    typer.Option(
        "--data-as-of",
        help="Data vintage: run on the database exactly as it stood after a load batch "
        "(a batch number, see `devzone db info`) or on a date (YYYY-MM-DD: the last load "
        "finished by then). Default: the data as it is now. The evaluation date "
        "(--as-of/--year) stays separate.",
        show_default=False,
    ),
]

SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="dask.distributed scheduler address (tcp://host:8786); without it "
        "--engine dask starts a LocalCluster on this machine.",
        show_default=False,
    ),
]


def command_line(command: str, **options: object) -> str:
    """The command as recorded with its results (``result_vintage.command``).

    Examples
    --------
    >>> command_line("idle", as_of="2019-12-31", data_as_of=None)
    'devzone idle --as-of 2019-12-31'
    """
    parts = [f"devzone {command}"]
    parts += [f"--{k.replace('_', '-')} {v}" for k, v in options.items() if v is not None]
    return " ".join(parts)


QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="No progress display (there is none either when the output is piped).",
    ),
]


def progress(step: str, *, quiet: bool = False) -> AbstractContextManager[object]:
    """A spinner with the step on a terminal; nothing with ``--quiet`` or when piped.

    Examples
    --------
    >>> with progress("亩均效益评价 2019", quiet=True):
    ...     pass
    """
    if quiet or not console.is_terminal:
        return nullcontext()
    return console.status(f"{step} …", spinner="dots")


def shown_db(db: str | None) -> str:
    """The database as a planner reads it: a GeoPackage as its file path, a server URL
    without its password."""
    from devzone.db.engine import gpkg_path, is_geopackage, redact, resolve_url

    url = resolve_url(db)
    return str(gpkg_path(url)) if is_geopackage(url) else redact(url)


def open_db(db: str | None, *, create: bool = False) -> Engine:
    """Open the database for a command (errors become one-paragraph messages)."""
    from devzone.db.engine import make_engine

    return make_engine(db, create=create)
