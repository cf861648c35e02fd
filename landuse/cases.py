"""Cases (案件): the idle-land and exit procedures, from suspicion to closing.

Pure functions over frames; the database edge is :mod:`devzone.db.cases_io`, the
workbook :mod:`devzone.reports.case_ledger`, the documents
:mod:`devzone.reports.documents`. The numbers come from ``[cases]`` in
``data/policy/cases.toml`` (:class:`~devzone.policy.sections.CasesPolicy`).

Decisions the code takes (tested in ``tests/test_cases.py``):

* **The state follows from the events.** A case opens as ``suspected`` (疑似闲置; an
  idle case must serve its 调查通知书 within 30 days, an exit or commitment case starts
  with the choice of a disposal route, without a statutory date) and each
  recorded event moves it (``[cases.transitions]``): 调查 → 认定 → 告知听证 → 决定 →
  缴费/收回/处置完成 → 销号. Events are applied in date order (ties: the order recorded).
* **"Within N days" is N calendar days after the day of service** (the day of service
  does not count): a 调查通知书 served 2019-03-01 is answered by 2019-03-31
  (``next_due``), ``days_left`` is 0 on that day and the case is ``overdue`` from
  2019-04-01. Months and years are calendar steps (pandas ``DateOffset``, the
  ``dateutil.relativedelta`` rule): 2019-08-31 + 6 months = 2020-02-29, 2020-02-29 +
  1 year = 2021-02-28. Holidays do not move a deadline (no holiday calendar).
* The hearing request window is counted in working days (Mon–Fri, no holidays); once it
  has passed without a request, the next step is the decision (no statutory date).
  Steps of the authority without a statutory limit (认定, 听证告知, 决定) have no
  ``next_due``.
* **Art. 12 extension**: the agreed start date moves to the extension's ``due_date``
  (deadline = that date, at most ``max_extension_years`` after the extension is granted);
  it is not an open-ended exemption: past that date without 动工 the case is overdue.
* **Instalments**: an ``instalment_plan`` event pauses the fee clock until its
  ``due_date`` (the last instalment's date); payments (``fee_paid``) add up, and the case
  is ``fee_paid`` once they reach the fee due.
* **Appeal**: 行政复议/行政诉讼 filed (``review_filed``/``suit_filed``) puts the case in
  ``appeal`` (a closed case is reopened) and suspends its clock; ``appeal_upheld``
  resumes it where it was, the due date moved by the days the appeal lasted;
  ``appeal_revoked`` sets the decision aside (state ``determined``, next step a new
  decision).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from devzone.policy.sections import CaseClocks, CasesPolicy
from devzone.vocab import IDLE_STATUSES

__all__ = [
    "CASE_COLUMNS",
    "EVENT_COLUMNS",
    "LEDGER_FIELDS",
    "REJECT_COLUMNS",
    "add_days",
    "add_months",
    "add_working_days",
    "add_years",
    "appeal_deadlines",
    "apply_clock",
    "case_states",
    "exit_candidates",
    "idle_candidates",
    "is_case_ledger",
    "ledger_dates",
    "ledger_events",
    "unrecorded",
    "validate_events",
]

#: Columns of a case as the rules see it (``land_case`` without ``fid``).
CASE_COLUMNS = (
    "case_id",
    "procedure",
    "parcel_code",
    "supervision_no",
    "zone_code",
    "county",
    "holder",
    "location",
    "area_m2",
    "price_wan",
    "agreed_start_date",
    "idle_since",
    "measure",
    "fee_due_wan",
    "opened_on",
    "opened_by",
    "state",
    "state_since",
    "next_step",
    "next_due",
    "days_left",
    "overdue",
    "closed_on",
    "as_of_date",
    "notes",
)

#: Columns of an event (``land_case_event`` without ``fid``).
EVENT_COLUMNS = (
    "case_id",
    "event_type",
    "event_date",
    "due_date",
    "doc_no",
    "recorded_by",
    "recorded_at",
    "amount_wan",
    "route",
    "notes",
    "src_file",
    "src_row",
    "batch",
)

#: Columns of a rejected row: the file, its row, the field and why.
REJECT_COLUMNS = ("file", "row", "field", "value", "reason")

_DERIVED = ("state", "state_since", "next_step", "next_due", "closed_on")


# --- calendar arithmetic -------------------------------------------------------------


def add_days(dates: pd.Series | pd.Timestamp, days: int) -> pd.Series | pd.Timestamp:
    """The day ``days`` calendar days after each date ("within N days of service").

    Examples
    --------
    >>> add_days(pd.Timestamp("2019-03-01"), 30)
    Timestamp('2019-03-31 00:00:00')
    >>> add_days(pd.Timestamp("2020-01-30"), 30)
    Timestamp('2020-02-29 00:00:00')
    """
    return dates + pd.Timedelta(days=days)


def add_months(dates: pd.Series | pd.Timestamp, months: int) -> pd.Series | pd.Timestamp:
    """Calendar months later; a day the month lacks becomes its last day.

    Examples
    --------
    >>> add_months(pd.Timestamp("2019-08-31"), 6)
    Timestamp('2020-02-29 00:00:00')
    >>> add_months(pd.Series(pd.to_datetime(["2019-06-10", None])), 6).tolist()
    [Timestamp('2019-12-10 00:00:00'), NaT]
    """
    return dates + pd.DateOffset(months=months)


def add_years(dates: pd.Series | pd.Timestamp, years: int) -> pd.Series | pd.Timestamp:
    """Calendar years later; 29 February becomes 28 February.

    Examples
    --------
    >>> add_years(pd.Timestamp("2020-02-29"), 1)
    Timestamp('2021-02-28 00:00:00')
    """
    return dates + pd.DateOffset(years=years)


def add_working_days(date: pd.Timestamp, days: int) -> pd.Timestamp:
    """``days`` working days (Mon–Fri, no holiday calendar) after ``date``.

    Examples
    --------
    >>> add_working_days(pd.Timestamp("2019-04-19"), 5)  # a Friday
    Timestamp('2019-04-26 00:00:00')
    """
    return date + pd.offsets.BDay(days)


def appeal_deadlines(served: pd.Series, clocks: CaseClocks) -> pd.DataFrame:
    """Last days for 行政复议 (60 days) and 行政诉讼 (6 months) after a decision is served.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> clocks = load_policy().cases.clocks
    >>> appeal_deadlines(pd.Series(pd.to_datetime(["2019-08-31"])), clocks).iloc[0].tolist()
    [Timestamp('2019-10-30 00:00:00'), Timestamp('2020-02-29 00:00:00')]
    """
    served = pd.to_datetime(served)
    return pd.DataFrame(
        {
            "review_until": add_days(served, clocks.review_days),
            "suit_until": add_months(served, clocks.suit_months),
        },
        index=served.index,
    )


# --- opening cases -------------------------------------------------------------------


def idle_candidates(idle_status: pd.DataFrame) -> pd.DataFrame:
    """Cases to propose from ``parcel_idle_status`` rows: land idle under Art. 2/14.

    Government-caused idle land (Art. 8) is not proposed: it follows Art. 12 without a
    fee or recovery procedure (an officer can still open one by hand).

    Examples
    --------
    >>> rows = pd.DataFrame({"parcel_code": ["P1", "P2"], "status": ["idle_fee", "not_due"],
    ...     "as_of_date": pd.to_datetime(["2019-12-31"] * 2), "idle_fee_wan": [40.0, None]})
    >>> idle_candidates(rows)[["procedure", "parcel_code", "measure", "fee_due_wan"]]
      procedure parcel_code   measure  fee_due_wan
    0      idle          P1  idle_fee         40.0
    """
    rows = idle_status[idle_status["status"].isin(IDLE_STATUSES)].reset_index(drop=True)
    out = pd.DataFrame({"procedure": "idle", "parcel_code": rows["parcel_code"]})
    for col in ("supervision_no", "zone_code", "holder", "location", "area_m2", "price_wan"):
        out[col] = rows.get(col, None)
    out["agreed_start_date"] = rows.get("agreed_start_date")
    out["idle_since"] = rows.get("idle_since")
    out["measure"] = rows["status"]
    out["fee_due_wan"] = rows.get("idle_fee_wan")
    out["as_of_date"] = rows.get("as_of_date")
    return out


def exit_candidates(exit_rows: pd.DataFrame) -> pd.DataFrame:
    """Cases to propose from ``exit_candidate`` rows: the exit procedure for bankrupt,
    suspended and zombie firms' land, the commitment procedure for missed standard-land
    commitments.

    Examples
    --------
    >>> rows = pd.DataFrame({"parcel_code": ["P1", "P2"], "zone_code": ["Z", "Z"],
    ...     "enterprise_name": ["甲", "乙"], "reason": ["zombie", "commitment_missed"],
    ...     "area_m2": [1000.0, 2000.0]})
    >>> exit_candidates(rows)[["procedure", "parcel_code", "holder", "measure"]].values.tolist()
    [['exit', 'P1', '甲', 'zombie'], ['commitment', 'P2', '乙', 'commitment_missed']]
    """
    rows = exit_rows.reset_index(drop=True)
    procedure = np.where(rows["reason"] == "commitment_missed", "commitment", "exit")
    out = pd.DataFrame({"procedure": procedure, "parcel_code": rows["parcel_code"]})
    out["zone_code"] = rows.get("zone_code")
    out["holder"] = rows.get("enterprise_name")
    out["area_m2"] = rows.get("area_m2")
    out["measure"] = rows["reason"]
    out["as_of_date"] = rows.get("as_of_date")
    return out


# --- the state machine ---------------------------------------------------------------


@dataclass(frozen=True)
class _Track:
    """Where a case stands while its events are applied."""

    state: str
    since: pd.Timestamp
    step: str | None
    due: pd.Timestamp | None
    closed_on: pd.Timestamp | None = None
    fee_due: float | None = None
    paid: float = 0.0
    saved: _Track | None = None  # the track before an appeal
    appeal_from: pd.Timestamp | None = None


_Event = Mapping[str, object]
_Handler = Callable[[_Track, _Event, CaseClocks], _Track]


def _date(value: object) -> pd.Timestamp | None:
    ts = pd.Timestamp(value) if value is not None else pd.NaT
    return None if pd.isna(ts) else ts.normalize()


def _amount(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _step(step: str | None, due: pd.Timestamp | None = None) -> Callable[..., _Track]:
    """A handler that only sets the next step (and its due date)."""

    def handler(t: _Track, ev: _Event, clocks: CaseClocks) -> _Track:
        return replace(t, step=step, due=due)

    return handler


def _timed(step: str, clock: str) -> _Handler:
    """A handler whose next step is due ``clocks.<clock>`` days after the event."""

    def handler(t: _Track, ev: _Event, clocks: CaseClocks) -> _Track:
        return replace(t, step=step, due=add_days(ev["event_date"], getattr(clocks, clock)))

    return handler


def _hearing_notice(t: _Track, ev: _Event, clocks: CaseClocks) -> _Track:
    due = add_working_days(ev["event_date"], clocks.hearing_request_working_days)
    return replace(t, step="hearing_request", due=due)


def _fee_decision(t: _Track, ev: _Event, clocks: CaseClocks) -> _Track:
    fee = _amount(ev.get("amount_wan"))
    due = add_days(ev["event_date"], clocks.fee_payment_days)
    return replace(t, step="pay_fee", due=due, fee_due=fee if fee is not None else t.fee_due)


def _until(step: str) -> _Handler:
    """A handler whose next step is due on the event's own ``due_date``."""

    def handler(t: _Track, ev: _Event, clocks: CaseClocks) -> _Track:
        return replace(t, step=step, due=_date(ev.get("due_date")))

    return handler


def _fee_paid(t: _Track, ev: _Event, clocks: CaseClocks) -> _Track:
    paid = t.paid + (_amount(ev.get("amount_wan")) or 0.0)
    if t.fee_due is not None and round(paid, 6) >= round(t.fee_due, 6):  # at 0.01 元
        return replace(t, state="fee_paid", step="close", due=None, paid=paid)
    return replace(t, paid=paid, state=t.state if t.step == "pay_fee" else "decided")


def _appeal(t: _Track, ev: _Event, clocks: CaseClocks) -> _Track:
    if t.state == "appeal":  # a second appeal (复议 then 诉讼) keeps the first start
        return t
    saved = replace(t, saved=None)
    return replace(
        t, step="await_appeal", due=None, closed_on=None, saved=saved, appeal_from=ev["event_date"]
    )


def _upheld(t: _Track, ev: _Event, clocks: CaseClocks) -> _Track:
    if t.saved is None:
        return t
    before = t.saved
    due = before.due
    if due is not None and t.appeal_from is not None:
        due = due + (ev["event_date"] - t.appeal_from)  # the clock was suspended
    return replace(before, due=due, since=ev["event_date"], saved=None, appeal_from=None)


def _revoked(t: _Track, ev: _Event, clocks: CaseClocks) -> _Track:
    return replace(t, step="decide", due=None, closed_on=None, saved=None, appeal_from=None)


def _closed(t: _Track, ev: _Event, clocks: CaseClocks) -> _Track:
    return replace(t, step=None, due=None, closed_on=ev["event_date"])


_HANDLERS: dict[str, _Handler] = {
    "notice_served": _timed("answer", "answer_days"),
    "answer_received": _step("determine"),
    "determination_served": _step("notify_hearing"),
    "hearing_notice_served": _hearing_notice,
    "hearing_requested": _step("hold_hearing"),
    "hearing_held": _step("decide"),
    "fee_decision_served": _fee_decision,
    "recovery_decision_served": _timed("cancel_registration", "cancel_registration_days"),
    "disposal_decided": _step("dispose"),
    "instalment_plan": _until("pay_fee"),
    "fee_paid": _fee_paid,
    "registration_cancelled": _step("close"),
    "disposal_done": _step("close"),
    "extension_granted": _until("start_construction"),
    "construction_started": _step("close"),
    "review_filed": _appeal,
    "suit_filed": _appeal,
    "appeal_upheld": _upheld,
    "appeal_revoked": _revoked,
    "closed": _closed,
}

#: Events whose handler sets the state itself (the transition table is not applied).
_OWN_STATE = {"fee_paid", "appeal_upheld"}


def _fold(case: _Event, events: Sequence[_Event], policy: CasesPolicy) -> _Track:
    """Apply a case's events, in order, to its opening state."""
    opened = _date(case["opened_on"])
    clocks = policy.clocks
    idle = case.get("procedure", "idle") == "idle"
    due = add_days(opened, clocks.investigation_days) if opened is not None and idle else None
    track = _Track(  # exit and commitment cases start with the choice of a route
        state="suspected",
        since=opened,
        step="serve_notice" if idle else "decide",
        due=due,
        fee_due=_amount(case.get("fee_due_wan")),
    )
    for ev in events:
        kind = str(ev["event_type"])
        handler = _HANDLERS.get(kind)
        if handler is None or kind not in policy.transitions:
            continue
        ev = {**ev, "event_date": _date(ev["event_date"])}
        track = handler(track, ev, clocks)
        if kind not in _OWN_STATE:
            track = replace(track, state=policy.transitions[kind], since=ev["event_date"])
        elif kind == "fee_paid" and track.state == "fee_paid":
            track = replace(track, since=ev["event_date"])
    return track


def _sorted_events(events: pd.DataFrame | None) -> pd.DataFrame:
    if events is None or not len(events):
        return pd.DataFrame(columns=["case_id", "event_type", "event_date"])
    ev = events.copy()
    ev["event_date"] = pd.to_datetime(ev["event_date"])
    ev["_order"] = np.arange(len(ev))
    return ev.sort_values(["case_id", "event_date", "_order"], kind="stable")


def case_states(
    cases: pd.DataFrame,
    events: pd.DataFrame | None,
    *,
    policy: CasesPolicy,
    as_of: dt.date | pd.Timestamp,
) -> pd.DataFrame:
    """Each case's state, next step and its due date from its events, and the clock.

    Parameters
    ----------
    cases
        Cases (at least ``case_id``, ``opened_on``; ``fee_due_wan`` when known).
    events
        Their events (``case_id``, ``event_type``, ``event_date``, and ``due_date``,
        ``amount_wan`` where they apply); ``None`` or empty: every case is ``suspected``.
    policy
        The ``[cases]`` section.
    as_of
        The day the clock is read (days left, overdue).

    Returns
    -------
    DataFrame
        ``cases`` with ``state``, ``state_since``, ``next_step``, ``next_due``,
        ``closed_on``, ``days_left`` and ``overdue`` recomputed.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> cases = pd.DataFrame({"case_id": ["C1"], "opened_on": pd.to_datetime(["2019-02-20"])})
    >>> events = pd.DataFrame({"case_id": ["C1"], "event_type": ["notice_served"],
    ...     "event_date": pd.to_datetime(["2019-03-01"])})
    >>> out = case_states(cases, events, policy=load_policy().cases, as_of="2019-04-01")
    >>> row = out.iloc[0]
    >>> row.state, row.next_step, str(row.next_due.date()), int(row.days_left), bool(row.overdue)
    ('investigating', 'answer', '2019-03-31', -1, True)
    """
    ev = _sorted_events(events)
    by_case = {cid: g.to_dict("records") for cid, g in ev.groupby("case_id", sort=False)}
    rows = []
    for case in cases.to_dict("records"):
        t = _fold(case, by_case.get(case["case_id"], []), policy)
        rows.append((t.state, t.since, t.step, t.due, t.closed_on))
    derived = pd.DataFrame(rows, columns=list(_DERIVED), index=cases.index)
    out = cases.drop(columns=[c for c in _DERIVED if c in cases.columns]).join(derived)
    for col in ("state_since", "next_due", "closed_on"):
        out[col] = pd.to_datetime(out[col])
    return apply_clock(out, as_of=as_of, policy=policy)


def apply_clock(
    cases: pd.DataFrame, *, as_of: dt.date | pd.Timestamp, policy: CasesPolicy
) -> pd.DataFrame:
    """``days_left`` (due − as-of, in days; negative when late) and ``overdue`` (after the
    due day), vectorised. A hearing window that has passed turns into the decision step.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> cases = pd.DataFrame({"state": ["decided", "closed"], "next_step": ["pay_fee", None],
    ...     "next_due": pd.to_datetime(["2019-07-10", None])})
    >>> apply_clock(cases, as_of="2019-07-11", policy=load_policy().cases)[
    ...     ["days_left", "overdue"]].values.tolist()
    [[-1, True], [<NA>, False]]
    """
    day = pd.Timestamp(as_of).normalize()
    out = cases.copy()
    due = pd.to_datetime(out["next_due"])
    window_over = (out["next_step"] == "hearing_request") & (due < day)
    out.loc[window_over, "next_step"] = "decide"
    due = due.mask(window_over)
    out["next_due"] = due
    out["days_left"] = (due - day).dt.days.astype("Int64")
    out["overdue"] = (due < day).fillna(False).astype(bool)
    return out


# --- validation ----------------------------------------------------------------------


def _reject(ev: pd.DataFrame, mask: pd.Series, field: str | pd.Series, reason: pd.Series | str):
    """Reject rows (file, row, field, value, reason) for the rows in ``mask``."""
    bad = ev[mask]
    fld = field[mask] if isinstance(field, pd.Series) else pd.Series(field, index=bad.index)
    why = reason[mask] if isinstance(reason, pd.Series) else pd.Series(reason, index=bad.index)
    value_col = bad.get("src_value", bad.get("event_date"))
    return pd.DataFrame(
        {
            "file": bad.get("src_file"),
            "row": bad.get("src_row"),
            "field": fld,
            "value": value_col.astype(str) if value_col is not None else None,
            "reason": why,
        },
        index=bad.index,
    )


def _field(ev: pd.DataFrame, default: str) -> pd.Series:
    """The workbook column an event came from (``src_field``), else ``default``."""
    src = ev["src_field"] if "src_field" in ev else pd.Series(None, index=ev.index, dtype=object)
    return src.fillna(default).astype(str)


def _basic_checks(ev: pd.DataFrame, cases: pd.DataFrame, policy: CasesPolicy, today):
    """Unknown case or event type, missing/future dates, dates before the case opened."""
    opened = ev["case_id"].map(cases.set_index("case_id")["opened_on"])
    date = ev["event_date"]
    checks = [
        (~ev["case_id"].isin(cases["case_id"]), "case_id", "unknown case id"),
        (
            ~ev["event_type"].isin(list(policy.transitions)),
            _field(ev, "event_type"),
            "unknown event type " + ev["event_type"].astype(str),
        ),
        (date.isna(), _field(ev, "event_date"), "date missing or not a date"),
        (date > today, _field(ev, "event_date"), "date is in the future"),
        (date < opened, _field(ev, "event_date"), "date before the case was opened"),
    ]
    needs_due = ev["event_type"].isin(["extension_granted", "instalment_plan"])
    checks.append((needs_due & ev["due_date"].isna(), "due_date", "needs its agreed date"))
    limit = add_years(date, policy.clocks.max_extension_years)
    too_long = (ev["event_type"] == "extension_granted") & (ev["due_date"] > limit)
    checks.append(
        (
            too_long,
            "due_date",
            f"Art. 12 extends by at most {policy.clocks.max_extension_years} year",
        )
    )
    return checks


def _order_checks(ev: pd.DataFrame, known: pd.DataFrame, policy: CasesPolicy):
    """A step dated before its predecessor, or with no predecessor recorded."""
    first = known.groupby(["case_id", "event_type"])["event_date"].min()
    preds = ev["event_type"].map(policy.requires)
    has_pred = preds.notna()
    pairs = preds[has_pred].explode()
    keys = pd.MultiIndex.from_arrays([ev.loc[pairs.index, "case_id"], pairs.astype(str)])
    dates = pd.Series(first.reindex(keys).to_numpy(), index=pairs.index)
    pred_date = pd.to_datetime(dates.groupby(level=0).min().reindex(ev.index))  # earliest
    pred_name = (
        pd.DataFrame({"p": pairs, "d": dates})
        .sort_values("d", na_position="last")
        .groupby(level=0)["p"]
        .first()
        .reindex(ev.index)
        .astype(object)
        .fillna("")
    )
    field = _field(ev, "event_date")
    before = has_pred & pred_date.notna() & (ev["event_date"] < pred_date)
    reason_before = (
        "dated "
        + ev["event_date"].dt.strftime("%Y-%m-%d").fillna("")
        + " before its predecessor "
        + pred_name
        + " ("
        + pred_date.dt.strftime("%Y-%m-%d").fillna("")
        + ")"
    )
    missing = has_pred & pred_date.isna()
    names = preds.map(lambda p: " or ".join(p) if isinstance(p, list) else "")
    return [
        (before, field, reason_before),
        (missing, field, "no " + names + " recorded before it"),
    ]


def _amount_checks(ev: pd.DataFrame, recorded: pd.DataFrame, cases: pd.DataFrame):
    """A payment not positive, or above what is still due."""
    pay = ev["event_type"] == "fee_paid"
    amount = pd.to_numeric(ev["amount_wan"], errors="coerce")
    fee_due = _fee_due(ev["case_id"], recorded, cases)
    paid_before = (
        recorded.loc[recorded["event_type"] == "fee_paid"]
        .groupby("case_id")["amount_wan"]
        .sum()
        .reindex(ev["case_id"])
        .fillna(0.0)
        .to_numpy()
    )
    order = ev.assign(_a=amount.where(pay, 0.0)).sort_values("event_date", kind="stable")
    running = order.groupby("case_id")["_a"].cumsum().reindex(ev.index)
    # amounts compared at 0.01 元 (1e-6 万元), so binary rounding never flags an exact payment
    over = pay & fee_due.notna() & ((paid_before + running).round(6) > fee_due.round(6))
    reason = "amount above the fee due (" + fee_due.round(4).astype(str) + " 万元)"
    field = _field(ev, "amount_wan")
    return [
        (pay & ~(amount > 0), field, "amount missing or not above 0"),
        (over, field, reason),
    ]


def _fee_due(case_ids: pd.Series, recorded: pd.DataFrame, cases: pd.DataFrame) -> pd.Series:
    """The fee due of each case: the decision's amount, else the case's."""
    decided = recorded[
        (recorded["event_type"] == "fee_decision_served") & recorded["amount_wan"].notna()
    ]
    by_decision = decided.groupby("case_id")["amount_wan"].last()
    by_case = cases.set_index("case_id")["fee_due_wan"] if "fee_due_wan" in cases else None
    due = pd.to_numeric(case_ids.map(by_decision), errors="coerce").astype(float)
    if by_case is not None:
        due = due.fillna(pd.to_numeric(case_ids.map(by_case), errors="coerce").astype(float))
    return due


def _route_checks(ev: pd.DataFrame, cases: pd.DataFrame, policy: CasesPolicy):
    procedure = ev["case_id"].map(cases.set_index("case_id")["procedure"])
    allowed = procedure.map(lambda p: policy.routes.get(p, []) if isinstance(p, str) else [])
    has = ev["route"].notna() & (ev["route"].astype(str) != "")
    ok = pd.Series(
        [r in a for r, a in zip(ev["route"], allowed, strict=True)], index=ev.index, dtype=bool
    )
    return [(has & ~ok, _field(ev, "route"), "route not offered for this procedure")]


def _normalise(events: pd.DataFrame) -> pd.DataFrame:
    ev = events.copy()
    for col in EVENT_COLUMNS:
        if col not in ev:
            ev[col] = None
    ev["event_date"] = pd.to_datetime(ev["event_date"], errors="coerce")
    ev["due_date"] = pd.to_datetime(ev["due_date"], errors="coerce")
    ev["amount_wan"] = pd.to_numeric(ev["amount_wan"], errors="coerce")
    return ev


def _drop_recorded(ev: pd.DataFrame, recorded: pd.DataFrame | None) -> pd.DataFrame:
    """Events already recorded (same case, type and date) are neither new nor rejected."""
    if recorded is None or not len(recorded):
        return ev
    key = ["case_id", "event_type", "event_date"]
    seen = _normalise(recorded)[key].drop_duplicates().assign(_seen=True)
    flag = ev[key].merge(seen, on=key, how="left")["_seen"].fillna(False).to_numpy(dtype=bool)
    return ev[~flag]


def unrecorded(events: pd.DataFrame, recorded: pd.DataFrame | None) -> int:
    """How many of ``events`` are not recorded yet (same case, type and date).

    Examples
    --------
    >>> ev = pd.DataFrame({"case_id": ["C1", "C1"], "event_type": ["notice_served"] * 2,
    ...     "event_date": ["2019-03-01", "2019-03-02"]})
    >>> unrecorded(ev, ev[:1]), unrecorded(ev, None)
    (1, 2)
    """
    return len(_drop_recorded(_normalise(events), recorded))


def validate_events(
    events: pd.DataFrame,
    cases: pd.DataFrame,
    *,
    policy: CasesPolicy,
    recorded: pd.DataFrame | None = None,
    today: dt.date | pd.Timestamp,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split an officer's events into valid ones and rejects (file, row, field, reason).

    Checked: the case exists and the event type is known; the date is a date, not in the
    future and not before the case was opened; a step is not dated before its
    predecessor (``[cases.requires]``, against recorded and new events alike) and has
    one; an extension's agreed date is at most ``max_extension_years`` away; a payment
    is above 0 and, with the earlier ones, not above the fee due; a route is one the
    procedure offers. A row with several problems is rejected once per problem.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> cases = pd.DataFrame({"case_id": ["C1"], "procedure": ["idle"],
    ...     "opened_on": pd.to_datetime(["2019-02-01"]), "fee_due_wan": [40.0]})
    >>> events = pd.DataFrame({"case_id": ["C1", "C1"],
    ...     "event_type": ["notice_served", "determination_served"],
    ...     "event_date": ["2019-03-01", "2019-02-20"], "src_file": "ledger.xlsx",
    ...     "src_row": [3, 3], "src_field": ["调查通知书送达日期", "认定书送达日期"]})
    >>> ok, bad = validate_events(events, cases, policy=load_policy().cases, today="2019-12-31")
    >>> ok["event_type"].tolist()
    ['notice_served']
    >>> bad[["row", "field"]].values.tolist()
    [[3, '认定书送达日期']]
    """
    ev = _drop_recorded(_normalise(events), recorded)
    known = pd.concat([_normalise(recorded), ev]) if recorded is not None else ev
    today = pd.Timestamp(today).normalize()
    checks = [
        *_basic_checks(ev, cases, policy, today),
        *_order_checks(ev, known, policy),
        *_amount_checks(ev, _normalise(recorded) if recorded is not None else ev[:0], cases),
        *_route_checks(ev, cases, policy),
    ]
    rejects = [_reject(ev, mask.fillna(False).astype(bool), f, r) for mask, f, r in checks]
    rejects_df = pd.concat(rejects) if rejects else pd.DataFrame(columns=list(REJECT_COLUMNS))
    valid = ev.loc[~ev.index.isin(rejects_df.index), list(EVENT_COLUMNS)]
    return valid.reset_index(drop=True), rejects_df.reset_index(drop=True)


# --- the planner's workbook round trip -----------------------------------------------


@dataclass(frozen=True)
class LedgerField:
    """A column of the case ledger the officer fills, and the event it records."""

    column: str  #: column code (the workbook header is its label)
    label: str  #: workbook header
    event_type: str | None  #: event recorded when the date is filled (None: a detail)
    role: str = "date"  #: date | doc_no | amount | route | due_date | decision | text


#: The officer's columns of the ledger, in workbook order. A detail column (文号, 金额,
#: 处置方式, 约定日期) belongs to the event of the nearest date column before it.
LEDGER_FIELDS: tuple[LedgerField, ...] = (
    LedgerField("notice_served_on", "调查通知书送达日期", "notice_served"),
    LedgerField("notice_doc_no", "调查通知书文号", None, "doc_no"),
    LedgerField("answer_received_on", "答复材料收到日期", "answer_received"),
    LedgerField("determination_served_on", "认定书送达日期", "determination_served"),
    LedgerField("determination_doc_no", "认定书文号", None, "doc_no"),
    LedgerField("hearing_notice_served_on", "听证告知书送达日期", "hearing_notice_served"),
    LedgerField("hearing_notice_doc_no", "听证告知书文号", None, "doc_no"),
    LedgerField("hearing_requested_on", "申请听证日期", "hearing_requested"),
    LedgerField("hearing_held_on", "听证日期", "hearing_held"),
    LedgerField("decision", "处置决定", None, "decision"),
    LedgerField("decision_served_on", "决定书送达日期", "decision"),
    LedgerField("decision_doc_no", "决定书文号", None, "doc_no"),
    LedgerField("decision_amount_wan", "决定征缴金额 (万元)", None, "amount"),
    LedgerField("route", "处置方式", None, "route"),
    LedgerField("extension_until", "延期后动工日期", None, "due_date"),
    LedgerField("instalment_plan_on", "分期缴纳批准日期", "instalment_plan"),
    LedgerField("last_instalment_on", "末期缴纳日期", None, "due_date"),
    LedgerField("paid_on", "本次缴纳日期", "fee_paid"),
    LedgerField("amount_paid_wan", "本次缴纳金额 (万元)", None, "amount"),
    LedgerField("registration_cancelled_on", "注销登记日期", "registration_cancelled"),
    LedgerField("disposal_done_on", "处置完成日期", "disposal_done"),
    LedgerField("construction_started_on", "动工日期", "construction_started"),
    LedgerField("review_filed_on", "申请行政复议日期", "review_filed"),
    LedgerField("suit_filed_on", "提起行政诉讼日期", "suit_filed"),
    LedgerField("closed_on_filled", "销号日期", "closed"),
    LedgerField("recorded_by", "经办人", None, "text"),
    LedgerField("officer_notes", "办理备注", None, "text"),
)

#: The decision drop-down value → the event a served decision records.
DECISION_EVENTS: dict[str, str] = {
    "fee": "fee_decision_served",
    "recovery": "recovery_decision_served",
    "extension": "extension_granted",
    "disposal": "disposal_decided",
}


def is_case_ledger(columns: Sequence[object]) -> bool:
    """True when a sheet's headers are those of the case ledger (for the ETL's kind).

    Examples
    --------
    >>> is_case_ledger(["案件编号", "宗地代码", "调查通知书送达日期"])
    True
    >>> is_case_ledger(["宗地代码", "土地使用权人"])
    False
    """
    names = {str(c).strip() for c in columns}
    own = {f.label for f in LEDGER_FIELDS} | {f.column for f in LEDGER_FIELDS}
    return bool({"案件编号", "case_id"} & names) and bool(names & own)


def ledger_dates(values: pd.Series) -> pd.Series:
    """Dates as officers write them: Excel dates, ``2019-03-01``, ``2019/3/1``,
    ``2019年3月1日``, ``2019.3.1``; anything else becomes NaT (and is rejected).

    Examples
    --------
    >>> dates = ledger_dates(pd.Series(["2019年3月1日", "2019/3/1", "2019.03.01", "三月", None]))
    >>> [d.strftime("%Y-%m-%d") if pd.notna(d) else None for d in dates]
    ['2019-03-01', '2019-03-01', '2019-03-01', None, None]
    """
    text = values.astype("string").str.strip()
    text = text.str.replace(r"[年月./]", "-", regex=True).str.replace("日", "", regex=False)
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    direct = pd.to_datetime(
        values.where(values.map(lambda v: not isinstance(v, str))), errors="coerce"
    )
    return parsed.fillna(direct).dt.normalize()


def _ledger_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Headers by label or code → codes; blank strings → missing."""
    by_label = {f.label: f.column for f in LEDGER_FIELDS}
    frame = rows.rename(columns={c: by_label.get(str(c).strip(), c) for c in rows.columns})
    frame = frame.rename(columns={"案件编号": "case_id"})
    return frame.replace(r"^\s*$", np.nan, regex=True)


def _cell_events(frame: pd.DataFrame, field: LedgerField, decisions: Mapping[str, str]):
    """One event per filled date cell of ``field``, with its detail columns."""
    filled = frame[field.column].notna()
    rows = frame[filled]
    kind = pd.Series(field.event_type, index=rows.index, dtype=object)
    if field.event_type == "decision":
        decision = rows.get("decision", pd.Series(index=rows.index, dtype=object))
        kind = decision.map(decisions).fillna("(处置决定 not chosen)")
    start = [f.column for f in LEDGER_FIELDS].index(field.column)
    details = {}
    for f in LEDGER_FIELDS[start + 1 :]:
        if f.event_type is not None:
            break
        if f.role in ("doc_no", "amount", "route", "due_date") and f.column in rows:
            details[{"doc_no": "doc_no", "amount": "amount_wan"}.get(f.role, f.role)] = rows[
                f.column
            ]
    return pd.DataFrame(
        {
            "case_id": rows["case_id"],
            "event_type": kind,
            "event_date": ledger_dates(rows[field.column]),
            "src_value": rows[field.column].astype(str),
            "src_field": field.label,
            "_row": rows.index,
            **details,
        }
    )


def ledger_events(
    rows: pd.DataFrame,
    file_name: str,
    *,
    decisions: Mapping[str, str],
    first_row: int = 3,
) -> pd.DataFrame:
    """The events an officer wrote into a filled case ledger (one row per case).

    Parameters
    ----------
    rows
        The ledger sheet as read by pandas (headers = the labels of
        :data:`LEDGER_FIELDS`, or their codes; ``案件编号``/``case_id`` identifies the
        case).
    file_name
        Named in every event's provenance (``src_file``) and reject.
    decisions
        Drop-down label of 处置决定 → decision code (:data:`DECISION_EVENTS` keys), as
        written by :mod:`devzone.reports.case_ledger` (``vocab.CASE_DECISION_LABELS``
        inverted).
    first_row
        Spreadsheet row number of the first data row (3 below a note and a header).

    Returns
    -------
    DataFrame
        Events (``EVENT_COLUMNS`` plus ``src_field``/``src_value``), not yet validated:
        pass them to :func:`validate_events`. A date cell that is not a date gives an
        event without a date, which validation rejects with its row and column.

    Examples
    --------
    >>> sheet = pd.DataFrame({"案件编号": ["C1"], "调查通知书送达日期": ["2019-03-01"],
    ...     "调查通知书文号": ["六自然资闲〔2019〕0001号"], "经办人": ["张三"]})
    >>> ev = ledger_events(sheet, "ledger.xlsx", decisions={})
    >>> ev[["event_type", "event_date", "doc_no", "src_row", "recorded_by"]].values.tolist()
    [['notice_served', Timestamp('2019-03-01 00:00:00'), '六自然资闲〔2019〕0001号', 3, '张三']]
    """
    frame = _ledger_frame(rows).reset_index(drop=True)
    codes = {k: DECISION_EVENTS.get(v, v) for k, v in decisions.items()}
    codes.update(dict(DECISION_EVENTS.items()))
    parts = [
        _cell_events(frame, f, codes)
        for f in LEDGER_FIELDS
        if f.event_type is not None and f.column in frame
    ]
    if not parts:
        return pd.DataFrame(columns=[*EVENT_COLUMNS, "src_field", "src_value"])
    ev = pd.concat(parts, ignore_index=True)
    for col, source in (("recorded_by", "recorded_by"), ("notes", "officer_notes")):
        ev[col] = ev["_row"].map(frame[source]) if source in frame else None
    ev["src_file"] = file_name
    ev["src_row"] = ev["_row"] + first_row
    ev = ev.drop(columns="_row").sort_values(["src_row", "event_date"], kind="stable")
    for col in EVENT_COLUMNS:
        if col not in ev:
            ev[col] = None
    return ev.reset_index(drop=True)
