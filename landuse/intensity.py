"""宗地集约利用: per-parcel land-use intensity against the control indicators (POLICY §3).

Pure, vectorised functions over (Geo)DataFrames (no I/O):

* :func:`building_measures` — counted floor area (a storey over 8 m counts double) and
  footprint of each building;
* :func:`industry_code_2002` — GB/T 4754-2017 code → the 2002 division the 2008 control
  indicators use;
* :func:`parcel_intensity` — FAR (容积率), building coefficient (建筑系数), admin share
  (行政办公及生活服务设施用地比重), investment intensity (投资强度), required FAR,
  compliance flags and the floor area the parcel could add (可增建筑面积).

Every threshold comes from the ``[intensity]`` table of the policy config
(``data/policy/intensity.toml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from devzone.crs import AREA_CRS
from devzone.landuse.performance import M2_PER_MU
from devzone.policy.sections import IntensityPolicy

__all__ = [
    "building_measures",
    "industry_code_2002",
    "min_far",
    "parcel_intensity",
]


def _policy(policy: Mapping[str, Any] | IntensityPolicy | None) -> Mapping[str, Any]:
    if isinstance(policy, IntensityPolicy):  # the typed section (zones pass it explicitly)
        return policy.model_dump()
    if policy is None:
        from devzone.config import load_policy

        return load_policy()["intensity"]
    return policy.get("intensity", policy)


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df:
        return pd.Series(np.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[col], errors="coerce").astype(float)


def building_measures(
    buildings: pd.DataFrame,
    *,
    policy: Mapping[str, Any] | IntensityPolicy | None = None,
    area_crs: str = AREA_CRS,
) -> pd.DataFrame:
    """Counted floor area and footprint of each building (计容建筑面积, 基底面积).

    Parameters
    ----------
    buildings
        ``building`` rows: ``floors``, ``height_m``, ``floor_area_m2``,
        ``footprint_m2``, ``use`` and (optionally, a GeoDataFrame) ``geom``.
    policy
        The ``[intensity]`` config table (default: the shipped one).
    area_crs
        Projected CRS for footprints measured from geometry.

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
    unknown → 1) decides: above 8 m the whole building's floor area counts
    ``double_storey_factor`` (2) times. A 12 m single-storey workshop of 1000 m² counts
    2000 m²; a 4-storey, 16 m building (4 m storeys) counts as registered.

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.DataFrame({"floors": [1, 4], "height_m": [12.0, 16.0],
    ...                   "floor_area_m2": [None, 4000.0], "footprint_m2": [1000.0, 1000.0],
    ...                   "use": ["生产", "行政办公"]})
    >>> building_measures(b)["counted_floor_area_m2"].tolist()
    [2000.0, 4000.0]
    """
    pol = _policy(policy)
    footprint = _num(buildings, "footprint_m2").where(lambda s: s > 0)
    if hasattr(buildings, "crs") and buildings.geometry is not None:
        need = footprint.isna() & buildings.geometry.notna()
        if need.any():
            footprint = footprint.copy()
            footprint[need] = buildings.geometry[need].to_crs(area_crs).area
    floors = _num(buildings, "floors").where(lambda s: s > 0)
    floor_area = _num(buildings, "floor_area_m2").where(lambda s: s > 0)
    floor_area = floor_area.fillna(footprint * floors.fillna(1.0))
    storey_h = _num(buildings, "height_m") / floors.fillna(1.0)
    limit = float(pol.get("double_storey_height_m", 8.0))
    factor = float(pol.get("double_storey_factor", 2.0))
    counted = floor_area * np.where(storey_h.to_numpy() > limit, factor, 1.0)
    uses = {str(u) for u in pol.get("admin_uses", [])}
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


def industry_code_2002(
    codes: pd.Series, *, policy: Mapping[str, Any] | IntensityPolicy | None = None
) -> pd.Series:
    """GB/T 4754-2017 industry code → GB/T 4754-2002 division (行业大类) of the 2008 table.

    A leading section letter (``C3311``) is ignored. The longest prefix listed in
    ``[intensity.industry_2017_to_2002]`` wins (an empty target means "no 2002
    division"); other codes keep their first two digits.

    Examples
    --------
    >>> import pandas as pd
    >>> industry_code_2002(pd.Series(["C2921", "3311", "13", None])).tolist()
    ['30', '34', '13', None]
    """
    mapping: Mapping[str, str] = _policy(policy).get("industry_2017_to_2002", {})
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


def min_far(
    codes_2002: pd.Series, *, policy: Mapping[str, Any] | IntensityPolicy | None = None
) -> pd.Series:
    """Minimum FAR (容积率下限) of each industry under 国土资发〔2008〕24号 (NaN if none).

    Examples
    --------
    >>> import pandas as pd
    >>> min_far(pd.Series(["34", "25", "99"])).tolist()
    [0.7, 0.5, nan]
    """
    table = {str(k): float(v) for k, v in _policy(policy).get("min_far_2002", {}).items()}
    return codes_2002.map(table).astype(float)


def parcel_intensity(
    parcels: pd.DataFrame,
    buildings: pd.DataFrame,
    *,
    year: int,
    progress: pd.DataFrame | None = None,
    tax_per_mu: pd.Series | None = None,
    industry_codes: pd.Series | None = None,
    policy: Mapping[str, Any] | None = None,
    area_crs: str = AREA_CRS,
) -> pd.DataFrame:
    """Land-use intensity of each parcel (宗地集约利用) and its compliance.

    Parameters
    ----------
    parcels
        :func:`devzone.db.io.read_parcels` rows with ``area_m2`` already resolved
        (:func:`devzone.landuse.performance.parcel_area_m2`): ``parcel_code``,
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
        The ``[intensity]`` config table (default: the shipped one).

    Returns
    -------
    DataFrame
        Columns of the ``parcel_intensity`` table, one row per parcel.

    Notes
    -----
    * FAR = Σ counted floor area ÷ parcel area; building coefficient = Σ footprints ÷
      area (buildings, structures and stockyards all sit in ``building``); admin share =
      Σ footprints of admin/living uses ÷ area, NaN when no building on the parcel has a
      use recorded.
    * Investment intensity (万元/亩) = Σ ``invested_wan`` (已完成投资, project progress) ÷
      area in 亩; without a progress record, the contract's committed intensity
      (承诺投资强度) stands in (``invest_source`` says which: ``progress``,
      ``commitment`` or empty). The standard-land check (``commitment_ok``) uses the
      reported figure only, never the commitment itself.
    * required FAR = max(industry minimum, contract ``far_min``); ``far_ok`` is NULL
      when neither is known. ``addable_floor_area_m2`` = max(0, required FAR × area −
      counted floor area).
    * ``entry_rule_ok`` (Lu'an): investment ≥ 300 万元/亩 or 亩均税收 ≥ 30 万元/亩;
      NULL when both are unknown.
    * ``commitment_ok`` (标准地): each committed figure (investment, tax per 亩) is met;
      NULL when nothing is committed or the check date is after the year; an unknown
      actual figure counts as not met.
    """
    pol = _policy(policy)
    p = parcels.drop_duplicates("parcel_code").reset_index(drop=True)
    area = _num(p, "area_m2")
    code = p["parcel_code"]

    b = buildings[buildings["parcel_code"].notna()] if len(buildings) else buildings
    if len(b):
        m = building_measures(b, policy=pol, area_crs=area_crs)
        m["parcel_code"] = b["parcel_code"].to_numpy()
        m["admin_fp"] = m["footprint_m2"].where(m["is_admin"].fillna(False).astype(bool), 0.0)
        m["use_known"] = m["is_admin"].notna()
        g = m.groupby("parcel_code")
        sums = pd.DataFrame(
            {
                "counted": g["counted_floor_area_m2"].sum(),
                "footprint": g["footprint_m2"].sum(),
                "admin_fp": g["admin_fp"].sum(),
                "use_known": g["use_known"].any(),
            }
        )
    else:
        sums = pd.DataFrame(columns=["counted", "footprint", "admin_fp", "use_known"])
    per = sums.reindex(code.to_numpy())  # one lookup for the four sums
    counted = pd.Series(per["counted"].to_numpy(float), index=p.index).fillna(0.0)
    footprint = pd.Series(per["footprint"].to_numpy(float), index=p.index).fillna(0.0)
    admin_fp = pd.Series(per["admin_fp"].to_numpy(float), index=p.index)
    use_known = pd.Series(per["use_known"].eq(True).to_numpy(), index=p.index)

    valid_area = area.where(area > 0)
    far = counted / valid_area
    coefficient = footprint / valid_area
    admin_share = (admin_fp / valid_area).where(use_known)

    invested = pd.Series(np.nan, index=p.index)
    if progress is not None and len(progress) and "invested_wan" in progress:
        pc = progress.get("parcel_code", pd.Series(None, index=progress.index, dtype=object))
        if "supervision_no" in progress and "supervision_no" in p:
            by_no = p[["supervision_no", "parcel_code"]].dropna(subset=["supervision_no"])
            by_no = by_no.drop_duplicates("supervision_no").set_index("supervision_no")
            by_no = by_no["parcel_code"]
            pc = pc.where(pc.notna(), progress["supervision_no"].map(by_no))
        inv = pd.to_numeric(progress["invested_wan"], errors="coerce")
        per_parcel = inv.groupby(pc).sum(min_count=1)
        invested = code.map(per_parcel).astype(float)
    actual_per_mu = invested / (valid_area / M2_PER_MU)
    c_inv, c_tax = _num(p, "committed_invest_wan_per_mu"), _num(p, "committed_tax_wan_per_mu")
    invest_per_mu = actual_per_mu.fillna(c_inv)
    invest_source = np.select(
        [actual_per_mu.notna().to_numpy(), c_inv.notna().to_numpy()],
        ["progress", "commitment"],
        default="",
    )

    industry = p.get("industry_code", pd.Series(None, index=p.index, dtype=object))
    industry = industry.astype(object)
    if industry_codes is not None:
        industry = industry.where(industry.notna(), code.map(industry_codes))
    code_2002 = industry_code_2002(industry, policy=pol)
    required = pd.concat([min_far(code_2002, policy=pol), _num(p, "far_min")], axis=1).max(
        axis=1, skipna=True
    )
    far_ok = (far >= required - 1e-9).astype("boolean").where(required.notna() & far.notna())
    min_coef = float(pol.get("min_building_coefficient", 0.30))
    coefficient_ok = (coefficient >= min_coef - 1e-12).astype("boolean").where(coefficient.notna())
    max_admin = float(pol.get("max_admin_share", 0.07))
    admin_ok = (admin_share <= max_admin + 1e-12).astype("boolean").where(admin_share.notna())

    tax = (
        code.map(tax_per_mu).astype(float)
        if tax_per_mu is not None
        else pd.Series(np.nan, index=p.index)
    )
    entry = pol.get("entry_rule", {})
    inv_ok = invest_per_mu >= float(entry.get("min_invest_wan_per_mu", 300.0))
    tax_ok = tax >= float(entry.get("min_tax_wan_per_mu", 30.0))
    entry_ok = (inv_ok | tax_ok).astype("boolean").where(invest_per_mu.notna() | tax.notna())

    if "committed_check_date" in p:
        check = pd.to_datetime(p["committed_check_date"], errors="coerce")
    else:
        check = pd.Series(pd.NaT, index=p.index)
    due = check.notna() & (check <= pd.Timestamp(year=year, month=12, day=31))
    committed = c_inv.notna() | c_tax.notna()
    meets_inv = c_inv.isna() | (actual_per_mu.fillna(-np.inf) >= c_inv)
    meets_tax = c_tax.isna() | (tax.fillna(-np.inf) >= c_tax)
    commitment_ok = (meets_inv & meets_tax).astype("boolean").where(committed & due)

    addable = (required * valid_area - counted).clip(lower=0)
    return pd.DataFrame(
        {
            "year": year,
            "parcel_code": code,
            "zone_code": p.get("zone_code"),
            "industry_code": industry,
            "industry_code_2002": code_2002,
            "area_m2": area,
            "floor_area_m2": counted,
            "footprint_m2": footprint,
            "far": far,
            "building_coefficient": coefficient,
            "admin_share": admin_share,
            "invest_intensity_wan_per_mu": invest_per_mu,
            "invest_source": invest_source,
            "tax_per_mu_wan": tax,
            "required_far": required,
            "far_ok": far_ok,
            "coefficient_ok": coefficient_ok,
            "admin_ok": admin_ok,
            "entry_rule_ok": entry_ok,
            "commitment_ok": commitment_ok,
            "addable_floor_area_m2": addable,
        }
    )
