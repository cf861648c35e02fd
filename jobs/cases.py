"""Case jobs: open cases from an idle analysis, read the officers' ledger back, list
what is due, write the documents.

Database in (:mod:`devzone.db.cases_io`) → rules (:mod:`devzone.landuse.cases`) →
database out (append-only) → files for people (:mod:`devzone.reports.case_ledger`,
:mod:`devzone.reports.documents`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from devzone.db import cases_io
from devzone.db.io import read, synthetic_data
from devzone.etl.hooks import record_case_ledger, refresh_case_clocks
from devzone.jobs.scope import title_line
from devzone.landuse.cases import exit_candidates, idle_candidates
from devzone.policy import Policy, load_policy
from devzone.reports.case_ledger import write_case_ledger
from devzone.reports.documents import render_case_documents

__all__ = [
    "case_documents",
    "cases_due",
    "load_case_ledger",
    "propose_idle_cases",
    "refresh_cases",
]


def _policy(policy: Policy | None, config: str | Path | None) -> Policy:
    return policy if policy is not None else load_policy(config)


def refresh_cases(engine: Engine, *, policy: Policy, as_of: dt.date) -> pd.DataFrame:
    """Recompute every case's state and clock from its events, store and return them."""
    return refresh_case_clocks(engine, policy=policy, as_of=as_of)


def propose_idle_cases(
    engine: Engine,
    *,
    as_of: dt.date,
    opened_on: dt.date | None = None,
    config: str | Path | None = None,
    policy: Policy | None = None,
) -> pd.DataFrame:
    """Open a case for each idle parcel (and each exit/commitment candidate) of the
    ``as_of`` analysis that has none open.

    For the lead to call at the end of ``devzone idle`` (after ``parcel_idle_status``
    is written). ``opened_on`` (default: ``as_of``) starts the 调查通知书 clock; the
    county (``land_case.county``) is the zone's ``dev_zone.district_code``.
    """
    pol = _policy(policy, config)
    status = read(engine, "parcel_idle_status")
    status = status[pd.to_datetime(status["as_of_date"]) == pd.Timestamp(as_of)]
    candidates = idle_candidates(status)
    exits = read(engine, "exit_candidate", required=False)
    if exits is not None:
        exits = exits[pd.to_datetime(exits["as_of_date"]) == pd.Timestamp(as_of)]
        candidates = pd.concat([candidates, exit_candidates(exits)], ignore_index=True)
    zones = read(engine, "dev_zone", columns=["zone_code", "district_code"], required=False)
    if zones is not None:  # the county of each case, through its zone
        county = zones.dropna(subset=["zone_code"]).set_index("zone_code")["district_code"]
        candidates["county"] = candidates["zone_code"].map(county)
    new = cases_io.propose_cases(
        engine,
        candidates,
        policy=pol.cases,
        opened_on=opened_on or as_of,
        opened_by=f"devzone idle --as-of {as_of:%Y-%m-%d}",
    )
    refresh_cases(engine, policy=pol, as_of=as_of)
    return new


def load_case_ledger(
    engine: Engine,
    rows: pd.DataFrame,
    file_name: str,
    *,
    today: dt.date,
    config: str | Path | None = None,
    policy: Policy | None = None,
) -> dict[str, object]:
    """Record the events of a filled case ledger; return counts and the rejects.

    ``rows`` is the ledger sheet as read by pandas (``pd.read_excel(path, header=1)``:
    a note line above the header), ``file_name`` names it in provenance and rejects.
    The work is :func:`devzone.etl.hooks.record_case_ledger`, which ``devzone etl load``
    calls for a ledger file too.
    """
    out = record_case_ledger(engine, rows, file_name, today=today, policy=_policy(policy, config))
    return {
        "read": out.read,
        "recorded": out.recorded,
        "unchanged": out.unchanged,
        "rejected": out.rejected,
        "rejects": out.rejects,
    }


def cases_due(
    engine: Engine,
    *,
    as_of: dt.date,
    within: int,
    out: str | Path | None = None,
    config: str | Path | None = None,
) -> pd.DataFrame:
    """Open cases whose next step is due within ``within`` days (or overdue), overdue
    first, then by due date; with ``out``, also the case ledger XLSX."""
    pol = load_policy(config)
    cases = refresh_cases(engine, policy=pol, as_of=as_of)
    if not len(cases):
        return cases
    horizon = pd.Timestamp(as_of) + pd.Timedelta(days=within)
    open_ = cases[cases["state"] != "closed"]
    due = open_[open_["overdue"] | (open_["next_due"] <= horizon)]
    due = due.sort_values(["overdue", "next_due"], ascending=[False, True])
    if out is not None:
        note = title_line(engine)  # the title row: scope, synthetic data, database
        write_case_ledger(out, open_, policy=pol.cases, as_of=as_of, note=note)
    return due.reset_index(drop=True)


def case_documents(
    engine: Engine,
    out_dir: str | Path,
    *,
    as_of: dt.date,
    config: str | Path | None = None,
) -> list[Path]:
    """Write the documents of every open case (served ones and the next draft)."""
    pol = load_policy(config)
    cases = refresh_cases(engine, policy=pol, as_of=as_of)
    if not len(cases):
        return []
    open_ = cases[cases["state"] != "closed"]
    events = cases_io.read_events(engine)
    return render_case_documents(
        open_, events, out_dir, pol, as_of=as_of, synthetic=synthetic_data(engine)
    )
