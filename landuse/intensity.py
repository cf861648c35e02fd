"""宗地集约利用: per-parcel land-use intensity against the control indicators (POLICY §3).

Pure, vectorised functions over (Geo)DataFrames (no I/O):

* :func:`building_measures` — counted floor area (a storey over
  ``double_storey_height_m`` counts double) and footprint of each building;
* :func:`industry_code_2002` — GB/T 4754-2017 code → the 2002 division the 2008 control
  indicators use, and :func:`min_far`, that division's minimum FAR;
* :func:`parcel_intensity` — FAR (容积率), building coefficient (建筑系数), admin share
  (行政办公及生活服务设施用地比重), investment intensity (投资强度), required FAR,
  compliance flags and the floor area the parcel could add (可增建筑面积), in named
  steps: :func:`building_totals`, :func:`floor_ratios`, :func:`invested_by_parcel`,
  :func:`investment_intensity`, :func:`required_far`, :func:`control_checks`,
  :func:`entry_rule_ok` and :func:`commitment_ok`.

Every threshold comes from the typed :class:`~devzone.policy.IntensityPolicy` (the
``[intensity]`` table of ``data/policy/intensity.toml``), passed in explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from devzone.policy.sections import IntensityPolicy
from devzone.settings import area_crs as resolve_area_crs
from devzone.units import M2_PER_MU

__all__ = [
    "at_least",
    "at_most",
    "building_measures",
    "building_totals",
    "commitment_ok",
    "control_checks",
    "entry_rule_ok",
    "floor_ratios",
    "industry_code_2002",
    "invested_by_parcel",
    "investment_intensity",
    "min_far",
    "parcel_intensity",
    "required_far",
]


def at_least(value: pd.Series, limit: pd.Series | float, *, tolerance: float) -> pd.Series:
    """``value ≥ limit`` judged at a relative ``tolerance`` (``[intensity]
    threshold_tolerance``): a value within ``tolerance × |limit|`` below the limit
    meets it, so measurement noise (areas measured after the EPSG:4490 round trip carry
    ~1e-11 relative noise) never decides a threshold. NaN compares False.

    Examples
    --------
    >>> at_least(pd.Series([0.29999999999, 0.2999]), 0.3, tolerance=1e-9).tolist()
    [True, False]
    """
    return value >= limit - tolerance * abs(limit)


def at_most(value: pd.Series, limit: pd.Series | float, *, tolerance: float) -> pd.Series:
    """``value ≤ limit`` at the relative ``tolerance`` (see :func:`at_least`).

    Examples
    --------
    >>> at_most(pd.Series([0.0600000000001, 0.0601]), 0.06, tolerance=1e-9).tolist()
    [True, False]
    """
    return value <= limit + tolerance * abs(limit)


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    """Column ``col`` as floats (NaN where missing or not a number, all NaN if absent).

    Examples
    --------
    >>> _num(pd.DataFrame({"a": ["1.5", "x"]}), "a").tolist()
    [1.5, nan]
    >>> _num(pd.DataFrame(index=[0]), "b").tolist()
    [nan]
    """
    if col not in df:
        return pd.Series(np.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[col], errors="coerce").astype(float)


def building_measures(
    buildings: pd.DataFrame,
    *,
    policy: IntensityPolicy,
    area_crs: str | None = None,
) -> pd.DataFrame:
    """Counted floor area and footprint of each building (计容建筑面积, 基底面积).

    Parameters
    ----------
    buildings
        ``building`` rows: ``floors``, ``height_m``, ``floor_area_m2``,
        ``footprint_m2``, ``use`` and (optionally, a GeoDataFrame) ``geom``.
    policy
        The intensity policy (``double_storey_height_m``, ``double_storey_factor``,
        ``admin_uses``).
    area_crs
        Projected CRS for footprints measured from geometry
        (:func:`devzone.settings.area_crs`).

    Returns
    -------
    DataFrame
        ``footprint_m2``, ``floor_area_m2`` (as registered or footprint × floors),
        ``counted_floor_area_m2`` and ``is_admin``, indexed like ``buildings``.

    Notes
    -----
    Footprint: ``footprint_m2``, else the geometry's area in ``area_crs``. Floor area:
    ``floor_area_m2``, else footprint × floors (floors unknown → 1). A storey taller than
    ``double_storey_height_m`` (8 m) counts double (国土资发〔2008〕24号). Registries give
    one height per building, so the mean storey height ``height_m ÷ floors`` (floors
    unknown → 1) decides: above the limit the whole building's floor area counts
    ``double_storey_factor`` (2) times. A 12 m single-storey workshop of 1000 m² counts
    2000 m²; a 4-storey, 16 m building (4 m storeys) counts as registered.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> b = pd.DataFrame({"floors": [1, 4], "height_m": [12.0, 16.0],
    ...                   "floor_area_m2": [None, 4000.0], "footprint_m2": [1000.0, 1000.0],
    ...                   "use": ["生产", "行政办公"]})
    >>> m = building_measures(b, policy=load_policy().intensity)
    >>> m["counted_floor_area_m2"].tolist(), m["is_admin"].tolist()
    ([2000.0, 4000.0], [False, True])
    """
    footprint = _num(buildings, "footprint_m2").where(lambda s: s > 0)
    if hasattr(buildings, "crs") and buildings.geometry is not None:
        need = footprint.isna() & buildings.geometry.notna()
        if need.any():
            footprint = footprint.copy()
            footprint[need] = buildings.geometry[need].to_crs(resolve_area_crs(area_crs)).area
    floors = _num(buildings, "floors").where(lambda s: s > 0)
    floor_area = _num(buildings, "floor_area_m2").where(lambda s: s > 0)
    floor_area = floor_area.fillna(footprint * floors.fillna(1.0))
    storey_h = _num(buildings, "height_m") / floors.fillna(1.0)
    limit = float(policy.double_storey_height_m)
    factor = float(policy.double_storey_factor)
    counted = floor_area * np.where(storey_h.to_numpy() > limit, factor, 1.0)
    uses = {str(u) for u in policy.admin_uses}
    use = buildings["use"] if "use" in buildings else pd.Series(None, index=buildings.index)
    is_admin = use.astype(object).isin(uses).where(use.notna())
    return pd.DataFrame(
        {
            "footprint_m2": footprint,
            "floor_area_m2": floor_area,
            "counted_floor_area_m2": counted,
            "is_admin": is_admin,
        },
        index=buildings.index,
    )


def industry_code_2002(codes: pd.Series, *, policy: IntensityPolicy) -> pd.Series:
    """GB/T 4754-2017 industry code → GB/T 4754-2002 division (行业大类) of the 2008 table.

    A leading section letter (``C3311``) is ignored. The longest prefix listed in
    ``policy.industry_2017_to_2002`` wins (an empty target means "no 2002 division");
    other codes keep their first two digits.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> industry_code_2002(pd.Series(["C2921", "3311", "13", None]),
    ...                    policy=load_policy().intensity).tolist()
    ['30', '34', '13', None]
    """
    mapping: Mapping[str, str] = policy.industry_2017_to_2002
    # Work on the few distinct codes, then spread back (codes repeat across parcels).
    ids, uniques = pd.factorize(codes.astype(object), use_na_sentinel=True)
    digits = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str)
    digits = digits.str.replace(r"^[A-Za-z]+", "", regex=True).str.strip()
    out = digits.str[:2].where(digits.str.len() >= 2)
    for prefix in sorted(mapping, key=len):  # longer prefixes applied last, so they win
        hit = digits.str.startswith(prefix)
        out = out.where(~hit, mapping[prefix])
    out = out.astype(object)
    table = np.append(out.where(out.notna() & (out != ""), None).to_numpy(dtype=object), None)
    return pd.Series(table[ids], index=codes.index, dtype=object)


def min_far(codes_2002: pd.Series, *, policy: IntensityPolicy) -> pd.Series:
    """Minimum FAR (容积率下限) of each industry under 国土资发〔2008〕24号 (NaN if none).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> min_far(pd.Series(["34", "25", "99"]), policy=load_policy().intensity).tolist()
    [0.7, 0.5, nan]
    """
    table = {str(k): float(v) for k, v in policy.min_far_2002.items()}
    return codes_2002.map(table).astype(float)


def building_totals(
    codes: pd.Series,
    buildings: pd.DataFrame,
    *,
    policy: IntensityPolicy,
    area_crs: str | None = None,
) -> pd.DataFrame:
    """Sums over the buildings of each parcel (:func:`building_measures`).

    Parameters
    ----------
    codes
        ``parcel_code`` of each parcel (one row each).
    buildings
        ``building`` rows with ``parcel_code`` (rows without one are left out).

    Returns
    -------
    DataFrame
        Indexed like ``codes``: ``counted`` (Σ counted floor area, 0 without
        buildings), ``footprint`` (Σ footprints, 0 without buildings), ``floor`` (Σ
        floor areas as built, not doubled, 0 without buildings), ``admin_floor`` (Σ
        floor areas of admin/living uses) and ``use_known`` (some building on the
        parcel has a use recorded).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> b = pd.DataFrame({"parcel_code": ["P1", "P1"], "floors": [1, 2],
    ...                   "height_m": [10.0, 8.0], "floor_area_m2": [None, 600.0],
    ...                   "footprint_m2": [1000.0, 300.0], "use": ["生产", "宿舍"]})
    >>> building_totals(pd.Series(["P1", "P2"]), b,
    ...                 policy=load_policy().intensity).values.tolist()
    [[2600.0, 1300.0, 1600.0, 600.0, True], [0.0, 0.0, 0.0, nan, False]]
    """
    b = buildings[buildings["parcel_code"].notna()] if len(buildings) else buildings
    columns = ["counted", "footprint", "floor", "admin_floor", "use_known"]
    if len(b):
        m = building_measures(b, policy=policy, area_crs=area_crs)
        m["parcel_code"] = b["parcel_code"].to_numpy()
        admin = m["is_admin"].fillna(False).astype(bool)
        m["admin_floor"] = m["floor_area_m2"].where(admin, 0.0)
        m["use_known"] = m["is_admin"].notna()
        g = m.groupby("parcel_code")
        sums = pd.DataFrame(
            {
                "counted": g["counted_floor_area_m2"].sum(),
                "footprint": g["footprint_m2"].sum(),
                "floor": g["floor_area_m2"].sum(),
                "admin_floor": g["admin_floor"].sum(),
                "use_known": g["use_known"].any(),
            }
        )
    else:
        sums = pd.DataFrame(columns=columns)
    per = sums.reindex(codes.to_numpy())  # one lookup for the five sums

    def col(name: str) -> pd.Series:
        return pd.Series(per[name].to_numpy(float), index=codes.index)

    return pd.DataFrame(
        {
            "counted": col("counted").fillna(0.0),
            "footprint": col("footprint").fillna(0.0),
            "floor": col("floor").fillna(0.0),
            "admin_floor": col("admin_floor"),
            "use_known": pd.Series(per["use_known"].eq(True).to_numpy(), index=codes.index),
        }
    )


def floor_ratios(
    totals: pd.DataFrame, area: pd.Series, admin_land: pd.Series | None = None
) -> pd.DataFrame:
    """FAR, building coefficient and admin share of each parcel.

    FAR (容积率) = Σ counted floor area ÷ area; building coefficient (建筑系数) = Σ
    footprints ÷ area (buildings, structures and stockyards all sit in ``building``).
    A parcel without a positive area gets NaN.

    Admin share (行政办公及生活服务设施用地所占比重, 国土资发〔2008〕24号): the land those
    facilities occupy ÷ site area where it is registered (``admin_land``); when it
    cannot be separated — the usual case, registries give buildings, not their land —
    their share of the total floor area: Σ floor areas (as built, a tall storey not
    doubled) of admin/living buildings ÷ Σ floor areas of all buildings. Footprint ÷
    site area would understate multi-storey offices and dormitories. NaN when no
    building on the parcel has a use recorded (and no admin land is registered).

    Parameters
    ----------
    totals
        :func:`building_totals` output.
    area
        Parcel area in m², aligned with ``totals``.
    admin_land
        Registered land of admin/living facilities in m² (NaN where not separated).

    Examples
    --------
    A 3-storey office of 600 m² footprint (1800 m²) among buildings of 6000 m² floor
    area in all: 1800 ÷ 6000 = 0.3; the second parcel registers 200 m² of admin land
    on 4000 m²: 0.05.

    >>> totals = pd.DataFrame({"counted": [6000.0, 0.0], "footprint": [3000.0, 0.0],
    ...                        "floor": [6000.0, 0.0], "admin_floor": [1800.0, None],
    ...                        "use_known": [True, False]})
    >>> floor_ratios(totals, pd.Series([10000.0, 4000.0]),
    ...              pd.Series([None, 200.0])).values.tolist()
    [[0.6, 0.3, 0.3], [0.0, 0.0, 0.05]]
    """
    valid_area = area.where(area > 0)
    by_floor = (totals["admin_floor"] / totals["floor"].where(totals["floor"] > 0)).where(
        totals["use_known"]
    )
    admin = by_floor
    if admin_land is not None:
        land = pd.to_numeric(admin_land, errors="coerce").where(lambda s: s >= 0)
        admin = (land / valid_area).where(land.notna(), by_floor)
    return pd.DataFrame(
        {
            "far": totals["counted"] / valid_area,
            "building_coefficient": totals["footprint"] / valid_area,
            "admin_share": admin,
        }
    )


def invested_by_parcel(parcels: pd.DataFrame, progress: pd.DataFrame | None) -> pd.Series:
    """Σ ``invested_wan`` (已完成投资, 万元) of each parcel's project progress records.

    A record names its parcel by ``parcel_code``, else by 电子监管号 (``supervision_no``).
    Parcels without a record get NaN.

    Examples
    --------
    >>> p = pd.DataFrame({"parcel_code": ["P1", "P2"], "supervision_no": ["S1", "S2"]})
    >>> pr = pd.DataFrame({"parcel_code": [None, "P1"], "supervision_no": ["S1", None],
    ...                    "invested_wan": [1000.0, 500.0]})
    >>> invested_by_parcel(p, pr).tolist()
    [1500.0, nan]
    """
    code = parcels["parcel_code"]
    if progress is None or not len(progress) or "invested_wan" not in progress:
        return pd.Series(np.nan, index=parcels.index)
    pc = progress.get("parcel_code", pd.Series(None, index=progress.index, dtype=object))
    if "supervision_no" in progress and "supervision_no" in parcels:
        by_no = parcels[["supervision_no", "parcel_code"]].dropna(subset=["supervision_no"])
        by_no = by_no.drop_duplicates("supervision_no").set_index("supervision_no")
        pc = pc.where(pc.notna(), progress["supervision_no"].map(by_no["parcel_code"]))
    inv = pd.to_numeric(progress["invested_wan"], errors="coerce")
    return code.map(inv.groupby(pc).sum(min_count=1)).astype(float)


def investment_intensity(
    invested: pd.Series, area: pd.Series, committed: pd.Series
) -> pd.DataFrame:
    """Investment intensity (投资强度, 万元/亩) of each parcel, and where it comes from.

    Returns
    -------
    DataFrame
        ``actual`` = invested ÷ area in 亩 (NaN without a progress record);
        ``invest_intensity_wan_per_mu`` = ``actual``, else the contract's committed
        intensity (承诺投资强度); ``invest_source``: ``progress``, ``commitment`` or
        empty.

    Examples
    --------
    >>> out = investment_intensity(pd.Series([4000.0, None, None]),
    ...                            pd.Series([10000.0] * 3), pd.Series([250.0, 350.0, None]))
    >>> out.round(2).values.tolist()   # 10000 m² = 15 亩
    [[266.67, 266.67, 'progress'], [nan, 350.0, 'commitment'], [nan, nan, '']]
    """
    actual = invested / (area.where(area > 0) / M2_PER_MU)
    source = np.select(
        [actual.notna().to_numpy(), committed.notna().to_numpy()],
        ["progress", "commitment"],
        default="",
    )
    return pd.DataFrame(
        {
            "actual": actual,
            "invest_intensity_wan_per_mu": actual.fillna(committed),
            "invest_source": source,
        }
    )


def required_far(
    industry: pd.Series, far_min: pd.Series, *, policy: IntensityPolicy
) -> pd.DataFrame:
    """The FAR each parcel must reach: max(industry minimum, contract ``far_min``).

    Returns
    -------
    DataFrame
        ``industry_code_2002`` (:func:`industry_code_2002`) and ``required_far`` (NaN
        when neither minimum is known).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> required_far(pd.Series(["C3311", "C3311", None]), pd.Series([1.0, None, None]),
    ...              policy=load_policy().intensity).values.tolist()
    [['34', 1.0], ['34', 0.7], [None, nan]]
    """
    code_2002 = industry_code_2002(industry, policy=policy)
    both = pd.concat([min_far(code_2002, policy=policy), far_min], axis=1)
    return pd.DataFrame(
        {"industry_code_2002": code_2002, "required_far": both.max(axis=1, skipna=True)}
    )


def control_checks(
    ratios: pd.DataFrame, required: pd.Series, *, policy: IntensityPolicy
) -> pd.DataFrame:
    """The control indicators (国土资发〔2008〕24号, 六政〔2014〕66号) met or not.

    ``far_ok``: FAR ≥ required FAR (NULL when either is unknown); ``coefficient_ok``:
    building coefficient ≥ ``min_building_coefficient``; ``admin_ok``: admin share ≤
    ``max_admin_share`` (NULL when unknown). Every comparison is judged at the relative
    ``threshold_tolerance`` (:func:`at_least`), so a surveyed building coefficient of
    exactly 30% passes whatever the round-off of its measured area.

    Parameters
    ----------
    ratios
        :func:`floor_ratios` output.
    required
        Required FAR (:func:`required_far`).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> ratios = pd.DataFrame({"far": [0.86, 1.2], "building_coefficient": [0.32, 0.2],
    ...                        "admin_share": [0.02, None]})
    >>> c = control_checks(ratios, pd.Series([1.0, None]), policy=load_policy().intensity)
    >>> c.astype(object).values.tolist()
    [[False, True, True], [<NA>, False, <NA>]]
    """
    far, coefficient, admin = ratios["far"], ratios["building_coefficient"], ratios["admin_share"]
    tol = float(policy.threshold_tolerance)
    far_ok = at_least(far, required, tolerance=tol).astype("boolean")
    min_coef = float(policy.min_building_coefficient)
    coef_ok = at_least(coefficient, min_coef, tolerance=tol).astype("boolean")
    max_admin = float(policy.max_admin_share)
    admin_ok = at_most(admin, max_admin, tolerance=tol).astype("boolean")
    return pd.DataFrame(
        {
            "far_ok": far_ok.where(required.notna() & far.notna()),
            "coefficient_ok": coef_ok.where(coefficient.notna()),
            "admin_ok": admin_ok.where(admin.notna()),
        }
    )


def entry_rule_ok(
    invest_per_mu: pd.Series, tax_per_mu: pd.Series, *, policy: IntensityPolicy
) -> pd.Series:
    """Lu'an's entry rule (六政〔2014〕66号) met: investment or 亩均税收 high enough.

    Investment ≥ ``entry_rule.min_invest_wan_per_mu`` or tax ≥
    ``entry_rule.min_tax_wan_per_mu`` (万元/亩), at the relative ``threshold_tolerance``
    (:func:`at_least`); NULL when both are unknown.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> entry_rule_ok(pd.Series([266.7, 350.0, None, 100.0]),
    ...               pd.Series([35.0, None, None, 10.0]),
    ...               policy=load_policy().intensity).tolist()
    [True, True, <NA>, False]
    """
    rule = policy.entry_rule
    tol = float(policy.threshold_tolerance)
    inv_ok = at_least(invest_per_mu, float(rule.min_invest_wan_per_mu), tolerance=tol)
    tax_ok = at_least(tax_per_mu, float(rule.min_tax_wan_per_mu), tolerance=tol)
    known = invest_per_mu.notna() | tax_per_mu.notna()
    return (inv_ok | tax_ok).astype("boolean").where(known)


def commitment_ok(
    check_dates: pd.Series,
    *,
    year: int,
    actual_invest_per_mu: pd.Series,
    tax_per_mu: pd.Series,
    committed_invest: pd.Series,
    committed_tax: pd.Series,
) -> pd.Series:
    """Standard-land commitments (标准地) met, on parcels due for the check in ``year``.

    Each committed figure (investment, tax per 亩) is met by the reported one (an
    unknown reported figure counts as not met; a commitment never stands in for it).
    NULL when nothing is committed or ``check_dates`` is after 31 December of ``year``.

    Examples
    --------
    >>> due = pd.to_datetime(pd.Series(["2019-06-30", "2020-06-30", "2019-01-01"]))
    >>> commitment_ok(due, year=2019, actual_invest_per_mu=pd.Series([266.7, 400.0, None]),
    ...               tax_per_mu=pd.Series([35.0, 50.0, None]),
    ...               committed_invest=pd.Series([250.0, 300.0, 300.0]),
    ...               committed_tax=pd.Series([40.0, None, None])).tolist()
    [False, <NA>, False]
    """
    check = pd.to_datetime(check_dates, errors="coerce")
    due = check.notna() & (check <= pd.Timestamp(year=year, month=12, day=31))
    committed = committed_invest.notna() | committed_tax.notna()
    meets_inv = committed_invest.isna() | (actual_invest_per_mu.fillna(-np.inf) >= committed_invest)
    meets_tax = committed_tax.isna() | (tax_per_mu.fillna(-np.inf) >= committed_tax)
    return (meets_inv & meets_tax).astype("boolean").where(committed & due)


def _industry(parcels: pd.DataFrame, industry_codes: pd.Series | None) -> pd.Series:
    """The contract's industry code, else the fallback of ``industry_codes``."""
    industry = parcels.get("industry_code", pd.Series(None, index=parcels.index, dtype=object))
    industry = industry.astype(object)
    if industry_codes is not None:
        industry = industry.where(industry.notna(), parcels["parcel_code"].map(industry_codes))
    return industry


def parcel_intensity(
    parcels: pd.DataFrame,
    buildings: pd.DataFrame,
    *,
    year: int,
    progress: pd.DataFrame | None = None,
    tax_per_mu: pd.Series | None = None,
    industry_codes: pd.Series | None = None,
    policy: IntensityPolicy,
    area_crs: str | None = None,
) -> pd.DataFrame:
    """Land-use intensity of each parcel (宗地集约利用) and its compliance.

    Parameters
    ----------
    parcels
        :func:`devzone.db.io.parcels_with_contract` rows with ``area_m2`` already
        resolved (:func:`devzone.landuse.performance.parcel_area_m2`): ``parcel_code``,
        ``supervision_no``, ``zone_code``, ``industry_code``, ``far_min``,
        ``committed_invest_wan_per_mu``, ``committed_tax_wan_per_mu``,
        ``committed_check_date``.
    buildings
        ``building`` rows with ``parcel_code`` (see :func:`building_measures`).
    year
        Evaluation year: commitments are checked when ``committed_check_date`` is on or
        before 31 December of it.
    progress
        ``project_progress`` rows: ``parcel_code`` or ``supervision_no``, ``invested_wan``.
    tax_per_mu
        亩均税收 (万元/亩) per ``parcel_code`` (from the parcel performance), for the
        Lu'an entry rule and the standard-land tax commitment.
    industry_codes
        Fallback industry code per ``parcel_code`` (e.g. of the firm using most of the
        parcel) for parcels whose contract names none.
    policy
        The intensity policy (``load_policy().intensity``).
    area_crs
        Projected CRS for building footprints measured from geometry.

    Returns
    -------
    DataFrame
        Columns of the ``parcel_intensity`` table, one row per parcel.

    Notes
    -----
    * FAR, building coefficient, admin share: :func:`floor_ratios` (admin share by
      registered ``admin_land_m2`` when the parcels carry it, else by floor area).
      Registered figures are preferred to measured ones: the parcel's registered
      ``area_m2``, a building's ``footprint_m2`` and ``floor_area_m2``.
    * Every threshold is judged at the relative ``threshold_tolerance`` of
      ``[intensity]`` (:func:`at_least`, :func:`at_most`).
    * Investment intensity (万元/亩) = Σ ``invested_wan`` (已完成投资, project progress) ÷
      area in 亩; without a progress record, the contract's committed intensity
      (承诺投资强度) stands in (``invest_source`` says which: ``progress``,
      ``commitment`` or empty). The standard-land check (``commitment_ok``) uses the
      reported figure only, never the commitment itself.
    * required FAR = max(industry minimum, contract ``far_min``); ``far_ok`` is NULL
      when neither is known. ``addable_floor_area_m2`` = max(0, required FAR × area −
      counted floor area).
    * ``entry_rule_ok`` (Lu'an): :func:`entry_rule_ok`; ``commitment_ok`` (标准地):
      :func:`commitment_ok`.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> p = pd.DataFrame({"parcel_code": ["P1"], "area_m2": [10000.0],
    ...                   "industry_code": ["C3311"]})
    >>> b = pd.DataFrame({"parcel_code": ["P1"], "floors": [1], "height_m": [12.0],
    ...                   "floor_area_m2": [2000.0], "footprint_m2": [2000.0], "use": ["生产"]})
    >>> row = parcel_intensity(p, b, year=2019, policy=load_policy().intensity).iloc[0]
    >>> float(row["far"]), float(row["required_far"]), bool(row["far_ok"])
    (0.4, 0.7, False)
    >>> float(row["addable_floor_area_m2"])   # 0.7 × 10000 − 2 × 2000
    3000.0
    """
    p = parcels.drop_duplicates("parcel_code").reset_index(drop=True)
    area = _num(p, "area_m2")
    code = p["parcel_code"]
    totals = building_totals(code, buildings, policy=policy, area_crs=area_crs)
    ratios = floor_ratios(totals, area, _num(p, "admin_land_m2"))
    c_inv, c_tax = _num(p, "committed_invest_wan_per_mu"), _num(p, "committed_tax_wan_per_mu")
    invest = investment_intensity(invested_by_parcel(p, progress), area, c_inv)
    industry = _industry(p, industry_codes)
    need = required_far(industry, _num(p, "far_min"), policy=policy)
    checks = control_checks(ratios, need["required_far"], policy=policy)
    tax = (
        code.map(tax_per_mu).astype(float)
        if tax_per_mu is not None
        else pd.Series(np.nan, index=p.index)
    )
    invest_per_mu = invest["invest_intensity_wan_per_mu"]
    check_dates = (
        p["committed_check_date"]
        if "committed_check_date" in p
        else pd.Series(pd.NaT, index=p.index)
    )
    valid_area = area.where(area > 0)
    addable = (need["required_far"] * valid_area - totals["counted"]).clip(lower=0)
    return pd.DataFrame(
        {
            "year": year,
            "parcel_code": code,
            "zone_code": p.get("zone_code"),
            "industry_code": industry,
            "industry_code_2002": need["industry_code_2002"],
            "area_m2": area,
            "floor_area_m2": totals["counted"],
            "footprint_m2": totals["footprint"],
            **ratios,
            "invest_intensity_wan_per_mu": invest_per_mu,
            "invest_source": invest["invest_source"],
            "tax_per_mu_wan": tax,
            "required_far": need["required_far"],
            **checks,
            "entry_rule_ok": entry_rule_ok(invest_per_mu, tax, policy=policy),
            "commitment_ok": commitment_ok(
                check_dates,
                year=year,
                actual_invest_per_mu=invest["actual"],
                tax_per_mu=tax,
                committed_invest=c_inv,
                committed_tax=c_tax,
            ),
            "addable_floor_area_m2": addable,
        }
    )
