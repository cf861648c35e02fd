"""Composite score and ranking of zones within their type (开发区分类评价与争先进位).

Each indicator scores ``clip((value − worst) / (ideal − worst), 0, 1)`` — a linear
scale from the worst value (0) to the ideal value (1), which also serves indicators
where less is better (闲置率: ideal 0, worst 10%). The composite is the weighted mean
× 100 under the weights of ``[zones.score]``. A value missing for one zone scores 0
(no data, no credit); an indicator missing for *every* zone of the year (e.g. no idle
land snapshot for the previous year) is left out of that year's weights, and its name
is listed in ``attrs["dropped"]``. The official TD/T 1029 weights and ideal values are
unconfirmed: the shipped ones are defaults.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from devzone.errors import ConfigError
from devzone.policy.sections import ScoreIndicator

__all__ = ["composite_score", "rank_change", "rank_within_type"]


def composite_score(
    indicators: pd.DataFrame, *, weights: Mapping[str, ScoreIndicator]
) -> pd.DataFrame:
    """Per-indicator scores (0–1) and the composite score (综合得分, 0–100).

    Parameters
    ----------
    indicators
        One row per zone with the indicator columns named in ``weights``.
    weights
        ``[zones.score]`` (``ZonesPolicy.score``): indicator → weight, ideal, worst.

    Returns
    -------
    DataFrame
        Indexed like ``indicators``: ``s_<indicator>`` for each and ``score``.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [0.5, 1.5], "y": [0.02, None]})
    >>> w = {"x": ScoreIndicator(weight=3.0, ideal=1.0, worst=0.0),
    ...      "y": ScoreIndicator(weight=1.0, ideal=0.0, worst=0.1)}
    >>> composite_score(df, weights=w)["score"].round(2).tolist()
    [57.5, 75.0]
    """
    if not weights:
        raise ConfigError("no indicator weights in [zones.score]")
    out = pd.DataFrame(index=indicators.index)
    total_w = 0.0
    dropped: list[str] = []
    score = pd.Series(0.0, index=indicators.index)
    for name, spec in weights.items():
        w, ideal, worst = spec.weight, spec.ideal, spec.worst
        if ideal == worst:
            raise ConfigError(f"[zones.score.{name}]: ideal and worst must differ")
        if name not in indicators.columns:
            raise ConfigError(f"[zones.score.{name}]: no such zone indicator")
        value = pd.to_numeric(indicators[name], errors="coerce")
        if len(value) and value.isna().all():
            dropped.append(name)
            out[f"s_{name}"] = np.nan
            continue
        s = ((value - worst) / (ideal - worst)).clip(0.0, 1.0).fillna(0.0)
        out[f"s_{name}"] = s
        score += w * s
        total_w += w
    if total_w <= 0 and not dropped:
        raise ConfigError("[zones.score] weights sum to 0")
    out["score"] = 100.0 * score / total_w if total_w > 0 else np.nan
    out.attrs["dropped"] = dropped
    return out


def rank_within_type(scores: pd.Series, zone_types: pd.Series) -> pd.Series:
    """Rank (名次, 1 = best) by score descending within each zone type; ties share.

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
