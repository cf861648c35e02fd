"""The demo pipeline (``devzone demo``): the whole flow on the bundled Lu'an sample.

Init an embedded GeoPackage, load the bundled sample (``data/sample/``) through the
ETL exactly as real exports would be loaded, run every analysis, and write maps and
reports into one folder. Progress reaches the caller through ``on_step``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from devzone.paths import data_path

__all__ = ["DEMO_AS_OF", "DEMO_YEAR", "SAMPLE_FILES", "run_demo", "sample_paths"]

#: Called with each step's name; returns a context manager around the step (a spinner).
StepHook = Callable[[str], AbstractContextManager[object]]


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


def _step(
    name: str, fn: Callable[[], dict[str, Any]], results: list, on_step: StepHook | None
) -> dict[str, Any]:
    t0 = time.perf_counter()
    with on_step(name) if on_step is not None else nullcontext():
        out = fn() or {}
    results.append((name, time.perf_counter() - t0, out))
    return out


def run_demo(
    out_dir: Path,
    *,
    year: int = DEMO_YEAR,
    as_of: dt.date = DEMO_AS_OF,
    on_step: StepHook | None = None,
) -> list[tuple[str, float, dict[str, Any]]]:
    """Run the whole pipeline into ``out_dir``; return ``[(step, seconds, result), ...]``."""
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine
    from devzone.etl.load import load_paths
    from devzone.jobs.corridor import run_corridor_report
    from devzone.jobs.idle import run_idle
    from devzone.jobs.maps import run_map
    from devzone.jobs.score import run_score
    from devzone.jobs.zones import run_zone_rank

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
        on_step,
    )

    def load() -> dict[str, Any]:
        summary = load_paths(engine, sample_paths(), kind="auto", rejects=out_dir / "rejects.csv")
        head = {
            k: getattr(summary, k)
            for k in ("read", "inserted", "updated", "unchanged", "rejected")
            if hasattr(summary, k)
        }
        return {"outputs": [out_dir / "rejects.csv"], "headline": head}

    _step("加载样例数据 ETL load of the bundled sample", load, results, on_step)
    _step(
        f"亩均效益评价 performance {year}",
        lambda: run_score(engine, year=year, out_xlsx=out_dir / f"亩均效益评价_{year}.xlsx"),
        results,
        on_step,
    )
    _step(  # proposes the cases too (land_case); the demo records no officer's event
        f"闲置土地 idle land as of {as_of}",
        lambda: run_idle(engine, as_of=as_of, out_dir=out_dir / "idle"),
        results,
        on_step,
    )
    _step(
        f"开发区排名 zone ranking {year}",
        lambda: run_zone_rank(engine, year=year, out_dir=out_dir / "zones"),
        results,
        on_step,
    )
    _step(
        f"合六经济走廊 corridor report {year}",
        lambda: run_corridor_report(engine, year=year, out_dir=out_dir / "corridor"),
        results,
        on_step,
    )
    for basemap in ("osm", "gaode"):
        _step(
            f"地图 map ({basemap})",
            lambda b=basemap: run_map(
                engine, year=year, as_of=as_of, basemap=b, out_html=out_dir / f"map_{b}.html"
            ),
            results,
            on_step,
        )
    from devzone.db.gpkg_meta import refresh_metadata

    refresh_metadata(engine)  # extents, Chinese data columns, views and styles of every layer
    engine.dispose()
    _step("QGIS 工程 QGIS project", lambda: qgis_project(db_path), results, on_step)
    return results


#: The system Python of Debian's ``python3-qgis`` and the script it runs.
QGIS_PYTHON = "/usr/bin/python3"
QGIS_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_qgis_project.py"


def qgis_project(db_path: Path) -> dict[str, Any]:
    """Store the QGIS project "devzone" in the GeoPackage, when PyQGIS is installed.

    Without QGIS (or outside a source checkout) nothing is written: the layers still open
    styled and with Chinese aliases, from the GeoPackage's own ``layer_styles``.
    """
    import os
    import subprocess

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    probe = [QGIS_PYTHON, "-c", "import qgis.core"]
    has_qgis = Path(QGIS_PYTHON).exists() and QGIS_SCRIPT.exists()
    if has_qgis:
        has_qgis = subprocess.run(probe, capture_output=True, env=env, check=False).returncode == 0
    if not has_qgis:
        return {"headline": {"QGIS": "未安装 python3-qgis: 未生成工程 (图层样式仍在库中)"}}
    res = subprocess.run(
        [QGIS_PYTHON, str(QGIS_SCRIPT), str(db_path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if res.returncode != 0:
        tail = (res.stderr or res.stdout).strip().splitlines()[-1:]
        return {"headline": {"QGIS": "工程未生成: " + " ".join(tail)}}
    return {"outputs": [db_path], "headline": {"QGIS 工程": "devzone (存于 GeoPackage)"}}
