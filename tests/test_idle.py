"""Idle-land status (闲置土地处置办法 2012), hand-worked cases for every status.

The as-of date is 2019-12-31 unless said. "One full year" is calendar based (POLICY §1):
agreed start D → idle from D + 1 year, free recovery from D + 2 years; 29 Feb + 1 year is
28 Feb (the pandas/dateutil rule, documented in ``landuse/idle.py``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from devzone.landuse.idle import idle_fee_wan, idle_status
from devzone.policy import IdlePolicy, IntensityPolicy, load_policy, replace
from devzone.vocab import FEE_STATUSES, STATUSES

AS_OF = "2019-12-31"


@pytest.fixture(scope="module")
def policy() -> IdlePolicy:
    pol = load_policy().idle
    # The numbers these hand-worked cases rely on (POLICY §1, Art. 2 and 14).
    assert pol.fee_rate == 0.20
    assert pol.idle_after_years == 1
    assert pol.recover_after_years == 2
    assert pol.stalled_invest_share == 0.25
    assert abs(pol.stalled_developed_share - 1 / 3) < 1e-12
    assert pol.start_footprint_share == 0.05
    return pol


@pytest.fixture(scope="module")
def intensity() -> IntensityPolicy:
    pol = load_policy().intensity
    # 国土资发〔2008〕24号: a storey over 8 m counts double.
    assert pol.double_storey_height_m == 8.0
    assert pol.double_storey_factor == 2.0
    return pol


INTENSITY = load_policy().intensity


def unit(**kw: object) -> dict:
    base = {
        "parcel_code": "P",
        "supervision_no": "S",
        "zone_code": "Z1",
        "supplied": True,
        "area_m2": 10000.0,
        "price_wan": 1000.0,
        "agreed_start_date": pd.NaT,
    }
    base.update(kw)
    return base


def judge(rows: list[dict], policy: IdlePolicy, as_of: str = AS_OF, **kw: object) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in df.columns:
        if c.endswith("_date"):
            df[c] = pd.to_datetime(df[c])
    return idle_status(df, as_of=as_of, policy=policy, intensity=INTENSITY, **kw)


def test_exactly_one_full_year_is_idle_and_one_day_less_is_overdue(policy: IdlePolicy) -> None:
    r = judge(
        [
            unit(parcel_code="A", agreed_start_date="2018-12-31"),  # +1y = 2019-12-31
            unit(parcel_code="B", agreed_start_date="2019-01-01"),  # +1y = 2020-01-01
        ],
        policy,
    )
    a, b = r.iloc[0], r.iloc[1]
    assert a["status"] == "idle_fee"
    assert a["idle_since"] == pd.Timestamp("2019-12-31")
    assert a["days_idle"] == 0
    # fee = 20% × 1000 万元 = 200 万元
    assert a["idle_fee_wan"] == pytest.approx(200.0)
    # next step: recovery at 2018-12-31 + 2y = 2020-12-31; 2020 is leap → 366 days away
    assert a["next_deadline"] == pd.Timestamp("2020-12-31")
    assert a["next_measure"] == "idle_recover"
    assert a["days_to_deadline"] == 366
    assert b["status"] == "overdue"
    assert pd.isna(b["idle_since"])
    assert pd.isna(b["idle_fee_wan"])
    assert b["next_deadline"] == pd.Timestamp("2020-01-01")
    assert b["next_measure"] == "idle_fee"
    assert b["days_to_deadline"] == 1
    assert a["supervision_category"] == b["supervision_category"] == "供而未用"


def test_exactly_two_full_years_is_free_recovery(policy: IdlePolicy) -> None:
    r = judge(
        [
            unit(parcel_code="A", agreed_start_date="2017-12-31"),  # +2y = 2019-12-31
            unit(parcel_code="B", agreed_start_date="2018-01-01"),  # +2y = 2020-01-01
        ],
        policy,
    )
    a, b = r.iloc[0], r.iloc[1]
    assert a["status"] == "idle_recover"
    # idle since 2018-12-31; 2018-12-31 → 2019-12-31 = 365 days
    assert a["idle_since"] == pd.Timestamp("2018-12-31")
    assert a["days_idle"] == 365
    # The first-year fee fell due on 2018-12-31 and stays: 1000 × 20% = 200 万元.
    assert a["idle_fee_wan"] == pytest.approx(200.0)
    assert "无偿收回" in a["fee_note"]
    assert "不因收回而免除" in a["fee_note"]
    assert pd.isna(a["next_deadline"])
    assert b["status"] == "idle_fee"
    assert b["next_deadline"] == pd.Timestamp("2020-01-01")
    assert b["days_to_deadline"] == 1


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2016-02-29", "not_due"),  # the agreed start day itself
        ("2016-03-01", "overdue"),
        ("2017-02-27", "overdue"),
        ("2017-02-28", "idle_fee"),  # 2016-02-29 + 1 year = 2017-02-28
        ("2018-02-27", "idle_fee"),
        ("2018-02-28", "idle_recover"),  # + 2 years = 2018-02-28
    ],
)
def test_29_february_start_counts_the_anniversary_as_28_february(
    policy: IdlePolicy, as_of: str, expected: str
) -> None:
    r = judge([unit(agreed_start_date="2016-02-29")], policy, as_of=as_of)
    assert r.loc[0, "status"] == expected


def test_not_due_before_the_agreed_start(policy: IdlePolicy) -> None:
    r = judge([unit(agreed_start_date="2020-03-01")], policy)
    assert r.loc[0, "status"] == "not_due"
    # first deadline 2021-03-01; 2019-12-31 → 2021-03-01 = 1 + 366 + 59 = 426 days
    assert r.loc[0, "next_deadline"] == pd.Timestamp("2021-03-01")
    assert r.loc[0, "days_to_deadline"] == 426
    assert r.loc[0, "supervision_category"] == ""


def test_no_agreed_start_date_cannot_be_judged(policy: IdlePolicy) -> None:
    r = judge([unit(agreed_start_date=None)], policy)
    row = r.iloc[0]
    assert row["status"] == "no_start_date"
    assert pd.isna(row["idle_fee_wan"])
    assert pd.isna(row["next_deadline"])
    assert "无约定开工时间" in row["status_reason"]


def test_no_agreed_start_but_started_is_under_construction(policy: IdlePolicy) -> None:
    r = judge([unit(agreed_start_date=None, actual_start_date="2019-03-01")], policy)
    assert r.loc[0, "status"] == "under_construction"
    assert r.loc[0, "start_evidence"] == "actual_start_date"


def test_no_price_leaves_the_fee_unknown_and_says_so(policy: IdlePolicy) -> None:
    r = judge([unit(agreed_start_date="2018-06-01", price_wan=np.nan)], policy)
    assert r.loc[0, "status"] == "idle_fee"
    assert pd.isna(r.loc[0, "idle_fee_wan"])
    assert "成交价格缺失" in r.loc[0, "fee_note"]


def test_fee_is_twenty_percent_of_the_price(policy: IdlePolicy) -> None:
    r = judge([unit(agreed_start_date="2018-06-01", price_wan=1234.5)], policy)
    # 1234.5 × 0.20 = 246.9 万元
    assert r.loc[0, "idle_fee_wan"] == pytest.approx(246.9)


def test_government_cause_on_land_idle_three_years(policy: IdlePolicy) -> None:
    r = judge([unit(agreed_start_date="2016-12-31", government_cause="城乡规划依法修改")], policy)
    row = r.iloc[0]
    # without the cause: 2016-12-31 + 2y = 2018-12-31 ≤ as-of → idle_recover
    assert row["status"] == "government_cause"
    assert row["idle_fee_wan"] == 0.0
    assert "不征收" in row["fee_note"]
    assert row["government_cause"] == "城乡规划依法修改"
    assert row["idle_since"] == pd.Timestamp("2017-12-31")  # would be idle since
    for option in policy.disposal_options:
        assert option in row["disposal_options"]
    assert row["supervision_category"] == "供而未用"


def test_no_cause_placeholders_are_not_a_government_cause(policy: IdlePolicy) -> None:
    r = judge([unit(agreed_start_date="2016-12-31", government_cause="无")], policy)
    assert r.loc[0, "status"] == "idle_recover"
    assert r.loc[0, "government_cause"] is None


STALLED = {
    "agreed_start_date": "2017-01-01",
    "actual_start_date": "2017-03-01",
    "suspended_date": "2018-06-30",  # + 1 year = 2019-06-30 ≤ as-of
    "total_invest_wan": 100.0,
}


@pytest.mark.parametrize(
    ("developed_m2", "invested_wan", "expected"),
    [
        (3200.0, 50.0, "idle_stalled"),  # 3200/10000 = 0.32 < 1/3
        (3400.0, 50.0, "under_construction"),  # 0.34 ≥ 1/3 and 50% ≥ 25%
        (5000.0, 24.0, "idle_stalled"),  # 24/100 = 24% < 25%
        (5000.0, 26.0, "under_construction"),  # 26% ≥ 25%
    ],
)
def test_stalled_thresholds(
    policy: IdlePolicy, developed_m2: float, invested_wan: float, expected: str
) -> None:
    r = judge([unit(developed_area_m2=developed_m2, invested_wan=invested_wan, **STALLED)], policy)
    row = r.iloc[0]
    assert row["status"] == expected
    assert row["start_evidence"] == "actual_start_date"
    if expected == "idle_stalled":
        assert row["idle_since"] == pd.Timestamp("2019-06-30")
        assert row["days_idle"] == 184  # 2019-06-30 → 2019-12-31: 1 + 31×3 + 30×2 + 30
        assert row["idle_fee_wan"] == pytest.approx(200.0)  # 1000 × 20%


def test_stalled_needs_one_full_year_of_suspension(policy: IdlePolicy) -> None:
    base = {**STALLED, "developed_area_m2": 3200.0, "invested_wan": 10.0}
    r = judge(
        [
            unit(parcel_code="A", **{**base, "suspended_date": "2019-01-01"}),  # +1y 2020
            unit(parcel_code="B", **{**base, "resumed_date": "2019-03-01"}),  # resumed
            unit(parcel_code="C", **{**base, "suspended_date": "2018-12-31"}),  # +1y = as-of
        ],
        policy,
    )
    assert r["status"].tolist() == ["under_construction", "under_construction", "idle_stalled"]


def test_completed_and_completed_late(policy: IdlePolicy) -> None:
    done = {"agreed_start_date": "2017-01-01", "actual_start_date": "2017-02-01"}
    r = judge(
        [
            unit(
                parcel_code="A",
                agreed_completion_date="2019-06-01",
                actual_completion_date="2019-05-01",
                **done,
            ),
            unit(
                parcel_code="B",
                agreed_completion_date="2019-04-01",
                actual_completion_date="2019-05-01",
                **done,
            ),
            unit(
                parcel_code="C",
                agreed_completion_date="2019-04-01",
                actual_completion_date="2020-05-01",
                **done,
            ),  # after as-of: still building
        ],
        policy,
    )
    assert r["status"].tolist() == ["completed", "completed_late", "under_construction"]


def test_not_supplied_is_pi_er_wei_gong(policy: IdlePolicy) -> None:
    r = judge([unit(supplied=False, supervision_no=None, agreed_start_date=None)], policy)
    assert r.loc[0, "status"] == "not_supplied"
    assert r.loc[0, "supervision_category"] == "批而未供"


def _square(x0: float, size: float) -> MultiPolygon:
    return MultiPolygon([box(x0, 31.70, x0 + size, 31.70 + size)])


def test_building_footprints_are_start_evidence(
    policy: IdlePolicy, intensity: IntensityPolicy
) -> None:
    # Two 0.002° parcels (about 190 m × 220 m); building A covers (0.0011/0.002)² ≈ 30%
    # of its parcel (≥ 5%: started), building B (0.0002/0.002)² = 1% (< 5%: not started).
    units = gpd.GeoDataFrame(
        {
            "parcel_code": ["A", "B"],
            "supervision_no": ["SA", "SB"],
            "supplied": [True, True],
            "price_wan": [1000.0, 1000.0],
            "agreed_start_date": pd.to_datetime(["2018-06-01", "2018-06-01"]),
        },
        geometry=[_square(116.500, 0.002), _square(116.510, 0.002)],
        crs=4490,
    )
    buildings = gpd.GeoDataFrame(
        {"floors": [2, 1]},
        geometry=[_square(116.5001, 0.0011), _square(116.5101, 0.0002)],
        crs=4490,
    )
    r = idle_status(units, as_of=AS_OF, policy=policy, intensity=intensity, buildings=buildings)
    assert r["status"].tolist() == ["under_construction", "idle_fee"]
    assert r["start_evidence"].tolist() == ["buildings", "none"]
    assert r.loc[0, "footprint_share"] == pytest.approx(0.3025, abs=0.01)
    assert r.loc[1, "footprint_share"] == pytest.approx(0.01, abs=0.002)


def test_far_below_contract_is_yong_er_wei_jin(policy: IdlePolicy) -> None:
    # Completed parcels of 10 000 m²; FAR = floor area / area: 8000/10000 = 0.8 < 1.0,
    # 12 000/10 000 = 1.2 ≥ 1.0.
    done = {
        "agreed_start_date": "2017-01-01",
        "actual_start_date": "2017-02-01",
        "agreed_completion_date": "2019-06-01",
        "actual_completion_date": "2019-05-01",
        "far_min": 1.0,
    }
    buildings = pd.DataFrame(
        {
            "parcel_code": ["A", "B"],
            "footprint_m2": [4000.0, 6000.0],
            "floor_area_m2": [8000.0, 12000.0],
        }
    )
    r = judge(
        [unit(parcel_code="A", **done), unit(parcel_code="B", **done)], policy, buildings=buildings
    )
    assert r["far"].tolist() == pytest.approx([0.8, 1.2])
    assert r["supervision_category"].tolist() == ["用而未尽", ""]


def test_tall_single_storey_counts_double_for_yong_er_wei_jin(
    policy: IdlePolicy, intensity: IntensityPolicy
) -> None:
    # Parcel C, 10 000 m², contract FAR ≥ 1.0: one single-storey workshop, 12 m high, of
    # 6 000 m². Its storey is over 8 m, so it counts 2 × 6 000 = 12 000 m² (国土资发〔2008〕24号)
    # → FAR 1.2, not 0.6: used as agreed, not 用而未尽 (the same measure as parcel_intensity).
    done = {
        "agreed_start_date": "2017-01-01",
        "actual_start_date": "2017-02-01",
        "agreed_completion_date": "2019-06-01",
        "actual_completion_date": "2019-05-01",
        "far_min": 1.0,
    }
    buildings = pd.DataFrame(
        {
            "parcel_code": ["C"],
            "floors": [1],
            "height_m": [12.0],
            "footprint_m2": [6000.0],
            "floor_area_m2": [6000.0],
        }
    )
    r = judge([unit(parcel_code="C", **done)], policy, buildings=buildings)
    assert r["far"].tolist() == pytest.approx([1.2])
    assert r["supervision_category"].tolist() == [""]


def test_every_status_is_in_the_contract() -> None:
    assert set(STATUSES) == {
        "not_supplied",
        "not_due",
        "overdue",
        "idle_fee",
        "idle_recover",
        "idle_stalled",
        "government_cause",
        "under_construction",
        "completed",
        "completed_late",
        "no_start_date",
    }


def test_fee_rate_is_the_policy_s(policy: IdlePolicy) -> None:
    # A city charging 10% (a what-if): 1234.5 × 0.10 = 123.45 万元, and the note says 10%.
    r = judge(
        [unit(agreed_start_date="2018-06-01", price_wan=1234.5)], replace(policy, fee_rate=0.1)
    )
    assert r.loc[0, "idle_fee_wan"] == pytest.approx(123.45)
    assert r.loc[0, "fee_note"] == "成交价格 × 10% (第十四条第一项)"


def test_idle_fee_by_status() -> None:
    # Art. 14 (一): fee-bearing statuses pay rate × price; a recovery candidate keeps the
    # first-year fee already due (1000 × 20% = 200); a government cause 0; every other
    # status has no fee (NULL).
    status = pd.Series(["idle_fee", "idle_stalled", "idle_recover", "government_cause", "overdue"])
    fee = idle_fee_wan(status, [1000.0] * 5, fee_rate=0.2)
    assert fee.tolist()[:4] == pytest.approx([200.0, 200.0, 200.0, 0.0])
    assert np.isnan(fee.iloc[4])
    assert set(FEE_STATUSES) == {"idle_fee", "idle_stalled"}


def test_years_come_from_the_policy(policy: IdlePolicy) -> None:
    # With idle after 2 years and recovery after 3, a start of 2018-06-01 is only overdue
    # on 2019-12-31 (2018-06-01 + 2y = 2020-06-01 is the next deadline, 153 days away).
    r = judge(
        [unit(agreed_start_date="2018-06-01")],
        replace(policy, idle_after_years=2, recover_after_years=3),
    )
    assert r.loc[0, "status"] == "overdue"
    assert r.loc[0, "next_deadline"] == pd.Timestamp("2020-06-01")
    assert r.loc[0, "days_to_deadline"] == 153
