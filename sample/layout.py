"""Synthetic geometry: zone boundaries and parcels (宗地) along a road grid.

Everything is laid out in CGCS2000 / 3-degree Gauss–Krüger CM 117°E without zone
prefix (EPSG:4548, :data:`LAYOUT_CRS`), metres.

* **Zones**: an axis-aligned rectangle (aspect 1.3 : 1) whose area is the zone's
  approved area (核准面积), centred on its catalog point. When the rectangle would
  cross its county's boundary it is moved toward the county's interior until it lies
  inside (so "clipped inside the county" never cuts a zone short of its area).
* **Parcels**: each zone is cut by east–west roads into rows and by north–south roads
  into blocks (road width 30 m, rows ~250 m deep, blocks ~800 m long at the default
  size). Parcel frontages are lognormal (σ 0.6, 3 % of parcels ×3 for a long tail),
  scaled so that the parcels fill every block; a parcel that would straddle a
  cross road is cut at the road and the sliver given to its neighbour. At the default
  2,400 parcels this gives mostly 10–200 亩 (median ~20 亩). For more parcels the grid
  shrinks by √(2400/N), so zones keep their approved area and parcels get smaller
  (the geography of a 1,000,000-parcel benchmark sample is not realistic).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from devzone.units import SRID

#: The sample is laid out in CGCS2000 Gauss–Krüger CM 117°E (Lu'an), whatever
#: ``DEVZONE_AREA_CRS`` says (the same seed gives the same files on every machine); its
#: shapefile is written as EPSG:4527 (same, zone prefix).
LAYOUT_CRS = "EPSG:4548"


__all__ = ["DEFAULT_PARCELS", "LAYOUT_CRS", "parcel_grid", "zone_parcel_counts", "zone_rectangles"]

DEFAULT_PARCELS = 2400
_ROAD_M = 30.0
_ROW_M = 250.0
_BLOCK_M = 800.0
_ASPECT = 1.3


def zone_rectangles(zones: pd.DataFrame, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One rectangle per zone, sized to ``approved_area_ha``, inside its county.

    Parameters
    ----------
    zones
        Catalog rows (``zone_code``, ``approved_area_ha``, ``lon_wgs84``,
        ``lat_wgs84``, ``district_code``).
    districts
        Boundaries with ``adcode`` (EPSG:4490).

    Returns
    -------
    geopandas.GeoDataFrame
        ``zone_code``, ``width_m``, ``height_m``, ``x_min``, ``y_max`` and the
        rectangle in EPSG:4548.
    """
    pts = gpd.GeoSeries(
        shapely.points(zones["lon_wgs84"].to_numpy(), zones["lat_wgs84"].to_numpy()), crs=SRID
    ).to_crs(LAYOUT_CRS)
    counties = districts.set_index("adcode").to_crs(LAYOUT_CRS).geometry
    area = zones["approved_area_ha"].to_numpy(dtype=float) * 1e4
    width = np.sqrt(area * _ASPECT)
    height = area / width
    rows = []
    for i, code in enumerate(zones["district_code"].astype(str)):  # 8 zones, not parcels
        county = counties.loc[code]
        p = np.array([pts.x.iloc[i], pts.y.iloc[i]])
        inner = shapely.get_coordinates(county.point_on_surface())[0]
        for t in np.linspace(0.0, 1.0, 41):
            c = p + t * (inner - p)
            rect = shapely.box(
                c[0] - width[i] / 2, c[1] - height[i] / 2, c[0] + width[i] / 2, c[1] + height[i] / 2
            )
            if county.contains(rect):
                break
        else:  # pragma: no cover - a county smaller than its zone
            rect = rect.intersection(county)
        x0, _, _, y1 = rect.bounds
        rows.append((x0, y1, rect))
    return gpd.GeoDataFrame(
        {
            "zone_code": zones["zone_code"].to_numpy(),
            "width_m": width,
            "height_m": height,
            "x_min": [r[0] for r in rows],
            "y_max": [r[1] for r in rows],
        },
        geometry=[r[2] for r in rows],
        crs=LAYOUT_CRS,
    )


def zone_parcel_counts(areas_ha: np.ndarray, total: int, minimum: int = 30) -> np.ndarray:
    """Split ``total`` parcels over zones in proportion to area (largest remainder)."""
    share = np.asarray(areas_ha, dtype=float) / float(np.sum(areas_ha))
    spare = total - minimum * len(share)
    raw = share * spare
    counts = np.floor(raw).astype(np.int64)
    left = spare - int(counts.sum())
    counts[np.argsort(-(raw - counts), kind="stable")[:left]] += 1
    return counts + minimum


def _cuts(widths: np.ndarray, seg_len: float, n_seg_total: int) -> np.ndarray:
    """Cumulative cut points along the zone's frontage, snapped to block ends."""
    cuts = np.cumsum(widths)
    cuts[-1] = seg_len * n_seg_total
    bounds = seg_len * np.arange(1, n_seg_total)
    i = np.searchsorted(cuts, bounds, side="right")
    i = np.minimum(i, len(cuts) - 1)
    start = np.where(i > 0, cuts[np.maximum(i - 1, 0)], 0.0)
    end = cuts[i]
    inside = (bounds > start) & (bounds < end)
    keep_before = inside & (bounds - start >= end - bounds)
    cuts[i[keep_before]] = bounds[keep_before]
    move_prev = inside & ~keep_before & (i > 0)
    cuts[i[move_prev] - 1] = bounds[move_prev]
    return cuts


def parcel_grid(
    rects: gpd.GeoDataFrame, counts: np.ndarray, rng: np.random.Generator, n_total: int
) -> pd.DataFrame:
    """Parcel boxes in every zone (vectorised within each zone).

    Returns
    -------
    pandas.DataFrame
        ``zone_idx``, ``local_idx``, ``row``, ``x0``, ``y0``, ``x1``, ``y1`` (EPSG:4548).
    """
    k = float(np.sqrt(min(1.0, DEFAULT_PARCELS / max(n_total, 1))))
    road, row_m, block_m = _ROAD_M * k, _ROW_M * k, _BLOCK_M * k
    parts = []
    for z, n in enumerate(counts):  # one pass per zone (8), vectorised inside
        w_z, h_z = rects["width_m"].iloc[z], rects["height_m"].iloc[z]
        x_min, y_max = rects["x_min"].iloc[z], rects["y_max"].iloc[z]
        n_rows = max(1, int((h_z + road) // (row_m + road)))
        depth = (h_z + road) / n_rows - road
        n_seg = max(1, round((w_z + road) / (block_m + road)))
        seg_len = (w_z + road) / n_seg - road
        cap = n_rows * n_seg
        n_eff = max(int(n), cap)  # at least one parcel per block
        w = rng.lognormal(0.0, 0.6, size=n_eff)
        w[rng.random(n_eff) < 0.03] *= 3.0
        w = w / w.sum() * seg_len * cap
        w = np.minimum(w, 0.9 * seg_len)
        w = w / w.sum() * seg_len * cap
        cuts = _cuts(w, seg_len, cap)
        start = np.concatenate([[0.0], cuts[:-1]])
        mid = (start + cuts) / 2
        g = np.minimum((mid // seg_len).astype(np.int64), cap - 1)
        x0l, x1l = start - g * seg_len, cuts - g * seg_len
        row, col = g // n_seg, g % n_seg
        gx = x_min + col * (seg_len + road)
        top = y_max - row * (depth + road)
        frame = pd.DataFrame(
            {
                "zone_idx": z,
                "row": row,
                "x0": gx + np.maximum(x0l, 0.0),
                "x1": gx + np.minimum(x1l, seg_len),
                "y0": top - depth,
                "y1": top,
            }
        )
        frame = frame[frame["x1"] - frame["x0"] > 1e-6 * seg_len]
        parts.append(frame.head(int(n)).reset_index(drop=True))
    out = pd.concat(parts, ignore_index=True)
    out["local_idx"] = out.groupby("zone_idx").cumcount()
    return out
