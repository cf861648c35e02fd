"""The database edge of cases (``land_case``, ``land_case_event``): append, never replace.

Cases and their events are the officers' work: they survive every reload of the
registry exports and every rerun of the analysis. So nothing here deletes rows:

* :func:`propose_cases` inserts only the candidates that have no open case of their
  parcel and procedure (an existing case is never reset);
* :func:`record_events` inserts the events not recorded yet (same case, event type and
  date: unchanged), stamping ``recorded_at`` and the batch;
* :func:`store_clocks` rewrites only the derived columns of each case (state, next
  step, due date, days left, overdue, closing date) computed by
  :func:`devzone.landuse.cases.case_states` (the job does that; this edge holds no rule);
* :func:`read_cases` / :func:`read_events` read them back.

Each call is one transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd
from sqlalchemy import Engine, bindparam, update

from devzone.db.admin import all_tables, register_attribute_tables
from devzone.db.audit import current_command, tag_transaction
from devzone.db.bulk import insert_rows
from devzone.db.io import read, table_of
from devzone.policy.sections import CasesPolicy

__all__ = [
    "new_case_ids",
    "propose_cases",
    "read_cases",
    "read_events",
    "record_events",
    "store_clocks",
]

#: The derived columns :func:`store_clocks` rewrites.
CLOCK_COLUMNS = (
    "state",
    "state_since",
    "next_step",
    "next_due",
    "days_left",
    "overdue",
    "closed_on",
)


def _columns(name: str) -> list[str]:
    return [c.name for c in table_of(name).c if c.name != "fid"]


def _ensure_tables(engine: Engine) -> None:
    tables = [table_of("land_case"), table_of("land_case_event")]
    all_tables().create_all(engine, tables=tables, checkfirst=True)
    if engine.dialect.name == "geopackage":
        register_attribute_tables(engine)


def read_cases(engine: Engine) -> pd.DataFrame:
    """Every case (an empty frame with the table's columns when there is none)."""
    _ensure_tables(engine)
    df = read(engine, "land_case", required=False)
    if df is None:
        return pd.DataFrame(columns=["fid", *_columns("land_case")])
    return df


def read_events(engine: Engine) -> pd.DataFrame:
    """Every recorded event, in the order recorded."""
    _ensure_tables(engine)
    df = read(engine, "land_case_event", required=False)
    if df is None:
        return pd.DataFrame(columns=["fid", *_columns("land_case_event")])
    return df.sort_values("fid", kind="stable").reset_index(drop=True)


def new_case_ids(
    candidates: pd.DataFrame, existing: pd.DataFrame | None, *, policy: CasesPolicy
) -> pd.DataFrame:
    """Candidates without an open case of their parcel and procedure, with new case ids.

    A parcel's n-th case of a procedure is ``<PREFIX>-<parcel_code>-<n>`` (n counts all
    its cases, closed ones included); a candidate repeated in ``candidates`` is kept once.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> old = pd.DataFrame({"case_id": ["IDLE-P1-1", "IDLE-P2-1"], "procedure": ["idle"] * 2,
    ...     "parcel_code": ["P1", "P2"], "state": ["closed", "investigating"]})
    >>> new = pd.DataFrame({"procedure": ["idle"] * 3, "parcel_code": ["P1", "P2", "P3"]})
    >>> new_case_ids(new, old, policy=load_policy().cases)["case_id"].tolist()
    ['IDLE-P1-2', 'IDLE-P3-1']
    """
    key = ["parcel_code", "procedure"]
    cand = candidates.dropna(subset=["parcel_code"]).drop_duplicates(key)
    if existing is None or not len(existing):
        existing = pd.DataFrame(columns=["case_id", *key, "state"])
    open_keys = existing.loc[existing["state"] != "closed", key].drop_duplicates()
    cand = cand.merge(open_keys, on=key, how="left", indicator=True)
    cand = cand[cand["_merge"] == "left_only"].drop(columns="_merge")
    counts = existing.groupby(key).size().rename("n_before").reset_index()
    cand = cand.merge(counts, on=key, how="left")
    n = cand["n_before"].fillna(0).astype(int) + 1
    prefix = cand["procedure"].map(policy.case_id_prefixes).fillna(cand["procedure"].str.upper())
    cand["case_id"] = prefix + "-" + cand["parcel_code"].astype(str) + "-" + n.astype(str)
    return cand.drop(columns="n_before").reset_index(drop=True)


def _case_rows(new: pd.DataFrame, opened_on: dt.date, opened_by: str | None) -> pd.DataFrame:
    rows = pd.DataFrame(index=new.index)
    for col in _columns("land_case"):
        rows[col] = new.get(col, None)
    rows["opened_on"] = pd.Timestamp(opened_on)
    rows["opened_by"] = opened_by
    rows["state"] = "suspected"  # the job's clock update fills next_step and next_due
    rows["state_since"] = pd.Timestamp(opened_on)
    rows["overdue"] = False
    return rows


def propose_cases(
    engine: Engine,
    candidates: pd.DataFrame,
    *,
    policy: CasesPolicy,
    opened_on: dt.date,
    opened_by: str | None = None,
) -> pd.DataFrame:
    """Open a case for each candidate that has no open case of its parcel and procedure.

    Parameters
    ----------
    candidates
        ``procedure``, ``parcel_code`` and any of the case's facts (``holder``,
        ``zone_code``, ``fee_due_wan``, ``as_of_date`` …), e.g.
        :func:`devzone.landuse.cases.idle_candidates` of an idle analysis.
    opened_on
        The day the suspected idle land was found (starts the 调查通知书 clock).
    opened_by
        Who or what opened them (``devzone idle 2019-12-31``, an officer's name).

    Returns
    -------
    DataFrame
        The cases opened by this call (none when all were open already).
    """
    _ensure_tables(engine)
    existing = read_cases(engine)
    new = new_case_ids(candidates, existing, policy=policy)
    rows = _case_rows(new, opened_on, opened_by)
    with engine.begin() as conn:
        tag_transaction(conn, current_command("cases") or "cases")
        insert_rows(conn, table_of("land_case"), rows)
    return rows.reset_index(drop=True)


def record_events(
    engine: Engine,
    events: pd.DataFrame,
    *,
    batch: str | None = None,
    recorded_at: dt.datetime | None = None,
) -> int:
    """Insert the events not recorded yet (same case, event type and date: skipped).

    The events should have passed :func:`devzone.landuse.cases.validate_events`.

    Returns
    -------
    int
        Events inserted.
    """
    _ensure_tables(engine)
    ev = events.copy()
    for col in _columns("land_case_event"):
        if col not in ev:
            ev[col] = None
    ev["event_date"] = pd.to_datetime(ev["event_date"])
    key = ["case_id", "event_type", "event_date"]
    seen = read_events(engine)[key].assign(_seen=True)
    seen["event_date"] = pd.to_datetime(seen["event_date"])
    ev = ev.drop_duplicates(key)
    flag = ev[key].merge(seen.drop_duplicates(key), on=key, how="left")["_seen"]
    ev = ev[~flag.fillna(False).to_numpy(dtype=bool)]
    ev["recorded_at"] = ev["recorded_at"].fillna(pd.Timestamp(recorded_at or dt.datetime.now()))
    ev["batch"] = ev["batch"].fillna(batch or uuid.uuid4().hex[:12])
    with engine.begin() as conn:
        tag_transaction(conn, current_command("cases") or "cases")
        return insert_rows(conn, table_of("land_case_event"), ev[_columns("land_case_event")])


def _none(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.item() if hasattr(value, "item") else value


def store_clocks(engine: Engine, cases: pd.DataFrame) -> int:
    """Store each case's derived columns (:data:`CLOCK_COLUMNS`), matched by ``case_id``.

    The facts of the case and its events are left alone.

    Returns
    -------
    int
        Cases updated.
    """
    _ensure_tables(engine)
    if not len(cases):
        return 0
    table = table_of("land_case")
    cols = list(CLOCK_COLUMNS)
    params = [
        {"b_case_id": r["case_id"], **{f"b_{c}": _none(r[c]) for c in cols}}
        for r in cases[["case_id", *cols]].to_dict("records")
    ]
    stmt = (
        update(table)
        .where(table.c.case_id == bindparam("b_case_id"))
        .values({c: bindparam(f"b_{c}") for c in cols})
    )
    with engine.begin() as conn:
        tag_transaction(conn, current_command("cases") or "cases")
        result = conn.execute(stmt, params)
    return int(result.rowcount or 0)
