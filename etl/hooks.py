"""What differs from one export kind to another, as hooks registered on its spec.

Each function here is named on one :class:`devzone.etl.fields.KindSpec` in
:data:`devzone.etl.kinds.KINDS`; the cleaning and loading steps call the spec's hooks
and never ask which kind they handle.

* 企业年度指标: 经营状态 stored in English (:data:`STATUS_MAP`); the ``enterprise``
  table derived from each credit code's latest year (:func:`derive_enterprises`);
* 项目进度: keyed by 电子监管号, else 宗地代码 (``project_key``);
* 宗地: a missing 宗地面积 measured from the geometry;
* 建筑: the footprint measured; a building without 建筑编号 keyed by a digest of its
  geometry (``G…``);
* 宗地企业对照: a link file replaces the holder-name links of its parcels;
* 案件台账 (the filled case ledger): not a registry table but officers' records:
  :func:`record_case_ledger` turns its filled cells into case events, validates them
  (:func:`devzone.landuse.cases.validate_events`) and appends the valid ones
  (:mod:`devzone.db.cases_io`), then recomputes the cases' clocks.

Examples
--------
>>> import pandas as pd
>>> from devzone.etl.draft import Draft, Problems
>>> cells = pd.DataFrame({"经营状态": ["在营", "破产", "倒闭"]})
>>> out = pd.DataFrame({"status": pd.array(cells["经营状态"], dtype="string")})
>>> d = Draft(cells, out, Problems(3), headers={"status": "经营状态"})
>>> indicator_status(d)
>>> list(d.out["status"].fillna("-"))
['operating', 'bankrupt', '-']
>>> list(d.problems.reason)
['', '', 'unknown 经营状态 (use 在营, 停产, 破产 or 注销)']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from devzone.db import cases_io
from devzone.etl.clean import row_hashes
from devzone.etl.draft import Draft
from devzone.etl.link import drop_name_links
from devzone.etl.write import Counts, existing_rows, upsert
from devzone.landuse.cases import (
    REJECT_COLUMNS,
    case_states,
    ledger_events,
    unrecorded,
    validate_events,
)
from devzone.policy import Policy
from devzone.vocab import CASE_DECISION_LABELS

__all__ = [
    "STATUS_MAP",
    "LedgerCounts",
    "building_codes",
    "derive_enterprises",
    "indicator_status",
    "measure_all",
    "measure_missing_area",
    "parcel_area",
    "project_key",
    "record_case_ledger",
    "refresh_case_clocks",
    "replace_name_links",
]

#: 经营状态 as registries write it → the schema's status values.
STATUS_MAP: dict[str, str] = {
    **dict.fromkeys(("在营", "存续", "开业", "正常", "营业", "在业", "operating"), "operating"),
    **dict.fromkeys(("停产", "停业", "歇业", "半停产", "suspended"), "suspended"),
    **dict.fromkeys(("破产", "破产清算", "清算", "bankrupt"), "bankrupt"),
    **dict.fromkeys(("注销", "吊销", "关闭", "关停", "迁出", "closed"), "closed"),
}

#: Columns of ``enterprise`` taken from a credit code's latest indicator year.
ENTERPRISE_COLUMNS = ("name", "industry_code", "is_above_scale", "status", "production_start_year")


# --- cleaning (KindSpec.finish, KindSpec.measure) --------------------------------------


def indicator_status(draft: Draft) -> None:
    """经营状态 in English; an unknown status rejects the row."""
    out = draft.out
    if "status" not in out:
        return
    status = out["status"].map(STATUS_MAP, na_action="ignore")
    bad = out["status"].notna() & status.isna()
    draft.problems.add(
        bad,
        draft.headers["status"],
        draft.raw_of("status"),
        "unknown 经营状态 (use 在营, 停产, 破产 or 注销)",
    )
    out["status"] = status.astype("string")


def project_key(draft: Draft) -> None:
    """``project_key``: the 电子监管号, else the 宗地代码 (one of them is needed)."""
    out = draft.out
    out["project_key"] = draft.column("supervision_no").fillna(draft.column("parcel_code"))
    headers = draft.headers
    draft.problems.add(
        out["project_key"].isna(),
        headers.get("supervision_no", headers.get("parcel_code", "")),
        draft.raw_of("supervision_no" if "supervision_no" in headers else "parcel_code"),
        "missing: 电子监管号 or 宗地代码 is needed",
    )


def measure_all(out: pd.DataFrame) -> bool:
    """Every feature is measured (building footprints)."""
    return True


def measure_missing_area(out: pd.DataFrame) -> bool | np.ndarray:
    """Parcels without 宗地面积 are measured."""
    return True if "area_m2" not in out else out["area_m2"].isna().to_numpy()


def parcel_area(draft: Draft) -> None:
    """A missing 宗地面积 is the area measured from the geometry."""
    if draft.footprint_m2 is None:
        return
    out = draft.out
    measured = pd.Series(draft.footprint_m2, index=out.index)
    if "area_m2" not in out:
        out["area_m2"] = measured
        draft.notes.append("no 宗地面积 column: area_m2 measured from the geometry")
        return
    fill = out["area_m2"].isna() & measured.notna()
    if fill.any():
        out.loc[fill, "area_m2"] = measured[fill]
        draft.notes.append(f"{int(fill.sum())} missing 宗地面积 measured from the geometry")


def building_codes(draft: Draft) -> None:
    """The measured footprint; 建筑编号 of a building without one: a geometry digest."""
    out = draft.out
    if draft.footprint_m2 is not None:
        out["footprint_m2"] = draft.footprint_m2
    code = draft.column("building_code")
    if not code.isna().any():
        return
    digest = _geometry_digest(draft.geoms)
    out["building_code"] = code.fillna(pd.Series(digest, index=out.index))
    still = out["building_code"].isna()
    draft.problems.add(
        still, "建筑编号", draft.raw_of("building_code"), "no 建筑编号 and no geometry"
    )


def _geometry_digest(geoms: np.ndarray | None) -> np.ndarray:
    import shapely

    if geoms is None:
        return np.array([], dtype=object)
    wkb = shapely.to_wkb(geoms)
    has = ~pd.isna(wkb)
    out = np.full(len(geoms), None, dtype=object)
    if has.any():
        h = pd.util.hash_array(np.asarray(wkb[has], dtype=object), categorize=False)
        out[has] = np.char.add("G", h.astype(str)).astype(object)
    return out


# --- loading (KindSpec.before_write, KindSpec.derive) ----------------------------------


def replace_name_links(conn: Connection, frame: pd.DataFrame) -> str | None:
    """A link file replaces the holder-name links of its parcels."""
    dropped = drop_name_links(conn, frame["parcel_code"].to_numpy())
    return f"{dropped} holder-name links replaced by this link file" if dropped else None


def derive_enterprises(
    conn: Connection, rows: list[pd.DataFrame], provenance: dict[str, Any]
) -> tuple[str, Counts, list[str]]:
    """Upsert one ``enterprise`` row per credit code from its latest indicator year.

    A code is updated only when the file holds its latest year; a code without 企业名称
    gets no row (and a note).
    """
    latest, unnamed = _latest_enterprises(conn, rows)
    notes = [f"{unnamed} credit codes without 企业名称: no enterprise row"] if unnamed else []
    if latest.empty:
        return "enterprise", Counts(), notes
    body = latest.drop(columns=["src_row"])
    latest["row_hash"] = row_hashes(body)
    existing = existing_rows(conn, "enterprise", ("credit_code",))
    counts, _ = upsert(
        conn, "enterprise", ("credit_code",), latest, None, existing, provenance=provenance
    )
    return "enterprise", counts, notes


def _latest_enterprises(conn: Connection, rows: list[pd.DataFrame]) -> tuple[pd.DataFrame, int]:
    """Each credit code's latest-year columns (not older than stored), and the number of
    codes without a name."""
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if frame.empty:
        return frame, 0
    stored = pd.read_sql_query(
        "SELECT credit_code, max(year) AS latest FROM enterprise_indicator GROUP BY credit_code",
        conn,
    )
    stored["credit_code"] = stored["credit_code"].astype("string")
    frame = frame.sort_values("year", ascending=False, kind="stable")
    cols = [c for c in ("src_row", *ENTERPRISE_COLUMNS) if c in frame]
    latest = frame.groupby("credit_code", sort=False)[cols].first()
    latest["year"] = frame.groupby("credit_code", sort=False)["year"].max()
    latest = latest.reset_index().merge(stored, on="credit_code", how="left")
    latest = latest[latest["latest"].isna() | (latest["year"] >= latest["latest"])]
    no_name = latest["name"].isna() if "name" in latest else pd.Series(True, index=latest.index)
    latest = latest[~no_name].drop(columns=["year", "latest"]).reset_index(drop=True)
    return latest, int(no_name.sum())


# --- the filled case ledger (案件台账) --------------------------------------------------


@dataclass
class LedgerCounts:
    """What a filled case ledger did: ``read = recorded + unchanged + rejected`` events
    (one event per filled date cell); ``rejects`` has one row per problem."""

    read: int
    recorded: int
    unchanged: int
    rejected: int
    rejects: pd.DataFrame


def refresh_case_clocks(engine: Engine, *, policy: Policy, as_of: dt.date) -> pd.DataFrame:
    """Recompute every case's state and clock from its events; store and return them."""
    cases = cases_io.read_cases(engine)
    if not len(cases):
        return cases
    out = case_states(cases, cases_io.read_events(engine), policy=policy.cases, as_of=as_of)
    cases_io.store_clocks(engine, out)
    return out


def record_case_ledger(
    engine: Engine,
    rows: pd.DataFrame,
    file_name: str,
    *,
    today: dt.date,
    policy: Policy,
    first_row: int = 3,
    batch: str | None = None,
) -> LedgerCounts:
    """Record the events an officer filled into a case ledger, reject what does not fit.

    Parameters
    ----------
    rows
        The ledger sheet (headers = its labels), one row per case.
    file_name
        Named in every event's provenance and every reject.
    today
        Events dated after it are rejected; the clocks are read on it.
    first_row
        Spreadsheet row of ``rows``' first row (3: below the note and the header).
    batch
        The load batch recorded with each event (default: the file's name).

    Returns
    -------
    LedgerCounts
        Events read, recorded, already recorded (unchanged) and rejected; the rejects
        (file, row, field, value, reason). Loading the same ledger twice records nothing.
    """
    decisions = {label: code for code, label in CASE_DECISION_LABELS.items()}
    events = ledger_events(rows, file_name, decisions=decisions, first_row=first_row)
    cases = cases_io.read_cases(engine)
    recorded = cases_io.read_events(engine)
    valid, rejects = validate_events(
        events, cases, policy=policy.cases, recorded=recorded, today=today
    )
    new = unrecorded(events, recorded)
    inserted = cases_io.record_events(engine, valid, batch=batch or file_name.split("/")[-1])
    refresh_case_clocks(engine, policy=policy, as_of=today)
    rejected = new - len(valid)
    return LedgerCounts(
        read=len(events),
        recorded=inserted,
        unchanged=len(events) - inserted - rejected,
        rejected=rejected,
        rejects=rejects[list(REJECT_COLUMNS)],
    )
