"""Notice documents of the idle-land procedure (闲置土地处置文书), rendered as HTML.

Per idle parcel (闲置土地处置办法 Art. 9, 11, 14): 闲置土地调查通知书 and 闲置土地认定书;
then 征缴土地闲置费决定书 (``idle_fee``, ``idle_stalled``) or 收回国有建设用地使用权决定书
(``idle_recover``). Land idle for a government cause (Art. 8) gets the first two only,
the 认定书 listing the Art. 12 options. Templates live in ``data/templates/notices/``
(Jinja2, autoescape on: text from the data is always escaped); the issuer, reply periods
and legal bases come from ``[idle.notice]`` in ``data/policy/idle.toml``
(:class:`~devzone.policy.sections.IdleNoticePolicy`), the measure ordered from
:data:`devzone.vocab.MEASURE_LABELS`.

Every document is marked as a draft generated from database records, and as synthetic
when the job says the data is (:func:`devzone.db.io.synthetic_data`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from devzone.paths import data_path
from devzone.policy.sections import IdlePolicy
from devzone.units import M2_PER_MU
from devzone.vocab import MEASURE_LABELS

__all__ = ["DOCUMENTS", "NOTICE_STATUSES", "documents_for", "render_notices", "template_env"]

#: (file stem, template, title, basis field of ``[idle.notice]``) of each document.
DOCUMENTS = {
    "investigation": (
        "01_闲置土地调查通知书",
        "investigation.html",
        "闲置土地调查通知书",
        "basis_investigation",
    ),
    "determination": (
        "02_闲置土地认定书",
        "determination.html",
        "闲置土地认定书",
        "basis_determination",
    ),
    "fee": ("03_征缴土地闲置费决定书", "fee_decision.html", "征缴土地闲置费决定书", "basis_fee"),
    "recovery": (
        "03_收回国有建设用地使用权决定书",
        "recovery_decision.html",
        "收回国有建设用地使用权决定书",
        "basis_recovery",
    ),
}

#: Statuses that get notices, and which documents each gets.
NOTICE_STATUSES = {
    "idle_fee": ("investigation", "determination", "fee"),
    "idle_stalled": ("investigation", "determination", "fee"),
    "idle_recover": ("investigation", "determination", "recovery"),
    "government_cause": ("investigation", "determination"),
}

_UNSAFE = re.compile(r"[^\w\-.]+", re.UNICODE)


def template_env(folder: Path | None = None) -> jinja2.Environment:
    """Jinja2 environment over the notice templates, HTML autoescape always on.

    Examples
    --------
    >>> template_env().from_string("{{ x }}").render(x="<b>")
    '&lt;b&gt;'
    """
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder or data_path("templates", "notices"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def documents_for(status: str) -> tuple[str, ...]:
    """Keys of :data:`DOCUMENTS` issued for a parcel with ``status`` (empty if none).

    Examples
    --------
    >>> documents_for("idle_recover"), documents_for("overdue")
    (('investigation', 'determination', 'recovery'), ())
    """
    return NOTICE_STATUSES.get(status, ())


def _cn_date(value: Any) -> str:
    ts = pd.Timestamp(value) if value is not None and not pd.isna(value) else None
    return f"{ts.year}年{ts.month}月{ts.day}日" if ts is not None else "—"


def _number(value: Any, digits: int = 2) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):,.{digits}f}"


#: Text columns of ``parcel_idle_status`` quoted as they are (``None`` when missing).
_TEXT_FACTS = ("parcel_code", "supervision_no", "holder", "location", "status", "status_reason")


def _text(value: Any) -> Any:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _facts(row: Mapping[str, Any], options: list[str], *, synthetic: bool) -> dict[str, Any]:
    """The values one parcel's documents quote, written for people."""
    area = row.get("area_m2")
    fee = row.get("idle_fee_wan")
    price = row.get("price_wan")
    days = row.get("days_idle")
    cause = row.get("government_cause")
    cause = None if cause is None or pd.isna(cause) or not str(cause).strip() else cause
    return {
        **{name: _text(row.get(name)) for name in _TEXT_FACTS},
        "area_m2_txt": _number(area),
        "area_mu_txt": _number(None if area is None or pd.isna(area) else area / M2_PER_MU),
        "price_txt": "价款缺失" if price is None or pd.isna(price) else f"{_number(price)} 万元",
        "fee_txt": (
            f"{_number(fee)} 万元"
            if fee is not None and not pd.isna(fee)
            else str(row.get("fee_note") or "无法计算")
        ),
        "agreed_start_cn": _cn_date(row.get("agreed_start_date")),
        "agreed_completion_cn": _cn_date(row.get("agreed_completion_date")),
        "actual_start_cn": _cn_date(row.get("actual_start_date")),
        "idle_since_cn": _cn_date(row.get("idle_since")),
        "days_idle_txt": "—" if days is None or pd.isna(days) else f"{int(days)} 日",
        "government_cause": cause,
        "options": options if cause else [],
        "measure_cn": MEASURE_LABELS.get(str(row.get("status")), ""),
        "synthetic": synthetic,
    }


def _safe(name: Any, fallback: str) -> str:
    text = "" if name is None or pd.isna(name) else str(name)
    text = _UNSAFE.sub("_", text).strip("._")
    return text or fallback


def _common(policy: IdlePolicy, as_of: pd.Timestamp, issue: pd.Timestamp) -> dict[str, Any]:
    """The template values every document shares (issuer, time limits, dates)."""
    notice = policy.notice
    return {
        "issuer": notice.issuer,
        "reply_days": notice.reply_days,
        "fee_payment_days": notice.fee_payment_days,
        "cancel_registration_days": notice.cancel_registration_days,
        "fee_rate_pct": f"{policy.fee_rate:.0%}",
        "as_of_cn": _cn_date(as_of),
        "issue_date_cn": _cn_date(issue),
        "generated": dt.date.today().isoformat(),
    }


def render_notices(
    status: pd.DataFrame,
    out_dir: str | Path,
    *,
    policy: IdlePolicy,
    as_of: Any,
    synthetic: bool,
    issue_date: dt.date | None = None,
    env: jinja2.Environment | None = None,
) -> list[Path]:
    """Write the notices of every idle parcel to ``out_dir/<parcel>/NN_<title>.html``.

    Parameters
    ----------
    status
        Rows of ``parcel_idle_status`` (:func:`devzone.landuse.idle.idle_status`).
    out_dir
        Folder for the notices (one sub-folder per parcel).
    policy
        The ``[idle]`` section (its ``notice`` table, ``fee_rate`` and
        ``disposal_options``).
    as_of
        The as-of date the facts refer to.
    synthetic
        The data is synthetic (:func:`devzone.db.io.synthetic_data`): every document
        says so.
    issue_date
        Date printed on the documents; the as-of date by default.
    env
        Template environment (:func:`template_env` by default).

    Returns
    -------
    list of Path
        The written files, in parcel order.

    Examples
    --------
    >>> import tempfile
    >>> from devzone.policy import load_policy
    >>> st = pd.DataFrame({"parcel_code": ["P1", "P2"], "status": ["idle_fee", "overdue"],
    ...                    "area_m2": [10000.0, 5000.0], "idle_fee_wan": [200.0, None]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = render_notices(st, tmp, policy=load_policy().idle, as_of="2019-12-31",
    ...                            synthetic=True)
    ...     [p.name for p in paths]
    ['01_闲置土地调查通知书.html', '02_闲置土地认定书.html', '03_征缴土地闲置费决定书.html']
    """
    out_dir = Path(out_dir)
    env = env or template_env()
    notice = policy.notice
    options = [str(o) for o in policy.disposal_options]
    as_of = pd.Timestamp(as_of)
    issue = pd.Timestamp(issue_date) if issue_date else as_of
    common = _common(policy, as_of, issue)
    rows = status[status["status"].isin(list(NOTICE_STATUSES))]
    written: list[Path] = []
    seq = 0
    for i, row in enumerate(rows.to_dict("records"), start=1):
        facts = _facts(row, options, synthetic=synthetic)
        folder = out_dir / _safe(
            row.get("parcel_code"), _safe(row.get("supervision_no"), f"unit_{i:05d}")
        )
        folder.mkdir(parents=True, exist_ok=True)
        for key in documents_for(str(row["status"])):
            stem, template, title, basis = DOCUMENTS[key]
            seq += 1
            html = env.get_template(template).render(
                n=facts,
                title=title,
                basis=getattr(notice, basis),
                doc_no=f"{notice.doc_no_prefix}〔{issue.year}〕{seq:04d}号",
                **common,
            )
            path = folder / f"{stem}.html"
            path.write_text(html, encoding="utf-8")
            written.append(path)
    return written
