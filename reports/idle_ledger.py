"""The idle-land ledger workbook (闲置土地台账_<as-of>.xlsx) for planners.

Four sheets: every unit with its status (闲置土地台账), per-zone totals (开发区汇总), the
exit list with a drop-down of disposal routes (退出候选) and the supervision categories
(监管分类). Codes are shown with their labels from :mod:`devzone.vocab`; headers are the
Chinese column names of :data:`LABELS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from devzone.landuse.idle import FEE_DUE_STATUSES
from devzone.reports.xlsx import write_workbook
from devzone.units import M2_PER_HA
from devzone.vocab import (
    EXIT_REASON_LABELS,
    IDLE_STATUS_LABELS,
    IDLE_STATUSES,
    MEASURE_LABELS,
    START_EVIDENCE_LABELS,
    SUMMARY_KIND_LABELS,
    SUPERVISION_CATEGORIES,
    label,
)

__all__ = ["LABELS", "SHEETS", "per_zone", "write_ledger"]

#: Column → header of the ledger (Chinese, with units).
LABELS = {
    "as_of_date": "评估基准日",
    "parcel_code": "宗地代码",
    "supervision_no": "电子监管号",
    "zone_code": "开发区代码",
    "zone_name": "开发区名称",
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
    "cause_check": "原因认定 (待确认: 请核实)",
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

#: The sheets, in order.
SHEETS = ("闲置土地台账", "开发区汇总", "退出候选", "监管分类")

_NO_ZONE = "(开发区外)"
_TOTAL = "合计"
#: The per-zone area columns that are always shown (批而未供, 供而未用, 用而未尽).
_CATEGORY_AREAS = tuple(f"area_{c}" for c in SUPERVISION_CATEGORIES[:3])


def per_zone(status: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Wide per-zone totals for the ledger (one row per zone plus 合计).

    Parameters
    ----------
    status
        Rows of ``parcel_idle_status``.
    summary
        Rows of ``zone_idle_summary`` (:func:`devzone.landuse.supervision.zone_summary`).

    Returns
    -------
    DataFrame
        ``zone_code``, ``parcels``, ``area_ha``, ``idle_parcels``, ``idle_area_ha``,
        ``idle_fee_wan``, ``fee_unknown_parcels``, ``recover_parcels``,
        ``government_cause_parcels`` and ``area_<category>`` columns.

    Examples
    --------
    >>> st = pd.DataFrame({"zone_code": ["Z1", None], "status": ["idle_fee", "completed"],
    ...                    "area_m2": [10000.0, 5000.0], "idle_fee_wan": [200.0, None]})
    >>> sm = pd.DataFrame(columns=["zone_code", "kind", "category", "area_ha"])
    >>> t = per_zone(st, sm)
    >>> t[["zone_code", "parcels", "idle_area_ha", "idle_fee_wan"]].values.tolist()
    [['(开发区外)', 1.0, 0.0, 0.0], ['Z1', 1.0, 1.0, 200.0], ['合计', 2.0, 1.0, 200.0]]
    """
    s = status.assign(zone_code=status["zone_code"].fillna(_NO_ZONE))
    area_ha = s["area_m2"].fillna(0.0) / M2_PER_HA
    idle = s["status"].isin(IDLE_STATUSES)
    fee_due = s["status"].isin(FEE_DUE_STATUSES)
    frame = pd.DataFrame(
        {
            "zone_code": s["zone_code"],
            "parcels": 1,
            "area_ha": area_ha,
            "idle_parcels": idle.astype(int),
            "idle_area_ha": area_ha.where(idle, 0.0),
            "idle_fee_wan": s["idle_fee_wan"].where(fee_due, 0.0).fillna(0.0),
            "fee_unknown_parcels": (idle & s["idle_fee_wan"].isna()).astype(int),
            "recover_parcels": s["status"].eq("idle_recover").astype(int),
            "government_cause_parcels": s["status"].eq("government_cause").astype(int),
        }
    )
    wide = frame.groupby("zone_code", sort=True).sum()
    cats = summary[summary["kind"].isin(["supervision", "zone"])]
    if len(cats):
        piv = cats.assign(zone_code=cats["zone_code"].fillna(_NO_ZONE)).pivot_table(
            index="zone_code", columns="category", values="area_ha", aggfunc="sum"
        )
        piv.columns = [f"area_{c}" for c in piv.columns]
        wide = wide.join(piv, how="outer")
    for col in _CATEGORY_AREAS:
        if col not in wide.columns:
            wide[col] = 0.0
    wide = wide.fillna(0.0).reset_index()
    total = wide.drop(columns="zone_code").sum().to_frame().T
    total.insert(0, "zone_code", _TOTAL)
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


def labelled(df: pd.DataFrame, zone_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Codes of a ledger sheet shown as their labels, the zone name beside its code.

    Examples
    --------
    >>> df = pd.DataFrame({"zone_code": ["Z1", "合计"], "status": ["idle_fee", "completed"],
    ...                    "start_evidence": ["none", "buildings"]})
    >>> labelled(df, {"Z1": "甲园区"}).values.tolist()[0]
    ['Z1', '甲园区', '闲置满一年 (征收闲置费)', '无']
    """
    out = df.copy()
    columns = {
        "status": IDLE_STATUS_LABELS,
        "start_evidence": START_EVIDENCE_LABELS,
        "next_measure": MEASURE_LABELS,
        "kind": SUMMARY_KIND_LABELS,
        "reason": EXIT_REASON_LABELS,
    }
    for col, labels in columns.items():
        if col in out.columns:
            out[col] = label(out[col], labels)
    if zone_names is not None and "zone_code" in out.columns and "zone_name" not in out:
        names = out["zone_code"].map(dict(zone_names))
        out.insert(out.columns.get_loc("zone_code") + 1, "zone_name", names)
    return out


def write_ledger(  # noqa: PLR0913 -- keyword-only parts of one workbook
    path: Path,
    status: pd.DataFrame,
    summary: pd.DataFrame,
    exits: pd.DataFrame,
    *,
    as_of: dt.date,
    routes: Sequence[str],
    scope: str | None = None,
    vintage: str | None = None,
    zone_names: Mapping[str, str] | None = None,
    title: str = "",
) -> Path:
    """Write the 闲置土地台账 workbook: parcels, per-zone totals, exit list, categories.

    Parameters
    ----------
    path
        The workbook to write.
    status, summary, exits
        Rows of ``parcel_idle_status`` (``geom`` ignored), ``zone_idle_summary`` and
        ``exit_candidate``.
    as_of
        The as-of date, quoted above every sheet.
    routes
        The disposal routes (``[exit] disposal_routes``), offered as a drop-down list on
        the exit sheet's route column.
    scope
        ``"范围: <zone or county>"`` when a county or zone role ran it: ends every
        sheet's note line.
    vintage
        The data-vintage line (``数据版本: 第 N 批 (YYYY-MM-DD 加载)``,
        :func:`devzone.db.history.vintage_note`), added to the note above every sheet.

    Returns
    -------
    Path
        ``path``.
    """
    ledger = status.drop(columns=[c for c in ("geom", "as_of_date") if c in status.columns])
    ex = exits.drop(columns=["as_of_date"]).copy()
    cats = summary[summary["kind"].isin(["supervision", "zone"])].drop(columns="as_of_date")
    note = (
        f"闲置土地台账 评估基准日 {as_of.isoformat()}; 依据《闲置土地处置办法》(国土资源部令第53号)"
    )
    unknown = int((status["status"].isin(IDLE_STATUSES) & status["idle_fee_wan"].isna()).sum())
    if unknown:
        note += f"; 闲置费合计未含 {unknown} 宗价款缺失的闲置土地 (闲置费未知)"
    extra = title or scope  # the job's title line already holds the scope
    note += f"; {extra}" if extra else ""
    if vintage:
        note += f"; {vintage}"
    frames = (ledger, per_zone(status, summary), ex, cats)
    sheets = {
        name: _blank_missing(labelled(df, zone_names))
        for name, df in zip(SHEETS, frames, strict=True)
    }
    validations = {"退出候选": {"disposal_route": list(routes)}} if routes else None
    write_workbook(
        path, sheets, labels=LABELS, notes=dict.fromkeys(sheets, note), validations=validations
    )
    return path
