"""Corridor contribution and pull for a small two-zone city, worked by hand.

Zone A is in the corridor, zone B is not. Scale-industry value added (万元):

====  =========  ====  ====  ====  ================================
firm  where      2018  2019  2020  note
====  =========  ====  ====  ====  ================================
F1    A          100   130   135
F2    B          200   210   150
F3    no zone    100   100   100   city only
F4    ½ A, ½ B   100   120   120   split by used area
F5    A          ---   ---   ---   below scale (规下) every year
F6    B          80    (40)        above scale 2018 only: out of 2019's scope
====  =========  ====  ====  ====  ================================

2019 (comparable scope = 2019's scale firms F1–F4):
city 500 → 560, +60, growth 12%; A = 100 + 50 → 130 + 60 = 150 → 190, +40;
B = 200 + 50 → 210 + 60 = 250 → 270, +20.
"""

from __future__ import annotations

import pandas as pd
import pytest

from devzone.errors import ConfigError
from devzone.policy import load_policy, replace
from devzone.zones.contribution import corridor_contribution, deflator_for, firm_value_added

ZONES = pd.DataFrame({"zone_code": ["A", "B"], "name": ["甲园区", "乙园区"]})
SHARES = pd.DataFrame(
    {
        "credit_code": ["F1", "F2", "F3", "F4", "F4", "F5", "F6"],
        "zone_code": ["A", "B", None, "A", "B", "A", "B"],
        "share": [1.0, 1.0, 1.0, 0.5, 0.5, 1.0, 1.0],
    }
)


def indicators() -> pd.DataFrame:
    rows = [
        ("F1", 2018, True, 100), ("F1", 2019, True, 130), ("F1", 2020, True, 135),
        ("F2", 2018, True, 200), ("F2", 2019, True, 210), ("F2", 2020, True, 150),
        ("F3", 2018, True, 100), ("F3", 2019, True, 100), ("F3", 2020, True, 100),
        ("F4", 2018, True, 100), ("F4", 2019, True, 120), ("F4", 2020, True, 120),
        ("F5", 2018, False, 900), ("F5", 2019, False, 1000), ("F5", 2020, False, 1000),
        ("F6", 2018, True, 80), ("F6", 2019, False, 40),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["credit_code", "year", "is_above_scale", "value_added_wan"])


#: The shipped [corridor.targets]: contribution ≥ 45% (seed §七).
TARGETS = load_policy().corridor.targets
assert TARGETS.contribution_min == 0.45


def run(year: int, deflator: float = 1.0, scope: str = "comparable"):
    va = firm_value_added(indicators(), year=year, scope=scope)
    return corridor_contribution(
        va, SHARES, ZONES, {"A"}, year=year, deflator=deflator, targets=TARGETS
    )


def test_contribution_and_pull_2019() -> None:
    r = run(2019)
    t = r.table.set_index("unit")
    zone = r.table[r.table["unit"] == "zone"].set_index("zone_code")
    assert t.at["city", "value_added_prev_wan"] == pytest.approx(500)  # F1..F4 in 2018
    assert t.at["city", "value_added_wan"] == pytest.approx(560)
    assert t.at["city", "growth_real"] == pytest.approx(0.12)  # 560 / 500 − 1
    assert t.at["corridor", "value_added_prev_wan"] == pytest.approx(150)  # 100 + 100 / 2
    assert t.at["corridor", "value_added_wan"] == pytest.approx(190)  # 130 + 120 / 2
    assert t.at["corridor", "growth_real"] == pytest.approx(40 / 150)  # 26.67%
    assert t.at["corridor", "contribution"] == pytest.approx(40 / 60)  # 66.67%
    assert t.at["corridor", "pull_pp"] == pytest.approx(8.0)  # 40 / 500 × 100
    # Pull = contribution × city growth: (2/3) × 12 = 8 pp.
    assert t.at["corridor", "pull_pp"] == pytest.approx(
        t.at["corridor", "contribution"] * t.at["city", "growth_real"] * 100
    )
    assert zone.at["B", "contribution"] == pytest.approx(20 / 60)
    assert zone.at["B", "pull_pp"] == pytest.approx(4.0)  # 20 / 500 × 100
    assert r.gap_pp == pytest.approx((40 / 150 - 0.12) * 100)  # 14.67 pp
    assert r.growth_pass is True
    assert r.contribution_pass is True
    assert not r.city_fell
    assert "66.67%" in " ".join(r.verdict)


def test_deflator_gives_comparable_prices() -> None:
    # Price index 1.05: city 560 / 1.05 = 533.33 → +33.33 (6.67%); corridor 190 / 1.05
    # = 180.95 → +30.95; contribution 30.95 / 33.33 = 92.86%; pull 30.95 / 500 = 6.19 pp.
    r = run(2019, deflator=1.05)
    t = r.table.set_index("unit")
    assert t.at["city", "growth_nominal"] == pytest.approx(0.12)
    assert t.at["city", "growth_real"] == pytest.approx(560 / 1.05 / 500 - 1)
    assert t.at["corridor", "increment_real_wan"] == pytest.approx(190 / 1.05 - 150)
    assert t.at["corridor", "contribution"] == pytest.approx(
        (190 / 1.05 - 150) / (560 / 1.05 - 500)
    )
    assert t.at["corridor", "pull_pp"] == pytest.approx((190 / 1.05 - 150) / 500 * 100)


def test_city_fell_says_so_without_a_percentage() -> None:
    # 2020: city 560 → 505 (F2 210 → 150): −55, −9.82%. Corridor 190 → 195: +5.
    r = run(2020)
    t = r.table.set_index("unit")
    assert r.city_fell
    assert t.at["city", "increment_real_wan"] == pytest.approx(-55)
    assert t.at["city", "growth_real"] == pytest.approx(505 / 560 - 1)
    assert r.table["contribution"].isna().all()  # no share of a fall
    assert r.contribution_pass is None
    assert t.at["corridor", "pull_pp"] == pytest.approx(5 / 560 * 100)  # 0.89 pp
    # Corridor +2.63% vs city −9.82%: the growth target is still met.
    assert r.growth_pass is True
    text = " ".join(r.verdict)
    assert "下降" in text
    assert "不计算" in text
    assert "贡献率目标无法评价" in text


def test_annual_scope_counts_each_years_own_scale_firms() -> None:
    # annual: 2018 base includes F6 (80): city 580 → 560; B 250 + 80 = 330 → 270.
    r = run(2019, scope="annual")
    t = r.table.set_index("unit")
    assert t.at["city", "value_added_prev_wan"] == pytest.approx(580)
    assert r.city_fell  # 560 − 580 = −20


def test_zone_without_base_year_has_no_growth() -> None:
    va = pd.DataFrame({"credit_code": ["F1"], "va_prev": [0.0], "va_cur": [50.0]})
    shares = pd.DataFrame({"credit_code": ["F1"], "zone_code": ["A"], "share": [1.0]})
    r = corridor_contribution(va, shares, ZONES, {"A"}, year=2019, deflator=1.0, targets=TARGETS)
    t = r.table.set_index("unit")
    assert pd.isna(t.at["corridor", "growth_real"])
    assert r.growth_pass is None


def test_deflator_config() -> None:
    corridor = load_policy().corridor
    assert deflator_for(replace(corridor, deflator={"2019": 0.992}), 2019) == pytest.approx(0.992)
    assert deflator_for(replace(corridor, deflator={}), 2019) == 1.0  # not listed: no change
    # A price index must be positive: the typed policy refuses 0 when it is set.
    with pytest.raises(ConfigError, match="greater than 0"):
        deflator_for(replace(corridor, deflator={"2019": 0.0}), 2019)
    with pytest.raises(ConfigError, match="scope"):
        firm_value_added(indicators(), year=2019, scope="both")
