"""亩均效益评价: per-enterprise and per-parcel land-use performance (POLICY §2).

Pure, vectorised functions over DataFrames (no I/O). The chain a job runs:

1. :func:`parcel_area_m2` — each parcel's area (registered, else measured);
2. :func:`land_shares` — how much of each parcel each firm uses (宗地企业对照);
3. :func:`enterprise_land` — each firm's land in 亩 and its main zone;
4. :func:`evaluate_enterprises` — indicators, who is evaluated, score, rank, grade;
5. :func:`parcel_performance` — each parcel carries the grade of the firms on it.

Every weight, threshold, share and method comes from the ``[performance]`` table of
the policy config (``data/policy/performance.toml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from devzone.crs import AREA_CRS
from devzone.errors import ConfigError

__all__ = [
    "INDICATORS",
    "M2_PER_MU",
    "enterprise_indicators",
    "enterprise_land",
    "evaluate_enterprises",
    "grade_by_rank",
    "land_shares",
    "parcel_area_m2",
    "parcel_performance",
    "score_enterprises",
]

#: Square metres in one 亩 (mu): 10000/15.
M2_PER_MU = 10000.0 / 15.0

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

_METHODS = ("benchmark_ratio", "county_mean", "fixed", "min_max")
_GROUPS = ("above", "below")


def _policy(policy: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if policy is None:
        from devzone.config import load_policy

        return load_policy()["performance"]
    return policy.get("performance", policy)


def parcel_area_m2(parcels: pd.DataFrame, *, area_crs: str = AREA_CRS) -> pd.Series:
    """Area of each parcel in m² (宗地面积): registered ``area_m2``, else measured.

    The measured area is the geometry's area in the projected ``area_crs`` (never in
    degrees). Parcels with neither give NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> parcel_area_m2(pd.DataFrame({"area_m2": [1000.0, None]})).tolist()
    [1000.0, nan]
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
            measured = geom[need].to_crs(area_crs).area
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
        on a parcel, its area is split equally among its firms.

    Examples
    --------
    >>> import pandas as pd
    >>> links = pd.DataFrame({"parcel_code": ["P", "P"], "credit_code": ["X", "Y"],
    ...                       "used_area_m2": [None, None]})
    >>> parcels = pd.DataFrame({"parcel_code": ["P"], "area_m2": [1000.0],
    ...                         "zone_code": ["Z"]})
    >>> land_shares(links, parcels)["share_m2"].tolist()
    [500.0, 500.0]
    """
    cols = ["parcel_code", "credit_code"]
    df = links[cols].copy()
    used = links.get("used_area_m2", np.nan)
    df["used_area_m2"] = pd.to_numeric(pd.Series(used, index=links.index), errors="coerce")
    df = df.dropna(subset=cols).drop_duplicates(cols)
    p = parcels[["parcel_code", "area_m2", "zone_code"]].drop_duplicates("parcel_code")
    df = df.merge(p, on="parcel_code", how="left")
    known = df["used_area_m2"].where(df["used_area_m2"] > 0)
    n_unknown = known.isna().groupby(df["parcel_code"]).transform("sum")
    rest = df["area_m2"] - known.fillna(0.0).groupby(df["parcel_code"]).transform("sum")
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


def _benchmarks(
    values: pd.DataFrame,
    *,
    groups: pd.Series,
    graded: pd.Series,
    weights: Mapping[str, Mapping[str, float]],
    pol: Mapping[str, Any],
    districts: pd.Series | None,
) -> dict[str, pd.Series]:
    """Benchmark of each weighted indicator, one value per firm (its group's)."""
    method = pol.get("method", "benchmark_ratio")
    mult = float(pol.get("benchmark_multiplier", 1.0))
    out: dict[str, pd.Series] = {}
    names = sorted({k for w in weights.values() for k in w})
    if method == "fixed":
        fixed = pol.get("fixed_benchmarks", {})
        for ind in names:
            per_group = {g: fixed.get(g, {}).get(ind) for g in weights if ind in weights[g]}
            missing = [g for g, v in per_group.items() if v is None]
            if missing:
                raise ConfigError(
                    f"Scoring method 'fixed' needs performance.fixed_benchmarks.{missing[0]}."
                    f"{ind} = <value> in the policy config."
                )
            out[ind] = groups.map({g: float(v) for g, v in per_group.items()}).astype(float)
        return out
    keys: list[pd.Series] = [groups]
    if method == "county_mean" and districts is not None:
        keys.append(districts.astype(object).where(districts.notna(), "?"))
    for ind in names:
        graded_vals = values[ind].where(graded)
        mean = graded_vals.groupby(keys, dropna=False).transform("mean")
        out[ind] = mean * mult
    return out


def score_enterprises(
    values: pd.DataFrame,
    *,
    groups: pd.Series,
    graded: pd.Series,
    policy: Mapping[str, Any] | None = None,
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
        The ``[performance]`` config table (default: the shipped one).
    districts
        County/district code per firm, for method ``county_mean``.

    Returns
    -------
    Series
        Score per firm; NaN for firms of a group with no weights. A missing indicator
        scores 0 points; negative values count as 0.

    Notes
    -----
    ``benchmark_ratio``: Σ w × min(max(x, 0) ÷ b, cap), b = multiplier × mean of x over
    the graded firms of the group (``county_mean``: and county; ``fixed``: from config);
    a benchmark ≤ 0 gives 0 points. ``min_max`` (旌德): Σ w × [floor + span × (x − min) ÷
    (max − min)] ÷ 100 over the graded firms of the group, (x − min) ÷ (max − min) taken as
    1 when all are equal, clipped to [0, 1] for firms outside the graded range.
    """
    pol = _policy(policy)
    scoring = pol.get("scoring", {})
    method = scoring.get("method", "benchmark_ratio")
    if method not in _METHODS:
        raise ConfigError(
            f"Policy setting performance.scoring.method = {method!r} is not one of "
            f"{', '.join(_METHODS)}."
        )
    weights: Mapping[str, Mapping[str, float]] = pol.get("weights", {})
    for g, w in weights.items():
        unknown = [k for k in w if k not in INDICATORS]
        if unknown:
            raise ConfigError(
                f"Policy table performance.weights.{g} names unknown indicator {unknown[0]!r}; "
                f"known: {', '.join(INDICATORS)}."
            )
        bad = [k for k, v in w.items() if isinstance(v, bool) or not isinstance(v, int | float)]
        if bad:
            raise ConfigError(
                f"Policy setting performance.weights.{g}.{bad[0]} = {w[bad[0]]!r} is not a "
                "number; write it like 45.0."
            )
    clipped = values.clip(lower=0)
    score = pd.Series(np.nan, index=values.index, dtype=float)
    if method == "min_max":
        floor = float(scoring.get("min_max_floor", 20.0))
        span = float(scoring.get("min_max_span", 80.0))
        for g, w in weights.items():
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
    cap = float(scoring.get("cap", 2.0))
    bench_pol = dict(scoring)
    bench_pol["fixed_benchmarks"] = pol.get("fixed_benchmarks", {})
    benches = _benchmarks(
        clipped,
        groups=groups,
        graded=graded,
        weights=weights,
        pol=bench_pol,
        districts=districts,
    )
    for g, w in weights.items():
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


def grade_by_rank(
    scores: pd.Series,
    *,
    groups: pd.Series,
    graded: pd.Series,
    policy: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Rank and grade A/B/C/D within each group (分档): r/n ≤ 25% → A, ≤ 70% → B, ≤ 95% → C.

    Ties share the best rank of the tie (``tie_method = "min"``), so tied firms get the
    same grade. Firms not graded get rank NaN and grade None.

    Returns
    -------
    DataFrame
        ``rank`` (float, 1 = best), ``group_size`` and ``grade``, indexed like ``scores``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([90.0, 80, 80, 70])
    >>> g = grade_by_rank(s, groups=pd.Series(["above"] * 4),
    ...                   graded=pd.Series([True] * 4))
    >>> g["grade"].tolist()   # ranks 1, 2, 2, 4 of 4: 0.25 A, 0.5 B, 0.5 B, 1.0 D
    ['A', 'B', 'B', 'D']
    """
    pol = _policy(policy)
    cuts = pol.get("grades", {})
    tie = cuts.get("tie_method", "min")
    mask = graded.fillna(False).astype(bool) & scores.notna()
    s = scores.where(mask)
    rank = s.groupby(groups, dropna=False).rank(ascending=False, method=tie)
    n = mask.groupby(groups, dropna=False).transform("sum").where(mask)
    grade = pd.Series(None, index=scores.index, dtype=object)
    r, nn = rank.to_numpy(dtype=float), n.to_numpy(dtype=float)
    conds, letters = [], []
    for letter in ("A", "B", "C"):
        share = float(cuts.get(letter, {"A": 0.25, "B": 0.70, "C": 0.95}[letter]))
        # r/n ≤ share, for integer r: r ≤ floor(share × n) (no float round-off at 0.7 × 10).
        conds.append(r <= np.floor(share * nn + 1e-9))
        letters.append(letter)
    picked = np.select(conds, letters, default="D")
    grade[mask.to_numpy()] = picked[mask.to_numpy()]
    return pd.DataFrame({"rank": rank, "group_size": n, "grade": grade})


def evaluate_enterprises(
    indicators: pd.DataFrame,
    *,
    year: int,
    land: pd.DataFrame,
    enterprises: pd.DataFrame | None = None,
    zones: pd.DataFrame | None = None,
    policy: Mapping[str, Any] | None = None,
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
        The ``[performance]`` config table (default: the shipped one).

    Returns
    -------
    DataFrame
        One row per firm, columns of the ``enterprise_evaluation`` table.

    Notes
    -----
    Evaluated (参评): 规上 firms with land; 规下 firms with land ≥ ``min_land_mu_below`` 亩.
    Firms with land (in ``land``) but no indicator row for ``year`` are listed too,
    not evaluated, with note ``no_indicators``.
    Grade T (evaluated, not graded): ``year − production_start_year <
    transition_years``, a status in ``transition_statuses``, or an industry code starting
    with one of ``exempt_industry_prefixes``. Bankrupt, closed and suspended firms are
    graded on their own figures (so usually D) unless their status is listed in
    ``excluded_statuses``. The score of a T firm is computed against the graded firms'
    benchmarks for information; it gets no rank.
    """
    pol = _policy(policy)
    ind = indicators[pd.to_numeric(indicators["year"], errors="coerce") == year].copy()
    ind = ind.drop_duplicates("credit_code", keep="last").set_index("credit_code")
    ent = (
        enterprises.drop_duplicates("credit_code").set_index("credit_code")
        if enterprises is not None and len(enterprises)
        else pd.DataFrame(index=pd.Index([], name="credit_code"))
    )
    df = pd.DataFrame(index=ind.index)
    for col in ("name", "industry_code", "is_above_scale", "status"):
        own = ind[col] if col in ind else pd.Series(None, index=ind.index, dtype=object)
        own = own.astype(object)
        if col in ent:
            own = own.where(own.notna(), ent[col].reindex(ind.index).astype(object))
        df[col] = own
    if "production_start_year" in ent:
        psy = ent["production_start_year"].reindex(ind.index)
    else:
        psy = pd.Series(np.nan, index=ind.index)
    df = df.join(land[["land_mu", "zone_code"]], how="left")
    above = df["is_above_scale"].isin([True, "1", "true", "True", "是"])
    df["group_name"] = np.where(above, "above", "below")

    for col in (
        "tax_wan",
        "revenue_wan",
        "value_added_wan",
        "energy_tce",
        "emissions_t",
        "rd_wan",
        "employees",
        "tech_invest_wan",
    ):
        df[col] = pd.to_numeric(ind[col], errors="coerce") if col in ind else np.nan
    values = enterprise_indicators(df)
    df = df.join(values)

    land_mu = df["land_mu"]
    min_land = np.where(
        df["group_name"] == "above",
        float(pol.get("min_land_mu_above", 0.0)),
        float(pol.get("min_land_mu_below", 5.0)),
    )
    status = df["status"].astype(object).where(df["status"].notna(), "").astype(str)
    excluded = status.isin([str(s) for s in pol.get("excluded_statuses", [])])
    has_land = land_mu.fillna(0) > 0
    enough = land_mu.fillna(0) >= min_land
    evaluated = has_land & enough & ~excluded
    code = df["industry_code"].astype(object).where(df["industry_code"].notna(), "")
    code = code.astype(str).str.replace(r"^[A-Za-z]+", "", regex=True)
    prefixes = tuple(str(p) for p in pol.get("exempt_industry_prefixes", []))
    exempt = code.str.startswith(prefixes) if prefixes else pd.Series(False, index=df.index)
    years_on = year - pd.to_numeric(psy, errors="coerce")
    in_transition = (years_on < int(pol.get("transition_years", 3))).fillna(False) | status.isin(
        [str(s) for s in pol.get("transition_statuses", [])]
    )
    t_grade = evaluated & (exempt | in_transition)
    graded = evaluated & ~t_grade

    districts = None
    if zones is not None and "district_code" in zones:
        zmap = zones.drop_duplicates("zone_code").set_index("zone_code")["district_code"]
        districts = df["zone_code"].map(zmap)
    score = score_enterprises(
        values, groups=df["group_name"], graded=graded, policy=pol, districts=districts
    )
    df["score"] = score.where(evaluated)
    ranked = grade_by_rank(df["score"], groups=df["group_name"], graded=graded, policy=pol)
    df["rank"] = ranked["rank"].astype("Int64")
    df["group_size"] = ranked["group_size"].astype("Int64")
    df["grade"] = ranked["grade"].where(~t_grade, "T")
    df.loc[~evaluated, "grade"] = None
    df["evaluated"] = evaluated

    note = np.full(len(df), "", dtype=object)
    note = np.where(~has_land, "no_land", note)
    note = np.where(has_land & ~enough, "below_threshold", note)
    note = np.where(excluded & has_land, "excluded_status", note)
    note = np.where(evaluated & in_transition, "transition", note)
    note = np.where(evaluated & exempt, "exempt", note)
    weights = pol.get("weights", {})
    for g, w in weights.items():
        for name in w:
            miss = (graded & (df["group_name"] == g) & values[name].isna()).to_numpy()
            if miss.any():
                note = np.where(
                    miss, note + np.where(note == "", "", ";") + "missing:" + name, note
                )
    df["note"] = note
    df["year"] = year
    df.index.name = "credit_code"
    cols = [
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
    ]
    out = df.reset_index()[cols]
    # Firms with land but no indicator row for the year: listed, not evaluated.
    lacking = land.index.difference(ind.index)
    if len(lacking):
        extra = pd.DataFrame({"credit_code": lacking})
        for col in ("name", "industry_code", "is_above_scale"):
            extra[col] = ent[col].reindex(lacking).to_numpy() if col in ent else None
        extra["group_name"] = np.where(
            extra["is_above_scale"].isin([True, "1", "true", "True", "是"]), "above", "below"
        )
        extra["land_mu"] = land["land_mu"].reindex(lacking).to_numpy()
        extra["zone_code"] = land["zone_code"].reindex(lacking).to_numpy()
        extra["year"] = year
        extra["evaluated"] = False
        extra["note"] = "no_indicators"
        extra = extra.reindex(columns=cols)
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
