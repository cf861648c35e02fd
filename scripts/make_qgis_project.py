#!/usr/bin/python3
"""Build the QGIS project of a devzone GeoPackage, headless (PyQGIS, no display needed).

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/make_qgis_project.py landbase.gpkg
    ... landbase.gpkg --beside        # write landbase.qgz next to the file instead
    ... landbase.gpkg --png map.png   # also render the project's layers to a PNG

Run by the system Python of Debian's ``python3-qgis`` (QGIS 3.22+); it needs nothing of
devzone. The project "devzone" is stored in the GeoPackage (``qgis_projects``; QGIS:
浏览器 → GeoPackage → 项目) with: 行政区划, 开发区 joined to its latest 开发区评价,
宗地最新评价 (``parcel_latest``), the latest 闲置土地认定, and the latest year's
亩均效益 tables — each filtered to the latest year or date. Styles and Chinese aliases
come from the GeoPackage's own ``layer_styles`` (written by devzone).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: (table, layer name, filter column: year or as_of_date, or None) in drawing order, top last.
LAYERS = (
    ("district", "行政区划", None),
    ("dev_zone", "开发区 (按首位产业)", None),
    ("corridor", "合六经济走廊", "year"),
    ("parcel_latest", "宗地最新评价 (亩均效益等级)", None),
    ("parcel_idle_status", "闲置土地认定 (最新一期)", "as_of_date"),
    ("parcel_performance", "宗地亩均效益 (最新年度)", "year"),
    ("enterprise_evaluation", "企业亩均效益评价 (最新年度)", "year"),
    ("zone_evaluation", "开发区评价 (最新年度)", "year"),
)


def _latest(gpkg: Path) -> dict[str, object]:
    """The latest year / as_of_date of each filtered table (absent or empty: no entry)."""
    con = sqlite3.connect(gpkg)
    present = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    out: dict[str, object] = {}
    for table, _, col in LAYERS:
        if col and table in present:
            value = con.execute(f'SELECT max("{col}") FROM "{table}"').fetchone()[0]
            if value is not None:
                out[table] = value
    con.close()
    return out


def _filter(col: str, value: object) -> str:
    return f'"{col}" = {value}' if isinstance(value, int) else f"\"{col}\" = '{value}'"


def build(gpkg: Path, *, beside: bool = False, png: Path | None = None) -> str:
    """Write the project; return where it went."""
    from qgis.core import (
        QgsApplication,
        QgsCoordinateReferenceSystem,
        QgsProject,
        QgsSettings,
        QgsVectorLayer,
        QgsVectorLayerJoinInfo,
    )

    app = QgsApplication([], False)
    app.initQgis()
    # Keep the GeoPackage one file: QGIS would switch it to WAL (-wal/-shm beside it,
    # lost when only the .gpkg is copied), and headless reopens then fail.
    QgsSettings().setValue("qgis/walForSqlite3", False)
    project = QgsProject.instance()
    project.setTitle("devzone 开发区工业用地")
    project.setCrs(QgsCoordinateReferenceSystem("EPSG:4490"))
    latest = _latest(gpkg)
    layers = {}
    con = sqlite3.connect(gpkg)
    present = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
    con.close()
    for table, name, col in LAYERS:
        if table not in present:
            continue
        layer = QgsVectorLayer(f"{gpkg}|layername={table}", name, "ogr")
        if not layer.isValid():
            raise SystemExit(f"QGIS cannot open {table} in {gpkg}")
        if col and table in latest:
            layer.setSubsetString(_filter(col, latest[table]))
        project.addMapLayer(layer)
        layers[table] = layer
    if "dev_zone" in layers and "zone_evaluation" in layers:
        join = QgsVectorLayerJoinInfo()
        join.setJoinLayer(layers["zone_evaluation"])
        join.setJoinFieldName("zone_code")
        join.setTargetFieldName("zone_code")
        join.setPrefix("评价_")
        join.setUsingMemoryCache(True)
        layers["dev_zone"].addJoin(join)
    if png is not None:
        render(project, [layers[t] for t, _, _ in reversed(LAYERS) if t in layers], png)
    target = str(gpkg.with_suffix(".qgz")) if beside else f"geopackage:{gpkg}?projectName=devzone"
    if not project.write(target):
        raise SystemExit(f"QGIS could not write the project to {target}")
    app.exitQgis()
    con = sqlite3.connect(gpkg)
    con.execute("PRAGMA journal_mode = DELETE")
    con.close()
    return target


def render(project, layers, png: Path) -> None:  # type: ignore[no-untyped-def]
    """Draw the feature layers (parcels over zones over districts) into a PNG."""
    from qgis.core import QgsMapRendererParallelJob, QgsMapSettings
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    drawn = [lyr for lyr in layers if lyr.isSpatial()]
    settings = QgsMapSettings()
    settings.setLayers(drawn)
    settings.setDestinationCrs(project.crs())
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setOutputSize(QSize(1200, 900))
    # the zones' extent (the parcels are inside them), else the bottom layer's
    zones = [lyr for lyr in drawn if lyr.name().startswith("开发区")]
    extent = (zones or drawn[-1:])[0].extent()
    extent.scale(1.05)
    settings.setExtent(extent)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    png.parent.mkdir(parents=True, exist_ok=True)
    job.renderedImage().save(str(png), "PNG")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gpkg", type=Path)
    parser.add_argument("--beside", action="store_true", help="write <gpkg>.qgz beside it")
    parser.add_argument("--png", type=Path, help="also render the layers to this PNG")
    args = parser.parse_args(argv)
    print(build(args.gpkg.resolve(), beside=args.beside, png=args.png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
