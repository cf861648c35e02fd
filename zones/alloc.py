"""Who sits where: parcel areas and the share of each enterprise in each zone.

An enterprise's figures (value added, tax) are attributed to the zones of the parcels
it uses, in proportion to the area it uses on each — the one land-share rule,
:func:`devzone.landuse.performance.land_shares`: the registered
``parcel_enterprise.used_area_m2``, and what is left of the parcel split evenly among
its users without a figure (never more than the parcel in all). A firm on one parcel
has share 1 in that parcel's zone. Parcel areas are
:func:`devzone.landuse.performance.parcel_area_m2` (registered, else measured).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from devzone.landuse.performance import land_shares, parcel_area_m2
from devzone.settings import area_crs as resolve_area_crs

__all__ = ["firm_parcel_shares", "parcel_area_m2"]


def firm_parcel_shares(
    parcel_enterprise: pd.DataFrame, parcels: pd.DataFrame, *, area_crs: str | None = None
) -> pd.DataFrame:
    """Each enterprise's share on each parcel (企业用地分摊), summing to 1 per firm.

    Parameters
    ----------
    parcel_enterprise
        ``parcel_code``, ``credit_code``, ``used_area_m2`` (may be missing).
    parcels
        ``parcel_code``, ``zone_code`` and ``area_m2``/geometry.
    area_crs
        Projected CRS for measured areas (:func:`devzone.settings.area_crs`).

    Returns
    -------
    DataFrame
        ``credit_code``, ``parcel_code``, ``zone_code``, ``used_m2`` (area used,
        m²) and ``share`` (fraction of the firm's land on this parcel).

    Examples
    --------
    >>> pe = pd.DataFrame({"parcel_code": ["P1", "P2", "P2"], "credit_code": ["F", "F", "G"],
    ...                    "used_area_m2": [3000.0, 1000.0, None]})
    >>> p = pd.DataFrame({"parcel_code": ["P1", "P2"], "zone_code": ["A", "B"],
    ...                   "area_m2": [3000.0, 4000.0]})
    >>> firm_parcel_shares(pe, p)[["credit_code", "zone_code", "share"]].values.tolist()
    [['F', 'A', 0.75], ['F', 'B', 0.25], ['G', 'B', 1.0]]
    """
    cols = ["credit_code", "parcel_code", "zone_code", "used_m2", "share"]
    if parcel_enterprise is None or parcel_enterprise.empty:
        return pd.DataFrame(columns=cols)
    area = pd.DataFrame(
        {
            "parcel_code": parcels["parcel_code"].to_numpy(),
            "zone_code": parcels["zone_code"].to_numpy(),
            "area_m2": parcel_area_m2(parcels, area_crs=resolve_area_crs(area_crs)).to_numpy(),
        }
    ).drop_duplicates("parcel_code")
    # The one land-share rule (registered uses, the rest split among the others).
    link = land_shares(parcel_enterprise, area).rename(columns={"share_m2": "used_m2"})
    weight = link["used_m2"].fillna(0.0).clip(lower=0.0)
    total = weight.groupby(link["credit_code"]).transform("sum")
    n = link.groupby("credit_code")["parcel_code"].transform("count")
    # No usable area at all for a firm: split evenly over its parcels.
    link["share"] = np.where(total > 0, weight / total.where(total > 0, 1.0), 1.0 / n)
    return link[cols].reset_index(drop=True)
