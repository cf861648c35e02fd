"""宗地集约利用 (POLICY §3): FAR, building coefficient, control indicators — by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from devzone.landuse.intensity import (
    building_measures,
    industry_code_2002,
    min_far,
    parcel_intensity,
)
from devzone.policy import IntensityPolicy, load_policy, replace

YEAR = 2019


@pytest.fixture
def policy() -> IntensityPolicy:
    return load_policy().intensity


def _parcels() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parcel_code": ["P1", "P2", "P3"],
            "supervision_no": ["S1", "S2", None],
            "zone_code": ["Z1", "Z1", "Z2"],
            "area_m2": [10000.0, 20000.0, 5000.0],  # 15, 30 and 7.5 亩
            "industry_code": ["C3311", "C1310", None],  # 2002 codes 34 (0.7), 13 (1.0)
            "far_min": [1.0, np.nan, np.nan],
            "committed_invest_wan_per_mu": [250.0, 350.0, np.nan],
            "committed_tax_wan_per_mu": [40.0, np.nan, np.nan],
            "committed_check_date": pd.to_datetime(["2019-06-30", "2020-06-30", None]),
        }
    )


def _buildings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parcel_code": ["P1", "P1", "P1", "P2"],
            "floors": [1, 4, 3, 2],
            "height_m": [12.0, 16.0, 10.0, 9.0],
            "floor_area_m2": [np.nan, 4000.0, 600.0, 8000.0],
            "footprint_m2": [2000.0, 1000.0, 200.0, 4000.0],
            "use": ["生产", "生产", "行政办公", None],
        }
    )


def test_storeys_over_8_m_count_double(policy) -> None:
    m = building_measures(_buildings(), policy=policy)
    # 1 storey of 12 m (> 8 m): 2000 m² floor (footprint × 1) counts 2 × 2000 = 4000.
    # 4 storeys in 16 m: 4 m each → 4000 as registered.  3 in 10 m: 3.33 m → 600.
    # 2 storeys in 9 m: 4.5 m each → 8000.
    assert m["counted_floor_area_m2"].tolist() == [4000.0, 4000.0, 600.0, 8000.0]
    pol = replace(policy, double_storey_height_m=4.4)  # a stricter city: 4.5 m storeys double
    m2 = building_measures(_buildings(), policy=pol)
    assert m2["counted_floor_area_m2"].tolist() == [4000.0, 4000.0, 600.0, 16000.0]


def test_parcel_intensity_against_control_indicators(policy) -> None:
    progress = pd.DataFrame({"supervision_no": ["S1"], "invested_wan": [4000.0]})
    tax = pd.Series({"P1": 35.0, "P2": 10.0})
    out = parcel_intensity(
        _parcels(),
        _buildings(),
        year=YEAR,
        progress=progress,
        tax_per_mu=tax,
        industry_codes=pd.Series({"P3": "C2611"}),
        policy=policy,
    ).set_index("parcel_code")
    p1, p2, p3 = out.loc["P1"], out.loc["P2"], out.loc["P3"]
    # P1: counted floor area 4000 + 4000 + 600 = 8600 on 10000 m² → FAR 0.86.
    assert p1["far"] == pytest.approx(0.86)
    # Required = max(industry 34 → 0.7, contract 1.0) = 1.0 → not met; adds 10000 − 8600.
    assert p1["required_far"] == 1.0
    assert not p1["far_ok"]
    assert p1["addable_floor_area_m2"] == pytest.approx(1400.0)
    # Building coefficient (2000 + 1000 + 200) / 10000 = 0.32 ≥ 0.30.
    assert p1["building_coefficient"] == pytest.approx(0.32)
    assert p1["coefficient_ok"]
    # Admin share by floor area (no admin land registered): the 3-storey office's
    # 600 m² of the floor areas as built 2000 (1 storey × 2000 footprint; the 12 m
    # storey is doubled for FAR only) + 4000 + 600 = 6600 → 600/6600 = 9.09 % > 6 %.
    assert p1["admin_share"] == pytest.approx(600 / 6600)
    assert not p1["admin_ok"]
    # Investment 4000 万元 on 15 亩 = 266.67 万元/亩 < 300, but tax 35 ≥ 30 → entry rule met.
    assert p1["invest_intensity_wan_per_mu"] == pytest.approx(4000 / 15)
    assert p1["invest_source"] == "progress"
    assert p1["entry_rule_ok"]
    # Standard land, checked 2019-06-30: invest 266.67 ≥ 250 but tax 35 < 40 → not met.
    assert not p1["commitment_ok"]

    # P2: 8000 m² floor on 20000 m² → FAR 0.4 < 1.0 (industry 13); coefficient 0.2 < 0.3.
    assert p2["far"] == pytest.approx(0.4)
    assert not p2["far_ok"]
    assert p2["addable_floor_area_m2"] == pytest.approx(20000 - 8000)
    assert p2["building_coefficient"] == pytest.approx(0.2)
    assert not p2["coefficient_ok"]
    assert pd.isna(p2["admin_share"])  # use unknown: not judged
    assert pd.isna(p2["admin_ok"])
    # No progress record: the committed 350 万元/亩 stands in → entry rule met.
    assert p2["invest_intensity_wan_per_mu"] == pytest.approx(350.0)
    assert p2["invest_source"] == "commitment"
    assert p2["entry_rule_ok"]
    assert pd.isna(p2["commitment_ok"])  # check date 2020-06-30 is after 2019

    # P3: no building, no contract industry → the main firm's C2611 (2002 code 26: 0.6).
    assert p3["industry_code_2002"] == "26"
    assert p3["required_far"] == 0.6
    assert p3["far"] == 0.0
    assert p3["addable_floor_area_m2"] == pytest.approx(0.6 * 5000)
    assert pd.isna(p3["entry_rule_ok"])  # neither investment nor tax known


def test_industry_codes_map_2017_to_2002(policy) -> None:
    codes = pd.Series(["C3811", "C2922", "C2911", "3670", "C1711", None, "C43"])
    # 38 电气机械 → 39; 292 塑料 → 30; 291 橡胶 → 29; 36 汽车 → 37; 17 stays; 2017's 43
    # (repair) had no 2002 division → None (not 2002's 43 废弃资源回收).
    assert industry_code_2002(codes, policy=policy).tolist() == [
        "39",
        "30",
        "29",
        "37",
        "17",
        None,
        None,
    ]


def test_limits_come_from_the_typed_policy(policy) -> None:
    # The shipped limits (国土资发〔2008〕24号, 六政〔2014〕66号) are the policy's, not code's.
    assert policy.max_admin_share == 0.06  # Lu'an, stricter than the national 0.07
    assert policy.max_admin_share_national == 0.07
    assert policy.min_building_coefficient == 0.30
    assert policy.entry_rule.min_invest_wan_per_mu == 300.0
    assert policy.entry_rule.min_tax_wan_per_mu == 30.0
    assert min_far(pd.Series(["34"]), policy=policy).tolist() == [0.7]
    # A city that applies the national 7 %: a 6.5 % admin share passes only under the
    # national limit. Office 65 m² of 65 + 935 = 1000 m² floor area → 6.5 %.
    parcels = _parcels().iloc[[0]]
    b = pd.DataFrame(
        {
            "parcel_code": ["P1", "P1"],
            "floors": [1, 1],
            "height_m": [4.0, 4.0],
            "floor_area_m2": [65.0, 935.0],
            "footprint_m2": [65.0, 935.0],
            "use": ["行政办公", "生产"],
        }
    )
    lu_an = parcel_intensity(parcels, b, year=YEAR, policy=policy).iloc[0]
    national = replace(policy, max_admin_share=policy.max_admin_share_national)
    nat = parcel_intensity(parcels, b, year=YEAR, policy=national).iloc[0]
    assert lu_an["admin_share"] == pytest.approx(0.065)
    assert not lu_an["admin_ok"]
    assert nat["admin_ok"]
    stricter = replace(policy, entry_rule=replace(policy.entry_rule, min_tax_wan_per_mu=50.0))
    tax = pd.Series({"P1": 35.0})
    assert parcel_intensity(parcels, b, year=YEAR, tax_per_mu=tax, policy=policy).iloc[0][
        "entry_rule_ok"
    ]
    assert not parcel_intensity(parcels, b, year=YEAR, tax_per_mu=tax, policy=stricter).iloc[0][
        "entry_rule_ok"
    ]


def _one_parcel(area_m2: float, **extra) -> pd.DataFrame:
    return pd.DataFrame(
        {"parcel_code": ["P"], "zone_code": ["Z"], "area_m2": [area_m2], "industry_code": ["C3311"]}
        | {k: [v] for k, v in extra.items()}
    )


def _building_rows(rows: list[tuple[int, float, float, float, str]]) -> pd.DataFrame:
    """(floors, height_m, floor_area_m2, footprint_m2, use) per building on parcel P."""
    return pd.DataFrame(
        rows, columns=["floors", "height_m", "floor_area_m2", "footprint_m2", "use"]
    ).assign(parcel_code="P")


def test_admin_share_is_measured_by_floor_area_not_footprint(policy) -> None:
    # Issue 13 item 3. A 3-storey office of 600 m² footprint (1800 m² floor area) on a
    # 10 000 m² site whose buildings total 6000 m² floor area (a 4200 m² 1-storey
    # workshop): 1800 / 6000 = 30 % > 6 % → fails. Footprint ÷ site area would give
    # 600 / 10000 = 6 % and pass it.
    b = _building_rows([(3, 12.0, 1800.0, 600.0, "行政办公"), (1, 6.0, 4200.0, 4200.0, "生产")])
    row = parcel_intensity(_one_parcel(10000.0), b, year=YEAR, policy=policy).iloc[0]
    assert row["admin_share"] == pytest.approx(1800 / 6000)
    assert not row["admin_ok"]
    # Where the land the facilities occupy is registered, that land ÷ site area:
    # 500 m² of 10 000 m² = 5 % ≤ 6 % → met.
    parcel = _one_parcel(10000.0, admin_land_m2=500.0)
    row = parcel_intensity(parcel, b, year=YEAR, policy=policy).iloc[0]
    assert row["admin_share"] == pytest.approx(0.05)
    assert row["admin_ok"]


def _measured_square(side_m: float, x0: float, y0: float):
    """A square surveyed in EPSG:4548 (CGCS2000 / 3-degree GK CM 117E), stored in
    EPSG:4490 as the registry does, read back as a GeoDataFrame."""
    import geopandas as gpd
    from shapely.geometry import box

    g = gpd.GeoSeries([box(x0, y0, x0 + side_m, y0 + side_m)], crs="EPSG:4548")
    return g.to_crs("EPSG:4490")


def test_thresholds_are_judged_at_a_stated_tolerance(policy) -> None:
    # Issue 13 item 7. A surveyed site of 100 m × 100 m = 10 000 m² registered, with one
    # building of 3000 m² footprint drawn as a polygon (no registered footprint): the
    # building coefficient is 3000 / 10000 = 30 % exactly, = the 30 % minimum → met, in
    # every placement, although the area measured after the EPSG:4490 round trip is off
    # by ~1e-11 relative.
    import geopandas as gpd

    results = []
    for k in range(12):
        x0, y0 = 500000.0 + 137.1 * k, 3500000.0 + 91.7 * k
        geom = _measured_square(np.sqrt(3000.0), x0, y0)
        b = gpd.GeoDataFrame(
            {"parcel_code": ["P"], "floors": [1], "height_m": [6.0], "use": ["生产"]},
            geometry=geom.to_numpy(),
            crs="EPSG:4490",
        )
        row = parcel_intensity(
            _one_parcel(10000.0), b, year=YEAR, policy=policy, area_crs="EPSG:4548"
        ).iloc[0]
        assert row["building_coefficient"] == pytest.approx(0.30, rel=1e-9)
        results.append(bool(row["coefficient_ok"]))
    assert all(results)
    # The tolerance is relative and stated (1e-9), not a loophole: 29.99 % still fails.
    assert policy.threshold_tolerance == 1e-9
    b = _building_rows([(1, 6.0, 2999.0, 2999.0, "生产")])
    assert not parcel_intensity(_one_parcel(10000.0), b, year=YEAR, policy=policy).iloc[0][
        "coefficient_ok"
    ]
    # FAR minimum and the entry rule at the same tolerance: FAR 7000 × (1 − 1e-12) /
    # 10000 is 0.7 less noise → meets the 0.7 of industry 34; 300 × (1 − 1e-12) 万元/亩
    # meets the 300 of the entry rule.
    b = _building_rows([(2, 8.0, 7000.0 * (1 - 1e-12), 3500.0, "生产")])
    row = parcel_intensity(
        _one_parcel(10000.0), b, year=YEAR, policy=policy, tax_per_mu=pd.Series({"P": 0.0})
    ).iloc[0]
    assert row["far_ok"]
    from devzone.landuse.intensity import entry_rule_ok

    assert entry_rule_ok(
        pd.Series([300.0 * (1 - 1e-12), 299.9]), pd.Series([0.0, 0.0]), policy=policy
    ).tolist() == [True, False]


def test_registered_footprint_is_preferred_to_the_polygon(policy) -> None:
    # Issue 13 item 7: a registered footprint of 3000 m² wins over a drawn polygon of
    # 2500 m² → coefficient 3000 / 10000 = 0.30.
    import geopandas as gpd

    geom = _measured_square(50.0, 500000.0, 3500000.0)
    b = gpd.GeoDataFrame(
        {
            "parcel_code": ["P"],
            "floors": [1],
            "height_m": [6.0],
            "use": ["生产"],
            "footprint_m2": [3000.0],
        },
        geometry=geom.to_numpy(),
        crs="EPSG:4490",
    )
    row = parcel_intensity(
        _one_parcel(10000.0), b, year=YEAR, policy=policy, area_crs="EPSG:4548"
    ).iloc[0]
    assert row["building_coefficient"] == 0.30
