"""Exit mechanism (项目退出机制): bankrupt, suspended, zombie firms and missed
standard-land commitments, hand-worked. As-of 2019-12-31; indicator years 2017–2019."""

from __future__ import annotations

import pandas as pd
import pytest

from devzone.landuse.exit import exit_candidates, zombie_firms
from devzone.policy import ExitPolicy, load_policy, replace

AS_OF = "2019-12-31"


@pytest.fixture(scope="module")
def policy() -> ExitPolicy:
    pol = load_policy().exit
    assert pol.zombie_years == 2
    assert set(pol.tax_relief_reasons) == {"bankrupt", "suspended", "zombie"}
    return pol


def indicators(rows: list[tuple[str, int, float | None, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["credit_code", "year", "revenue_wan", "tax_wan"])


def test_zombie_needs_two_consecutive_years_without_revenue_and_tax() -> None:
    ind = indicators(
        [
            ("Z", 2018, 0.0, 0.0),
            ("Z", 2019, None, 0.0),  # zombie (missing = none)
            ("T", 2018, 0.0, 0.0),
            ("T", 2019, 0.0, 1.0),  # paid tax in 2019
            ("M", 2019, 0.0, 0.0),  # 2018 row missing: cannot tell
            ("O", 2017, 0.0, 0.0),
            ("O", 2018, 0.0, 0.0),
            ("O", 2019, 5.0, 0.0),  # revenue
        ]
    )
    assert list(zombie_firms(ind, as_of=AS_OF, years=2)) == ["Z"]
    # As of 2018-12-31 the window is 2017–2018: O was a zombie then.
    assert list(zombie_firms(ind, as_of="2018-12-31", years=2)) == ["O"]


def test_bankrupt_suspended_and_zombie_land(policy: ExitPolicy) -> None:
    parcels = pd.DataFrame(
        {
            "parcel_code": ["P1", "P2", "P3", "P4"],
            "zone_code": ["Z1"] * 4,
            "area_m2": [6000.0, 10000.0, 2000.0, 3000.0],
        }
    )
    ent = pd.DataFrame(
        {
            "credit_code": ["B", "S", "Z", "OK"],
            "name": ["甲", "乙", "丙", "丁"],
            "status": ["破产", "suspended", "在营", "在营"],
        }
    )
    ind = indicators(
        [
            ("Z", 2018, 0.0, 0.0),
            ("Z", 2019, 0.0, 0.0),
            ("OK", 2018, 10.0, 1.0),
            ("OK", 2019, 10.0, 1.0),
            ("B", 2018, 0.0, 0.0),
            ("B", 2019, 0.0, 0.0),
        ]
    )
    links = pd.DataFrame(
        {
            "parcel_code": ["P1", "P2", "P3", "P4"],
            "credit_code": ["B", "S", "Z", "OK"],
            "used_area_m2": [None, 4000.0, None, None],
        }
    )
    r = exit_candidates(parcels, ent, ind, links, as_of=AS_OF, policy=policy)
    got = r.set_index("parcel_code")
    # B is bankrupt and a zombie: listed once, as bankrupt (bankrupt > suspended > zombie)
    assert r["parcel_code"].tolist() == ["P1", "P2", "P3"]
    assert got["reason"].tolist() == ["bankrupt", "suspended", "zombie"]
    # land freed: P1 whole parcel 6000 m² = 6000 × 15 / 10000 = 9 亩; P2 the used 4000 m²
    assert got.loc["P1", "area_mu"] == pytest.approx(9.0)
    assert got.loc["P2", "area_m2"] == pytest.approx(4000.0)
    assert got["enterprise_name"].tolist() == ["甲", "乙", "丙"]
    assert got["tax_relief_eligible"].tolist() == [True, True, True]
    assert got["disposal_route"].isna().all()


def test_missed_standard_land_commitment(policy: ExitPolicy) -> None:
    # Each parcel 6000 m² = 9 亩, committed 10 万元/亩 tax and 300 万元/亩 investment.
    parcels = pd.DataFrame(
        {
            "parcel_code": ["A", "B", "C", "D"],
            "zone_code": ["Z1"] * 4,
            "area_m2": [6000.0] * 4,
            "committed_tax_wan_per_mu": [10.0] * 4,
            "committed_invest_wan_per_mu": [300.0] * 4,
            "committed_check_date": pd.to_datetime(
                ["2019-06-30", "2019-06-30", "2020-06-30", "2019-12-31"]
            ),
            "invested_wan": [2700.0, 2700.0, 0.0, 2600.0],
        }
    )
    ent = pd.DataFrame(
        {"credit_code": ["CA", "CB", "CC", "CD"], "name": list("甲乙丙丁"), "status": ["在营"] * 4}
    )
    # A: 81 / 9 = 9 万元/亩 < 10 → missed; B: 90 / 9 = 10, not below → kept;
    # C: check date after as-of → not judged; D: tax 99/9 = 11 ok, but investment
    # 2600 / 9 = 288.9 < 300 → missed (check date = as-of counts).
    ind = indicators(
        [
            ("CA", 2019, 500.0, 81.0),
            ("CB", 2019, 500.0, 90.0),
            ("CC", 2019, 0.0, 0.0),
            ("CD", 2019, 500.0, 99.0),
        ]
    )
    links = pd.DataFrame({"parcel_code": list("ABCD"), "credit_code": ["CA", "CB", "CC", "CD"]})
    r = exit_candidates(parcels, ent, ind, links, as_of=AS_OF, policy=policy)
    missed = r[r["reason"] == "commitment_missed"].set_index("parcel_code")
    assert list(missed.index) == ["A", "D"]
    assert "亩均税收 9.0" in missed.loc["A", "reason_detail"]
    assert "投资强度 288.89" in missed.loc["D", "reason_detail"]
    assert missed["credit_code"].tolist() == ["CA", "CD"]
    assert missed["tax_relief_eligible"].tolist() == [False, False]


def test_no_firms_no_candidates(policy: ExitPolicy) -> None:
    r = exit_candidates(
        pd.DataFrame({"parcel_code": ["P"], "area_m2": [1.0]}),
        pd.DataFrame(),
        pd.DataFrame(),
        pd.DataFrame(),
        as_of=AS_OF,
        policy=policy,
    )
    assert r.empty
    assert "reason" in r.columns


def test_land_freed_on_a_shared_parcel_is_the_firms_share(policy: ExitPolicy) -> None:
    # P (6000 m²) is used by bankrupt B and operating OK, no used areas registered:
    # split equally as in the performance evaluation → B frees 3000 m² = 4.5 亩, not 9.
    # Q (6000 m²): B registered 1000 m², OK the rest → B frees 1000 m² = 1.5 亩.
    parcels = pd.DataFrame(
        {"parcel_code": ["P", "Q"], "zone_code": ["Z1", "Z1"], "area_m2": [6000.0, 6000.0]}
    )
    ent = pd.DataFrame(
        {"credit_code": ["B", "OK"], "name": ["甲", "乙"], "status": ["破产", "在营"]}
    )
    links = pd.DataFrame(
        {
            "parcel_code": ["P", "P", "Q", "Q"],
            "credit_code": ["B", "OK", "B", "OK"],
            "used_area_m2": [None, None, 1000.0, None],
        }
    )
    r = exit_candidates(parcels, ent, pd.DataFrame(), links, as_of=AS_OF, policy=policy)
    got = r.set_index("parcel_code")
    assert got["credit_code"].tolist() == ["B", "B"]
    assert got.loc["P", "area_m2"] == pytest.approx(3000.0)
    assert got.loc["P", "area_mu"] == pytest.approx(4.5)
    assert got.loc["Q", "area_m2"] == pytest.approx(1000.0)


def test_zombie_years_and_relief_come_from_the_policy(policy: ExitPolicy) -> None:
    parcels = pd.DataFrame({"parcel_code": ["P1", "P2"], "zone_code": ["Z1"] * 2})
    parcels["area_m2"] = [6000.0, 3000.0]
    ent = pd.DataFrame(
        {"credit_code": ["Z", "B"], "name": ["丙", "甲"], "status": ["在营", "破产"]}
    )
    ind = indicators(
        [("Z", 2017, 0.0, 0.0), ("Z", 2018, 0.0, 0.0), ("Z", 2019, 0.0, 0.0), ("B", 2019, 1, 1)]
    )
    links = pd.DataFrame({"parcel_code": ["P1", "P2"], "credit_code": ["Z", "B"]})
    three = replace(policy, zombie_years=3, tax_relief_reasons=["zombie"])
    r = exit_candidates(parcels, ent, ind, links, as_of=AS_OF, policy=three).set_index("reason")
    assert r.loc["zombie", "reason_detail"] == "连续3年无营业收入且无税收 (僵尸企业)"
    assert r.loc["bankrupt", "reason_detail"] == "企业经营状态: 破产"
    assert r["tax_relief_eligible"].to_dict() == {"bankrupt": False, "zombie": True}
    # Four years without revenue and tax are needed: 2016 has no row, so Z cannot be told.
    four = replace(policy, zombie_years=4)
    r4 = exit_candidates(parcels, ent, ind, links, as_of=AS_OF, policy=four)
    assert r4["reason"].tolist() == ["bankrupt"]
