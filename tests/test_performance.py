"""亩均效益评价 (POLICY §2): scores, grades, land shares — expectations worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from devzone.errors import ConfigError
from devzone.landuse.performance import (
    enterprise_land,
    evaluate_enterprises,
    grade_by_rank,
    land_shares,
    parcel_performance,
)
from devzone.policy import PerformancePolicy, load_policy, replace
from devzone.units import M2_PER_MU

YEAR = 2019


@pytest.fixture
def policy() -> PerformancePolicy:
    return load_policy().performance


def _scoring(policy: PerformancePolicy, **changes: object) -> PerformancePolicy:
    """``policy`` with ``changes`` to its ``[performance.scoring]`` table."""
    return replace(policy, scoring=replace(policy.scoring, **changes))


def _land(**mu: float) -> pd.DataFrame:
    idx = pd.Index(list(mu), name="credit_code")
    return pd.DataFrame({"land_mu": list(mu.values()), "zone_code": "Z1"}, index=idx)


def _ind(rows: list[dict]) -> pd.DataFrame:
    base = {"year": YEAR, "is_above_scale": True}
    return pd.DataFrame([{**base, **r} for r in rows])


# Three 规上 firms on 10 亩 each (figures in 万元, tce, persons).
THREE = [
    # tax/亩 90, revenue/亩 200, VA/tce 10, R&D 5%, VA/person 20
    {
        "credit_code": "X",
        "tax_wan": 900,
        "revenue_wan": 2000,
        "value_added_wan": 1000,
        "energy_tce": 100,
        "rd_wan": 100,
        "employees": 50,
    },
    # tax/亩 30, revenue/亩 400, VA/tce 6, R&D 2%, VA/person 10
    {
        "credit_code": "Y",
        "tax_wan": 300,
        "revenue_wan": 4000,
        "value_added_wan": 600,
        "energy_tce": 100,
        "rd_wan": 80,
        "employees": 60,
    },
    # tax/亩 0, revenue/亩 600, VA/tce 2, R&D 2%, VA/person 10
    {
        "credit_code": "Z",
        "tax_wan": 0,
        "revenue_wan": 6000,
        "value_added_wan": 200,
        "energy_tce": 100,
        "rd_wan": 120,
        "employees": 20,
    },
]


def test_score_of_above_scale_firm_under_default_weights_and_cap(policy) -> None:
    ev = evaluate_enterprises(
        _ind(THREE), year=YEAR, land=_land(X=10, Y=10, Z=10), policy=policy
    ).set_index("credit_code")
    # Benchmarks = means over the three graded firms:
    #   tax/亩 (90+30+0)/3 = 40; revenue/亩 (200+400+600)/3 = 400; VA/tce (10+6+2)/3 = 6;
    #   R&D (0.05+0.02+0.02)/3 = 0.03; VA/person (20+10+10)/3 = 40/3.
    # X = 45×min(90/40, 2) + 20×200/400 + 15×10/6 + 15×0.05/0.03 + 5×20/(40/3)
    #   = 45×2 (capped, 2.25 > 2) + 10 + 25 + 25 + 7.5 = 157.5
    assert ev.loc["X", "score"] == pytest.approx(157.5)
    # Y = 45×30/40 + 20×1 + 15×1 + 15×(2/3) + 5×0.75 = 33.75+20+15+10+3.75 = 82.5
    assert ev.loc["Y", "score"] == pytest.approx(82.5)
    # Z = 0 + 20×1.5 + 15×(2/6) + 15×(2/3) + 5×0.75 = 30+5+10+3.75 = 48.75
    assert ev.loc["Z", "score"] == pytest.approx(48.75)
    assert ev.loc["X", "tax_per_mu_wan"] == pytest.approx(90.0)
    # n = 3: X r/n = 1/3 > 0.25 → B; Y 2/3 ≤ 0.70 → B; Z 3/3 → D.
    assert ev["grade"].to_dict() == {"X": "B", "Y": "B", "Z": "D"}
    assert ev["rank"].tolist() == [1, 2, 3]


def test_cap_is_read_from_config(policy) -> None:
    policy = _scoring(policy, cap=3.0)
    ev = evaluate_enterprises(
        _ind(THREE), year=YEAR, land=_land(X=10, Y=10, Z=10), policy=policy
    ).set_index("credit_code")
    # Uncapped tax term: 45 × 90/40 = 101.25 instead of 90 → 157.5 + 11.25 = 168.75.
    assert ev.loc["X", "score"] == pytest.approx(168.75)


def test_loss_making_firm_counts_negative_values_as_zero(policy) -> None:
    rows = [
        # tax/亩 20, revenue/亩 100, VA/tce 4, R&D 1%, VA/person 8
        {
            "credit_code": "P",
            "tax_wan": 200,
            "revenue_wan": 1000,
            "value_added_wan": 400,
            "energy_tce": 100,
            "rd_wan": 10,
            "employees": 50,
        },
        # A loss: tax refund −50 (−5/亩), value added −300 (negative VA/tce, VA/person).
        {
            "credit_code": "L",
            "tax_wan": -50,
            "revenue_wan": 1000,
            "value_added_wan": -300,
            "energy_tce": 100,
            "rd_wan": 10,
            "employees": 50,
        },
    ]
    ev = evaluate_enterprises(
        _ind(rows), year=YEAR, land=_land(P=10, L=10), policy=policy
    ).set_index("credit_code")
    assert ev.loc["L", "tax_per_mu_wan"] == pytest.approx(-5.0)  # kept as reported
    # Negative values count as 0, also in the benchmarks:
    #   tax mean (20+0)/2 = 10; revenue mean 100; VA/tce mean (4+0)/2 = 2; R&D mean 0.01;
    #   VA/person mean (8+0)/2 = 4.
    # L = 45×0 + 20×1 + 15×0 + 15×1 + 5×0 = 35
    assert ev.loc["L", "score"] == pytest.approx(35.0)
    # P = 45×min(20/10, 2) + 20×1 + 15×min(4/2, 2) + 15×1 + 5×min(8/4, 2) = 90+20+30+15+10
    assert ev.loc["P", "score"] == pytest.approx(165.0)
    assert ev.loc["L", "grade"] == "D"  # rank 2 of 2 → 1.0 > 0.95
    assert ev.loc["P", "grade"] == "B"  # rank 1 of 2 → 0.5


def test_grade_boundaries_at_25_70_95_percent(policy) -> None:
    scores = pd.Series(np.arange(20, 0, -1), dtype=float)  # 20 distinct scores, rank = i+1
    g = grade_by_rank(
        scores, groups=pd.Series(["above"] * 20), graded=pd.Series([True] * 20), policy=policy
    )
    # r/n: ranks 1–5 ≤ 0.25 → A; 6–14 ≤ 0.70 → B; 15–19 ≤ 0.95 → C; 20 → D.
    assert g["grade"].tolist() == ["A"] * 5 + ["B"] * 9 + ["C"] * 5 + ["D"]
    # n = 10: rank 7 is exactly 0.70 (no float round-off) → B; rank 10 → D.
    g10 = grade_by_rank(
        pd.Series(np.arange(10, 0, -1), dtype=float),
        groups=pd.Series(["above"] * 10),
        graded=pd.Series([True] * 10),
        policy=policy,
    )
    assert g10["grade"].tolist() == ["A", "A", "B", "B", "B", "B", "B", "C", "C", "D"]


def test_ties_share_the_best_rank_and_grade(policy) -> None:
    # 20 firms; positions 5 and 6 tie (rank 5 → 5/20 = 0.25 → both A); positions 14, 15
    # tie (rank 14 → 0.70 → both B); the last two tie at rank 19 → 0.95 → both C, no D.
    s = [20, 19, 18, 17, 16, 16, 14, 13, 12, 11, 10, 9, 8, 7, 7, 5, 4, 3, 2, 2]
    g = grade_by_rank(
        pd.Series(s, dtype=float),
        groups=pd.Series(["below"] * 20),
        graded=pd.Series([True] * 20),
        policy=policy,
    )
    assert g["rank"].tolist()[4:6] == [5, 5]
    assert g["grade"].tolist() == ["A"] * 6 + ["B"] * 9 + ["C"] * 5


def test_grades_are_ranked_within_each_group_separately(policy) -> None:
    scores = pd.Series([10.0, 5.0, 1.0, 100.0])
    groups = pd.Series(["above", "above", "below", "below"])
    g = grade_by_rank(scores, groups=groups, graded=pd.Series([True] * 4), policy=policy)
    # above: 10 → 1/2 = 0.5 B, 5 → 2/2 D; below: 100 → 1/2 B, 1 → 2/2 D.
    assert g["grade"].tolist() == ["B", "D", "D", "B"]


def test_firm_on_two_parcels_and_parcel_shared_by_two_firms(policy) -> None:
    parcels = pd.DataFrame(
        {
            "parcel_code": ["P1", "P2", "P3", "P4"],
            "zone_code": ["Z1", "Z2", "Z2", "Z1"],
            "area_m2": [3000.0, 6000.0, 6000.0, 2000.0],
        }
    )
    links = pd.DataFrame(
        {
            "parcel_code": ["P1", "P2", "P3", "P3"],
            "credit_code": ["X", "X", "Y", "W"],
            "used_area_m2": [None, None, 4000.0, None],  # W: the rest of P3
        }
    )
    shares = land_shares(links, parcels)
    land = enterprise_land(shares)
    # X: 3000 + 6000 = 9000 m² = 9000 ÷ (10000/15) = 13.5 亩, zone of its larger parcel Z2.
    assert land.loc["X", "land_mu"] == pytest.approx(13.5)
    assert land.loc["X", "zone_code"] == "Z2"
    # Y uses 4000 m² = 6 亩; W the remaining 6000 − 4000 = 2000 m² = 3 亩.
    assert land.loc["Y", "land_mu"] == pytest.approx(6.0)
    assert land.loc["W", "land_mu"] == pytest.approx(3.0)

    ind = _ind(
        [
            {"credit_code": "X", "tax_wan": 270, "revenue_wan": 1350},  # 20 and 100 /亩
            {"credit_code": "Y", "tax_wan": 240, "revenue_wan": 600},  # 40 and 100 /亩
            {
                "credit_code": "W",
                "tax_wan": 30,
                "revenue_wan": 60,  # 10 and 20 /亩
                "is_above_scale": False,
            },
        ]
    )
    pol = replace(
        policy, weights={"above": {"tax_per_mu_wan": 100.0}, "below": {"tax_per_mu_wan": 100.0}}
    )
    ev = evaluate_enterprises(ind, year=YEAR, land=land, policy=pol)
    by = ev.set_index("credit_code")
    # W is 规下 on 3 亩 < 5 亩: not evaluated, no grade.
    assert not by.loc["W", "evaluated"]
    assert by.loc["W", "note"] == "below_threshold"
    assert pd.isna(by.loc["W", "grade"])
    # 规上 X, Y: mean tax/亩 (20+40)/2 = 30 → X 100×20/30 = 66.67 (rank 2 → D), Y 133.33 (B).
    assert by.loc["X", "score"] == pytest.approx(200 / 3)
    assert by.loc["Y", "score"] == pytest.approx(400 / 3)

    pp = parcel_performance(parcels, shares, ev, year=YEAR).set_index("parcel_code")
    # P3 area-weighted over Y (4000 m²) and W (2000 m²): tax (40×4000 + 10×2000)/6000 = 30.
    assert pp.loc["P3", "tax_per_mu_wan"] == pytest.approx(30.0)
    assert pp.loc["P3", "grade"] == "B"  # Y's: the only graded firm on P3
    assert pp.loc["P3", "enterprise_count"] == 2
    assert pp.loc["P3", "enterprise_names"] == "Y、W"  # largest share first
    assert pp.loc["P1", "grade"] == pp.loc["P2", "grade"] == "D"  # X's grade on both
    # P4: nobody → grade 'none', note 'no_enterprise' (not dropped).
    assert pp.loc["P4", "grade"] == "none"
    assert pp.loc["P4", "performance_note"] == "no_enterprise"
    assert pd.isna(pp.loc["P4", "score"])
    assert abs(M2_PER_MU - 10000 / 15) < 1e-12


def test_parcel_whose_firm_has_no_indicators_for_the_year(policy) -> None:
    parcels = pd.DataFrame({"parcel_code": ["P1"], "zone_code": ["Z1"], "area_m2": [6000.0]})
    links = pd.DataFrame({"parcel_code": ["P1"], "credit_code": ["Q"], "used_area_m2": [None]})
    shares = land_shares(links, parcels)
    ind = _ind([{"credit_code": "Q", "tax_wan": 10, "year": YEAR - 1}])  # last year only
    ev = evaluate_enterprises(ind, year=YEAR, land=enterprise_land(shares), policy=policy)
    assert ev.set_index("credit_code").loc["Q", "note"] == "no_indicators"
    assert not ev.set_index("credit_code").loc["Q", "evaluated"]
    pp = parcel_performance(parcels, shares, ev, year=YEAR).iloc[0]
    assert pp["grade"] == "none"
    assert pp["performance_note"] == "no_indicators"


def test_firm_in_transition_gets_t_and_stays_out_of_benchmark(policy) -> None:
    policy = replace(policy, weights={"above": {"tax_per_mu_wan": 100.0}})
    ind = _ind(
        [
            {"credit_code": "A1", "tax_wan": 100},  # 10/亩
            {"credit_code": "A2", "tax_wan": 300},  # 30/亩
            {"credit_code": "NEW", "tax_wan": 5000},  # 500/亩, started 2018
            {"credit_code": "UTIL", "tax_wan": 0},  # water supply: exempt
        ]
    )
    ent = pd.DataFrame(
        {
            "credit_code": ["A1", "A2", "NEW", "UTIL"],
            "production_start_year": [2010, 2012, 2018, 2005],
            "industry_code": ["C3311", "C3311", "C3311", "D4610"],
        }
    )
    ev = evaluate_enterprises(
        ind,
        year=YEAR,
        land=_land(A1=10, A2=10, NEW=10, UTIL=10),
        enterprises=ent,
        policy=policy,
    ).set_index("credit_code")
    # NEW: 2019 − 2018 = 1 < 3 years → T; UTIL: industry 46 (water) is exempt → T.
    assert ev.loc["NEW", "grade"] == "T"
    assert ev.loc["NEW", "note"] == "transition"
    assert ev.loc["UTIL", "grade"] == "T"
    assert ev.loc["UTIL", "note"] == "exempt"
    assert ev.loc["NEW", "evaluated"]
    assert pd.isna(ev.loc["NEW", "rank"])
    # Benchmark over graded A1, A2 only: (10+30)/2 = 20 → A1 100×0.5 = 50, A2 100×1.5 = 150.
    assert ev.loc["A1", "score"] == pytest.approx(50.0)
    assert ev.loc["A2", "score"] == pytest.approx(150.0)
    # Ranked among 2 graded firms: A2 1/2 → B, A1 2/2 → D.
    assert ev.loc["A2", "grade"] == "B"
    assert ev.loc["A1", "grade"] == "D"
    # Started 2016: 2019 − 2016 = 3, not < 3 → graded with a transition of 3 years.
    policy = replace(policy, transition_years=4)
    ev4 = evaluate_enterprises(
        ind,
        year=YEAR,
        land=_land(A1=10, A2=10, NEW=10, UTIL=10),
        enterprises=ent.assign(production_start_year=[2016, 2012, 2018, 2005]),
        policy=policy,
    ).set_index("credit_code")
    assert ev4.loc["A1", "grade"] == "T"  # 3 < 4 years


def test_below_scale_threshold_is_configurable(policy) -> None:
    ind = _ind([{"credit_code": "S", "tax_wan": 40, "is_above_scale": False}])
    land = _land(S=4.0)
    assert not evaluate_enterprises(ind, year=YEAR, land=land, policy=policy)["evaluated"][0]
    policy = replace(policy, min_land_mu_below=3.0)  # many counties use 3 亩
    ev = evaluate_enterprises(ind, year=YEAR, land=land, policy=policy)
    assert ev["evaluated"][0]
    # Alone in its group, the rule read literally: rank 1 of 1 → r/n = 1.0 > 0.95 → D.
    assert ev["grade"][0] == "D"


def test_min_max_scoring(policy) -> None:
    policy = replace(
        _scoring(policy, method="min_max"),
        weights={"above": {"tax_per_mu_wan": 60.0, "revenue_per_mu_wan": 40.0}},
    )
    ind = _ind(
        [
            {"credit_code": "A", "tax_wan": 100, "revenue_wan": 1000},  # 10, 100 /亩
            {"credit_code": "B", "tax_wan": 300, "revenue_wan": 3000},  # 30, 300
            {"credit_code": "C", "tax_wan": 500, "revenue_wan": 2000},  # 50, 200
        ]
    )
    ev = evaluate_enterprises(ind, year=YEAR, land=_land(A=10, B=10, C=10), policy=policy)
    s = ev.set_index("credit_code")["score"]
    # 旌德: w × [20 + 80 (x − min)/(max − min)] / 100.
    # B: 60×[20 + 80×(30−10)/40]/100 + 40×[20 + 80×(300−100)/200]/100 = 60×0.6 + 40×1.0 = 76
    assert s["B"] == pytest.approx(76.0)
    # A: 60×0.2 + 40×0.2 = 20;  C: 60×1.0 + 40×[20 + 80×0.5]/100 = 60 + 24 = 84
    assert s["A"] == pytest.approx(20.0)
    assert s["C"] == pytest.approx(84.0)


def test_fixed_benchmarks(policy) -> None:
    policy = replace(
        _scoring(policy, method="fixed"),
        weights={"above": {"tax_per_mu_wan": 100.0}},
        fixed_benchmarks={"above": {"tax_per_mu_wan": 26.4}},
    )
    ind = _ind([{"credit_code": "A", "tax_wan": 132}])  # 13.2 /亩 on 10 亩
    ev = evaluate_enterprises(ind, year=YEAR, land=_land(A=10), policy=policy)
    assert ev["score"][0] == pytest.approx(50.0)  # 100 × 13.2/26.4
    policy = replace(policy, fixed_benchmarks={"above": {}})
    with pytest.raises(ConfigError, match="fixed_benchmarks"):
        evaluate_enterprises(ind, year=YEAR, land=_land(A=10), policy=policy)


def test_county_mean_benchmark(policy) -> None:
    policy = replace(
        _scoring(policy, method="county_mean"), weights={"above": {"tax_per_mu_wan": 100.0}}
    )
    ind = _ind(
        [
            {"credit_code": "A", "tax_wan": 100},  # 10/亩 in county 1
            {"credit_code": "B", "tax_wan": 300},  # 30/亩 in county 1
            {"credit_code": "C", "tax_wan": 500},  # 50/亩 alone in county 2
        ]
    )
    land = _land(A=10, B=10, C=10)
    land["zone_code"] = ["Z1", "Z1", "Z2"]
    zones = pd.DataFrame({"zone_code": ["Z1", "Z2"], "district_code": ["341502", "341503"]})
    ev = evaluate_enterprises(ind, year=YEAR, land=land, zones=zones, policy=policy)
    s = ev.set_index("credit_code")["score"]
    # County 1 mean 20: A 100×0.5 = 50, B 100×1.5 = 150; county 2 mean 50: C 100×1 = 100.
    assert s.to_dict() == pytest.approx({"A": 50.0, "B": 150.0, "C": 100.0})


def test_unknown_method_or_indicator_is_a_config_error(policy) -> None:
    ind = _ind([{"credit_code": "A", "tax_wan": 1}])
    # The typed policy refuses an unknown method and a weight that is not a number when
    # it is built (from a file or by replace), naming the key.
    with pytest.raises(ConfigError, match="method"):
        _scoring(policy, method="median")
    with pytest.raises(ConfigError, match=r"weights\.above\.tax_per_mu_wan"):
        replace(policy, weights={"above": {"tax_per_mu_wan": "45%"}})  # not a number
    # An indicator the evaluation does not compute is refused by the rule.
    unknown = replace(policy, weights={"above": {"profit_per_mu": 1.0}})
    with pytest.raises(ConfigError, match="profit_per_mu"):
        evaluate_enterprises(ind, year=YEAR, land=_land(A=10), policy=unknown)


def test_policy_file_with_bad_method_or_weight_names_the_key(tmp_path) -> None:
    city = tmp_path / "city.toml"
    city.write_text("[performance.scoring]\nmethod = 'median'\n", "utf-8")
    with pytest.raises(ConfigError, match=r"performance\.scoring.*'method'"):
        load_policy(city)
    city.write_text("[performance.weights.above]\ntax_per_mu_wan = '45%'\n", "utf-8")
    with pytest.raises(ConfigError, match=r"performance\.weights\.above.*'tax_per_mu_wan'"):
        load_policy(city)


def test_one_land_share_rule_for_evaluation_zones_and_exit(policy) -> None:
    # Issue 13 item 5. Parcel P of 1000 m²: X registers 300 m², Y registers nothing;
    # Y also holds parcel Q (700 m²) alone. One rule everywhere: Y gets the rest of P,
    # 1000 − 300 = 700 m² (not an equal split 500, not the whole 1000).
    from devzone.landuse.exit import missed_commitments
    from devzone.zones.alloc import firm_parcel_shares

    parcels = pd.DataFrame(
        {
            "parcel_code": ["P", "Q"],
            "zone_code": ["Z1", "Z2"],
            "area_m2": [1000.0, 700.0],
            "committed_check_date": pd.to_datetime(["2019-06-30"] * 2),
            "committed_tax_wan_per_mu": [1000.0, 1000.0],  # so both are listed
        }
    )
    links = pd.DataFrame(
        {
            "parcel_code": ["P", "P", "Q"],
            "credit_code": ["X", "Y", "Y"],
            "used_area_m2": [300.0, None, None],
        }
    )
    share = land_shares(links, parcels).set_index(["parcel_code", "credit_code"])["share_m2"]
    assert share[("P", "X")] == 300.0
    assert share[("P", "Y")] == 700.0
    # Zone allocation: Y's land 700 on P + 700 on Q → share 0.5 in each zone (an equal
    # split of P would give 500 / 1200 = 0.417 and users of P totalling 300 + 500 = 800).
    zs = firm_parcel_shares(links, parcels).set_index(["parcel_code", "credit_code"])
    assert zs.loc[("P", "Y"), "used_m2"] == 700.0
    assert zs.loc[("P", "Y"), "share"] == pytest.approx(0.5)
    assert zs.loc[("P", "X"), "share"] == 1.0
    # Exit: Y's tax 140 万元 shared by land used, 700 : 700 → 70 on P and 70 on Q;
    # X pays no tax. P: 70 万元 ÷ 1.5 亩 = 46.67 万元/亩; Q: 70 ÷ 1.05 亩 = 66.67.
    # (The whole parcel for Y would give P 140 × 1000/1700 = 82.35 万元.)
    ind = pd.DataFrame({"credit_code": ["X", "Y"], "year": [YEAR] * 2, "tax_wan": [0.0, 140.0]})
    m = missed_commitments(parcels, links, ind, as_of=f"{YEAR}-12-31").set_index("parcel_code")
    assert m.loc["P", "tax_per_mu_wan"] == pytest.approx(70 / 1.5)
    assert m.loc["Q", "tax_per_mu_wan"] == pytest.approx(70 / 1.05)


def test_users_of_a_parcel_never_total_more_than_the_parcel() -> None:
    # Registered 800 + 400 = 1200 m² on a 1000 m² parcel: scaled to 1000 × 800/1200 =
    # 666.67 and 1000 × 400/1200 = 333.33; the third user without a figure gets 0.
    links = pd.DataFrame(
        {
            "parcel_code": ["P"] * 3,
            "credit_code": ["A", "B", "C"],
            "used_area_m2": [800.0, 400.0, None],
        }
    )
    parcels = pd.DataFrame({"parcel_code": ["P"], "area_m2": [1000.0], "zone_code": ["Z"]})
    got = land_shares(links, parcels)["share_m2"].tolist()
    assert got == pytest.approx([2000 / 3, 1000 / 3, 0.0])
    assert sum(got) == pytest.approx(1000.0)


def test_equal_figures_tie_at_the_stated_precision(policy) -> None:
    # Issue 13 item 6. 315 万元 on 21 000 m² (31.5 亩) and 60 万元 on 4000 m² (6 亩) are
    # both 10 万元/亩 by hand; binary floating point makes the first 9.999999999999998.
    # With a third firm at 20 万元/亩 (规下, weights tax 100): mean (10+10+20)/3 = 13.33;
    # both score 100 × 10/13.33 = 75 and must share rank 2 of 3 (2/3 = 0.667 → B).
    assert policy.grades.score_decimals == 6
    parcels = pd.DataFrame(
        {"parcel_code": ["P1", "P2", "P3"], "zone_code": "Z", "area_m2": [21000.0, 4000.0, 10000.0]}
    )
    links = pd.DataFrame({"parcel_code": ["P1", "P2", "P3"], "credit_code": ["F", "G", "H"]})
    land = enterprise_land(land_shares(links, parcels))
    ind = _ind(
        [
            {"credit_code": "F", "tax_wan": 315.0, "is_above_scale": False},
            {"credit_code": "G", "tax_wan": 60.0, "is_above_scale": False},
            {"credit_code": "H", "tax_wan": 300.0, "is_above_scale": False},  # 20/亩
        ]
    )
    ev = evaluate_enterprises(ind, year=YEAR, land=land, policy=policy).set_index("credit_code")
    assert ev.loc["F", "rank"] == ev.loc["G", "rank"] == 2
    assert ev.loc["F", "grade"] == ev.loc["G", "grade"] == "B"
    # The rule itself: 10.0 and 9.999999999999998 tie, 9.99999 does not.
    g = grade_by_rank(
        pd.Series([10.0, 315 / (21000 / M2_PER_MU), 9.99999]),
        groups=pd.Series(["below"] * 3),
        graded=pd.Series([True] * 3),
        policy=policy,
    )
    assert g["rank"].tolist() == [1, 1, 3]


def test_zero_scores_at_the_bottom_are_d(policy) -> None:
    # Choice "ties at the bottom": 20 规下 firms, the last 2 with score 0 (no tax). Ranked
    # literally they share rank 19 → 19/20 = 0.95 ≤ 0.95 → C, so no firm would be D.
    # With grades.nonpositive_grade_d (shipped true) a score ≤ 0 is D whatever its rank.
    s = pd.Series([*range(18, 0, -1), 0, 0], dtype=float)
    kw = {"groups": pd.Series(["below"] * 20), "graded": pd.Series([True] * 20)}
    g = grade_by_rank(s, policy=policy, **kw)
    assert g["rank"].tolist()[-2:] == [19, 19]
    assert g["grade"].tolist()[-3:] == ["C", "D", "D"]
    literal = replace(policy, grades=replace(policy.grades, nonpositive_grade_d=False))
    assert grade_by_rank(s, policy=literal, **kw)["grade"].tolist()[-2:] == ["C", "C"]


def test_five_mu_threshold_at_certificate_precision(policy) -> None:
    # Choice: 3333.33 m² ÷ (10000/15) = 4.999995 亩, which the certificate prints as
    # 5.00 亩 (land_mu_decimals = 2) → a 规下 firm on it is evaluated (≥ 5 亩);
    # 3326.67 m² = 4.990005 → 4.99 亩 < 5 → not evaluated.
    assert policy.land_mu_decimals == 2
    ind = _ind(
        [
            {"credit_code": "S", "tax_wan": 40, "is_above_scale": False},
            {"credit_code": "T", "tax_wan": 40, "is_above_scale": False},
        ]
    )
    land = _land(S=3333.33 / M2_PER_MU, T=3326.67 / M2_PER_MU)
    ev = evaluate_enterprises(ind, year=YEAR, land=land, policy=policy).set_index("credit_code")
    assert ev.loc["S", "evaluated"]
    assert not ev.loc["T", "evaluated"]
