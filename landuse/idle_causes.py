"""Whether a recorded idle cause is a government cause (政府原因, Order 53 Art. 8).

The 政府原因/闲置原因 column of a real export records the cause whoever caused it
(``企业自身资金原因``, ``市场原因`` as well as ``规划调整``). Only the causes of Art. 8
(and force majeure) exempt the holder from the fee and from recovery, so the text is
classified against ``[idle.cause_keywords]`` (``data/policy/idle.toml``):

* an explicit flag (``government_cause_flag``, 是否政府原因) wins: True → government
  cause whatever the text, False → not;
* else text matching an Art. 8 cause's patterns, and none of
  ``holder_cause_patterns``, is that cause;
* else (unrecognised text, or a holder's cause beside a government keyword) it is NOT a
  government cause, and ``cause_check`` says ``待确认: <text>`` for the planner;
* no text (or a value of ``no_cause_values``) names no cause: ``cause_check`` is ``""``.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from devzone.landuse.idle_columns import column, text_column
from devzone.policy.sections import IdlePolicy

__all__ = ["TO_CONFIRM", "classify_causes"]

#: Prefix of ``cause_check`` for recorded text the planner must confirm.
TO_CONFIRM = "待确认: "


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _recognise(text: str, policy: IdlePolicy) -> str | None:
    """The Art. 8 cause ``text`` names, or ``None``."""
    folded = _fold(text)
    if any(re.search(p, folded) for p in policy.holder_cause_patterns):
        return None
    for cause, patterns in policy.cause_keywords.items():
        if any(re.search(p, folded) for p in patterns):
            return cause
    return None


def _flags(units: pd.DataFrame) -> list[bool | None]:
    """The explicit 是否政府原因 flag: True, False or None (not given)."""
    raw = column(units, "government_cause_flag", None).astype(object)
    return [None if v is None or v is pd.NA or pd.isna(v) else bool(v) for v in raw]


def classify_causes(units: pd.DataFrame, *, policy: IdlePolicy) -> pd.DataFrame:
    """Classify each unit's recorded cause: ``government`` (bool) and ``cause_check``.

    ``cause_check`` is the recognised Art. 8 cause, ``是否政府原因: 是/否`` when the flag
    decided, ``待确认: <text>`` for recorded text that is not recognised (not a
    government cause), ``""`` when no cause is recorded.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> u = pd.DataFrame({"government_cause": ["规划调整", "企业自身资金原因", "无", "市场原因"],
    ...                   "government_cause_flag": [None, None, None, True]})
    >>> c = classify_causes(u, policy=load_policy().idle)
    >>> c["government"].tolist()
    [True, False, False, True]
    >>> c["cause_check"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['规划依法修改 (第八条第二项)', '待确认: 企业自身资金原因', '', '是否政府原因: 是']
    """
    text = text_column(units, "government_cause").fillna("").astype(str).str.strip()
    no_cause = {str(v).strip() for v in policy.no_cause_values}
    named = ~text.isin(no_cause)
    flags = _flags(units)
    government = np.zeros(len(units), dtype=bool)
    check = np.full(len(units), "", dtype=object)
    for i, (t, has, flag) in enumerate(zip(text, named, flags, strict=True)):
        if flag is not None:
            government[i] = flag
            check[i] = "是否政府原因: " + ("是" if flag else "否")
            continue
        if not has:
            continue
        cause = _recognise(t, policy)
        government[i] = cause is not None
        check[i] = cause if cause is not None else TO_CONFIRM + t
    return pd.DataFrame({"government": government, "cause_check": check}, index=units.index)
