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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from devzone.landuse.performance import land_shares

__all__ = [
    "REASONS",
    "exit_candidates",
    "firm_status",
    "missed_commitments",
    "zombie_firms",
]

#: Values of ``exit_candidate.reason``.
REASONS = ("bankrupt", "suspended", "zombie", "commitment_missed")

M2_PER_MU = 10000.0 / 15.0

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
    """
    as_of = pd.Timestamp(as_of).normalize()
    p = parcels
    if "committed_check_date" not in p.columns or not len(p):
        return pd.DataFrame(
            columns=[
                "parcel_code",
                "tax_per_mu_wan",
                "invest_per_mu_wan",
                "tax_missed",
                "invest_missed",
                "reason_detail",
            ]
        )
    check = pd.to_datetime(p["committed_check_date"], errors="coerce")
    mu = _num(p, "area_m2") / M2_PER_MU
    due = (check <= as_of).to_numpy()

    # Parcel tax: each firm's tax in the evaluation year, shared over its parcels by area.
    tax_of_parcel = pd.Series(np.nan, index=p.index)
    year = _eval_year(indicators, as_of) if len(indicators) else None
    if year is not None and len(links):
        ind = indicators[pd.to_numeric(indicators["year"], errors="coerce") == year]
        tax = ind.drop_duplicates("credit_code").set_index("credit_code")["tax_wan"]
        lk = links[["parcel_code", "credit_code"]].copy()
        area_by_code = pd.Series(_num(p, "area_m2").to_numpy(), index=p["parcel_code"])
        area_by_code = area_by_code[~area_by_code.index.duplicated()]
        used = _num(links, "used_area_m2")
        lk["used"] = used.fillna(lk["parcel_code"].map(area_by_code)).fillna(1.0)
        lk["share"] = lk["used"] / lk.groupby("credit_code")["used"].transform("sum")
        lk["tax"] = pd.to_numeric(lk["credit_code"].map(tax), errors="coerce") * lk["share"]
        has = lk.dropna(subset=["tax"])
        per_parcel = has.groupby("parcel_code")["tax"].sum()
        tax_of_parcel = p["parcel_code"].map(per_parcel).astype(float)
    tax_mu = tax_of_parcel / mu.where(mu > 0)
    inv_mu = _num(p, "invested_wan") / mu.where(mu > 0)
    tax_missed = due & (tax_mu < _num(p, "committed_tax_wan_per_mu")).to_numpy()
    inv_missed = due & (inv_mu < _num(p, "committed_invest_wan_per_mu")).to_numpy()
    miss = tax_missed | inv_missed
    ymd = check.dt.strftime("%Y-%m-%d").fillna("")
    detail = (
        "达产复核日 "
        + ymd
        + ": "
        + np.where(
            tax_missed,
            "亩均税收 "
            + tax_mu.round(2).astype(str)
            + " < 承诺 "
            + _num(p, "committed_tax_wan_per_mu").astype(str)
            + " 万元/亩; ",
            "",
        )
        + np.where(
            inv_missed,
            "投资强度 "
            + inv_mu.round(2).astype(str)
            + " < 承诺 "
            + _num(p, "committed_invest_wan_per_mu").astype(str)
            + " 万元/亩",
            "",
        )
    )
    out = pd.DataFrame(
        {
            "parcel_code": p["parcel_code"],
            "tax_per_mu_wan": tax_mu,
            "invest_per_mu_wan": inv_mu,
            "tax_missed": tax_missed,
            "invest_missed": inv_missed,
            "reason_detail": detail.str.rstrip("; "),
        }
    )
    return out[miss].reset_index(drop=True)


def exit_candidates(
    parcels: pd.DataFrame,
    enterprises: pd.DataFrame,
    indicators: pd.DataFrame,
    links: pd.DataFrame,
    *,
    as_of: Any,
    policy: Mapping[str, Any],
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
        The ``[exit]`` policy table.

    Returns
    -------
    DataFrame
        Columns of ``exit_candidate``; ``disposal_route`` empty (the planner fills it).

    Examples
    --------
    >>> import pandas as pd
    >>> from devzone.config import load_policy
    >>> par = pd.DataFrame({"parcel_code": ["P1"], "zone_code": ["Z"], "area_m2": [6000.0]})
    >>> ent = pd.DataFrame({"credit_code": ["C1"], "name": ["甲公司"], "status": ["破产"]})
    >>> lk = pd.DataFrame({"parcel_code": ["P1"], "credit_code": ["C1"]})
    >>> r = exit_candidates(par, ent, pd.DataFrame(), lk, as_of="2019-12-31",
    ...                     policy=load_policy()["exit"])
    >>> r[["reason", "area_mu"]].values.tolist()
    [['bankrupt', 9.0]]
    """
    as_of = pd.Timestamp(as_of).normalize()
    aliases = {str(k): str(v) for k, v in policy.get("status_aliases", {}).items()}
    bankrupt = set(policy.get("bankrupt_statuses", ["bankrupt"]))
    suspended = set(policy.get("suspended_statuses", ["suspended"]))
    relief = set(policy.get("tax_relief_reasons", []))
    years = int(policy.get("zombie_years", 2))

    ent = enterprises if len(enterprises) else pd.DataFrame(columns=["credit_code", "name"])
    ind = indicators if len(indicators) else pd.DataFrame(columns=["credit_code", "year"])
    status = firm_status(ent, ind, as_of=as_of, aliases=aliases)
    zombies = set(zombie_firms(ind, as_of=as_of, years=years))
    names = ent.drop_duplicates("credit_code").set_index("credit_code")["name"]
    if "name" in ind.columns:
        latest = ind.dropna(subset=["name"]).sort_values("year")
        names = names.combine_first(
            latest.drop_duplicates("credit_code", keep="last").set_index("credit_code")["name"]
        )

    codes = pd.Index(status.index).union(pd.Index(list(zombies)))
    st = pd.Series(codes.map(status), index=codes)
    reason = np.select(
        [st.isin(bankrupt), st.isin(suspended), codes.isin(list(zombies))],
        ["bankrupt", "suspended", "zombie"],
        "",
    )
    firms = pd.DataFrame({"credit_code": codes, "reason": reason})
    firms = firms[firms["reason"] != ""]
    details = {
        "bankrupt": "企业经营状态: 破产",
        "suspended": "企业经营状态: 停产",
        "zombie": f"连续{years}年无营业收入且无税收 (僵尸企业)",
    }
    firms["reason_detail"] = firms["reason"].map(details)

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
        firms_on = lk.drop_duplicates("parcel_code").set_index("parcel_code")["credit_code"]
        m = pd.DataFrame(
            {
                "parcel_code": missed["parcel_code"],
                "credit_code": missed["parcel_code"].map(firms_on),
                "reason": "commitment_missed",
                "reason_detail": missed["reason_detail"],
                "area_m2": missed["parcel_code"].map(area).to_numpy(),
            }
        )
        rows = pd.concat([rows, m], ignore_index=True)
    if not len(rows):
        return pd.DataFrame(columns=_COLUMNS)
    rows["as_of_date"] = as_of
    rows["zone_code"] = rows["parcel_code"].map(zone)
    rows["enterprise_name"] = rows["credit_code"].map(names)
    rows["area_mu"] = rows["area_m2"] / M2_PER_MU
    rows["disposal_route"] = None
    rows["tax_relief_eligible"] = rows["reason"].isin(relief)
    rows = rows.sort_values(["zone_code", "parcel_code", "reason"], na_position="last")
    return rows[_COLUMNS].reset_index(drop=True)
