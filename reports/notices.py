"""Notice documents of the idle-land procedure (闲置土地处置文书), rendered as HTML.

Per idle parcel (闲置土地处置办法 Art. 9, 11, 14): 闲置土地调查通知书 and 闲置土地认定书;
then 征缴土地闲置费决定书 (``idle_fee``, ``idle_stalled``) or 收回国有建设用地使用权决定书
(``idle_recover``). Land idle for a government cause (Art. 8) gets the first two only,
the 认定书 listing the Art. 12 options. Templates live in ``data/templates/notices/``
(Jinja2, autoescape on: text from the data is always escaped); the issuer, reply periods
and legal bases come from ``[idle.notice]`` in ``data/policy/idle.toml``.

Every document is marked as a draft generated from database records.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from devzone.config import data_path

__all__ = ["DOCUMENTS", "NOTICE_STATUSES", "documents_for", "render_notices", "template_env"]

#: (file stem, template, title, basis key) of each document.
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

_MEASURE_CN = {
    "idle_fee": "征缴土地闲置费 (第十四条第一项)",
    "idle_stalled": "征缴土地闲置费 (第十四条第一项)",
    "idle_recover": "无偿收回国有建设用地使用权 (第十四条第二项)",
}
_UNSAFE = re.compile(r"[^\w\-.]+", re.UNICODE)


def template_env(folder: Path | None = None) -> jinja2.Environment:
    """Jinja2 environment over the notice templates, HTML autoescape always on."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder or data_path("templates", "notices"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def documents_for(status: str) -> tuple[str, ...]:
    """Keys of :data:`DOCUMENTS` issued for a parcel with ``status`` (empty if none)."""
    return NOTICE_STATUSES.get(status, ())


def _cn_date(value: Any) -> str:
    ts = pd.Timestamp(value) if value is not None and not pd.isna(value) else None
    return f"{ts.year}年{ts.month}月{ts.day}日" if ts is not None else "—"


def _number(value: Any, digits: int = 2) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):,.{digits}f}"


def _facts(row: Mapping[str, Any], options: list[str]) -> dict[str, Any]:
    area = row.get("area_m2")
    fee = row.get("idle_fee_wan")
    price = row.get("price_wan")
    days = row.get("days_idle")
    cause = row.get("government_cause")
    cause = None if cause is None or pd.isna(cause) or not str(cause).strip() else cause
    return {
        **{
            k: (None if v is None or (not isinstance(v, str) and pd.isna(v)) else v)
            for k, v in row.items()
            if k
            in ("parcel_code", "supervision_no", "holder", "location", "status", "status_reason")
        },
        "area_m2_txt": _number(area),
        "area_mu_txt": _number(None if area is None or pd.isna(area) else area * 15 / 10000),
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
        "measure_cn": _MEASURE_CN.get(str(row.get("status")), ""),
        "synthetic": "sample" in str(row.get("src_file") or ""),
    }


def _safe(name: Any, fallback: str) -> str:
    text = "" if name is None or pd.isna(name) else str(name)
    text = _UNSAFE.sub("_", text).strip("._")
    return text or fallback


def render_notices(
    status: pd.DataFrame,
    out_dir: str | Path,
    *,
    policy: Mapping[str, Any],
    as_of: Any,
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
        The ``[idle]`` policy table (its ``notice`` sub-table and ``disposal_options``).
    as_of
        The as-of date the facts refer to.
    issue_date
        Date printed on the documents; the as-of date by default.

    Returns
    -------
    list of Path
        The written files, in parcel order.
    """
    out_dir = Path(out_dir)
    env = env or template_env()
    notice = dict(policy.get("notice", {}))
    options = [str(o) for o in policy.get("disposal_options", [])]
    as_of = pd.Timestamp(as_of)
    issue = pd.Timestamp(issue_date) if issue_date else as_of
    prefix = str(notice.get("doc_no_prefix", "闲置"))
    common = {
        "issuer": notice.get("issuer", ""),
        "reply_days": notice.get("reply_days", 30),
        "fee_payment_days": notice.get("fee_payment_days", 30),
        "cancel_registration_days": notice.get("cancel_registration_days", 30),
        "fee_rate_pct": f"{float(policy.get('fee_rate', 0.2)):.0%}",
        "as_of_cn": _cn_date(as_of),
        "issue_date_cn": _cn_date(issue),
        "generated": dt.date.today().isoformat(),
    }
    rows = status[status["status"].isin(list(NOTICE_STATUSES))]
    written: list[Path] = []
    seq = 0
    for i, row in enumerate(rows.to_dict("records"), start=1):
        facts = _facts(row, options)
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
                basis=notice.get(basis, "《闲置土地处置办法》"),
                doc_no=f"{prefix}〔{issue.year}〕{seq:04d}号",
                **common,
            )
            path = folder / f"{stem}.html"
            path.write_text(html, encoding="utf-8")
            written.append(path)
    return written
