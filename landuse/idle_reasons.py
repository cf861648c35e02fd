"""Why each unit got its idle-land status: one sentence per unit (``status_reason``).

The sentences quote the dates and the articles of the 2012 measures (国土资源部令第53号)
that decided the status; they are built vectorised, each only on the rows holding its
status.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from devzone.landuse.idle_columns import anniversary, date_column, text_column, ymd
from devzone.policy.sections import IdlePolicy
from devzone.vocab import START_EVIDENCE_LABELS

__all__ = ["status_reasons"]

Sentence = Callable[[np.ndarray], "pd.Series | str"]


def _sentences(
    units: pd.DataFrame, evidence: pd.Series, *, policy: IdlePolicy
) -> dict[str, Sentence]:
    """Status code → the sentence builder for the rows (a mask) holding it."""
    start = date_column(units, "agreed_start_date")
    idle1 = anniversary(start, policy.idle_after_years)
    idle2 = anniversary(start, policy.recover_after_years)
    act_done = date_column(units, "actual_completion_date")
    due_done = date_column(units, "agreed_completion_date")
    susp = date_column(units, "suspended_date")
    cause = text_column(units, "government_cause").fillna("").astype(str).str.strip()
    dev, inv = policy.stalled_developed_share, policy.stalled_invest_share
    return {
        "not_supplied": lambda m: "无供地合同 (未关联供地结果), 批而未供",
        "completed": lambda m: "已竣工 (实际竣工 " + ymd(act_done[m]) + ")",
        "completed_late": lambda m: (
            "逾期竣工 (约定 " + ymd(due_done[m]) + ", 实际 " + ymd(act_done[m]) + ")"
        ),
        "government_cause": lambda m: "政府原因 (第八条): " + cause[m] + "; 按第十二条处置",
        "idle_stalled": lambda m: (
            f"已开工但已开发面积不足{dev:.0%}或投资不足{inv:.0%}, 自 "
            + ymd(susp[m])
            + " 中止开发满一年 (第二条)"
        ),
        "under_construction": lambda m: (
            "已开工 (依据: " + evidence[m].map(START_EVIDENCE_LABELS).fillna("无") + "), 未竣工"
        ),
        "no_start_date": lambda m: "合同无约定开工时间, 无法认定, 请补录",
        "not_due": lambda m: "约定开工 " + ymd(start[m]) + " 未到",
        "overdue": lambda m: (
            "约定开工 " + ymd(start[m]) + " 已过, 未动工, 未满一年 (满一年日 " + ymd(idle1[m]) + ")"
        ),
        "idle_fee": lambda m: (
            "约定开工 "
            + ymd(start[m])
            + " 起满一年 ("
            + ymd(idle1[m])
            + ") 未动工 (第二条、第十四条第一项)"
        ),
        "idle_recover": lambda m: (
            "约定开工 "
            + ymd(start[m])
            + " 起满两年 ("
            + ymd(idle2[m])
            + ") 未动工 (第十四条第二项)"
        ),
    }


def status_reasons(
    units: pd.DataFrame, status: pd.Series, *, evidence: pd.Series, policy: IdlePolicy
) -> pd.Series:
    """One sentence per unit saying why it got its status.

    Parameters
    ----------
    units
        The units judged (dates ``agreed_start_date``, ``agreed_completion_date``,
        ``actual_completion_date``, ``suspended_date``; ``government_cause``).
    status
        Their status codes (:func:`devzone.landuse.idle.status_codes`).
    evidence
        Their start evidence (:func:`devzone.landuse.idle.start_evidence`).
    policy
        The ``[idle]`` section (anniversaries and the Art. 2 shares quoted).

    Returns
    -------
    Series
        Text indexed like ``status`` (empty for an unknown code).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> u = pd.DataFrame({"agreed_start_date": pd.to_datetime(["2018-03-01", None])})
    >>> st = pd.Series(["idle_fee", "under_construction"])
    >>> ev = pd.Series(["none", "buildings"])
    >>> for text in status_reasons(u, st, evidence=ev, policy=load_policy().idle):
    ...     print(text)
    约定开工 2018-03-01 起满一年 (2019-03-01) 未动工 (第二条、第十四条第一项)
    已开工 (依据: 建筑基底), 未竣工
    """
    out = np.full(len(status), "", dtype=object)
    values = status.to_numpy()
    for code, sentence in _sentences(units, evidence, policy=policy).items():
        m = values == code
        if m.any():
            got = sentence(m)
            out[m] = got.to_numpy(dtype=object) if isinstance(got, pd.Series) else got
    return pd.Series(out, index=status.index)
