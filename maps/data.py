"""What one map shows (地图数据): one frame per layer, handed to :mod:`devzone.maps.build`.

The frames are read and joined by the map job (:func:`devzone.jobs.maps.read_map_data`);
nothing here reads a database or computes a number. A layer whose table holds no rows
for the year / as-of date is ``None``, and a Chinese note in ``notes`` says why (the
legend lists the notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

__all__ = ["PARCEL_COLUMNS", "MapData"]

#: Columns of :attr:`MapData.parcels` (with the polygon geometry ``geom``, EPSG:4490).
PARCEL_COLUMNS: tuple[str, ...] = (
    "parcel_code",
    "holder",
    "zone_code",
    "zone_name",
    "area_mu",
    "grade",
    "tax_per_mu_wan",
    "enterprise_names",
    "far",
    "idle_status",
    "idle_fee_wan",
    "days_idle",
    "fit",
    "industry_name",
)


@dataclass
class MapData:
    """Frames behind one map; ``None`` where the layer is left out (see ``notes``).

    Attributes
    ----------
    parcels : GeoDataFrame or None
        One row per parcel with :data:`PARCEL_COLUMNS`: ``area_mu`` is the parcel's
        area in 亩 (registered, else measured by the job), ``grade`` is ``'none'``
        without an evaluation, ``idle_status`` / ``fit`` are vocabulary codes.
    zones : GeoDataFrame or None
        ``dev_zone`` rows: ``zone_code``, ``name``, ``level``, ``zone_type``,
        ``lead_industry``, ``main_industries``, ``approved_area_ha``.
    districts : GeoDataFrame or None
        ``district`` rows: ``adcode``, ``name``.
    corridor : GeoDataFrame or None
        ``corridor`` rows: ``name``.
    corridor_zones : Series or None
        ``zone_code`` of the corridor's member zones.
    zone_summary : DataFrame or None
        One row per zone (computed by the job): ``zone_code``, ``name``,
        ``lead_industry``, ``main_industries``, ``area_mu``, ``parcels``, ``share_a``,
        ``share_d`` (of the graded area), ``idle_area_mu``, ``idle_fee_wan``, ``rank``
        (text, ``None`` without a ``zone_evaluation`` row); missing numbers are NaN.
    city : str or None
        The city the map shows (its ``<title>``), e.g. ``六安市``.
    has_performance, has_idle, has_fit, has_intensity : bool
        Whether the parcels carry that year's grades, the as-of idle status, the
        industry fit, the FAR.
    notes : list of str
        Why a layer is left out (Chinese, shown in the legend).
    """

    parcels: gpd.GeoDataFrame | None = None
    zones: gpd.GeoDataFrame | None = None
    districts: gpd.GeoDataFrame | None = None
    corridor: gpd.GeoDataFrame | None = None
    corridor_zones: pd.Series | None = None
    zone_summary: pd.DataFrame | None = None
    city: str | None = None
    has_performance: bool = False
    has_idle: bool = False
    has_fit: bool = False
    has_intensity: bool = False
    notes: list[str] = field(default_factory=list)
