"""Per-zone supervision totals (开发区监管汇总): statuses, 批而未供/供而未用/用而未尽, fees.

The per-parcel category is set by :func:`devzone.landuse.idle.idle_status`
(``supervision_category``); this module adds it up per development zone.

Decision (the issue is silent on the measure of 批而未供): two measures are given.

* ``kind='supervision', category='批而未供'``: registered parcels in the zone that no
  supply contract covers (count and area) — land the registry knows but has not supplied;
* ``kind='zone', category='核准面积未供'``: the zone's approved area (核准面积) minus the
  area of its supplied parcels, floored at 0 — an upper bound, since the approved area
  also holds roads, green space and non-industrial land.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from devzone.units import M2_PER_HA
from devzone.vocab import FEE_STATUSES, SUPERVISION_CATEGORIES

__all__ = ["APPROVED_UNSUPPLIED", "SUMMARY_COLUMNS", "zone_summary"]

#: ``category`` of the ``kind='zone'`` rows: approved area minus supplied land.
APPROVED_UNSUPPLIED = "核准面积未供"

#: Columns of ``zone_idle_summary`` (``fid`` aside).
SUMMARY_COLUMNS = [
    "as_of_date",
    "zone_code",
    "kind",
    "category",
    "parcels",
    "area_ha",
    "idle_fee_wan",
    "fee_unknown_parcels",
]

_NO_ZONE = "(开发区外)"  # groupby key standing in for "outside every zone"


def _group(frame: pd.DataFrame, kind: str, by: pd.Series, with_fee: bool) -> pd.DataFrame:
    g = frame.assign(_cat=by.to_numpy()).groupby(["zone_code", "_cat"], sort=True)
    out = pd.DataFrame(
        {
            "parcels": g.size(),
            "area_ha": g["area_m2"].sum() / M2_PER_HA,
            "idle_fee_wan": g["fee"].sum(min_count=1) if with_fee else np.nan,
            "fee_unknown_parcels": g["fee_unknown"].sum() if with_fee else 0,
        }
    ).reset_index()
    out = out.rename(columns={"_cat": "category"})
    out.insert(1, "kind", kind)
    return out


def _approved_unsupplied(
    frame: pd.DataFrame, status: pd.DataFrame, zones: pd.DataFrame
) -> pd.DataFrame:
    """``kind='zone'`` rows: each zone's approved area (核准面积) minus its supplied
    parcels' area, floored at 0."""
    supplied = status["status"].ne("not_supplied").to_numpy()
    used_ha = frame[supplied].groupby("zone_code")["area_m2"].sum() / M2_PER_HA
    approved = pd.to_numeric(zones["approved_area_ha"], errors="coerce")
    z = pd.DataFrame(
        {"zone_code": zones["zone_code"].to_numpy(), "approved": approved.to_numpy()}
    ).dropna()
    z["area_ha"] = (z["approved"] - z["zone_code"].map(used_ha).fillna(0.0)).clip(0.0)
    return z.assign(
        kind="zone",
        category=APPROVED_UNSUPPLIED,
        parcels=pd.NA,
        idle_fee_wan=np.nan,
        fee_unknown_parcels=pd.NA,
    ).drop(columns="approved")


def zone_summary(status: pd.DataFrame, zones: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-zone totals, long format (rows of the ``zone_idle_summary`` table).

    Parameters
    ----------
    status
        Output of :func:`devzone.landuse.idle.idle_status` (``zone_code``, ``status``,
        ``supervision_category``, ``area_m2``, ``idle_fee_wan``, ``as_of_date``).
    zones
        The ``dev_zone`` table (``zone_code``, ``approved_area_ha``) for the
        ``核准面积未供`` measure; ``None`` to skip it.

    Returns
    -------
    DataFrame
        :data:`SUMMARY_COLUMNS`; ``zone_code`` is ``None`` for land outside every zone.
        ``idle_fee_wan`` sums the known fees of :data:`devzone.vocab.FEE_STATUSES`
        (NULL when none is known).

    Examples
    --------
    >>> st = pd.DataFrame({"as_of_date": pd.Timestamp("2019-12-31"), "zone_code": ["Z1"] * 2,
    ...                    "status": ["idle_fee", "not_supplied"],
    ...                    "supervision_category": ["供而未用", "批而未供"],
    ...                    "area_m2": [10000.0, 8000.0], "idle_fee_wan": [200.0, None]})
    >>> out = zone_summary(st, pd.DataFrame({"zone_code": ["Z1"], "approved_area_ha": [3.0]}))
    >>> for row in out[["kind", "category", "area_ha"]].values.tolist():
    ...     print(row)
    ['status', 'idle_fee', 1.0]
    ['status', 'not_supplied', 0.8]
    ['supervision', '供而未用', 1.0]
    ['supervision', '批而未供', 0.8]
    ['zone', '核准面积未供', 2.0]
    """
    if not len(status):
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    s = status
    fee_due = s["status"].isin(FEE_STATUSES)
    frame = pd.DataFrame(
        {
            "zone_code": s["zone_code"].astype(object).where(s["zone_code"].notna(), _NO_ZONE),
            "area_m2": pd.to_numeric(s["area_m2"], errors="coerce").fillna(0.0),
            "fee": pd.to_numeric(s["idle_fee_wan"], errors="coerce").where(fee_due),
            "fee_unknown": (fee_due & s["idle_fee_wan"].isna()).astype(int),
        }
    )
    parts = [_group(frame, "status", s["status"], with_fee=True)]
    cat = s["supervision_category"].fillna("")
    sup = cat.isin(SUPERVISION_CATEGORIES).to_numpy()
    if sup.any():
        parts.append(_group(frame[sup], "supervision", cat[sup], with_fee=True))
    if zones is not None and len(zones) and "approved_area_ha" in zones.columns:
        parts.append(_approved_unsupplied(frame, s, zones))
    out = pd.concat(parts, ignore_index=True)
    zc = out["zone_code"].astype(object)
    out["zone_code"] = zc.where(zc != _NO_ZONE, None)
    out["as_of_date"] = s["as_of_date"].iloc[0]
    return out[SUMMARY_COLUMNS]
