"""Industry fit (产业契合度): does a parcel's or a firm's industry match its zone?

``fit`` is ``'lead'`` (首位产业), ``'main'`` (主导产业), ``'misfit'`` (neither: a
candidate for relocation or entry refusal) or ``'unknown'`` (no industry code, or no
zone / no registry entry for the zone).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from devzone.landuse.performance import land_shares
from devzone.policy.sections import ZonesPolicy
from devzone.settings import area_crs as resolve_area_crs
from devzone.zones.alloc import firm_parcel_shares, parcel_area_m2
from devzone.zones.registry import code_matches, industry_name_of, industry_prefixes, split_main

__all__ = ["classify_fit", "parcel_industry_code", "parcel_industry_fit", "zone_fit_shares"]

#: The fit codes (labels in :data:`devzone.vocab.FIT_LABELS`).
FITS = ("lead", "main", "misfit", "unknown")


def parcel_industry_code(
    parcels: pd.DataFrame,
    parcel_enterprise: pd.DataFrame | None,
    enterprises: pd.DataFrame | None,
) -> pd.Series:
    """Industry code of each parcel (宗地行业代码).

    The land-supply contract's ``industry_code`` when given, else the code of the
    enterprise using the largest area of the parcel.
    """
    code = parcels.get("industry_code")
    code = (code if code is not None else pd.Series(pd.NA, index=parcels.index)).astype("string")
    code = code.mask(code.str.strip() == "")
    if parcel_enterprise is None or enterprises is None or parcel_enterprise.empty:
        return code
    base = pd.DataFrame(
        {
            "parcel_code": parcels["parcel_code"].to_numpy(),
            "area_m2": parcel_area_m2(parcels).to_numpy(),
            "zone_code": None,
        }
    )
    # The one land-share rule decides who uses the largest area.
    link = land_shares(parcel_enterprise, base).rename(columns={"share_m2": "used"})
    link = (
        link[["parcel_code", "credit_code", "used"]]
        .merge(
            enterprises[["credit_code", "industry_code"]].rename(columns={"industry_code": "firm"}),
            on="credit_code",
            how="left",
        )
        .dropna(subset=["firm"])
    )
    link = link.sort_values(["parcel_code", "used"], ascending=[True, False], na_position="last")
    firm_code = link.drop_duplicates("parcel_code").set_index("parcel_code")["firm"]
    return code.fillna(parcels["parcel_code"].map(firm_code).astype("string"))


def _zone_industry_matrix(
    zones: pd.DataFrame, names: list[str], *, separator: str
) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Zones × vocabulary names: is the name the zone's lead (首位) / a main (主导)?"""
    tab = zones.drop_duplicates("zone_code")
    zone_index = pd.Index(tab["zone_code"].astype(str))
    col = {n: i for i, n in enumerate(names)}
    lead = np.zeros((len(tab), len(names)), dtype=bool)
    main = np.zeros((len(tab), len(names)), dtype=bool)
    leads = tab["lead_industry"].astype("string").fillna("").str.strip().tolist()
    mains = split_main(tab["main_industries"], separator=separator).tolist()
    for i, (lead_name, main_list) in enumerate(zip(leads, mains, strict=True)):
        if lead_name in col:
            lead[i, col[lead_name]] = True
        for n in main_list:
            if n in col:
                main[i, col[n]] = True
    return zone_index, lead, main


def classify_fit(
    codes: pd.Series,
    zone_codes: pd.Series,
    zones: pd.DataFrame,
    industries: pd.DataFrame,
    *,
    separator: str,
) -> pd.DataFrame:
    """Fit of industry codes with the lead/main industries of their zones (vectorised).

    A code fits the lead industry when it starts with one of the lead name's GB/T
    4754-2017 prefixes; else a main industry likewise; else it is a misfit. Missing
    codes, and zones without a registry entry naming industries, give ``unknown``.

    Parameters
    ----------
    codes
        GB/T 4754-2017 industry codes.
    zone_codes
        The zone of each code (same index).
    zones
        ``dev_zone`` rows with ``zone_code``, ``lead_industry``, ``main_industries``.
    industries
        The vocabulary (:func:`devzone.zones.registry.load_industries`).
    separator
        Separator of ``main_industries`` (``[zones] main_separator``).

    Returns
    -------
    DataFrame
        Indexed like ``codes``: ``industry_name`` (the zone industry matched, else the
        vocabulary's best name) and ``fit``.

    Examples
    --------
    >>> voc = pd.DataFrame({"industry_name": ["装备制造", "汽车零部件", "建材"],
    ...                     "gb4754_2017_prefixes": ["33;34", "367", "30"]})
    >>> z = pd.DataFrame({"zone_code": ["Z"], "lead_industry": ["汽车零部件"],
    ...                   "main_industries": ["装备制造、建材"]})
    >>> classify_fit(pd.Series(["3670", "3411", "1310", None]), pd.Series(["Z"] * 4),
    ...              z, voc, separator="、")["fit"].tolist()
    ['lead', 'main', 'misfit', 'unknown']
    """
    prefixes = industry_prefixes(industries)
    names = list(prefixes)
    # Code × vocabulary name match matrix: one vectorised pass per name.
    # Work on the distinct codes (a few hundred), then gather back to every row.
    pos_u, uniq = pd.factorize(codes.astype("string"), use_na_sentinel=True)
    uniq_s = pd.Series(uniq, dtype="string")
    match_u = np.zeros((len(uniq_s) + 1, len(names)), dtype=bool)  # last row: missing
    for j, n in enumerate(names):
        match_u[:-1, j] = code_matches(uniq_s, prefixes[n]).to_numpy()
    match = match_u[pos_u]  # -1 (missing code) picks the all-False last row
    zone_index, lead_m, main_m = _zone_industry_matrix(zones, names, separator=separator)
    pos = zone_index.get_indexer(zone_codes.astype("string").fillna("").astype(str))
    known_zone = pos >= 0
    safe = np.where(known_zone, pos, 0)
    zone_lead = lead_m[safe] & known_zone[:, None]
    zone_main = main_m[safe] & known_zone[:, None]
    lead_hits = match & zone_lead
    main_hits = match & zone_main
    lead_hit = lead_hits.any(axis=1)
    main_hit = main_hits.any(axis=1) & ~lead_hit
    zone_ok = (zone_lead.any(axis=1) | zone_main.any(axis=1)) & known_zone
    clean = codes.astype("string").str.strip()
    code_ok = (clean.notna() & (clean != "")).fillna(False).to_numpy(dtype=bool)
    fit = np.select(
        [~code_ok | ~zone_ok, lead_hit, main_hit], ["unknown", "lead", "main"], "misfit"
    )
    names_arr = np.array([*names, None], dtype=object)
    none = len(names)
    lead_name = names_arr[np.where(lead_hit, lead_hits.argmax(axis=1), none)]
    main_name = names_arr[np.where(main_hit, main_hits.argmax(axis=1), none)]
    name_u = np.append(industry_name_of(uniq_s, industries).to_numpy(dtype=object), None)
    name = name_u[pos_u]
    name = np.where(pd.isna(name), None, name)
    name = np.where(main_hit, main_name, name)
    name = np.where(lead_hit, lead_name, name)
    return pd.DataFrame(
        {"industry_name": pd.array(name, dtype="string"), "fit": fit}, index=codes.index
    )


def parcel_industry_fit(
    parcels: pd.DataFrame,
    zones: pd.DataFrame,
    industries: pd.DataFrame,
    *,
    parcel_enterprise: pd.DataFrame | None = None,
    enterprises: pd.DataFrame | None = None,
    separator: str,
) -> pd.DataFrame:
    """Per-parcel industry fit (宗地产业契合度), the ``parcel_industry_fit`` table.

    The parcel's industry is :func:`parcel_industry_code`; its fit is
    :func:`classify_fit` against the parcel's zone (``separator``: ``[zones]
    main_separator``).

    Returns
    -------
    DataFrame
        ``parcel_code``, ``zone_code``, ``industry_code``, ``industry_name``, ``fit``.
    """
    code = parcel_industry_code(parcels, parcel_enterprise, enterprises)
    zone = parcels["zone_code"].astype("string")
    fit = classify_fit(code, zone, zones, industries, separator=separator)
    return pd.DataFrame(
        {
            "parcel_code": parcels["parcel_code"].to_numpy(),
            "zone_code": zone.to_numpy(),
            "industry_code": code.to_numpy(),
            "industry_name": fit["industry_name"].to_numpy(),
            "fit": fit["fit"].to_numpy(),
        }
    )


def zone_fit_shares(
    parcels: pd.DataFrame,
    parcel_fit: pd.DataFrame,
    zones: pd.DataFrame,
    industries: pd.DataFrame,
    *,
    indicators: pd.DataFrame | None = None,
    parcel_enterprise: pd.DataFrame | None = None,
    policy: ZonesPolicy,
    area_crs: str | None = None,
) -> pd.DataFrame:
    """Per zone: share of land, output and tax in the lead and main industries.

    Land: parcel areas by the parcel's fit. Output (value added, else revenue) and tax:
    each firm's figures of the year (``indicators``, rows of ``enterprise_indicator``
    for one year) are spread over the zones of its parcels by area
    (:func:`devzone.zones.alloc.firm_parcel_shares`) and classified by the firm's own
    industry code against that zone.

    Returns
    -------
    DataFrame
        ``zone_code``, ``land_m2``, ``land_lead_share``, ``land_main_share``,
        ``land_fit_share`` (lead + main), ``misfit_land_m2``, ``misfit_parcels``,
        ``output_wan``, ``output_fit_share``, ``tax_wan``, ``tax_fit_share``; shares are
        fractions of the known total (NaN when the total is 0).
    """
    crs = resolve_area_crs(area_crs)
    out = _land_fit_shares(parcels, parcel_fit, zones, area_crs=crs)
    if indicators is not None and parcel_enterprise is not None and len(indicators):
        shares = firm_parcel_shares(parcel_enterprise, parcels, area_crs=crs)
        f = _firm_fit(shares, indicators, zones, industries, separator=policy.main_separator)
        for what in ("output", "tax"):
            known_f = f[f["fit"] != "unknown"]
            tot = known_f.groupby("zone_code")[what].sum()
            good = known_f[known_f["fit"].isin(["lead", "main"])].groupby("zone_code")[what].sum()
            out[f"{what}_wan"] = f.groupby("zone_code")[what].sum()
            out[f"{what}_fit_share"] = good.reindex(tot.index).fillna(0.0) / tot.where(tot > 0)
    for c in ("output_wan", "output_fit_share", "tax_wan", "tax_fit_share"):
        if c not in out.columns:
            out[c] = np.nan
    return out.reset_index()


def _land_fit_shares(
    parcels: pd.DataFrame, parcel_fit: pd.DataFrame, zones: pd.DataFrame, *, area_crs: str
) -> pd.DataFrame:
    """Per zone: parcel land by fit, and the lead/main shares of the land of known fit."""
    land = pd.DataFrame(
        {
            "zone_code": parcel_fit["zone_code"].to_numpy(),
            "fit": parcel_fit["fit"].to_numpy(),
            "m2": parcel_area_m2(parcels, area_crs=area_crs).to_numpy(),
        }
    )
    land = land.dropna(subset=["zone_code"])
    by = land.pivot_table(
        index="zone_code", columns="fit", values="m2", aggfunc="sum", fill_value=0.0
    )
    for f in FITS:
        if f not in by.columns:
            by[f] = 0.0
    out = pd.DataFrame(index=pd.Index(zones["zone_code"].drop_duplicates(), name="zone_code"))
    out["land_m2"] = by[list(FITS)].sum(axis=1)
    known = by["lead"] + by["main"] + by["misfit"]
    known = known.where(known > 0)
    out["land_lead_share"] = by["lead"] / known
    out["land_main_share"] = by["main"] / known
    out["land_fit_share"] = (by["lead"] + by["main"]) / known
    out["misfit_land_m2"] = by["misfit"]
    out["misfit_parcels"] = land[land["fit"] == "misfit"].groupby("zone_code").size()
    counts = ["land_m2", "misfit_land_m2", "misfit_parcels"]
    out[counts] = out[counts].fillna(0.0)
    return out


def _firm_fit(
    shares: pd.DataFrame,
    indicators: pd.DataFrame,
    zones: pd.DataFrame,
    industries: pd.DataFrame,
    *,
    separator: str,
) -> pd.DataFrame:
    """Each firm's output and tax on each zone (by used area) and its fit there.

    Output is value added, else revenue.
    """
    ind = indicators.drop_duplicates("credit_code").copy()
    ind["output"] = pd.to_numeric(ind.get("value_added_wan"), errors="coerce").fillna(
        pd.to_numeric(ind.get("revenue_wan"), errors="coerce")
    )
    ind["tax"] = pd.to_numeric(ind.get("tax_wan"), errors="coerce")
    f = shares.merge(
        ind[["credit_code", "industry_code", "output", "tax"]], on="credit_code", how="inner"
    )
    f = f.dropna(subset=["zone_code"])
    cls = classify_fit(
        f["industry_code"].astype("string"),
        f["zone_code"].astype("string"),
        zones,
        industries,
        separator=separator,
    )
    f["fit"] = cls["fit"].to_numpy()
    f["output"] *= f["share"]
    f["tax"] *= f["share"]
    return f
