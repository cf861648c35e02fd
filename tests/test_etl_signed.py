"""Per-field non-negativity of the export kinds (issue 13, item 2), on GeoPackage and
PostGIS: tax, revenue, value added, R&D and technical investment may be negative (refunds,
losses) and are loaded; areas, prices, employees and energy stay non-negative (rejected
with the reason). The 是否政府原因 flag and the Art. 12 extension date of the progress kind."""

from __future__ import annotations

import pandas as pd
import pytest
from test_etl_builders import credit, sup_no, write_csv

from devzone.db.io import read
from devzone.etl.kinds import KINDS
from devzone.etl.load import load_paths
from devzone.landuse.performance import evaluate_enterprises
from devzone.policy import load_policy


def test_signed_fields_are_a_property_of_the_spec() -> None:
    by = KINDS["indicators"].by_name()
    signed = {n for n, f in by.items() if f.signed}
    assert signed == {"tax_wan", "revenue_wan", "value_added_wan", "rd_wan", "tech_invest_wan"}
    for name in ("energy_tce", "employees", "emissions_t"):
        assert not by[name].signed
    for kind in ("supply", "parcels", "buildings", "progress", "links", "zones"):
        assert not any(f.signed for f in KINDS[kind].fields), kind


def _indicators(tmp_path):
    df = pd.DataFrame(
        {
            "credit_code": [credit(1), credit(2), credit(3), credit(4)],
            "enterprise_name": [
                "甲示例有限公司",
                "乙示例有限公司",
                "丙示例有限公司",
                "丁示例有限公司",
            ],
            "year": ["2019"] * 4,
            "is_above_scale": ["是"] * 4,
            # firm 2: a tax refund (−50) and a loss in value added (−300)
            "tax": ["200", "-50", "100", "100"],
            "revenue": ["1000", "1000", "1000", "1000"],
            "value_added": ["400", "-300", "400", "400"],
            "energy": ["100", "100", "100", "-1"],  # firm 4: negative energy → rejected
            "rd": ["10", "10", "10", "10"],
            "employees": ["50", "50", "-5", "50"],  # firm 3: negative employees → rejected
        }
    )
    return write_csv(tmp_path / "ind.csv", df, "utf-8-sig")


def test_negative_tax_and_value_added_load_and_are_scored_at_zero(engine, tmp_path) -> None:
    rej = tmp_path / "rej.csv"
    s = load_paths(engine, [_indicators(tmp_path)], rejects=rej, link=False)
    f = s.files[0]
    assert (f.read, f.inserted, f.rejected) == (4, 2, 2)
    out = pd.read_csv(rej, encoding="utf-8-sig")
    assert sorted(out["field"]) == ["employees", "energy"]
    assert out["reason"].str.contains("negative").all()
    ind = read(engine, "enterprise_indicator").set_index("credit_code")
    assert ind.loc[credit(2), "tax_wan"] == pytest.approx(-50.0)  # loaded as reported
    assert ind.loc[credit(2), "value_added_wan"] == pytest.approx(-300.0)

    land = pd.DataFrame(
        {"land_mu": [10.0, 10.0], "zone_code": "Z1"},
        index=pd.Index([credit(1), credit(2)], name="credit_code"),
    )
    ev = evaluate_enterprises(
        ind.reset_index(), year=2019, land=land, policy=load_policy().performance
    ).set_index("credit_code")
    # Firm 1 (P): tax/亩 20, revenue/亩 100, VA/tce 4, R&D 1%, VA/person 8.
    # Firm 2 (L): tax/亩 −5 → 0, VA/tce and VA/person negative → 0.
    # Benchmarks (means, negatives as 0): tax (20+0)/2 = 10; revenue 100; VA/tce 2;
    # R&D 1%; VA/person 4.
    # L = 45×0 + 20×1 + 15×0 + 15×1 + 5×0 = 35;
    # P = 45×min(20/10, 2) + 20×1 + 15×min(4/2, 2) + 15×1 + 5×min(8/4, 2) = 165.
    assert ev.loc[credit(2), "tax_per_mu_wan"] == pytest.approx(-5.0)
    assert ev.loc[credit(2), "score"] == pytest.approx(35.0)
    assert ev.loc[credit(1), "score"] == pytest.approx(165.0)
    assert ev.loc[credit(2), "grade"] == "D"  # graded (rank 2 of 2), not dropped
    assert ev.loc[credit(1), "grade"] == "B"


def test_progress_flag_and_extension_fields_load(engine, tmp_path) -> None:
    df = pd.DataFrame(
        {
            "电子监管号": [sup_no(1), sup_no(2)],
            "填报日期": ["2019-12-20", "2019-12-20"],
            "闲置原因": ["市场原因", "企业自身资金原因"],
            "是否政府原因": ["是", "否"],
            "延长动工期限至": ["2020-06-30", ""],
        }
    )
    s = load_paths(engine, [write_csv(tmp_path / "prog.csv", df, "utf-8-sig")])
    assert s.files[0].inserted == 2
    p = read(engine, "project_progress").set_index("project_key")
    assert bool(p.loc[sup_no(1), "government_cause_flag"]) is True
    assert bool(p.loc[sup_no(2), "government_cause_flag"]) is False
    assert p.loc[sup_no(1), "extended_start_date"] == pd.Timestamp("2020-06-30")
    assert pd.isna(p.loc[sup_no(2), "extended_start_date"])
