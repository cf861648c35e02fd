"""Benchmark of the idle-land status: 1,000,000 parcels and 2,000,000 building
footprints in under 60 s (issue 6).

The timed call is :func:`devzone.landuse.idle.idle_status` with buildings that carry no
parcel code (so they are placed by location) and parcels without a registered area (so
areas are measured in the projected CRS): the hardest case. Half the parcels carry an
actual start date; the footprint overlay (:func:`devzone.spatial.footprint_share`) runs
for the other half. Step ``idle_status`` (protocol in :mod:`benchmarks.common`); run::

    python -m benchmarks --only idle --sizes 10k,100k,1m
    python -m benchmarks.bench_idle 1000000      # alone, prints the time
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

TARGET_S = 60.0
TARGET_N = 1_000_000


def synthetic(n: int, seed: int = 2019) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``n`` square parcels on a grid near Lu'an and ``2n`` footprints inside them."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    size = 0.002  # degrees, about 190 m × 220 m
    x0 = 116.0 + (i % side) * size
    y0 = 31.3 + (i // side) * size
    parcels = gpd.GeoDataFrame(
        {
            "parcel_code": pd.Series(i).map("BP{:07d}".format),
            "supervision_no": pd.Series(i).map("BS{:07d}".format),
            "zone_code": "Z" + pd.Series(i % 8).astype(str),
            "supplied": True,
            "price_wan": rng.uniform(100, 5000, n).round(1),
            "agreed_start_date": pd.Timestamp("2016-01-01")
            + pd.to_timedelta(rng.integers(0, 1500, n), unit="D"),
            "actual_start_date": pd.NaT,
            "far_min": 1.0,
        },
        geometry=shapely.box(x0, y0, x0 + size * 0.95, y0 + size * 0.95),
        crs=4490,
    )
    started = rng.random(n) < 0.5
    parcels.loc[started, "actual_start_date"] = parcels.loc[started, "agreed_start_date"]
    # Two footprints per parcel, 5–35% of its side each way.
    j = np.repeat(i, 2)
    bw = size * rng.uniform(0.05, 0.35, 2 * n)
    bx = x0[j] + size * 0.05 + (np.arange(2 * n) % 2) * size * 0.45
    by = y0[j] + size * 0.05
    buildings = gpd.GeoDataFrame(
        {"floors": rng.integers(1, 6, 2 * n)},
        geometry=shapely.box(bx, by, bx + bw, by + bw),
        crs=4490,
    )
    return parcels, buildings


def _judge(parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> pd.DataFrame:
    """The timed call: :func:`idle_status` on 2019-12-31 with the shipped policy."""
    from devzone.landuse.idle import idle_status
    from devzone.policy import load_policy

    policy = load_policy()
    return idle_status(
        parcels,
        as_of="2019-12-31",
        policy=policy.idle,
        intensity=policy.intensity,
        buildings=buildings,
    )


def bench(n: int, workdir: Path) -> list[dict[str, Any]]:
    """One ``idle_status`` row of the benchmark protocol at ``n`` parcels."""
    from benchmarks.common import measure, row
    from devzone.vocab import IDLE_STATUSES

    parcels, buildings = synthetic(n)
    status, seconds, peak = measure(lambda: _judge(parcels, buildings))
    idle = int(status["status"].isin(IDLE_STATUSES).sum())
    print(f"idle_status: {n:,} parcels + {len(buildings):,} footprints: {seconds:.1f} s")
    return [
        row(
            "idle_status",
            n,
            seconds,
            peak,
            target=f"< {TARGET_S:.0f} s at 1M parcels + 2M footprints",
            ok=(seconds < TARGET_S) if n >= TARGET_N else None,
            footprints=len(buildings),
            idle=idle,
            note="pure status from in-memory frames (synthetic), footprints placed spatially",
        )
    ]


def run(sizes: list[int], out: dict) -> None:
    """Time :func:`idle_status` for each size; ``out[size] = seconds``."""
    for n in sizes:
        parcels, buildings = synthetic(n)
        t0 = time.perf_counter()
        status = _judge(parcels, buildings)
        seconds = time.perf_counter() - t0
        out[n] = seconds
        counts = status["status"].value_counts().to_dict()
        verdict = "OK" if n < TARGET_N or seconds < TARGET_S else "TOO SLOW"
        print(
            f"idle_status: {n:,} parcels + {len(buildings):,} footprints: {seconds:.1f} s "
            f"(target < {TARGET_S:.0f} s at 1,000,000) {verdict}; {counts}",
            flush=True,
        )


if __name__ == "__main__":
    results: dict = {}
    run([int(a) for a in sys.argv[1:]] or [1_000_000], results)
