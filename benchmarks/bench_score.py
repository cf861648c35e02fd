"""Benchmark of ``devzone score`` (issue 5): 1,000,000 parcels / 300,000 firms < 10 s.

Steps (protocol in :mod:`benchmarks.common`):

``score``
    :func:`devzone.jobs.score.evaluate` on frames already in memory: land shares,
    indicators, scores, grades (this year and last, for the grade changes), per-parcel
    performance, intensity and the ranking list. Frames are synthetic and built here
    with numpy (n parcels, 0.3 n firms with two years of indicators, 0.8 n buildings,
    0.3 n progress records), outside the timed step. Target: < 10 s at 1M.
``score_db_read``
    :func:`devzone.jobs.score.load_inputs` from the GeoPackage with the sample of
    n parcels loaded through the ETL (cached by :func:`benchmarks.common.loaded_gpkg`,
    copied into the scratch folder); reported separately, no target. Only up to
    :data:`DB_MAX_N` parcels, since loading the sample is the ETL's benchmark, not this
    one.
``score_db_eval``, ``score_db_write``
    :func:`~devzone.jobs.score.evaluate` on those frames, and writing its four result
    tables back (:func:`devzone.db.io.write_frame`, the GeoPackage bulk path).

Run alone: ``python -m benchmarks --only score --sizes 10k,100k,1m``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import loaded_gpkg, measure, row

#: Largest sample read back from a GeoPackage in ``score_db_read``.
DB_MAX_N = 100_000
YEAR = 2019
TARGET_N = 1_000_000
TARGET_S = 10.0


def synthetic_frames(n: int, *, seed: int = 2019) -> dict[str, pd.DataFrame]:
    """In-memory tables shaped like ``load_inputs`` returns, for ``n`` parcels."""
    rng = np.random.default_rng(seed)
    n_firms = max(int(n * 0.3), 1)
    pcodes = np.char.add("P", np.arange(n).astype(str))
    fcodes = np.char.add("F", np.arange(n_firms).astype(str))
    zones = np.char.add("Z", rng.integers(0, 8, n).astype(str))
    industries = np.array(["C3311", "C2921", "C1310", "C3921", "C2614", "D4411", None])
    parcels = pd.DataFrame(
        {
            "parcel_code": pcodes,
            "supervision_no": np.char.add("S", np.arange(n).astype(str)),
            "zone_code": zones,
            "area_m2": rng.uniform(2000, 60000, n),
            "industry_code": rng.choice(industries, n),
            "far_min": rng.choice([np.nan, 1.0, 1.3], n),
            "committed_invest_wan_per_mu": rng.choice([np.nan, 300.0], n),
            "committed_tax_wan_per_mu": rng.choice([np.nan, 30.0], n),
            "committed_check_date": pd.to_datetime(
                rng.choice(np.array(["2019-06-30", "2021-06-30", "NaT"], dtype="M8[D]"), n)
            ),
        }
    )
    # 80% of parcels used: the first 0.3 n by one firm each, the rest by a random firm
    # (firms on several parcels), plus 5% of parcels shared with a second firm.
    used = rng.permutation(n)[: int(n * 0.8)]
    shared = used[rng.integers(0, len(used), int(n * 0.05))]
    link_parcels = np.concatenate([used, shared])
    link_firms = np.concatenate(
        [
            np.arange(n_firms),
            rng.integers(0, n_firms, len(used) - n_firms),
            rng.integers(0, n_firms, len(shared)),
        ]
    )
    links = pd.DataFrame(
        {
            "parcel_code": pcodes[link_parcels],
            "credit_code": fcodes[link_firms],
            "used_area_m2": np.where(rng.random(len(link_firms)) < 0.2, 1500.0, np.nan),
        }
    ).drop_duplicates(["parcel_code", "credit_code"])
    ind = []
    for year in (YEAR - 1, YEAR):
        ind.append(
            pd.DataFrame(
                {
                    "credit_code": fcodes,
                    "year": year,
                    "is_above_scale": rng.random(n_firms) < 0.4,
                    "tax_wan": rng.normal(300, 250, n_firms),
                    "revenue_wan": rng.uniform(50, 50000, n_firms),
                    "value_added_wan": rng.normal(2000, 1500, n_firms),
                    "energy_tce": rng.uniform(5, 5000, n_firms),
                    "emissions_t": rng.uniform(1, 100, n_firms),
                    "rd_wan": rng.uniform(0, 800, n_firms),
                    "employees": rng.integers(3, 2000, n_firms).astype(float),
                    "tech_invest_wan": rng.uniform(0, 500, n_firms),
                }
            )
        )
    enterprises = pd.DataFrame(
        {
            "credit_code": fcodes,
            "name": np.char.add("虚构企业", np.arange(n_firms).astype(str)),
            "industry_code": rng.choice(industries[:-1], n_firms),
            "is_above_scale": rng.random(n_firms) < 0.4,
            "status": rng.choice(
                ["operating", "suspended", "bankrupt"], n_firms, p=[0.9, 0.07, 0.03]
            ),
            "production_start_year": rng.integers(2000, 2020, n_firms),
        }
    )
    n_b = int(n * 0.8)
    buildings = pd.DataFrame(
        {
            "parcel_code": pcodes[rng.integers(0, n, n_b)],
            "floors": rng.integers(1, 6, n_b),
            "height_m": rng.uniform(4, 24, n_b),
            "floor_area_m2": np.where(rng.random(n_b) < 0.5, np.nan, rng.uniform(500, 20000, n_b)),
            "footprint_m2": rng.uniform(300, 8000, n_b),
            "use": rng.choice(np.array(["生产", "仓储", "行政办公", None]), n_b),
        }
    )
    n_pr = int(n * 0.3)
    progress = pd.DataFrame(
        {
            "supervision_no": parcels["supervision_no"].to_numpy()[rng.permutation(n)[:n_pr]],
            "parcel_code": None,
            "invested_wan": rng.uniform(100, 50000, n_pr),
        }
    )
    dev_zone = pd.DataFrame(
        {
            "zone_code": [f"Z{i}" for i in range(8)],
            "name": [f"虚构开发区{i}" for i in range(8)],
            "district_code": [f"34150{i % 4}" for i in range(8)],
        }
    )
    return {
        "parcels": parcels,
        "parcel_enterprise": links,
        "enterprise_indicator": pd.concat(ind, ignore_index=True),
        "enterprise": enterprises,
        "dev_zone": dev_zone,
        "building": buildings,
        "project_progress": progress,
    }


def bench(n: int, workdir: Path) -> list[dict[str, Any]]:
    """Time the pure scoring at ``n`` parcels (and the DB read up to DB_MAX_N)."""
    from devzone.jobs.score import evaluate, load_inputs, write_results
    from devzone.policy import load_policy

    policy = load_policy()
    frames = synthetic_frames(n)
    n_firms = len(frames["enterprise"])
    cpu0 = time.process_time()
    result, seconds, peak = measure(lambda: evaluate(frames, year=YEAR, policy=policy))
    cpu = time.process_time() - cpu0
    graded = int(result["enterprise_evaluation"]["grade"].isin(list("ABCD")).sum())
    rows = [
        row(
            "score",
            n,
            seconds,
            peak,
            target=f"< {TARGET_S:.0f} s at 1M parcels / 300k firms",
            ok=(seconds < TARGET_S) if n >= TARGET_N else None,
            firms=n_firms,
            graded=graded,
            cpu_seconds=round(cpu, 3),
            note="pure evaluation from in-memory frames (synthetic)",
        )
    ]
    del result, frames
    if n <= DB_MAX_N:
        try:
            path = loaded_gpkg(n, copy_to=workdir)
        except Exception as exc:  # sample generator or ETL not available
            rows.append(row("score_db_read", n, float("nan"), float("nan"), note=f"skipped: {exc}"))
            return rows
        import pyogrio  # noqa: F401  (before spatialite: see devzone.jobs.score)

        from devzone.db.engine import make_engine

        engine = make_engine(str(path))
        try:
            frames, seconds, peak = measure(lambda: load_inputs(engine))
            results, s_eval, p_eval = measure(lambda: evaluate(frames, year=YEAR, policy=policy))
            written, s_write, p_write = measure(lambda: write_results(engine, results, year=YEAR))
        finally:
            engine.dispose()
        rows.append(row("score_db_read", n, seconds, peak, note="load_inputs from GeoPackage"))
        rows.append(row("score_db_eval", n, s_eval, p_eval, note="evaluate on the loaded sample"))
        rows.append(
            row(
                "score_db_write",
                n,
                s_write,
                p_write,
                rows_written=written,
                note="the four result tables into the GeoPackage (write_frame)",
            )
        )
    return rows


if __name__ == "__main__":
    import sys
    import tempfile

    for size in [int(a) for a in sys.argv[1:]] or [100_000]:
        with tempfile.TemporaryDirectory() as tmp:
            for r in bench(size, Path(tmp)):
                print(r)
