"""Zone jobs: read the database, run the pure zone analyses, write results and reports.

``run_zone_rank`` (``devzone zones rank``), ``run_industry_fit`` (``devzone zones fit``),
``zone_registry`` (``devzone zones list``) and ``run_admission`` (``devzone admit``);
the corridor report is :mod:`devzone.jobs.corridor`. Inputs come through
:func:`devzone.db.io.read` and :func:`devzone.db.io.parcels_with_contract`, result
tables go out through :func:`devzone.db.io.write_frame` (exactly the table's columns).
A job takes the typed :class:`~devzone.policy.Policy`, or a ``config`` TOML it loads
once. Rank and corridor jobs return ``{"outputs": [Path, ...], "headline": {label:
value}}``. The performance and idle result tables (``enterprise_evaluation``,
``parcel_idle_status``) are used when present; without them the A/D shares and idle
figures are left empty and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

# GDAL (pyogrio) must be loaded before SpatiaLite enters the process through the
# GeoPackage engine, or reading a GeoPackage layer segfaults (two SQLite libraries).
import pyogrio  # noqa: F401  # isort: skip
from sqlalchemy import Engine

from devzone.db.history import Vintage, data_vintage, latest_progress, vintage_note
from devzone.db.io import parcels_with_contract, read, synthetic_data, write_frame
from devzone.jobs.corridor import result_columns
from devzone.jobs.scope import require_city, shown_database, title_line
from devzone.policy import Policy, load_policy
from devzone.policy.sections import ZonesPolicy
from devzone.reports.zone_reports import write_fit_workbook, write_zone_rank_report
from devzone.settings import area_crs
from devzone.zones.admit import Proposal, admission_check
from devzone.zones.alloc import parcel_area_m2
from devzone.zones.evaluate import ZoneInputs, evaluate_zones
from devzone.zones.fit import parcel_industry_fit, zone_fit_shares
from devzone.zones.indicators import CONTRACT_COLUMNS
from devzone.zones.registry import industries_file, load_industries, validate_zones

__all__ = [
    "IndustryFit",
    "Proposal",
    "rank_headline",
    "run_admission",
    "run_industry_fit",
    "run_zone_rank",
    "zone_registry",
]


@dataclass
class IndustryFit:
    """Parcel fit, zone fit shares, the registry check, and the files written."""

    parcel_fit: pd.DataFrame
    zone_shares: pd.DataFrame
    registry_check: pd.DataFrame
    outputs: list[Path] = field(default_factory=list)


def zone_registry(
    engine: Engine, *, policy: Policy | None = None, config: str | Path | None = None
) -> pd.DataFrame:
    """The zone registry (``dev_zone``) with the lead/main industry check of each zone.

    Returns
    -------
    DataFrame
        One row per zone: the ``dev_zone`` columns, ``ok`` and ``problems``
        (:func:`devzone.zones.registry.validate_zones`).
    """
    zpol = (policy or load_policy(config)).zones
    zones = read(engine, "dev_zone")
    check = validate_zones(zones, load_industries(industries_file(zpol)), policy=zpol)
    return zones.drop_duplicates("zone_code").merge(
        check[["zone_code", "ok", "problems"]], on="zone_code", how="left"
    )


def _industry_fit(
    engine: Engine,
    *,
    year: int,
    zpol: ZonesPolicy,
    zones: pd.DataFrame,
    parcels: pd.DataFrame,
    pe: pd.DataFrame | None,
    ind: pd.DataFrame | None,
    data: tuple[int | None, int | None] = (None, None),
) -> IndustryFit:
    """Parcel fit (written to ``parcel_industry_fit``), zone shares and registry check.

    ``data``: the load batch to read at (``None``: now) and the vintage to record.
    """
    read_at, vintage = data
    industries = load_industries(industries_file(zpol))
    ent = read(engine, "enterprise", required=False, as_of=read_at)
    fit = parcel_industry_fit(
        parcels,
        zones,
        industries,
        parcel_enterprise=pe,
        enterprises=ent,
        separator=zpol.main_separator,
    )
    fit["area_m2"] = parcel_area_m2(parcels, area_crs=area_crs()).to_numpy()
    write_frame(
        engine, "parcel_industry_fit", fit[result_columns("parcel_industry_fit")], vintage=vintage
    )
    ind_year = None if ind is None else ind[ind["year"] == year]
    shares = zone_fit_shares(
        parcels, fit, zones, industries, indicators=ind_year, parcel_enterprise=pe, policy=zpol
    )
    check = validate_zones(zones, industries, policy=zpol)
    return IndustryFit(fit, shares, check)


def run_industry_fit(
    engine: Engine,
    *,
    year: int,
    policy: Policy | None = None,
    config: str | Path | None = None,
    out_xlsx: str | Path | None = None,
) -> IndustryFit:
    """Write ``parcel_industry_fit`` (and, with ``out_xlsx``, the fit workbook).

    Returns
    -------
    IndustryFit
        Parcel fit, zone fit shares (output and tax of ``year``), registry check and
        the workbook written (if any).
    """
    zpol = (policy or load_policy(config)).zones
    result = _industry_fit(
        engine,
        year=year,
        zpol=zpol,
        zones=read(engine, "dev_zone"),
        parcels=parcels_with_contract(engine, columns=CONTRACT_COLUMNS),
        pe=read(engine, "parcel_enterprise", required=False),
        ind=read(engine, "enterprise_indicator", required=False),
    )
    if out_xlsx is not None:
        result.outputs = [
            write_fit_workbook(
                Path(out_xlsx),
                result.zone_shares,
                result.parcel_fit,
                title=title_line(engine, f"{year} 年"),
            )
        ]
    return result


def _missing_inputs_note(
    current: pd.DataFrame, *, year: int, evaluation: pd.DataFrame | None
) -> pd.DataFrame:
    """Say on every row which performance or idle figures are empty, and why."""
    missing = []
    if evaluation is None or not (evaluation["year"] == year).any():
        missing.append(f"无 {year} 年亩均效益评价结果 (先运行 devzone score), A/D 类占比为空")
    if current["idle_as_of"].eq("").all():
        missing.append(f"无 {year} 年底前的闲置土地台账 (先运行 devzone idle), 闲置指标为空")
    if missing:
        extra = "; ".join(missing)
        current["note"] = [f"{n}; {extra}" if n else extra for n in current["note"].fillna("")]
    return current


def _sources_note(year: int, current: pd.DataFrame, inputs: ZoneInputs) -> str:
    """The report's 数据来源 sentence."""
    return (
        "数据来源: 本库 dev_zone、parcel、land_supply、building、enterprise_indicator、"
        "parcel_enterprise、project_progress 表"
        + (f"; 亩均效益评价 {year} 年" if inputs.evaluation is not None else "")
        + (f"; 闲置土地台账 {current['idle_as_of'].iloc[0]}" if inputs.idle is not None else "")
        + ". 评价范围面积取核准面积 (无则取边界量算面积)."
    )


def rank_headline(current: pd.DataFrame, fit: IndustryFit) -> dict[str, Any]:
    """The figures ``devzone zones rank`` prints (label → value).

    Besides the ranking, it names every zone's missing indicators (left out of its
    composite, weights renormalised) and the zones not ranked for lack of data, so a
    data gap is never a silent 0.

    Examples
    --------
    >>> cur = pd.DataFrame({"zone_name": ["甲", "乙"], "zone_type": ["工业主导型"] * 2,
    ...                     "score": [60.5, 40.0], "rank": [1, 2],
    ...                     "missing_indicators": ["", "土地闲置率"]})
    >>> f = IndustryFit(pd.DataFrame({"fit": ["misfit", "lead"]}), pd.DataFrame(),
    ...                 pd.DataFrame({"ok": [True, False]}))
    >>> rank_headline(cur, f)
    {'zones ranked 参评开发区': 2, 'first 工业主导型 第一': '甲 (60.5)', \
'missing 缺失指标 (未计分, 权重重新归一)': '乙: 土地闲置率', \
'misfit parcels 产业不符宗地': 1, 'registry problems 登记问题': 1}
    """
    head: dict[str, Any] = {"zones ranked 参评开发区": int(current["score"].notna().sum())}
    for ztype, rows in current[current["score"].notna()].groupby("zone_type"):
        best = rows.sort_values("rank").iloc[0]
        head[f"first {ztype} 第一"] = f"{best['zone_name']} ({best['score']:.1f})"
    missing = current.get("missing_indicators", pd.Series("", index=current.index)).fillna("")
    gaps = [f"{n}: {m}" for n, m in zip(current["zone_name"], missing, strict=True) if m]
    if gaps:
        head["missing 缺失指标 (未计分, 权重重新归一)"] = "; ".join(gaps)
    unranked = current.loc[current["score"].isna(), "zone_name"].astype(str).tolist()
    if unranked:
        head["not ranked 数据不足未排名"] = "、".join(unranked)
    head["misfit parcels 产业不符宗地"] = int((fit.parcel_fit["fit"] == "misfit").sum())
    head["registry problems 登记问题"] = int((~fit.registry_check["ok"]).sum())
    return head


def _zone_inputs(
    engine: Engine,
    *,
    year: int,
    zpol: ZonesPolicy,
    data_as_of: int | None = None,
    vintage: int | None = None,
) -> tuple[ZoneInputs, IndustryFit]:
    """Read every table the zone evaluation uses once, and run the industry fit on them.

    ``data_as_of`` reads the input tables as they stood after that load batch; of each
    project's progress reports the one in force at the year's end is used.
    """
    v = data_as_of
    zones = read(engine, "dev_zone", as_of=v)
    parcels = parcels_with_contract(engine, columns=CONTRACT_COLUMNS, as_of=v)
    pe = read(engine, "parcel_enterprise", required=False, as_of=v)
    indicators = read(engine, "enterprise_indicator", required=False, as_of=v)
    fit = _industry_fit(
        engine,
        year=year,
        zpol=zpol,
        zones=zones,
        parcels=parcels,
        pe=pe,
        ind=indicators,
        data=(v, vintage),
    )
    progress = read(engine, "project_progress", required=False, as_of=v)
    if progress is not None:
        progress = latest_progress(progress, pd.Timestamp(year=year, month=12, day=31))
    inputs = ZoneInputs(
        zones=zones,
        parcels=parcels,
        buildings=read(engine, "building", required=False, as_of=v),
        indicators=indicators,
        parcel_enterprise=pe,
        progress=progress,
        idle=read(engine, "parcel_idle_status", required=False),
        evaluation=read(engine, "enterprise_evaluation", required=False),
        fit_shares=fit.zone_shares,
    )
    return inputs, fit


def run_zone_rank(
    engine: Engine,
    *,
    year: int,
    policy: Policy | None = None,
    config: str | Path | None = None,
    out_dir: str | Path | None = None,
    data_as_of: Vintage | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Evaluate and rank the zones for ``year`` (开发区分类评价, 争先进位).

    Writes ``parcel_industry_fit`` and the year's ``zone_evaluation`` rows; with
    ``out_dir`` also ``开发区排名_<year>.html`` and ``.xlsx``.

    Parameters
    ----------
    engine
        The database.
    year
        Evaluation year (ranked against ``year − 1``).
    policy
        The typed policy; else ``config`` (a city TOML, loaded once) over the shipped one.
    out_dir
        Folder for the report files (none written when ``None``).
    data_as_of
        The data vintage (``--data-as-of``: a load batch or a date); ``None``: now.
        Recorded in ``result_vintage`` (with ``command``) and in the report's sources.

    Returns
    -------
    dict
        ``outputs`` (paths written) and ``headline`` (zones ranked, first of each type,
        misfit parcels, registry problems).
    """
    require_city(engine, "zones rank")  # a county or zone role would rank a fragment
    pol = policy or load_policy(config)
    vintage = data_vintage(engine, data_as_of)
    read_at = vintage if data_as_of is not None else None
    inputs, fit = _zone_inputs(
        engine, year=year, zpol=pol.zones, data_as_of=read_at, vintage=vintage
    )
    current, _previous = evaluate_zones(
        inputs, year=year, policy=pol.zones, intensity=pol.intensity
    )
    current = _missing_inputs_note(current, year=year, evaluation=inputs.evaluation)
    rows = current.reindex(columns=result_columns("zone_evaluation"))
    write_frame(
        engine,
        "zone_evaluation",
        rows,
        replace_where={"year": year},
        vintage=vintage,
        command=command,
    )
    outputs: list[Path] = []
    if out_dir is not None:
        check = fit.registry_check
        problems = [f"{r.zone_code} {r.name}: {r.problems}" for r in check.itertuples() if not r.ok]
        outputs = write_zone_rank_report(
            Path(out_dir),
            year=year,
            current=current,
            fit=fit.parcel_fit,
            registry_problems=problems,
            sources_note=f"{_sources_note(year, current, inputs)} {vintage_note(engine, vintage)}.",
            policy=pol.zones,
            database=f"{shown_database(engine)} · {vintage_note(engine, vintage)}",
            synthetic=synthetic_data(engine),
            title=title_line(engine),
        )
    headline = rank_headline(current, fit)
    headline["数据版本 data vintage"] = vintage_note(engine, vintage).split(": ", 1)[1]
    return {"outputs": outputs, "headline": headline}


def run_admission(
    engine: Engine,
    proposal: Proposal,
    *,
    policy: Policy | None = None,
    config: str | Path | None = None,
) -> pd.DataFrame:
    """Entry check of a proposed project against its zone (``devzone admit``).

    The zone registry comes from ``dev_zone``; the standards are
    :func:`devzone.zones.admit.admission_check` under ``[zones]`` and
    ``[intensity]`` (the entry rule and minimum FAR the parcel intensity uses).

    Returns
    -------
    DataFrame
        One row per standard (``standard``, ``label``, ``value``, ``required``,
        ``passed``, ``reason``).
    """
    pol = policy or load_policy(config)
    return admission_check(
        proposal,
        zones=read(engine, "dev_zone"),
        industries=load_industries(industries_file(pol.zones)),
        policy=pol.zones,
        intensity=pol.intensity,
    )
