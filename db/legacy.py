"""TEMPORARY during the restructure: the old table I/O, removed once every job uses
:mod:`devzone.db.io` (read / parcels_with_contract / write_frame).

Read tables into (Geo)DataFrames and write analysis results back, on both backends.

Analyses are pure functions over DataFrames (``landuse/``, ``zones/``); this module
is the edge where they meet the database.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Engine, Table, delete, insert, inspect, select

from devzone.db.admin import all_tables, register_attribute_tables
from devzone.db.engine import gpkg_path
from devzone.db.io import table_of
from devzone.units import SRID

__all__ = ["read_parcels", "read_table", "to_records", "write_rows"]


def read_table(
    engine: Engine, name: str, *, columns: Sequence[str] | None = None
) -> pd.DataFrame | gpd.GeoDataFrame:
    """Read a whole table; spatial tables come back as a GeoDataFrame in EPSG:4490.

    Date columns come back as ``datetime64[ns]`` (NaT for missing), booleans as
    nullable ``boolean``; the ``fid`` and provenance columns are kept.
    """
    table = table_of(name)
    if name not in inspect(engine).get_table_names():
        raise KeyError(f"table {name!r} does not exist yet: run `devzone db init`")
    spatial = "geom" in table.c
    wanted = list(columns) if columns is not None else [c.name for c in table.c]
    if spatial and engine.dialect.name == "geopackage":
        import pyogrio

        attrs = [c for c in wanted if c not in ("geom", "fid")]
        df = pyogrio.read_dataframe(
            gpkg_path(str(engine.url)), layer=name, columns=attrs, fid_as_index=True
        )
        df.index.name = "fid"
        df = df.reset_index()
        if "fid" not in wanted:
            df = df.drop(columns="fid")
        if df.geometry.name != "geom":
            df = df.rename_geometry("geom")
        df = df.set_crs(SRID, allow_override=True)
    elif spatial:
        cols = ", ".join(f'"{c}"' for c in wanted if c != "geom")
        sql = f'SELECT {cols}{", " if cols else ""}ST_AsBinary(geom) AS geom FROM "{name}"'
        with engine.connect() as conn:
            df = gpd.read_postgis(sql, conn, geom_col="geom", crs=SRID)
    else:
        stmt = select(*[table.c[c] for c in wanted if c != "geom"])
        with engine.connect() as conn:
            df = pd.read_sql(stmt, conn)
    return _coerce_types(df, table)


def _coerce_types(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    from sqlalchemy import Boolean, Date, DateTime

    for col in table.c:
        if col.name not in df.columns:
            continue
        if isinstance(col.type, Date | DateTime):
            df[col.name] = pd.to_datetime(df[col.name], errors="coerce")
            if getattr(df[col.name].dt, "tz", None) is not None:
                df[col.name] = df[col.name].dt.tz_localize(None)
        elif isinstance(col.type, Boolean):
            df[col.name] = df[col.name].astype("boolean")
    return df


def read_parcels(engine: Engine) -> gpd.GeoDataFrame:
    """Parcels joined with their land-supply contract (宗地 + 供地结果).

    The parcel's own columns keep their names; the contract's columns that the
    parcel lacks are added (``price_wan``, ``agreed_start_date``, ``far_min`` …).
    ``land_supply.parcel_code`` links when the parcel carries no 电子监管号.
    """
    parcels = read_table(engine, "parcel")
    supply = read_table(engine, "land_supply")
    prov = {"src_file", "src_row", "batch_id", "loaded_at", "row_hash", "fid"}
    supply = supply.drop(columns=[c for c in supply.columns if c in prov])
    extra = [c for c in supply.columns if c not in parcels.columns or c == "supervision_no"]
    by_no = supply[extra].drop_duplicates("supervision_no")
    out = parcels.merge(by_no, on="supervision_no", how="left", suffixes=("", "_supply"))
    # Parcels without 电子监管号: link by the contract's 宗地代码.
    missing = out["supervision_no"].isna()
    if missing.any() and supply["parcel_code"].notna().any():
        by_code = supply.dropna(subset=["parcel_code"]).drop_duplicates("parcel_code")
        fill = out.loc[missing, ["parcel_code"]].merge(by_code, on="parcel_code", how="left")
        fill.index = out.index[missing]
        for c in extra:
            if c in fill.columns:
                out.loc[missing, c] = fill[c]
    return gpd.GeoDataFrame(out, geometry="geom", crs=SRID)


def _py(value: Any) -> Any:
    """A Python scalar SQLAlchemy can bind (NaN/NaT/NA → None, numpy → Python)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def to_records(df: pd.DataFrame, table: Table) -> list[dict[str, Any]]:
    """Rows of ``df`` restricted to ``table``'s columns, as bindable dicts.

    Date columns become ``datetime.date``; missing values become ``None``.
    """
    from sqlalchemy import Date

    cols = [c for c in table.c if c.name in df.columns and c.name != "fid"]
    data: dict[str, list[Any]] = {}
    for col in cols:
        series = df[col.name]
        if isinstance(col.type, Date) and not isinstance(col.type, dt.datetime):
            series = pd.to_datetime(series, errors="coerce")
            data[col.name] = [None if pd.isna(v) else v.date() for v in series]
        else:
            data[col.name] = [_py(v) for v in series.astype(object)]
    names = list(data)
    return [dict(zip(names, vals, strict=True)) for vals in zip(*data.values(), strict=True)]


def write_rows(
    engine: Engine,
    name: str,
    df: pd.DataFrame,
    *,
    replace_where: Mapping[str, Any] | None = None,
) -> int:
    """Replace an analysis result's rows in one transaction.

    Parameters
    ----------
    name
        Result table name (declared in ``landuse/tables.py`` or ``zones/tables.py``).
    df
        Rows to write; columns not in the table are ignored.
    replace_where
        Rows matching these column values are deleted first (e.g. ``{"year": 2019}``);
        ``None`` deletes every row (the result is recomputed whole).

    Returns
    -------
    int
        Number of rows written.
    """
    table = table_of(name)
    all_tables().create_all(engine, tables=[table], checkfirst=True)
    if engine.dialect.name == "geopackage":
        register_attribute_tables(engine)
    stmt = delete(table)
    for col, value in (replace_where or {}).items():
        stmt = stmt.where(table.c[col] == value)
    records = to_records(df, table)
    with engine.begin() as conn:
        conn.execute(stmt)
        if records:
            conn.execute(insert(table), records)
    return len(records)
