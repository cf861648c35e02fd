"""Idle land (闲置土地) under the 2012 measures (国土资源部令第53号): status, dates, fees.

Pure, vectorised functions over (Geo)DataFrames; the database and files are handled by
:mod:`devzone.jobs.idle`. The rules take the ``[idle]`` section
(:class:`~devzone.policy.sections.IdlePolicy`, ``data/policy/idle.toml``, see
``../shared/POLICY.md`` §1). :func:`idle_status` composes one small function per step of
the measures:

===========================  ===============================================================
step                         functions
===========================  ===============================================================
started (动工, Art. 30)      :func:`is_completed`, :func:`start_evidence`
stalled (Art. 2, 2nd)        :func:`developed_share`, :func:`invest_share`, :func:`is_stalled`
government cause (Art. 8)    :func:`government_cause`, :func:`disposal_options` (Art. 12)
status (Art. 2, 8, 14)       :func:`not_started_stage`, :func:`status_codes`
dates and deadlines          :func:`idle_since`, :func:`next_step`, :func:`deadlines`
fee (Art. 14 (一))           :func:`idle_fee_wan`, :func:`fee_note`
supervision category         :func:`far_judged`, :func:`far_ratio`, :func:`supervision_category`
reasons                      :func:`devzone.landuse.idle_reasons.status_reasons`
===========================  ===============================================================

The units come from :mod:`devzone.landuse.idle_units`, the building evidence from
:mod:`devzone.landuse.idle_buildings`.

Decisions the code takes (tested in ``tests/test_idle.py``):

* **One full year (满一年)** is calendar based: a parcel agreed to start on D is idle from
  D + 1 year (:func:`~devzone.landuse.idle_columns.anniversary`: 2016-02-29 + 1 year =
  2017-02-28). On that very day it is idle (≥ one full year): ``idle_fee``; one day
  earlier it is ``overdue``. From D + 2 years it is ``idle_recover``.
* ``not_due`` while the as-of date is on or before the agreed start date; ``overdue``
  from the day after.
* **Started** (动工, Art. 30): an actual start date on or before the as-of date
  (``start_evidence='actual_start_date'``), else building footprints covering at least
  ``start_footprint_share`` of the parcel (``'buildings'``), measured by
  :func:`devzone.spatial.footprint_share` (so ``--engine local|dask|postgis`` applies).
  Only parcels lacking an actual start are overlaid. A completed parcel (actual
  completion date on or before as-of) counts as started. An actual start date after
  the as-of date does not count (the record is read as of that day). The share is
  judged at the relative tolerance ``share_tolerance`` (:func:`devzone.units.at_least`):
  a share of exactly 5 % measured as 0.0499999999 after the EPSG:4490 round trip counts.
* **Progress as of the date**: a progress record filed after the as-of date
  (``report_date`` later) is not used for it
  (:func:`devzone.landuse.idle_units.attach_progress`).
* **Stalled** (Art. 2, second sentence): started, not completed, developed area below
  1/3 of the parcel **or** investment below 25% of the total, and suspended (not resumed
  by the as-of date) for one full year: ``idle_stalled`` from suspension + 1 year, fee due.
  Stalled land suspended two full years or more is not escalated to free recovery by
  default: Art. 14 (二) speaks of land 未动工开发满两年, and stalled land was started;
  the planner decides. ``[idle] recover_stalled = true`` (a city reading Art. 2 as making
  stalled land idle land for every purpose of Art. 14) makes it ``idle_recover`` from
  suspension + ``recover_after_years``.
* **Government cause** (Art. 8): land that would be ``idle_fee``, ``idle_recover`` or
  ``idle_stalled`` whose recorded cause is recognised as an Art. 8 cause
  (:mod:`devzone.landuse.idle_causes`, patterns ``[idle.cause_keywords]``) or whose
  是否政府原因 flag is set becomes ``government_cause``: no fee (0 万元), no recovery, the
  Art. 12 options listed. Unrecognised text (``企业自身资金原因``, ``市场原因``) is the
  holder's: the land is judged as such and ``cause_check`` says ``待确认: <text>``.
* **Art. 12 extension** (``extended_start_date``, 延期开工时间): a new deadline, not an
  indefinite exemption. The extended date replaces the agreed start, so the idle clock
  restarts from it: ``not_due`` up to it, ``overdue`` after it, ``idle_fee`` one full
  year after it; the government cause exempts no longer once the date has passed.
* **No agreed start date** and not started: ``no_start_date`` — it cannot be judged; the
  record is flagged for completion (no fee, no deadline).
* **No price**: the fee is unknown (NULL) and ``fee_note`` says ``成交价格缺失,
  闲置费无法计算``; the console and the ledger count the idle parcels whose fee is unknown.
* **Recovery keeps the first-year fee**: land ``idle_recover`` carries in ``idle_fee_wan``
  the fee that fell due in its first idle year (rate × price; Art. 14 (一)), with
  ``fee_note`` saying it is not waived by the recovery (Art. 14 (二)).
* ``days_idle`` counts days from ``idle_since`` (the day the land became idle) to the
  as-of date, so it is 0 on the first idle day.
* **Supervision categories**: ``批而未供`` = no supply contract; ``供而未用`` = supplied
  and past the agreed start without starting (overdue, idle, government cause) or stalled;
  ``用而未尽`` = completed (or still building past the agreed completion date) below the
  contract's FAR lower bound (floor area of the parcel's buildings ÷ parcel area; only when
  the parcel has buildings with a floor area) or below the committed investment intensity.
  ``far`` is computed only where it is judged (completed or past the agreed completion,
  with an agreed FAR), which keeps the building placement off the other parcels.
  Land still building past its agreed completion date is **not** 供而未用: it was started
  (used), so Art. 2's idle test does not reach it; it is judged as 用而未尽 against its FAR
  and committed investment from the day after the agreed completion date (overdue
  completion is a contract matter, shown as ``completed_late`` once completed).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from devzone.landuse.idle_buildings import building_totals
from devzone.landuse.idle_causes import classify_causes
from devzone.landuse.idle_columns import (
    anniversary,
    column,
    date_column,
    number_column,
    text_column,
)
from devzone.landuse.idle_reasons import status_reasons
from devzone.policy.sections import IdlePolicy, IntensityPolicy
from devzone.units import M2_PER_MU, at_least
from devzone.vocab import FEE_STATUSES, SUPERVISION_CATEGORIES, UNUSED_STATUSES

__all__ = [
    "FEE_DUE_STATUSES",
    "NIL_FEE_STATUSES",
    "deadlines",
    "developed_share",
    "disposal_options",
    "far_judged",
    "far_ratio",
    "fee_note",
    "government_cause",
    "idle_fee_wan",
    "idle_since",
    "idle_status",
    "invest_share",
    "is_completed",
    "is_stalled",
    "is_supplied",
    "next_step",
    "not_started_stage",
    "start_evidence",
    "status_codes",
    "supervision_category",
]

#: Statuses that owe no fee of their own: recovered free (Art. 14 (二); the first-year
#: fee already due stays, :data:`FEE_DUE_STATUSES`) or idle for a government cause
#: (Art. 8). The fee-bearing ones are :data:`devzone.vocab.FEE_STATUSES`.
NIL_FEE_STATUSES = ("idle_recover", "government_cause")

#: Statuses whose ``idle_fee_wan`` is the fee due (Art. 14 (一)): the fee-bearing ones
#: and ``idle_recover`` (the first-year fee, due before the recovery).
FEE_DUE_STATUSES = (*FEE_STATUSES, "idle_recover")

#: The stages of land not started, in the order of the procedure (Art. 2, 14).
_STAGES = ("no_start_date", "not_due", "overdue", "idle_fee", "idle_recover")

# The supervision categories idle_status sets (stored as their Chinese names).
_NOT_SUPPLIED, _NOT_USED, _UNDER_USED = SUPERVISION_CATEGORIES[:3]  # 批而未供 供而未用 用而未尽


# --- started (动工, Art. 30) -----------------------------------------------------------


def is_supplied(units: pd.DataFrame) -> np.ndarray:
    """True where the unit has a supply contract (``supplied``; every unit when absent).

    Examples
    --------
    >>> is_supplied(pd.DataFrame({"supplied": [True, None]})).tolist()
    [True, False]
    """
    return column(units, "supplied", True).fillna(False).astype(bool).to_numpy()


def is_completed(units: pd.DataFrame, *, as_of: pd.Timestamp) -> np.ndarray:
    """True where the actual completion date (实际竣工) is on or before ``as_of``.

    Examples
    --------
    >>> u = pd.DataFrame({"actual_completion_date": pd.to_datetime(["2019-05-01", "2020-01-01"])})
    >>> is_completed(u, as_of=pd.Timestamp("2019-12-31")).tolist()
    [True, False]
    """
    return (date_column(units, "actual_completion_date") <= as_of).to_numpy()


def _started_by_date(units: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    return (date_column(units, "actual_start_date") <= as_of).to_numpy()


def start_evidence(
    units: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    footprint_share: Any,
    policy: IdlePolicy,
) -> pd.Series:
    """What shows a unit started (动工, Art. 30): a code of ``START_EVIDENCE_LABELS``.

    ``actual_start_date`` when the actual start date is on or before ``as_of``, else
    ``buildings`` when footprints cover at least ``policy.start_footprint_share`` of the
    unit, judged at the relative ``policy.share_tolerance``
    (:func:`~devzone.units.at_least`: a share of exactly 5 % measured as 0.0499999999
    counts), else ``none``.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> u = pd.DataFrame({"actual_start_date": pd.to_datetime(["2019-03-01", None, None])})
    >>> start_evidence(u, as_of=pd.Timestamp("2019-12-31"), footprint_share=[0.0, 0.3, 0.01],
    ...                policy=load_policy().idle).tolist()
    ['actual_start_date', 'buildings', 'none']
    """
    by_date = _started_by_date(units, as_of)
    share = np.asarray(footprint_share, dtype=float)
    by_buildings = ~by_date & at_least(
        share, policy.start_footprint_share, rel_tol=policy.share_tolerance
    )
    codes = np.select([by_date, by_buildings], ["actual_start_date", "buildings"], "none")
    return pd.Series(codes, index=units.index)


# --- stalled (Art. 2, second sentence) -------------------------------------------------


def developed_share(units: pd.DataFrame) -> np.ndarray:
    """Developed area (已开发面积) over the unit's area; NaN when either is unknown.

    Examples
    --------
    >>> developed_share(pd.DataFrame({"developed_area_m2": [3200.0], "area_m2": [10000.0]}))
    array([0.32])
    """
    area = number_column(units, "area_m2")
    with np.errstate(divide="ignore", invalid="ignore"):
        return (number_column(units, "developed_area_m2") / area.where(area > 0)).to_numpy()


def invest_share(units: pd.DataFrame) -> np.ndarray:
    """Invested amount (已完成投资) over the total investment; NaN when unknown.

    Examples
    --------
    >>> invest_share(pd.DataFrame({"invested_wan": [24.0], "total_invest_wan": [100.0]}))
    array([0.24])
    """
    total = number_column(units, "total_invest_wan")
    with np.errstate(divide="ignore", invalid="ignore"):
        return (number_column(units, "invested_wan") / total.where(total > 0)).to_numpy()


def _suspended_on(units: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Suspended on or before ``as_of`` and not resumed by then (a resumption dated
    before the suspension does not count)."""
    susp = date_column(units, "suspended_date")
    resumed = date_column(units, "resumed_date")
    not_resumed = resumed.isna() | (resumed > as_of) | (resumed < susp)
    return ((susp <= as_of) & not_resumed).to_numpy()


def is_stalled(
    units: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    started: np.ndarray,
    policy: IdlePolicy,
) -> np.ndarray:
    """Started land whose development stalled (Art. 2, second sentence).

    Started, not completed, developed area below ``stalled_developed_share`` **or**
    investment below ``stalled_invest_share``, and suspended for ``stalled_after_years``
    full years on ``as_of``.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> u = pd.DataFrame({"area_m2": [10000.0] * 2, "developed_area_m2": [3200.0, 3400.0],
    ...                   "invested_wan": [50.0] * 2, "total_invest_wan": [100.0] * 2,
    ...                   "suspended_date": pd.to_datetime(["2018-06-30"] * 2)})
    >>> is_stalled(u, as_of=pd.Timestamp("2019-12-31"), started=np.array([True, True]),
    ...            policy=load_policy().idle).tolist()  # 0.32 < 1/3; 0.34 and 50% are not low
    [True, False]
    """
    low = (developed_share(units) < policy.stalled_developed_share) | (
        invest_share(units) < policy.stalled_invest_share
    )
    stall_from = anniversary(date_column(units, "suspended_date"), policy.stalled_after_years)
    return (
        np.asarray(started, dtype=bool)
        & ~is_completed(units, as_of=as_of)
        & low
        & _suspended_on(units, as_of)
        & (as_of >= stall_from).to_numpy()
    )


# --- government cause (Art. 8, 12) ------------------------------------------------------


def government_cause(units: pd.DataFrame, *, policy: IdlePolicy) -> np.ndarray:
    """True where the progress record shows a government cause (政府原因, Art. 8).

    The recorded text is classified against the Art. 8 causes
    (:func:`devzone.landuse.idle_causes.classify_causes`): unrecognised text
    (``企业自身资金原因``) is not a government cause; an explicit 是否政府原因 flag wins.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> u = pd.DataFrame({"government_cause": ["文物保护", "无", None, "市场原因"]})
    >>> government_cause(u, policy=load_policy().idle).tolist()
    [True, False, False, False]
    """
    return classify_causes(units, policy=policy)["government"].to_numpy()


def disposal_options(status: pd.Series, *, policy: IdlePolicy) -> pd.Series:
    """The Art. 12 options (joined by ``；``) on government-caused idle land, else ``""``.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> opts = disposal_options(pd.Series(["government_cause", "idle_fee"]),
    ...                         policy=load_policy().idle)
    >>> opts[0].split("；")[0], opts[1]
    ('延长动工开发期限 (不超过一年)', '')
    """
    options = "；".join(str(o) for o in policy.disposal_options)
    gov = status.eq("government_cause").to_numpy()
    return pd.Series(np.where(gov, options, ""), index=status.index)


# --- status (Art. 2, 8, 14) ------------------------------------------------------------


def not_started_stage(units: pd.DataFrame, *, as_of: pd.Timestamp, policy: IdlePolicy) -> pd.Series:
    """Where land not started stands on the timeline of Art. 2 and Art. 14.

    ``not_due`` up to the agreed start date (约定开工), ``overdue`` after it,
    ``idle_fee`` from ``idle_after_years`` full years after it (Art. 2, 14 (一)),
    ``idle_recover`` from ``recover_after_years`` (Art. 14 (二)); ``no_start_date``
    without an agreed start.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> u = pd.DataFrame({"agreed_start_date": pd.to_datetime(
    ...     ["2020-03-01", "2019-01-01", "2018-12-31", "2017-12-31", None])})
    >>> not_started_stage(u, as_of=pd.Timestamp("2019-12-31"),
    ...                   policy=load_policy().idle).tolist()
    ['not_due', 'overdue', 'idle_fee', 'idle_recover', 'no_start_date']
    """
    start = date_column(units, "agreed_start_date")
    idle1 = anniversary(start, policy.idle_after_years)
    idle2 = anniversary(start, policy.recover_after_years)
    conditions = [
        start.isna(),
        as_of <= start,
        (as_of > start) & (as_of < idle1),
        (as_of >= idle1) & (as_of < idle2),
        as_of >= idle2,
    ]
    codes = np.select([c.to_numpy() for c in conditions], _STAGES, "no_start_date")
    return pd.Series(codes, index=units.index)


def status_codes(
    units: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    started: np.ndarray,
    stalled: np.ndarray,
    government: np.ndarray,
    policy: IdlePolicy,
) -> pd.Series:
    """The status of each unit (a code of :data:`devzone.vocab.STATUSES`).

    In this order: ``not_supplied`` (no contract); ``completed_late`` / ``completed``;
    stalled land, ``government_cause`` when a cause is named (Art. 8), else
    ``idle_stalled`` (Art. 2); other started land ``under_construction``; land not
    started takes its :func:`not_started_stage`, idle land with a named cause becoming
    ``government_cause``.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> u = pd.DataFrame({"supplied": [True, True, False],
    ...                   "agreed_start_date": pd.to_datetime(["2017-12-31"] * 3)})
    >>> no = np.array([False, False, False])
    >>> status_codes(u, as_of=pd.Timestamp("2019-12-31"), started=no, stalled=no,
    ...              government=np.array([False, True, False]),
    ...              policy=load_policy().idle).tolist()
    ['idle_recover', 'government_cause', 'not_supplied']
    """
    started = np.asarray(started, dtype=bool)
    stalled = np.asarray(stalled, dtype=bool)
    government = np.asarray(government, dtype=bool)
    completed = is_completed(units, as_of=as_of)
    late = (
        date_column(units, "actual_completion_date") > date_column(units, "agreed_completion_date")
    ).to_numpy()
    stage = not_started_stage(units, as_of=as_of, policy=policy)
    idle = stage.isin(("idle_fee", "idle_recover")).to_numpy()
    conditions = [
        ~is_supplied(units),
        completed & late,
        completed,
        stalled & government,
        stalled & _stalled_recoverable(units, as_of=as_of, policy=policy),
        stalled,
        started,
        idle & government,
        np.ones(len(units), dtype=bool),
    ]
    choices = [
        "not_supplied",
        "completed_late",
        "completed",
        "government_cause",
        "idle_recover",
        "idle_stalled",
        "under_construction",
        "government_cause",
        stage.to_numpy(dtype=object),
    ]
    return pd.Series(np.select(conditions, choices), index=units.index)


def _stalled_recoverable(
    units: pd.DataFrame, *, as_of: pd.Timestamp, policy: IdlePolicy
) -> np.ndarray:
    """Stalled land suspended ``recover_after_years`` full years, when the city reads
    Art. 14 (二) as reaching it (``recover_stalled``); all False otherwise."""
    if not policy.recover_stalled:
        return np.zeros(len(units), dtype=bool)
    since = anniversary(date_column(units, "suspended_date"), policy.recover_after_years)
    return (as_of >= since).to_numpy()


# --- dates and deadlines ---------------------------------------------------------------


def idle_since(
    units: pd.DataFrame, status: pd.Series, *, stalled: np.ndarray, policy: IdlePolicy
) -> pd.Series:
    """The day the land became idle (闲置起始日); ``NaT`` for land that is not idle.

    Land not started: ``idle_after_years`` after the agreed start (Art. 2); stalled
    land: ``stalled_after_years`` after the suspension (Art. 2, second sentence).
    Government-caused idle land (Art. 8) gets the day it would have become idle.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> u = pd.DataFrame({"agreed_start_date": pd.to_datetime(["2017-12-31", "2018-06-01"])})
    >>> idle_since(u, pd.Series(["idle_recover", "overdue"]), stalled=np.array([False, False]),
    ...            policy=load_policy().idle).tolist()
    [Timestamp('2018-12-31 00:00:00'), NaT]
    """
    stalled = np.asarray(stalled, dtype=bool)
    either = status.isin(("idle_recover", "government_cause")).to_numpy()
    not_started = status.eq("idle_fee").to_numpy() | (either & ~stalled)
    stalled_idle = status.eq("idle_stalled").to_numpy() | (either & stalled)
    since = pd.Series(pd.NaT, index=units.index, dtype="datetime64[ns]")
    start = anniversary(date_column(units, "agreed_start_date"), policy.idle_after_years)
    since[not_started] = start[not_started]
    susp = anniversary(date_column(units, "suspended_date"), policy.stalled_after_years)
    since[stalled_idle] = susp[stalled_idle]
    return since


def next_step(units: pd.DataFrame, status: pd.Series, *, policy: IdlePolicy) -> pd.DataFrame:
    """The next step of the procedure: ``next_deadline`` and ``next_measure``.

    Land not yet idle (``not_due``, ``overdue``) becomes ``idle_fee`` one full year after
    the agreed start; land ``idle_fee`` becomes ``idle_recover`` two full years after it.
    Other statuses have no deadline (``NaT``, ``""``).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> u = pd.DataFrame({"agreed_start_date": pd.to_datetime(["2019-01-01", "2018-12-31"])})
    >>> step = next_step(u, pd.Series(["overdue", "idle_fee"]), policy=load_policy().idle)
    >>> [str(d.date()) for d in step["next_deadline"]], step["next_measure"].tolist()
    (['2020-01-01', '2020-12-31'], ['idle_fee', 'idle_recover'])
    """
    start = date_column(units, "agreed_start_date")
    pre = status.isin(("not_due", "overdue")).to_numpy()
    fee = status.eq("idle_fee").to_numpy()
    deadline = pd.Series(pd.NaT, index=units.index, dtype="datetime64[ns]")
    deadline[pre] = anniversary(start, policy.idle_after_years)[pre]
    deadline[fee] = anniversary(start, policy.recover_after_years)[fee]
    measure = np.select([pre, fee], ["idle_fee", "idle_recover"], "")
    return pd.DataFrame({"next_deadline": deadline, "next_measure": measure}, index=units.index)


def _days(later: pd.Series | pd.Timestamp, earlier: pd.Series | pd.Timestamp) -> pd.Series:
    return (later - earlier).dt.days.astype("Int64")


def deadlines(
    units: pd.DataFrame,
    status: pd.Series,
    *,
    as_of: pd.Timestamp,
    stalled: np.ndarray,
    policy: IdlePolicy,
) -> pd.DataFrame:
    """When idle land became idle and what comes next, counted in days from ``as_of``.

    Returns
    -------
    DataFrame
        ``idle_since``, ``days_idle`` (0 on the first idle day), ``next_deadline``,
        ``next_measure``, ``days_to_deadline`` (:func:`idle_since`, :func:`next_step`).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> u = pd.DataFrame({"agreed_start_date": pd.to_datetime(["2018-12-31"])})
    >>> d = deadlines(u, pd.Series(["idle_fee"]), as_of=pd.Timestamp("2019-12-31"),
    ...               stalled=np.array([False]), policy=load_policy().idle)
    >>> int(d.loc[0, "days_idle"]), int(d.loc[0, "days_to_deadline"])  # 2020 is a leap year
    (0, 366)
    """
    since = idle_since(units, status, stalled=stalled, policy=policy)
    step = next_step(units, status, policy=policy)
    return pd.DataFrame(
        {
            "idle_since": since,
            "days_idle": _days(as_of, since),
            "next_deadline": step["next_deadline"],
            "next_measure": step["next_measure"],
            "days_to_deadline": _days(step["next_deadline"], as_of),
        },
        index=units.index,
    )


# --- the fee (土地闲置费, Art. 14 (一)) -------------------------------------------------


def idle_fee_wan(status: pd.Series, price_wan: Any, *, fee_rate: float) -> pd.Series:
    """The idle fee in 万元: ``fee_rate`` × the supply price (Art. 14 (一)).

    Due on :data:`FEE_DUE_STATUSES`: the fee-bearing statuses
    (:data:`devzone.vocab.FEE_STATUSES`) and ``idle_recover``, whose fee fell due in the
    first idle year and does not vanish when the land becomes a recovery candidate
    (:func:`fee_note` says so). Unknown (NaN) without a price; 0 on a government cause
    (Art. 8); NaN elsewhere.

    Examples
    --------
    >>> st = pd.Series(["idle_fee", "idle_fee", "idle_recover", "government_cause", "overdue"])
    >>> idle_fee_wan(st, [1234.5, None, 500.0, 500.0, 500.0], fee_rate=0.2).tolist()
    [246.9, nan, 100.0, 0.0, nan]
    """
    price = pd.to_numeric(pd.Series(price_wan, index=status.index), errors="coerce")
    due = status.isin(FEE_DUE_STATUSES).to_numpy()
    fee = np.where(due, price.to_numpy(float) * fee_rate, np.nan)
    fee = np.where(status.eq("government_cause").to_numpy(), 0.0, fee)
    return pd.Series(fee, index=status.index, dtype=float)


def fee_note(status: pd.Series, price_wan: Any, *, fee_rate: float) -> pd.Series:
    """How the fee was set (闲置费说明), citing the article.

    Examples
    --------
    >>> fee_note(pd.Series(["idle_fee", "idle_fee"]), [100.0, None], fee_rate=0.2).tolist()
    ['成交价格 × 20% (第十四条第一项)', '成交价格缺失, 闲置费无法计算']
    """
    price = pd.to_numeric(pd.Series(price_wan, index=status.index), errors="coerce")
    due = status.isin(FEE_STATUSES).to_numpy()
    recover = status.eq("idle_recover").to_numpy()
    no_price = price.isna().to_numpy()
    notes = np.select(
        [
            due & no_price,
            due,
            recover & no_price,
            recover,
            status.eq("government_cause").to_numpy(),
        ],
        [
            "成交价格缺失, 闲置费无法计算",
            f"成交价格 × {fee_rate:.0%} (第十四条第一项)",
            "满一年应缴的闲置费: 成交价格缺失, 无法计算; 满两年, 无偿收回 (第十四条第二项)",
            f"满一年应缴的闲置费 (成交价格 × {fee_rate:.0%}, 第十四条第一项) 不因收回而免除;"
            " 满两年, 无偿收回 (第十四条第二项)",
            "政府原因 (第八条), 不征收土地闲置费",
        ],
        "",
    )
    return pd.Series(notes, index=status.index)


# --- supervision categories (批而未供 / 供而未用 / 用而未尽) -------------------------


def far_judged(units: pd.DataFrame, *, as_of: pd.Timestamp) -> np.ndarray:
    """Where the FAR (容积率) is judged: completed or past the agreed completion date,
    with an agreed FAR lower bound (``far_min``).

    Examples
    --------
    >>> u = pd.DataFrame({"agreed_completion_date": pd.to_datetime(["2019-06-01", "2020-06-01"]),
    ...                   "far_min": [1.0, 1.0]})
    >>> far_judged(u, as_of=pd.Timestamp("2019-12-31")).tolist()
    [True, False]
    """
    past_due = (as_of > date_column(units, "agreed_completion_date")).to_numpy()
    agreed = number_column(units, "far_min").notna().to_numpy()
    return (is_completed(units, as_of=as_of) | past_due) & agreed


def far_ratio(units: pd.DataFrame, floor_area_m2: Any, *, as_of: pd.Timestamp) -> np.ndarray:
    """Floor area over the unit's area where the FAR is judged (:func:`far_judged`).

    Examples
    --------
    >>> u = pd.DataFrame({"area_m2": [10000.0, 10000.0], "far_min": [1.0, None],
    ...                   "actual_completion_date": pd.to_datetime(["2019-05-01"] * 2)})
    >>> far_ratio(u, [8000.0, 8000.0], as_of=pd.Timestamp("2019-12-31")).tolist()
    [0.8, nan]
    """
    area = number_column(units, "area_m2")
    floor = pd.Series(np.asarray(floor_area_m2, dtype=float), index=units.index)
    return (floor / area.where(area > 0)).where(far_judged(units, as_of=as_of)).to_numpy()


def supervision_category(
    units: pd.DataFrame,
    status: pd.Series,
    *,
    as_of: pd.Timestamp,
    started: np.ndarray,
    far: np.ndarray,
) -> pd.Series:
    """The supervision category of the land-market monitoring system, or ``""``.

    ``批而未供``: no supply contract. ``供而未用``: a status of
    :data:`devzone.vocab.UNUSED_STATUSES`. ``用而未尽``: completed, or started and past
    the agreed completion, with the FAR below ``far_min`` or the investment per 亩 below
    ``committed_invest_wan_per_mu``.

    Examples
    --------
    >>> u = pd.DataFrame({"supplied": [True, True, False], "area_m2": [10000.0] * 3,
    ...                   "far_min": [1.0] * 3,
    ...                   "actual_completion_date": pd.to_datetime(["2019-05-01"] * 3)})
    >>> st = pd.Series(["completed", "overdue", "not_supplied"])
    >>> supervision_category(u, st, as_of=pd.Timestamp("2019-12-31"),
    ...                      started=np.array([True, False, False]),
    ...                      far=np.array([0.8, np.nan, np.nan])).tolist()
    ['用而未尽', '供而未用', '批而未供']
    """
    supplied = is_supplied(units)
    area = number_column(units, "area_m2")
    past_due = (as_of > date_column(units, "agreed_completion_date")).to_numpy()
    should_be_done = is_completed(units, as_of=as_of) | (np.asarray(started, bool) & past_due)
    invest_per_mu = (number_column(units, "invested_wan") / (area / M2_PER_MU)).to_numpy()
    below = (np.asarray(far, dtype=float) < number_column(units, "far_min").to_numpy()) | (
        invest_per_mu < number_column(units, "committed_invest_wan_per_mu").to_numpy()
    )
    unused = status.isin(UNUSED_STATUSES).to_numpy()
    category = np.select(
        [~supplied, unused, should_be_done & below & supplied],
        [_NOT_SUPPLIED, _NOT_USED, _UNDER_USED],
        "",
    )
    return pd.Series(category, index=units.index)


# --- the composition -------------------------------------------------------------------


def _unit_columns(units: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The columns of ``parcel_idle_status`` copied from the unit."""
    return pd.DataFrame(
        {
            "as_of_date": as_of,
            "parcel_code": text_column(units, "parcel_code"),
            "supervision_no": text_column(units, "supervision_no"),
            "zone_code": text_column(units, "zone_code"),
            "holder": text_column(units, "holder"),
            "location": text_column(units, "location"),
            "area_m2": number_column(units, "area_m2"),
            "price_wan": number_column(units, "price_wan"),
            "agreed_start_date": date_column(units, "agreed_start_date"),
            "agreed_completion_date": date_column(units, "agreed_completion_date"),
            "actual_start_date": date_column(units, "actual_start_date"),
            "actual_completion_date": date_column(units, "actual_completion_date"),
        },
        index=units.index,
    )


def extended_units(units: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The units with an Art. 12 extension (延长动工开发期限, ``extended_start_date``)
    judged from it: the extended date replaces the agreed start, so the idle clock
    restarts from it. Returns the units (a copy when any is extended) and the mask.

    Examples
    --------
    >>> u = pd.DataFrame({"agreed_start_date": pd.to_datetime(["2017-06-01"] * 2),
    ...                   "extended_start_date": pd.to_datetime(["2019-06-01", None])})
    >>> judged, ext = extended_units(u)
    >>> [str(d.date()) for d in judged["agreed_start_date"]], ext.tolist()
    (['2019-06-01', '2017-06-01'], [True, False])
    """
    ext = date_column(units, "extended_start_date")
    mask = ext.notna().to_numpy()
    if not mask.any():
        return units, mask
    judged = units.copy()
    judged["agreed_start_date"] = ext.where(ext.notna(), date_column(units, "agreed_start_date"))
    return judged, mask


def _with_extension(reasons: pd.Series, units: pd.DataFrame, extended: np.ndarray) -> pd.Series:
    """Append the extension to the reason of each extended unit."""
    if not extended.any():
        return reasons
    ext = date_column(units, "agreed_start_date").dt.strftime("%Y-%m-%d")
    note = "; 已延长动工开发期限至 " + ext + " (第十二条), 自该日重新计算"
    return reasons.where(~extended, reasons + note)


def idle_status(
    units: pd.DataFrame,
    *,
    as_of: Any,
    policy: IdlePolicy,
    intensity: IntensityPolicy,
    buildings: pd.DataFrame | None = None,
    area_crs: str | None = None,
) -> pd.DataFrame:
    """Idle-land status of each unit on ``as_of`` (闲置土地认定).

    Parameters
    ----------
    units
        One row per parcel/supply record (:func:`devzone.landuse.idle_units.supply_units`),
        with the progress columns (:func:`~devzone.landuse.idle_units.attach_progress`)
        when known. Used columns: ``parcel_code``, ``supervision_no``, ``zone_code``,
        ``supplied``, ``area_m2``, ``price_wan``, ``agreed_start_date``,
        ``agreed_completion_date``, ``actual_start_date``, ``actual_completion_date``,
        ``far_min``, ``committed_invest_wan_per_mu`` and the progress columns; ``geom``
        for the footprint evidence.
    as_of
        The as-of date (评估基准日).
    policy
        The ``[idle]`` section.
    intensity
        The ``[intensity]`` section (the counted floor area of the buildings).
    buildings
        Building footprints (``building`` table) or ``None``.
    area_crs
        Projected CRS for areas of geometries without a registered area
        (:func:`devzone.settings.area_crs`).

    Returns
    -------
    DataFrame
        Indexed like ``units``, with the columns of ``parcel_idle_status`` (``geom``
        aside).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> pol = load_policy()
    >>> u = pd.DataFrame({"parcel_code": ["P1"], "supervision_no": ["S1"],
    ...                   "supplied": [True], "area_m2": [10000.0], "price_wan": [500.0],
    ...                   "agreed_start_date": pd.to_datetime(["2018-03-01"])})
    >>> r = idle_status(u, as_of="2019-03-01", policy=pol.idle, intensity=pol.intensity)
    >>> str(r.loc[0, "status"]), float(r.loc[0, "idle_fee_wan"])
    ('idle_fee', 100.0)
    """
    day = pd.Timestamp(as_of).normalize()
    contract = units
    units, extended = extended_units(units)
    supplied = is_supplied(units)
    completed = is_completed(units, as_of=day)
    judged = far_judged(units, as_of=day)
    totals = building_totals(
        units,
        buildings,
        policy=intensity,
        area_crs=area_crs,
        share_for=supplied & ~_started_by_date(units, day) & ~completed,
        totals_for=judged,
    )
    share = totals["footprint_share"].to_numpy()
    evidence = start_evidence(units, as_of=day, footprint_share=share, policy=policy)
    started = evidence.ne("none").to_numpy() | completed
    stalled = is_stalled(units, as_of=day, started=started, policy=policy)
    causes = classify_causes(units, policy=policy)
    # An Art. 12 extension gives a new deadline: the exemption ends after it.
    gov = causes["government"].to_numpy() & ~(extended & (day > units["agreed_start_date"]))
    status = status_codes(
        units, as_of=day, started=started, stalled=stalled, government=gov, policy=policy
    )
    price = number_column(units, "price_wan")
    far = far_ratio(units, totals["floor_area_m2"], as_of=day)
    dates = deadlines(units, status, as_of=day, stalled=stalled, policy=policy)
    columns = {
        "status": status,
        "status_reason": _with_extension(
            status_reasons(units, status, evidence=evidence, policy=policy), units, extended
        ),
        "start_evidence": np.where(supplied, evidence.to_numpy(), "none"),
        "footprint_share": share,
        "developed_share": developed_share(units),
        "invest_share": invest_share(units),
        **{name: dates[name] for name in dates.columns},
        "idle_fee_wan": idle_fee_wan(status, price, fee_rate=policy.fee_rate),
        "fee_note": fee_note(status, price, fee_rate=policy.fee_rate),
        "government_cause": text_column(units, "government_cause").where(gov, None),
        "cause_check": causes["cause_check"],
        "disposal_options": disposal_options(status, policy=policy),
        "supervision_category": supervision_category(
            units, status, as_of=day, started=started, far=far
        ),
        "far": far,
        "far_min": number_column(units, "far_min").to_numpy(),
    }
    out = _unit_columns(contract, day)
    for name, values in columns.items():
        out[name] = values  # Series are indexed like ``units``
    return out
