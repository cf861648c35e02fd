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
    QuietOption,
    SchedulerOption,
    console,
    open_db,
    progress,
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


BasemapOption = Annotated[
    str | None,
    typer.Option(
        "--basemap",
        help="osm (OpenStreetMap, WGS84), gaode (高德, GCJ-02: the data is shifted to "
        "match), tianditu (天地图, CGCS2000: needs --tianditu-key) or none (plain "
        "background); default: [maps] default_basemap.",
        show_default=False,
    ),
]
TilesOption = Annotated[
    str | None,
    typer.Option(
        "--tiles",
        help="Basemap from a local XYZ tile folder (DIR/{z}/{x}/{y}.png, kept next to "
        "the HTML), an .mbtiles file (unpacked to <out>_tiles/ next to the HTML) or an "
        "intranet URL template; replaces --basemap. Tiles must be WGS84/CGCS2000.",
        show_default=False,
    ),
]
TiandituKeyOption = Annotated[
    str | None,
    typer.Option(
        "--tianditu-key",
        envvar="DEVZONE_TIANDITU_KEY",
        help="天地图 key (tk) for --basemap tianditu; or DEVZONE_TIANDITU_KEY.",
        show_default=False,
    ),
]


def map_command(  # noqa: PLR0913  (one parameter per command-line option)
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
    basemap: BasemapOption = None,
    tiles: TilesOption = None,
    tianditu_key: TiandituKeyOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    data_as_of: DataAsOfOption = None,
    quiet: QuietOption = False,
) -> None:
    """Write an offline interactive map: parcels by performance grade, idle land, zones
    by lead industry, industry misfits, the corridor and district boundaries, with a
    Chinese legend, popups, search, filters with CSV export, a zone summary, fullscreen,
    measure and scale controls. The HTML carries Leaflet and its plugins, so the data
    draws without network; online basemap tiles need one (a notice shows when they fail)."""
    from devzone.jobs.maps import map_period, run_map
    from devzone.policy import load_policy, replace
    from devzone.spatial import engine_context

    policy = load_policy(config)
    if tianditu_key:
        policy = replace(policy, maps=replace(policy.maps, tianditu_key=tianditu_key))
    eng = open_db(db)
    day = _parse_date(as_of, year or 0) if as_of else None  # year only fills a missing date
    year, day = map_period(eng, year=year, as_of=day)
    with engine_context(engine, scheduler, db=eng), progress(f"地图 {year}", quiet=quiet):
        result = run_map(
            eng,
            year=year,
            as_of=day,
            out_html=out,
            basemap=basemap,
            policy=policy,
            tiles=tiles,
            data_as_of=data_as_of,
        )
    for label, value in result["headline"].items():
        console.print(f"{label}: {value}", highlight=False)
    if result["network"]:
        note = (
            "the data draws offline, but the basemap tiles need network access "
            "(use --tiles DIR or --basemap none on a closed network)"
        )
    else:
        note = "no network needed"
    console.print(f"Wrote [bold]{out}[/]; open it in a browser ({note}).", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``devzone map``."""
    app.command("map")(map_command)
