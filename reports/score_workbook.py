"""The planners' workbook of ``devzone score`` (亩均效益评价): sheets, labels, 说明.

:func:`write_score_workbook` writes 企业评价, 宗地效益, 宗地集约, 企业排行榜, 等级变化
(and 情景对比 for a what-if) through :func:`devzone.reports.xlsx.write_workbook`, with
Chinese headers (:data:`LABELS`), codes shown by their :mod:`devzone.vocab` labels, and
a 说明 sheet (:func:`method_sheet`) whose numbers are those of the policy in force.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from devzone.landuse.performance import INDICATORS
from devzone.policy import Policy, default_policy
from devzone.reports.xlsx import write_workbook
from devzone.units import M2_PER_HA, MU_PER_HA
from devzone.vocab import (
    CHANGE_LABELS,
    EVALUATION_NOTE_LABELS,
    GRADE_LABELS,
    GROUP_LABELS,
    INVEST_SOURCE_LABELS,
    PERFORMANCE_NOTE_LABELS,
    SCORE_METHOD_LABELS,
    YES_NO,
)

__all__ = ["LABELS", "for_people", "method_sheet", "write_score_workbook"]

#: Column → Chinese header with unit, for the XLSX.
LABELS: dict[str, str] = {
    "year": "评价年度",
    "credit_code": "统一社会信用代码",
    "name": "企业名称",
    "zone_code": "开发区代码",
    "zone_name": "开发区名称",
    "industry_code": "行业代码 (GB/T 4754-2017)",
    "industry_code_2002": "控制指标行业大类 (GB/T 4754-2002)",
    "group_name": "评价组别",
    "evaluated": "是否参评",
    "grade": "等级",
    "grade_prev": "上年等级",
    "grade_alt": "情景等级",
    "score": "综合得分 (分)",
    "score_prev": "上年得分 (分)",
    "score_alt": "情景得分 (分)",
    "rank": "组内排名",
    "group_size": "组内分档企业数 (家)",
    "zone_rank": "开发区内排名",
    "land_mu": "用地面积 (亩)",
    "tax_per_mu_wan": "亩均税收 (万元/亩)",
    "revenue_per_mu_wan": "亩均营业收入 (万元/亩)",
    "value_added_per_mu_wan": "亩均增加值 (万元/亩)",
    "value_added_per_tce": "单位能耗增加值 (万元/吨标准煤)",
    "value_added_per_emission_t": "单位排放增加值 (万元/吨)",
    "rd_intensity": "研发经费投入强度 (比值)",
    "labour_productivity_wan": "全员劳动生产率 (万元/人)",
    "tech_invest_per_mu_wan": "亩均技改投资 (万元/亩)",
    "note": "说明",
    "parcel_code": "宗地代码",
    "enterprise_count": "用地企业数 (家)",
    "performance_note": "说明",
    "enterprise_names": "用地企业",
    "area_m2": "宗地面积 (平方米)",
    "floor_area_m2": "计容建筑面积 (平方米)",
    "footprint_m2": "建筑基底面积 (平方米)",
    "far": "容积率",
    "building_coefficient": "建筑系数 (比值)",
    "admin_share": "行政办公及生活服务设施用地比重 (比值)",
    "invest_intensity_wan_per_mu": "投资强度 (万元/亩)",
    "invest_source": "投资强度来源",
    "required_far": "应达容积率",
    "far_ok": "容积率达标",
    "coefficient_ok": "建筑系数达标",
    "admin_ok": "行政办公比重达标",
    "entry_rule_ok": "六安准入标准达标",
    "commitment_ok": "标准地承诺达标",
    "addable_floor_area_m2": "可增建筑面积 (平方米)",
    "change": "变化",
}

#: Columns of the 企业评价 sheet, in order.
EVALUATION_SHEET_COLUMNS = (
    "credit_code",
    "name",
    "zone_code",
    "industry_code",
    "group_name",
    "evaluated",
    "grade",
    "score",
    "rank",
    "zone_rank",
    "land_mu",
    *INDICATORS,
    "note",
)


def note_text(note: object) -> object:
    """An evaluation note (``transition``, ``missing:tax_per_mu_wan;…``) in Chinese.

    Examples
    --------
    >>> note_text("transition"), note_text("missing:tax_per_mu_wan;missing:rd_intensity")
    ('过渡期 (T 类)', '缺少指标: 亩均税收 (万元/亩); 缺少指标: 研发经费投入强度 (比值)')
    """
    if not isinstance(note, str) or not note:
        return note
    parts = []
    for part in note.split(";"):
        code, _, what = part.strip().partition(":")
        text = EVALUATION_NOTE_LABELS.get(code, code)
        parts.append(f"{text}: {LABELS.get(what, what)}" if what else text)
    return "; ".join(parts)


def for_people(df: pd.DataFrame) -> pd.DataFrame:
    """A result frame as planners read it: codes by their labels, 是/否, empty cells.

    Examples
    --------
    >>> df = pd.DataFrame({"group_name": ["above", "below"], "far_ok": [True, None],
    ...                    "change": ["up", "new"], "score": [80.0, None]})
    >>> for_people(df.astype({"far_ok": "boolean"})).values.tolist()
    [['规上', '是', '升档', 80.0], ['规下', '', '新参评', '']]
    """
    out = df.copy()
    if "group_name" in out:
        out["group_name"] = out["group_name"].map(GROUP_LABELS).fillna(out["group_name"])
    if "change" in out:
        out["change"] = out["change"].map(CHANGE_LABELS).fillna(out["change"])
    if "performance_note" in out:
        out["performance_note"] = out["performance_note"].map(PERFORMANCE_NOTE_LABELS).fillna("")
    if "invest_source" in out:
        out["invest_source"] = out["invest_source"].map(INVEST_SOURCE_LABELS).fillna("")
    if "note" in out:
        out["note"] = out["note"].map(note_text)
    for col in ("grade", "grade_prev", "grade_alt"):
        if col in out:
            out[col] = out[col].replace({"none": GRADE_LABELS["none"]})
    for col in out.columns:
        if isinstance(out[col].dtype, pd.BooleanDtype) or out[col].dtype == bool:
            out[col] = out[col].astype(object).map(YES_NO)
    # Missing values as empty cells (numbers stay numbers): pandas 3 keeps NaN through
    # astype(str), which devzone.reports.xlsx's column-width helper cannot measure.
    return out.astype(object).where(out.notna(), "")


def _performance_rows(policy: Policy) -> list[tuple[str, str]]:
    """说明 rows of the evaluation: who, land, method, formula, weights, grades, T."""
    perf = policy.performance
    sc, g = perf.scoring, perf.grades
    default_cap = default_policy().performance.scoring.cap
    rows: list[tuple[str, str]] = [
        (
            "评价对象",
            f"规上企业全部参评 (用地 ≥ {perf.min_land_mu_above} 亩); 规下企业用地 ≥ "
            f"{perf.min_land_mu_below} 亩参评 (皖经信运行〔2021〕108号); 用地按证书精度 "
            f"(亩保留 {perf.land_mu_decimals} 位小数) 与门槛比较",
        ),
        (
            "用地面积",
            "企业用地 = 所用宗地登记面积之和; 多企业共用宗地按宗地企业对照表的使用面积, "
            "未填使用面积的企业均分宗地其余面积, 各企业合计不超过宗地面积; "
            f"1 亩 = {M2_PER_HA:.0f}/{MU_PER_HA:.0f} 平方米",
        ),
        ("评分方法", SCORE_METHOD_LABELS.get(str(sc.method), str(sc.method))),
        (
            "评分公式",
            f"得分 = Σ 权重 × min(指标值 ÷ 基准值, {sc.cap}); 基准值 = "
            f"{sc.benchmark_multiplier} × 同组同年参评分档企业平均值; 负值按 0 计; "
            f"缺项指标得 0 分 (封顶值 {default_cap} 为项目默认值, 未经省级文件确认)",
        ),
    ]
    for grp, weights in perf.weights.items():
        text = "; ".join(f"{LABELS.get(k, k)} {v}" for k, v in weights.items())
        rows.append((f"权重 ({GROUP_LABELS.get(grp, grp)})", text))
    rows += [
        (
            "分档",
            f"组内按得分降序排名 r / 参评数 n: r/n ≤ {g.A} 为 A, ≤ {g.B} 为 B, ≤ {g.C} 为 C, "
            f"其余为 D; 得分保留 {g.score_decimals} 位小数比较, 并列企业取并列中的最优名次, "
            "同分同档"
            + (
                "; 得分 ≤ 0 的企业 (无税收、无产出) 不论名次均为 D" if g.nonpositive_grade_d else ""
            ),
        ),
        (
            "T 档",
            f"投产不足 {perf.transition_years} 年或在建 (过渡期) 及公用事业、垃圾焚烧、"
            "污水处理等免评行业: 参评计分, 不分档",
        ),
    ]
    return rows


def _intensity_rows(policy: Policy) -> list[tuple[str, str]]:
    """说明 rows of the intensity check: FAR, control indicators, entry rule, commitments."""
    inten = policy.intensity
    entry = inten.entry_rule
    return [
        (
            "容积率",
            f"计容建筑面积 ÷ 宗地面积; 层高超过 {inten.double_storey_height_m} 米的"
            "按该层建筑面积加倍计算 (国土资发〔2008〕24号); 按建筑高度 ÷ 层数 判断层高",
        ),
        (
            "控制指标",
            f"建筑系数 ≥ {inten.min_building_coefficient}; 行政办公及生活服务设施"
            f"用地比重 ≤ {inten.max_admin_share} (六政〔2014〕66号), 按其占地 ÷ 宗地面积计; "
            "占地无法分摊时按其建筑面积占总建筑面积的比重计 (国土资发〔2008〕24号); 应达容积率 = "
            "行业容积率下限 (国土资发〔2008〕24号) 与合同约定下限取大; "
            f"各指标按相对容差 {inten.threshold_tolerance:g} 判断 (面积量算误差不改变结论)",
        ),
        (
            "六安准入标准",
            f"投资强度 ≥ {entry.min_invest_wan_per_mu} 万元/亩 "
            f"或 亩均税收 ≥ {entry.min_tax_wan_per_mu} 万元/亩 "
            "(皖政〔2013〕58号, 六政〔2014〕66号); 投资强度取项目进度已完成投资, 无进度记录时"
            "取合同承诺投资强度",
        ),
        (
            "标准地承诺",
            "达产复核日期在评价年度内或之前的宗地: 实际投资强度与亩均税收均不低于承诺值为达标, "
            "无实际数视为未达标",
        ),
    ]


def method_sheet(
    policy: Policy, year: int, *, synthetic: bool, source_files: Sequence[str] = ()
) -> pd.DataFrame:
    """The 说明 sheet: method, thresholds (from ``policy``) and the data's provenance.

    Parameters
    ----------
    policy
        The policy the evaluation ran with (its numbers are quoted).
    year
        Evaluation year.
    synthetic
        The data is synthetic (:func:`devzone.db.io.synthetic_data`): says so.
    source_files
        Names of the enterprise-indicator files loaded (at most 20 are listed).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> sheet = method_sheet(load_policy(), 2019, synthetic=True).set_index("项目")["内容"]
    >>> sheet["六安准入标准"][:31]
    '投资强度 ≥ 300.0 万元/亩 或 亩均税收 ≥ 30.0'
    >>> "合成数据" in sheet["数据说明"]
    True
    """
    rows: list[tuple[str, str]] = [
        ("评价年度", str(year)),
        ("生成时间", dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
        *_performance_rows(policy),
        *_intensity_rows(policy),
        ("等级变化", "与上一年度按同一配置、同一数据重新评价的结果比较"),
        (
            "政策依据",
            "浙政发〔2018〕5号; 皖经信运行〔2021〕108号; 国土资发〔2008〕24号; 见 POLICY.md",
        ),
    ]
    if source_files:
        rows.append(("企业指标来源文件", "、".join(list(source_files)[:20])))
    if synthetic:
        rows.append(("数据说明", "合成数据 (如内置样例): 企业为虚构, 不代表真实企业"))
    return pd.DataFrame(rows, columns=["项目", "内容"])


def _with_zone_names(df: pd.DataFrame, ranking: pd.DataFrame) -> pd.DataFrame:
    """The zone name beside each zone code (names from the ranking list).

    Examples
    --------
    >>> rank = pd.DataFrame({"zone_code": ["Z1"], "zone_name": ["甲园区"]})
    >>> _with_zone_names(pd.DataFrame({"zone_code": ["Z1", ""]}), rank).values.tolist()
    [['Z1', '甲园区'], ['', '']]
    """
    if "zone_code" not in df or "zone_name" in df or "zone_name" not in ranking:
        return df
    names = dict(zip(ranking["zone_code"], ranking["zone_name"], strict=True))
    out = df.copy()
    out.insert(out.columns.get_loc("zone_code") + 1, "zone_name", out["zone_code"].map(names))
    return out.astype(object).where(out.notna(), "")


def write_score_workbook(  # noqa: PLR0913 (keyword-only parts of one workbook)
    path: str | Path,
    results: Mapping[str, pd.DataFrame],
    *,
    policy: Policy,
    year: int,
    synthetic: bool,
    source_files: Sequence[str] = (),
    differences: pd.DataFrame | None = None,
    scope: str | None = None,
    vintage: str | None = None,
) -> Path:
    """Write the planners' workbook (企业评价, 宗地效益, 宗地集约, 企业排行榜, 等级变化, 说明).

    Parameters
    ----------
    path
        The ``.xlsx`` to write.
    results
        :func:`devzone.jobs.score.evaluate` output.
    policy, year, synthetic, source_files
        For the 说明 sheet (:func:`method_sheet`).
    differences
        What-if grade differences (:func:`devzone.landuse.ranking.grade_differences`):
        a 情景对比 sheet.
    scope
        ``"范围: <zone or county>"`` when a county or zone role ran it: ends every
        sheet's note line.
    vintage
        The data-vintage line (``数据版本: 第 N 批 (…)``): in every sheet's note and
        on the 说明 sheet.

    Returns
    -------
    Path
        The written file.
    """
    ev = results["enterprise_evaluation"]
    order = ev.assign(_g=np.where(ev["group_name"] == "above", 0, 1)).sort_values(
        ["_g", "rank", "credit_code"], na_position="last"
    )
    pi = results["parcel_intensity"].drop(columns=["year"], errors="ignore")
    sheets = {
        "企业评价": for_people(order[list(EVALUATION_SHEET_COLUMNS)]),
        "宗地效益": for_people(results["parcel_performance"].drop(columns=["year"])),
        "宗地集约": for_people(pi),
        "企业排行榜": for_people(results["ranking"]),
        "等级变化": for_people(results["grade_change"].drop(columns=["year"])),
    }
    if differences is not None:
        sheets["情景对比"] = for_people(differences)
    sheets = {name: _with_zone_names(df, results["ranking"]) for name, df in sheets.items()}
    sheets["说明"] = method_sheet(policy, year, synthetic=synthetic, source_files=source_files)
    tail = f"; {vintage}" if vintage else ""
    if vintage:
        version = pd.DataFrame([("数据版本", vintage.split(": ", 1)[-1])], columns=["项目", "内容"])
        sheets["说明"] = pd.concat([sheets["说明"], version], ignore_index=True)
    notes = {
        name: f"{year} 年度 {name} — devzone 亩均效益评价 (方法与依据见“说明”页){tail}"
        + (f" {scope}" if scope else "")
        for name in sheets
        if name != "说明"
    }
    return write_workbook(path, sheets, labels=LABELS, notes=notes)
