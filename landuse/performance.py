"""亩均效益评价: per-enterprise and per-parcel land-use performance (POLICY §2).

Pure, vectorised functions over DataFrames (no I/O). The chain a job runs:

1. :func:`parcel_area_m2` — each parcel's area (registered, else measured);
2. :func:`land_shares` — how much of each parcel each firm uses (宗地企业对照);
3. :func:`enterprise_land` — each firm's land in 亩 and its main zone;
4. :func:`evaluate_enterprises` — indicators, who is evaluated, score, rank, grade, in
   named steps: :func:`enterprise_figures` (the year's figures of each firm),
   :func:`evaluation_flags` (参评, 过渡期, 免评), :func:`score_enterprises` (on
   :func:`benchmarks`), :func:`grade_enterprises` (A/B/C/D by rank, T) and
   :func:`evaluation_notes`;
5. :func:`parcel_performance` — each parcel carries the grade of the firms on it.

Every weight, threshold, share and method comes from the typed
:class:`~devzone.policy.PerformancePolicy` (the ``[performance]`` table of
``data/policy/performance.toml``), passed in explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from devzone.errors import ConfigError
from devzone.policy.sections import PerformancePolicy
from devzone.settings import area_crs as resolve_area_crs
from devzone.units import M2_PER_MU

__all__ = [
    "EVALUATION_COLUMNS",
    "INDICATORS",
    "benchmarks",
    "enterprise_figures",
    "enterprise_indicators",
    "enterprise_land",
    "evaluate_enterprises",
    "evaluation_flags",
    "evaluation_notes",
    "exempt_industry",
    "grade_by_rank",
    "grade_enterprises",
    "in_transition",
    "land_shares",
    "parcel_area_m2",
    "parcel_performance",
    "score_enterprises",
]

#: Indicator column → (numerator column, denominator column). ``land_mu`` is the firm's land.
INDICATORS: dict[str, tuple[str, str]] = {
    "tax_per_mu_wan": ("tax_wan", "land_mu"),  # 亩均税收
    "revenue_per_mu_wan": ("revenue_wan", "land_mu"),  # 亩均营业收入
    "value_added_per_mu_wan": ("value_added_wan", "land_mu"),  # 亩均增加值
    "value_added_per_tce": ("value_added_wan", "energy_tce"),  # 单位能耗增加值
    "value_added_per_emission_t": ("value_added_wan", "emissions_t"),  # 单位排放增加值
    "rd_intensity": ("rd_wan", "revenue_wan"),  # 研发经费投入强度
    "labour_productivity_wan": ("value_added_wan", "employees"),  # 全员劳动生产率
    "tech_invest_per_mu_wan": ("tech_invest_wan", "land_mu"),  # 亩均技改投资
}

#: Reported figures of ``enterprise_indicator`` the indicators are computed from.
FIGURES = (
    "tax_wan",
    "revenue_wan",
    "value_added_wan",
    "energy_tce",
    "emissions_t",
    "rd_wan",
    "employees",
    "tech_invest_wan",
)

#: Columns of the ``enterprise_evaluation`` table :func:`evaluate_enterprises` fills
#: (``zone_rank`` is added by :func:`devzone.landuse.ranking.zone_ranking`).
EVALUATION_COLUMNS = (
    "year",
    "credit_code",
    "name",
    "zone_code",
    "industry_code",
    "group_name",
    "evaluated",
    "grade",
    "score",
    "rank",
    "group_size",
    "land_mu",
    *INDICATORS,
    "note",
)

#: Register columns a firm's indicator row may lack (filled from ``enterprise``).
_REGISTER = ("name", "industry_code", "is_above_scale", "status")
#: Spellings of "above scale" (规上) in ``is_above_scale``.
_ABOVE_SCALE = (True, "1", "true", "True", "是")


def _group_names(is_above_scale: pd.Series) -> np.ndarray:
    """``'above'`` (规上) or ``'below'`` (规下) per firm.

    Examples
    --------
    >>> _group_names(pd.Series([True, "是", None, False])).tolist()
    ['above', 'above', 'below', 'below']
    """
    return np.where(is_above_scale.isin(list(_ABOVE_SCALE)), "above", "below")


def parcel_area_m2(parcels: pd.DataFrame, *, area_crs: str | None = None) -> pd.Series:
    """Area of each parcel in m² (宗地面积): registered ``area_m2``, else measured.

    The measured area is the geometry's area in the projected ``area_crs``
    (:func:`devzone.settings.area_crs`: the runtime setting, else EPSG:4548; never in
    degrees). Parcels with neither give NaN.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> parcel_area_m2(pd.DataFrame({"area_m2": [1000.0, None]})).tolist()
    [1000.0, nan]
    >>> square = gpd.GeoDataFrame({"area_m2": [None]}, geometry=[box(0, 0, 100, 100)],
    ...                           crs="EPSG:4548")
    >>> parcel_area_m2(square).tolist()
    [10000.0]
    """
    if "area_m2" in parcels:
        registered = pd.to_numeric(parcels["area_m2"], errors="coerce").astype(float)
    else:
        registered = pd.Series(np.nan, index=parcels.index, dtype=float)
    registered = registered.where(registered > 0)
    geom = getattr(parcels, "geometry", None) if hasattr(parcels, "crs") else None
    if geom is not None and registered.isna().any():
        need = registered.isna() & geom.notna()
        if need.any():
            measured = geom[need].to_crs(resolve_area_crs(area_crs)).area
            registered = registered.copy()
            registered[need] = measured.where(measured > 0)
    return registered.astype(float).rename("area_m2")


def land_shares(links: pd.DataFrame, parcels: pd.DataFrame) -> pd.DataFrame:
    """Land each firm uses on each parcel (宗地企业用地), in m².

    Parameters
    ----------
    links
        ``parcel_enterprise`` rows: ``parcel_code``, ``credit_code``, ``used_area_m2``.
    parcels
        ``parcel_code``, ``area_m2`` (see :func:`parcel_area_m2`) and ``zone_code``.

    Returns
    -------
    DataFrame
        ``parcel_code``, ``credit_code``, ``zone_code``, ``share_m2``: the registered
        ``used_area_m2`` when given; firms without one split what is left of the parcel
        (its area minus the registered uses, at least 0) equally — with no use registered
        on a parcel, its area is split equally among its firms. The users of a parcel
        never total more than the parcel: registered uses adding up to more are scaled
        down to its area (and leave nothing for the others).

    Notes
    -----
    This is the one land-share rule of devzone: the 亩均 evaluation, the zone and
    corridor allocation (:func:`devzone.zones.alloc.firm_parcel_shares`), the industry
    fit and the exit mechanism (:mod:`devzone.landuse.exit`) all call it.

    Examples
    --------
    >>> import pandas as pd
    >>> links = pd.DataFrame({"parcel_code": ["P", "P"], "credit_code": ["X", "Y"],
    ...                       "used_area_m2": [None, None]})
    >>> parcels = pd.DataFrame({"parcel_code": ["P"], "area_m2": [1000.0],
    ...                         "zone_code": ["Z"]})
    >>> land_shares(links, parcels)["share_m2"].tolist()
    [500.0, 500.0]
    >>> links["used_area_m2"] = [300.0, None]   # Y gets the rest: 1000 − 300
    >>> land_shares(links, parcels)["share_m2"].tolist()
    [300.0, 700.0]
    """
    cols = ["parcel_code", "credit_code"]
    df = links[cols].copy()
    used = links.get("used_area_m2", np.nan)
    df["used_area_m2"] = pd.to_numeric(pd.Series(used, index=links.index), errors="coerce")
    df = df.dropna(subset=cols).drop_duplicates(cols)
    p = parcels[["parcel_code", "area_m2", "zone_code"]].drop_duplicates("parcel_code")
    df = df.merge(p, on="parcel_code", how="left")
    known = df["used_area_m2"].where(df["used_area_m2"] > 0)
    registered = known.fillna(0.0).groupby(df["parcel_code"]).transform("sum")
    area = pd.to_numeric(df["area_m2"], errors="coerce").where(lambda a: a > 0)
    # Registered uses that add up to more than the parcel are scaled down to it.
    over = (registered > area).fillna(False)
    known = known.where(~over, known * area / registered.where(registered > 0))
    n_unknown = known.isna().groupby(df["parcel_code"]).transform("sum")
    rest = area - registered.where(~over, area)
    split = rest.clip(lower=0) / n_unknown.where(n_unknown > 0)
    df["share_m2"] = known.fillna(split)
    return df[["parcel_code", "credit_code", "zone_code", "share_m2"]]


def enterprise_land(shares: pd.DataFrame) -> pd.DataFrame:
    """Each firm's land (企业用地) in 亩 and its zone (the zone of its largest parcel).

    Returns
    -------
    DataFrame
        Indexed by ``credit_code``: ``land_mu``, ``zone_code``, ``parcel_count``.

    Examples
    --------
    >>> import pandas as pd
    >>> shares = pd.DataFrame({"parcel_code": ["P1", "P2"], "credit_code": ["X", "X"],
    ...                        "zone_code": ["Z1", "Z2"], "share_m2": [2000.0, 4000.0]})
    >>> row = enterprise_land(shares).loc["X"]   # (2000 + 4000) m² ÷ (10000/15) = 9 亩
    >>> round(float(row["land_mu"]), 6), row["zone_code"]
    (9.0, 'Z2')
    """
    g = shares.groupby("credit_code")
    out = pd.DataFrame(
        {
            "land_mu": g["share_m2"].sum(min_count=1) / M2_PER_MU,
            "parcel_count": g["parcel_code"].size(),
        }
    )
    top = shares.sort_values(["share_m2", "parcel_code"], ascending=[False, True])
    out["zone_code"] = top.drop_duplicates("credit_code").set_index("credit_code")["zone_code"]
    return out


def enterprise_indicators(frame: pd.DataFrame) -> pd.DataFrame:
    """The eight 亩均效益 indicators of each firm (see :data:`INDICATORS`).

    A ratio whose denominator is missing or not positive is NaN (not available).
    Values are kept as reported (a loss gives a negative value); scoring clips them.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"tax_wan": [300.0], "revenue_wan": [2000.0], "land_mu": [10.0],
    ...                   "value_added_wan": [500.0], "energy_tce": [0.0],
    ...                   "emissions_t": [None], "rd_wan": [60.0], "employees": [50],
    ...                   "tech_invest_wan": [None]})
    >>> enterprise_indicators(f).iloc[0].round(3).tolist()
    [30.0, 200.0, 50.0, nan, nan, 0.03, 10.0, nan]
    """
    out = pd.DataFrame(index=frame.index)
    for name, (num, den) in INDICATORS.items():
        n = pd.to_numeric(frame[num], errors="coerce") if num in frame else np.nan
        d = pd.to_numeric(frame[den], errors="coerce") if den in frame else np.nan
        n = pd.Series(n, index=frame.index, dtype=float)
        d = pd.Series(d, index=frame.index, dtype=float)
        out[name] = (n / d.where(d > 0)).astype(float)
    return out


def _check_indicators(weights: Mapping[str, Mapping[str, float]]) -> None:
    """Refuse a weight on an indicator the evaluation does not compute.

    (The method, and that weights are numbers, are checked when the policy is loaded.)

    Examples
    --------
    >>> _check_indicators({"above": {"profit_per_mu": 1.0}})
    Traceback (most recent call last):
    ...
    devzone.errors.ConfigError: Policy table performance.weights.above names unknown ...
    """
    for group, w in weights.items():
        unknown = [k for k in w if k not in INDICATORS]
        if unknown:
            raise ConfigError(
                f"Policy table performance.weights.{group} names unknown indicator "
                f"{unknown[0]!r}; known: {', '.join(INDICATORS)}."
            )


def _weighted_indicators(policy: PerformancePolicy) -> list[str]:
    """Every indicator some group weighs, sorted."""
    return sorted({k for w in policy.weights.values() for k in w})


def _fixed_benchmarks(groups: pd.Series, *, policy: PerformancePolicy) -> dict[str, pd.Series]:
    """Method ``fixed``: the configured benchmark of each firm's group.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> b = _fixed_benchmarks(pd.Series(["above", "below"]), policy=load_policy().performance)
    >>> b["tax_per_mu_wan"].tolist()   # 规上 26.4 (Anhui 2024), 规下 10.0
    [26.4, 10.0]
    """
    weights, fixed = policy.weights, policy.fixed_benchmarks
    out: dict[str, pd.Series] = {}
    for ind in _weighted_indicators(policy):
        per_group = {g: fixed.get(g, {}).get(ind) for g in weights if ind in weights[g]}
        missing = [g for g, v in per_group.items() if v is None]
        if missing:
            raise ConfigError(
                f"Scoring method 'fixed' needs performance.fixed_benchmarks.{missing[0]}."
                f"{ind} = <value> in the policy config."
            )
        out[ind] = groups.map({g: float(v) for g, v in per_group.items()}).astype(float)
    return out


def benchmarks(
    values: pd.DataFrame,
    *,
    groups: pd.Series,
    graded: pd.Series,
    policy: PerformancePolicy,
    districts: pd.Series | None = None,
) -> dict[str, pd.Series]:
    """Benchmark (基准值) of each weighted indicator, one value per firm (its group's).

    Parameters
    ----------
    values
        Indicator columns, negative values already counted as 0.
    groups
        ``'above'`` or ``'below'`` per firm.
    graded
        The firms the means are taken over (evaluated, not in transition).
    policy
        ``scoring.method``: ``benchmark_ratio`` — ``benchmark_multiplier`` × mean over
        the graded firms of the group; ``county_mean`` — the same per group and county
        (``districts``); ``fixed`` — ``fixed_benchmarks[group][indicator]``.
    districts
        County/district code per firm, for ``county_mean``.

    Returns
    -------
    dict
        Indicator → benchmark per firm (NaN for a group with no graded firm).

    Examples
    --------
    >>> from devzone.policy import load_policy, replace
    >>> pol = replace(load_policy().performance, weights={"above": {"tax_per_mu_wan": 100.0}})
    >>> v = pd.DataFrame({"tax_per_mu_wan": [10.0, 30.0, 500.0]})
    >>> b = benchmarks(v, groups=pd.Series(["above"] * 3),
    ...                graded=pd.Series([True, True, False]), policy=pol)
    >>> b["tax_per_mu_wan"].tolist()   # mean of the two graded firms
    [20.0, 20.0, 20.0]
    """
    if policy.scoring.method == "fixed":
        return _fixed_benchmarks(groups, policy=policy)
    keys: list[pd.Series] = [groups]
    if policy.scoring.method == "county_mean" and districts is not None:
        keys.append(districts.astype(object).where(districts.notna(), "?"))
    mult = float(policy.scoring.benchmark_multiplier)
    out: dict[str, pd.Series] = {}
    for ind in _weighted_indicators(policy):
        mean = values[ind].where(graded).groupby(keys, dropna=False).transform("mean")
        out[ind] = mean * mult
    return out


def _ratio_scores(
    clipped: pd.DataFrame,
    benches: Mapping[str, pd.Series],
    *,
    groups: pd.Series,
    policy: PerformancePolicy,
) -> pd.Series:
    """Σ weight × min(value ÷ benchmark, cap) per firm (0 points for a benchmark ≤ 0).

    Examples
    --------
    >>> from devzone.policy import load_policy, replace
    >>> pol = replace(load_policy().performance, weights={"above": {"tax_per_mu_wan": 100.0}})
    >>> v = pd.DataFrame({"tax_per_mu_wan": [10.0, 50.0, None]})
    >>> b = {"tax_per_mu_wan": pd.Series([20.0, 20.0, 20.0])}
    >>> _ratio_scores(v, b, groups=pd.Series(["above"] * 3), policy=pol).tolist()
    [50.0, 200.0, 0.0]
    """
    cap = float(policy.scoring.cap)
    score = pd.Series(np.nan, index=clipped.index, dtype=float)
    for g, w in policy.weights.items():
        in_g = (groups == g).to_numpy()
        if not in_g.any():
            continue
        total = np.zeros(int(in_g.sum()))
        for ind, weight in w.items():
            x = clipped[ind].to_numpy()[in_g]
            b = benches[ind].to_numpy()[in_g]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(b > 0, x / b, 0.0)
            ratio = np.minimum(np.nan_to_num(ratio, nan=0.0), cap)
            total += float(weight) * ratio
        score[in_g] = total
    return score


def _min_max_scores(
    clipped: pd.DataFrame,
    *,
    groups: pd.Series,
    graded: pd.Series,
    policy: PerformancePolicy,
) -> pd.Series:
    """旌德: Σ w × [floor + span × (x − min) ÷ (max − min)] ÷ 100 over the graded firms.

    Examples
    --------
    >>> from devzone.policy import load_policy, replace
    >>> pol = replace(load_policy().performance, weights={"above": {"tax_per_mu_wan": 100.0}})
    >>> v = pd.DataFrame({"tax_per_mu_wan": [10.0, 30.0, 50.0]})
    >>> _min_max_scores(v, groups=pd.Series(["above"] * 3),
    ...                 graded=pd.Series([True] * 3), policy=pol).tolist()
    [20.0, 60.0, 100.0]
    """
    floor = float(policy.scoring.min_max_floor)
    span = float(policy.scoring.min_max_span)
    score = pd.Series(np.nan, index=clipped.index, dtype=float)
    for g, w in policy.weights.items():
        in_g = groups == g
        if not in_g.any():
            continue
        total = np.zeros(int(in_g.sum()))
        mask = graded & in_g
        for ind, weight in w.items():
            x = clipped.loc[in_g, ind]
            lo, hi = clipped.loc[mask, ind].min(), clipped.loc[mask, ind].max()
            width = hi - lo
            frac = (x - lo) / width if width > 0 else pd.Series(1.0, index=x.index)
            frac = frac.clip(0, 1)
            pts = float(weight) * (floor + span * frac) / 100.0
            total += pts.where(x.notna(), 0.0).fillna(0.0).to_numpy()
        score[in_g] = total
    return score


def score_enterprises(
    values: pd.DataFrame,
    *,
    groups: pd.Series,
    graded: pd.Series,
    policy: PerformancePolicy,
    districts: pd.Series | None = None,
) -> pd.Series:
    """Composite score (综合得分) of each firm under the configured method.

    Parameters
    ----------
    values
        Indicator columns (see :func:`enterprise_indicators`), one row per firm.
    groups
        ``'above'`` (规上) or ``'below'`` (规下) per firm.
    graded
        True for the firms that are graded (evaluated, not in transition): benchmarks,
        minima and maxima are taken over them only.
    policy
        The performance policy (``scoring``, ``weights``, ``fixed_benchmarks``).
    districts
        County/district code per firm, for method ``county_mean``.

    Returns
    -------
    Series
        Score per firm; NaN for firms of a group with no weights. A missing indicator
        scores 0 points; negative values count as 0.

    Raises
    ------
    ConfigError
        A weight names an unknown indicator, or method ``fixed`` lacks a benchmark.

    Notes
    -----
    ``benchmark_ratio``: Σ w × min(max(x, 0) ÷ b, cap), b = multiplier × mean of x over
    the graded firms of the group (``county_mean``: and county; ``fixed``: from config);
    a benchmark ≤ 0 gives 0 points (:func:`benchmarks`). ``min_max`` (旌德): Σ w ×
    [floor + span × (x − min) ÷ (max − min)] ÷ 100 over the graded firms of the group,
    (x − min) ÷ (max − min) taken as 1 when all are equal, clipped to [0, 1] for firms
    outside the graded range.

    Examples
    --------
    >>> from devzone.policy import load_policy, replace
    >>> pol = replace(load_policy().performance, weights={"above": {"tax_per_mu_wan": 100.0}})
    >>> v = pd.DataFrame({"tax_per_mu_wan": [10.0, 30.0, -5.0]})
    >>> score_enterprises(v, groups=pd.Series(["above"] * 3),
    ...                   graded=pd.Series([True] * 3), policy=pol).round(2).tolist()
    [75.0, 200.0, 0.0]
    """
    _check_indicators(policy.weights)
    clipped = values.clip(lower=0)
    if policy.scoring.method == "min_max":
        return _min_max_scores(clipped, groups=groups, graded=graded, policy=policy)
    benches = benchmarks(clipped, groups=groups, graded=graded, policy=policy, districts=districts)
    return _ratio_scores(clipped, benches, groups=groups, policy=policy)


def grade_by_rank(
    scores: pd.Series,
    *,
    groups: pd.Series,
    graded: pd.Series,
    policy: PerformancePolicy,
) -> pd.DataFrame:
    """Rank and grade A/B/C/D within each group (分档) by the rank share r/n.

    r/n ≤ ``grades.A`` (25%) → A, ≤ ``grades.B`` (70%) → B, ≤ ``grades.C`` (95%) → C,
    else D. Scores are ranked after rounding to ``grades.score_decimals`` (6), so
    figures equal by hand tie (10.0 and 9.999999999999998 are the same score). Ties
    share the best rank of the tie (``grades.tie_method = "min"``), so tied firms get
    the same grade. With ``grades.nonpositive_grade_d`` a score of 0 or less is D
    whatever its rank: a firm with nothing to show for its land is not C because many
    others tie with it at the bottom. Firms not graded get rank NaN and grade None.

    Returns
    -------
    DataFrame
        ``rank`` (float, 1 = best), ``group_size`` and ``grade``, indexed like ``scores``.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> s = pd.Series([90.0, 80, 80, 70])
    >>> g = grade_by_rank(s, groups=pd.Series(["above"] * 4),
    ...                   graded=pd.Series([True] * 4), policy=load_policy().performance)
    >>> g["grade"].tolist()   # ranks 1, 2, 2, 4 of 4: 0.25 A, 0.5 B, 0.5 B, 1.0 D
    ['A', 'B', 'B', 'D']
    """
    cuts = policy.grades
    mask = graded.fillna(False).astype(bool) & scores.notna()
    s = scores.where(mask).round(int(cuts.score_decimals))
    rank = s.groupby(groups, dropna=False).rank(ascending=False, method=cuts.tie_method)
    n = mask.groupby(groups, dropna=False).transform("sum").where(mask)
    grade = pd.Series(None, index=scores.index, dtype=object)
    r, nn = rank.to_numpy(dtype=float), n.to_numpy(dtype=float)
    letters = ("A", "B", "C")
    # r/n ≤ share, for integer r: r ≤ floor(share × n), share × n rounded to 9 decimals
    # first (no float round-off at 0.7 × 10 = 7.000000000000001 or 0.95 × 20).
    conds = [r <= np.floor(np.round(float(getattr(cuts, letter)) * nn, 9)) for letter in letters]
    picked = np.select(conds, list(letters), default="D")
    if cuts.nonpositive_grade_d:
        picked = np.where(s.to_numpy(dtype=float) <= 0, "D", picked)
    grade[mask.to_numpy()] = picked[mask.to_numpy()]
    return pd.DataFrame({"rank": rank, "group_size": n, "grade": grade})


def _register(enterprises: pd.DataFrame | None) -> pd.DataFrame:
    """``enterprise`` rows indexed by ``credit_code`` (first row of a code wins)."""
    if enterprises is not None and len(enterprises):
        return enterprises.drop_duplicates("credit_code").set_index("credit_code")
    return pd.DataFrame(index=pd.Index([], name="credit_code"))


def _year_rows(indicators: pd.DataFrame, year: int) -> pd.DataFrame:
    """The indicator rows of ``year`` indexed by ``credit_code`` (last row of a code wins)."""
    ind = indicators[pd.to_numeric(indicators["year"], errors="coerce") == year]
    return ind.drop_duplicates("credit_code", keep="last").set_index("credit_code")


def _figures(ind: pd.DataFrame, ent: pd.DataFrame, land: pd.DataFrame) -> pd.DataFrame:
    """:func:`enterprise_figures` on rows already indexed by ``credit_code``."""
    df = pd.DataFrame(index=ind.index)
    for col in _REGISTER:
        own = ind[col] if col in ind else pd.Series(None, index=ind.index, dtype=object)
        own = own.astype(object)
        if col in ent:
            own = own.where(own.notna(), ent[col].reindex(ind.index).astype(object))
        df[col] = own
    if "production_start_year" in ent:
        df["production_start_year"] = ent["production_start_year"].reindex(ind.index)
    else:
        df["production_start_year"] = np.nan
    df = df.join(land[["land_mu", "zone_code"]], how="left")
    df["group_name"] = _group_names(df["is_above_scale"])
    for col in FIGURES:
        df[col] = pd.to_numeric(ind[col], errors="coerce") if col in ind else np.nan
    return df


def enterprise_figures(
    indicators: pd.DataFrame,
    *,
    year: int,
    land: pd.DataFrame,
    enterprises: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each firm with indicators for ``year``: register columns, land, group, figures.

    Parameters
    ----------
    indicators
        ``enterprise_indicator`` rows (any years; the last row of ``year`` per firm).
    land
        :func:`enterprise_land` output, indexed by ``credit_code``.
    enterprises
        ``enterprise`` rows filling the ``name``, ``industry_code``, ``is_above_scale``
        and ``status`` an indicator row lacks, and giving ``production_start_year``.

    Returns
    -------
    DataFrame
        Indexed by ``credit_code``: those columns, ``land_mu``, ``zone_code``,
        ``group_name`` (``above``/``below``) and the reported figures of :data:`FIGURES`.

    Examples
    --------
    >>> ind = pd.DataFrame({"credit_code": ["X", "X"], "year": [2018, 2019],
    ...                     "tax_wan": [1.0, 300.0]})
    >>> ent = pd.DataFrame({"credit_code": ["X"], "is_above_scale": [True],
    ...                     "production_start_year": [2010]})
    >>> land = pd.DataFrame({"land_mu": [10.0], "zone_code": ["Z"]},
    ...                     index=pd.Index(["X"], name="credit_code"))
    >>> f = enterprise_figures(ind, year=2019, land=land, enterprises=ent).loc["X"]
    >>> f["group_name"], f["tax_wan"], f["land_mu"], f["production_start_year"]
    ('above', np.float64(300.0), np.float64(10.0), np.int64(2010))
    """
    return _figures(_year_rows(indicators, year), _register(enterprises), land)


def exempt_industry(codes: pd.Series, *, policy: PerformancePolicy) -> pd.Series:
    """True for firms of an exempt industry (免评: utilities, waste, sewage).

    The GB/T 4754-2017 code (a leading section letter ignored) starts with one of
    ``exempt_industry_prefixes``.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> exempt_industry(pd.Series(["D4610", "C3311", None]),
    ...                 policy=load_policy().performance).tolist()
    [True, False, False]
    """
    code = codes.astype(object).where(codes.notna(), "")
    code = code.astype(str).str.replace(r"^[A-Za-z]+", "", regex=True)
    prefixes = tuple(str(p) for p in policy.exempt_industry_prefixes)
    if not prefixes:
        return pd.Series(False, index=codes.index)
    return code.str.startswith(prefixes)


def _status_text(status: pd.Series) -> pd.Series:
    """Enterprise status as text ('' when missing)."""
    return status.astype(object).where(status.notna(), "").astype(str)


def in_transition(
    start_years: pd.Series, statuses: pd.Series, *, year: int, policy: PerformancePolicy
) -> pd.Series:
    """True for firms in the transition period (过渡期).

    ``year − production_start_year < transition_years`` (3: 皖经信运行〔2021〕108号), or
    a status in ``transition_statuses`` (在建, 筹建 …).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> in_transition(pd.Series([2018, 2016, None]),
    ...               pd.Series(["operating", None, "在建"]),
    ...               year=2019, policy=load_policy().performance).tolist()
    [True, False, True]
    """
    years_on = year - pd.to_numeric(start_years, errors="coerce")
    young = (years_on < int(policy.transition_years)).fillna(False)
    return young | _status_text(statuses).isin([str(s) for s in policy.transition_statuses])


def evaluation_flags(firms: pd.DataFrame, *, year: int, policy: PerformancePolicy) -> pd.DataFrame:
    """Who is evaluated (参评) and who is graded (分档) — the eligibility step.

    Parameters
    ----------
    firms
        :func:`enterprise_figures` output: ``group_name``, ``land_mu``, ``status``,
        ``industry_code``, ``production_start_year``.

    Returns
    -------
    DataFrame
        Boolean columns, indexed like ``firms``: ``has_land``; ``enough_land`` (land,
        rounded to the certificate's ``land_mu_decimals`` (2) decimals of 亩, ≥
        ``min_land_mu_above`` / ``min_land_mu_below`` of its group: 3333.33 m² is
        4.999995 亩, printed 5.00 亩 on the certificate, and is ≥ 5 亩); ``excluded`` (a
        status in ``excluded_statuses``); ``evaluated`` (all three); ``exempt``
        (:func:`exempt_industry`); ``in_transition`` (:func:`in_transition`); ``t_grade``
        (evaluated, exempt or in transition: grade T); ``graded`` (evaluated, not T).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> firms = pd.DataFrame({"group_name": ["above", "below", "above"],
    ...                       "land_mu": [2.0, 4.0, 10.0], "status": None,
    ...                       "industry_code": ["C3311", "C3311", "D4610"],
    ...                       "production_start_year": [2010, 2010, 2010]})
    >>> f = evaluation_flags(firms, year=2019, policy=load_policy().performance)
    >>> f[["evaluated", "t_grade", "graded"]].values.tolist()   # 规下 on 4 亩 < 5 亩
    [[True, False, True], [False, False, False], [True, True, False]]
    """
    land_mu = firms["land_mu"].fillna(0)
    min_land = np.where(
        firms["group_name"] == "above",
        float(policy.min_land_mu_above),
        float(policy.min_land_mu_below),
    )
    status = _status_text(firms["status"])
    excluded = status.isin([str(s) for s in policy.excluded_statuses])
    has_land = land_mu > 0
    enough = land_mu.round(int(policy.land_mu_decimals)) >= min_land
    evaluated = has_land & enough & ~excluded
    exempt = exempt_industry(firms["industry_code"], policy=policy)
    transition = in_transition(
        firms["production_start_year"], firms["status"], year=year, policy=policy
    )
    t_grade = evaluated & (exempt | transition)
    return pd.DataFrame(
        {
            "has_land": has_land,
            "enough_land": enough,
            "excluded": excluded,
            "evaluated": evaluated,
            "exempt": exempt,
            "in_transition": transition,
            "t_grade": t_grade,
            "graded": evaluated & ~t_grade,
        },
        index=firms.index,
    )


def grade_enterprises(
    scores: pd.Series, *, groups: pd.Series, flags: pd.DataFrame, policy: PerformancePolicy
) -> pd.DataFrame:
    """The grading step: rank and A/B/C/D of the graded firms, T, none for the rest.

    Parameters
    ----------
    scores
        Score per firm (:func:`score_enterprises`), NaN for firms not evaluated.
    flags
        :func:`evaluation_flags` output.

    Returns
    -------
    DataFrame
        ``rank`` and ``group_size`` (nullable integers, NA for firms not graded) and
        ``grade``: A–D (:func:`grade_by_rank`), ``'T'`` for evaluated firms in
        transition or exempt, None for firms not evaluated.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> flags = pd.DataFrame({"evaluated": [True, True, True, False],
    ...                       "t_grade": [False, False, True, False],
    ...                       "graded": [True, True, False, False]})
    >>> g = grade_enterprises(pd.Series([80.0, 50.0, 99.0, None]),
    ...                       groups=pd.Series(["above"] * 4), flags=flags,
    ...                       policy=load_policy().performance)
    >>> g["grade"].tolist(), g["rank"].tolist()
    (['B', 'D', 'T', None], [1, 2, <NA>, <NA>])
    """
    ranked = grade_by_rank(scores, groups=groups, graded=flags["graded"], policy=policy)
    grade = ranked["grade"].where(~flags["t_grade"], "T")
    grade[~flags["evaluated"]] = None
    return pd.DataFrame(
        {
            "rank": ranked["rank"].astype("Int64"),
            "group_size": ranked["group_size"].astype("Int64"),
            "grade": grade,
        }
    )


def evaluation_notes(
    flags: pd.DataFrame,
    *,
    values: pd.DataFrame,
    groups: pd.Series,
    policy: PerformancePolicy,
) -> np.ndarray:
    """The ``note`` of each firm: why it is not graded, and which weighted indicators
    a graded firm lacks.

    ``no_land``, ``below_threshold``, ``excluded_status``, ``transition`` or ``exempt``
    (the last that applies), then ``missing:<indicator>`` for each weighted indicator
    of its group a graded firm has no value for, separated by ``;``.

    Examples
    --------
    >>> from devzone.policy import load_policy, replace
    >>> pol = replace(load_policy().performance, weights={"above": {"tax_per_mu_wan": 1.0}})
    >>> flags = pd.DataFrame({"has_land": [True, True, False], "enough_land": True,
    ...                       "excluded": False, "evaluated": [True, True, False],
    ...                       "in_transition": [False, True, False], "exempt": False,
    ...                       "graded": [True, False, False]})
    >>> evaluation_notes(flags, values=pd.DataFrame({"tax_per_mu_wan": [None, 1.0, None]}),
    ...                  groups=pd.Series(["above"] * 3), policy=pol).tolist()
    ['missing:tax_per_mu_wan', 'transition', 'no_land']
    """
    has_land, evaluated = flags["has_land"], flags["evaluated"]
    note = np.full(len(flags), "", dtype=object)
    note = np.where(~has_land, "no_land", note)
    note = np.where(has_land & ~flags["enough_land"], "below_threshold", note)
    note = np.where(flags["excluded"] & has_land, "excluded_status", note)
    note = np.where(evaluated & flags["in_transition"], "transition", note)
    note = np.where(evaluated & flags["exempt"], "exempt", note)
    for g, w in policy.weights.items():
        for name in w:
            miss = (flags["graded"] & (groups == g) & values[name].isna()).to_numpy()
            if miss.any():
                note = np.where(
                    miss, note + np.where(note == "", "", ";") + "missing:" + name, note
                )
    return note


def _districts(zone_codes: pd.Series, zones: pd.DataFrame | None) -> pd.Series | None:
    """County/district code of each firm's zone (``dev_zone.district_code``)."""
    if zones is None or "district_code" not in zones:
        return None
    zmap = zones.drop_duplicates("zone_code").set_index("zone_code")["district_code"]
    return zone_codes.map(zmap)


def _firms_lacking_indicators(
    land: pd.DataFrame, have: pd.Index, ent: pd.DataFrame, year: int
) -> pd.DataFrame | None:
    """Firms with land but no indicator row for ``year``: listed, not evaluated."""
    lacking = land.index.difference(have)
    if not len(lacking):
        return None
    extra = pd.DataFrame({"credit_code": lacking})
    for col in ("name", "industry_code", "is_above_scale"):
        extra[col] = ent[col].reindex(lacking).to_numpy() if col in ent else None
    extra["group_name"] = _group_names(extra["is_above_scale"])
    extra["land_mu"] = land["land_mu"].reindex(lacking).to_numpy()
    extra["zone_code"] = land["zone_code"].reindex(lacking).to_numpy()
    extra["year"] = year
    extra["evaluated"] = False
    extra["note"] = "no_indicators"
    return extra.reindex(columns=list(EVALUATION_COLUMNS))


def evaluate_enterprises(
    indicators: pd.DataFrame,
    *,
    year: int,
    land: pd.DataFrame,
    enterprises: pd.DataFrame | None = None,
    zones: pd.DataFrame | None = None,
    policy: PerformancePolicy,
) -> pd.DataFrame:
    """Evaluate every firm with indicators for ``year`` (企业亩均效益评价).

    Parameters
    ----------
    indicators
        ``enterprise_indicator`` rows (any years; those of ``year`` are used).
    year
        Evaluation year.
    land
        :func:`enterprise_land` output, indexed by ``credit_code``.
    enterprises
        ``enterprise`` rows (name, industry_code, is_above_scale, status,
        production_start_year) filling what the indicator rows lack.
    zones
        ``dev_zone`` rows (``zone_code``, ``district_code``) for method ``county_mean``.
    policy
        The performance policy (``load_policy().performance``).

    Returns
    -------
    DataFrame
        One row per firm, the columns of :data:`EVALUATION_COLUMNS`.

    Notes
    -----
    The steps: :func:`enterprise_figures`, :func:`enterprise_indicators`,
    :func:`evaluation_flags`, :func:`score_enterprises`, :func:`grade_enterprises`,
    :func:`evaluation_notes`.

    Evaluated (参评): 规上 firms with land; 规下 firms with land ≥ ``min_land_mu_below`` 亩.
    Firms with land (in ``land``) but no indicator row for ``year`` are listed too,
    not evaluated, with note ``no_indicators``.
    Grade T (evaluated, not graded): ``year − production_start_year <
    transition_years``, a status in ``transition_statuses``, or an industry code starting
    with one of ``exempt_industry_prefixes``. Bankrupt, closed and suspended firms are
    graded on their own figures (so usually D) unless their status is listed in
    ``excluded_statuses``. The score of a T firm is computed against the graded firms'
    benchmarks for information; it gets no rank.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> ind = pd.DataFrame({"credit_code": ["X", "Y"], "year": 2019,
    ...                     "is_above_scale": True, "tax_wan": [300.0, 100.0]})
    >>> land = pd.DataFrame({"land_mu": [10.0, 10.0, 3.0], "zone_code": "Z"},
    ...                     index=pd.Index(["X", "Y", "W"], name="credit_code"))
    >>> ev = evaluate_enterprises(ind, year=2019, land=land,
    ...                           policy=load_policy().performance)
    >>> ev[["credit_code", "score", "grade"]].values.tolist()   # 45 × 30/20, 45 × 10/20
    [['X', 67.5, 'B'], ['Y', 22.5, 'D'], ['W', nan, nan]]
    >>> ev["note"].iloc[2]
    'no_indicators'
    """
    ent = _register(enterprises)
    df = _figures(_year_rows(indicators, year), ent, land)
    values = enterprise_indicators(df)
    df = df.join(values)
    flags = evaluation_flags(df, year=year, policy=policy)
    groups = df["group_name"]
    score = score_enterprises(
        values,
        groups=groups,
        graded=flags["graded"],
        policy=policy,
        districts=_districts(df["zone_code"], zones),
    )
    df["score"] = score.where(flags["evaluated"])
    graded = grade_enterprises(df["score"], groups=groups, flags=flags, policy=policy)
    df["rank"], df["group_size"] = graded["rank"], graded["group_size"]
    df["grade"] = graded["grade"]
    df["evaluated"] = flags["evaluated"]
    df["note"] = evaluation_notes(flags, values=values, groups=groups, policy=policy)
    df["year"] = year
    df.index.name = "credit_code"
    out = df.reset_index()[list(EVALUATION_COLUMNS)]
    extra = _firms_lacking_indicators(land, df.index, ent, year)
    if extra is not None:
        out = pd.concat([out, extra], ignore_index=True) if len(out) else extra
    out["evaluated"] = out["evaluated"].astype(bool)
    return out


def _join_names(keys: pd.Series, names: pd.Series, sep: str = "、") -> pd.Series:
    """``sep``-joined names per key, in the given row order (one pass per position).

    Examples
    --------
    >>> import pandas as pd
    >>> _join_names(pd.Series([1, 2, 2]), pd.Series(["a", "b", "c"])).to_dict()
    {1: 'a', 2: 'b、c'}
    """
    k = keys.to_numpy()
    v = names.to_numpy(dtype=object)
    multi = keys.duplicated(keep=False).to_numpy()
    out = pd.Series(v[~multi], index=k[~multi], dtype=object)
    if not multi.any():
        return out
    km, vm = k[multi], v[multi]
    pos = pd.Series(km).groupby(km, sort=False).cumcount().to_numpy()
    joined = pd.Series(vm[pos == 0], index=km[pos == 0], dtype=object)
    for p in range(1, int(pos.max()) + 1):
        at = pos == p
        extra = pd.Series(vm[at], index=km[at], dtype=object)
        hit = joined.index.isin(extra.index)
        joined[hit] = joined[hit] + sep + extra.reindex(joined.index[hit]).to_numpy()
    return pd.concat([out, joined])


def parcel_performance(
    parcels: pd.DataFrame,
    shares: pd.DataFrame,
    evaluation: pd.DataFrame,
    *,
    year: int,
    enterprises: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-parcel performance (宗地亩均效益): each parcel carries its firms' results.

    Parameters
    ----------
    parcels
        ``parcel_code``, ``zone_code``: every parcel appears in the result.
    shares
        :func:`land_shares` output.
    evaluation
        :func:`evaluate_enterprises` output for ``year``.
    enterprises
        Optional ``enterprise`` rows, to name firms without indicators.

    Returns
    -------
    DataFrame
        Columns of the ``parcel_performance`` table.

    Notes
    -----
    ``score``, ``tax_per_mu_wan`` and ``revenue_per_mu_wan`` are averaged over the
    firms on the parcel weighted by the land each uses there. ``grade`` is the grade of
    the firm with the largest share among the firms that have a grade (ties: higher
    score), so one grade colours one parcel. No firm → ``'none'`` with
    ``performance_note = 'no_enterprise'``; firms but none with indicators for the year →
    ``'none'``, ``'no_indicators'``; firms with indicators but none evaluated (small 规下
    firms) → ``'none'`` with an empty note.
    """
    base = parcels[["parcel_code", "zone_code"]].drop_duplicates("parcel_code")
    cols = ["credit_code", "grade", "score", "tax_per_mu_wan", "revenue_per_mu_wan", "name"]
    ev = evaluation[[*cols, "note"]].drop_duplicates("credit_code")
    ev = ev.assign(has_ind=ev["note"].ne("no_indicators")).drop(columns="note")
    s = shares[["parcel_code", "credit_code", "share_m2"]].merge(ev, on="credit_code", how="left")
    s["has_ind"] = s["has_ind"].eq(True)
    if enterprises is not None and "name" in enterprises:
        names = enterprises.drop_duplicates("credit_code").set_index("credit_code")["name"]
        s["name"] = s["name"].where(s["name"].notna(), s["credit_code"].map(names))
    s["name"] = s["name"].where(s["name"].notna(), s["credit_code"]).astype(str)
    # Group by parcel with integer positions and bincount (no string group-bys).
    key, parcel_index = pd.factorize(s["parcel_code"])
    n = len(parcel_index)
    w = s["share_m2"].fillna(0.0).to_numpy(dtype=float)
    agg = pd.DataFrame(
        {
            "enterprise_count": np.bincount(key, minlength=n),
            "with_ind": np.bincount(key, weights=s["has_ind"].to_numpy(float), minlength=n),
        },
        index=parcel_index,
    )
    for col in ("score", "tax_per_mu_wan", "revenue_per_mu_wan"):
        x = s[col].to_numpy(dtype=float)
        ok = ~np.isnan(x) & (w > 0)
        num = np.bincount(key, weights=np.where(ok, x * w, 0.0), minlength=n)
        den = np.bincount(key, weights=np.where(ok, w, 0.0), minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            agg[col] = np.where(den > 0, num / den, np.nan)
    # One sort: parcel, share descending, score descending, then credit code.
    score = s["score"].to_numpy(dtype=float)
    order = np.lexsort(
        (
            pd.factorize(s["credit_code"], sort=True)[0],
            -np.nan_to_num(score, nan=-np.inf),
            -w,
            key,
        )
    )
    by_share = s.iloc[order]
    graded = by_share[by_share["grade"].notna()]
    agg["grade"] = graded.drop_duplicates("parcel_code").set_index("parcel_code")["grade"]
    agg["enterprise_names"] = _join_names(by_share["parcel_code"], by_share["name"])

    out = base.merge(agg, left_on="parcel_code", right_index=True, how="left")
    count = out["enterprise_count"].fillna(0).astype(int)
    with_ind = out["with_ind"].fillna(0)
    out["enterprise_count"] = count
    out["performance_note"] = np.select(
        [count == 0, with_ind == 0], ["no_enterprise", "no_indicators"], default=""
    )
    out["grade"] = out["grade"].where(out["grade"].notna(), "none")
    out["enterprise_names"] = out["enterprise_names"].fillna("")
    out["year"] = year
    cols = [
        "year",
        "parcel_code",
        "zone_code",
        "grade",
        "score",
        "tax_per_mu_wan",
        "revenue_per_mu_wan",
        "enterprise_count",
        "performance_note",
        "enterprise_names",
    ]
    return out[cols].reset_index(drop=True)
