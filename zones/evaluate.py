"""Zone evaluation of a year (开发区分类评价): indicators, score, rank, rank change.

Pure assembly over DataFrames: :func:`devzone.zones.indicators.zone_indicators` for the
year and the year before, the composite score (:mod:`devzone.zones.ranking`), the rank
within zone type and the places climbed since the year before (争先进位). Both years
are scored with the same weights and method, so the rank change compares like with
like (a stored earlier run is not reused).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from devzone.policy.sections import IntensityPolicy, ZonesPolicy
from devzone.zones.indicators import (
    COVERAGE_LABELS,
    COVERAGE_OF,
    INDICATORS,
    ZoneInputs,
    zone_indicators,
)
from devzone.zones.ranking import composite_score, rank_change, rank_within_type

__all__ = ["COVERAGE_OF", "ZoneInputs", "evaluate_zones", "idle_snapshot", "zone_data_notes"]


def idle_snapshot(idle: pd.DataFrame | None, year: int) -> tuple[pd.DataFrame | None, str]:
    """Rows of the latest ``parcel_idle_status`` as-of date ≤ 31 Dec of ``year``.

    Examples
    --------
    >>> idle = pd.DataFrame({"parcel_code": ["P1", "P1", "P1"],
    ...     "as_of_date": pd.to_datetime(["2019-06-30", "2019-12-31", "2020-06-30"])})
    >>> rows, as_of = idle_snapshot(idle, 2019)
    >>> len(rows), as_of
    (1, '2019-12-31')
    """
    if idle is None or idle.empty:
        return None, ""
    dates = pd.to_datetime(idle["as_of_date"], errors="coerce")
    ok = dates <= pd.Timestamp(year=year, month=12, day=31)
    if not ok.any():
        return None, ""
    latest = dates[ok].max()
    return idle[dates == latest], latest.date().isoformat()


def _year_rows(df: pd.DataFrame | None, year: int) -> pd.DataFrame | None:
    if df is None or df.empty or "year" not in df:
        return None
    rows = df[pd.to_numeric(df["year"], errors="coerce") == year]
    return rows if len(rows) else None


def _one_year(
    inputs: ZoneInputs,
    year: int,
    *,
    policy: ZonesPolicy,
    intensity: IntensityPolicy,
    area_crs: str | None,
) -> pd.DataFrame:
    """Indicators, composite score and rank within type of one year."""
    idle, idle_as_of = idle_snapshot(inputs.idle, year)
    of_year = replace(
        inputs,
        indicators=_year_rows(inputs.indicators, year),
        idle=idle,
        evaluation=_year_rows(inputs.evaluation, year),
    )
    ind = zone_indicators(of_year, year=year, policy=policy, intensity=intensity, area_crs=area_crs)
    if idle is None:
        # No idle-land snapshot for the year: G is unknown, not zero.
        ind["idle_rate"] = float("nan")
        ind["area_g_ha"] = float("nan")
        ind["idle_fee_wan"] = float("nan")
    ind["idle_as_of"] = idle_as_of
    scores = composite_score(
        ind,
        weights=policy.score,
        decimals=policy.score_decimals,
        min_known_weight_share=policy.min_known_weight_share,
        labels=INDICATORS,
    )
    ind = pd.concat([ind, scores], axis=1)
    ind.attrs["dropped"] = scores.attrs.get("dropped", [])
    ind["rank"] = rank_within_type(ind["score"], ind["zone_type"])
    ind["year"] = year
    return ind


#: Zone fit shares carried onto the evaluation rows.
FIT_COLUMNS = (
    "land_fit_share",
    "land_lead_share",
    "output_fit_share",
    "tax_fit_share",
    "misfit_parcels",
)


def _with_registry_and_fit(current: pd.DataFrame, inputs: ZoneInputs) -> pd.DataFrame:
    """The zones' lead/main industries and industry-fit shares, beside their indicators."""
    registry = inputs.zones.drop_duplicates("zone_code").set_index("zone_code")
    for col in ("lead_industry", "main_industries"):
        if col in registry:
            current[col] = current["zone_code"].map(registry[col])
    if inputs.fit_shares is not None and len(inputs.fit_shares):
        fs = inputs.fit_shares.set_index("zone_code")
        for col in FIT_COLUMNS:
            if col in fs:
                current[col] = current["zone_code"].map(fs[col])
    return current


def zone_data_notes(rows: pd.DataFrame, *, policy: ZonesPolicy) -> list[list[str]]:
    """Per zone: what its composite left out (weights renormalised), and which coverage
    is below ``[zones] min_coverage``.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> rows = pd.DataFrame({"missing_indicators": ["工业用地建筑系数", ""],
    ...                      "known_weight_share": [0.9, 1.0], "score": [50.0, 60.0],
    ...                      "invest_coverage": [0.11, 0.95]})
    >>> for note in zone_data_notes(rows, policy=load_policy().zones)[0]:
    ...     print(note)
    缺失指标未计分 (权重按其余 90% 重新归一): 工业用地建筑系数
    数据覆盖率低于 80%: 投资数据覆盖率 (工业用地) 11%
    """
    floor = float(policy.min_coverage)
    out: list[list[str]] = []
    for r in rows.to_dict("records"):
        notes = []
        if r.get("missing_indicators"):
            share = float(r.get("known_weight_share") or 0.0)
            if pd.isna(r.get("score")):
                notes.append(
                    f"已知指标权重仅 {share:.0%} (< {policy.min_known_weight_share:.0%}), "
                    f"不计分、不排名; 缺失: {r['missing_indicators']}"
                )
            else:
                notes.append(
                    f"缺失指标未计分 (权重按其余 {share:.0%} 重新归一): {r['missing_indicators']}"
                )
        low = [
            f"{COVERAGE_LABELS[c]} {float(r[c]):.0%}"
            for c in COVERAGE_LABELS
            if c in r and pd.notna(r[c]) and float(r[c]) < floor
        ]
        if low:
            notes.append(f"数据覆盖率低于 {floor:.0%}: " + "、".join(low))
        out.append(notes)
    return out


def evaluate_zones(
    inputs: ZoneInputs,
    *,
    year: int,
    policy: ZonesPolicy,
    intensity: IntensityPolicy,
    area_crs: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluate and rank the zones for ``year`` and ``year − 1``.

    Parameters
    ----------
    inputs
        The loaded tables.
    year
        Evaluation year.
    policy
        The ``[zones]`` section (score weights, zone type, use words).
    intensity
        The ``[intensity]`` section (counted floor area, as for parcels).
    area_crs
        Projected CRS for measured areas (:func:`devzone.settings.area_crs`).

    Returns
    -------
    tuple of DataFrame
        (this year's rows with ``rank_change``, the previous year's rows); columns as
        the ``zone_evaluation`` table plus the per-indicator scores ``s_*``.
        ``attrs["dropped"]`` lists indicators left out of the year's weights.
    """
    kw = {"policy": policy, "intensity": intensity, "area_crs": area_crs}
    current = _one_year(inputs, year, **kw)
    previous = _one_year(inputs, year - 1, **kw)
    current["rank_change"] = rank_change(current, previous)
    current = _with_registry_and_fit(current, inputs)
    notes = []
    if current.attrs.get("dropped"):
        names = [INDICATORS.get(k, k) for k in current.attrs["dropped"]]
        notes.append("本年各开发区均无数据、未计分的指标: " + "、".join(names))
    current["note"] = [
        "; ".join(filter(None, [*notes, *zone_notes]))
        for zone_notes in zone_data_notes(current, policy=policy)
    ]
    current = current.sort_values(["zone_type", "rank", "zone_code"]).reset_index(drop=True)
    return current, previous
