"""``devzone demo``: the whole pipeline on the bundled sample (:mod:`devzone.jobs.demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from devzone.cli.common import EngineOption, QuietOption, SchedulerOption, console, progress
from devzone.errors import ConfigError


def _print(results: list) -> None:
    table = Table(title="devzone demo — outputs 输出")
    for col in ("step 步骤", "s", "outputs 文件", "headline 要点"):
        table.add_column(col, overflow="fold")
    for name, seconds, out in results:
        outputs = "\n".join(str(p) for p in out.get("outputs", []))
        head = "\n".join(f"{k}: {v}" for k, v in out.get("headline", {}).items())
        table.add_row(name, f"{seconds:.1f}", outputs, head)
    console.print(table)


def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the GeoPackage, maps and reports.")
    ] = Path("out"),
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    quiet: QuietOption = False,
) -> None:
    """Run the whole pipeline on the bundled Lu'an sample (synthetic enterprises, real
    boundaries): load it through the ETL into out/landbase.gpkg, evaluate performance
    (2019), idle land (as of 2019-12-31), rank zones, report on the corridor and draw
    the maps. --engine dask runs the spatial joins on dask.distributed."""
    from devzone.jobs.demo import run_demo
    from devzone.spatial import engine_context

    if engine.strip().lower() == "postgis":
        raise ConfigError("devzone demo writes a GeoPackage: use --engine local or dask")
    with engine_context(engine, scheduler):
        results = run_demo(out, on_step=lambda name: progress(name, quiet=quiet))
    _print(results)
    console.print(
        f"Open [bold]{out / 'map_osm.html'}[/] in a browser; the database is "
        f"[bold]{out / 'landbase.gpkg'}[/] (QGIS opens it)."
    )


def register(app: typer.Typer) -> None:
    """Add ``devzone demo``."""
    app.command("demo")(demo)
