"""``devzone demo``: the whole pipeline on the bundled Lu'an sample, end to end.

Init an embedded GeoPackage, load the bundled sample (``data/sample/``) through the
ETL exactly as real exports would be loaded, run every analysis, and write maps and
reports into one folder.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from devzone.cli.common import EngineOption, SchedulerOption, console
from devzone.config import data_path
from devzone.errors import ConfigError

DEMO_YEAR = 2019
DEMO_AS_OF = dt.date(2019, 12, 31)

#: Load order of the bundled sample: boundaries first, then contracts and parcels,
#: then enterprises and what refers to them.
SAMPLE_FILES = (
    "districts.geojson",
    "zones.geojson",
    "supply_results.csv",
    "parcels.shp",
    "enterprise_indicators.xlsx",
    "parcel_enterprise.csv",
    "buildings.gpkg",
    "project_progress.xlsx",
)


def sample_paths(sample_dir: Path | None = None) -> list[Path]:
    """The bundled sample's export files in load order."""
    folder = sample_dir or data_path("sample")
    return [folder / name for name in SAMPLE_FILES if (folder / name).exists()]


def _step(name: str, fn: Callable[[], dict[str, Any]], results: list) -> dict[str, Any]:
    t0 = time.perf_counter()
    with console.status(f"{name} …"):
        out = fn() or {}
    results.append((name, time.perf_counter() - t0, out))
    return out


def run_demo(out_dir: Path, *, year: int = DEMO_YEAR, as_of: dt.date = DEMO_AS_OF) -> list:
    """Run the whole pipeline into ``out_dir``; return ``[(step, seconds, result), ...]``."""
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine
    from devzone.etl.load import load_paths
    from devzone.landuse.idle_job import run_idle
    from devzone.landuse.score_job import run_score
    from devzone.maps.job import run_map
    from devzone.zones.jobs import run_corridor_report, run_zone_rank

    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = out_dir / "landbase.gpkg"
    for stale in out_dir.glob("landbase.gpkg*"):
        stale.unlink()
    engine = make_engine(str(db_path), create=True)
    results: list = []
    _step(
        "数据库初始化 init database",
        lambda: {"outputs": [db_path], "headline": {"tables 表": len(init_db(engine))}},
        results,
    )

    def load() -> dict[str, Any]:
        summary = load_paths(
            engine, sample_paths(), kind="auto", rejects=out_dir / "rejects.csv", quiet=True
        )
        head = {
            k: getattr(summary, k)
            for k in ("read", "inserted", "updated", "unchanged", "rejected")
            if hasattr(summary, k)
        }
        return {"outputs": [out_dir / "rejects.csv"], "headline": head}

    _step("加载样例数据 ETL load of the bundled sample", load, results)
    _step(
        f"亩均效益评价 performance {year}",
        lambda: run_score(engine, year=year, out_xlsx=out_dir / f"亩均效益评价_{year}.xlsx"),
        results,
    )
    _step(
        f"闲置土地 idle land as of {as_of}",
        lambda: run_idle(engine, as_of=as_of, out_dir=out_dir / "idle"),
        results,
    )
    _step(
        f"开发区排名 zone ranking {year}",
        lambda: run_zone_rank(engine, year=year, out_dir=out_dir / "zones"),
        results,
    )
    _step(
        f"合六经济走廊 corridor report {year}",
        lambda: run_corridor_report(engine, year=year, out_dir=out_dir / "corridor"),
        results,
    )
    for basemap in ("osm", "gaode"):
        _step(
            f"地图 map ({basemap})",
            lambda b=basemap: run_map(
                engine, year=year, as_of=as_of, basemap=b, out_html=out_dir / f"map_{b}.html"
            ),
            results,
        )
    engine.dispose()
    return results


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
) -> None:
    """Run the whole pipeline on the bundled Lu'an sample (synthetic enterprises, real
    boundaries): load it through the ETL into out/landbase.gpkg, evaluate performance
    (2019), idle land (as of 2019-12-31), rank zones, report on the corridor and draw
    the maps. --engine dask runs the spatial joins on dask.distributed."""
    from devzone.spatial import engine_context

    if engine.strip().lower() == "postgis":
        raise ConfigError("devzone demo writes a GeoPackage: use --engine local or dask")
    with engine_context(engine, scheduler):
        results = run_demo(out)
    _print(results)
    console.print(
        f"Open [bold]{out / 'map_osm.html'}[/] in a browser; the database is "
        f"[bold]{out / 'landbase.gpkg'}[/] (QGIS opens it)."
    )


def register(app: typer.Typer) -> None:
    """Add ``devzone demo``."""
    app.command("demo")(demo)
