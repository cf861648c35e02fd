"""``devzone score``: the 亩均效益 evaluation and intensity check of one year, end to end.

:func:`load_inputs` reads the unified tables (:mod:`devzone.db.io`), :func:`evaluate` is
the pure computation (frames in, frames out — what the benchmark times), :func:`run_score`
writes the result tables (``enterprise_evaluation``, ``parcel_performance``,
``grade_change`` for the year; ``parcel_intensity`` whole) on the bulk path and the
planners' XLSX (:mod:`devzone.reports.score_workbook`).

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

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

# GDAL (pyogrio) must be loaded before pysqlite3/spatialite opens a GeoPackage, else the
# first pyogrio read of that GeoPackage segfaults (db.io.read): import it first.
import pyogrio  # noqa: F401  (isort: keep before the engine is used)
from sqlalchemy import Engine

from devzone.db.history import Vintage, data_vintage, latest_progress, vintage_note
from devzone.db.io import TableMissing, parcels_with_contract, read, synthetic_data, write_frame
from devzone.errors import InputError
from devzone.jobs.scope import SCOPE_KEY, scope_name, title_line
from devzone.landuse.intensity import parcel_intensity
from devzone.landuse.performance import (
    enterprise_land,
    evaluate_enterprises,
    land_shares,
    parcel_area_m2,
    parcel_performance,
)
from devzone.landuse.ranking import grade_changes, grade_differences, ranking_list, zone_ranking
from devzone.policy import Policy, load_policy
from devzone.reports.score_workbook import write_score_workbook
from devzone.spatial import assign_by_location
from devzone.vocab import GRADES

__all__ = [
    "CONTRACT_COLUMNS",
    "INPUT_TABLES",
    "WRITTEN_TABLES",
    "evaluate",
    "load_inputs",
    "run_score",
    "what_if",
    "write_results",
]

#: Input tables :func:`evaluate` needs besides ``parcels`` (missing ones count as empty).
INPUT_TABLES = (
    "parcel_enterprise",
    "enterprise_indicator",
    "enterprise",
    "dev_zone",
    "building",
    "project_progress",
)

#: Contract (land_supply) columns the intensity check needs on each parcel.
CONTRACT_COLUMNS = (
    "industry_code",
    "far_min",
    "committed_invest_wan_per_mu",
    "committed_tax_wan_per_mu",
    "committed_check_date",
)

#: Result tables a run writes → True when it replaces only its year's rows (False: all).
WRITTEN_TABLES: dict[str, bool] = {
    "enterprise_evaluation": True,
    "parcel_performance": True,
    "parcel_intensity": False,
    "grade_change": True,
}

_NO_PARCELS = (
    "The database has no parcels (宗地) to evaluate: load the exports first "
    "(`devzone etl load ...`, or `devzone demo` for the bundled sample)."
)


def load_inputs(engine: Engine, data_as_of: int | None = None) -> dict[str, pd.DataFrame]:
    """Read the tables the evaluation needs (``parcels`` with their contract columns).

    ``data_as_of`` (a load batch) reads them as they stood then; ``None``: as now.

    Raises
    ------
    InputError
        No parcels are loaded.
    """
    try:
        parcels = parcels_with_contract(engine, columns=list(CONTRACT_COLUMNS), as_of=data_as_of)
    except TableMissing as exc:
        if exc.table != "parcel":
            raise
        raise InputError(_NO_PARCELS, field="parcel") from None
    frames: dict[str, pd.DataFrame] = {"parcels": parcels}
    for name in INPUT_TABLES:
        df = read(engine, name, required=False, as_of=data_as_of)
        frames[name] = df if df is not None else pd.DataFrame()
    return frames


def _check_inputs(frames: Mapping[str, pd.DataFrame], year: int) -> None:
    """Stop with a clear message when there is nothing to evaluate for ``year``."""
    if not len(frames["parcels"]):
        raise InputError(_NO_PARCELS, field="parcel")
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


def _or_empty(frame: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame:
    """``frame``, or an empty frame with ``columns`` when it is missing or empty."""
    if frame is None or not len(frame):
        return pd.DataFrame(columns=columns)
    return frame


def _firm_names(ent: pd.DataFrame, ccodes: pd.Index) -> pd.DataFrame:
    """Name of each firm id for the parcel list: the registry's, else the credit code."""
    names = pd.DataFrame(
        {"credit_code": np.arange(len(ccodes)), "name": ccodes.to_numpy(dtype=object)}
    )
    if "name" in ent:
        known = ent.dropna(subset=["credit_code", "name"]).drop_duplicates("credit_code")
        at = known["credit_code"].astype(np.int64).to_numpy()
        names.loc[at, "name"] = known["name"].to_numpy()
    return names


def _parcel_base(parcels: pd.DataFrame) -> pd.DataFrame:
    """``parcel_code``, ``zone_code`` and the area (:func:`parcel_area_m2`) of each parcel."""
    return pd.DataFrame(
        {
            "parcel_code": parcels["parcel_code"].to_numpy(),
            "zone_code": parcels["zone_code"].to_numpy() if "zone_code" in parcels else None,
            "area_m2": parcel_area_m2(parcels).to_numpy(),
        }
    )


def _progress_in_force(frames: Mapping[str, pd.DataFrame], year: int) -> Mapping[str, pd.DataFrame]:
    """Each project's progress report in force at the year's end (a series is stored)."""
    progress = frames.get("project_progress")
    if progress is None or not len(progress) or "project_key" not in progress:
        return frames
    year_end = pd.Timestamp(year=year, month=12, day=31)
    return {**frames, "project_progress": latest_progress(progress, year_end)}


def evaluate(
    frames: Mapping[str, pd.DataFrame], *, year: int, policy: Policy
) -> dict[str, pd.DataFrame]:
    """Evaluate one year from in-memory frames (no I/O).

    Parameters
    ----------
    frames
        ``parcels`` (:func:`devzone.db.io.parcels_with_contract`) and the tables of
        :data:`INPUT_TABLES` (missing ones count as empty).
    year
        Evaluation year.
    policy
        The whole typed policy (:func:`devzone.policy.load_policy`); the rules get
        its ``performance`` and ``intensity`` sections.

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
    empty = pd.DataFrame()
    coded, pcodes, ccodes = _encode(_progress_in_force(frames, year))
    parcels = coded["parcels"]
    links = _or_empty(
        coded.get("parcel_enterprise"), ["parcel_code", "credit_code", "used_area_m2"]
    )
    indicators = _or_empty(coded.get("enterprise_indicator"), ["credit_code", "year"])
    ent = coded.get("enterprise", empty)
    zones = coded.get("dev_zone", empty)

    base = _parcel_base(parcels)
    shares = land_shares(links, base)
    kw = {"land": enterprise_land(shares), "enterprises": ent, "zones": zones}
    ev = evaluate_enterprises(indicators, year=year, policy=policy.performance, **kw)
    ev["zone_rank"] = zone_ranking(ev)
    prev = None
    if (pd.to_numeric(indicators["year"], errors="coerce") == year - 1).any():
        prev = evaluate_enterprises(indicators, year=year - 1, policy=policy.performance, **kw)
    changes = grade_changes(ev, prev)

    names = _firm_names(ent, ccodes)
    perf_parcels = parcel_performance(base, shares, ev, year=year, enterprises=names)
    full = parcels.copy()
    full["area_m2"] = base["area_m2"].to_numpy()
    buildings = _assign_buildings(_or_empty(coded.get("building"), ["parcel_code"]), parcels)
    intensity = parcel_intensity(
        full,
        buildings,
        year=year,
        progress=coded.get("project_progress"),
        tax_per_mu=perf_parcels.set_index("parcel_code")["tax_per_mu_wan"],
        industry_codes=_main_industry(shares, ev, ent),
        policy=policy.intensity,
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
    policy: Policy,
    alternative: Policy,
    base: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Firms whose grade changes when evaluated under ``alternative`` instead of ``policy``.

    ``alternative`` is typically ``load_policy(config, what_if_file)``: the policy in
    force with another weight set merged over it. ``base`` is the evaluation under
    ``policy`` when already computed.
    """
    if base is None:
        base = evaluate(frames, year=year, policy=policy)["enterprise_evaluation"]
    alt = evaluate(frames, year=year, policy=alternative)["enterprise_evaluation"]
    return grade_differences(base, alt)


def write_results(
    engine: Engine,
    results: Mapping[str, pd.DataFrame],
    *,
    year: int,
    vintage: int | None = None,
    command: str | None = None,
) -> int:
    """Write :func:`evaluate`'s result tables on the bulk path (:func:`write_frame`).

    The rows of ``year`` are replaced; ``parcel_intensity`` is replaced whole. The data
    vintage (load batch) and ``command`` are recorded in ``result_vintage``.

    Returns
    -------
    int
        Rows written.
    """
    written = 0
    for name, by_year in WRITTEN_TABLES.items():
        where = {"year": year} if by_year else None
        written += write_frame(
            engine, name, results[name], replace_where=where, vintage=vintage, command=command
        )
    return written


def _source_files(frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """Names of the files the enterprise indicators were loaded from, sorted."""
    ind = frames.get("enterprise_indicator", pd.DataFrame())
    if "src_file" not in ind:
        return []
    return sorted({Path(str(f)).name for f in ind["src_file"].dropna().unique()})


def _headline(results: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """The figures ``devzone score`` prints."""
    ev = results["enterprise_evaluation"]
    grades = ev["grade"].value_counts()
    pp = results["parcel_performance"]
    pi = results["parcel_intensity"]
    return {
        "参评企业 evaluated firms": int(ev["evaluated"].sum()),
        "A/B/C/D/T": "/".join(str(int(grades.get(g, 0))) for g in GRADES),
        "无企业宗地 parcels without firm": int((pp["performance_note"] == "no_enterprise").sum()),
        "容积率未达标宗地 parcels below required FAR": int(pi["far_ok"].eq(False).sum()),
        "可增建筑面积 addable floor area (万m²)": round(
            float(pi["addable_floor_area_m2"].sum()) / 1e4, 1
        ),
    }


def run_score(
    engine: Engine,
    *,
    year: int,
    config: str | Path | None = None,
    out_xlsx: str | Path | None = None,
    what_if_config: str | Path | None = None,
    data_as_of: Vintage | None = None,
    command: str | None = None,
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
        Another policy TOML (e.g. other weights) deep-merged over the effective policy
        (``load_policy(config, what_if_config)``): the firms whose grade it changes are
        counted in the headline (and listed in the workbook's 情景对比 sheet).
    data_as_of
        The data vintage (``--data-as-of``: a load batch or a date); ``None``: now.
        Recorded with the results and printed in the workbook.
    command
        The command line recorded in ``result_vintage``.

    Returns
    -------
    dict
        ``{"outputs": [Path, ...], "headline": {label: value}}``.
    """
    policy = load_policy(config)
    scope = scope_name(engine)  # a county or zone role computes on its own land (RLS)
    alternative = load_policy(config, what_if_config) if what_if_config is not None else None
    vintage = data_vintage(engine, data_as_of)
    frames = load_inputs(engine, vintage if data_as_of is not None else None)
    _check_inputs(frames, year)
    results = evaluate(frames, year=year, policy=policy)
    ev = results["enterprise_evaluation"]
    differences = None
    if alternative is not None:
        differences = what_if(frames, year=year, policy=policy, alternative=alternative, base=ev)
    write_results(engine, results, year=year, vintage=vintage, command=command)

    outputs: list[Path] = []
    if out_xlsx is not None:
        path = write_score_workbook(
            out_xlsx,
            results,
            policy=policy,
            year=year,
            synthetic=synthetic_data(engine),
            source_files=_source_files(frames),
            differences=differences,
            scope=title_line(engine),  # the title row: scope, synthetic data, database
            vintage=vintage_note(engine, vintage),
        )
        outputs.append(path)
    headline = {SCOPE_KEY: scope} if scope else {}
    headline.update(_headline(results))
    if differences is not None:
        headline["情景改档企业 what-if grade changes"] = len(differences)
    headline["数据版本 data vintage"] = vintage_note(engine, vintage).split(": ", 1)[1]
    return {"outputs": outputs, "headline": headline}
