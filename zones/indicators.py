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
* **A** (已建成城镇建设用地): supplied parcels completed (实际竣工时间 on or before 31
  December of the year). Land with buildings still under construction is not built
  (TD/T 1029 class A is completed land): it stays in B21, and a parcel with footprints
  but no completion date recorded is not counted as built;
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
the year's ``enterprise_indicator.tax_wan`` spread over parcels by used area
(:func:`devzone.landuse.performance.land_shares`).

Data gaps are never computed as zero. Every aggregate that needs data beyond the land
classes carries its **coverage** — the share of its land that has the data — and is
computed over the covered land only: FAR and building density over the built land with
building records (``building_coverage``), the industrial FAR and building coefficient
over the A2 land with building records (``industrial_building_coverage``), investment
intensity over the A2 land with a progress record or a committed intensity
(``invest_coverage``), 地均税收 over the land used by firms with a tax figure for the
year (``tax_coverage``, ``industrial_tax_coverage``). With no coverage the aggregate is
missing (NaN, "—" in the reports), not 0; coverage below ``[zones] min_coverage`` is
flagged in the zone's note.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from devzone.landuse.intensity import building_measures
from devzone.policy.sections import IntensityPolicy, ZonesPolicy
from devzone.settings import area_crs as resolve_area_crs
from devzone.units import M2_PER_HA, M2_PER_MU, MU_PER_HA
from devzone.zones.alloc import firm_parcel_shares, parcel_area_m2

__all__ = [
    "CONTRACT_COLUMNS",
    "COVERAGE_LABELS",
    "COVERAGE_OF",
    "INDICATORS",
    "ZoneInputs",
    "classify_parcels",
    "parcel_investment",
    "zone_areas",
    "zone_indicators",
    "zone_type",
]

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

#: Supply-contract columns the zone analyses read from a parcel's contract
#: (:func:`devzone.db.io.parcels_with_contract` ``columns``).
CONTRACT_COLUMNS = (
    "industry_code",
    "contract_date",
    "agreed_start_date",
    "actual_start_date",
    "actual_completion_date",
    "committed_invest_wan_per_mu",
    "committed_tax_wan_per_mu",
    "price_wan",
)

#: Coverage column → (covered land column, land column) of :func:`zone_indicators`.
COVERAGE_LAND = (
    ("building_coverage", "a_bldg_ha", "area_a_ha"),
    ("industrial_building_coverage", "a2_bldg_ha", "area_a2_ha"),
    ("invest_coverage", "a2_inv_ha", "area_a2_ha"),
    ("tax_coverage", "a_tax_ha", "area_a_ha"),
    ("industrial_tax_coverage", "a2_tax_ha", "area_a2_ha"),
)

#: Indicator → its coverage column (indicators of the land classes alone have none).
COVERAGE_OF: dict[str, str] = {
    "far": "building_coverage",
    "building_density": "building_coverage",
    "industrial_far": "industrial_building_coverage",
    "industrial_building_coefficient": "industrial_building_coverage",
    "invest_intensity_wan_per_mu": "invest_coverage",
    "tax_per_mu_wan": "tax_coverage",
    "industrial_tax_per_mu_wan": "industrial_tax_coverage",
}

#: Coverage column → Chinese label.
COVERAGE_LABELS: dict[str, str] = {
    "building_coverage": "建筑数据覆盖率 (已建成用地)",
    "industrial_building_coverage": "建筑数据覆盖率 (工业用地)",
    "invest_coverage": "投资数据覆盖率 (工业用地)",
    "tax_coverage": "税收数据覆盖率 (已建成用地)",
    "industrial_tax_coverage": "税收数据覆盖率 (工业用地)",
}

#: The grades whose firms count as graded (分档企业).
_GRADED = ["A", "B", "C", "D"]


@dataclass
class ZoneInputs:
    """The tables a zone evaluation reads (each optional except zones and parcels).

    For :func:`zone_indicators` of one year, ``indicators`` and ``evaluation`` are that
    year's rows and ``idle`` one as-of date's rows; :func:`devzone.zones.evaluate.
    evaluate_zones` takes every year and picks them.
    """

    zones: pd.DataFrame
    parcels: pd.DataFrame
    buildings: pd.DataFrame | None = None
    indicators: pd.DataFrame | None = None  # enterprise_indicator
    parcel_enterprise: pd.DataFrame | None = None
    progress: pd.DataFrame | None = None
    idle: pd.DataFrame | None = None  # parcel_idle_status
    evaluation: pd.DataFrame | None = None  # enterprise_evaluation
    fit_shares: pd.DataFrame | None = None  # zone_fit_shares output
    notes: list[str] = field(default_factory=list)


def _year_end(year: int) -> pd.Timestamp:
    return pd.Timestamp(year=year, month=12, day=31)


def _contains_any(text: pd.Series, words: Sequence[str]) -> pd.Series:
    s = text.astype("string").fillna("")
    if not words:
        return pd.Series(False, index=text.index)
    return s.str.contains("|".join(map(str, words)), regex=True).fillna(False).astype(bool)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or all-missing when the frame lacks it."""
    return frame[name] if name in frame else pd.Series(pd.NA, index=frame.index)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """``num / den``, NaN where the denominator is not positive."""
    return num / den.where(den > 0)


def classify_parcels(
    parcels: pd.DataFrame,
    buildings: pd.DataFrame | None,
    *,
    year: int,
    policy: ZonesPolicy,
    intensity: IntensityPolicy,
    idle: pd.DataFrame | None = None,
    area_crs: str | None = None,
) -> pd.DataFrame:
    """TD/T 1029 land classes of each parcel (宗地用地分类).

    Parameters
    ----------
    parcels
        Parcels with their contract columns (:func:`devzone.db.io.parcels_with_contract`).
    buildings
        ``building`` rows (optional).
    year
        Classes as at 31 December of ``year``.
    policy
        The ``[zones]`` section (use words, idle statuses).
    intensity
        The ``[intensity]`` section (counted floor area, storeys over 8 m double).
    idle
        ``parcel_idle_status`` rows of one as-of date (optional).
    area_crs
        Projected CRS for measured areas (:func:`devzone.settings.area_crs`).

    Returns
    -------
    DataFrame
        Indexed like ``parcels``: ``parcel_code``, ``zone_code``, ``area_m2``,
        ``supplied`` (D), ``ready`` (B21), ``built`` (A), ``industrial`` (A2),
        ``residential`` (A1), ``idle`` (G), ``floor_area_m2``, ``footprint_m2``,
        ``has_buildings`` (some building record on the parcel).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> pol = load_policy()
    >>> parcels = pd.DataFrame({"parcel_code": ["P1", "P2"], "zone_code": ["Z", "Z"],
    ...     "area_m2": [20000.0, 10000.0], "supervision_no": ["S1", None],
    ...     "land_use": ["工业用地", None], "actual_completion_date": ["2018-06-30", None]})
    >>> cls = classify_parcels(parcels, None, year=2019, policy=pol.zones,
    ...                        intensity=pol.intensity)
    >>> cls[["supplied", "built", "industrial", "ready"]].values.tolist()
    [[True, True, True, False], [False, False, False, True]]
    """
    crs = resolve_area_crs(area_crs)
    out = pd.DataFrame(
        {"parcel_code": parcels["parcel_code"], "zone_code": parcels["zone_code"]},
        index=parcels.index,
    )
    out["area_m2"] = parcel_area_m2(parcels, area_crs=crs)
    year_end = _year_end(year)

    def date(name: str) -> pd.Series:
        return pd.to_datetime(_column(parcels, name), errors="coerce")

    has_contract = (
        _column(parcels, "supervision_no").notna() | _column(parcels, "agreed_start_date").notna()
    )
    signed = date("contract_date")
    out["supplied"] = (has_contract & (signed.isna() | (signed <= year_end))).astype(bool)
    b = _building_sums(_place_buildings(buildings, parcels), intensity=intensity, area_crs=crs)
    out["floor_area_m2"] = parcels["parcel_code"].map(b["floor_area_m2"]).fillna(0.0)
    out["footprint_m2"] = parcels["parcel_code"].map(b["footprint_m2"]).fillna(0.0)
    out["has_buildings"] = parcels["parcel_code"].isin(b.index).to_numpy()
    done = (date("actual_completion_date") <= year_end).fillna(False)
    # 已建成 (TD/T 1029 A): completed by the year end; footprints under construction
    # do not make land built.
    out["built"] = (out["supplied"] & done).astype(bool)
    out["ready"] = ~out["built"]
    use = _column(parcels, "land_use")
    unknown_use = use.astype("string").fillna("").str.strip() == ""
    out["residential"] = out["built"] & _contains_any(use, policy.residential_use_words)
    out["industrial"] = out["built"] & (
        _contains_any(use, policy.industrial_use_words) | unknown_use
    )
    idle_codes: set[str] = set()
    if idle is not None and len(idle):
        idle_codes = set(idle.loc[idle["status"].isin(policy.idle_statuses), "parcel_code"])
    out["idle"] = parcels["parcel_code"].isin(idle_codes).to_numpy()
    return out


def _building_sums(
    buildings: pd.DataFrame | None, *, intensity: IntensityPolicy, area_crs: str | None = None
) -> pd.DataFrame:
    """Counted floor area (计容, storeys over 8 m double) and footprint per parcel (m²).

    The same measure as the parcel-level intensity
    (:func:`devzone.landuse.intensity.building_measures`, under the same ``[intensity]``
    section), so zone and parcel FAR agree.
    """
    if buildings is None or buildings.empty:
        return pd.DataFrame(columns=["floor_area_m2", "footprint_m2"])
    m = building_measures(buildings, policy=intensity, area_crs=resolve_area_crs(area_crs))
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
    policy: ZonesPolicy,
) -> pd.Series:
    """Zone type (开发区类型): 工业主导型 when A2/A > 30% and A1/A < 25%, else 产城融合型.

    The shares come from ``[zones.type]`` (TD/T 1029).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> zone_type(pd.Series([0.8, 0.8, 0.2]), pd.Series([0.1, 0.3, 0.0]),
    ...           policy=load_policy().zones).tolist()
    ['工业主导型', '产城融合型', '产城融合型']
    """
    rule = policy.type
    ok = (industrial_share.fillna(0) > rule.industrial_share_min) & (
        residential_share.fillna(0) < rule.residential_share_max
    )
    return pd.Series(np.where(ok, "工业主导型", "产城融合型"), index=industrial_share.index)


def zone_areas(zones: pd.DataFrame, *, area_crs: str | None = None) -> pd.DataFrame:
    """Name and evaluated area A+B of each zone (评价范围面积).

    A+B is the approved area (核准面积) when positive, else the boundary's area measured
    in ``area_crs``.

    Returns
    -------
    DataFrame
        Indexed by ``zone_code``: ``zone_name``, ``area_total_ha``, ``area_basis``
        (``approved``, ``boundary`` or '').

    Examples
    --------
    >>> z = pd.DataFrame({"zone_code": ["A", "B"], "name": ["甲", "乙"],
    ...                   "approved_area_ha": [120.0, None]})
    >>> zone_areas(z).values.tolist()
    [['甲', 120.0, 'approved'], ['乙', nan, '']]
    """
    zone_rows = zones.drop_duplicates("zone_code")
    zone_index = pd.Index(zone_rows["zone_code"], name="zone_code")
    out = pd.DataFrame(index=zone_index)
    out["zone_name"] = zone_rows.set_index("zone_code")["name"]
    approved = pd.Series(
        pd.to_numeric(zone_rows.get("approved_area_ha"), errors="coerce").to_numpy(),
        index=zone_rows["zone_code"].to_numpy(),
    )
    approved = approved.where(approved > 0)
    measured = pd.Series(np.nan, index=approved.index)
    if isinstance(zone_rows, gpd.GeoDataFrame) and zone_rows.geometry.notna().any():
        geo = zone_rows.geometry
        geo_area = geo.to_crs(resolve_area_crs(area_crs)).area / M2_PER_HA
        measured = pd.Series(geo_area.where(geo.notna() & ~geo.is_empty).to_numpy(), approved.index)
    out["area_total_ha"] = approved.fillna(measured).reindex(zone_index)
    out["area_basis"] = pd.Series(
        np.where(approved.notna(), "approved", np.where(measured.notna(), "boundary", "")),
        index=approved.index,
    ).reindex(zone_index)
    return out


def _zone_sum(cls: pd.DataFrame, zone_index: pd.Index) -> Callable[..., pd.Series]:
    """A function summing a parcel column (optionally masked) per zone."""

    def zsum(values: pd.Series, mask: pd.Series | None = None) -> pd.Series:
        v = values if mask is None else values.where(mask, 0.0)
        return v.groupby(cls["zone_code"]).sum().reindex(zone_index).fillna(0.0)

    return zsum


def _land_class_areas(cls: pd.DataFrame, zone_index: pd.Index) -> pd.DataFrame:
    """Areas of the land classes (ha) and floor areas (m²) per zone.

    ``a2_floor_m2`` and ``a2_footprint_m2`` (floor area and footprint on A2) are the
    numerators of the industrial FAR and building coefficient, not output columns.
    """
    zsum = _zone_sum(cls, zone_index)
    a = cls["area_m2"].fillna(0.0)
    out = pd.DataFrame(index=zone_index)
    for col, flag in (
        ("area_a_ha", "built"),
        ("area_a1_ha", "residential"),
        ("area_a2_ha", "industrial"),
        ("area_b21_ha", "ready"),
        ("area_d_ha", "supplied"),
        ("area_g_ha", "idle"),
    ):
        out[col] = zsum(a, cls[flag]) / M2_PER_HA
    out["floor_area_m2"] = zsum(cls["floor_area_m2"], cls["built"])
    out["footprint_m2"] = zsum(cls["footprint_m2"], cls["built"])
    out["a2_floor_m2"] = zsum(cls["floor_area_m2"], cls["industrial"])
    out["a2_footprint_m2"] = zsum(cls["footprint_m2"], cls["industrial"])
    # Land whose buildings are recorded: the denominators of FAR and density.
    out["a_bldg_ha"] = zsum(a, cls["built"] & cls["has_buildings"]) / M2_PER_HA
    out["a2_bldg_ha"] = zsum(a, cls["industrial"] & cls["has_buildings"]) / M2_PER_HA
    return out


def parcel_investment(
    parcels: pd.DataFrame,
    parcel_m2: pd.Series,
    progress: pd.DataFrame | None,
    *,
    year: int,
) -> tuple[pd.Series, pd.Series]:
    """Cumulative investment of each parcel to the year end (累计固定资产投资, 万元).

    The project ledger's ``invested_wan`` reported up to 31 December, by parcel code,
    else (ledger rows without a parcel code) by 电子监管号; a parcel without a ledger
    record takes its contract's committed intensity × its area.

    Returns
    -------
    tuple of Series
        (investment, NaN where unknown — no record, no commitment; True where it came
        from the contract).

    Examples
    --------
    >>> p = pd.DataFrame({"parcel_code": ["P1", "P2"], "supervision_no": ["S1", "S2"],
    ...                   "committed_invest_wan_per_mu": [None, 300.0]})
    >>> prog = pd.DataFrame({"parcel_code": ["P1", None], "supervision_no": [None, "S1"],
    ...                      "invested_wan": [500.0, 100.0],
    ...                      "report_date": ["2019-06-30", "2020-03-31"]})
    >>> inv, from_contract = parcel_investment(p, pd.Series([20000.0, 20000.0]), prog,
    ...                                        year=2019)
    >>> inv.tolist(), from_contract.tolist()
    ([500.0, 9000.0], [False, True])
    >>> parcel_investment(p.iloc[:1], pd.Series([1.0]), None, year=2019)[0].tolist()
    [nan]
    """
    invest = pd.Series(np.nan, index=parcels.index)
    if progress is not None and len(progress):
        reported = pd.to_datetime(progress.get("report_date"), errors="coerce")
        prog = progress[reported.isna() | (reported <= _year_end(year))]
        inv = pd.to_numeric(prog["invested_wan"], errors="coerce")
        by_code = inv.groupby(prog["parcel_code"]).sum()
        no_code = prog["parcel_code"].isna()
        by_no = inv[no_code].groupby(prog.loc[no_code, "supervision_no"]).sum()
        invest = parcels["parcel_code"].map(by_code)
        if "supervision_no" in parcels:
            invest = invest.fillna(parcels["supervision_no"].map(by_no))
    committed = pd.to_numeric(_column(parcels, "committed_invest_wan_per_mu"), errors="coerce") * (
        parcel_m2.to_numpy() / M2_PER_MU
    )
    from_contract = invest.isna() & committed.notna()
    return invest.fillna(committed), from_contract


def _zone_tax(
    cls: pd.DataFrame,
    zone_index: pd.Index,
    *,
    parcels: pd.DataFrame,
    indicators: pd.DataFrame | None,
    parcel_enterprise: pd.DataFrame | None,
    area_crs: str | None,
) -> pd.DataFrame:
    """The year's tax per zone, all land and A2 land (firms' tax spread by used area),
    and the built / A2 land (ha) used by the firms that have a tax figure.

    Returns
    -------
    DataFrame
        Indexed by ``zone_index``: ``tax_wan`` (all the zone's land),
        ``built_tax_wan`` (on built land), ``industrial_tax_wan`` (on A2; NaN where no
        firm on that land has a figure), ``a_tax_ha``, ``a2_tax_ha`` (land used by the
        firms with a figure).
    """
    out = pd.DataFrame(
        {
            "tax_wan": np.nan,
            "built_tax_wan": np.nan,
            "industrial_tax_wan": np.nan,
            "a_tax_ha": 0.0,
            "a2_tax_ha": 0.0,
        },
        index=zone_index,
    )
    if indicators is None or parcel_enterprise is None or not len(indicators):
        return out
    shares = firm_parcel_shares(parcel_enterprise, parcels, area_crs=area_crs)
    tax = pd.to_numeric(indicators["tax_wan"], errors="coerce").groupby(indicators["credit_code"])
    shares["tax"] = shares["credit_code"].map(tax.sum(min_count=1)) * shares["share"]
    flags = cls.drop_duplicates("parcel_code").set_index("parcel_code")
    for flag in ("built", "industrial"):
        shares[flag] = shares["parcel_code"].map(flags[flag]).fillna(False).astype(bool)
    known = shares[shares["tax"].notna()]
    ha = known["used_m2"].fillna(0.0) / M2_PER_HA

    def by_zone(values: pd.Series, mask: pd.Series) -> pd.Series:
        return values[mask].groupby(known.loc[mask, "zone_code"]).sum().reindex(zone_index)

    everywhere = pd.Series(True, index=known.index)
    out["tax_wan"] = by_zone(known["tax"], everywhere)
    out["built_tax_wan"] = by_zone(known["tax"], known["built"])
    out["industrial_tax_wan"] = by_zone(known["tax"], known["industrial"])
    out["a_tax_ha"] = by_zone(ha, known["built"]).fillna(0.0)
    out["a2_tax_ha"] = by_zone(ha, known["industrial"]).fillna(0.0)
    return out


def _intensity_ratios(out: pd.DataFrame, *, policy: ZonesPolicy) -> pd.DataFrame:
    """The :data:`INDICATORS` ratios and the zone type, from the summed areas."""
    A, A2, D = out["area_a_ha"], out["area_a2_ha"], out["area_d_ha"]
    B21 = out["area_b21_ha"]
    out["development_rate"] = _ratio(A + B21, out["area_total_ha"])
    out["supply_rate"] = _ratio(D, A + B21)
    out["built_rate"] = _ratio(A, D)
    out["industrial_land_rate"] = _ratio(A2, A)
    # Aggregates over the covered land only (see the module docstring).
    a_b, a2_b = out["a_bldg_ha"] * M2_PER_HA, out["a2_bldg_ha"] * M2_PER_HA
    out["far"] = _ratio(out["floor_area_m2"], a_b)
    out["building_density"] = _ratio(out["footprint_m2"], a_b)
    out["industrial_far"] = _ratio(out["a2_floor_m2"], a2_b)
    out["industrial_building_coefficient"] = _ratio(out["a2_footprint_m2"], a2_b)
    out["invest_intensity_wan_per_mu"] = _ratio(out["invested_wan"], out["a2_inv_ha"] * MU_PER_HA)
    out["industrial_tax_per_mu_wan"] = _ratio(
        out["industrial_tax_wan"], out["a2_tax_ha"] * MU_PER_HA
    )
    out["tax_per_mu_wan"] = _ratio(out["built_tax_wan"], out["a_tax_ha"] * MU_PER_HA)
    out["idle_rate"] = _ratio(out["area_g_ha"], D)
    for cov, land, of in COVERAGE_LAND:
        out[cov] = _ratio(out[land], out[of]).clip(upper=1.0)
    out["zone_type"] = zone_type(_ratio(A2, A), _ratio(out["area_a1_ha"], A), policy=policy)
    helpers = ["a2_floor_m2", "a2_footprint_m2", "built_tax_wan"]
    helpers += sorted({land for _, land, _ in COVERAGE_LAND})
    return out.drop(columns=helpers)


def _performance_aggregates(
    out: pd.DataFrame, *, idle: pd.DataFrame | None, evaluation: pd.DataFrame | None
) -> pd.DataFrame:
    """Idle fees and the A/D shares of graded firms per zone."""
    zone_index = out.index
    out["idle_fee_wan"] = 0.0
    if idle is not None and len(idle) and "idle_fee_wan" in idle:
        fee = pd.to_numeric(idle["idle_fee_wan"], errors="coerce").groupby(idle["zone_code"])
        out["idle_fee_wan"] = fee.sum().reindex(zone_index).fillna(0.0)
    out["firms_graded"] = 0
    out["share_grade_a"] = np.nan
    out["share_grade_d"] = np.nan
    if evaluation is not None and len(evaluation):
        ev = evaluation[evaluation["grade"].isin(_GRADED)]
        n = ev.groupby("zone_code").size().reindex(zone_index).fillna(0)
        out["firms_graded"] = n.astype(int)
        for g in ("A", "D"):
            k = ev[ev["grade"] == g].groupby("zone_code").size().reindex(zone_index).fillna(0)
            out[f"share_grade_{g.lower()}"] = _ratio(k, n)
    return out


def zone_indicators(
    inputs: ZoneInputs,
    *,
    year: int,
    policy: ZonesPolicy,
    intensity: IntensityPolicy,
    area_crs: str | None = None,
) -> pd.DataFrame:
    """TD/T 1029 intensity indicators and performance aggregates per zone and year.

    Parameters
    ----------
    inputs
        The tables of the year: ``zones`` (``dev_zone`` rows, a GeoDataFrame for
        boundary areas: ``zone_code``, ``name``, ``approved_area_ha``); ``parcels``
        (:func:`devzone.db.io.parcels_with_contract`); optional ``buildings``,
        ``indicators`` (``enterprise_indicator`` rows of the year),
        ``parcel_enterprise``, ``progress`` (``project_progress``), ``idle``
        (``parcel_idle_status`` of an as-of date in the year) and ``evaluation``
        (``enterprise_evaluation`` rows of the year).
    year
        Evaluation year (built = completed by 31 Dec; tax of that year).
    policy
        The ``[zones]`` section.
    intensity
        The ``[intensity]`` section (counted floor area of buildings).
    area_crs
        Projected CRS for measured areas (:func:`devzone.settings.area_crs`).

    Returns
    -------
    DataFrame
        One row per zone: ``zone_code``, ``zone_name``, the areas (``area_total_ha``,
        ``area_a_ha``, ``area_a1_ha``, ``area_a2_ha``, ``area_b21_ha``, ``area_d_ha``,
        ``area_g_ha``), ``floor_area_m2``, ``footprint_m2``, ``invested_wan``,
        ``tax_wan``, ``industrial_tax_wan``, the :data:`INDICATORS` columns (ratios as
        fractions, NaN when the denominator is 0 or no land has the data), the
        coverage columns of :data:`COVERAGE_LABELS` (share of the land with the data),
        ``zone_type``, ``idle_fee_wan``, ``firms_graded``, ``share_grade_a``,
        ``share_grade_d``.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> pol = load_policy()
    >>> zones = pd.DataFrame({"zone_code": ["Z"], "name": ["示例园"],
    ...                       "approved_area_ha": [10.0]})
    >>> parcels = pd.DataFrame({"parcel_code": ["P1", "P2"], "zone_code": ["Z", "Z"],
    ...     "area_m2": [20000.0, 10000.0], "supervision_no": ["S1", None],
    ...     "land_use": ["工业用地", None], "actual_completion_date": ["2018-06-30", None]})
    >>> out = zone_indicators(ZoneInputs(zones, parcels), year=2019, policy=pol.zones,
    ...                       intensity=pol.intensity)
    >>> cols = ["development_rate", "supply_rate", "built_rate", "zone_type"]
    >>> out[cols].round(3).values.tolist()
    [[0.3, 0.667, 1.0, '工业主导型']]
    """
    crs = resolve_area_crs(area_crs)
    parcels = inputs.parcels
    cls = classify_parcels(
        parcels,
        inputs.buildings,
        year=year,
        policy=policy,
        intensity=intensity,
        idle=inputs.idle,
        area_crs=crs,
    )
    out = zone_areas(inputs.zones, area_crs=crs)
    zone_index = out.index
    out = out.join(_land_class_areas(cls, zone_index))
    invest, from_contract = parcel_investment(parcels, cls["area_m2"], inputs.progress, year=year)
    zsum = _zone_sum(cls, zone_index)
    covered = cls["industrial"] & invest.notna()
    out["invested_wan"] = zsum(invest.fillna(0.0), covered).where(zsum(covered.astype(float)) > 0)
    out["a2_inv_ha"] = zsum(cls["area_m2"].fillna(0.0), covered) / M2_PER_HA
    out["invest_from_contract"] = zsum(from_contract.astype(float), cls["industrial"]).astype(int)
    tax = _zone_tax(
        cls,
        zone_index,
        parcels=parcels,
        indicators=inputs.indicators,
        parcel_enterprise=inputs.parcel_enterprise,
        area_crs=crs,
    )
    out = out.join(tax)
    out = _intensity_ratios(out, policy=policy)
    out = _performance_aggregates(out, idle=inputs.idle, evaluation=inputs.evaluation)
    return out.reset_index()
