"""The idle-land job (``devzone idle``): read the database, judge, write tables, ledger
and notices.

:func:`run_idle` reads parcels with their contracts
(:func:`devzone.db.io.parcels_with_contract`), supply records, progress records,
buildings and enterprises; computes :func:`devzone.landuse.idle.idle_status`,
:func:`devzone.landuse.supervision.zone_summary` and
:func:`devzone.landuse.exit.exit_candidates`; writes the result tables
``parcel_idle_status``, ``zone_idle_summary`` and ``exit_candidate`` with
:func:`devzone.db.io.write_frame` (replacing the rows of the same as-of date), proposes a
case for each idle parcel and exit candidate without an open one
(:func:`devzone.jobs.cases.propose_idle_cases`: never a duplicate, never a reset), the ledger
``闲置土地台账_<as-of>.xlsx`` (:func:`devzone.reports.idle_ledger.write_ledger`) and the
notices of every idle parcel (``notices/<宗地代码>/*.html``,
:func:`devzone.reports.notices.render_notices`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio  # noqa: F401  GDAL must load before pysqlite3/mod_spatialite (else segfault)
import shapely
from sqlalchemy import Engine

from devzone.db.history import Vintage, data_vintage, latest_progress, vintage_note
from devzone.db.io import parcels_with_contract, read, synthetic_data, write_frame
from devzone.jobs.cases import propose_idle_cases
from devzone.jobs.scope import SCOPE_KEY, scope_name, title_line
from devzone.landuse.exit import exit_candidates
from devzone.landuse.idle import FEE_DUE_STATUSES, idle_status
from devzone.landuse.idle_causes import TO_CONFIRM
from devzone.landuse.idle_units import attach_progress, supply_units
from devzone.landuse.supervision import zone_summary
from devzone.policy import Policy, load_policy
from devzone.reports.idle_ledger import write_ledger
from devzone.reports.notices import render_notices
from devzone.units import M2_PER_HA, SRID
from devzone.vocab import IDLE_STATUSES

__all__ = ["IdleResults", "fee_unknown", "judge", "run_idle", "status_frame"]

#: The frames :func:`judge` computes, by result table.
IdleResults = dict[str, pd.DataFrame]


def _optional(engine: Engine, name: str, data_as_of: int | None = None) -> pd.DataFrame:
    """An input table that may be absent or empty (an empty frame then)."""
    df = read(engine, name, required=False, as_of=data_as_of)
    return pd.DataFrame() if df is None else df


def judge(
    engine: Engine,
    *,
    as_of: dt.date,
    policy: Policy,
    area_crs: str | None = None,
    data_as_of: int | None = None,
) -> tuple[pd.DataFrame, IdleResults]:
    """Read the inputs and judge them: the units and the three result frames.

    ``data_as_of`` (a load batch) reads every input as it stood then (``None``: as it
    is now). Of each project's progress reports the one in force on ``as_of`` is used
    (:func:`devzone.db.history.latest_progress`: reports dated later are not).

    Returns
    -------
    tuple
        The units judged (:func:`devzone.landuse.idle_units.supply_units` with progress)
        and ``{"parcel_idle_status", "zone_idle_summary", "exit_candidate"}`` frames
        (``parcel_idle_status`` without its geometry).

    Raises
    ------
    devzone.db.io.TableMissing
        No parcels are loaded.
    """
    v = data_as_of
    parcels = parcels_with_contract(engine, as_of=v)
    supply = read(engine, "land_supply", required=False, as_of=v)
    units = supply_units(parcels, supply, area_crs=area_crs)
    progress = read(engine, "project_progress", required=False, as_of=v)
    if progress is not None:
        progress = latest_progress(progress, as_of)
    units = attach_progress(units, progress, as_of=as_of)
    status = idle_status(
        units,
        as_of=as_of,
        policy=policy.idle,
        intensity=policy.intensity,
        buildings=read(engine, "building", required=False, as_of=v),
        area_crs=area_crs,
    )
    status["as_of_date"] = pd.Timestamp(as_of)
    summary = zone_summary(status, read(engine, "dev_zone", required=False, as_of=v))
    exits = exit_candidates(
        units[units["parcel_code"].notna()],
        _optional(engine, "enterprise", v),
        _optional(engine, "enterprise_indicator", v),
        _optional(engine, "parcel_enterprise", v),
        as_of=as_of,
        policy=policy.exit,
    )
    results = {"parcel_idle_status": status, "zone_idle_summary": summary, "exit_candidate": exits}
    return units, results


def status_frame(status: pd.DataFrame, units: pd.DataFrame) -> gpd.GeoDataFrame:
    """``parcel_idle_status`` rows with the unit's geometry in ``geom`` (EPSG:4490).

    A unit without a geometry (a supply record no parcel links to) or with an empty one
    gets ``None``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> u = gpd.GeoDataFrame({"parcel_code": ["P1", None]}, crs=SRID,
    ...                      geometry=[box(116.5, 31.7, 116.6, 31.8), None])
    >>> st = pd.DataFrame({"status": ["idle_fee", "idle_fee"]})
    >>> status_frame(st, u)["geom"].isna().tolist()
    [False, True]
    """
    geoms = np.full(len(status), None, dtype=object)
    if isinstance(units, gpd.GeoDataFrame):
        values = np.asarray(units.geometry.reindex(status.index).values, dtype=object)
        keep = ~shapely.is_missing(values) & ~shapely.is_empty(values)
        geoms[keep] = values[keep]
    return gpd.GeoDataFrame(status.assign(geom=geoms), geometry="geom", crs=SRID)


def fee_unknown(status: pd.DataFrame) -> int:
    """Idle parcels whose fee is unknown (no price: 价款缺失).

    Examples
    --------
    >>> fee_unknown(pd.DataFrame({"status": ["idle_fee", "idle_recover", "overdue"],
    ...                           "idle_fee_wan": [None, 100.0, None]}))
    1
    """
    idle = status["status"].isin(IDLE_STATUSES)
    return int((idle & status["idle_fee_wan"].isna()).sum())


def _fee_total(status: pd.DataFrame) -> float | str:
    """The fee total (万元), with ``(N 宗价款缺失未计)`` when N idle parcels lack a price."""
    due = status["status"].isin(FEE_DUE_STATUSES)
    total = round(float(status.loc[due, "idle_fee_wan"].sum()), 2)
    unknown = fee_unknown(status)
    return f"{total:.2f} ({unknown} 宗价款缺失未计)" if unknown else total


def _headline(status: pd.DataFrame, exits: pd.DataFrame, notices: int) -> dict[str, Any]:
    idle = status["status"].isin(IDLE_STATUSES)
    confirm = status["cause_check"].fillna("").str.startswith(TO_CONFIRM)
    return {
        "宗地 parcels judged": len(status),
        "闲置 idle parcels": int(idle.sum()),
        "闲置面积 idle area (ha)": round(float(status.loc[idle, "area_m2"].sum()) / M2_PER_HA, 2),
        "闲置费 idle fee (万元)": _fee_total(status),
        "闲置费未知 idle parcels without a price (fee unknown)": fee_unknown(status),
        "原因待确认 recorded causes not recognised as Art. 8 (to confirm)": int(confirm.sum()),
        "无偿收回 recovery candidates": int(status["status"].eq("idle_recover").sum()),
        "政府原因 government cause": int(status["status"].eq("government_cause").sum()),
        "退出候选 exit candidates": len(exits),
        "可腾退 land freed (亩)": round(float(exits["area_mu"].sum()), 1) if len(exits) else 0.0,
        "文书 notices": notices,
    }


def _ledger_title(engine: Engine) -> dict[str, object]:
    """The ledger's title line (scope, synthetic data, database) and zone names."""
    zones = read(engine, "dev_zone", columns=["zone_code", "name"], required=False)
    names = {} if zones is None else dict(zip(zones["zone_code"], zones["name"], strict=True))
    return {"title": title_line(engine), "zone_names": names}


def _write_files(
    engine: Engine,
    out: Path,
    results: IdleResults,
    *,
    as_of: dt.date,
    policy: Policy,
    vintage: int | None = None,
) -> tuple[list[Path], list[Path]]:
    """The ledger workbook and the notices: (outputs, notice files)."""
    status = results["parcel_idle_status"]
    ledger = write_ledger(
        out / f"闲置土地台账_{as_of.isoformat()}.xlsx",
        status,
        results["zone_idle_summary"],
        results["exit_candidate"],
        as_of=as_of,
        routes=policy.exit.disposal_routes,
        **_ledger_title(engine),
        vintage=vintage_note(engine, vintage),
    )
    notices = render_notices(
        status,
        out / "notices",
        policy=policy.idle,
        as_of=as_of,
        synthetic=synthetic_data(engine),
    )
    return ([ledger, out / "notices"] if notices else [ledger]), notices


def run_idle(
    engine: Engine,
    *,
    as_of: dt.date,
    config: str | Path | None = None,
    out_dir: str | Path | None = None,
    policy: Policy | None = None,
    area_crs: str | None = None,
    data_as_of: Vintage | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Judge every parcel's idleness on ``as_of`` and write tables, ledger and notices.

    Parameters
    ----------
    engine
        The database (GeoPackage or PostGIS), initialised and loaded.
    as_of
        The as-of date (评估基准日).
    config
        A city's policy TOML deep-merged over ``data/policy/`` (:func:`load_policy`).
    out_dir
        Folder for the ledger and ``notices/``; ``None`` writes the tables only.
    policy
        An already-loaded policy (wins over ``config``; for tests and what-ifs).
    area_crs
        Projected CRS for measured areas (:func:`devzone.settings.area_crs`).
    data_as_of
        The data vintage (a load batch or a date, ``--data-as-of``): the inputs as they
        stood then; ``None``: as they are now. The vintage used is recorded with the
        result tables (``result_vintage``, with ``command``) and printed in the ledger.

    Returns
    -------
    dict
        ``{"outputs": [ledger XLSX, notices folder], "headline": {label: value}}``
        (the folder holds one sub-folder of HTML notices per idle parcel).

    Raises
    ------
    devzone.db.io.TableMissing
        No parcels are loaded (the message says how to load them).
    """
    as_of = pd.Timestamp(as_of).date()
    pol = policy if policy is not None else load_policy(config)
    vintage = data_vintage(engine, data_as_of)
    read_at = vintage if data_as_of is not None else None
    units, results = judge(engine, as_of=as_of, policy=pol, area_crs=area_crs, data_as_of=read_at)
    status = results["parcel_idle_status"]
    frames = {
        "parcel_idle_status": status_frame(status, units),
        "zone_idle_summary": results["zone_idle_summary"],
        "exit_candidate": results["exit_candidate"],
    }
    for name, frame in frames.items():
        write_frame(
            engine,
            name,
            frame,
            replace_where={"as_of_date": as_of},
            vintage=vintage,
            command=command,
        )
    new_cases = propose_idle_cases(engine, as_of=as_of, policy=pol)  # never resets a case

    outputs: list[Path] = []
    notices: list[Path] = []
    if out_dir is not None:
        outputs, notices = _write_files(
            engine, Path(out_dir), results, as_of=as_of, policy=pol, vintage=vintage
        )
    scope = scope_name(engine)  # a county or zone role judges its own land (RLS)
    headline = {SCOPE_KEY: scope} if scope else {}
    headline.update(_headline(status, results["exit_candidate"], len(notices)))
    headline["新立案件 cases proposed"] = len(new_cases)
    headline["数据版本 data vintage"] = vintage_note(engine, vintage).split(": ", 1)[1]
    return {"outputs": outputs, "headline": headline, "vintage": vintage}
