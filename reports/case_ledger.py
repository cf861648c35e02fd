"""The case ledger (案件台账) workbook: what each case needs next, and the columns the
officer fills in (dates served, 文号, answers, hearings, decisions, payments, routes).

The filled workbook comes back through :func:`devzone.landuse.cases.ledger_events`
(one event per filled date cell, validated with its row and column), so a case moves
on without anyone typing into the database. The 处置决定 and 处置方式 columns carry
drop-down lists.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from devzone.landuse.cases import LEDGER_FIELDS
from devzone.policy.sections import CasesPolicy
from devzone.reports.xlsx import write_workbook
from devzone.vocab import (
    CASE_DECISION_LABELS,
    CASE_PROCEDURE_LABELS,
    CASE_STATE_LABELS,
    CASE_STEP_LABELS,
    YES_NO,
)

__all__ = ["DUE_LABELS", "LEDGER_SHEET", "case_due_frame", "write_case_ledger"]

LEDGER_SHEET = "案件台账"

#: Headers of the case columns (read-only for the officer).
DUE_LABELS: dict[str, str] = {
    "case_id": "案件编号",
    "procedure": "程序",
    "county": "县区",
    "zone_code": "开发区代码",
    "parcel_code": "宗地代码",
    "supervision_no": "电子监管号",
    "holder": "土地使用权人",
    "location": "坐落",
    "fee_due_wan": "应缴土地闲置费 (万元)",
    "opened_on": "立案日期",
    "state": "当前状态",
    "state_since": "状态起始日",
    "next_step": "下一步",
    "next_due": "法定期限",
    "days_left": "剩余天数 (日)",
    "overdue": "已逾期",
}


def case_due_frame(cases: pd.DataFrame) -> pd.DataFrame:
    """The case columns of the ledger, labelled codes, overdue first then by due date.

    Examples
    --------
    >>> cases = pd.DataFrame({"case_id": ["A", "B"], "procedure": ["idle"] * 2,
    ...     "state": ["investigating", "decided"], "next_step": ["answer", "pay_fee"],
    ...     "next_due": pd.to_datetime(["2019-03-31", "2019-07-10"]),
    ...     "days_left": [5, -1], "overdue": [False, True]})
    >>> case_due_frame(cases)[["case_id", "state", "overdue"]].values.tolist()
    [['B', '决定', '是'], ['A', '调查', '否']]
    """
    out = pd.DataFrame({c: cases.get(c, None) for c in DUE_LABELS})
    out = out.sort_values(["overdue", "next_due"], ascending=[False, True], na_position="last")
    out["procedure"] = out["procedure"].map(CASE_PROCEDURE_LABELS).fillna(out["procedure"])
    out["state"] = out["state"].map(CASE_STATE_LABELS).fillna(out["state"])
    out["next_step"] = out["next_step"].map(CASE_STEP_LABELS).fillna(out["next_step"])
    out["overdue"] = out["overdue"].fillna(False).astype(bool).map(YES_NO)
    return out.reset_index(drop=True)


def write_case_ledger(
    path: str | Path,
    cases: pd.DataFrame,
    *,
    policy: CasesPolicy,
    as_of: dt.date,
    note: str = "",
) -> Path:
    """Write the case ledger: the case columns, then the empty columns the officer fills.

    Parameters
    ----------
    cases
        Cases with their clocks (:func:`devzone.landuse.cases.case_states`).
    policy
        ``[cases]``: the disposal routes offered in the drop-down.
    as_of
        The day the clocks were read (in the note line).
    note
        Appended to the note line (e.g. "合成数据").

    Returns
    -------
    Path
        The written file. Data rows start on spreadsheet row 3 (note, header).
    """
    frame = case_due_frame(cases)
    for field in LEDGER_FIELDS:
        frame[field.column] = None
    routes = sorted({r for rs in policy.routes.values() for r in rs})
    labels = {**DUE_LABELS, **{f.column: f.label for f in LEDGER_FIELDS}}
    text = (
        f"案件台账 截至 {as_of:%Y-%m-%d}: 期限按送达之日次日起算的日历日计算 (逾期在前)。"
        "请填写右侧各列 (日期 YYYY-MM-DD) 后交回导入; 左侧各列请勿修改。"
    )
    return write_workbook(
        path,
        {LEDGER_SHEET: frame},
        labels=labels,
        notes={LEDGER_SHEET: f"{text} {note}".strip()},
        validations={
            LEDGER_SHEET: {"decision": list(CASE_DECISION_LABELS.values()), "route": routes}
        },
    )
