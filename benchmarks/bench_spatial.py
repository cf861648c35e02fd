"""Spatial engines side by side: local vs dask vs PostGIS at each size.

Steps (each engine's result is checked against the local one, tolerance 1e-9):

* ``footprint_share/<engine>`` — share of each parcel covered by building footprints;
* ``assign_by_location/<engine>`` — parcel holding each building's representative point;
* ``dask_startup`` — starting a 2-worker LocalCluster (paid once per command);
* ``…/dask`` uses the default LocalCluster (worker threads in this process);
  ``…/dask_processes`` worker processes, which pay for serialising the geometries
  as a real cluster would (only up to ``PROCESSES_MAX_N`` parcels);
* ``footprint_share/postgis_in_place`` — the same join on the ``parcel`` and
  ``building`` tables already in PostGIS (no upload), when the sample can be loaded.

Inputs come from ``devzone sample --parcels n`` (parcels.shp, buildings.gpkg). When the
sample generator is unavailable, a synthetic grid with two footprints per parcel
is used instead (noted in each row). ``peak_mb`` counts this process only: dask
workers and the PostgreSQL server hold memory of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from benchmarks.common import measure, pg_database, prepared, row
from devzone.units import SRID

TOLERANCE = 1e-9
DASK_WORKERS = 2
#: Largest n for which the dask engine is also measured with worker processes.
PROCESSES_MAX_N = 100_000
#: Database for the upload-then-join PostGIS engine (temporary tables only).
SCRATCH_DB = "devzone_bench_scratch"
#: The synthetic grid is laid out in metres of CGCS2000 GK CM 117°E (near 六安).
GRID_CRS = "EPSG:4548"


def synthetic(n: int, *, per_parcel: int = 2, seed: int = 2019) -> tuple[gpd.GeoDataFrame, Any]:
    """A grid of ``n`` parcels (60–115 m boxes) and ``per_parcel * n`` footprints."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0 = 420_000 + (i % side) * 120.0
    y0 = 3_400_000 + (i // side) * 120.0
    w, h = rng.uniform(60, 115, n), rng.uniform(60, 115, n)
    parcels = gpd.GeoDataFrame(
        {"parcel_code": pd.Series(i).map("P{:08d}".format)},
        geometry=shapely.box(x0, y0, x0 + w, y0 + h),
        crs=GRID_CRS,
    ).to_crs(SRID)
    m = n * per_parcel
    j = rng.integers(0, n, m)
    bx, by = x0[j] + rng.uniform(-10, 100, m), y0[j] + rng.uniform(-10, 100, m)
    bw, bh = rng.uniform(5, 30, m), rng.uniform(5, 30, m)
    buildings = gpd.GeoDataFrame(
        geometry=shapely.box(bx, by, bx + bw, by + bh), crs=GRID_CRS
    ).to_crs(SRID)
    return parcels, buildings


def inputs(n: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, str]:
    """Parcels (``parcel_code``) and buildings of the ``n``-parcel sample."""
    try:
        folder = Path(prepared("sample_dir", n))
    except RuntimeError as exc:  # no generator (or it failed): still measure the engines
        parcels, buildings = synthetic(n)
        reason = str(exc).strip().splitlines()[-1][:120]
        return parcels, buildings, f"synthetic grid (devzone sample unavailable: {reason})"
    parcels = gpd.read_file(folder / "parcels.shp", encoding="gbk")
    parcels = parcels.rename(columns={"ZDDM": "parcel_code"})[["parcel_code", "geometry"]]
    buildings = gpd.read_file(folder / "buildings.gpkg", layer="buildings")[["geometry"]]
    return parcels, buildings, "devzone sample"


def _check(got: pd.Series, ref: pd.Series) -> tuple[bool, float]:
    a, b = got.to_numpy(dtype=float), ref.to_numpy(dtype=float)
    same_nan = bool((np.isnan(a) == np.isnan(b)).all())
    diff = float(np.nanmax(np.abs(a - b), initial=0.0))
    return same_nan and diff <= TOLERANCE, diff


def _same_keys(got: pd.Series, ref: pd.Series) -> bool:
    return bool(got.astype("string").fillna("<NA>").equals(ref.astype("string").fillna("<NA>")))


@dataclass
class Local:
    """The local engine's results and timings, which every other engine must match."""

    parcels: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    share: pd.Series
    assign: pd.Series
    t_share: float
    t_assign: float
    extra: dict[str, Any]


def bench(n: int, workdir: Path) -> list[dict]:
    """Measure footprint_share and assign_by_location on every engine at ``n`` parcels."""
    from devzone.spatial import assign_by_location, footprint_share

    parcels, buildings, source = inputs(n)
    extra = {"note": f"{source}; {len(buildings):,} footprints"}
    rows: list[dict] = []

    ref_share, t_share, m_share = measure(lambda: footprint_share(parcels, buildings))
    rows.append(row("footprint_share/local", n, t_share, m_share, target="", **extra))
    ref_assign, t_assign, m_assign = measure(
        lambda: assign_by_location(buildings, parcels, "parcel_code")
    )
    rows.append(row("assign_by_location/local", n, t_assign, m_assign, target="", **extra))

    local = Local(parcels, buildings, ref_share, ref_assign, t_share, t_assign, extra)
    for processes in (False, True) if n <= PROCESSES_MAX_N else (False,):
        rows.extend(_dask_rows(n, local, processes=processes))
    rows.extend(_postgis_rows(n, local))
    return rows


def _dask_rows(n: int, local: Local, *, processes: bool) -> list[dict]:
    from devzone.spatial import assign_by_location, engine_context, footprint_share

    parcels, buildings, extra = local.parcels, local.buildings, local.extra
    ref_share, ref_assign = local.share, local.assign
    t_share, t_assign = local.t_share, local.t_assign
    target = "identical to local (1e-9)"
    rows: list[dict] = []
    name = "dask_processes" if processes else "dask"
    ctx = engine_context("dask", n_workers=DASK_WORKERS, threads_per_worker=1, processes=processes)
    with ctx as state:
        from devzone.spatial.dask import get_client

        _, t, m = measure(lambda: get_client(state))
        kind = "processes" if processes else "threads"
        rows.append(row(f"{name}_startup", n, t, m, note=f"LocalCluster, {DASK_WORKERS} {kind}"))
        share, t, m = measure(lambda: footprint_share(parcels, buildings))
        ok, diff = _check(share, ref_share)
        rows.append(
            row(
                f"footprint_share/{name}",
                n,
                t,
                m,
                baseline="local",
                baseline_seconds=t_share,
                target=target,
                ok=ok,
                max_diff=diff,
                **extra,
            )
        )
        got, t, m = measure(lambda: assign_by_location(buildings, parcels, "parcel_code"))
        rows.append(
            row(
                f"assign_by_location/{name}",
                n,
                t,
                m,
                baseline="local",
                baseline_seconds=t_assign,
                target=target,
                ok=_same_keys(got, ref_assign),
                **extra,
            )
        )
    return rows


def _postgis_rows(n: int, local: Local) -> list[dict]:
    from devzone.db.engine import make_engine
    from devzone.spatial import assign_by_location, engine_context, footprint_share

    parcels, buildings, extra = local.parcels, local.buildings, local.extra
    ref_share, ref_assign = local.share, local.assign
    t_share, t_assign = local.t_share, local.t_assign
    target = "identical to local (1e-9)"
    rows: list[dict] = []
    try:
        db = make_engine(pg_database(SCRATCH_DB))
    except Exception as exc:  # no server: report, do not fail the whole run
        return [
            row(
                "footprint_share/postgis",
                n,
                None,
                None,
                ok=None,
                note=f"PostGIS unavailable: {str(exc).splitlines()[0]}",
            )
        ]
    try:
        with engine_context("postgis", db=db):
            share, t, m = measure(lambda: footprint_share(parcels, buildings))
            ok, diff = _check(share, ref_share)
            rows.append(
                row(
                    "footprint_share/postgis",
                    n,
                    t,
                    m,
                    baseline="local",
                    baseline_seconds=t_share,
                    target=target,
                    ok=ok,
                    max_diff=diff,
                    note=extra["note"] + "; includes COPY of both layers",
                )
            )
            got, t, m = measure(lambda: assign_by_location(buildings, parcels, "parcel_code"))
            rows.append(
                row(
                    "assign_by_location/postgis",
                    n,
                    t,
                    m,
                    baseline="local",
                    baseline_seconds=t_assign,
                    target=target,
                    ok=_same_keys(got, ref_assign),
                    note=extra["note"] + "; includes COPY of both layers",
                )
            )
    finally:
        db.dispose()
    rows.extend(_in_place_rows(n, t_share, ref_share))
    return rows


def _in_place_rows(n: int, t_share: float, ref_share: pd.Series) -> list[dict]:
    """The join on tables already in PostGIS (needs the ETL to load the sample)."""
    from devzone.spatial import footprint_share_in_db

    try:
        url = prepared("loaded_postgis", n)
    except Exception as exc:  # loading is the ETL's business: report, keep the other rows
        return [
            row(
                "footprint_share/postgis_in_place",
                n,
                None,
                None,
                ok=None,
                note=f"skipped: could not load the sample into PostGIS "
                f"({type(exc).__name__}: {exc})",
            )
        ]
    from devzone.db.engine import make_engine

    db = make_engine(url)
    try:
        share, t, m = measure(lambda: footprint_share_in_db(db))
    finally:
        db.dispose()
    # the same parcels, matched by code (the DB orders them by fid)
    ok, diff = _check(share.reindex(ref_share.index), ref_share)
    return [
        row(
            "footprint_share/postgis_in_place",
            n,
            t,
            m,
            baseline="local",
            baseline_seconds=t_share,
            target="identical to local (1e-9)",
            ok=ok and len(share) == len(ref_share),
            max_diff=diff,
            note=f"{len(share):,} parcels in DB, no upload",
        )
    ]
