"""The official documents of a case as DOCX (调查通知书, 认定书, 听证告知书, 决定书).

Each document is a docxtpl template (``data/templates/documents/*.docx``, built by
``scripts/make_document_templates.py`` in the GB/T 9704 layout) filled with the facts of
the case: the parcel, the holder, the legal basis (``[cases.documents.<kind>].basis``),
the dates and the deadlines computed from them, and for the decisions the appeal
paragraph (行政复议 within ``review_days``, 行政诉讼 within ``suit_months``). A bureau
replaces any template by putting its own ``.docx`` of the same name in the folder named
by ``[cases] templates_dir``; files missing there come from the shipped folder.

Every value from the data is XML-escaped by docxtpl (``autoescape=True``): a holder
called ``<A&B>`` is printed as such, never read as markup.

What is rendered, per case: the document of every recorded event that serves one (with
its date and 文号; a blank number when none was recorded), and a draft of the next
document to serve (dated the as-of day, with a proposed 文号: the drafts of one run are
numbered 0001, 0002 … within the year, for the officer to confirm against the register).
The appeal paragraph (行政复议/行政诉讼) is in the 认定书 and the two decisions; the
调查通知书 and 听证告知书 are procedural steps (过程性行为) and carry none.

Fonts: the shipped templates use Noto Serif CJK SC (fonts-noto-cjk) for the title
(二号, bold, in place of 小标宋) and the body (三号, in place of 仿宋), because this
machine has neither 方正小标宋简体 nor 仿宋_GB2312; ``make_document_templates.py`` picks
the official fonts where fontconfig finds them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from docxtpl import DocxTemplate

from devzone.landuse.cases import add_days, add_working_days, appeal_deadlines
from devzone.paths import DATA_DIR
from devzone.policy.sections import Policy
from devzone.vocab import MEASURE_LABELS

__all__ = ["SHIPPED_TEMPLATES", "cn_date", "render_case_documents", "template_path"]

#: The shipped templates.
SHIPPED_TEMPLATES = DATA_DIR / "templates" / "documents"

#: next_step → the document that step serves (the decision depends on the measure).
_STEP_DOCUMENT = {
    "serve_notice": "investigation_notice",
    "determine": "determination",
    "notify_hearing": "hearing_notice",
}
_DECISION_DOCUMENT = {
    "idle_fee": "fee_decision",
    "idle_stalled": "fee_decision",
    "idle_recover": "recovery_decision",
}


def cn_date(value: object) -> str:
    """A date as 成文日期 is written (GB/T 9704-2012: Arabic numerals).

    Examples
    --------
    >>> cn_date(pd.Timestamp("2019-03-01"))
    '2019年3月1日'
    >>> cn_date(None)
    '    年  月  日'
    """
    if value is None or pd.isna(value):
        return "    年  月  日"
    ts = pd.Timestamp(value)
    return f"{ts.year}年{ts.month}月{ts.day}日"


def template_path(file_name: str, templates_dir: str) -> Path:
    """The bureau's template when its folder has one, else the shipped one.

    Examples
    --------
    >>> template_path("听证告知书.docx", "").name
    '听证告知书.docx'
    """
    if templates_dir:
        own = Path(templates_dir).expanduser() / file_name
        if own.is_file():
            return own
    return SHIPPED_TEMPLATES / file_name


def _text(value: object, digits: int | None = None) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if digits is not None and isinstance(value, int | float):
        return f"{float(value):,.{digits}f}"
    return str(value)


def _facts(case: Mapping[str, object], policy: Policy) -> dict[str, str]:
    measure = case.get("measure")
    return {
        "issuer": policy.idle.notice.issuer,
        "holder": _text(case.get("holder")),
        "location": _text(case.get("location")),
        "parcel_code": _text(case.get("parcel_code")),
        "supervision_no": _text(case.get("supervision_no")),
        "area_m2": _text(case.get("area_m2"), 2),
        "price_wan": _text(case.get("price_wan"), 2),
        "agreed_start": cn_date(case.get("agreed_start_date")),
        "idle_since": cn_date(case.get("idle_since")),
        "measure": MEASURE_LABELS.get(str(measure), _text(measure)),
        "fee_wan": _text(case.get("fee_due_wan"), 2),
        "fee_rate": f"{policy.idle.fee_rate:.0%}",
        "review_body": policy.cases.review_body,
        "court": policy.cases.court,
        "contact": policy.idle.notice.issuer,
        "synthetic_note": "",
    }


def _deadlines(day: pd.Timestamp, policy: Policy) -> dict[str, str]:
    clocks = policy.cases.clocks
    appeal = appeal_deadlines(pd.Series([day]), clocks).iloc[0]
    return {
        "date_cn": cn_date(day),
        "answer_days": str(clocks.answer_days),
        "answer_due": cn_date(add_days(day, clocks.answer_days)),
        "hearing_days": str(clocks.hearing_request_working_days),
        "hearing_due": cn_date(add_working_days(day, clocks.hearing_request_working_days)),
        "pay_days": str(clocks.fee_payment_days),
        "pay_due": cn_date(add_days(day, clocks.fee_payment_days)),
        "cancel_days": str(clocks.cancel_registration_days),
        "cancel_due": cn_date(add_days(day, clocks.cancel_registration_days)),
        "review_days": str(clocks.review_days),
        "review_until": cn_date(appeal["review_until"]),
        "suit_months": str(clocks.suit_months),
        "suit_until": cn_date(appeal["suit_until"]),
    }


def _to_render(
    cases: pd.DataFrame, events: pd.DataFrame | None, policy: Policy, as_of: pd.Timestamp
) -> list[tuple[Mapping[str, object], str, pd.Timestamp, str | None]]:
    """(case, document kind, date, 文号 or None) for every document to write."""
    by_event = {doc.event: kind for kind, doc in policy.cases.documents.items()}
    ev = events if events is not None else pd.DataFrame(columns=["case_id", "event_type"])
    ev = ev[ev["event_type"].isin(list(by_event))]
    todo = []
    for case in cases.to_dict("records"):
        for e in ev[ev["case_id"] == case["case_id"]].to_dict("records"):
            date = pd.Timestamp(e["event_date"])
            doc_no = e.get("doc_no")
            recorded = isinstance(doc_no, str) and doc_no.strip()
            todo.append((case, by_event[e["event_type"]], date, doc_no if recorded else ""))
        step = case.get("next_step")
        kind = _STEP_DOCUMENT.get(str(step))
        if step == "decide":
            kind = _DECISION_DOCUMENT.get(str(case.get("measure")))
        if kind is not None:
            todo.append((case, kind, as_of, None))
    return todo


def render_case_documents(
    cases: pd.DataFrame,
    events: pd.DataFrame | None,
    out_dir: str | Path,
    policy: Policy,
    *,
    as_of: dt.date | None = None,
    synthetic: bool = False,
) -> list[Path]:
    """Write the documents of each case as DOCX, one file per document.

    Parameters
    ----------
    cases, events
        ``land_case`` and ``land_case_event`` rows (states and next steps as computed
        by :func:`devzone.landuse.cases.case_states`).
    out_dir
        Folder written (created); files are ``<case_id>_<title>.docx``, drafts
        ``<case_id>_<title>_草稿.docx``.
    policy
        The whole policy: ``[cases]`` for the documents, clocks and templates, ``[idle]``
        for the issuer and the fee rate.
    as_of
        Date of the drafts (today by default).
    synthetic
        Adds a line saying the facts are synthetic (the bundled sample).

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    day = pd.Timestamp(as_of or dt.date.today()).normalize()
    seq: dict[int, int] = {}
    written = []
    prefix = policy.cases.doc_no_prefix
    for case, kind, date, doc_no in _to_render(cases, events, policy, day):
        doc = policy.cases.documents[kind]
        draft = doc_no is None
        if draft:  # the next free number of the year, for the officer to confirm
            seq[date.year] = seq.get(date.year, 0) + 1
            doc_no = f"{prefix}〔{date.year}〕{seq[date.year]:04d}号"
        elif not doc_no:  # served, but its number was not recorded
            doc_no = f"{prefix}〔{date.year}〕    号"
        context = {**_facts(case, policy), **_deadlines(date, policy)}
        context.update(doc_no=doc_no, basis=doc.basis, title=doc.title)
        if synthetic:
            context["synthetic_note"] = "（合成数据，仅供演示，非真实文书）"
        template = DocxTemplate(template_path(doc.template, policy.cases.templates_dir))
        template.render(context, autoescape=True)
        suffix = "_草稿" if draft else ""
        path = out / f"{case['case_id']}_{doc.title}{suffix}.docx"
        template.save(path)
        written.append(path)
    return written
