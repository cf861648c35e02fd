"""Zone land-use intensity indicators (开发区土地集约利用评价指标, TD/T 1029; POLICY §4).

The land classes of TD/T 1029 are read from the industrial-land database as follows
(the database records the zones' industrial land, not their whole land survey, so the
classes cover the land it holds). Everything is "as at 31 December of the year":

* **A+B** (评价范围, 开发区土地总面积): the approved area (核准面积, the official scope
  of the national evaluation), else the zone boundary's area measured in the
  Gauss–Krüger ``area_crs`` (boundaries in the sample are drawn, not surveyed);
* **D** (已供应国有建设用地): parcels with a supply contract (电子监管号 or 约定开工时间)
  signed by the year end (no contract date → counted);
* **B21** (已达到供地条件的土地, not yet built): parcels in the database not built by
  the year end, supplied or not (they are serviced land). So A + B21 is all the land
  the database holds in the zone, and 供应率 D/(A+B21) and 建成率 A/D stay ≤ 1;
* **A** (已建成城镇建设用地): supplied parcels completed (实际竣工时间) by the year end,
  or carrying building footprints and not started after the year end;
* **A2** (工矿仓储用地): built parcels whose use contains 工业/仓储/工矿, or whose use is
  unknown (config ``industrial_use_words``); **A1** (住宅用地): use contains 住宅;
* **G** (闲置土地): parcels whose ``parcel_idle_status`` (latest snapshot of the year)
  is one of ``idle_statuses``.

Floor area is the building's counted floor area (``floor_area_m2``, else footprint ×
floors; storeys over 8 m count double, as for parcels in ``landuse/intensity.py``); the building
coefficient uses building footprints only (structures and stockyards are not recorded).
Investment is the cumulative ``project_progress.invested_wan`` (reports up to the year
end); a built A2 parcel without any progress record falls back to its contract's
committed investment intensity × its area (counted in ``invest_from_contract``). Tax is
the year's ``enterprise_indicator.tax_wan`` spread over parcels by used area.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from devzone.crs import AREA_CRS
from devzone.landuse.performance import M2_PER_MU
from devzone.zones.alloc import firm_parcel_shares, parcel_area_m2

__all__ = ["INDICATORS", "classify_parcels", "zone_indicators", "zone_type"]

M2_PER_HA = 10000.0

#: Indicator column → Chinese label with unit (TD/T 1029 names).
INDICATORS: dict[str, str] = {
    "development_rate": "土地开发率",
    "supply_rate": "土地供应率",
    "built_rate": "土地建成率",
    "industrial_land_rate": "工业用地率",
    "far": "综合容积率",
    "building_density": "建筑密度",
    "industrial_far": "工业用地综合容积率",
    "industrial_building_coefficient": "工业用地建筑系数",
    "invest_intensity_wan_per_mu": "工业用地固定资产投入强度 (万元/亩)",
    "industrial_tax_per_mu_wan": "工业用地地均税收 (万元/亩)",
    "tax_per_mu_wan": "综合地均税收 (万元/亩)",
    "idle_rate": "土地闲置率",
}


def _contains_any(text: pd.Series, words: Sequence[str]) -> pd.Series:
    s = text.astype("string").fillna("")
    if not words:
        return pd.Series(False, index=text.index)
    return s.str.contains("|".join(map(str, words)), regex=True).fillna(False).astype(bool)


def classify_parcels(
    parcels: pd.DataFrame,
    buildings: pd.DataFrame | None,
    *,
    year: int,
    policy: Mapping[str, Any] | None = None,
    idle: pd.DataFrame | None = None,
    area_crs: str = AREA_CRS,
) -> pd.DataFrame:
    """TD/T 1029 land classes of each parcel (宗地用地分类).

    Returns
    -------
    DataFrame
        Indexed like ``parcels``: ``parcel_code``, ``zone_code``, ``area_m2``,
        ``supplied`` (D), ``ready`` (B21), ``built`` (A), ``industrial`` (A2),
        ``residential`` (A1), ``idle`` (G), ``floor_area_m2``, ``footprint_m2``.
    """
    pol = dict(policy or {})
    out = pd.DataFrame(
        {"parcel_code": parcels["parcel_code"], "zone_code": parcels["zone_code"]},
        index=parcels.index,
    )
    out["area_m2"] = parcel_area_m2(parcels, area_crs=area_crs)
    year_end = pd.Timestamp(year=year, month=12, day=31)

    def col(name: str) -> pd.Series:
        return parcels[name] if name in parcels else pd.Series(pd.NA, index=parcels.index)

    def date(name: str) -> pd.Series:
        return pd.to_datetime(col(name), errors="coerce")

    has_contract = col("supervision_no").notna() | col("agreed_start_date").notna()
    signed = date("contract_date")
    out["supplied"] = (has_contract & (signed.isna() | (signed <= year_end))).astype(bool)
    b = _building_sums(_place_buildings(buildings, parcels), area_crs=area_crs)
    out["floor_area_m2"] = parcels["parcel_code"].map(b["floor_area_m2"]).fillna(0.0)
    out["footprint_m2"] = parcels["parcel_code"].map(b["footprint_m2"]).fillna(0.0)
    done = (date("actual_completion_date") <= year_end).fillna(False)
    started = date("actual_start_date")
    standing = (out["footprint_m2"] > 0) & (started.isna() | (started <= year_end))
    out["built"] = (out["supplied"] & (standing | done)).astype(bool)
    out["ready"] = ~out["built"]
    use = col("land_use")
    words_i = pol.get("industrial_use_words", ["工业", "仓储", "工矿"])
    words_r = pol.get("residential_use_words", ["住宅"])
    unknown_use = use.astype("string").fillna("").str.strip() == ""
    out["residential"] = out["built"] & _contains_any(use, words_r)
    out["industrial"] = out["built"] & (_contains_any(use, words_i) | unknown_use)
    idle_codes: set[str] = set()
    if idle is not None and len(idle):
        statuses = pol.get(
            "idle_statuses", ["idle_fee", "idle_recover", "idle_stalled", "government_cause"]
        )
        idle_codes = set(idle.loc[idle["status"].isin(statuses), "parcel_code"])
    out["idle"] = parcels["parcel_code"].isin(idle_codes).to_numpy()
    return out


def _building_sums(buildings: pd.DataFrame | None, *, area_crs: str) -> pd.DataFrame:
    """Counted floor area (计容, storeys over 8 m double) and footprint per parcel (m²).

    The same measure as the parcel-level intensity
    (:func:`devzone.landuse.intensity.building_measures`), so zone and parcel FAR agree.
    """
    from devzone.landuse.intensity import building_measures

    if buildings is None or buildings.empty:
        return pd.DataFrame(columns=["floor_area_m2", "footprint_m2"])
    m = building_measures(buildings, area_crs=area_crs)
    df = pd.DataFrame(
        {
            "parcel_code": buildings["parcel_code"],
            "floor_area_m2": m["counted_floor_area_m2"].fillna(0.0),
            "footprint_m2": m["footprint_m2"].fillna(0.0),
        }
    )
    return df.groupby("parcel_code")[["floor_area_m2", "footprint_m2"]].sum()


def _place_buildings(buildings: pd.DataFrame | None, parcels: pd.DataFrame) -> pd.DataFrame | None:
    """Buildings without a parcel code get the parcel holding their representative
    point (:func:`devzone.spatial.assign_by_location`)."""
    if buildings is None or buildings.empty:
        return buildings
    if "parcel_code" not in buildings:
        buildings = buildings.assign(parcel_code=pd.NA)
    missing = buildings["parcel_code"].isna()
    if not missing.any() or not (
        isinstance(buildings, gpd.GeoDataFrame) and isinstance(parcels, gpd.GeoDataFrame)
    ):
        return buildings
    from devzone.spatial import assign_by_location

    placed = buildings.copy()
    where = assign_by_location(
        buildings[missing], parcels[["parcel_code", parcels.geometry.name]], "parcel_code"
    )
    placed.loc[missing, "parcel_code"] = where.to_numpy()
    return placed


def zone_type(
    industrial_share: pd.Series,
    residential_share: pd.Series,
    *,
    policy: Mapping[str, Any] | None = None,
) -> pd.Series:
    """Zone type (开发区类型): 工业主导型 when A2/A > 30% and A1/A < 25%, else 产城融合型."""
    t = dict((policy or {}).get("type") or {})
    ind_min = float(t.get("industrial_share_min", 0.30))
    res_max = float(t.get("residential_share_max", 0.25))
    ok = (industrial_share.fillna(0) > ind_min) & (residential_share.fillna(0) < res_max)
    return pd.Series(np.where(ok, "工业主导型", "产城融合型"), index=industrial_share.index)


def zone_indicators(
    zones: pd.DataFrame,
    parcels: pd.DataFrame,
    *,
    year: int,
    buildings: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    parcel_enterprise: pd.DataFrame | None = None,
    progress: pd.DataFrame | None = None,
    idle: pd.DataFrame | None = None,
    evaluation: pd.DataFrame | None = None,
    policy: Mapping[str, Any] | None = None,
    area_crs: str = AREA_CRS,
) -> pd.DataFrame:
    """TD/T 1029 intensity indicators and performance aggregates per zone and year.

    Parameters
    ----------
    zones
        ``dev_zone`` rows (GeoDataFrame for boundary areas): ``zone_code``, ``name``,
        ``approved_area_ha``.
    parcels
        :func:`devzone.db.io.read_parcels` output.
    year
        Evaluation year (built = completed by 31 Dec; tax of that year).
    buildings, indicators, parcel_enterprise, progress, idle, evaluation
        ``building``; ``enterprise_indicator`` rows of the year; ``parcel_enterprise``;
        ``project_progress``; ``parcel_idle_status`` of an as-of date in the year;
        ``enterprise_evaluation`` rows of the year. Each optional.
    policy
        The ``[zones]`` table.

    Returns
    -------
    DataFrame
        One row per zone: ``zone_code``, ``zone_name``, the areas (``area_total_ha``,
        ``area_a_ha``, ``area_a1_ha``, ``area_a2_ha``, ``area_b21_ha``, ``area_d_ha``,
        ``area_g_ha``), ``floor_area_m2``, ``footprint_m2``, ``invested_wan``,
        ``tax_wan``, ``industrial_tax_wan``, the :data:`INDICATORS` columns (ratios as
        fractions, NaN when the denominator is 0), ``zone_type``, ``idle_fee_wan``,
        ``firms_graded``, ``share_grade_a``, ``share_grade_d``.
    """
    pol = dict(policy or {})
    cls = classify_parcels(parcels, buildings, year=year, policy=pol, idle=idle, area_crs=area_crs)
    zone_index = pd.Index(zones["zone_code"].drop_duplicates(), name="zone_code")
    out = pd.DataFrame(index=zone_index)
    out["zone_name"] = zones.drop_duplicates("zone_code").set_index("zone_code")["name"]
    # A+B: approved area (核准面积), else the boundary's measured area.
    zone_rows = zones.drop_duplicates("zone_code")
    approved = pd.Series(
        pd.to_numeric(zone_rows.get("approved_area_ha"), errors="coerce").to_numpy(),
        index=zone_rows["zone_code"].to_numpy(),
    )
    approved = approved.where(approved > 0)
    measured = pd.Series(np.nan, index=approved.index)
    if isinstance(zone_rows, gpd.GeoDataFrame) and zone_rows.geometry.notna().any():
        geo = zone_rows.geometry
        geo_ha = (geo.to_crs(area_crs).area / M2_PER_HA).where(geo.notna() & ~geo.is_empty)
        measured = pd.Series(geo_ha.to_numpy(), index=approved.index)
    out["area_total_ha"] = approved.fillna(measured).reindex(zone_index)
    out["area_basis"] = pd.Series(
        np.where(approved.notna(), "approved", np.where(measured.notna(), "boundary", "")),
        index=approved.index,
    ).reindex(zone_index)

    a = cls["area_m2"].fillna(0.0)

    def zsum(values: pd.Series, mask: pd.Series | None = None) -> pd.Series:
        v = values if mask is None else values.where(mask, 0.0)
        return v.groupby(cls["zone_code"]).sum().reindex(zone_index).fillna(0.0)

    out["area_a_ha"] = zsum(a, cls["built"]) / M2_PER_HA
    out["area_a1_ha"] = zsum(a, cls["residential"]) / M2_PER_HA
    out["area_a2_ha"] = zsum(a, cls["industrial"]) / M2_PER_HA
    out["area_b21_ha"] = zsum(a, cls["ready"]) / M2_PER_HA
    out["area_d_ha"] = zsum(a, cls["supplied"]) / M2_PER_HA
    out["area_g_ha"] = zsum(a, cls["idle"]) / M2_PER_HA
    out["floor_area_m2"] = zsum(cls["floor_area_m2"], cls["built"])
    out["footprint_m2"] = zsum(cls["footprint_m2"], cls["built"])
    a2_floor = zsum(cls["floor_area_m2"], cls["industrial"])
    a2_foot = zsum(cls["footprint_m2"], cls["industrial"])

    # Cumulative investment on A2 parcels (project ledger), by parcel code or 监管号;
    # parcels without a ledger record: the contract's committed intensity × area.
    invest = pd.Series(np.nan, index=cls.index)
    if progress is not None and len(progress):
        reported = pd.to_datetime(progress.get("report_date"), errors="coerce")
        prog = progress[reported.isna() | (reported <= pd.Timestamp(year=year, month=12, day=31))]
        inv = pd.to_numeric(prog["invested_wan"], errors="coerce")
        by_code = inv.groupby(prog["parcel_code"]).sum()
        no_code = prog["parcel_code"].isna()
        by_no = inv[no_code].groupby(prog.loc[no_code, "supervision_no"]).sum()
        sup = parcels.get("supervision_no", None)
        invest = parcels["parcel_code"].map(by_code)
        if sup is not None:
            invest = invest.fillna(sup.map(by_no))
    committed = pd.to_numeric(
        parcels["committed_invest_wan_per_mu"]
        if "committed_invest_wan_per_mu" in parcels
        else pd.Series(np.nan, index=parcels.index),
        errors="coerce",
    ) * (cls["area_m2"] / M2_PER_MU)
    from_contract = invest.isna() & committed.notna()
    invest = invest.fillna(committed).fillna(0.0)
    out["invested_wan"] = zsum(invest, cls["industrial"])
    out["invest_from_contract"] = zsum(from_contract.astype(float), cls["industrial"]).astype(int)

    # Tax of the year, spread over parcels by used area.
    tax_all = pd.Series(0.0, index=zone_index)
    tax_a2 = pd.Series(0.0, index=zone_index)
    if indicators is not None and parcel_enterprise is not None and len(indicators):
        shares = firm_parcel_shares(parcel_enterprise, parcels, area_crs=area_crs)
        tax = (
            pd.to_numeric(indicators["tax_wan"], errors="coerce")
            .groupby(indicators["credit_code"])
            .sum()
        )
        shares["tax"] = shares["credit_code"].map(tax).fillna(0.0) * shares["share"]
        flags = cls.drop_duplicates("parcel_code").set_index("parcel_code")
        shares["built"] = shares["parcel_code"].map(flags["built"]).fillna(False).astype(bool)
        shares["industrial"] = (
            shares["parcel_code"].map(flags["industrial"]).fillna(False).astype(bool)
        )
        g = shares.groupby("zone_code")
        tax_all = g["tax"].sum().reindex(zone_index).fillna(0.0)
        tax_a2 = (
            shares[shares["industrial"]]
            .groupby("zone_code")["tax"]
            .sum()
            .reindex(zone_index)
            .fillna(0.0)
        )
    out["tax_wan"] = tax_all
    out["industrial_tax_wan"] = tax_a2

    def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
        return num / den.where(den > 0)

    A, A2, D = out["area_a_ha"], out["area_a2_ha"], out["area_d_ha"]
    out["development_rate"] = ratio(A + out["area_b21_ha"], out["area_total_ha"])
    out["supply_rate"] = ratio(D, A + out["area_b21_ha"])
    out["built_rate"] = ratio(A, D)
    out["industrial_land_rate"] = ratio(A2, A)
    out["far"] = ratio(out["floor_area_m2"], A * M2_PER_HA)
    out["building_density"] = ratio(out["footprint_m2"], A * M2_PER_HA)
    out["industrial_far"] = ratio(a2_floor, A2 * M2_PER_HA)
    out["industrial_building_coefficient"] = ratio(a2_foot, A2 * M2_PER_HA)
    out["invest_intensity_wan_per_mu"] = ratio(out["invested_wan"], A2 * 15.0)
    out["industrial_tax_per_mu_wan"] = ratio(tax_a2, A2 * 15.0)
    out["tax_per_mu_wan"] = ratio(tax_all, A * 15.0)
    out["idle_rate"] = ratio(out["area_g_ha"], D)
    out["zone_type"] = zone_type(ratio(A2, A), ratio(out["area_a1_ha"], A), policy=pol)

    # Performance aggregates.
    out["idle_fee_wan"] = 0.0
    if idle is not None and len(idle) and "idle_fee_wan" in idle:
        fee = pd.to_numeric(idle["idle_fee_wan"], errors="coerce").groupby(idle["zone_code"])
        out["idle_fee_wan"] = fee.sum().reindex(zone_index).fillna(0.0)
    out["firms_graded"] = 0
    out["share_grade_a"] = np.nan
    out["share_grade_d"] = np.nan
    if evaluation is not None and len(evaluation):
        ev = evaluation[evaluation["grade"].isin(["A", "B", "C", "D"])]
        n = ev.groupby("zone_code").size().reindex(zone_index).fillna(0)
        out["firms_graded"] = n.astype(int)
        for g in ("A", "D"):
            k = ev[ev["grade"] == g].groupby("zone_code").size().reindex(zone_index).fillna(0)
            out[f"share_grade_{g.lower()}"] = ratio(k, n)
    return out.reset_index()
