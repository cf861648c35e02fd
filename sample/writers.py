"""Byte-reproducible, streaming writers: CSV, XLSX, Shapefile and GeoPackage.

Every writer here produces the same bytes for the same frames, and the tabular and
vector writers take an iterable of chunks so a million-parcel sample is written in
constant memory:

* CSV: fixed encoding (a ``utf-8-sig`` BOM written once) and ``\\n`` line endings;
* XLSX: :func:`devzone.reports.xlsx.write_workbook`, then ``docProps/core.xml`` gets a fixed
  creation/modification time (xlsxwriter stamps "now" there) and the ZIP is rewritten
  with fixed entry times;
* Shapefile and GeoPackage: streamed through Arrow (:func:`pyogrio.write_arrow`: one
  layer creation, the GeoPackage spatial index built once at the end); the ``.dbf``
  header's last-update date (bytes 1–3) is set to :data:`FIXED_DATE` and GDAL's
  ``OGR_CURRENT_DATE`` fixes ``gpkg_contents.last_change``. GeoPackages are written as
  version 1.2 so that older GDAL/QGIS read them without a warning.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from pyproj import CRS

from devzone.reports.xlsx import write_workbook

__all__ = ["FIXED_DATE", "write_csv", "write_gpkg", "write_shapefile", "write_xlsx"]

#: Timestamp written wherever a file format records "when": the sample's as-of date.
FIXED_DATE = "2019-12-31T00:00:00Z"
_ZIP_TIME = (2019, 12, 31, 0, 0, 0)


def write_csv(path: Path, frames: Iterable[pd.DataFrame], encoding: str) -> Path:
    """CSV from chunks, header once, ``\\n`` line endings, in ``encoding``."""
    with open(path, "w", encoding=encoding, newline="") as fh:
        for i, df in enumerate(frames):
            df.to_csv(fh, index=False, header=i == 0, lineterminator="\n")
    return path


def _fix_xlsx(path: Path) -> None:
    """Fixed core-properties dates and ZIP entry times (xlsxwriter stamps "now")."""
    with zipfile.ZipFile(path) as zin:
        items = [(i, zin.read(i.filename)) for i in zin.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    rb"\g<1>" + FIXED_DATE.encode(),
                    data,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            zout.writestr(zi, data)


def write_xlsx(
    path: Path, sheets: Mapping[str, pd.DataFrame], notes: Mapping[str, str] | None = None
) -> Path:
    """:func:`devzone.reports.xlsx.write_workbook` made reproducible (fixed dates)."""
    write_workbook(path, sheets, notes=notes)
    _fix_xlsx(path)
    return path


@contextlib.contextmanager
def _fixed_gdal_date() -> Iterator[None]:
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def _arrow_stream(frames: Iterable[gpd.GeoDataFrame]) -> pa.RecordBatchReader:
    """GeoDataFrame chunks as one Arrow stream (attributes + WKB ``geometry``)."""
    it = iter(frames)

    def batches(gdf: gpd.GeoDataFrame) -> list[pa.RecordBatch]:
        attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        table = pa.Table.from_pandas(attrs, preserve_index=False)
        wkb = pa.array(shapely.to_wkb(gdf.geometry.to_numpy()), type=pa.binary())
        return table.append_column("geometry", wkb).to_batches()

    first = batches(next(it))
    schema = first[0].schema

    def stream() -> Iterator[pa.RecordBatch]:
        yield from first
        for gdf in it:
            for b in batches(gdf):
                yield b.cast(schema)

    return pa.RecordBatchReader.from_batches(schema, stream())


def write_gpkg(path: Path, frames: Iterable[gpd.GeoDataFrame], layer: str, *, epsg: int) -> Path:
    """One GeoPackage polygon layer from GeoDataFrame chunks (fixed dates, v1.2)."""
    path.unlink(missing_ok=True)
    with _fixed_gdal_date():
        pyogrio.write_arrow(
            _arrow_stream(frames),
            path,
            layer=layer,
            driver="GPKG",
            geometry_name="geometry",
            geometry_type="Polygon",
            crs=CRS.from_epsg(epsg).to_wkt(),
            dataset_options={"VERSION": "1.2"},
        )
    return path


def write_shapefile(
    path: Path, frames: Iterable[gpd.GeoDataFrame], *, epsg: int, encoding: str = "GBK"
) -> Path:
    """ESRI Shapefile from chunks in ``encoding`` (with ``.cpg``), fixed ``.dbf`` date."""
    for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        path.with_suffix(ext).unlink(missing_ok=True)
    pyogrio.write_arrow(
        _arrow_stream(frames),
        path,
        driver="ESRI Shapefile",
        geometry_name="geometry",
        geometry_type="Polygon",
        crs=CRS.from_epsg(epsg).to_wkt(),
        encoding=encoding,
    )
    dbf = path.with_suffix(".dbf")
    with dbf.open("r+b") as fh:
        fh.seek(1)
        fh.write(bytes([2019 - 1900, 12, 31]))
    return path
