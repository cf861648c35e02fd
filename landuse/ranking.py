"""企业排行榜, 等级变化 and what-if: rankings built on an enterprise evaluation.

Pure, vectorised functions over the :func:`devzone.landuse.performance.evaluate_enterprises`
output (no I/O):

* :func:`zone_ranking` — rank of each graded firm within its zone and group (the ranking
  list a zone publishes, 企业排行榜);
* :func:`grade_changes` — year-on-year grade change of each firm (等级变化);
* :func:`grade_differences` — which firms change grade between two evaluations of the
  same year (the what-if of another weight set).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from devzone.vocab import GRADES

__all__ = ["GRADE_ORDER", "grade_changes", "grade_differences", "ranking_list", "zone_ranking"]

#: Grade letters A–D (:data:`devzone.vocab.GRADES` without T) best first; a smaller
#: number is a better grade.
GRADE_ORDER: dict[str, int] = {g: i for i, g in enumerate((g for g in GRADES if g != "T"), 1)}


def zone_ranking(evaluation: pd.DataFrame) -> pd.Series:
    """Rank (1 = best) of each graded firm within its zone and group, by score.

    Ties share the best rank of the tie (as in the grading). Firms without a grade
    A–D (T, not evaluated) or without a zone get NA.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"zone_code": ["Z", "Z", "Z", "Y"],
    ...                    "group_name": ["above"] * 4, "grade": ["A", "B", "T", "C"],
    ...                    "score": [90.0, 80.0, 99.0, 10.0]})
    >>> zone_ranking(ev).tolist()
    [1, 2, <NA>, 1]
    """
    graded = evaluation["grade"].isin(list(GRADE_ORDER)) & evaluation["zone_code"].notna()
    score = evaluation["score"].where(graded)
    keys = [evaluation["zone_code"], evaluation["group_name"]]
    rank = score.groupby(keys, dropna=False).rank(ascending=False, method="min")
    return rank.astype("Int64").rename("zone_rank")


def ranking_list(evaluation: pd.DataFrame, zones: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ranking list (企业排行榜): graded firms by zone, group and zone rank.

    Parameters
    ----------
    evaluation
        Evaluation with a ``zone_rank`` column (:func:`zone_ranking`).
    zones
        Optional ``dev_zone`` rows (``zone_code``, ``name``) to name the zones.

    Returns
    -------
    DataFrame
        ``zone_code``, ``zone_name``, ``group_name``, ``zone_rank``, ``credit_code``,
        ``name``, ``grade``, ``score``, ``land_mu``, ``tax_per_mu_wan``,
        ``revenue_per_mu_wan``, ``rank`` (rank in the whole group).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"zone_code": ["Z", "Z", "Y"], "group_name": ["below", "above", "above"],
    ...                    "zone_rank": [1, 1, 1], "credit_code": ["X1", "X2", "X3"],
    ...                    "name": ["甲", "乙", "丙"], "grade": ["B", "A", "C"],
    ...                    "score": [50.0, 90.0, 10.0], "land_mu": 10.0, "tax_per_mu_wan": 1.0,
    ...                    "revenue_per_mu_wan": 2.0, "rank": [1, 1, 2]})
    >>> zones = pd.DataFrame({"zone_code": ["Z", "Y"], "name": ["甲区", "乙区"]})
    >>> ranking_list(ev, zones)[["zone_name", "group_name", "credit_code"]].values.tolist()
    [['乙区', 'above', 'X3'], ['甲区', 'above', 'X2'], ['甲区', 'below', 'X1']]
    """
    df = evaluation[evaluation["zone_rank"].notna()].copy()
    if zones is not None and len(zones):
        names = zones.drop_duplicates("zone_code").set_index("zone_code")["name"]
        df["zone_name"] = df["zone_code"].map(names)
    else:
        df["zone_name"] = None
    df["_g"] = np.where(df["group_name"] == "above", 0, 1)
    df = df.sort_values(["zone_code", "_g", "zone_rank", "credit_code"])
    cols = [
        "zone_code",
        "zone_name",
        "group_name",
        "zone_rank",
        "credit_code",
        "name",
        "grade",
        "score",
        "land_mu",
        "tax_per_mu_wan",
        "revenue_per_mu_wan",
        "rank",
    ]
    return df[cols].reset_index(drop=True)


def _change(prev: pd.Series, cur: pd.Series) -> np.ndarray:
    p = prev.map(GRADE_ORDER)
    c = cur.map(GRADE_ORDER)
    return np.select(
        [
            (p.isna() & c.notna()).to_numpy(),
            (c < p).to_numpy(),
            (c > p).to_numpy(),
            (c == p).to_numpy(),
        ],
        ["new", "up", "down", "same"],
        default="other",
    )


def grade_changes(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Grade change year on year (等级变化) of every firm evaluated this year.

    ``change``: ``up`` (升档, better letter), ``down`` (降档), ``same``, ``new`` (graded
    A–D this year but not last year) or ``other`` (T or not graded this year).

    Examples
    --------
    >>> import pandas as pd
    >>> cur = pd.DataFrame({"credit_code": ["X", "Y", "Z"], "grade": ["A", "D", "B"],
    ...                     "score": [1.0, 2.0, 3.0], "evaluated": [True] * 3})
    >>> prev = pd.DataFrame({"credit_code": ["X", "Y"], "grade": ["B", "C"],
    ...                      "score": [0.5, 2.5]})
    >>> grade_changes(cur, prev)["change"].tolist()
    ['up', 'down', 'new']
    """
    cur = current[current["evaluated"].fillna(False).astype(bool)].copy()
    if previous is not None and len(previous):
        prev = previous.drop_duplicates("credit_code").set_index("credit_code")
        cur["grade_prev"] = cur["credit_code"].map(prev["grade"])
        cur["score_prev"] = cur["credit_code"].map(prev["score"]).astype(float)
    else:
        cur["grade_prev"] = None
        cur["score_prev"] = np.nan
    cur["change"] = _change(cur["grade_prev"], cur["grade"])
    cols = [
        "year",
        "credit_code",
        "name",
        "zone_code",
        "group_name",
        "grade_prev",
        "grade",
        "score_prev",
        "score",
        "change",
    ]
    return cur[[c for c in cols if c in cur.columns]].reset_index(drop=True)


def grade_differences(base: pd.DataFrame, alternative: pd.DataFrame) -> pd.DataFrame:
    """Firms whose grade differs between two evaluations of one year (what-if).

    Returns
    -------
    DataFrame
        ``credit_code``, ``name``, ``group_name``, ``grade`` (base), ``grade_alt``,
        ``score``, ``score_alt``, ``change`` (``up``/``down``/``other``, alternative
        relative to base); only firms whose grade differs.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"credit_code": ["X", "Y"], "grade": ["A", "B"], "score": [2, 1]})
    >>> b = pd.DataFrame({"credit_code": ["X", "Y"], "grade": ["B", "B"], "score": [1, 1]})
    >>> grade_differences(a, b)[["credit_code", "grade", "grade_alt", "change"]].values.tolist()
    [['X', 'A', 'B', 'down']]
    """
    alt = alternative.drop_duplicates("credit_code").set_index("credit_code")
    df = base.copy()
    df["grade_alt"] = df["credit_code"].map(alt["grade"])
    df["score_alt"] = df["credit_code"].map(alt["score"]).astype(float)
    same = df["grade"].fillna("") == df["grade_alt"].fillna("")
    df = df[~same].copy()
    df["change"] = _change(df["grade"], df["grade_alt"])
    df.loc[~df["change"].isin(["up", "down"]), "change"] = "other"
    cols = ["credit_code", "name", "group_name", "grade", "grade_alt", "score", "score_alt"]
    cols = [c for c in cols if c in df.columns]
    return df[[*cols, "change"]].reset_index(drop=True)
