"""``devzone report corridor``: the Hefei–Lu'an corridor contribution report, end to end.

Database in (:func:`devzone.db.io.read`, :func:`devzone.db.io.parcels_with_contract`)
→ the corridor rules (:mod:`devzone.zones.corridor`, :mod:`devzone.zones.contribution`)
→ result tables out (:func:`devzone.db.io.write_frame`: ``corridor`` with its polygon as
a geometry, ``corridor_zone``, the year's ``corridor_contribution`` rows) → the
planners' HTML report and workbook (:mod:`devzone.reports.zone_reports`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

# GDAL (pyogrio) must be loaded before SpatiaLite enters the process through the
# GeoPackage engine, or reading a GeoPackage layer segfaults (two SQLite libraries).
import pyogrio  # noqa: F401  # isort: skip
from sqlalchemy import Engine

from devzone.db.history import Vintage, data_vintage, vintage_note
from devzone.db.io import parcels_with_contract, read, synthetic_data, table_of, write_frame
from devzone.errors import InputError
from devzone.jobs.scope import require_city, shown_database, title_line
from devzone.policy import Policy, load_policy
from devzone.policy.sections import CorridorPolicy
from devzone.reports.zone_reports import write_corridor_report
from devzone.zones.alloc import firm_parcel_shares
from devzone.zones.contribution import (
    ContributionResult,
    configured_deflator,
    corridor_contribution,
    firm_value_added,
)
from devzone.zones.corridor import (
    CorridorGeometry,
    corridor_geometry,
    corridor_members,
    inside_corridor,
)
from devzone.zones.indicators import CONTRACT_COLUMNS

__all__ = ["corridor_headline", "result_columns", "run_corridor_report"]


def result_columns(name: str) -> list[str]:
    """The columns of result table ``name`` (``fid`` aside), in table order.

    Examples
    --------
    >>> result_columns("corridor_zone")
    ['zone_code', 'zone_name', 'member_by', 'parcels']
    """
    return [c.name for c in table_of(name).c if c.name != "fid"]


def _corridor_frame(geom: CorridorGeometry) -> pd.DataFrame:
    """The one ``corridor`` row, its polygon a shapely geometry (EPSG:4490)."""
    return pd.DataFrame(
        {
            "name": [geom.name],
            "method": [geom.method],
            "description": [geom.description],
            "area_km2": [geom.area_km2],
            "geom": pd.Series([geom.geom], dtype=object),
        }
    )


def _year_indicators(engine: Engine, year: int, data_as_of: int | None = None) -> pd.DataFrame:
    """``enterprise_indicator`` rows; refused unless they cover ``year`` and ``year − 1``."""
    indicators = read(engine, "enterprise_indicator", as_of=data_as_of)
    years = set(pd.to_numeric(indicators["year"], errors="coerce").dropna().astype(int))
    if year not in years or year - 1 not in years:
        raise InputError(
            f"the corridor report for {year} compares {year} with {year - 1}, but the "
            f"enterprise indicators cover {sorted(years)}: load both years",
            file="enterprise_indicator",
            field="year",
        )
    return indicators


def _firm_zone_shares(
    engine: Engine, parcels: pd.DataFrame, data_as_of: int | None = None
) -> pd.DataFrame:
    """Each firm's share in each zone (:func:`firm_parcel_shares`); empty without links."""
    pe = read(engine, "parcel_enterprise", required=False, as_of=data_as_of)
    if pe is None:
        return pd.DataFrame(columns=["credit_code", "zone_code", "share"])
    return firm_parcel_shares(pe, parcels)


def _contribution(
    engine: Engine,
    *,
    year: int,
    policy: CorridorPolicy,
    zones: pd.DataFrame,
    parcels: pd.DataFrame,
    members: pd.DataFrame,
    data_as_of: int | None = None,
) -> ContributionResult:
    """The year's growth, contribution and pull (:func:`corridor_contribution`)."""
    indicators = _year_indicators(engine, year, data_as_of)
    return corridor_contribution(
        firm_value_added(indicators, year=year, scope=policy.scope),
        _firm_zone_shares(engine, parcels, data_as_of),
        zones,
        set(members["zone_code"]),
        year=year,
        deflator=configured_deflator(policy, year),
        targets=policy.targets,
    )


def _fmt_pct(x: Any) -> str:
    return "—" if pd.isna(x) else f"{float(x) * 100:.2f}%"


def _fmt_num(x: Any) -> str:
    return "—" if pd.isna(x) else f"{float(x):.2f}"


def _fmt_pass(x: bool | None) -> str:
    return "无法评价" if x is None else ("达标" if x else "未达标")


def corridor_headline(
    result: ContributionResult, *, members: pd.DataFrame, parcels_inside: int
) -> dict[str, Any]:
    """The figures ``devzone report corridor`` prints (label → value).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> va = pd.DataFrame({"credit_code": ["F1", "F2"], "va_prev": [100.0, 50.0],
    ...                    "va_cur": [110.0, 60.0]})
    >>> sh = pd.DataFrame({"credit_code": ["F1"], "zone_code": ["A"], "share": [1.0]})
    >>> z = pd.DataFrame({"zone_code": ["A"], "name": ["甲"]})
    >>> r = corridor_contribution(va, sh, z, {"A"}, year=2019, deflator=1.0,
    ...                           targets=load_policy().corridor.targets)
    >>> corridor_headline(r, members=z, parcels_inside=3)["contribution 贡献率"]
    '50.00%'
    """
    t = result.table.set_index("unit")
    basis = result.price_basis
    return {
        "corridor zones 走廊开发区": len(members),
        "parcels inside 走廊内宗地": parcels_inside,
        "price basis 价格口径": basis,
        f"city growth 全市增速 ({basis})": _fmt_pct(t.at["city", "growth_real"]),
        f"corridor growth 走廊增速 ({basis})": _fmt_pct(t.at["corridor", "growth_real"]),
        "contribution 贡献率": _fmt_pct(t.at["corridor", "contribution"])
        if not result.city_fell
        else "全市未增长, 不计算",
        "pull 拉动 (pp)": _fmt_num(t.at["corridor", "pull_pp"]),
        "growth target 增速目标": _fmt_pass(result.growth_pass),
        "contribution target 贡献率目标": _fmt_pass(result.contribution_pass),
    }


def _write_report(  # noqa: PLR0913 -- keyword-only parts of one report
    engine: Engine,
    out_dir: Path,
    *,
    year: int,
    policy: CorridorPolicy,
    result: ContributionResult,
    geom: CorridorGeometry,
    members: pd.DataFrame,
    parcels_inside: int,
    vintage: int | None = None,
) -> list[Path]:
    """The HTML report with charts and the workbook (:func:`write_corridor_report`)."""
    return write_corridor_report(
        out_dir,
        result,
        year=year,
        members=members,
        corridor={
            "parcels_inside": parcels_inside,
            "name": geom.name,
            "description": geom.description,
            "area_km2": geom.area_km2,
        },
        policy=policy,
        database=f"{shown_database(engine)} · {vintage_note(engine, vintage)}",
        synthetic=synthetic_data(engine),
        title=title_line(engine),
    )


def run_corridor_report(
    engine: Engine,
    *,
    year: int,
    policy: Policy | None = None,
    config: str | Path | None = None,
    out_dir: str | Path | None = None,
    data_as_of: Vintage | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """The corridor contribution report for ``year`` (合六经济走廊贡献率).

    Writes ``corridor``, ``corridor_zone`` and the year's ``corridor_contribution``
    rows; with ``out_dir`` also ``走廊贡献_<year>.html`` (charts) and ``.xlsx``.

    Parameters
    ----------
    engine
        The database.
    year
        Report year (compared with ``year − 1``).
    policy
        The typed policy; else ``config`` (a city TOML, loaded once) over the shipped one.
    out_dir
        Folder for the report files (none written when ``None``).
    data_as_of
        The data vintage (``--data-as-of``); ``None``: now. Recorded in
        ``result_vintage`` (with ``command``) and printed in the report.

    Returns
    -------
    dict
        ``outputs`` and ``headline`` (corridor and city growth, contribution, pull,
        verdicts).
    """
    require_city(engine, "report corridor")  # a city-wide comparison
    cpol = (policy or load_policy(config)).corridor
    vintage = data_vintage(engine, data_as_of)
    v = vintage if data_as_of is not None else None
    zones = read(engine, "dev_zone", as_of=v)
    districts = read(engine, "district", required=False, as_of=v)
    geom = corridor_geometry(districts, zones, policy=cpol)
    members = corridor_members(zones, geom, policy=cpol)
    parcels = parcels_with_contract(engine, columns=CONTRACT_COLUMNS, as_of=v)
    counts = parcels.groupby("zone_code").size()
    members["parcels"] = members["zone_code"].map(counts).fillna(0).astype(int)
    parcels_inside = int(inside_corridor(parcels, geom).sum())
    rec = {"vintage": vintage, "command": command}
    write_frame(engine, "corridor", _corridor_frame(geom), **rec)  # type: ignore[arg-type]
    write_frame(engine, "corridor_zone", members[result_columns("corridor_zone")], **rec)  # type: ignore[arg-type]
    result = _contribution(
        engine, year=year, policy=cpol, zones=zones, parcels=parcels, members=members, data_as_of=v
    )
    table = result.table.reindex(columns=result_columns("corridor_contribution"))
    write_frame(engine, "corridor_contribution", table, replace_where={"year": year}, **rec)  # type: ignore[arg-type]
    outputs: list[Path] = []
    if out_dir is not None:
        outputs = _write_report(
            engine,
            Path(out_dir),
            year=year,
            policy=cpol,
            result=result,
            geom=geom,
            members=members,
            parcels_inside=parcels_inside,
            vintage=vintage,
        )
    head = corridor_headline(result, members=members, parcels_inside=parcels_inside)
    head["数据版本 data vintage"] = vintage_note(engine, vintage).split(": ", 1)[1]
    return {"outputs": outputs, "headline": head}
