"""``devzone map``: the planners' interactive map, one self-contained HTML file."""

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
    SchedulerOption,
    console,
    open_db,
)
from devzone.errors import InputError


def _parse_date(text: str | None, year: int) -> dt.date:
    if not text:
        return dt.date(year, 12, 31)
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(
            f"--as-of {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2019-12-31.",
            field="--as-of",
        ) from exc


def map_command(  # noqa: PLR0913 -- a typer command: one parameter per option
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            help="Year of the performance evaluation (亩均效益); default: the latest "
            "year evaluated in the database, else last year.",
            show_default=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="As-of date of the idle-land status (闲置土地), YYYY-MM-DD; default: "
            "the latest as-of date in the database, else 31 December of --year.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("map.html"),
    basemap: Annotated[
        str | None,
        typer.Option(
            "--basemap",
            help="osm (OpenStreetMap, WGS84), gaode (高德, GCJ-02: the data is shifted to "
            "match) or none (plain background); default: [maps] default_basemap.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    data_as_of: DataAsOfOption = None,
) -> None:
    """Write an offline interactive map: parcels by performance grade, idle land, zones
    by lead industry, industry misfits, the corridor and district boundaries, with a
    Chinese legend, popups, search, fullscreen, measure and scale controls. The HTML
    carries Leaflet and its plugins, so it opens without network (tiles are optional)."""
    from devzone.jobs.maps import map_period, run_map
    from devzone.spatial import engine_context

    eng = open_db(db)
    day = _parse_date(as_of, year or 0) if as_of else None  # year only fills a missing date
    year, day = map_period(eng, year=year, as_of=day)
    with engine_context(engine, scheduler, db=eng):
        result = run_map(
            eng,
            year=year,
            as_of=day,
            out_html=out,
            basemap=basemap,
            config=config,
            data_as_of=data_as_of,
        )
    for label, value in result["headline"].items():
        console.print(f"{label}: {value}", highlight=False)
    console.print(f"Wrote [bold]{out}[/]; open it in a browser (no network needed).")


def register(app: typer.Typer) -> None:
    """Add ``devzone map``."""
    app.command("map")(map_command)
