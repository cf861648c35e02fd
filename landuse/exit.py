"""Project exit mechanism (项目退出机制): land of bankrupt, suspended and zombie firms,
and standard-land (标准地) commitments missed at their check date.

Seed §7 (建立项目退出机制 … 对僵尸企业、破产企业的土地资源处置, 采取土地使用税减免、
缓交等灵活机制) and §9 (股份合作、租赁承包、破产重组、整体出让、收回处置). Pure,
vectorised functions; numbers from the ``[exit]`` table of ``data/policy/idle.toml``.

Decisions the code takes (tested in ``tests/test_exit.py``):

* A firm's status is ``enterprise.status``, else its latest indicator row's status
  (year ≤ the as-of year); Chinese values (破产, 停产 …) are mapped by ``status_aliases``.
* **Zombie** (僵尸企业): no revenue and no tax (each missing or ≤ 0) in every one of the
  ``zombie_years`` consecutive indicator years ending at the latest indicator year on or
  before the as-of date (the evaluation year of the whole data set). A missing annual row
  means "cannot tell": not a zombie. A firm flagged bankrupt or suspended is listed under
  that reason only (bankrupt > suspended > zombie).
* **Commitment missed** (标准地承诺未达标): the contract's ``committed_check_date`` is on
  or before the as-of date and the parcel's tax per 亩 (its firms' tax in the evaluation
  year, each firm's tax shared over its parcels by used area) is below
  ``committed_tax_wan_per_mu``, or its invested amount (项目进度 ``invested_wan``) per 亩
  is below ``committed_invest_wan_per_mu``. A measure without data is not judged.
* The land freed is the firm's used area on the parcel (宗地企业对照 ``used_area_m2``),
  else the parcel's area; for a missed commitment, the parcel's area.
* ``disposal_route`` is left empty for the planner; ``tax_relief_eligible`` is true for
  the reasons listed in ``tax_relief_reasons``.

The reasons are the codes of :data:`devzone.vocab.EXIT_REASON_LABELS`; the rules take the
``[exit]`` section (:class:`~devzone.policy.sections.ExitPolicy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from devzone.landuse.performance import land_shares
from devzone.policy.sections import ExitPolicy
from devzone.units import M2_PER_MU
from devzone.vocab import EXIT_REASON_LABELS

__all__ = [
    "exit_candidates",
    "firm_reasons",
    "firm_status",
    "missed_commitments",
    "zombie_firms",
]

_COLUMNS = [
    "as_of_date",
    "parcel_code",
    "zone_code",
    "credit_code",
    "enterprise_name",
    "reason",
    "reason_detail",
    "area_m2",
    "area_mu",
    "disposal_route",
    "tax_relief_eligible",
]


def _num(df: pd.DataFrame, name: str) -> pd.Series:
    if name not in df.columns:
        return pd.Series(np.nan, index=df.index)
    return pd.to_numeric(df[name], errors="coerce").astype(float)


def _eval_year(indicators: pd.DataFrame, as_of: pd.Timestamp) -> int | None:
    years = pd.to_numeric(indicators.get("year"), errors="coerce")
    years = years[years <= as_of.year] if years is not None else pd.Series(dtype=float)
    return int(years.max()) if len(years.dropna()) else None


def firm_status(
    enterprises: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    as_of: Any,
    aliases: Mapping[str, str],
) -> pd.Series:
    """Each firm's operating status (operating/suspended/bankrupt/closed), by credit code.

    ``enterprise.status`` wins; a firm without one takes the status of its latest
    indicator row with ``year`` ≤ the as-of year. Values are normalised through
    ``aliases`` (e.g. ``破产 → bankrupt``); unknown values are kept as written.

    Examples
    --------
    >>> ent = pd.DataFrame({"credit_code": ["C1", "C2"], "status": ["破产", None]})
    >>> ind = pd.DataFrame({"credit_code": ["C2"], "year": [2019], "status": ["停产"]})
    >>> firm_status(ent, ind, as_of="2019-12-31",
    ...             aliases={"破产": "bankrupt", "停产": "suspended"}).to_dict()
    {'C1': 'bankrupt', 'C2': 'suspended'}
    """
    as_of = pd.Timestamp(as_of)
    st = pd.Series(dtype=object)
    if len(indicators) and "status" in indicators.columns:
        ind = indicators[pd.to_numeric(indicators["year"], errors="coerce") <= as_of.year]
        ind = ind.dropna(subset=["status"]).sort_values("year")
        st = ind.drop_duplicates("credit_code", keep="last").set_index("credit_code")["status"]
    if len(enterprises) and "status" in enterprises.columns:
        own = enterprises.dropna(subset=["status"]).drop_duplicates("credit_code")
        own = own.set_index("credit_code")["status"]
        st = own.combine_first(st) if len(st) else own
    norm = st.astype(str).str.strip()
    return norm.map(lambda v: aliases.get(v, v)) if len(norm) else norm


def zombie_firms(indicators: pd.DataFrame, *, as_of: Any, years: int) -> pd.Index:
    """Credit codes with no revenue and no tax in each of the last ``years`` years.

    The window ends at the latest indicator year on or before ``as_of``; every year of
    it needs a row (a missing row means "cannot tell"). Revenue or tax missing or ≤ 0
    counts as none.

    Examples
    --------
    >>> ind = pd.DataFrame({"credit_code": ["Z", "Z", "T", "T"], "year": [2018, 2019] * 2,
    ...                     "revenue_wan": [0.0, None, 0.0, 0.0], "tax_wan": [0.0, 0.0, 0.0, 1.0]})
    >>> list(zombie_firms(ind, as_of="2019-12-31", years=2))
    ['Z']
    """
    as_of = pd.Timestamp(as_of)
    if not len(indicators):
        return pd.Index([], dtype=object)
    last = _eval_year(indicators, as_of)
    if last is None:
        return pd.Index([], dtype=object)
    yr = pd.to_numeric(indicators["year"], errors="coerce")
    win = indicators[(yr > last - years) & (yr <= last)]
    rev = _num(win, "revenue_wan").fillna(0.0)
    tax = _num(win, "tax_wan").fillna(0.0)
    none = (rev <= 0) & (tax <= 0)
    g = pd.DataFrame({"credit_code": win["credit_code"], "year": win["year"], "none": none})
    g = g.drop_duplicates(["credit_code", "year"])
    agg = g.groupby("credit_code").agg(n=("year", "nunique"), all_none=("none", "all"))
    return agg.index[(agg["n"] >= years) & agg["all_none"]]


_MISSED_COLUMNS = [
    "parcel_code",
    "tax_per_mu_wan",
    "invest_per_mu_wan",
    "tax_missed",
    "invest_missed",
    "reason_detail",
]


def _parcel_tax(
    parcels: pd.DataFrame, links: pd.DataFrame, indicators: pd.DataFrame, as_of: pd.Timestamp
) -> pd.Series:
    """Each parcel's tax in the evaluation year: its firms' tax, each firm's shared over
    its parcels by the land it uses on each (:func:`land_shares`; equally without)."""
    p = parcels
    year = _eval_year(indicators, as_of) if len(indicators) else None
    if year is None or not len(links):
        return pd.Series(np.nan, index=p.index)
    ind = indicators[pd.to_numeric(indicators["year"], errors="coerce") == year]
    tax = ind.drop_duplicates("credit_code").set_index("credit_code")["tax_wan"]
    base = pd.DataFrame(
        {"parcel_code": p["parcel_code"], "area_m2": _num(p, "area_m2"), "zone_code": None}
    )
    lk = land_shares(links, base)  # the one land-share rule (宗地企业用地)
    lk["used"] = lk["share_m2"].fillna(1.0)
    lk["share"] = lk["used"] / lk.groupby("credit_code")["used"].transform("sum")
    lk["tax"] = pd.to_numeric(lk["credit_code"].map(tax), errors="coerce") * lk["share"]
    per_parcel = lk.dropna(subset=["tax"]).groupby("parcel_code")["tax"].sum()
    return p["parcel_code"].map(per_parcel).astype(float)


def _missed_detail(
    check: pd.Series,
    *,
    tax_mu: pd.Series,
    tax_min: pd.Series,
    tax_missed: np.ndarray,
    inv_mu: pd.Series,
    inv_min: pd.Series,
    inv_missed: np.ndarray,
) -> pd.Series:
    """``达产复核日 <date>: 亩均税收 x < 承诺 y 万元/亩; 投资强度 …`` per parcel."""
    tax_text = "亩均税收 " + tax_mu.round(2).astype(str) + " < 承诺 " + tax_min.astype(str)
    inv_text = "投资强度 " + inv_mu.round(2).astype(str) + " < 承诺 " + inv_min.astype(str)
    detail = (
        "达产复核日 "
        + check.dt.strftime("%Y-%m-%d").fillna("")
        + ": "
        + np.where(tax_missed, tax_text + " 万元/亩; ", "")
        + np.where(inv_missed, inv_text + " 万元/亩", "")
    )
    return detail.str.rstrip("; ")


def missed_commitments(
    parcels: pd.DataFrame,
    links: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    as_of: Any,
) -> pd.DataFrame:
    """Standard-land parcels whose commitments were missed at their check date.

    Parameters
    ----------
    parcels
        One row per parcel with ``parcel_code``, ``area_m2``, ``committed_check_date``,
        ``committed_tax_wan_per_mu``, ``committed_invest_wan_per_mu`` and, when known,
        ``invested_wan`` (项目进度).
    links
        宗地企业对照 (``parcel_code``, ``credit_code``, ``used_area_m2``).
    indicators
        Annual indicators (``credit_code``, ``year``, ``tax_wan``).

    Returns
    -------
    DataFrame
        ``parcel_code, tax_per_mu_wan, invest_per_mu_wan, tax_missed, invest_missed,
        reason_detail`` for the parcels that missed a commitment.

    Examples
    --------
    >>> par = pd.DataFrame({"parcel_code": ["P1"], "area_m2": [10000.0],
    ...                     "committed_check_date": pd.to_datetime(["2019-06-30"]),
    ...                     "committed_tax_wan_per_mu": [10.0], "invested_wan": [4500.0],
    ...                     "committed_invest_wan_per_mu": [300.0]})
    >>> lk = pd.DataFrame({"parcel_code": ["P1"], "credit_code": ["C1"]})
    >>> ind = pd.DataFrame({"credit_code": ["C1"], "year": [2019], "tax_wan": [75.0]})
    >>> m = missed_commitments(par, lk, ind, as_of="2019-12-31")  # 75 / 15 亩 = 5 < 10
    >>> m[["tax_per_mu_wan", "tax_missed", "invest_missed"]].values.tolist()
    [[5.0, True, False]]
    >>> print(m.loc[0, "reason_detail"])
    达产复核日 2019-06-30: 亩均税收 5.0 < 承诺 10.0 万元/亩
    """
    as_of = pd.Timestamp(as_of).normalize()
    p = parcels
    if "committed_check_date" not in p.columns or not len(p):
        return pd.DataFrame(columns=_MISSED_COLUMNS)
    check = pd.to_datetime(p["committed_check_date"], errors="coerce")
    mu = _num(p, "area_m2") / M2_PER_MU
    due = (check <= as_of).to_numpy()
    tax_mu = _parcel_tax(p, links, indicators, as_of) / mu.where(mu > 0)
    inv_mu = _num(p, "invested_wan") / mu.where(mu > 0)
    tax_min = _num(p, "committed_tax_wan_per_mu")
    inv_min = _num(p, "committed_invest_wan_per_mu")
    tax_missed = due & (tax_mu < tax_min).to_numpy()
    inv_missed = due & (inv_mu < inv_min).to_numpy()
    detail = _missed_detail(
        check,
        tax_mu=tax_mu,
        tax_min=tax_min,
        tax_missed=tax_missed,
        inv_mu=inv_mu,
        inv_min=inv_min,
        inv_missed=inv_missed,
    )
    out = pd.DataFrame(
        {
            "parcel_code": p["parcel_code"],
            "tax_per_mu_wan": tax_mu,
            "invest_per_mu_wan": inv_mu,
            "tax_missed": tax_missed,
            "invest_missed": inv_missed,
            "reason_detail": detail,
        }
    )
    return out[tax_missed | inv_missed].reset_index(drop=True)


def firm_reasons(
    enterprises: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    as_of: Any,
    policy: ExitPolicy,
) -> pd.DataFrame:
    """The firms whose land goes to the exit list, with their reason (one each).

    Bankrupt (``bankrupt_statuses``) > suspended (``suspended_statuses``) > zombie
    (:func:`zombie_firms` over ``zombie_years``); statuses read by :func:`firm_status`
    through ``status_aliases``.

    Returns
    -------
    DataFrame
        ``credit_code``, ``reason`` (a code of :data:`devzone.vocab.EXIT_REASON_LABELS`),
        ``reason_detail``.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> ent = pd.DataFrame({"credit_code": ["C1", "C2"], "status": ["破产", "在营"]})
    >>> firm_reasons(ent, pd.DataFrame(columns=["credit_code", "year"]), as_of="2019-12-31",
    ...              policy=load_policy().exit).values.tolist()
    [['C1', 'bankrupt', '企业经营状态: 破产']]
    """
    aliases = {str(k): str(v) for k, v in policy.status_aliases.items()}
    status = firm_status(enterprises, indicators, as_of=as_of, aliases=aliases)
    zombies = list(zombie_firms(indicators, as_of=as_of, years=policy.zombie_years))
    codes = pd.Index(status.index).union(pd.Index(zombies))
    st = pd.Series(codes.map(status), index=codes)
    reason = np.select(
        [
            st.isin(set(policy.bankrupt_statuses)),
            st.isin(set(policy.suspended_statuses)),
            codes.isin(zombies),
        ],
        ["bankrupt", "suspended", "zombie"],
        "",
    )
    firms = pd.DataFrame({"credit_code": codes, "reason": reason})
    firms = firms[firms["reason"] != ""]
    details = {
        "bankrupt": f"企业经营状态: {EXIT_REASON_LABELS['bankrupt']}",
        "suspended": f"企业经营状态: {EXIT_REASON_LABELS['suspended']}",
        "zombie": f"连续{policy.zombie_years}年无营业收入且无税收 (僵尸企业)",
    }
    firms["reason_detail"] = firms["reason"].map(details)
    return firms


def _firm_names(enterprises: pd.DataFrame, indicators: pd.DataFrame) -> pd.Series:
    """Name by credit code: the enterprise table's, else the latest indicator row's."""
    names = enterprises.drop_duplicates("credit_code").set_index("credit_code")["name"]
    if "name" in indicators.columns:
        latest = indicators.dropna(subset=["name"]).sort_values("year")
        names = names.combine_first(
            latest.drop_duplicates("credit_code", keep="last").set_index("credit_code")["name"]
        )
    return names


def _commitment_rows(missed: pd.DataFrame, links: pd.DataFrame, area: pd.Series) -> pd.DataFrame:
    """Exit rows of the parcels that missed a commitment (the parcel's whole area)."""
    firms_on = links.drop_duplicates("parcel_code").set_index("parcel_code")["credit_code"]
    return pd.DataFrame(
        {
            "parcel_code": missed["parcel_code"],
            "credit_code": missed["parcel_code"].map(firms_on),
            "reason": "commitment_missed",
            "reason_detail": missed["reason_detail"],
            "area_m2": missed["parcel_code"].map(area).to_numpy(),
        }
    )


def exit_candidates(
    parcels: pd.DataFrame,
    enterprises: pd.DataFrame,
    indicators: pd.DataFrame,
    links: pd.DataFrame,
    *,
    as_of: Any,
    policy: ExitPolicy,
) -> pd.DataFrame:
    """Rows of the ``exit_candidate`` table (退出候选), one per parcel, firm and reason.

    Parameters
    ----------
    parcels
        Parcels with their contract and progress (``parcel_code``, ``zone_code``,
        ``area_m2``, ``committed_*``, ``invested_wan``).
    enterprises, indicators, links
        ``enterprise``, ``enterprise_indicator`` and ``parcel_enterprise`` tables.
    as_of
        The as-of date.
    policy
        The ``[exit]`` section.

    Returns
    -------
    DataFrame
        Columns of ``exit_candidate``; ``disposal_route`` empty (the planner fills it).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> par = pd.DataFrame({"parcel_code": ["P1"], "zone_code": ["Z"], "area_m2": [6000.0]})
    >>> ent = pd.DataFrame({"credit_code": ["C1"], "name": ["甲公司"], "status": ["破产"]})
    >>> lk = pd.DataFrame({"parcel_code": ["P1"], "credit_code": ["C1"]})
    >>> r = exit_candidates(par, ent, pd.DataFrame(), lk, as_of="2019-12-31",
    ...                     policy=load_policy().exit)
    >>> r[["reason", "area_mu"]].values.tolist()
    [['bankrupt', 9.0]]
    """
    as_of = pd.Timestamp(as_of).normalize()
    ent = enterprises if len(enterprises) else pd.DataFrame(columns=["credit_code", "name"])
    ind = indicators if len(indicators) else pd.DataFrame(columns=["credit_code", "year"])
    firms = firm_reasons(ent, ind, as_of=as_of, policy=policy)

    par = parcels.drop_duplicates("parcel_code")
    area = pd.Series(_num(par, "area_m2").to_numpy(), index=par["parcel_code"])
    zone = pd.Series(
        par["zone_code"].to_numpy() if "zone_code" in par else None, index=par["parcel_code"]
    )
    lk = links if len(links) else pd.DataFrame(columns=["parcel_code", "credit_code"])
    # Land freed: the firm's share of each parcel (a parcel shared by several firms is
    # split as in the performance evaluation, devzone.landuse.performance.land_shares).
    base = pd.DataFrame({"parcel_code": area.index, "area_m2": area.to_numpy(), "zone_code": None})
    shares = land_shares(lk, base)[["parcel_code", "credit_code", "share_m2"]]
    rows = lk[["parcel_code", "credit_code"]].merge(firms, on="credit_code", how="inner")
    rows = rows.drop_duplicates(["parcel_code", "credit_code"])
    rows = rows.merge(shares, on=["parcel_code", "credit_code"], how="left")
    rows = rows.rename(columns={"share_m2": "area_m2"})

    missed = missed_commitments(par, lk, ind, as_of=as_of)
    if len(missed):
        rows = pd.concat([rows, _commitment_rows(missed, lk, area)], ignore_index=True)
    if not len(rows):
        return pd.DataFrame(columns=_COLUMNS)
    rows["as_of_date"] = as_of
    rows["zone_code"] = rows["parcel_code"].map(zone)
    rows["enterprise_name"] = rows["credit_code"].map(_firm_names(ent, ind))
    rows["area_mu"] = rows["area_m2"] / M2_PER_MU
    rows["disposal_route"] = None
    rows["tax_relief_eligible"] = rows["reason"].isin(set(policy.tax_relief_reasons))
    rows = rows.sort_values(["zone_code", "parcel_code", "reason"], na_position="last")
    return rows[_COLUMNS].reset_index(drop=True)
