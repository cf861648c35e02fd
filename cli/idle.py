"""``devzone idle``: idle land (闲置土地) and the exit mechanism as of a date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from devzone.cli.common import (
    ConfigOption,
    DataAsOfOption,
    DbOption,
    EngineOption,
    QuietOption,
    SchedulerOption,
    command_line,
    console,
    open_db,
    progress,
)
from devzone.errors import InputError


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(
            f"--as-of must be a date like 2019-12-31, got {text!r}.", field="--as-of"
        ) from exc


def idle(
    as_of: Annotated[str, typer.Option("--as-of", help="As-of date (评估基准日), YYYY-MM-DD.")],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the ledger XLSX and the notices.")
    ] = Path("out/idle"),
    db: DbOption = None,
    config: ConfigOption = None,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    data_as_of: DataAsOfOption = None,
    quiet: QuietOption = False,
) -> None:
    """Judge idle land under the 2012 measures (闲置土地处置办法) as of a date: status of
    every parcel, idle fees, recovery candidates, government causes, supervision
    categories and the exit list (破产/停产/僵尸企业, 标准地承诺未达标). Writes the result
    tables, the ledger 闲置土地台账_<date>.xlsx and the notices of each idle parcel.
    With --data-as-of the inputs are read as they stood after that load."""
    from devzone.jobs.idle import run_idle
    from devzone.spatial import engine_context

    day = _parse_date(as_of)
    eng = open_db(db)
    try:
        with engine_context(engine, scheduler, db=eng), progress(f"闲置土地 {day}", quiet=quiet):
            result = run_idle(
                eng,
                as_of=day,
                config=config,
                out_dir=out,
                data_as_of=data_as_of,
                command=command_line("idle", as_of=day, data_as_of=data_as_of),
            )
    finally:
        eng.dispose()
    for label, value in result["headline"].items():
        console.print(f"{label}: [bold]{value}[/]")
    for path in result["outputs"]:
        kind = "Ledger 台账" if path.suffix == ".xlsx" else "Notices 文书"
        console.print(f"{kind}: {path}")


def register(app: typer.Typer) -> None:
    """Add ``devzone idle``."""
    app.command("idle")(idle)
