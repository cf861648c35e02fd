"""Composite score and ranking of zones within their type (开发区分类评价与争先进位).

Each indicator scores ``clip((value − worst) / (ideal − worst), 0, 1)`` — a linear
scale from the worst value (0) to the ideal value (1), which also serves indicators
where less is better (闲置率: ideal 0, worst 10%). The composite is the weighted mean
× 100 under the weights of ``[zones.score]``.

A missing input is never scored 0. An indicator missing for one zone (no data, or no
land with the data: see the coverage of :mod:`devzone.zones.indicators`) is left out of
*that zone's* composite and the weights of its other indicators are renormalised; the
zone's ``missing_indicators`` names what was left out and ``known_weight_share`` the
share of the weight that was known. A zone whose known weight share is below ``[zones]
min_known_weight_share`` is not scored or ranked (too little is known to compare it).
An indicator missing for *every* zone of the year is listed in ``attrs["dropped"]``.
Values and composite are compared at ``[zones] score_decimals``, so equal figures tie.
The official TD/T 1029 weights and ideal values are unconfirmed: the shipped ones are
defaults.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from devzone.errors import ConfigError
from devzone.policy.sections import ScoreIndicator

__all__ = ["composite_score", "rank_change", "rank_within_type"]


def composite_score(
    indicators: pd.DataFrame,
    *,
    weights: Mapping[str, ScoreIndicator],
    decimals: int,
    min_known_weight_share: float,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Per-indicator scores (0–1) and the composite score (综合得分, 0–100).

    Parameters
    ----------
    indicators
        One row per zone with the indicator columns named in ``weights``.
    weights
        ``[zones.score]`` (``ZonesPolicy.score``): indicator → weight, ideal, worst.
    decimals
        ``[zones] score_decimals``: values and the composite are rounded to it.
    min_known_weight_share
        ``[zones] min_known_weight_share``: below it a zone gets no score.
    labels
        Indicator → label for ``missing_indicators`` (the key itself without one).

    Returns
    -------
    DataFrame
        Indexed like ``indicators``: ``s_<indicator>`` for each (NaN when missing),
        ``score`` (over the known indicators, weights renormalised; NaN when too little
        is known), ``known_weight_share`` and ``missing_indicators`` (names joined by
        "、", "" when none).

    Examples
    --------
    The second zone has no ``y``: its composite is ``x`` alone (weights 3 → 3/3).

    >>> df = pd.DataFrame({"x": [0.5, 1.5], "y": [0.02, None]})
    >>> w = {"x": ScoreIndicator(weight=3.0, ideal=1.0, worst=0.0),
    ...      "y": ScoreIndicator(weight=1.0, ideal=0.0, worst=0.1)}
    >>> out = composite_score(df, weights=w, decimals=6, min_known_weight_share=0.5)
    >>> out["score"].round(2).tolist(), out["missing_indicators"].tolist()
    ([57.5, 100.0], ['', 'y'])
    >>> out["known_weight_share"].tolist()
    [1.0, 0.75]
    """
    if not weights:
        raise ConfigError("no indicator weights in [zones.score]")
    out = pd.DataFrame(index=indicators.index)
    dropped: list[str] = []
    weighted = pd.Series(0.0, index=indicators.index)
    known_w = pd.Series(0.0, index=indicators.index)
    total_w = 0.0
    missing: list[pd.Series] = []
    for name, spec in weights.items():
        w, ideal, worst = spec.weight, spec.ideal, spec.worst
        if ideal == worst:
            raise ConfigError(f"[zones.score.{name}]: ideal and worst must differ")
        if name not in indicators.columns:
            raise ConfigError(f"[zones.score.{name}]: no such zone indicator")
        value = pd.to_numeric(indicators[name], errors="coerce").round(decimals)
        if len(value) and value.isna().all():
            dropped.append(name)
        s = ((value - worst) / (ideal - worst)).clip(0.0, 1.0)
        out[f"s_{name}"] = s
        total_w += w
        if w > 0:
            weighted += w * s.fillna(0.0)
            known_w += w * s.notna()
            label = (labels or {}).get(name, name)
            missing.append(pd.Series(np.where(s.isna(), label, ""), index=indicators.index))
    if total_w <= 0:
        raise ConfigError("[zones.score] weights sum to 0")
    share = known_w / total_w
    enough = (share >= float(min_known_weight_share)) & (known_w > 0)
    out["score"] = (100.0 * weighted / known_w.where(known_w > 0)).where(enough).round(decimals)
    out["known_weight_share"] = share
    rows = zip(*(m.tolist() for m in missing), strict=True) if missing else ()
    joined = ["、".join(x for x in row if x) for row in rows]
    out["missing_indicators"] = joined if missing else ""
    out.attrs["dropped"] = dropped
    return out


def rank_within_type(scores: pd.Series, zone_types: pd.Series) -> pd.Series:
    """Rank (名次, 1 = best) by score descending within each zone type; ties share.

    A zone without a score is not ranked (``<NA>``).

    Examples
    --------
    >>> rank_within_type(pd.Series([50.0, 70.0, 70.0, 10.0]),
    ...                  pd.Series(["工业主导型"] * 3 + ["产城融合型"])).tolist()
    [3, 1, 1, 1]
    """
    return scores.groupby(zone_types).rank(ascending=False, method="min").astype("Int64")


def rank_change(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.Series:
    """Places climbed since the previous year (进位, positive) or lost (退位, negative).

    Compared within the same zone type; ``<NA>`` when the zone was not ranked in that
    type the year before.
    """
    if previous is None or previous.empty:
        return pd.Series(pd.NA, index=current.index, dtype="Int64")
    prev = previous.drop_duplicates("zone_code").set_index("zone_code")
    prev_rank = current["zone_code"].map(prev["rank"]).astype("Float64")
    same_type = current["zone_code"].map(prev["zone_type"]) == current["zone_type"]
    change = (prev_rank - current["rank"].astype("Float64")).where(same_type.fillna(False))
    return change.round().astype("Int64").where(~change.isna(), pd.NA)
