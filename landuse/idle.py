"""Idle land (闲置土地) under the 2012 measures (国土资源部令第53号): status, dates, fees.

Pure, vectorised functions over (Geo)DataFrames; the database and files are handled by
:mod:`devzone.jobs.idle`. The rules and their numbers come from the ``[idle]``
table of ``data/policy/idle.toml`` (see ``../shared/POLICY.md`` §1).

Decisions the code takes (tested in ``tests/test_idle.py``):

* **One full year (满一年)** is calendar based: a parcel agreed to start on D is idle from
  D + 1 year (pandas ``DateOffset``, the ``dateutil.relativedelta`` rule: 2016-02-29 +
  1 year = 2017-02-28). On that very day it is idle (≥ one full year): ``idle_fee``; one
  day earlier it is ``overdue``. From D + 2 years it is ``idle_recover``.
* ``not_due`` while the as-of date is on or before the agreed start date; ``overdue``
  from the day after.
* **Started** (动工, Art. 30): an actual start date on or before the as-of date
  (``start_evidence='actual_start_date'``), else building footprints covering at least
  ``start_footprint_share`` of the parcel (``'buildings'``), measured by
  :func:`devzone.spatial.footprint_share` (so ``--engine local|dask|postgis`` applies).
  Only parcels lacking an actual start are overlaid. A completed parcel (actual
  completion date on or before as-of) counts as started. An actual start date after
  the as-of date does not count (the record is read as of that day).
* **Stalled** (Art. 2, second sentence): started, not completed, developed area below
  1/3 of the parcel **or** investment below 25% of the total, and suspended (not resumed
  by the as-of date) for one full year: ``idle_stalled`` from suspension + 1 year, fee due.
  The code does not escalate stalled land to free recovery (Art. 14 (二) speaks of land
  not started); the planner decides.
* **Government cause** (Art. 8): land that would be ``idle_fee``, ``idle_recover`` or
  ``idle_stalled`` but whose progress record names a cause becomes ``government_cause``:
  no fee (0 万元), no recovery, the Art. 12 options listed.
* **No agreed start date** and not started: ``no_start_date`` — it cannot be judged; the
  record is flagged for completion (no fee, no deadline).
* **No price**: the fee is unknown (NULL) and ``fee_note`` says ``成交价格缺失,
  闲置费无法计算``.
* ``days_idle`` counts days from ``idle_since`` (the day the land became idle) to the
  as-of date, so it is 0 on the first idle day.
* **Supervision categories**: ``批而未供`` = no supply contract; ``供而未用`` = supplied
  and past the agreed start without starting (overdue, idle, government cause) or stalled;
  ``用而未尽`` = completed (or still building past the agreed completion date) below the
  contract's FAR lower bound (floor area of the parcel's buildings ÷ parcel area; only when
  the parcel has buildings with a floor area) or below the committed investment intensity.
  ``far`` is computed only where it is judged (completed or past the agreed completion,
  with an agreed FAR), which keeps the building placement off the other parcels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from devzone.crs import AREA_CRS

__all__ = [
    "IDLE_STATUSES",
    "M2_PER_MU",
    "STATUSES",
    "attach_progress",
    "building_totals",
    "idle_status",
    "supply_units",
]

#: 1 亩 in square metres.
M2_PER_MU = 10000.0 / 15.0

#: Every status value of ``parcel_idle_status.status``.
STATUSES = (
    "not_supplied",
    "not_due",
    "overdue",
    "idle_fee",
    "idle_recover",
    "idle_stalled",
    "government_cause",
    "under_construction",
    "completed",
    "completed_late",
    "no_start_date",
)
#: Statuses that are idle land under Art. 2 with the holder at fault.
IDLE_STATUSES = ("idle_fee", "idle_recover", "idle_stalled")

_PROGRESS_COLS = (
    "developed_area_m2",
    "invested_wan",
    "total_invest_wan",
    "suspended_date",
    "resumed_date",
    "government_cause",
)
_DATE_COLS = (
    "agreed_start_date",
    "agreed_completion_date",
    "actual_start_date",
    "actual_completion_date",
    "suspended_date",
    "resumed_date",
)


def _col(df: pd.DataFrame, name: str, default: Any = np.nan) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series(default, index=df.index)


def _dates(df: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_datetime(_col(df, name, pd.NaT), errors="coerce")


def _num(df: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(_col(df, name), errors="coerce").astype(float)


def _text(df: pd.DataFrame, name: str) -> pd.Series:
    s = _col(df, name, None)
    return s.astype(object).where(s.notna(), None)


def _ymd(s: pd.Series) -> pd.Series:
    return s.dt.strftime("%Y-%m-%d").astype(object).fillna("")


def supply_units(
    parcels: pd.DataFrame,
    supply: pd.DataFrame | None = None,
    *,
    area_crs: str = AREA_CRS,
) -> gpd.GeoDataFrame:
    """The units judged for idleness: every parcel, plus supply records without a parcel.

    Parameters
    ----------
    parcels
        Parcels joined with their contract (:func:`devzone.db.io.read_parcels`).
    supply
        The ``land_supply`` table (供地结果). Its records that no parcel links to (by
        电子监管号 or 宗地代码) are added with ``parcel_code`` possibly missing and the
        contract's area (``area_ha`` × 10 000 m²).
    area_crs
        Projected CRS used when a parcel has no registered area.

    Returns
    -------
    GeoDataFrame
        One row per unit, with ``supplied`` (has a supply contract) and ``area_m2``
        filled (registered, else measured in ``area_crs``, else the contract's).
    """
    units = parcels.copy()
    if "geom" in units.columns and not isinstance(units, gpd.GeoDataFrame):
        units = gpd.GeoDataFrame(units, geometry="geom", crs=4490)
    if isinstance(units, gpd.GeoDataFrame) and units.crs is None:
        units = units.set_crs(4490)
    if supply is not None and len(supply):
        nos = set(supply["supervision_no"].dropna())
        codes = set(supply["parcel_code"].dropna()) if "parcel_code" in supply else set()
        sup_no = _col(units, "supervision_no", None)
        units["supplied"] = sup_no.isin(nos) | units["parcel_code"].isin(codes)
        linked_nos = set(sup_no[sup_no.isin(nos)]) | set(
            supply.loc[supply["parcel_code"].isin(set(units["parcel_code"])), "supervision_no"]
        )
        rest = supply[~supply["supervision_no"].isin(linked_nos)].copy()
        if len(rest):
            rest["area_m2"] = pd.to_numeric(rest.get("area_ha"), errors="coerce") * 10000.0
            rest["supplied"] = True
            rest = rest[[c for c in rest.columns if c in units.columns or c == "supplied"]]
            units = pd.concat([units, rest], ignore_index=True)
            units = gpd.GeoDataFrame(units, geometry="geom", crs=4490)
    else:
        # No supply table given: a unit is supplied when its contract columns were joined
        # (read_parcels leaves them empty for parcels without a contract).
        contract = [
            c
            for c in ("price_wan", "agreed_start_date", "area_ha", "contract_date", "supply_method")
            if c in units.columns
        ]
        has = units[contract].notna().any(axis=1) if contract else False
        units["supplied"] = _col(units, "supervision_no", None).notna() & has
    units = units.reset_index(drop=True)
    area = _num(units, "area_m2")
    if "area_ha" in units.columns:
        area = area.fillna(pd.to_numeric(units["area_ha"], errors="coerce") * 10000.0)
    if isinstance(units, gpd.GeoDataFrame):
        need = area.isna() & units.geometry.notna() & ~units.geometry.is_empty
        if need.any():
            area[need] = units.geometry[need].to_crs(area_crs).area
    units["area_m2"] = area
    units["supplied"] = units["supplied"].fillna(False).astype(bool)
    return units


def attach_progress(units: pd.DataFrame, progress: pd.DataFrame | None) -> pd.DataFrame:
    """Add the project-progress columns (项目进度) to each unit.

    A progress record matches a unit by 电子监管号, else by 宗地代码 (its
    ``project_key`` stands in for a missing one); of several records the latest
    ``report_date`` wins.
    """
    out = units.copy()
    if progress is None or not len(progress):
        for c in _PROGRESS_COLS:
            if c not in out.columns:
                out[c] = pd.NaT if c.endswith("_date") else np.nan
        return out
    p = progress.copy()
    if "report_date" in p.columns:
        p = p.sort_values("report_date", na_position="first")
    key = _col(p, "project_key", None)
    by_no = p.assign(_k=_col(p, "supervision_no", None).fillna(key)).dropna(subset=["_k"])
    by_no = by_no.drop_duplicates("_k", keep="last").set_index("_k")
    by_code = p.assign(_k=_col(p, "parcel_code", None).fillna(key)).dropna(subset=["_k"])
    by_code = by_code.drop_duplicates("_k", keep="last").set_index("_k")
    no = _col(out, "supervision_no", None)
    code = _col(out, "parcel_code", None)
    for c in _PROGRESS_COLS:
        if c not in p.columns:
            out[c] = pd.NaT if c.endswith("_date") else np.nan
            continue
        a = no.map(by_no[c])
        b = code.map(by_code[c])
        out[c] = a.where(a.notna(), b)
    return out


def _spatial() -> Any:
    """The shared spatial engine (:mod:`devzone.spatial`), or ``None`` before it lands."""
    try:
        from devzone import spatial
    except ImportError:
        return None
    ok = hasattr(spatial, "footprint_share") and hasattr(spatial, "assign_by_location")
    return spatial if ok else None


def _as_gdf(df: pd.DataFrame, crs: Any = 4490) -> gpd.GeoDataFrame | None:
    if isinstance(df, gpd.GeoDataFrame):
        return df if df.crs is not None else df.set_crs(crs)
    if "geom" in df.columns:
        return gpd.GeoDataFrame(df, geometry="geom", crs=crs)
    return None


def _building_parcel(
    units: pd.DataFrame,
    buildings: pd.DataFrame,
    *,
    spatial: Any,
    among: np.ndarray | None = None,
) -> np.ndarray:
    """Position (in ``units``) of the unit each building stands on; NaN when none.

    By the building's ``parcel_code`` first, else by location (the unit containing the
    building's representative point: :func:`devzone.spatial.assign_by_location`, or a
    local STRtree query when that module is not installed). The spatial search only
    considers the units flagged in ``among`` (all when ``None``).
    """
    n = len(units)
    codes = _col(units, "parcel_code", None)
    pos_of = pd.Series(np.arange(n), index=codes.to_numpy())
    pos_of = pos_of[pos_of.index.notna() & ~pos_of.index.duplicated()]
    pos = _col(buildings, "parcel_code", None).map(pos_of).to_numpy(dtype=float, copy=True)
    b = _as_gdf(buildings)
    u = _as_gdf(units)
    need = np.isnan(pos)
    if b is None or u is None or not need.any():
        return pos
    has_geom = ~(u.geometry.isna() | u.geometry.is_empty).to_numpy()
    if among is not None:
        has_geom = has_geom & np.asarray(among, dtype=bool)
    if not has_geom.any():
        return pos
    polys = gpd.GeoDataFrame(
        {"_pos": np.flatnonzero(has_geom)}, geometry=u.geometry.values[has_geom], crs=u.crs
    )
    feats = b.loc[need, [b.geometry.name]]
    if spatial is not None:
        got = spatial.assign_by_location(feats, polys, "_pos")
        got = pd.to_numeric(pd.Series(got, index=feats.index), errors="coerce")
    else:
        if feats.crs != polys.crs:
            feats = feats.to_crs(polys.crs)
        pts = shapely.point_on_surface(np.asarray(feats.geometry.values))
        tree = shapely.STRtree(np.asarray(polys.geometry.values))
        fi, pi = tree.query(pts, predicate="within")
        first = np.unique(fi, return_index=True)[1]
        got = pd.Series(np.nan, index=feats.index)
        got.iloc[fi[first]] = polys["_pos"].to_numpy()[pi[first]]
    pos[need] = got.to_numpy(dtype=float)
    return pos


def building_totals(
    units: pd.DataFrame,
    buildings: pd.DataFrame | None,
    *,
    area_crs: str = AREA_CRS,
    share_for: np.ndarray | None = None,
    totals_for: np.ndarray | None = None,
) -> pd.DataFrame:
    """Building footprint and floor area on each unit (建筑基底面积, 建筑面积).

    A building belongs to the unit whose ``parcel_code`` it carries, else to the unit
    containing its representative point. Its footprint is ``footprint_m2`` or its
    polygon's area in ``area_crs``; its floor area is the counted floor area of
    :func:`devzone.landuse.intensity.building_measures` (``floor_area_m2`` or footprint ×
    floors, storeys over 8 m double), so 用而未尽 agrees with ``parcel_intensity``.
    ``footprint_share`` is the share of the unit covered by footprints:
    :func:`devzone.spatial.footprint_share` (geometric overlay, any ``--engine``) when
    the unit has a geometry, else the summed footprints over ``area_m2``. The overlay
    runs only for the units flagged in ``share_for`` (all when ``None``): the others
    already have an actual start date and need no footprint evidence. Likewise the
    footprint and floor totals are only sure for the units flagged in ``totals_for``
    (all when ``None``; buildings placed by location are only searched among them).

    Returns
    -------
    DataFrame
        Indexed like ``units``: ``footprint_m2`` (0 when none), ``footprint_share`` (NaN
        where not needed, see ``share_for``),
        ``floor_area_m2`` (NaN when no building with a known floor area), ``buildings``.
    """
    n = len(units)
    out = pd.DataFrame(
        {
            "footprint_m2": np.zeros(n),
            "footprint_share": np.zeros(n),
            "floor_area_m2": np.full(n, np.nan),
            "buildings": np.zeros(n, dtype=np.int64),
        },
        index=units.index,
    )
    if buildings is None or not len(buildings) or not n:
        return out
    spatial = _spatial()
    b = buildings
    bg = _as_gdf(b)
    fp = _num(b, "footprint_m2").to_numpy(copy=True)
    floor = _num(b, "floor_area_m2").to_numpy(copy=True)
    pos = _building_parcel(units, b, spatial=spatial, among=None if spatial is None else totals_for)
    ok = ~np.isnan(pos)
    if bg is not None:
        # The footprint area of each placed building is needed for its floor area
        # (footprint × floors) and, when devzone.spatial is absent, for the share.
        need = ok & np.isnan(fp) & ~(bg.geometry.isna() | bg.geometry.is_empty).to_numpy()
        if spatial is not None:
            need &= np.isnan(floor)
        if need.any():
            fp[need] = bg.geometry[need].to_crs(area_crs).area.to_numpy()
    # Counted floor area (计容): the same measure as parcel intensity, storeys over 8 m
    # double, unknown floors 1 (devzone.landuse.intensity.building_measures).
    from devzone.landuse.intensity import building_measures

    measured = pd.DataFrame(
        {
            "footprint_m2": fp,
            "floors": _num(b, "floors").to_numpy(),
            "height_m": _num(b, "height_m").to_numpy(),
            "floor_area_m2": floor,
        },
        index=b.index,
    )
    floor = building_measures(measured)["counted_floor_area_m2"].to_numpy(dtype=float)

    p = pos[ok].astype(np.int64)
    out["footprint_m2"] = np.bincount(p, weights=np.nan_to_num(fp[ok]), minlength=n)
    out["buildings"] = np.bincount(p, minlength=n)
    fl = floor[ok]
    known = ~np.isnan(fl)
    floor_sum = np.bincount(p[known], weights=fl[known], minlength=n)
    has_floor = np.bincount(p[known], minlength=n) > 0
    out["floor_area_m2"] = np.where(has_floor, floor_sum, np.nan)

    area = _num(units, "area_m2").where(lambda a: a > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (out["footprint_m2"] / area).fillna(0.0)
    ug = _as_gdf(units)
    if spatial is not None and share_for is not None:
        # Not computed where no footprint evidence is needed (placement was restricted).
        share[~np.asarray(share_for, dtype=bool)] = np.nan
    if spatial is not None and ug is not None and bg is not None:
        code = _col(units, "parcel_code", None)
        geo = (code.notna() & ~(ug.geometry.isna() | ug.geometry.is_empty)).to_numpy()
        if share_for is not None:
            geo = geo & np.asarray(share_for, dtype=bool)
        if geo.any():
            parcels = gpd.GeoDataFrame(
                {"parcel_code": code[geo].to_numpy()},
                geometry=ug.geometry.values[geo],
                crs=ug.crs,
            )
            feats = gpd.GeoDataFrame(geometry=bg.geometry.values, crs=bg.crs)
            if feats.crs == parcels.crs:
                # Only footprints whose box meets one of these parcels' boxes can count.
                near = shapely.STRtree(np.asarray(parcels.geometry.values)).query(
                    np.asarray(feats.geometry.values)
                )[0]
                feats = feats.iloc[np.unique(near)]
            got = spatial.footprint_share(parcels, feats)
            got = got[~got.index.duplicated()]
            share[geo] = code[geo].map(got).fillna(0.0).to_numpy()
    out["footprint_share"] = share.to_numpy()
    return out


def idle_status(
    units: pd.DataFrame,
    *,
    as_of: Any,
    policy: Mapping[str, Any],
    buildings: pd.DataFrame | None = None,
    area_crs: str = AREA_CRS,
) -> pd.DataFrame:
    """Idle-land status of each unit on ``as_of`` (闲置土地认定).

    Parameters
    ----------
    units
        One row per parcel/supply record (:func:`supply_units`), with the progress
        columns (:func:`attach_progress`) when known. Used columns: ``parcel_code``,
        ``supervision_no``, ``zone_code``, ``supplied``, ``area_m2``, ``price_wan``,
        ``agreed_start_date``, ``agreed_completion_date``, ``actual_start_date``,
        ``actual_completion_date``, ``far_min``, ``committed_invest_wan_per_mu`` and
        the progress columns; ``geom`` for the footprint evidence.
    as_of
        The as-of date (评估基准日).
    policy
        The ``[idle]`` policy table.
    buildings
        Building footprints (``building`` table) or ``None``.
    area_crs
        Projected CRS for areas of geometries without a registered area.

    Returns
    -------
    DataFrame
        Indexed like ``units``, with the columns of ``parcel_idle_status``.

    Examples
    --------
    >>> import pandas as pd
    >>> from devzone.config import load_policy
    >>> u = pd.DataFrame({"parcel_code": ["P1"], "supervision_no": ["S1"],
    ...                   "supplied": [True], "area_m2": [10000.0], "price_wan": [500.0],
    ...                   "agreed_start_date": pd.to_datetime(["2018-03-01"])})
    >>> r = idle_status(u, as_of="2019-03-01", policy=load_policy()["idle"])
    >>> str(r.loc[0, "status"]), float(r.loc[0, "idle_fee_wan"])
    ('idle_fee', 100.0)
    """
    as_of = pd.Timestamp(as_of).normalize()
    idle_years = int(policy["idle_after_years"])
    recover_years = int(policy["recover_after_years"])
    stalled_years = int(policy["stalled_after_years"])
    th_dev = float(policy["stalled_developed_share"])
    th_inv = float(policy["stalled_invest_share"])
    th_fp = float(policy["start_footprint_share"])
    rate = float(policy["fee_rate"])
    no_cause = {str(v).strip() for v in policy.get("no_cause_values", [""])}

    u = units
    supplied = _col(u, "supplied", True).fillna(False).astype(bool).to_numpy()
    area = _num(u, "area_m2")
    start = _dates(u, "agreed_start_date")
    due_done = _dates(u, "agreed_completion_date")
    act_start = _dates(u, "actual_start_date")
    act_done = _dates(u, "actual_completion_date")
    susp = _dates(u, "suspended_date")
    resumed = _dates(u, "resumed_date")
    price = _num(u, "price_wan")

    completed = (act_done <= as_of).to_numpy()
    by_date = (act_start <= as_of).to_numpy()
    # FAR (用而未尽) is judged where the work should be done and a FAR is agreed.
    far_judged = (completed | (as_of > due_done).to_numpy()) & _num(u, "far_min").notna().to_numpy()
    totals = building_totals(
        u,
        buildings,
        area_crs=area_crs,
        share_for=supplied & ~by_date & ~completed,
        totals_for=far_judged,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        fp_share = totals["footprint_share"].to_numpy()
        dev_share = (_num(u, "developed_area_m2") / area.where(area > 0)).to_numpy()
        inv_share = (
            _num(u, "invested_wan") / _num(u, "total_invest_wan").where(lambda s: s > 0)
        ).to_numpy()

    late = completed & (act_done > due_done).to_numpy()
    by_bld = ~by_date & (fp_share >= th_fp)
    started = by_date | by_bld | completed
    evidence = np.select([by_date, by_bld], ["actual_start_date", "buildings"], "none")

    cause_raw = _text(u, "government_cause")
    cause_txt = cause_raw.fillna("").astype(str).str.strip()
    gov = (~cause_txt.isin(no_cause)).to_numpy()

    idle1 = start + pd.DateOffset(years=idle_years)
    idle2 = start + pd.DateOffset(years=recover_years)
    no_start = start.isna().to_numpy()
    not_due = (as_of <= start).to_numpy()
    overdue = ((as_of > start) & (as_of < idle1)).to_numpy()
    fee = ((as_of >= idle1) & (as_of < idle2)).to_numpy()
    recover = (as_of >= idle2).to_numpy()

    stall_from = susp + pd.DateOffset(years=stalled_years)
    suspended = (
        (susp <= as_of) & (resumed.isna() | (resumed > as_of) | (resumed < susp))
    ).to_numpy()
    low = (dev_share < th_dev) | (inv_share < th_inv)
    stalled = started & ~completed & low & suspended & (as_of >= stall_from).to_numpy()
    pending = ~started & ~no_start  # not started, judged against the agreed start

    status = np.select(
        [
            ~supplied,
            completed & late,
            completed,
            stalled & gov,
            stalled,
            started,
            no_start,
            not_due,
            overdue,
            (fee | recover) & gov,
            fee,
            recover,
        ],
        [
            "not_supplied",
            "completed_late",
            "completed",
            "government_cause",
            "idle_stalled",
            "under_construction",
            "no_start_date",
            "not_due",
            "overdue",
            "government_cause",
            "idle_fee",
            "idle_recover",
        ],
        "no_start_date",
    )
    s = pd.Series(status, index=u.index)

    # Dates: when idle began, how long, and the next step of the procedure.
    idle_since = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    not_started_idle = supplied & pending & (fee | recover)
    idle_since[not_started_idle] = idle1[not_started_idle]
    stalled_rows = supplied & stalled & ~completed
    idle_since[stalled_rows] = stall_from[stalled_rows]
    days_idle = (as_of - idle_since).dt.days.astype("Int64")
    next_deadline = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    pre = s.isin(["not_due", "overdue"]).to_numpy()
    next_deadline[pre] = idle1[pre]
    fee_rows = (s == "idle_fee").to_numpy()
    next_deadline[fee_rows] = idle2[fee_rows]
    next_measure = np.select([pre, fee_rows], ["idle_fee", "idle_recover"], "")
    days_to = (next_deadline - as_of).dt.days.astype("Int64")

    # The fee (土地闲置费): 20% of the supply price for idle land at the holder's fault.
    fee_due = s.isin(["idle_fee", "idle_stalled"]).to_numpy()
    fee_wan = pd.Series(np.nan, index=u.index)
    fee_wan[fee_due] = (price * rate)[fee_due]
    zero = s.isin(["idle_recover", "government_cause"]).to_numpy()
    fee_wan[zero] = 0.0
    no_price = price.isna().to_numpy()
    fee_note = np.select(
        [
            fee_due & no_price,
            fee_due,
            s.eq("idle_recover").to_numpy(),
            s.eq("government_cause").to_numpy(),
        ],
        [
            "成交价格缺失, 闲置费无法计算",
            f"成交价格 × {rate:.0%} (第十四条第一项)",
            "满两年未动工, 无偿收回 (第十四条第二项), 不再计征闲置费",
            "政府原因 (第八条), 不征收土地闲置费",
        ],
        "",
    )
    options = "；".join(str(o) for o in policy.get("disposal_options", []))
    gov_rows = s.eq("government_cause").to_numpy()
    disposal = np.where(gov_rows, options, "")

    # Supervision categories (批而未供 / 供而未用 / 用而未尽).
    far = (totals["floor_area_m2"] / area.where(area > 0)).where(far_judged).to_numpy()
    far_min = _num(u, "far_min").to_numpy()
    inv_per_mu = (_num(u, "invested_wan") / (area / M2_PER_MU)).to_numpy()
    inv_min = _num(u, "committed_invest_wan_per_mu").to_numpy()
    should_be_done = completed | (started & (as_of > due_done).to_numpy())
    below = (far < far_min) | (inv_per_mu < inv_min)
    unused = s.isin(["overdue", "government_cause", *IDLE_STATUSES]).to_numpy()
    category = np.select(
        [~supplied, unused, should_be_done & below & supplied],
        ["批而未供", "供而未用", "用而未尽"],
        "",
    )

    reason = _reasons(
        s,
        start=start,
        idle1=idle1,
        idle2=idle2,
        act_done=act_done,
        due_done=due_done,
        susp=susp,
        evidence=pd.Series(evidence, index=u.index),
        cause=cause_txt,
        th_dev=th_dev,
        th_inv=th_inv,
    )

    out = pd.DataFrame(
        {
            "as_of_date": as_of,
            "parcel_code": _text(u, "parcel_code"),
            "supervision_no": _text(u, "supervision_no"),
            "zone_code": _text(u, "zone_code"),
            "holder": _text(u, "holder"),
            "location": _text(u, "location"),
            "area_m2": area,
            "price_wan": price,
            "agreed_start_date": start,
            "agreed_completion_date": due_done,
            "actual_start_date": act_start,
            "actual_completion_date": act_done,
            "status": s,
            "status_reason": reason,
            "start_evidence": np.where(supplied, evidence, "none"),
            "footprint_share": fp_share,
            "developed_share": dev_share,
            "invest_share": inv_share,
            "idle_since": idle_since,
            "days_idle": days_idle,
            "next_deadline": next_deadline,
            "next_measure": next_measure,
            "days_to_deadline": days_to,
            "idle_fee_wan": fee_wan,
            "fee_note": fee_note,
            "government_cause": cause_raw.where(gov_rows | gov, None),
            "disposal_options": disposal,
            "supervision_category": category,
            "far": far,
            "far_min": far_min,
        },
        index=u.index,
    )
    out["government_cause"] = out["government_cause"].where(gov, None)
    return out


def _reasons(
    s: pd.Series,
    *,
    start: pd.Series,
    idle1: pd.Series,
    idle2: pd.Series,
    act_done: pd.Series,
    due_done: pd.Series,
    susp: pd.Series,
    evidence: pd.Series,
    cause: pd.Series,
    th_dev: float,
    th_inv: float,
) -> pd.Series:
    """One sentence per unit saying why it got its status (vectorised string building).

    Each sentence is built only on the rows holding its status.
    """
    ev_cn = {"actual_start_date": "实际开工时间", "buildings": "建筑基底", "none": "无"}
    texts = {
        "not_supplied": lambda m: "无供地合同 (未关联供地结果), 批而未供",
        "completed": lambda m: "已竣工 (实际竣工 " + _ymd(act_done[m]) + ")",
        "completed_late": lambda m: (
            "逾期竣工 (约定 " + _ymd(due_done[m]) + ", 实际 " + _ymd(act_done[m]) + ")"
        ),
        "government_cause": lambda m: "政府原因 (第八条): " + cause[m] + "; 按第十二条处置",
        "idle_stalled": lambda m: (
            f"已开工但已开发面积不足{th_dev:.0%}或投资不足{th_inv:.0%}, 自 "
            + _ymd(susp[m])
            + " 中止开发满一年 (第二条)"
        ),
        "under_construction": lambda m: (
            "已开工 (依据: " + evidence[m].map(ev_cn).fillna("无") + "), 未竣工"
        ),
        "no_start_date": lambda m: "合同无约定开工时间, 无法认定, 请补录",
        "not_due": lambda m: "约定开工 " + _ymd(start[m]) + " 未到",
        "overdue": lambda m: (
            "约定开工 "
            + _ymd(start[m])
            + " 已过, 未动工, 未满一年 (满一年日 "
            + _ymd(idle1[m])
            + ")"
        ),
        "idle_fee": lambda m: (
            "约定开工 "
            + _ymd(start[m])
            + " 起满一年 ("
            + _ymd(idle1[m])
            + ") 未动工 (第二条、第十四条第一项)"
        ),
        "idle_recover": lambda m: (
            "约定开工 "
            + _ymd(start[m])
            + " 起满两年 ("
            + _ymd(idle2[m])
            + ") 未动工 (第十四条第二项)"
        ),
    }
    out = np.full(len(s), "", dtype=object)
    values = s.to_numpy()
    for key, text in texts.items():
        m = values == key
        if m.any():
            got = text(m)
            out[m] = got.to_numpy(dtype=object) if isinstance(got, pd.Series) else got
    return pd.Series(out, index=s.index)
