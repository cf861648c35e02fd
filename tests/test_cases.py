"""Cases (案件): states from events, statutory clocks worked by hand, validation, the
ledger round trip and the append-only database edge on both backends.

Reading of "within 30 days" (自送达之日起三十日内): the day of service does not count;
the period ends on the 30th calendar day after it, which is still in time. So a
调查通知书 served 2019-03-01 is answered by 2019-03-31 (days left 0 that day) and the
case is overdue from 2019-04-01.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from devzone.db import cases_io
from devzone.db.io import table_of
from devzone.landuse.cases import (
    CASE_COLUMNS,
    EVENT_COLUMNS,
    appeal_deadlines,
    case_states,
    idle_candidates,
    ledger_events,
    validate_events,
)
from devzone.policy import load_policy, replace
from devzone.reports.case_ledger import write_case_ledger
from devzone.vocab import CASE_DECISION_LABELS, CASE_EVENT_LABELS, CASE_STATE_LABELS

POLICY = load_policy()
CASES = POLICY.cases
T = pd.Timestamp


def _case(**extra: object) -> pd.DataFrame:
    row = {
        "case_id": "IDLE-P1-1",
        "procedure": "idle",
        "parcel_code": "P1",
        "opened_on": T("2019-02-20"),
        "fee_due_wan": 240.0,
        "measure": "idle_fee",
    }
    return pd.DataFrame([{**row, **extra}])


def _events(*rows: tuple) -> pd.DataFrame:
    """(event_type, date[, due_date[, amount]]) rows of case IDLE-P1-1."""
    out = []
    for r in rows:
        due = T(r[2]) if len(r) > 2 and r[2] else pd.NaT
        out.append(
            {
                "case_id": "IDLE-P1-1",
                "event_type": r[0],
                "event_date": T(r[1]),
                "due_date": due,
                "amount_wan": r[3] if len(r) > 3 else None,
            }
        )
    return pd.DataFrame(out)


def _state(events: pd.DataFrame | None, as_of: str, **case: object) -> pd.Series:
    return case_states(_case(**case), events, policy=CASES, as_of=as_of).iloc[0]


PROCEDURE = (
    ("notice_served", "2019-03-01"),
    ("answer_received", "2019-03-20"),
    ("determination_served", "2019-04-10"),
    ("hearing_notice_served", "2019-04-19"),
)


# --- clocks, worked by hand -----------------------------------------------------------


def test_a_new_case_must_serve_its_notice_within_30_days() -> None:
    s = _state(None, "2019-03-01")
    assert (s.state, s.next_step, s.next_due) == ("suspected", "serve_notice", T("2019-03-22"))
    assert s.days_left == 21
    assert not s.overdue


def test_unanswered_notice_is_due_on_the_30th_day_and_overdue_from_the_31st() -> None:
    ev = _events(("notice_served", "2019-03-01"))
    on_due = _state(ev, "2019-03-31")
    assert on_due.state == "investigating"
    assert on_due.next_step == "answer"
    assert on_due.next_due == T("2019-03-31")
    assert on_due.days_left == 0
    assert not on_due.overdue
    late = _state(ev, "2019-04-01")
    assert late.days_left == -1
    assert late.overdue


def test_the_answer_stops_the_holders_clock() -> None:
    s = _state(_events(*PROCEDURE[:2]), "2019-05-01")
    assert (s.next_step, s.overdue) == ("determine", False)
    assert pd.isna(s.next_due)


def test_hearing_window_is_five_working_days_then_the_decision_is_next() -> None:
    ev = _events(*PROCEDURE)
    during = _state(ev, "2019-04-22")
    assert during.state == "hearing"
    assert during.next_step == "hearing_request"
    assert during.next_due == T("2019-04-26")  # Fri 19 April + 5 working days
    after = _state(ev, "2019-04-29")
    assert after.next_step == "decide"
    assert pd.isna(after.next_due)
    assert not after.overdue


def test_fee_decision_served_2019_06_10_unpaid_on_2019_07_11_is_overdue() -> None:
    ev = _events(*PROCEDURE, ("fee_decision_served", "2019-06-10"))
    s = _state(ev, "2019-07-11")
    assert (s.state, s.next_step, s.next_due) == ("decided", "pay_fee", T("2019-07-10"))
    assert s.days_left == -1
    assert s.overdue
    assert not _state(ev, "2019-07-10").overdue


def test_payments_add_up_to_the_fee_due() -> None:
    base = (*PROCEDURE, ("fee_decision_served", "2019-06-10"))
    part = _state(_events(*base, ("fee_paid", "2019-06-30", None, 100.0)), "2019-07-11")
    assert part.state == "decided"
    assert part.overdue
    paid = _state(
        _events(
            *base, ("fee_paid", "2019-06-30", None, 100.0), ("fee_paid", "2019-07-05", None, 140.0)
        ),
        "2019-07-11",
    )
    assert (paid.state, paid.next_step, paid.state_since) == ("fee_paid", "close", T("2019-07-05"))
    assert not paid.overdue


def test_instalments_pause_the_fee_clock_until_the_last_instalment() -> None:
    ev = _events(
        *PROCEDURE,
        ("fee_decision_served", "2019-06-10"),
        ("instalment_plan", "2019-06-20", "2019-12-31"),
        ("fee_paid", "2019-07-01", None, 80.0),
    )
    s = _state(ev, "2019-07-11")
    assert (s.next_step, s.next_due, s.overdue) == ("pay_fee", T("2019-12-31"), False)
    assert _state(ev, "2020-01-01").overdue


def test_an_art_12_extension_of_8_months_sets_a_new_deadline() -> None:
    ev = _events(*PROCEDURE[:3], ("extension_granted", "2019-05-15", "2020-01-15"))
    s = _state(ev, "2019-12-31", measure="government_cause")
    assert (s.state, s.next_step, s.next_due) == ("extended", "start_construction", T("2020-01-15"))
    assert s.days_left == 15
    assert not s.overdue
    late = _state(ev, "2020-01-16", measure="government_cause")
    assert late.overdue  # not an open-ended exemption
    done = _state(pd.concat([ev, _events(("construction_started", "2020-01-10"))]), "2020-01-16")
    assert (done.state, done.next_step, done.overdue) == ("disposed", "close", False)


def test_an_appeal_reopens_a_closed_case() -> None:
    closed = (
        *PROCEDURE,
        ("fee_decision_served", "2019-06-10"),
        ("fee_paid", "2019-07-01", None, 240.0),
        ("closed", "2019-08-01"),
    )
    s = _state(_events(*closed), "2019-08-10")
    assert s.state == "closed"
    assert s.closed_on == T("2019-08-01")
    s = _state(_events(*closed, ("review_filed", "2019-08-05")), "2019-08-10")
    assert (s.state, s.next_step) == ("appeal", "await_appeal")
    assert pd.isna(s.closed_on)
    assert pd.isna(s.next_due)
    assert not s.overdue
    upheld = _state(
        _events(*closed, ("review_filed", "2019-08-05"), ("appeal_upheld", "2019-09-30")),
        "2019-10-01",
    )
    assert upheld.state == "closed"
    assert upheld.closed_on == T("2019-08-01")


def test_an_appeal_suspends_the_fee_clock() -> None:
    base = (*PROCEDURE, ("fee_decision_served", "2019-06-10"), ("review_filed", "2019-06-20"))
    during = _state(_events(*base), "2019-07-20")
    assert during.state == "appeal"
    assert not during.overdue
    upheld = _state(_events(*base, ("appeal_upheld", "2019-07-20")), "2019-08-01")
    # 2019-07-10 + the 30 days the appeal lasted
    assert (upheld.state, upheld.next_due, upheld.overdue) == ("decided", T("2019-08-09"), False)
    revoked = _state(_events(*base, ("appeal_revoked", "2019-07-20")), "2019-08-01")
    assert (revoked.state, revoked.next_step) == ("determined", "decide")


def test_29_february() -> None:
    s = _state(_events(("notice_served", "2020-01-30")), "2020-02-29", opened_on=T("2020-01-20"))
    assert s.next_due == T("2020-02-29")
    assert s.days_left == 0
    deadlines = appeal_deadlines(pd.Series([T("2019-08-31"), T("2020-02-29")]), CASES.clocks)
    assert deadlines["suit_until"].tolist() == [T("2020-02-29"), T("2020-08-29")]
    assert deadlines["review_until"].tolist() == [T("2019-10-30"), T("2020-04-29")]
    cases = _case(opened_on=T("2019-12-01"))
    ok = _events(*PROCEDURE[:3])
    ok["event_date"] = [T("2019-12-10"), T("2020-01-10"), T("2020-02-01")]
    ext = pd.DataFrame(
        {
            "case_id": "IDLE-P1-1",
            "event_type": "extension_granted",
            "event_date": [T("2020-02-29"), T("2020-02-29")],
            "due_date": [T("2021-02-28"), T("2021-03-01")],
            "src_row": [3, 4],
        }
    )
    valid, rejects = validate_events(ext, cases, policy=CASES, recorded=ok, today="2020-03-01")
    assert valid["due_date"].tolist() == [T("2021-02-28")]  # 2020-02-29 + 1 year
    assert rejects[["row", "field"]].values.tolist() == [[4, "due_date"]]


# --- validation -------------------------------------------------------------------


def test_a_decision_dated_before_the_notice_is_rejected_with_its_row_and_field() -> None:
    recorded = _events(*PROCEDURE)
    new = pd.DataFrame(
        {
            "case_id": ["IDLE-P1-1"],
            "event_type": ["fee_decision_served"],
            "event_date": ["2019-02-25"],
            "src_file": ["台账.xlsx"],
            "src_row": [7],
            "src_field": ["决定书送达日期"],
        }
    )
    valid, rejects = validate_events(
        new, _case(), policy=CASES, recorded=recorded, today="2019-12-31"
    )
    assert valid.empty
    got = rejects.iloc[0]
    assert (got.file, got.row, got.field) == ("台账.xlsx", 7, "决定书送达日期")
    assert "before its predecessor hearing_notice_served (2019-04-19)" in got.reason


def test_other_bad_rows_are_rejected() -> None:
    recorded = _events(*PROCEDURE, ("fee_decision_served", "2019-06-10"))
    new = pd.DataFrame(
        {
            "case_id": ["IDLE-P1-1", "IDLE-P1-1", "NOPE", "IDLE-P1-1", "IDLE-P1-1"],
            "event_type": ["fee_paid", "fee_paid", "notice_served", "closed", "disposal_decided"],
            "event_date": ["2019-06-20", "2019-06-21", "2019-03-01", "2030-01-01", "2019-06-22"],
            "amount_wan": [200.0, 50.0, None, None, None],
            "route": [None, None, None, None, "不存在的方式"],
            "src_row": [3, 4, 5, 6, 7],
        }
    )
    valid, rejects = validate_events(
        new, _case(), policy=CASES, recorded=recorded, today="2019-12-31"
    )
    assert valid["src_row"].tolist() == [3]
    why = dict(zip(rejects["row"], rejects["field"], strict=True))
    assert why == {4: "amount_wan", 5: "case_id", 6: "event_date", 7: "route"}
    assert "above the fee due (240.0 万元)" in rejects.loc[rejects["row"] == 4, "reason"].iloc[0]


def test_recorded_events_are_neither_new_nor_rejected() -> None:
    recorded = _events(
        *PROCEDURE, ("fee_decision_served", "2019-06-10"), ("fee_paid", "2019-06-20", None, 240.0)
    )
    again = recorded.tail(1).assign(src_row=3)
    valid, rejects = validate_events(
        again, _case(), policy=CASES, recorded=recorded, today="2019-12-31"
    )
    assert valid.empty
    assert rejects.empty


# --- the workbook round trip ---------------------------------------------------------


def _fill(path: Path, values: dict[str, object]) -> pd.DataFrame:
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    headers = {c.value: c.column for c in ws[2]}
    for header, value in values.items():
        ws.cell(row=3, column=headers[header], value=value)
    wb.save(path)
    return pd.read_excel(path, header=1, dtype=object)


def test_ledger_round_trip(tmp_path: Path) -> None:
    cases = case_states(
        _case(holder="某某公司"), _events(*PROCEDURE), policy=CASES, as_of="2019-05-01"
    )
    path = write_case_ledger(tmp_path / "台账.xlsx", cases, policy=CASES, as_of=dt.date(2019, 5, 1))
    ws = openpyxl.load_workbook(path).active
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert any("收回处置" in f for f in lists)
    assert any("征缴土地闲置费" in f for f in lists)
    rows = _fill(
        path,
        {
            "处置决定": CASE_DECISION_LABELS["fee"],
            "决定书送达日期": "2019年6月10日",
            "决定书文号": "六自然资闲〔2019〕0007号",
            "本次缴纳日期": "2019-03-15",  # before the decision: rejected
            "本次缴纳金额 (万元)": 100,
            "经办人": "李四",
        },
    )
    decisions = {label: code for code, label in CASE_DECISION_LABELS.items()}
    events = ledger_events(rows, "台账.xlsx", decisions=decisions)
    valid, rejects = validate_events(
        events, cases, policy=CASES, recorded=_events(*PROCEDURE), today="2019-12-31"
    )
    assert valid[["event_type", "doc_no", "recorded_by", "src_row"]].values.tolist() == [
        ["fee_decision_served", "六自然资闲〔2019〕0007号", "李四", 3]
    ]
    assert rejects[["file", "row", "field"]].values.tolist() == [["台账.xlsx", 3, "本次缴纳日期"]]


def test_idle_candidates_skip_government_cause() -> None:
    status = pd.DataFrame(
        {
            "parcel_code": ["A", "B", "C"],
            "status": ["idle_fee", "government_cause", "idle_recover"],
            "idle_fee_wan": [10.0, 0.0, None],
        }
    )
    assert idle_candidates(status)["parcel_code"].tolist() == ["A", "C"]


def test_vocabulary_and_policy_agree() -> None:
    assert set(CASES.transitions) == set(CASE_EVENT_LABELS)
    assert set(CASES.transitions.values()) <= set(CASE_STATE_LABELS)
    assert set(CASES.requires) <= set(CASES.transitions)
    assert {d.event for d in CASES.documents.values()} <= set(CASES.transitions)
    assert set(CASE_COLUMNS) == {c.name for c in table_of("land_case").c} - {"fid"}
    assert set(EVENT_COLUMNS) == {c.name for c in table_of("land_case_event").c} - {"fid"}
    with pytest.raises(Exception, match="max_extension_years"):
        replace(CASES.clocks, max_extension_years=0)


# --- the database edge, both backends ------------------------------------------------


def test_propose_twice_neither_duplicates_nor_resets(engine) -> None:  # type: ignore[no-untyped-def]
    from devzone.jobs.cases import refresh_cases

    cand = pd.DataFrame(
        {"procedure": ["idle", "idle"], "parcel_code": ["P1", "P2"], "fee_due_wan": [240.0, 50.0]}
    )
    first = cases_io.propose_cases(engine, cand, policy=CASES, opened_on=dt.date(2019, 2, 20))
    assert first["case_id"].tolist() == ["IDLE-P1-1", "IDLE-P2-1"]
    ev = _events(("notice_served", "2019-03-01")).assign(src_file="台账.xlsx", src_row=3)
    assert cases_io.record_events(engine, ev, batch="b1") == 1
    assert cases_io.record_events(engine, ev, batch="b2") == 0
    refresh_cases(engine, policy=POLICY, as_of=dt.date(2019, 4, 1))
    again = cases_io.propose_cases(engine, cand, policy=CASES, opened_on=dt.date(2019, 12, 31))
    assert again.empty
    stored = cases_io.read_cases(engine).set_index("case_id")
    assert len(stored) == 2
    p1 = stored.loc["IDLE-P1-1"]
    assert (p1.state, p1.next_due, bool(p1.overdue)) == ("investigating", T("2019-03-31"), True)
    assert p1.opened_on == T("2019-02-20")
    events = cases_io.read_events(engine)
    assert events[["case_id", "event_type", "batch", "src_row"]].values.tolist() == [
        ["IDLE-P1-1", "notice_served", "b1", 3]
    ]
    # a closed case lets a new one open, numbered on
    cases_io.record_events(engine, _events(("closed", "2019-06-01")).assign(case_id="IDLE-P2-1"))
    refresh_cases(engine, policy=POLICY, as_of=dt.date(2019, 7, 1))
    new = cases_io.propose_cases(engine, cand, policy=CASES, opened_on=dt.date(2019, 12, 31))
    assert new["case_id"].tolist() == ["IDLE-P2-2"]


def test_ledger_job_records_once_and_lists_due(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from devzone.jobs.cases import cases_due, load_case_ledger

    cand = pd.DataFrame({"procedure": ["idle"], "parcel_code": ["P1"], "holder": ["某公司"]})
    cases_io.propose_cases(engine, cand, policy=CASES, opened_on=dt.date(2019, 2, 20))
    out = tmp_path / "台账.xlsx"
    due = cases_due(engine, as_of=dt.date(2019, 3, 1), within=30, out=out)
    assert due["case_id"].tolist() == ["IDLE-P1-1"]
    assert due["next_due"].iloc[0] == T("2019-03-22")
    rows = _fill(
        out, {"调查通知书送达日期": "2019-03-01", "调查通知书文号": "六自然资闲〔2019〕0001号"}
    )
    first = load_case_ledger(engine, rows, "台账.xlsx", today=dt.date(2019, 4, 1))
    assert (first["read"], first["recorded"], len(first["rejects"])) == (1, 1, 0)
    second = load_case_ledger(engine, rows, "台账.xlsx", today=dt.date(2019, 4, 1))
    assert (second["recorded"], second["unchanged"]) == (0, 1)
    due = cases_due(engine, as_of=dt.date(2019, 4, 1), within=0)
    assert bool(due["overdue"].iloc[0])
    assert due["next_step"].iloc[0] == "answer"


def test_cli_cases_due(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from devzone.cli.main import app
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine

    url = f"gpkg:///{tmp_path / 'x.gpkg'}"
    eng = make_engine(url, create=True)
    init_db(eng)
    cand = pd.DataFrame({"procedure": ["idle"], "parcel_code": ["P9"], "zone_code": ["S1"]})
    cases_io.propose_cases(eng, cand, policy=CASES, opened_on=dt.date(2019, 2, 20))
    eng.dispose()
    res = CliRunner().invoke(
        app,
        ["cases", "due", "--as-of", "2019-04-01", "--db", url, "--out", str(tmp_path / "d.xlsx")],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    assert "IDLE-P9-1" in res.output
    assert (tmp_path / "d.xlsx").exists()


def test_propose_idle_cases_from_an_idle_analysis(engine) -> None:  # type: ignore[no-untyped-def]
    from devzone.db.io import write_frame
    from devzone.jobs.cases import propose_idle_cases

    cols = [c.name for c in table_of("parcel_idle_status").c if c.name != "fid"]
    rows = pd.DataFrame({c: [None, None] for c in cols})
    rows["as_of_date"] = T("2019-12-31")
    rows["parcel_code"] = ["P1", "P2"]
    rows["status"] = ["idle_recover", "under_construction"]
    rows["holder"] = ["某公司", "另一公司"]
    write_frame(engine, "parcel_idle_status", rows)
    new = propose_idle_cases(engine, as_of=dt.date(2019, 12, 31), policy=POLICY)
    assert new["case_id"].tolist() == ["IDLE-P1-1"]
    assert propose_idle_cases(engine, as_of=dt.date(2019, 12, 31), policy=POLICY).empty
    stored = cases_io.read_cases(engine).iloc[0]
    assert (stored.measure, stored.next_step, stored.next_due) == (
        "idle_recover",
        "serve_notice",
        T("2020-01-30"),
    )
    assert stored.opened_by == "devzone idle --as-of 2019-12-31"


def test_an_appeal_outcome_needs_a_review_or_a_suit_before_it() -> None:
    recorded = _events(
        *PROCEDURE, ("fee_decision_served", "2019-06-10"), ("suit_filed", "2019-07-01")
    )
    new = pd.DataFrame(
        {
            "case_id": "IDLE-P1-1",
            "event_type": ["appeal_upheld", "appeal_upheld"],
            "event_date": ["2019-06-25", "2019-11-20"],
            "src_row": [3, 4],
        }
    )
    valid, rejects = validate_events(
        new, _case(), policy=CASES, recorded=recorded, today="2019-12-31"
    )
    assert valid["src_row"].tolist() == [4]
    assert rejects["reason"].tolist() == [
        "dated 2019-06-25 before its predecessor suit_filed (2019-07-01)"
    ]
    none = validate_events(
        new, _case(), policy=CASES, recorded=_events(*PROCEDURE), today="2019-12-31"
    )[1]
    assert set(none["reason"]) == {"no review_filed or suit_filed recorded before it"}


def test_an_exit_case_chooses_a_route_then_is_disposed() -> None:
    exit_case = {"case_id": "IDLE-P1-1", "procedure": "exit", "measure": "zombie"}
    s = _state(None, "2019-03-01", **exit_case)
    assert (s.state, s.next_step, s.overdue) == ("suspected", "decide", False)
    assert pd.isna(s.next_due)
    ev = _events(("disposal_decided", "2019-04-01"), ("disposal_done", "2019-09-01"))
    ev["route"] = ["整体出让", None]
    valid, rejects = validate_events(
        ev, _case(procedure="exit"), policy=CASES, recorded=None, today="2019-12-31"
    )
    assert rejects.empty
    assert len(valid) == 2
    s = _state(ev, "2019-09-02", **exit_case)
    assert (s.state, s.next_step) == ("disposed", "close")
