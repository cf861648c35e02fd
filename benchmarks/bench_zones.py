"""Benchmark of the zone analyses (issue 7): industry fit, zone indicators, corridor.

Issue 7 sets no performance target; the project target used here is that each step
over 1,000,000 parcels (with 1,000,000 buildings and 500,000 firms × 2 years) stays
under 30 s on one core, so a city-wide ranking is interactive. Steps (protocol in
:mod:`benchmarks.common`): ``zone_fit`` (:func:`devzone.zones.fit.parcel_industry_fit`
+ :func:`~devzone.zones.fit.zone_fit_shares`), ``zone_indicators``
(:func:`devzone.zones.indicators.zone_indicators`) and ``corridor_contribution``
(:func:`devzone.zones.contribution.corridor_contribution`). Run::

    python -m benchmarks --only zones --sizes 10k,100k,1m
    python -m benchmarks.bench_zones 100000      # alone, prints the times
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TARGET_S = 30.0
TARGET_N = 1_000_000
CODES = np.array(["3670", "3411", "3011", "1310", "2710", "3982", "2110", "3311"])


def synthetic(n: int, seed: int = 2019) -> dict[str, pd.DataFrame]:
    """``n`` parcels in 8 zones, one building each, ``n/2`` firms with two years."""
    rng = np.random.default_rng(seed)
    zones = pd.DataFrame(
        {
            "zone_code": [f"Z{i}" for i in range(8)],
            "name": [f"园区{i}" for i in range(8)],
            "approved_area_ha": rng.uniform(n / 200, n / 100, 8),
            "lead_industry": ["汽车零部件", "装备制造", "建材", "农副产品加工"] * 2,
            "main_industries": ["装备制造、建材", "建材、电子信息", "装备制造、新材料",
                                "食品、轻工纺织"] * 2,
        }
    )  # fmt: skip
    i = np.arange(n)
    supplied = rng.random(n) < 0.9
    parcels = pd.DataFrame(
        {
            "parcel_code": pd.Series(i).map("BP{:07d}".format),
            "zone_code": "Z" + pd.Series(i % 8).astype(str),
            "area_m2": rng.uniform(3000, 60000, n).round(1),
            "supervision_no": pd.Series(i).map("BS{:07d}".format).where(supplied),
            "industry_code": pd.Series(CODES[rng.integers(0, len(CODES), n)]).where(
                rng.random(n) < 0.8
            ),
            "land_use": np.where(rng.random(n) < 0.95, "工业用地", "住宅用地"),
            "contract_date": pd.Timestamp("2015-01-01")
            + pd.to_timedelta(rng.integers(0, 1800, n), unit="D"),
            "actual_completion_date": pd.Timestamp("2016-01-01")
            + pd.to_timedelta(rng.integers(0, 2000, n), unit="D"),
            "committed_invest_wan_per_mu": rng.uniform(150, 450, n),
        }
    )
    buildings = pd.DataFrame(
        {
            "parcel_code": parcels["parcel_code"],
            "footprint_m2": parcels["area_m2"] * rng.uniform(0.1, 0.6, n),
            "floors": rng.integers(1, 6, n),
        }
    )
    m = max(n // 2, 1)
    firms = pd.Series(np.arange(m)).map("F{:07d}".format)
    links = pd.DataFrame(
        {
            "parcel_code": parcels["parcel_code"].iloc[:m].to_numpy(),
            "credit_code": firms.to_numpy(),
            "used_area_m2": parcels["area_m2"].iloc[:m].to_numpy(),
        }
    )
    ind = pd.concat(
        [
            pd.DataFrame(
                {
                    "credit_code": firms,
                    "year": year,
                    "is_above_scale": rng.random(m) < 0.4,
                    "industry_code": CODES[rng.integers(0, len(CODES), m)],
                    "value_added_wan": rng.uniform(10, 5000, m),
                    "revenue_wan": rng.uniform(100, 20000, m),
                    "tax_wan": rng.uniform(0, 800, m),
                }
            )
            for year in (2018, 2019)
        ],
        ignore_index=True,
    )
    return {"zones": zones, "parcels": parcels, "buildings": buildings, "links": links,
            "indicators": ind}  # fmt: skip


def bench(n: int, workdir: Path) -> list[dict[str, Any]]:
    """The three zone steps of the benchmark protocol at ``n`` parcels."""
    from benchmarks.common import measure, row
    from devzone.policy import load_policy
    from devzone.zones.alloc import firm_parcel_shares
    from devzone.zones.contribution import corridor_contribution, deflator_for, firm_value_added
    from devzone.zones.fit import parcel_industry_fit, zone_fit_shares
    from devzone.zones.indicators import ZoneInputs, zone_indicators
    from devzone.zones.registry import load_industries

    d = synthetic(n)
    policy = load_policy()
    zpol = policy.zones
    industries = load_industries()
    ind19 = d["indicators"][d["indicators"]["year"] == 2019]

    def fit() -> pd.DataFrame:
        pf = parcel_industry_fit(
            d["parcels"], d["zones"], industries, separator=zpol.main_separator
        )
        return zone_fit_shares(
            d["parcels"],
            pf,
            d["zones"],
            industries,
            indicators=ind19,
            parcel_enterprise=d["links"],
            policy=zpol,
        )

    def indicators() -> pd.DataFrame:
        inputs = ZoneInputs(
            d["zones"],
            d["parcels"],
            buildings=d["buildings"],
            indicators=ind19,
            parcel_enterprise=d["links"],
        )
        return zone_indicators(inputs, year=2019, policy=zpol, intensity=policy.intensity)

    def contribution() -> Any:
        shares = firm_parcel_shares(d["links"], d["parcels"])
        va = firm_value_added(d["indicators"], year=2019, scope=policy.corridor.scope)
        return corridor_contribution(
            va,
            shares,
            d["zones"],
            {"Z0", "Z1", "Z2"},
            year=2019,
            deflator=deflator_for(policy.corridor, 2019),
            targets=policy.corridor.targets,
        )

    rows = []
    target = f"< {TARGET_S:g} s at 1M (project target)"
    for step, fn in (("zone_fit", fit), ("zone_indicators", indicators),
                     ("corridor_contribution", contribution)):  # fmt: skip
        _, seconds, peak = measure(fn)
        print(f"{step}: {n:,} parcels: {seconds:.2f} s, peak {peak:.0f} MB")
        rows.append(
            row(
                step,
                n,
                seconds,
                peak,
                target=target,
                ok=(seconds < TARGET_S) if n >= TARGET_N else None,
            )
        )
    return rows


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        bench(size, Path(tmp))
