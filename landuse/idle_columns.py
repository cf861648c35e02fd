"""Reading the columns of idle-land units: a missing column reads as missing values.

The units judged for idleness come from several tables (宗地, 供地结果, 项目进度), so a
column may be absent (no progress records, no contract). These helpers give every rule
of :mod:`devzone.landuse.idle` the same reading: absent → all missing, text → ``None``
where missing, numbers → float, dates → ``datetime64`` (``NaT`` where missing); and
one reading of "one full year" (满一年), :func:`anniversary`.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from devzone.units import SRID

__all__ = [
    "anniversary",
    "as_geodataframe",
    "column",
    "date_column",
    "number_column",
    "text_column",
    "ymd",
]


def column(df: pd.DataFrame, name: str, default: Any = np.nan) -> pd.Series:
    """``df[name]``, or a column of ``default`` indexed like ``df`` when it is absent.

    Examples
    --------
    >>> column(pd.DataFrame({"a": [1]}), "b", None).isna().tolist()
    [True]
    """
    if name in df.columns:
        return df[name]
    return pd.Series(default, index=df.index, dtype=object if default is None else None)


def date_column(df: pd.DataFrame, name: str) -> pd.Series:
    """A date column as ``datetime64`` (``NaT`` where missing, unreadable or absent).

    Examples
    --------
    >>> date_column(pd.DataFrame({"d": ["2019-12-31", None]}), "d").tolist()
    [Timestamp('2019-12-31 00:00:00'), NaT]
    """
    return pd.to_datetime(column(df, name, pd.NaT), errors="coerce")


def number_column(df: pd.DataFrame, name: str) -> pd.Series:
    """A numeric column as float (NaN where missing, unreadable or absent).

    Examples
    --------
    >>> number_column(pd.DataFrame({"x": ["1.5", "?"]}), "x").tolist()
    [1.5, nan]
    """
    return pd.to_numeric(column(df, name), errors="coerce").astype(float)


def text_column(df: pd.DataFrame, name: str) -> pd.Series:
    """A text column as objects, ``None`` where missing or absent.

    Examples
    --------
    >>> text_column(pd.DataFrame({"t": ["甲", np.nan]}), "t").tolist()
    ['甲', None]
    """
    s = column(df, name, None)
    return s.astype(object).where(s.notna(), None)


def ymd(dates: pd.Series) -> pd.Series:
    """Dates written ``YYYY-MM-DD`` (empty text where missing), for sentences.

    Examples
    --------
    >>> ymd(pd.Series(pd.to_datetime(["2016-02-29", None]))).tolist()
    ['2016-02-29', '']
    """
    return dates.dt.strftime("%Y-%m-%d").astype(object).fillna("")


def as_geodataframe(df: pd.DataFrame) -> gpd.GeoDataFrame | None:
    """``df`` as a GeoDataFrame on its ``geom`` column (EPSG:4490 when it has no CRS).

    ``None`` when ``df`` has no geometry.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> as_geodataframe(pd.DataFrame({"geom": [Point(116.5, 31.7)]})).crs.to_epsg() == SRID
    True
    >>> as_geodataframe(pd.DataFrame({"x": [1]})) is None
    True
    """
    if isinstance(df, gpd.GeoDataFrame):
        return df if df.crs is not None else df.set_crs(SRID)
    if "geom" in df.columns:
        return gpd.GeoDataFrame(df, geometry="geom", crs=SRID)
    return None


def anniversary(dates: pd.Series, years: int) -> pd.Series:
    """``dates`` plus ``years`` full calendar years (满 N 年), the Order 53 reading.

    The pandas ``DateOffset`` (``dateutil.relativedelta``) rule: 29 February plus one
    year is 28 February.

    Examples
    --------
    >>> anniversary(pd.Series(pd.to_datetime(["2016-02-29", "2018-12-31"])), 1).tolist()
    [Timestamp('2017-02-28 00:00:00'), Timestamp('2019-12-31 00:00:00')]
    """
    return dates + pd.DateOffset(years=years)
