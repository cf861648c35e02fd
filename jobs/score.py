"""``devzone score``: the 亩均效益 evaluation and intensity check of one year, end to end.

:func:`load_inputs` reads the unified tables, :func:`evaluate` is the pure computation
(frames in, frames out — what the benchmark times), :func:`run_score` writes the result
tables (``enterprise_evaluation``, ``parcel_performance``, ``grade_change`` for the
year; ``parcel_intensity`` whole) and the planners' XLSX.

Decisions where the issue is silent (also in the XLSX 说明 sheet):

* ``parcel_intensity`` is recomputed whole on every run (it describes the parcels as
  they stand); its ``year`` column names the year whose tax figures the entry rule and
  the standard-land commitments were checked against.
* Grade changes compare with the previous year evaluated afresh from the same data and
  the same config (not with whatever an earlier run stored), so a changed config never
  shows up as a change of the firms.
* A parcel whose contract names no industry takes the industry of the firm using most
  of it, for the minimum FAR.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

# GDAL (pyogrio) must be loaded before pysqlite3/spatialite opens a GeoPackage, else the
# first pyogrio read of that GeoPackage segfaults (db.io.read_table): import it first.
import pyogrio  # noqa: F401  (isort: keep before the engine is used)
from sqlalchemy import Engine

from devzone.config import data_path, deep_merge, load_policy
from devzone.errors import ConfigError, InputError
from devzone.landuse.intensity import parcel_intensity
from devzone.landuse.performance import (
    INDICATORS,
    enterprise_land,
    evaluate_enterprises,
    land_shares,
    parcel_area_m2,
    parcel_performance,
)
from devzone.landuse.ranking import grade_changes, grade_differences, ranking_list, zone_ranking

__all__ = ["LABELS", "evaluate", "load_inputs", "run_score", "what_if"]

#: Input tables :func:`evaluate` needs (``parcels`` comes from ``read_parcels``).
INPUT_TABLES = (
    "parcel_enterprise",
    "enterprise_indicator",
    "enterprise",
    "dev_zone",
    "building",
    "project_progress",
)

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

_GROUP_ZH = {"above": "规上", "below": "规下"}
_CHANGE_ZH = {"up": "升档", "down": "降档", "same": "不变", "new": "新参评", "other": "其他"}
_NOTE_ZH = {"no_enterprise": "无用地企业", "no_indicators": "企业无当年指标"}
_SOURCE_ZH = {"progress": "项目进度", "commitment": "合同承诺", "": ""}


#: Contract (land_supply) columns the intensity check needs on each parcel.
CONTRACT_COLUMNS = (
    "industry_code",
    "far_min",
    "committed_invest_wan_per_mu",
    "committed_tax_wan_per_mu",
    "committed_check_date",
)


def _parcels_with_contracts(engine: Engine) -> gpd.GeoDataFrame:
    """Parcels with the contract columns of :data:`CONTRACT_COLUMNS` (by 电子监管号,
    else by the contract's 宗地代码)."""
    from devzone.db.io import read_table

    parcels = read_table(engine, "parcel")
    supply = read_table(
        engine, "land_supply", columns=["supervision_no", "parcel_code", *CONTRACT_COLUMNS]
    )
    by_no = supply.dropna(subset=["supervision_no"]).drop_duplicates("supervision_no")
    by_code = supply.dropna(subset=["parcel_code"]).drop_duplicates("parcel_code")
    first = parcels[["supervision_no"]].merge(
        by_no.drop(columns="parcel_code"), on="supervision_no", how="left"
    )
    second = parcels[["parcel_code"]].merge(
        by_code.drop(columns="supervision_no"), on="parcel_code", how="left"
    )
    for col in CONTRACT_COLUMNS:
        a, b = first[col].to_numpy(), second[col].to_numpy()
        parcels[col] = pd.Series(a, index=parcels.index).where(pd.notna(a), b)
    return parcels


def read_toml(path: str | Path) -> dict[str, Any]:
    """A policy-shaped TOML file (e.g. a what-if weight set); errors name the file."""
    import tomllib

    try:
        with Path(path).open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"Config file {path} does not exist.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}.") from exc


def load_inputs(engine: Engine) -> dict[str, pd.DataFrame]:
    """Read the tables the evaluation needs (``parcels`` with their contract columns)."""
    from devzone.db.io import read_table

    frames: dict[str, pd.DataFrame] = {"parcels": _parcels_with_contracts(engine)}
    for name in INPUT_TABLES:
        frames[name] = read_table(engine, name)
    return frames


def _check_inputs(frames: Mapping[str, pd.DataFrame], year: int) -> None:
    """Stop with a clear message when there is nothing to evaluate for ``year``."""
    if not len(frames["parcels"]):
        raise InputError(
            "The database has no parcels (宗地) to evaluate: load the exports first "
            "(`devzone etl load ...`, or `devzone demo` for the bundled sample).",
            field="parcel",
        )
    ind = frames.get("enterprise_indicator", pd.DataFrame())
    years = pd.to_numeric(ind.get("year", pd.Series(dtype=float)), errors="coerce")
    if not (years == year).any():
        have = ", ".join(str(int(y)) for y in sorted(years.dropna().unique())) or "none"
        raise InputError(
            f"No enterprise indicators (企业年度指标) for {year} in the database "
            f"(years loaded: {have}); load that year's indicators or pick another --year.",
            field="year",
        )


def _assign_buildings(buildings: pd.DataFrame, parcels: pd.DataFrame) -> pd.DataFrame:
    """Give buildings without ``parcel_code`` the parcel containing them (spatial join)."""
    if not len(buildings) or not isinstance(buildings, gpd.GeoDataFrame):
        return buildings
    need = buildings["parcel_code"].isna() & buildings.geometry.notna()
    if not need.any() or not isinstance(parcels, gpd.GeoDataFrame):
        return buildings
    polys = parcels[["parcel_code", parcels.geometry.name]].dropna()
    try:
        from devzone.spatial import assign_by_location
    except ImportError:  # the spatial engine module is not there yet: plain geopandas
        pts = gpd.GeoDataFrame(geometry=buildings.loc[need].geometry.representative_point())
        hit = gpd.sjoin(pts, polys, predicate="within", how="left")
        found = hit[~hit.index.duplicated()]["parcel_code"]
    else:
        found = assign_by_location(buildings.loc[need], polys, "parcel_code")
    out = buildings.copy()
    out.loc[need, "parcel_code"] = found.reindex(out.index[need]).to_numpy()
    return out


def _main_industry(shares: pd.DataFrame, evaluation: pd.DataFrame, ent: pd.DataFrame) -> pd.Series:
    """Industry code of the firm using most of each parcel, indexed by parcel_code."""
    codes = evaluation.drop_duplicates("credit_code").set_index("credit_code")["industry_code"]
    if "industry_code" in ent:
        other = ent.drop_duplicates("credit_code").set_index("credit_code")["industry_code"]
        codes = codes.combine_first(other)
    top = shares.sort_values(["parcel_code", "share_m2"], ascending=[True, False])
    top = top.drop_duplicates("parcel_code").set_index("parcel_code")["credit_code"]
    return top.map(codes).dropna()


_PARCEL_KEYS = ("parcels", "parcel_enterprise", "building", "project_progress")
_CREDIT_KEYS = ("parcel_enterprise", "enterprise_indicator", "enterprise")


def _factorize(
    frames: Mapping[str, pd.DataFrame], names: tuple[str, ...], col: str
) -> tuple[dict[str, np.ndarray], pd.Index]:
    """Integer ids (−1 = missing) of ``col`` across several frames, with one factorize."""
    parts = [
        (n, frames[n][col])
        for n in names
        if isinstance(frames.get(n), pd.DataFrame) and len(frames[n]) and col in frames[n]
    ]
    if not parts:
        return {}, pd.Index([], dtype=object)
    values = pd.concat([s.astype("str") for _, s in parts], ignore_index=True)
    codes, uniques = pd.factorize(values)
    out, at = {}, 0
    for n, s in parts:
        out[n] = codes[at : at + len(s)]
        at += len(s)
    return out, pd.Index(uniques)


def _encode(
    frames: Mapping[str, pd.DataFrame],
) -> tuple[dict[str, pd.DataFrame], pd.Index, pd.Index]:
    """Replace ``parcel_code``, ``credit_code`` and ``supervision_no`` by integer ids
    (missing stays missing), so the joins and group-bys run on integers, not strings."""
    pids, pcodes = _factorize(frames, _PARCEL_KEYS, "parcel_code")
    cids, ccodes = _factorize(frames, _CREDIT_KEYS, "credit_code")
    sids, _ = _factorize(frames, ("parcels", "project_progress"), "supervision_no")
    out: dict[str, pd.DataFrame] = dict(frames)
    for col, ids in (("parcel_code", pids), ("credit_code", cids), ("supervision_no", sids)):
        for name, codes in ids.items():
            df = out[name] if out[name] is not frames[name] else frames[name].copy()
            if (codes >= 0).all():
                df[col] = codes
            else:
                df[col] = pd.Series(codes, index=df.index).where(codes >= 0).astype("Int64")
            out[name] = df
    return out, pcodes, ccodes


def _decode(df: pd.DataFrame, pcodes: pd.Index, ccodes: pd.Index) -> pd.DataFrame:
    """Back from integer ids to the registry codes."""
    df = df.copy()
    for col, index in (("parcel_code", pcodes), ("credit_code", ccodes)):
        if col in df:
            ids = pd.to_numeric(df[col], errors="coerce")
            ok = ids.notna().to_numpy()
            values = np.full(len(df), None, dtype=object)
            values[ok] = index.to_numpy(dtype=object)[ids[ok].astype(np.int64).to_numpy()]
            df[col] = values
    return df


def evaluate(
    frames: Mapping[str, pd.DataFrame], *, year: int, policy: Mapping[str, Any]
) -> dict[str, pd.DataFrame]:
    """Evaluate one year from in-memory frames (no I/O).

    Parameters
    ----------
    frames
        ``parcels`` (:func:`devzone.db.io.read_parcels`) and the tables of
        :data:`INPUT_TABLES` (missing ones count as empty).
    year
        Evaluation year.
    policy
        Whole policy config (:func:`devzone.config.load_policy`).

    Returns
    -------
    dict
        ``enterprise_evaluation``, ``parcel_performance``, ``parcel_intensity``,
        ``grade_change``, ``ranking`` (the 企业排行榜).

    Notes
    -----
    Parcel and credit codes are replaced by integer ids for the computation and put
    back at the end (string keys cost several times more in joins at 1M rows).
    """
    perf, inten = policy["performance"], policy["intensity"]
    empty = pd.DataFrame()
    coded, pcodes, ccodes = _encode(frames)
    parcels = coded["parcels"]
    links = coded.get("parcel_enterprise", empty)
    if not len(links):
        links = pd.DataFrame(columns=["parcel_code", "credit_code", "used_area_m2"])
    indicators = coded.get("enterprise_indicator", empty)
    if not len(indicators):
        indicators = pd.DataFrame(columns=["credit_code", "year"])
    ent = coded.get("enterprise", empty)
    zones = coded.get("dev_zone", empty)

    base = pd.DataFrame(
        {
            "parcel_code": parcels["parcel_code"].to_numpy(),
            "zone_code": parcels["zone_code"].to_numpy() if "zone_code" in parcels else None,
            "area_m2": parcel_area_m2(parcels).to_numpy(),
        }
    )
    shares = land_shares(links, base)
    land = enterprise_land(shares)
    kw = {"land": land, "enterprises": ent, "zones": zones, "policy": perf}
    ev = evaluate_enterprises(indicators, year=year, **kw)
    ev["zone_rank"] = zone_ranking(ev)
    years = pd.to_numeric(indicators["year"], errors="coerce")
    prev = None
    if (years == year - 1).any():
        prev = evaluate_enterprises(indicators, year=year - 1, **kw)
    changes = grade_changes(ev, prev)

    # Names for the parcel list: the registry's, else the credit code itself.
    names = pd.DataFrame(
        {"credit_code": np.arange(len(ccodes)), "name": ccodes.to_numpy(dtype=object)}
    )
    if "name" in ent:
        known = ent.dropna(subset=["credit_code", "name"]).drop_duplicates("credit_code")
        names.loc[known["credit_code"].astype(np.int64).to_numpy(), "name"] = known[
            "name"
        ].to_numpy()
    perf_parcels = parcel_performance(base, shares, ev, year=year, enterprises=names)
    tax = perf_parcels.set_index("parcel_code")["tax_per_mu_wan"]
    full = parcels.copy()
    full["area_m2"] = base["area_m2"].to_numpy()
    buildings = coded.get("building", empty)
    if not len(buildings):
        buildings = pd.DataFrame(columns=["parcel_code"])
    buildings = _assign_buildings(buildings, parcels)
    intensity = parcel_intensity(
        full,
        buildings,
        year=year,
        progress=coded.get("project_progress"),
        tax_per_mu=tax,
        industry_codes=_main_industry(shares, ev, ent),
        policy=inten,
    )
    ev = _decode(ev, pcodes, ccodes)
    return {
        "enterprise_evaluation": ev,
        "parcel_performance": _decode(perf_parcels, pcodes, ccodes),
        "parcel_intensity": _decode(intensity, pcodes, ccodes),
        "grade_change": _decode(changes, pcodes, ccodes),
        "ranking": ranking_list(ev, zones if len(zones) else None),
    }


def what_if(
    frames: Mapping[str, pd.DataFrame],
    *,
    year: int,
    policy: Mapping[str, Any],
    alternative: Mapping[str, Any],
    base: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Firms whose grade changes when ``alternative`` is deep-merged over ``policy``.

    ``alternative`` has the shape of a policy file, e.g.
    ``{"performance": {"weights": {"above": {"tax_per_mu_wan": 60}}}}``.
    """
    alt_policy = deep_merge(policy, alternative)
    if base is None:
        base = evaluate(frames, year=year, policy=policy)["enterprise_evaluation"]
    alt = evaluate(frames, year=year, policy=alt_policy)["enterprise_evaluation"]
    return grade_differences(base, alt)


def _method_sheet(policy: Mapping[str, Any], year: int, frames: Mapping[str, pd.DataFrame]):
    perf, inten = policy["performance"], policy["intensity"]
    sc = perf.get("scoring", {})
    g = perf.get("grades", {})
    rows: list[tuple[str, str]] = [
        ("评价年度", str(year)),
        ("生成时间", dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
        (
            "评价对象",
            f"规上企业全部参评 (用地 ≥ {perf.get('min_land_mu_above', 0)} 亩); 规下企业用地 ≥ "
            f"{perf.get('min_land_mu_below', 5)} 亩参评 (皖经信运行〔2021〕108号)",
        ),
        (
            "用地面积",
            "企业用地 = 所用宗地登记面积之和; 多企业共用宗地按宗地企业对照表的使用面积, "
            "未填使用面积时按企业数均分; 1 亩 = 10000/15 平方米",
        ),
        ("评分方法", str(sc.get("method", "benchmark_ratio"))),
        (
            "评分公式",
            f"得分 = Σ 权重 × min(指标值 ÷ 基准值, {sc.get('cap', 2.0)}); 基准值 = "
            f"{sc.get('benchmark_multiplier', 1.0)} × 同组同年参评分档企业平均值; 负值按 0 计; "
            "缺项指标得 0 分 (封顶值 2.0 为项目默认值, 未经省级文件确认)",
        ),
    ]
    for grp, weights in perf.get("weights", {}).items():
        text = "; ".join(f"{LABELS.get(k, k)} {v}" for k, v in weights.items())
        rows.append((f"权重 ({_GROUP_ZH.get(grp, grp)})", text))
    rows += [
        (
            "分档",
            f"组内按得分降序排名 r / 参评数 n: r/n ≤ {g.get('A', 0.25)} 为 A, ≤ "
            f"{g.get('B', 0.70)} 为 B, ≤ {g.get('C', 0.95)} 为 C, 其余为 D; "
            "并列企业取并列中的最优名次, 同分同档",
        ),
        (
            "T 档",
            f"投产不足 {perf.get('transition_years', 3)} 年或在建 (过渡期) 及公用事业、垃圾焚烧、"
            "污水处理等免评行业: 参评计分, 不分档",
        ),
        (
            "容积率",
            f"计容建筑面积 ÷ 宗地面积; 层高超过 {inten.get('double_storey_height_m', 8)} 米的"
            "按该层建筑面积加倍计算 (国土资发〔2008〕24号); 按建筑高度 ÷ 层数 判断层高",
        ),
        (
            "控制指标",
            f"建筑系数 ≥ {inten.get('min_building_coefficient', 0.3)}; 行政办公及生活服务设施"
            f"用地比重 ≤ {inten.get('max_admin_share', 0.06)} (六政〔2014〕66号); 应达容积率 = "
            "行业容积率下限 (国土资发〔2008〕24号) 与合同约定下限取大",
        ),
        (
            "六安准入标准",
            f"投资强度 ≥ {inten.get('entry_rule', {}).get('min_invest_wan_per_mu', 300)} 万元/亩 "
            f"或 亩均税收 ≥ {inten.get('entry_rule', {}).get('min_tax_wan_per_mu', 30)} 万元/亩 "
            "(皖政〔2013〕58号, 六政〔2014〕66号); 投资强度取项目进度已完成投资, 无进度记录时"
            "取合同承诺投资强度",
        ),
        (
            "标准地承诺",
            "达产复核日期在评价年度内或之前的宗地: 实际投资强度与亩均税收均不低于承诺值为达标, "
            "无实际数视为未达标",
        ),
        ("等级变化", "与上一年度按同一配置、同一数据重新评价的结果比较"),
        (
            "政策依据",
            "浙政发〔2018〕5号; 皖经信运行〔2021〕108号; 国土资发〔2008〕24号; 见 POLICY.md",
        ),
    ]
    srcs = frames.get("enterprise_indicator", pd.DataFrame())
    if "src_file" in srcs and srcs["src_file"].notna().any():
        paths = [Path(str(f)) for f in srcs["src_file"].dropna().unique()]
        rows.append(("企业指标来源文件", "、".join(sorted({p.name for p in paths})[:20])))
        sample = data_path("sample").resolve()
        if any(p.resolve().parent == sample for p in paths):
            rows.append(("数据说明", "内置样例: 企业为虚构 (合成数据), 不代表真实企业"))
    return pd.DataFrame(rows, columns=["项目", "内容"])


def _for_people(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    if "group_name" in out:
        out["group_name"] = out["group_name"].map(_GROUP_ZH).fillna(out["group_name"])
    if "change" in out:
        out["change"] = out["change"].map(_CHANGE_ZH).fillna(out["change"])
    if "performance_note" in out:
        out["performance_note"] = out["performance_note"].map(_NOTE_ZH).fillna("")
    if "invest_source" in out:
        out["invest_source"] = out["invest_source"].map(_SOURCE_ZH).fillna("")
    for col in out.columns:
        if isinstance(out[col].dtype, pd.BooleanDtype) or out[col].dtype == bool:
            out[col] = out[col].astype(object).map({True: "是", False: "否"})
    # Missing values as empty cells (numbers stay numbers): pandas 3 keeps NaN through
    # astype(str), which devzone.reports.xlsx's column-width helper cannot measure.
    return out.astype(object).where(out.notna(), "")


def write_xlsx(
    path: str | Path,
    results: Mapping[str, pd.DataFrame],
    *,
    policy: Mapping[str, Any],
    year: int,
    frames: Mapping[str, pd.DataFrame],
    differences: pd.DataFrame | None = None,
) -> Path:
    """Write the planners' workbook (企业评价, 宗地效益, 宗地集约, 企业排行榜, 等级变化, 说明)."""
    from devzone.reports.xlsx import write_workbook

    ev = results["enterprise_evaluation"]
    ev_cols = [
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
    ]
    order = ev.assign(_g=np.where(ev["group_name"] == "above", 0, 1)).sort_values(
        ["_g", "rank", "credit_code"], na_position="last"
    )
    pi = results["parcel_intensity"].drop(columns=["year"], errors="ignore")
    sheets = {
        "企业评价": _for_people(order[ev_cols]),
        "宗地效益": _for_people(results["parcel_performance"].drop(columns=["year"])),
        "宗地集约": _for_people(pi),
        "企业排行榜": _for_people(results["ranking"]),
        "等级变化": _for_people(results["grade_change"].drop(columns=["year"])),
    }
    if differences is not None:
        sheets["情景对比"] = _for_people(differences)
    sheets["说明"] = _method_sheet(policy, year, frames)
    notes = {
        name: f"{year} 年度 {name} — devzone 亩均效益评价 (方法与依据见“说明”页)"
        for name in sheets
        if name != "说明"
    }
    return write_workbook(path, sheets, labels=LABELS, notes=notes)


def run_score(
    engine: Engine,
    *,
    year: int,
    config: str | Path | None = None,
    out_xlsx: str | Path | None = None,
    what_if_config: str | Path | None = None,
) -> dict[str, Any]:
    """Evaluate ``year``, write the result tables and (optionally) the XLSX.

    Parameters
    ----------
    engine
        Database with the unified tables loaded.
    year
        Evaluation year.
    config
        A city's policy TOML deep-merged over ``data/policy/``.
    out_xlsx
        Workbook to write; ``None`` writes none.
    what_if_config
        Another policy TOML (e.g. other weights) deep-merged over the effective policy:
        the firms whose grade it changes are counted in the headline (and listed in the
        workbook's 情景对比 sheet).

    Returns
    -------
    dict
        ``{"outputs": [Path, ...], "headline": {label: value}}``.
    """
    from devzone.db.io import write_rows

    policy = load_policy(config)
    frames = load_inputs(engine)
    _check_inputs(frames, year)
    results = evaluate(frames, year=year, policy=policy)
    ev = results["enterprise_evaluation"]
    differences = None
    if what_if_config is not None:
        alternative = read_toml(Path(what_if_config))
        differences = what_if(frames, year=year, policy=policy, alternative=alternative, base=ev)

    write_rows(engine, "enterprise_evaluation", ev, replace_where={"year": year})
    write_rows(
        engine, "parcel_performance", results["parcel_performance"], replace_where={"year": year}
    )
    write_rows(engine, "parcel_intensity", results["parcel_intensity"])
    write_rows(engine, "grade_change", results["grade_change"], replace_where={"year": year})

    outputs: list[Path] = []
    if out_xlsx is not None:
        outputs.append(
            write_xlsx(
                out_xlsx,
                results,
                policy=policy,
                year=year,
                frames=frames,
                differences=differences,
            )
        )
    grades = ev["grade"].value_counts()
    pp = results["parcel_performance"]
    pi = results["parcel_intensity"]
    headline: dict[str, Any] = {
        "参评企业 evaluated firms": int(ev["evaluated"].sum()),
        "A/B/C/D/T": "/".join(str(int(grades.get(g, 0))) for g in "ABCDT"),
        "无企业宗地 parcels without firm": int((pp["performance_note"] == "no_enterprise").sum()),
        "容积率未达标宗地 parcels below required FAR": int(pi["far_ok"].eq(False).sum()),
        "可增建筑面积 addable floor area (万m²)": round(
            float(pi["addable_floor_area_m2"].sum()) / 1e4, 1
        ),
    }
    if differences is not None:
        headline["情景改档企业 what-if grade changes"] = len(differences)
    return {"outputs": outputs, "headline": headline}
