"""Zone jobs: read the database, run the pure zone analyses, write results and reports.

``run_zone_rank`` and ``run_corridor_report`` are what ``devzone zones rank``,
``devzone report corridor`` and ``devzone demo`` call. Each returns
``{"outputs": [Path, ...], "headline": {label: value}}``. The performance and idle
result tables (``enterprise_evaluation``, ``parcel_idle_status``) are used when present;
without them the A/D shares and idle figures are left empty and the report says so.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

# GDAL (pyogrio) must be loaded before SpatiaLite enters the process through the
# GeoPackage engine, or reading a GeoPackage layer segfaults (two SQLite libraries).
import pyogrio  # noqa: F401  # isort: skip
import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine, inspect

from devzone.config import load_policy
from devzone.db.engine import redact
from devzone.db.io import read_table, write_rows
from devzone.errors import InputError
from devzone.reports.zone_reports import write_corridor_report, write_zone_rank_report
from devzone.zones.alloc import firm_parcel_shares, parcel_area_m2
from devzone.zones.contribution import corridor_contribution, deflator_for, firm_value_added
from devzone.zones.corridor import corridor_geometry, corridor_members, inside_corridor
from devzone.zones.evaluate import ZoneInputs, evaluate_zones
from devzone.zones.fit import parcel_industry_fit, zone_fit_shares
from devzone.zones.registry import load_industries, validate_zones

__all__ = ["load_zones", "run_corridor_report", "run_industry_fit", "run_zone_rank"]


def _maybe(engine: Engine, name: str) -> pd.DataFrame | None:
    """A table's rows, or ``None`` when the table is absent or empty.

    Spatial tables come back as GeoDataFrames whose geometry column is ``geom`` on
    both backends (``read_table`` names it ``geometry`` on GeoPackage).
    """
    if name not in inspect(engine).get_table_names():
        return None
    with warnings.catch_warnings():
        # GDAL notes that GeoPackage DATETIME text from SQLAlchemy lacks the 'T'
        # separator; it parses it fine.
        warnings.filterwarnings("ignore", "Non-conformant content", RuntimeWarning)
        df = read_table(engine, name)
    if isinstance(df, gpd.GeoDataFrame) and df.geometry.name != "geom":
        df = df.rename_geometry("geom")
    return df if len(df) else None


def read_zone_parcels(engine: Engine) -> gpd.GeoDataFrame:
    """Parcels with the contract columns the zone analyses use (宗地 + 供地结果).

    Like :func:`devzone.db.io.read_parcels`, on both backends: the contract is found
    by 电子监管号, else by the contract's 宗地代码.
    """
    parcels = _maybe(engine, "parcel")
    if parcels is None:
        raise InputError(
            "the parcel table is empty: load the parcels (宗地, e.g. parcels.shp) first",
            file="parcel",
        )
    supply = _maybe(engine, "land_supply")
    if supply is None:
        return parcels
    wanted = [c for c in SUPPLY_COLUMNS if c in supply and c not in parcels]
    by_no = supply.drop_duplicates("supervision_no").set_index("supervision_no")[wanted]
    by_code = (
        supply.dropna(subset=["parcel_code"])
        .drop_duplicates("parcel_code")
        .set_index("parcel_code")[wanted]
    )
    out = parcels.copy()
    for col in wanted:
        out[col] = out["supervision_no"].map(by_no[col])
        out[col] = out[col].where(
            out["supervision_no"].notna(), out["parcel_code"].map(by_code[col])
        )
    # Parcels without 电子监管号 but named in a contract get its number.
    linked = out["parcel_code"].map(
        supply.dropna(subset=["parcel_code"])
        .drop_duplicates("parcel_code")
        .set_index("parcel_code")["supervision_no"]
    )
    out["supervision_no"] = out["supervision_no"].fillna(linked)
    return out


#: Contract columns carried onto parcels.
SUPPLY_COLUMNS = (
    "industry_code",
    "contract_date",
    "agreed_start_date",
    "actual_start_date",
    "actual_completion_date",
    "committed_invest_wan_per_mu",
    "committed_tax_wan_per_mu",
    "price_wan",
)


def load_zones(engine: Engine) -> gpd.GeoDataFrame:
    """The zone registry (``dev_zone``); an :class:`InputError` when it is empty."""
    zones = _maybe(engine, "dev_zone")
    if zones is None:
        raise InputError(
            "the zone registry is empty: load the zones file (开发区, e.g. zones.geojson) "
            "with `devzone etl load` first",
            file="dev_zone",
        )
    return zones


def _synthetic(engine: Engine) -> bool:
    """True when the loaded data came from the bundled synthetic sample."""
    zones = _maybe(engine, "dev_zone")
    if zones is None or "src_file" not in zones:
        return False
    return bool(zones["src_file"].dropna().astype(str).str.contains("sample").any())


def run_industry_fit(
    engine: Engine, *, year: int, config: str | Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Write ``parcel_industry_fit``; return (parcel fit, zone fit shares, registry check)."""
    zpol = dict(load_policy(config).get("zones") or {})
    return _industry_fit(
        engine,
        year=year,
        zpol=zpol,
        zones=load_zones(engine),
        parcels=read_zone_parcels(engine),
        pe=_maybe(engine, "parcel_enterprise"),
        ind=_maybe(engine, "enterprise_indicator"),
    )


def _industry_fit(
    engine: Engine,
    *,
    year: int,
    zpol: dict[str, Any],
    zones: pd.DataFrame,
    parcels: pd.DataFrame,
    pe: pd.DataFrame | None,
    ind: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`run_industry_fit` on tables already read (so the ranking reads them once)."""
    industries = load_industries(_industries_path(zpol))
    ent = _maybe(engine, "enterprise")
    sep = str(zpol.get("main_separator", "、"))
    fit = parcel_industry_fit(
        parcels, zones, industries, parcel_enterprise=pe, enterprises=ent, separator=sep
    )
    fit["area_m2"] = parcel_area_m2(parcels).to_numpy()
    write_rows(engine, "parcel_industry_fit", fit)
    ind_year = None if ind is None else ind[ind["year"] == year]
    shares = zone_fit_shares(
        parcels, fit, zones, industries, indicators=ind_year, parcel_enterprise=pe, policy=zpol
    )
    check = validate_zones(zones, industries, policy=zpol)
    return fit, shares, check


def _industries_path(zpol: dict[str, Any]) -> Path | None:
    from devzone.config import data_path

    name = zpol.get("industries_file")
    return data_path(*str(name).split("/")) if name else None


def run_zone_rank(
    engine: Engine,
    *,
    year: int,
    config: str | Path | None = None,
    out_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Evaluate and rank the zones for ``year`` (开发区分类评价, 争先进位).

    Writes ``parcel_industry_fit`` and the year's ``zone_evaluation`` rows; with
    ``out_dir`` also ``开发区排名_<year>.html`` and ``.xlsx``.

    Returns
    -------
    dict
        ``outputs`` (paths written) and ``headline`` (zones ranked, first of each type,
        misfit parcels, registry problems).
    """
    policy = load_policy(config)
    zpol = dict(policy.get("zones") or {})
    zones = load_zones(engine)
    parcels = read_zone_parcels(engine)
    pe = _maybe(engine, "parcel_enterprise")
    indicators = _maybe(engine, "enterprise_indicator")
    fit, shares, check = _industry_fit(
        engine, year=year, zpol=zpol, zones=zones, parcels=parcels, pe=pe, ind=indicators
    )
    evaluation = _maybe(engine, "enterprise_evaluation")
    idle = _maybe(engine, "parcel_idle_status")
    inputs = ZoneInputs(
        zones=zones,
        parcels=parcels,
        buildings=_maybe(engine, "building"),
        indicators=indicators,
        parcel_enterprise=pe,
        progress=_maybe(engine, "project_progress"),
        idle=idle,
        evaluation=evaluation,
        fit_shares=shares,
    )
    current, _previous = evaluate_zones(inputs, year=year, policy=zpol)
    missing = []
    if evaluation is None or not (evaluation["year"] == year).any():
        missing.append(f"无 {year} 年亩均效益评价结果 (先运行 devzone score), A/D 类占比为空")
    if current["idle_as_of"].eq("").all():
        missing.append(f"无 {year} 年底前的闲置土地台账 (先运行 devzone idle), 闲置指标为空")
    if missing:
        current["note"] = "; ".join([*filter(None, current["note"].unique()), *missing])
    write_rows(engine, "zone_evaluation", current, replace_where={"year": year})
    outputs: list[Path] = []
    if out_dir is not None:
        problems = [f"{r.zone_code} {r.name}: {r.problems}" for r in check.itertuples() if not r.ok]
        sources = (
            "数据来源: 本库 dev_zone、parcel、land_supply、building、enterprise_indicator、"
            "parcel_enterprise、project_progress 表"
            + (f"; 亩均效益评价 {year} 年" if evaluation is not None else "")
            + (f"; 闲置土地台账 {current['idle_as_of'].iloc[0]}" if idle is not None else "")
            + ". 评价范围面积取核准面积 (无则取边界量算面积)."
        )
        outputs = write_zone_rank_report(
            Path(out_dir),
            year=year,
            current=current,
            fit=fit,
            registry_problems=problems,
            sources_note=sources,
            database=redact(str(engine.url)),
            synthetic=_synthetic(engine),
        )
    head: dict[str, Any] = {"zones ranked 参评开发区": int(current["score"].notna().sum())}
    for ztype, rows in current.groupby("zone_type"):
        best = rows.sort_values("rank").iloc[0]
        head[f"first {ztype} 第一"] = f"{best['zone_name']} ({best['score']:.1f})"
    head["misfit parcels 产业不符宗地"] = int((fit["fit"] == "misfit").sum())
    head["registry problems 登记问题"] = int((~check["ok"]).sum())
    return {"outputs": outputs, "headline": head}


def _zone_shares(engine: Engine, parcels: pd.DataFrame) -> pd.DataFrame:
    pe = _maybe(engine, "parcel_enterprise")
    if pe is None:
        return pd.DataFrame(columns=["credit_code", "zone_code", "share"])
    return firm_parcel_shares(pe, parcels)


def run_corridor_report(
    engine: Engine,
    *,
    year: int,
    config: str | Path | None = None,
    out_dir: str | Path | None = None,
) -> dict[str, Any]:
    """The corridor contribution report for ``year`` (合六经济走廊贡献率).

    Writes ``corridor``, ``corridor_zone`` and the year's ``corridor_contribution``
    rows; with ``out_dir`` also ``走廊贡献_<year>.html`` (charts) and ``.xlsx``.

    Returns
    -------
    dict
        ``outputs`` and ``headline`` (corridor and city growth, contribution, pull,
        verdicts).
    """
    policy = load_policy(config)
    cpol = dict(policy.get("corridor") or {})
    zones = load_zones(engine)
    districts = _maybe(engine, "district")
    geom = corridor_geometry(districts, zones, cpol)
    members = corridor_members(zones, geom, cpol)
    parcels = read_zone_parcels(engine)
    counts = parcels.groupby("zone_code").size()
    members["parcels"] = members["zone_code"].map(counts).fillna(0).astype(int)
    parcels_inside = int(inside_corridor(parcels, geom).sum())
    write_rows(
        engine,
        "corridor",
        pd.DataFrame(
            {
                "name": [geom.name],
                "method": [geom.method],
                "description": [geom.description],
                "area_km2": [geom.area_km2],
                "geom": [None if geom.geom is None else f"SRID=4490;{geom.geom.wkt}"],
            }
        ),
    )
    write_rows(engine, "corridor_zone", members)
    indicators = _maybe(engine, "enterprise_indicator")
    if indicators is None:
        raise InputError(
            "no enterprise indicators: load the enterprise indicator workbook "
            "(企业指标, e.g. enterprise_indicators.xlsx) before the corridor report",
            file="enterprise_indicator",
        )
    years = set(pd.to_numeric(indicators["year"], errors="coerce").dropna().astype(int))
    if year not in years or year - 1 not in years:
        raise InputError(
            f"the corridor report for {year} compares {year} with {year - 1}, but the "
            f"enterprise indicators cover {sorted(years)}: load both years",
            file="enterprise_indicator",
            field="year",
        )
    scope = str(cpol.get("scope", "comparable"))
    deflator = deflator_for(cpol, year)
    targets = dict(cpol.get("targets") or {})
    result = corridor_contribution(
        firm_value_added(indicators, year=year, scope=scope),
        _zone_shares(engine, parcels),
        zones,
        set(members["zone_code"]),
        year=year,
        deflator=deflator,
        targets=targets,
    )
    write_rows(engine, "corridor_contribution", result.table, replace_where={"year": year})
    outputs: list[Path] = []
    if out_dir is not None:
        outputs = write_corridor_report(
            Path(out_dir),
            year=year,
            table=result.table,
            verdict=result.verdict,
            growth_pass=result.growth_pass,
            contribution_pass=result.contribution_pass,
            city_fell=result.city_fell,
            members=members,
            corridor={
                "parcels_inside": parcels_inside,
                "name": geom.name,
                "description": geom.description,
                "area_km2": geom.area_km2,
            },
            deflator=deflator,
            scope=scope,
            contribution_min=float(targets.get("contribution_min", 0.45)),
            database=redact(str(engine.url)),
            synthetic=_synthetic(engine),
        )
    t = result.table.set_index("unit")
    head: dict[str, Any] = {
        "corridor zones 走廊开发区": len(members),
        "parcels inside 走廊内宗地": parcels_inside,
        "city growth 全市增速": _fmt_pct(t.at["city", "growth_real"]),
        "corridor growth 走廊增速": _fmt_pct(t.at["corridor", "growth_real"]),
        "contribution 贡献率": _fmt_pct(t.at["corridor", "contribution"])
        if not result.city_fell
        else "全市未增长, 不计算",
        "pull 拉动 (pp)": _fmt_num(t.at["corridor", "pull_pp"]),
        "growth target 增速目标": _fmt_pass(result.growth_pass),
        "contribution target 贡献率目标": _fmt_pass(result.contribution_pass),
    }
    return {"outputs": outputs, "headline": head}


def _fmt_pct(x: Any) -> str:
    return "—" if pd.isna(x) else f"{float(x) * 100:.2f}%"


def _fmt_num(x: Any) -> str:
    return "—" if pd.isna(x) else f"{float(x):.2f}"


def _fmt_pass(x: bool | None) -> str:
    return "无法评价" if x is None else ("达标" if x else "未达标")
