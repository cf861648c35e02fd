"""The idle-land job (``devzone idle``): read the database, judge, write tables, ledger
and notices.

:func:`run_idle` reads parcels with their contracts, progress records, buildings and
enterprises; computes :func:`devzone.landuse.idle.idle_status`,
:func:`devzone.landuse.supervision.zone_summary` and
:func:`devzone.landuse.exit.exit_candidates`; writes the result tables
``parcel_idle_status``, ``zone_idle_summary`` and ``exit_candidate`` (replacing the rows
of the same as-of date), the ledger ``闲置土地台账_<as-of>.xlsx`` and the notices of
every idle parcel (``notices/<宗地代码>/*.html``).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio  # noqa: F401  GDAL must load before pysqlite3/mod_spatialite (else segfault)
from sqlalchemy import Engine, inspect

from devzone.config import load_policy
from devzone.errors import ConfigError, DatabaseError
from devzone.landuse.exit import exit_candidates
from devzone.landuse.idle import IDLE_STATUSES, attach_progress, idle_status, supply_units
from devzone.landuse.supervision import zone_summary
from devzone.reports.notices import render_notices
from devzone.reports.xlsx import write_workbook

__all__ = ["LABELS", "run_idle", "write_ledger"]

#: Column → header of the ledger (Chinese, with units).
LABELS = {
    "as_of_date": "评估基准日",
    "parcel_code": "宗地代码",
    "supervision_no": "电子监管号",
    "zone_code": "开发区代码",
    "holder": "土地使用权人",
    "location": "坐落",
    "area_m2": "面积 (平方米)",
    "price_wan": "成交价格 (万元)",
    "agreed_start_date": "约定开工时间",
    "agreed_completion_date": "约定竣工时间",
    "actual_start_date": "实际开工时间",
    "actual_completion_date": "实际竣工时间",
    "status": "状态",
    "status_cn": "状态 (中文)",
    "status_reason": "状态说明",
    "start_evidence": "开工依据",
    "footprint_share": "建筑基底占比",
    "developed_share": "已开发面积占比",
    "invest_share": "已完成投资占比",
    "idle_since": "闲置起始日",
    "days_idle": "已闲置 (日)",
    "next_deadline": "下一节点日期",
    "next_measure": "下一节点措施",
    "days_to_deadline": "距下一节点 (日)",
    "idle_fee_wan": "土地闲置费 (万元)",
    "fee_note": "闲置费说明",
    "government_cause": "政府原因 (第八条)",
    "disposal_options": "可选处置方式 (第十二条)",
    "supervision_category": "监管分类",
    "far": "实际容积率",
    "far_min": "约定容积率下限",
    "kind": "汇总类别",
    "category": "状态/分类",
    "parcels": "宗数 (宗)",
    "area_ha": "面积 (公顷)",
    "fee_unknown_parcels": "价款缺失宗数 (宗)",
    "credit_code": "统一社会信用代码",
    "enterprise_name": "企业名称",
    "reason": "退出原因",
    "reason_detail": "原因说明",
    "area_mu": "面积 (亩)",
    "disposal_route": "处置方式 (请选择)",
    "tax_relief_eligible": "可享土地使用税减免/缓缴",
    "idle_parcels": "闲置宗数 (宗)",
    "idle_area_ha": "闲置面积 (公顷)",
    "recover_parcels": "无偿收回候选 (宗)",
    "government_cause_parcels": "政府原因 (宗)",
    "area_批而未供": "批而未供 (公顷)",
    "area_供而未用": "供而未用 (公顷)",
    "area_用而未尽": "用而未尽 (公顷)",
    "area_核准面积未供": "核准面积未供 (公顷)",
}

STATUS_CN = {
    "not_supplied": "未供地",
    "not_due": "未到约定开工期",
    "overdue": "逾期未开工 (未满一年)",
    "idle_fee": "闲置满一年 (征收闲置费)",
    "idle_recover": "闲置满两年 (无偿收回)",
    "idle_stalled": "中止开发满一年 (征收闲置费)",
    "government_cause": "政府原因闲置",
    "under_construction": "在建",
    "completed": "已竣工",
    "completed_late": "逾期竣工",
    "no_start_date": "无约定开工时间",
}
REASON_CN = {
    "bankrupt": "破产",
    "suspended": "停产",
    "zombie": "僵尸企业",
    "commitment_missed": "标准地承诺未达标",
}


def _read(engine: Engine, name: str) -> pd.DataFrame:
    if name not in inspect(engine).get_table_names():
        raise DatabaseError(
            f"The database has no table {name!r}: run `devzone db init` and load the data "
            "with `devzone etl load` first."
        )
    from devzone.db.io import read_table

    with warnings.catch_warnings():
        # GDAL notes non-ISO timestamps in the provenance column loaded_at; harmless here.
        warnings.filterwarnings("ignore", message="Non-conformant content", category=RuntimeWarning)
        df = read_table(engine, name)
    if isinstance(df, gpd.GeoDataFrame) and df.geometry.name != "geom":
        df = df.rename_geometry("geom")  # pyogrio names it "geometry" on GeoPackage
    return df


def _parcels_with_contract(parcels: gpd.GeoDataFrame, supply: pd.DataFrame) -> pd.DataFrame:
    """Parcels joined with their contract (as :func:`devzone.db.io.read_parcels`).

    By 电子监管号, else by the contract's 宗地代码; the parcel's own columns win.
    """
    prov = {"src_file", "src_row", "batch_id", "loaded_at", "row_hash", "fid"}
    sup = supply.drop(columns=[c for c in supply.columns if c in prov])
    extra = [c for c in sup.columns if c not in parcels.columns]
    by_no = sup.dropna(subset=["supervision_no"]).drop_duplicates("supervision_no")
    by_no = by_no.set_index("supervision_no")
    by_code = sup.dropna(subset=["parcel_code"]).drop_duplicates("parcel_code")
    by_code = by_code.set_index("parcel_code")
    out = parcels.copy()
    no = out["supervision_no"].astype(object)
    fallback = out["parcel_code"].map(by_code["supervision_no"]) if len(by_code) else None
    key = no.where(no.isin(by_no.index), fallback) if fallback is not None else no
    out["supervision_no"] = no.where(no.notna(), key)
    out["_key"] = key.astype(object)
    contract = by_no[[c for c in extra if c in by_no.columns]].reset_index(names="_key")
    out = out.merge(contract, on="_key", how="left").drop(columns="_key")
    return gpd.GeoDataFrame(out, geometry="geom", crs=4490)


def _per_zone(status: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Wide per-zone totals for the ledger (one row per zone plus 合计)."""
    s = status.assign(zone_code=status["zone_code"].fillna("(开发区外)"))
    area_ha = s["area_m2"].fillna(0.0) / 10000.0
    idle = s["status"].isin(IDLE_STATUSES)
    fee_due = s["status"].isin(["idle_fee", "idle_stalled"])
    frame = pd.DataFrame(
        {
            "zone_code": s["zone_code"],
            "parcels": 1,
            "area_ha": area_ha,
            "idle_parcels": idle.astype(int),
            "idle_area_ha": area_ha.where(idle, 0.0),
            "idle_fee_wan": s["idle_fee_wan"].where(fee_due, 0.0).fillna(0.0),
            "fee_unknown_parcels": (fee_due & s["idle_fee_wan"].isna()).astype(int),
            "recover_parcels": s["status"].eq("idle_recover").astype(int),
            "government_cause_parcels": s["status"].eq("government_cause").astype(int),
        }
    )
    wide = frame.groupby("zone_code", sort=True).sum()
    cats = summary[summary["kind"].isin(["supervision", "zone"])]
    if len(cats):
        piv = cats.assign(zone_code=cats["zone_code"].fillna("(开发区外)")).pivot_table(
            index="zone_code", columns="category", values="area_ha", aggfunc="sum"
        )
        piv.columns = [f"area_{c}" for c in piv.columns]
        wide = wide.join(piv, how="outer")
    for c in ("area_批而未供", "area_供而未用", "area_用而未尽"):
        if c not in wide.columns:
            wide[c] = 0.0
    wide = wide.fillna(0.0).reset_index()
    total = wide.drop(columns="zone_code").sum().to_frame().T
    total.insert(0, "zone_code", "合计")
    return pd.concat([wide, total], ignore_index=True)


def _blank_missing(df: pd.DataFrame) -> pd.DataFrame:
    """Missing values as blank cells: columns with gaps become object columns holding
    ``""`` there (xlsxwriter writes a blank cell; numbers and dates stay typed)."""
    out = df.copy()
    for col in out.columns:
        miss = out[col].isna()
        if miss.any():
            out[col] = out[col].astype(object).where(~miss, "")
    return out


def write_ledger(
    path: Path,
    status: pd.DataFrame,
    summary: pd.DataFrame,
    exits: pd.DataFrame,
    *,
    as_of: dt.date,
    routes: list[str],
) -> Path:
    """Write the 闲置土地台账 workbook: parcels, per-zone totals, exit list, categories."""
    ledger = status.drop(columns=[c for c in ("geom", "as_of_date") if c in status.columns])
    ledger.insert(
        ledger.columns.get_loc("status") + 1, "status_cn", ledger["status"].map(STATUS_CN)
    )
    ex = exits.drop(columns=["as_of_date"]).copy()
    ex["reason"] = ex["reason"].map(REASON_CN).fillna(ex["reason"])
    cats = summary[summary["kind"].isin(["supervision", "zone"])].drop(columns="as_of_date")
    note = f"评估基准日 {as_of.isoformat()}; 依据《闲置土地处置办法》(国土资源部令第53号)"
    sheets = {
        "闲置土地台账": ledger,
        "开发区汇总": _per_zone(status, summary),
        "退出候选": ex,
        "监管分类": cats,
    }
    sheets = {name: _blank_missing(df) for name, df in sheets.items()}
    # The disposal routes as a drop-down list in the exit sheet's route column.
    validations = {"退出候选": {"disposal_route": routes}} if routes else None
    write_workbook(
        path, sheets, labels=LABELS, notes=dict.fromkeys(sheets, note), validations=validations
    )
    return path


def _with_geom(status: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Attach the unit geometry as WKB elements GeoAlchemy2 binds on both backends."""
    from geoalchemy2.shape import from_shape

    if not isinstance(units, gpd.GeoDataFrame):
        return status
    geoms = units.geometry.reindex(status.index)
    out = status.copy()
    out["geom"] = [None if g is None or g.is_empty else from_shape(g, srid=4490) for g in geoms]
    return out


def run_idle(
    engine: Engine,
    *,
    as_of: dt.date,
    config: str | Path | None = None,
    out_dir: str | Path | None = None,
    policy: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Judge every parcel's idleness on ``as_of`` and write tables, ledger and notices.

    Parameters
    ----------
    engine
        The database (GeoPackage or PostGIS), initialised and loaded.
    as_of
        The as-of date (评估基准日).
    config
        A city's policy TOML overriding ``data/policy/idle.toml``.
    out_dir
        Folder for the ledger and ``notices/``; ``None`` writes the tables only.
    policy
        Already-loaded policy (overrides ``config``; for tests).

    Returns
    -------
    dict
        ``{"outputs": [ledger XLSX, notices folder], "headline": {label: value}}``
        (the folder holds one sub-folder of HTML notices per idle parcel).
    """
    as_of = pd.Timestamp(as_of).date()
    pol = dict(policy) if policy is not None else load_policy(config)
    if "idle" not in pol or "exit" not in pol:
        raise ConfigError("The policy configuration lacks the [idle] or [exit] table.")
    from devzone.db.io import write_rows

    supply = _read(engine, "land_supply")
    parcels = _parcels_with_contract(_read(engine, "parcel"), supply)
    progress = _read(engine, "project_progress")
    buildings = _read(engine, "building")
    units = attach_progress(supply_units(parcels, supply), progress)
    status = idle_status(units, as_of=as_of, policy=pol["idle"], buildings=buildings)
    status["as_of_date"] = pd.Timestamp(as_of)
    summary = zone_summary(status, _read(engine, "dev_zone"))

    exits = exit_candidates(
        units[units["parcel_code"].notna()],
        _read(engine, "enterprise"),
        _read(engine, "enterprise_indicator"),
        _read(engine, "parcel_enterprise"),
        as_of=as_of,
        policy=pol["exit"],
    )

    where = {"as_of_date": as_of}
    write_rows(engine, "parcel_idle_status", _with_geom(status, units), replace_where=where)
    write_rows(engine, "zone_idle_summary", summary, replace_where=where)
    write_rows(engine, "exit_candidate", exits, replace_where=where)

    outputs: list[Path] = []
    notices: list[Path] = []
    if out_dir is not None:
        out = Path(out_dir)
        routes = [str(r) for r in pol["exit"].get("disposal_routes", [])]
        outputs.append(
            write_ledger(
                out / f"闲置土地台账_{as_of.isoformat()}.xlsx",
                status,
                summary,
                exits,
                as_of=as_of,
                routes=routes,
            )
        )
        src = units["src_file"] if "src_file" in units.columns else None
        notices = render_notices(
            status.assign(src_file=src), out / "notices", policy=pol["idle"], as_of=as_of
        )
        if notices:
            outputs.append(out / "notices")

    idle = status["status"].isin(IDLE_STATUSES)
    fee_due = status["status"].isin(["idle_fee", "idle_stalled"])
    headline = {
        "宗地 parcels judged": len(status),
        "闲置 idle parcels": int(idle.sum()),
        "闲置面积 idle area (ha)": round(float(status.loc[idle, "area_m2"].sum()) / 1e4, 2),
        "闲置费 idle fee (万元)": round(float(status.loc[fee_due, "idle_fee_wan"].sum()), 2),
        "无偿收回 recovery candidates": int(status["status"].eq("idle_recover").sum()),
        "政府原因 government cause": int(status["status"].eq("government_cause").sum()),
        "退出候选 exit candidates": len(exits),
        "可腾退 land freed (亩)": round(float(exits["area_mu"].sum()), 1) if len(exits) else 0.0,
        "文书 notices": len(notices),
    }
    return {"outputs": outputs, "headline": headline}
