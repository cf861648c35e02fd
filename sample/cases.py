"""The planted cases (埋设案例) of the sample and what the rules must conclude.

Every case is a parcel (and, where it matters, the enterprise on it) whose records
are set by hand so that one rule of ``../shared/POLICY.md`` §1–§3 decides it, as of
**2019-12-31** (evaluation year **2019**). The expected values below were worked out
by hand from the rules, not by running the analysis code:

* one full year (满一年) is calendar based: agreed start D → idle from D + 1 year
  (2018-12-31 → 2019-12-31, so that parcel is idle *on* the as-of date); two full
  years → free recovery (2017-12-31 → 2019-12-31);
* idle fee = 20 % × 成交价格 (e.g. 1 234.5 × 0.2 = 246.90 万元);
* stalled: developed < 1/3 of the parcel or invested < 25 % of the total, suspended
  one full year (2018-10-01 + 1 year = 2019-10-01 ≤ 2019-12-31);
* transition: 2019 − 投产年份 < 3 (2018 → 1, 2017 → 2) → grade T;
* zombie: revenue 0 and tax 0 in 2018 and 2019;
* minimum FAR of GB/T 4754-2017 34 (通用设备) = 2002 code 35 → 0.7; building
  coefficient ≥ 30 %;
* below-scale (规下) firms on < 5 亩 are not evaluated.

Fields named in :data:`CASES` are columns of the contract result tables; the
analysis → table map is in the sample README. ``performance`` rows whose field is
``performance_note`` are about ``parcel_performance`` (keyed by parcel); the other
``performance`` rows are about ``enterprise_evaluation`` (keyed by credit code).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AS_OF", "CASES", "YEAR", "Case", "Expect"]

AS_OF = "2019-12-31"
YEAR = 2019
GOV_CAUSE = "未按照约定的期限、条件将土地交付给国有建设用地使用权人"


@dataclass(frozen=True)
class Expect:
    """One manifest row: ``analysis``, ``field``, ``expected``, whose key, and why."""

    analysis: str
    field: str
    expected: str
    note: str
    by_firm: bool = False


@dataclass(frozen=True)
class Case:
    """A planted parcel.

    ``supply`` holds contract dates (ISO text) and numbers, or ``None`` for land not
    supplied. ``firm`` describes the enterprise on the parcel (``None``: no
    enterprise). ``building`` is ``(coefficient, floors, height_m)`` of one building
    or ``None``. ``progress`` holds a project-progress record or ``None``.
    """

    name: str
    zone_code: str
    expects: tuple[Expect, ...]
    supply: dict | None = field(default_factory=dict)
    firm: dict | None = None
    building: tuple[float, int, float] | None = (0.45, 2, 9.0)
    progress: dict | None = None
    industry: str = ""


def _supply(
    contract: str,
    delivery: str,
    start: str,
    completion: str,
    *,
    actual_start: str = "",
    actual_completion: str = "",
    price: float = 0.0,
    **extra: object,
) -> dict:
    return {
        "contract": contract,
        "delivery": delivery,
        "start": start,
        "completion": completion,
        "actual_start": actual_start,
        "actual_completion": actual_completion,
        "price": price,
        **extra,
    }


_DONE = _supply(
    "2013-03-01",
    "2013-04-01",
    "2013-09-01",
    "2015-09-01",
    actual_start="2013-09-20",
    actual_completion="2015-06-30",
    price=520.0,
)
_FIRM = {"above": True, "start_year": 2015, "kind": "normal"}

CASES: tuple[Case, ...] = (
    # ---------------------------------------------------------------- idle (§1)
    Case(
        "idle_overdue_just_under_one_year",
        "G341130",
        (
            Expect(
                "idle",
                "status",
                "overdue",
                "agreed start 2019-01-01, not started: one full year only on 2020-01-01",
            ),
        ),
        supply=_supply("2018-10-15", "2018-11-15", "2019-01-01", "2021-01-01", price=640.0),
        building=None,
    ),
    Case(
        "idle_fee_exactly_one_year",
        "G341130",
        (
            Expect(
                "idle",
                "status",
                "idle_fee",
                "agreed start 2018-12-31 + 1 year = 2019-12-31 = as-of: idle on that day",
            ),
            Expect("idle", "idle_fee_wan", "246.90", "20% x 1234.5 = 246.90 万元"),
        ),
        supply=_supply("2018-09-20", "2018-10-20", "2018-12-31", "2020-12-31", price=1234.5),
        building=None,
    ),
    Case(
        "idle_fee_just_over_one_year",
        "S347042",
        (
            Expect(
                "idle",
                "status",
                "idle_fee",
                "agreed start 2018-03-20: idle since 2019-03-20, under two years",
            ),
            Expect("idle", "idle_fee_wan", "171.20", "20% x 856.0 = 171.20 万元"),
            Expect("idle", "supervision_category", "供而未用", "supplied, past start, unused"),
        ),
        supply=_supply("2017-12-01", "2018-01-05", "2018-03-20", "2020-03-20", price=856.0),
        building=None,
    ),
    Case(
        "idle_fee_one_day_short_of_two_years",
        "S347045",
        (
            Expect(
                "idle",
                "status",
                "idle_fee",
                "agreed start 2018-01-01: two full years only on 2020-01-01",
            ),
            Expect("idle", "idle_fee_wan", "120.00", "20% x 600.0 = 120.00 万元"),
        ),
        supply=_supply("2017-09-01", "2017-10-01", "2018-01-01", "2020-01-01", price=600.0),
        building=None,
    ),
    Case(
        "idle_recover_exactly_two_years",
        "S347045",
        (
            Expect(
                "idle",
                "status",
                "idle_recover",
                "agreed start 2017-12-31 + 2 years = 2019-12-31 = as-of",
            ),
        ),
        supply=_supply("2017-08-15", "2017-09-15", "2017-12-31", "2019-12-31", price=780.0),
        building=None,
    ),
    Case(
        "idle_recover_over_two_years",
        "S347046",
        (
            Expect(
                "idle",
                "status",
                "idle_recover",
                "agreed start 2016-09-01, never started: over three years",
            ),
        ),
        supply=_supply("2016-05-10", "2016-06-10", "2016-09-01", "2018-09-01", price=455.0),
        building=None,
    ),
    Case(
        "idle_stalled",
        "S347048",
        (
            Expect(
                "idle",
                "status",
                "idle_stalled",
                "started 2017-05-10; developed 20% < 1/3 and invested 400/3000 = 13.3% "
                "< 25%; suspended 2018-10-01, not resumed: one full year on 2019-10-01",
            ),
            Expect("idle", "idle_fee_wan", "180.00", "stalled idle land: 20% x 900.0"),
        ),
        supply=_supply(
            "2016-12-01",
            "2017-01-10",
            "2017-04-01",
            "2019-04-01",
            actual_start="2017-05-10",
            price=900.0,
        ),
        building=(0.08, 1, 6.0),
        progress={
            "developed_share": 0.20,
            "invested": 400.0,
            "total": 3000.0,
            "suspended": "2018-10-01",
            "resumed": "",
            "cause": "",
        },
    ),
    Case(
        "stalled_under_one_year",
        "S347048",
        (
            Expect(
                "idle",
                "status",
                "under_construction",
                "developed 20% but suspended 2019-06-01: not one full year yet; "
                "agreed completion 2020-12-31 not passed",
            ),
        ),
        supply=_supply(
            "2018-06-01",
            "2018-07-01",
            "2018-10-01",
            "2020-12-31",
            actual_start="2018-10-15",
            price=700.0,
        ),
        building=(0.10, 1, 6.0),
        progress={
            "developed_share": 0.20,
            "invested": 300.0,
            "total": 3000.0,
            "suspended": "2019-06-01",
            "resumed": "",
            "cause": "",
        },
    ),
    Case(
        "government_cause",
        "S347044",
        (
            Expect(
                "idle",
                "status",
                "government_cause",
                "not started since agreed 2017-06-01, but the land was not delivered as "
                "agreed (Art. 8 (1)): no fee, no recovery",
            ),
            Expect("idle", "idle_fee_wan", "0.00", "government cause: no idle fee"),
        ),
        supply=_supply("2017-01-15", "2017-03-01", "2017-06-01", "2019-06-01", price=530.0),
        building=None,
        progress={
            "developed_share": 0.0,
            "invested": 0.0,
            "total": 2500.0,
            "suspended": "",
            "resumed": "",
            "cause": GOV_CAUSE,
        },
    ),
    Case(
        "not_supplied",
        "LA-GX",
        (
            Expect("idle", "status", "not_supplied", "no supply contract (批而未供)"),
            Expect("idle", "supervision_category", "批而未供", "approved, not supplied"),
        ),
        supply=None,
        building=None,
    ),
    Case(
        "not_due",
        "LA-GX",
        (Expect("idle", "status", "not_due", "agreed start 2020-03-10 is after the as-of"),),
        supply=_supply("2019-09-10", "2019-10-10", "2020-03-10", "2022-03-10", price=610.0),
        building=None,
    ),
    Case(
        "completed_late",
        "S347046",
        (
            Expect(
                "idle",
                "status",
                "completed_late",
                "agreed completion 2018-05-01, completed 2019-03-15",
            ),
        ),
        supply=_supply(
            "2015-12-01",
            "2016-01-10",
            "2016-05-01",
            "2018-05-01",
            actual_start="2016-06-01",
            actual_completion="2019-03-15",
            price=480.0,
        ),
        firm=_FIRM,
    ),
    Case(
        "completed_on_time",
        "S347046",
        (
            Expect(
                "idle", "status", "completed", "completed 2019-05-20, before the agreed 2019-06-30"
            ),
        ),
        supply=_supply(
            "2016-11-01",
            "2016-12-01",
            "2017-03-01",
            "2019-06-30",
            actual_start="2017-03-05",
            actual_completion="2019-05-20",
            price=505.0,
        ),
        firm=_FIRM,
    ),
    Case(
        "started_by_buildings",
        "G341130",
        (
            Expect(
                "idle",
                "start_evidence",
                "buildings",
                "no 实际开工时间 but footprints cover 40% of the parcel",
            ),
            Expect(
                "idle",
                "status",
                "under_construction",
                "started (buildings), agreed completion 2020-09-01 not passed",
            ),
        ),
        supply=_supply("2017-10-01", "2017-11-01", "2018-03-01", "2020-09-01", price=560.0),
        building=(0.40, 1, 6.0),
    ),
    # ---------------------------------------------------------------- exit (§1, seed §9)
    Case(
        "exit_bankrupt",
        "S347042",
        (
            Expect("exit", "reason", "bankrupt", "经营状态 破产 (2018, 2019)"),
            Expect("exit", "tax_relief_eligible", "true", "bankrupt land: tax relief"),
        ),
        supply=_DONE,
        firm={**_FIRM, "kind": "bankrupt"},
    ),
    Case(
        "exit_zombie",
        "S347045",
        (
            Expect(
                "exit",
                "reason",
                "zombie",
                "operating, revenue 0 and tax 0 in 2018 and 2019 (two years)",
            ),
        ),
        supply=_DONE,
        firm={**_FIRM, "kind": "zombie"},
    ),
    Case(
        "exit_suspended",
        "S347048",
        (Expect("exit", "reason", "suspended", "经营状态 停产 (2018, 2019)"),),
        supply=_DONE,
        firm={**_FIRM, "kind": "suspended"},
    ),
    Case(
        "exit_commitment_missed",
        "LA-GX",
        (
            Expect(
                "exit",
                "reason",
                "commitment_missed",
                "standard land: committed 25 万元/亩 tax, check 2019-06-30; "
                "actual 2019 tax 4 万元/亩",
            ),
            Expect("intensity", "commitment_ok", "false", "4 < 25 万元/亩 committed"),
        ),
        supply=_supply(
            "2016-03-01",
            "2016-04-01",
            "2016-07-01",
            "2018-07-01",
            actual_start="2016-07-10",
            actual_completion="2018-05-30",
            price=590.0,
            committed_invest=300.0,
            committed_tax=25.0,
            check="2019-06-30",
        ),
        firm={**_FIRM, "kind": "low_tax"},
    ),
    # ---------------------------------------------------------------- performance (§2)
    Case(
        "transition_started_2018",
        "G341130",
        (Expect("performance", "grade", "T", "投产 2018: 2019-2018 = 1 < 3", by_firm=True),),
        supply=_supply(
            "2016-06-01",
            "2016-07-01",
            "2016-10-01",
            "2018-10-01",
            actual_start="2016-10-08",
            actual_completion="2017-12-20",
            price=500.0,
        ),
        firm={**_FIRM, "start_year": 2018},
    ),
    Case(
        "transition_started_2017",
        "S347044",
        (Expect("performance", "grade", "T", "投产 2017: 2019-2017 = 2 < 3", by_firm=True),),
        supply=_supply(
            "2015-06-01",
            "2015-07-01",
            "2015-10-01",
            "2017-10-01",
            actual_start="2015-10-08",
            actual_completion="2016-12-20",
            price=500.0,
        ),
        firm={**_FIRM, "start_year": 2017},
    ),
    Case(
        "top_performer",
        "G341130",
        (
            Expect(
                "performance",
                "grade",
                "A",
                "every 规上 indicator over twice the group mean: capped score 200, rank 1",
                by_firm=True,
            ),
        ),
        supply=_DONE,
        firm={**_FIRM, "kind": "top"},
    ),
    Case(
        "below_scale_under_5_mu",
        "S347042",
        (
            Expect(
                "performance",
                "evaluated",
                "false",
                "规下 firm using 2000 m2 = 3 亩 of a shared parcel: < 5 亩",
                by_firm=True,
            ),
        ),
        supply=_DONE,
        firm={**_FIRM, "kind": "small_share"},
    ),
    Case(
        "no_enterprise",
        "S347042",
        (
            Expect(
                "performance",
                "performance_note",
                "no_enterprise",
                "completed parcel with no enterprise linked (parcel_performance)",
            ),
        ),
        supply=_DONE,
        firm=None,
    ),
    # ---------------------------------------------------------------- intensity (§3)
    Case(
        "far_below_minimum",
        "G341130",
        (
            Expect(
                "intensity",
                "far_ok",
                "false",
                "industry 34 -> min FAR 0.7; one 6 m storey on 36% of the site: FAR 0.36",
            ),
            Expect("intensity", "coefficient_ok", "true", "36% >= 30%"),
        ),
        supply={**_DONE, "far_min": 0.7},
        firm=_FIRM,
        building=(0.36, 1, 6.0),
        industry="34",
    ),
    Case(
        "building_coefficient_low",
        "G341130",
        (
            Expect("intensity", "coefficient_ok", "false", "footprint 18% < 30%"),
            Expect(
                "intensity",
                "far_ok",
                "true",
                "5 storeys of 4 m on 18%: FAR 0.90 >= 0.7 (industry 34)",
            ),
        ),
        supply={**_DONE, "far_min": 0.7},
        firm=_FIRM,
        building=(0.18, 5, 20.0),
        industry="34",
    ),
    # ---------------------------------------------------------------- industry fit
    Case(
        "industry_misfit",
        "G341130",
        (Expect("industry_fit", "fit", "misfit", "医药 27 in a zone of 装备制造/轻工纺织/建材"),),
        supply=_DONE,
        firm=_FIRM,
        industry="27",
    ),
    Case(
        "industry_lead",
        "S347044",
        (Expect("industry_fit", "fit", "lead", "木竹产品加工 20 = the zone's 首位产业"),),
        supply=_DONE,
        firm=_FIRM,
        industry="20",
    ),
    Case(
        "industry_main",
        "S347044",
        (Expect("industry_fit", "fit", "main", "家具 21 = a 主导产业 of the zone"),),
        supply=_DONE,
        firm=_FIRM,
        industry="21",
    ),
)
