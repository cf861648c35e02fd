"""Per-zone supervision totals (批而未供/供而未用/用而未尽, fees), hand-worked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from devzone.landuse.supervision import zone_summary


def test_zone_totals_by_status_and_category() -> None:
    status = pd.DataFrame(
        {
            "as_of_date": pd.Timestamp("2019-12-31"),
            "zone_code": ["Z1", "Z1", "Z1", "Z1", None],
            "status": ["idle_fee", "idle_fee", "idle_recover", "not_supplied", "idle_fee"],
            "supervision_category": ["供而未用", "供而未用", "供而未用", "批而未供", "供而未用"],
            "area_m2": [10000.0, 5000.0, 20000.0, 8000.0, 3000.0],
            "idle_fee_wan": [200.0, np.nan, 0.0, np.nan, 50.0],
        }
    )
    zones = pd.DataFrame({"zone_code": ["Z1", "Z2"], "approved_area_ha": [10.0, 2.0]})
    out = zone_summary(status, zones)
    z1 = out[out["zone_code"] == "Z1"].set_index(["kind", "category"])
    # idle_fee in Z1: 2 parcels, (10000 + 5000) m² = 1.5 ha, known fee 200, one unknown
    assert z1.loc[("status", "idle_fee"), "parcels"] == 2
    assert z1.loc[("status", "idle_fee"), "area_ha"] == pytest.approx(1.5)
    assert z1.loc[("status", "idle_fee"), "idle_fee_wan"] == pytest.approx(200.0)
    assert z1.loc[("status", "idle_fee"), "fee_unknown_parcels"] == 1
    # 供而未用 = 10000 + 5000 + 20000 = 35000 m² = 3.5 ha; fee only on idle_fee rows: 200
    assert z1.loc[("supervision", "供而未用"), "area_ha"] == pytest.approx(3.5)
    assert z1.loc[("supervision", "供而未用"), "idle_fee_wan"] == pytest.approx(200.0)
    assert z1.loc[("supervision", "批而未供"), "area_ha"] == pytest.approx(0.8)
    # 核准面积未供: Z1 10 ha − supplied 3.5 ha = 6.5 ha; Z2 2 ha − 0 = 2 ha
    assert z1.loc[("zone", "核准面积未供"), "area_ha"] == pytest.approx(6.5)
    z2 = out[(out["zone_code"] == "Z2") & (out["kind"] == "zone")]
    assert z2["area_ha"].tolist() == pytest.approx([2.0])
    outside = out[out["zone_code"].isna() & (out["kind"] == "status")]
    assert outside["idle_fee_wan"].tolist() == pytest.approx([50.0])


def test_empty_status_gives_empty_summary() -> None:
    cols = ["as_of_date", "zone_code", "status", "supervision_category", "area_m2", "idle_fee_wan"]
    out = zone_summary(pd.DataFrame(columns=cols))
    assert out.empty
    assert "category" in out.columns
