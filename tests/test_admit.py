"""Entry check of a proposed project (项目入驻审查, ``devzone admit``), by hand.

Thresholds from the shipped data/policy/intensity.toml: investment ≥ 300 万元/亩 OR
tax ≥ 30 万元/亩/年 (Lu'an rule); minimum FAR by industry (国土资发〔2008〕24号) with
2017 code 36 → 2002 division 37 (交通运输设备) → 0.7, and 2017 code 13 → 1.0.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_zones_indicators import seed

from devzone.db.admin import init_db
from devzone.db.engine import make_engine
from devzone.errors import InputError
from devzone.policy import load_policy, replace
from devzone.zones.admit import Proposal, admission_check
from devzone.zones.registry import load_industries

ZONES = pd.DataFrame(
    {
        "zone_code": ["Z1"],
        "name": ["测试园区"],
        "lead_industry": ["汽车零部件"],
        "main_industries": ["装备制造、建材"],
    }
)


def check(*, policy=None, **kw) -> pd.DataFrame:
    """The entry check of a proposal in zone Z1 (FAR not given unless ``far=``)."""
    pol = load_policy()
    proposal = Proposal(**{"zone_code": "Z1", "far": None, **kw})
    return admission_check(
        proposal,
        zones=ZONES,
        industries=load_industries(),
        policy=policy or pol.zones,
        intensity=pol.intensity,
    ).set_index("standard")


def test_lead_industry_tax_passes_far_fails() -> None:
    # 50 亩, 12 000 万元 → 240 万元/亩 < 300; tax 1 600 → 32 万元/亩 ≥ 30: "or" passes.
    r = check(industry_code="3670", area_mu=50, investment_wan=12000, tax_wan=1600, far=0.6)
    assert r.loc["industry_fit", "passed"] is True  # 3670 汽车零部件 = the lead industry
    assert "首位产业" in r.loc["industry_fit", "reason"]
    assert r.loc["invest_or_tax", "passed"] is True
    assert "240.00" in r.loc["invest_or_tax", "reason"]
    assert "32.00" in r.loc["invest_or_tax", "reason"]
    assert r.loc["far", "passed"] is False  # 0.6 < 0.7 (2017 code 36 → 2002 division 37)
    assert r.loc["far", "required"] == "≥ 0.7"


def test_misfit_and_both_money_rules_fail() -> None:
    # 1310 (农副食品加工) fits neither 汽车零部件 nor 装备制造/建材.
    # 20 亩: 5 000 → 250 万元/亩 < 300; 500 → 25 万元/亩 < 30: both fail.
    r = check(industry_code="1310", area_mu=20, investment_wan=5000, tax_wan=500, far=1.2)
    assert r.loc["industry_fit", "passed"] is False
    assert "不属于" in r.loc["industry_fit", "reason"]
    assert r.loc["invest_or_tax", "passed"] is False
    assert "两项均未达标" in r.loc["invest_or_tax", "reason"]
    assert r.loc["far", "passed"] is True  # 1.2 ≥ 1.0 for 2002 division 13


def test_exact_thresholds_pass_and_main_industry() -> None:
    # 3411 → 装备制造 (main). 10 亩: 3 000 → exactly 300 万元/亩; FAR exactly 0.7
    # (2017 34 → 2002 35 通用设备 → 0.7).
    r = check(industry_code="C3411", area_mu=10, investment_wan=3000, tax_wan=0, far=0.7)
    assert r.loc["industry_fit", "passed"] is True
    assert "主导产业" in r.loc["industry_fit", "reason"]
    assert r.loc["invest_or_tax", "passed"] is True
    assert r.loc["far", "passed"] is True


def test_far_not_given_is_not_assessed() -> None:
    r = check(industry_code="3670", area_mu=10, investment_wan=3000, tax_wan=0)
    assert r.loc["far", "passed"] is None


def test_both_rules_when_not_or(tmp_path) -> None:
    # [zones.admission] invest_or_tax = false: both money rules must pass.
    zones = load_policy().zones
    policy = replace(zones, admission=replace(zones.admission, invest_or_tax=False))
    r = check(industry_code="3670", area_mu=50, investment_wan=12000, tax_wan=1600, policy=policy)
    assert r.loc["invest_intensity", "passed"] is False  # 240 < 300
    assert r.loc["tax_per_mu", "passed"] is True  # 32 ≥ 30


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"area_mu": 0}, "--area-mu"),
        ({"investment_wan": -1}, "--invest-wan"),
        ({"industry_code": "car parts"}, "--industry"),
        ({"zone_code": "NOPE"}, "--zone"),
        ({"far": 0}, "--far"),
    ],
)
def test_bad_input_names_the_field(kw, field) -> None:
    args = {"industry_code": "3670", "area_mu": 10, "investment_wan": 3000, "tax_wan": 0}
    args.update(kw)
    with pytest.raises(InputError) as info:
        check(**args)
    assert info.value.field == field


def test_cli_json_and_exit_status(tmp_path) -> None:
    db = tmp_path / "z.gpkg"
    eng = make_engine(str(db), create=True)
    init_db(eng)
    seed(eng, "dev_zone", ZONES)
    eng.dispose()
    devzone = str(Path(sys.executable).parent / "devzone")
    base = [devzone, "admit", "--db", str(db), "--zone", "Z1"]
    ok = subprocess.run(
        [
            *base,
            "--industry",
            "3670",
            "--area-mu",
            "10",
            "--invest-wan",
            "3000",
            "--tax-wan",
            "0",
            "--far",
            "1.0",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    payload = json.loads(ok.stdout)
    assert payload["passed"] is True
    assert [s["standard"] for s in payload["standards"]] == ["industry_fit", "invest_or_tax", "far"]
    bad = subprocess.run(
        [
            *base,
            "--industry",
            "1310",
            "--area-mu",
            "10",
            "--invest-wan",
            "100",
            "--tax-wan",
            "0",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["passed"] is False
    err = subprocess.run(
        [
            *base[:-1],
            "NOPE",
            "--industry",
            "1310",
            "--area-mu",
            "10",
            "--invest-wan",
            "1",
            "--tax-wan",
            "0",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert err.returncode == 2
    assert "NOPE" in err.stderr
    assert "Traceback" not in err.stderr


def test_industry_without_2002_division_is_not_assessed() -> None:
    # intensity.toml maps 2017 division 43 (金属制品、机械和设备修理业) to no 2002 division,
    # so the national table has no minimum FAR for it: FAR is reported, not judged.
    r = check(industry_code="4310", area_mu=10, investment_wan=3000, tax_wan=0, far=0.1)
    assert r.loc["far", "passed"] is None
    assert r.loc["far", "required"] == "—"
