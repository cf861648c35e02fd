"""Industry fit (产业契合度) of parcels and zones, by hand.

Zone Z: lead 汽车零部件 (367), main 装备制造 (33;34;35;38;40) and 建材 (30).

======  =======  ==============  =================================================
parcel  m²       industry code   why
======  =======  ==============  =================================================
P1      20 000   3670 contract   lead
P2      10 000   3411 contract   main (装备制造)
P3      10 000   — → 1310        no contract code: firm F2 uses most of it (8 000)
P4       5 000   —               no code, no firm → unknown
======  =======  ==============  =================================================

Firms (value added / tax, 万元): F1 on P1, 3670, 100 / 10; F2 on P3, 1310, 50 / 30;
F3 on P2 and P3 (5 000 m² each), 3411, 40 / 20.
"""

from __future__ import annotations

import pandas as pd
import pytest

from devzone.policy import load_policy
from devzone.zones.fit import parcel_industry_fit, zone_fit_shares
from devzone.zones.registry import load_industries

ZPOL = load_policy().zones

ZONES = pd.DataFrame(
    {
        "zone_code": ["Z", "EMPTY"],
        "name": ["测试园区", "未登记产业园区"],
        "lead_industry": ["汽车零部件", None],
        "main_industries": ["装备制造、建材", None],
    }
)
PARCELS = pd.DataFrame(
    {
        "parcel_code": ["P1", "P2", "P3", "P4", "P5"],
        "zone_code": ["Z", "Z", "Z", "Z", "EMPTY"],
        "area_m2": [20000.0, 10000.0, 10000.0, 5000.0, 1000.0],
        "industry_code": ["3670", "3411", None, None, "3670"],
    }
)
LINKS = pd.DataFrame(
    {
        "parcel_code": ["P1", "P3", "P2", "P3"],
        "credit_code": ["F1", "F2", "F3", "F3"],
        "used_area_m2": [20000.0, 8000.0, 5000.0, 5000.0],
    }
)
FIRMS = pd.DataFrame(
    {
        "credit_code": ["F1", "F2", "F3"],
        "industry_code": ["3670", "1310", "3411"],
        "value_added_wan": [100.0, 50.0, 40.0],
        "tax_wan": [10.0, 30.0, 20.0],
    }
)


def test_parcel_fit() -> None:
    fit = parcel_industry_fit(
        PARCELS,
        ZONES,
        load_industries(),
        parcel_enterprise=LINKS,
        enterprises=FIRMS,
        separator=ZPOL.main_separator,
    ).set_index("parcel_code")
    assert fit["fit"].to_dict() == {
        "P1": "lead", "P2": "main", "P3": "misfit", "P4": "unknown", "P5": "unknown",
    }  # fmt: skip
    assert fit.at["P3", "industry_code"] == "1310"  # from F2, the largest user
    assert fit.at["P1", "industry_name"] == "汽车零部件"
    assert fit.at["P2", "industry_name"] == "装备制造"
    assert fit.at["P3", "industry_name"] == "农副产品加工"  # the vocabulary's name


def test_zone_shares() -> None:
    industries = load_industries()
    fit = parcel_industry_fit(
        PARCELS,
        ZONES,
        industries,
        parcel_enterprise=LINKS,
        enterprises=FIRMS,
        separator=ZPOL.main_separator,
    )
    z = zone_fit_shares(
        PARCELS, fit, ZONES, industries, indicators=FIRMS, parcel_enterprise=LINKS, policy=ZPOL
    ).set_index("zone_code")
    # Land with a known fit: P1 + P2 + P3 = 40 000 m² (P4 unknown is left out).
    assert z.at["Z", "land_lead_share"] == pytest.approx(20000 / 40000)
    assert z.at["Z", "land_fit_share"] == pytest.approx(30000 / 40000)
    assert z.at["Z", "misfit_land_m2"] == pytest.approx(10000)
    assert z.at["Z", "misfit_parcels"] == 1
    # Output: F1 100 (lead) + F3 40 (main, by its own code 3411) of 190 in total.
    assert z.at["Z", "output_fit_share"] == pytest.approx(140 / 190)
    # Tax: 10 + 20 of 60.
    assert z.at["Z", "tax_fit_share"] == pytest.approx(30 / 60)
    # The zone naming no industries: nothing classifiable.
    assert pd.isna(z.at["EMPTY", "land_fit_share"])


def test_shares_without_registered_area() -> None:
    """Parcels with no ``area_m2`` column and no geometry: used areas still split firms."""
    from devzone.zones.alloc import firm_parcel_shares

    shares = firm_parcel_shares(LINKS, PARCELS.drop(columns="area_m2"))
    f3 = shares[shares["credit_code"] == "F3"].set_index("parcel_code")["share"]
    assert f3.to_dict() == {"P2": 0.5, "P3": 0.5}  # 5 000 m² on each
    assert shares.groupby("credit_code")["share"].sum().tolist() == [1.0, 1.0, 1.0]
