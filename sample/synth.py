"""Build the synthetic sample in memory: parcels, contracts, firms, indicators, buildings.

All draws come from one :class:`numpy.random.Generator` seeded by the caller, in a
fixed order, so the same seed gives the same frames. Work is vectorised over parcels,
firms and buildings; the only Python loops run over zones (8) and planted cases (~28).

Background (not planted) rules, chosen for plausibility, documented in the README:

* 8 % of parcels are not supplied (批而未供); contracts 2006–2019 (uniform), delivery 1–3
  months after signing, agreed start 3–9 months after delivery, agreed completion
  18–30 months after the start; 4 % of contracts never start; the others start
  −1…+5 months around the agreed date and take 12–30 months to build; 3 % of the
  started ones have no 实际开工时间 recorded (only their buildings show the start);
* a parcel has an enterprise when its project is completed or started before 2019;
  6 % of those parcels have a second firm, 5 % of firms hold a second parcel;
* 50 % of firms are in the zone's lead industry, 40 % in a main industry, 10 % in an
  industry that fits neither (misfit);
* indicators 2017–2019 (from the production-start year): lognormal per-亩 figures
  (规上 亩均税收 median 20 万元, 规下 5 万元), 5 % zero-tax firms, 8 % loss-makers with
  a tenth of the tax; 规上 means revenue ≥ 2 000 万元.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from devzone.sample import cases
from devzone.sample.layout import LAYOUT_CRS, parcel_grid, zone_parcel_counts, zone_rectangles
from devzone.sample.names import credit_codes, enterprise_names
from devzone.sample.reference import load_districts, load_industries, load_zone_catalog
from devzone.units import M2_PER_MU

__all__ = ["LAYOUT_CRS", "SampleFrames", "boxes", "build_sample"]

AS_OF = np.datetime64(cases.AS_OF, "D")
YEARS = (2017, 2018, 2019)
_MISFIT_POOL = ("医药", "家电", "包装", "食品", "纺织服装", "电子信息", "新材料", "建材")
_MIN_FAR_2017 = {
    "13": 1.0,
    "14": 1.0,
    "15": 1.0,
    "17": 0.8,
    "18": 1.0,
    "19": 1.0,
    "20": 0.8,
    "21": 0.8,
    "22": 0.8,
    "23": 0.8,
    "24": 1.0,
    "27": 0.7,
    "29": 0.8,
    "30": 0.7,
    "31": 0.6,
    "32": 0.6,
    "33": 0.7,
    "34": 0.7,
    "35": 0.7,
    "36": 0.7,
    "37": 0.7,
    "38": 0.7,
    "39": 1.0,
    "40": 1.0,
    "42": 0.7,
}


@dataclass
class SampleFrames:
    """The sample's tables before they are written as exports."""

    districts: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame  # EPSG:4548 rectangles + catalog columns
    parcels: pd.DataFrame  # one row per parcel, boxes in EPSG:4548, lifecycle columns
    firms: pd.DataFrame
    links: pd.DataFrame
    indicators: pd.DataFrame
    buildings: pd.DataFrame  # boxes in EPSG:4548
    progress: pd.DataFrame
    manifest: pd.DataFrame


def _days(rng: np.random.Generator, lo: int, hi: int, n: int) -> np.ndarray:
    return rng.integers(lo, hi + 1, size=n).astype("timedelta64[D]")


def _d(text: str) -> np.datetime64:
    return np.datetime64(text, "D") if text else np.datetime64("NaT")


def _industry_table() -> tuple[dict[str, list[str]], dict[str, str]]:
    ind = load_industries()
    prefixes = {
        r.industry_name: [p for p in r.gb4754_2017_prefixes.split(";") if p]
        for r in ind.itertuples()
    }
    name_of = {}
    for name, pref in prefixes.items():
        for p in pref:
            name_of.setdefault(p, name)
    return prefixes, name_of


def _overlaps(a: list[str], b: list[str]) -> bool:
    return any(x.startswith(y) or y.startswith(x) for x in a for y in b)


def _zone_industries(zones: pd.DataFrame, prefixes: dict[str, list[str]]) -> list[dict]:
    """Per zone: lead name, main names, misfit names (no prefix overlap with the zone)."""
    out = []
    for z in zones.itertuples():
        mains = [m for m in str(z.main_industries).split("、") if m]
        own = prefixes[z.lead_industry] + [p for m in mains for p in prefixes[m]]
        misfit = [m for m in _MISFIT_POOL if not _overlaps(prefixes[m], own)]
        out.append({"lead": z.lead_industry, "mains": mains, "misfit": misfit})
    return out


def _pick_industries(
    zone_idx: np.ndarray,
    zinds: list[dict],
    prefixes: dict[str, list[str]],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Industry name and GB/T 4754-2017 code for each firm/parcel (vectorised by zone)."""
    n = len(zone_idx)
    u = rng.random(n)
    v = rng.random(n)
    w = rng.random(n)
    names = np.empty(n, dtype=object)
    for z, info in enumerate(zinds):
        m = zone_idx == z
        lead = u[m] < 0.5
        main = (u[m] >= 0.5) & (u[m] < 0.9)
        pick = np.where(lead, info["lead"], "")
        mains = np.array(info["mains"], dtype=object)
        misf = np.array(info["misfit"], dtype=object)
        pick = np.where(main, mains[(v[m] * len(mains)).astype(int)], pick)
        pick = np.where(~lead & ~main, misf[(v[m] * len(misf)).astype(int)], pick)
        names[m] = pick
    codes = np.empty(n, dtype=object)
    for name in pd.unique(names):
        m = names == name
        pref = np.array(prefixes[name], dtype=object)
        codes[m] = pref[(w[m] * len(pref)).astype(int)]
    return names, codes


def _plant(parcels: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """Choose the parcel of every planted case: 15–60 亩, distinct, in the named zone."""
    case = pd.Series("", index=parcels.index, dtype=object)
    ok = (parcels["mu"] >= 15) & (parcels["mu"] <= 60)
    for spec in cases.CASES:  # ~28 cases
        cand = parcels.index[ok & (parcels["zone_code"] == spec.zone_code) & (case == "")]
        if len(cand) == 0:
            cand = parcels.index[(parcels["zone_code"] == spec.zone_code) & (case == "")]
        case[rng.choice(cand)] = spec.name
    return case


def _codes(parcels: pd.DataFrame, zones: pd.DataFrame) -> pd.Series:
    adcode = zones["district_code"].to_numpy()[parcels["zone_idx"].to_numpy()]
    li = parcels["local_idx"].to_numpy()
    district = np.char.zfill((parcels["zone_idx"].to_numpy() + 1).astype(str), 3)
    sub = np.char.zfill((li // 90000 + 1).astype(str), 3)
    num = np.char.zfill((li % 90000 + 1).astype(str), 5)
    body = np.char.add(np.char.add(adcode.astype(str), district), sub)
    return pd.Series(np.char.add(np.char.add(body, "GB"), num), index=parcels.index)


def _lifecycle(p: pd.DataFrame, rng: np.random.Generator) -> None:
    """Contract and construction dates of every parcel (background), in place."""
    n = len(p)
    supplied = rng.random(n) >= 0.08
    year = rng.integers(2006, 2020, size=n)
    contract = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + _days(rng, 0, 330, n)
    delivery = contract + _days(rng, 30, 90, n)
    start = delivery + _days(rng, 90, 270, n)
    completion = start + _days(rng, 540, 900, n)
    never = rng.random(n) < 0.04
    actual = start + _days(rng, -30, 150, n)
    actual = np.where(never | (actual > AS_OF), np.datetime64("NaT"), actual)
    built = actual + _days(rng, 360, 900, n)
    built = np.where(built > AS_OF, np.datetime64("NaT"), built)
    nat = np.datetime64("NaT")
    p["supplied"] = supplied
    for col, val in (
        ("contract", contract),
        ("delivery", delivery),
        ("start", start),
        ("completion", completion),
        ("actual_start", actual),
        ("actual_completion", built),
    ):
        p[col] = np.where(supplied, val, nat).astype("datetime64[D]")
    unit = rng.lognormal(np.log(18.0), 0.25, n)
    p["price"] = np.where(supplied, np.round(p["mu"].to_numpy() * unit, 2), np.nan)
    std = supplied & (contract >= np.datetime64("2017-01-01")) & (rng.random(n) < 0.5)
    p["committed_invest"] = np.where(std, np.round(rng.uniform(300, 400, n)), np.nan)
    p["committed_tax"] = np.where(std, np.round(rng.uniform(15, 30, n) * 2) / 2, np.nan)
    p["check"] = np.where(std, completion + np.timedelta64(365, "D"), nat).astype("datetime64[D]")
    p["far_min"] = np.nan
    p["gov_cause"] = ""


def _apply_cases(p: pd.DataFrame) -> None:
    """Overwrite the planted parcels' contracts with the case values, in place."""
    by_name = {c.name: c for c in cases.CASES}
    for i in p.index[p["case"] != ""]:  # ~28 planted parcels
        spec = by_name[p.at[i, "case"]]
        s = spec.supply
        p.at[i, "supplied"] = s is not None
        s = s or {}
        for col, key in (
            ("contract", "contract"),
            ("delivery", "delivery"),
            ("start", "start"),
            ("completion", "completion"),
            ("actual_start", "actual_start"),
            ("actual_completion", "actual_completion"),
            ("check", "check"),
        ):
            p.at[i, col] = _d(s.get(key, ""))
        p.at[i, "price"] = s.get("price", np.nan) if s else np.nan
        p.at[i, "committed_invest"] = s.get("committed_invest", np.nan)
        p.at[i, "committed_tax"] = s.get("committed_tax", np.nan)
        p.at[i, "far_min"] = s.get("far_min", np.nan)


def build_sample(n_parcels: int, seed: int) -> SampleFrames:
    """Every table of the sample for ``n_parcels`` parcels and ``seed``."""
    rng = np.random.default_rng(seed)
    districts = load_districts()
    zones = load_zone_catalog()
    prefixes, name_of = _industry_table()
    zinds = _zone_industries(zones, prefixes)
    rects = zone_rectangles(zones, districts)
    counts = zone_parcel_counts(zones["approved_area_ha"].to_numpy(), n_parcels)
    p = parcel_grid(rects, counts, rng, n_parcels)
    p["zone_code"] = zones["zone_code"].to_numpy()[p["zone_idx"].to_numpy()]
    p["county"] = zones["district_code"].to_numpy()[p["zone_idx"].to_numpy()]
    p["area_m2"] = np.round((p["x1"] - p["x0"]) * (p["y1"] - p["y0"]), 2)
    p["mu"] = p["area_m2"] / M2_PER_MU
    p["parcel_code"] = _codes(p, zones)
    p["case"] = _plant(p, rng)
    _lifecycle(p, rng)
    _apply_cases(p)
    # 3 % of started projects lack 实际开工时间 in the contract record: their buildings
    # are the only evidence that construction started
    p["started"] = p["actual_start"].notna() & p["supplied"]
    blank = (rng.random(len(p)) < 0.03) & p["started"] & (p["case"] == "")
    p.loc[blank, "actual_start"] = np.datetime64("NaT")
    ind_name, ind_code = _pick_industries(p["zone_idx"].to_numpy(), zinds, prefixes, rng)
    by_name = {c.name: c for c in cases.CASES}
    planted_code = p["case"].map({c.name: c.industry for c in cases.CASES}).fillna("")
    ind_code = np.where(planted_code != "", planted_code, ind_code)
    ind_name = np.where(planted_code != "", pd.Series(ind_code).map(name_of), ind_name)
    p["industry"] = np.where(p["supplied"], ind_name, "")
    p["industry_code"] = np.where(p["supplied"], ind_code, "")
    head = pd.Series(p["industry_code"]).str[:2]
    p["far_min"] = p["far_min"].fillna(head.map(_MIN_FAR_2017).fillna(1.0)).where(p["supplied"])
    p["far_max"] = np.where(p["supplied"], np.where(rng.random(len(p)) < 0.5, 2.5, 3.0), np.nan)
    _supervision(p)
    firms, links = _firms(p, rng, by_name, zinds, prefixes)
    indicators = _indicators(firms, links, rng)
    buildings = _buildings(p, rng, by_name)
    progress = _progress(p, rng, by_name)
    manifest = _manifest(p, firms, by_name)
    zones_out = rects.merge(zones, on="zone_code")
    return SampleFrames(
        districts, zones_out, p, firms, links, indicators, buildings, progress, manifest
    )


def _supervision(p: pd.DataFrame) -> None:
    """电子监管号 ``<county><year>B<serial>`` for supplied parcels, in place."""
    sup = p["supplied"].to_numpy()
    year = pd.DatetimeIndex(p["contract"]).year.to_numpy()
    key = pd.Series(np.where(sup, p["county"] + "|" + year.astype(str), ""), index=p.index)
    serial = key.groupby(key).cumcount() + 1
    sno = (
        p["county"]
        + pd.Series(year, index=p.index).astype("Int64").astype(str)
        + "B"
        + serial.astype(str).str.zfill(5)
    )
    p["supervision_no"] = np.where(sup, sno, "")


def _firms(
    p: pd.DataFrame,
    rng: np.random.Generator,
    by_name: dict,
    zinds: list[dict],
    prefixes: dict[str, list[str]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enterprises and the parcel–enterprise links (宗地企业对照)."""
    planted = p["case"].to_numpy() != ""
    occ = _occupied(p, by_name, planted)
    owner, extra, small = _owners(p, occ, planted, rng)
    n_firms = len(occ) + int(extra.sum())
    firm_parcel = np.concatenate([occ, occ[extra]])  # home parcel of each firm
    f = _firm_attributes(p, occ, firm_parcel, zinds, prefixes, rng)
    case_of = p["case"].to_numpy()[firm_parcel]
    _plant_firms(f, case_of, len(occ), by_name)
    names = f["names_all"][:n_firms]
    codes = f["codes"]
    firms = pd.DataFrame(
        {
            "credit_code": codes,
            "name": names,
            "industry": f["ind_name"],
            "industry_code": f["ind_code"],
            "above": f["above"],
            "start_year": f["start_year"],
            "status": f["status"],
            "kind": f["kind"],
            "case": case_of,
            "parcel_code": p["parcel_code"].to_numpy()[firm_parcel],
        }
    )
    links, prim_firm, sec_idx = _links(p, occ, owner, extra, small, codes)
    used = np.isin(np.arange(n_firms), np.concatenate([prim_firm, sec_idx]))
    firms = firms[used].reset_index(drop=True)
    # holder (权利人 / 土地使用权人): the primary firm, else a fictional holder name
    holder = f["names_all"][n_firms:].astype(object)
    holder[occ] = names[prim_firm]
    p["holder"] = np.where(p["supplied"], holder, "")
    return firms, links


def _occupied(p: pd.DataFrame, by_name: dict, planted: np.ndarray) -> np.ndarray:
    """Parcels with an enterprise: completed or started before 2019 (planted: by case)."""
    started_early = p["actual_start"].to_numpy() <= np.datetime64("2018-12-31")
    occupied = p["supplied"].to_numpy() & (
        p["actual_completion"].notna().to_numpy() | started_early
    )
    firm_case = p["case"].isin([c.name for c in by_name.values() if c.firm is not None])
    firm_case = firm_case.to_numpy()
    occupied = np.where(planted, firm_case, occupied)
    return np.flatnonzero(occupied)


def _owners(
    p: pd.DataFrame, occ: np.ndarray, planted: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Primary firm of each occupied parcel (5 % take the previous parcel's firm), which
    parcels get a second firm, and which are the small-firm case's."""
    owner = np.arange(len(occ))
    zone = p["zone_idx"].to_numpy()[occ]
    move = (rng.random(len(occ)) < 0.05) & ~planted[occ]
    move[0] = False
    move[1:] &= ~move[:-1]
    move[1:] &= (zone[1:] == zone[:-1]) & ~planted[occ[:-1]]
    owner[move] = owner[np.flatnonzero(move) - 1]
    second = (rng.random(len(occ)) < 0.06) & ~planted[occ]
    small = p["case"].to_numpy()[occ] == "below_scale_under_5_mu"
    return owner, second | small, small


def _firm_attributes(
    p: pd.DataFrame,
    occ: np.ndarray,
    firm_parcel: np.ndarray,
    zinds: list[dict],
    prefixes: dict[str, list[str]],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Industry, name, credit code, 规上, production-start year and status of each firm
    (and a fictional holder name per parcel after the firms' names)."""
    n_firms = len(firm_parcel)
    ind_name, ind_code = _pick_industries(
        p["zone_idx"].to_numpy()[firm_parcel], zinds, prefixes, rng
    )
    # the primary firm has the contract's industry
    ind_code[: len(occ)] = p["industry_code"].to_numpy()[occ]
    ind_name[: len(occ)] = p["industry"].to_numpy()[occ]
    county = p["county"].to_numpy()[firm_parcel]
    names_all = enterprise_names(
        np.concatenate([county, p["county"].to_numpy()]),
        np.concatenate([ind_name, p["industry"].to_numpy()]),
        rng,
    )
    codes = credit_codes(county, rng)
    above = rng.random(n_firms) < 0.6
    done = p["actual_completion"].to_numpy()[firm_parcel]
    astart = p["actual_start"].to_numpy()[firm_parcel]
    yr = np.where(
        ~np.isnat(done),
        done.astype("datetime64[Y]").astype(int) + 1970,
        astart.astype("datetime64[Y]").astype(int) + 1971,
    )
    u = rng.random(n_firms)
    return {
        "ind_name": ind_name,
        "ind_code": ind_code,
        "names_all": names_all,
        "codes": codes,
        "above": above,
        "start_year": np.minimum(yr, 2019),
        "status": np.select([u < 0.02, u < 0.03, u < 0.035], ["停产", "破产", "注销"], "在营"),
        "kind": np.full(n_firms, "normal", dtype=object),
    }


def _plant_firms(
    f: dict[str, np.ndarray], case_of: np.ndarray, primaries: int, by_name: dict
) -> None:
    """The planted cases' firms, in place: kind, 规上, start year, status."""
    kind, above, start_year, status = f["kind"], f["above"], f["start_year"], f["status"]
    for j in np.flatnonzero(case_of[:primaries] != ""):  # planted primaries (~18)
        spec = by_name[case_of[j]].firm
        kind[j] = spec["kind"]
        above[j] = spec["above"]
        start_year[j] = spec["start_year"]
        status[j] = "在营"
    small_firm = np.flatnonzero(case_of == "below_scale_under_5_mu")
    if len(small_firm) > 1:
        s = small_firm[-1]
        kind[s], above[s], start_year[s], status[s] = "small", False, 2012, "在营"
        kind[small_firm[0]] = "normal"


def _links(
    p: pd.DataFrame,
    occ: np.ndarray,
    owner: np.ndarray,
    extra: np.ndarray,
    small: np.ndarray,
    codes: np.ndarray,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Links: the primary owner of each occupied parcel, plus the second firms (with the
    firm indexes of both)."""
    area = p["area_m2"].to_numpy()
    prim_firm = owner
    sec_idx = len(occ) + np.arange(int(extra.sum()))
    sec_parcel = occ[extra]
    share2 = np.where(small[extra], 2000.0 / area[sec_parcel], 0.4)
    used_sec = np.round(area[sec_parcel] * share2, 2)
    used_prim = area[occ].copy()
    used_prim[np.flatnonzero(extra)] = np.round(area[occ][extra] - used_sec, 2)
    links = pd.DataFrame(
        {
            "parcel_code": np.concatenate(
                [p["parcel_code"].to_numpy()[occ], p["parcel_code"].to_numpy()[sec_parcel]]
            ),
            "credit_code": np.concatenate([codes[prim_firm], codes[sec_idx]]),
            "used_area_m2": np.concatenate([used_prim, used_sec]),
        }
    )
    return links, prim_firm, sec_idx


def _indicators(firms: pd.DataFrame, links: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Annual indicators 2017–2019 from each firm's production-start year."""
    land_mu = links.groupby("credit_code")["used_area_m2"].sum() / M2_PER_MU
    f = firms.assign(mu=firms["credit_code"].map(land_mu).to_numpy())
    n = len(f)
    above = f["above"].to_numpy()
    tpm = np.where(above, rng.lognormal(np.log(20), 0.6, n), rng.lognormal(np.log(5), 0.7, n))
    rpm = np.where(above, rng.lognormal(np.log(350), 0.5, n), rng.lognormal(np.log(60), 0.6, n))
    zero_tax = rng.random(n) < 0.05
    loss = rng.random(n) < 0.08
    tpm = np.where(zero_tax, 0.0, np.where(loss, tpm * 0.1, tpm))
    va_ratio = np.where(loss, rng.uniform(0.05, 0.12, n), rng.uniform(0.18, 0.32, n))
    tce_per_rev = rng.lognormal(np.log(0.04), 0.5, n)
    rd_ratio = np.where(above, rng.uniform(0.005, 0.04, n), rng.uniform(0.0, 0.02, n))
    rev_per_emp = rng.lognormal(np.log(80), 0.4, n)
    tech = np.where(rng.random(n) < 0.5, rng.uniform(0.0, 0.05, n), 0.0)
    kind = f["kind"].to_numpy()
    top = kind == "top"
    tpm[top], rpm[top], va_ratio[top] = 400.0, 8000.0, 0.4
    tce_per_rev[top], rd_ratio[top], rev_per_emp[top] = 0.001, 0.12, 5000.0
    rows = []
    for y in YEARS:  # 3 years, vectorised over firms
        m = f["start_year"].to_numpy() <= y
        g = 1.07 ** (y - 2019) * rng.lognormal(0.0, 0.1, n)
        mu = f["mu"].to_numpy()
        rev = rpm * mu * g
        rev = np.where(above, np.maximum(rev, 2000.0 + 100 * g), np.minimum(rev, 1990.0))
        tax = tpm * mu * g
        status = f["status"].to_numpy().astype(object).copy()
        zombie = (kind == "zombie") & (y >= 2018)
        rev = np.where(zombie, 0.0, rev)
        tax = np.where(zombie, 0.0, tax)
        tax = np.where(kind == "low_tax", 4.0 * mu, tax)
        status = np.where((kind == "bankrupt") & (y >= 2018), "破产", status)
        status = np.where((kind == "suspended") & (y >= 2018), "停产", status)
        va = rev * va_ratio
        df = pd.DataFrame(
            {
                "credit_code": f["credit_code"],
                "name": f["name"],
                "year": y,
                "industry_code": f["industry_code"],
                "above": np.where(above, "是", "否"),
                "tax_wan": np.round(tax, 2),
                "revenue_wan": np.round(rev, 2),
                "value_added_wan": np.round(va, 2),
                "energy_tce": np.round(rev * tce_per_rev, 2),
                "emissions_t": np.round(rev * tce_per_rev * 0.012, 3),
                "rd_wan": np.round(rev * rd_ratio, 2),
                "employees": np.maximum(np.round(rev / rev_per_emp), 3).astype(np.int64),
                "tech_invest_wan": np.round(rev * tech, 2),
                "status": status,
                "start_year": f["start_year"],
            }
        )[m]
        rows.append(df)
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["credit_code", "year"], kind="stable").reset_index(drop=True)


def _buildings(p: pd.DataFrame, rng: np.random.Generator, by_name: dict) -> pd.DataFrame:
    """Building footprints on started parcels (~2 per parcel), boxes in EPSG:4548."""
    n = len(p)
    started = p["started"].to_numpy()
    done = p["actual_completion"].notna().to_numpy()
    nb = np.where(started, 1 + rng.binomial(3, 0.45, n), 0)
    coef = np.where(done, rng.uniform(0.42, 0.62, n), rng.uniform(0.08, 0.30, n))
    floors = rng.choice([1, 2, 3, 4], size=n, p=[0.25, 0.35, 0.25, 0.15])
    height = np.where(
        floors == 1,
        np.round(rng.uniform(9, 12, n), 1),
        np.round(floors * rng.uniform(4.0, 5.0, n), 1),
    )
    admin = nb >= 2
    for i in np.flatnonzero(p["case"].to_numpy() != ""):  # planted parcels
        spec = by_name[p["case"].iat[i]].building
        nb[i] = 0 if spec is None else 1
        admin[i] = False
        if spec is not None:
            coef[i], floors[i], height[i] = spec
    pi = np.repeat(np.arange(n), nb)
    j = np.arange(len(pi)) - np.repeat(np.cumsum(nb) - nb, nb)
    k = nb[pi]
    x0, x1 = p["x0"].to_numpy()[pi], p["x1"].to_numpy()[pi]
    y0, y1 = p["y0"].to_numpy()[pi], p["y1"].to_numpy()[pi]
    sw = (x1 - x0) / k
    is_admin = admin[pi] & (j == 0)
    # the admin building is small (0.35 of its slot each way); the others grow so the
    # parcel's footprints still cover ``coef`` of it
    grow = np.where(admin[pi], (k - 0.35**2) / np.maximum(k - 1, 1), 1.0)
    f = np.where(is_admin, 0.35 * np.sqrt(coef[pi]), np.minimum(np.sqrt(coef[pi] * grow), 0.95))
    cx, cy = x0 + (j + 0.5) * sw, (y0 + y1) / 2
    hw, hh = sw * f / 2, (y1 - y0) * f / 2
    fl = np.where(is_admin, 3, floors[pi])
    ht = np.where(is_admin, 12.0, height[pi])
    foot = (2 * hw) * (2 * hh)
    use = np.where(is_admin, "行政办公", np.where(j % 2 == 1, "仓库", "生产厂房"))
    codes = p["parcel_code"].to_numpy()[pi].astype(str)
    return pd.DataFrame(
        {
            "building_code": np.char.add(
                np.char.add(codes, "-"), np.char.zfill((j + 1).astype(str), 2)
            ),
            "parcel_code": codes,
            "floors": fl,
            "height_m": ht,
            "floor_area_m2": np.round(foot * fl, 2),
            "use": use,
            "x0": cx - hw,
            "x1": cx + hw,
            "y0": cy - hh,
            "y1": cy + hh,
        }
    )


def _progress(p: pd.DataFrame, rng: np.random.Generator, by_name: dict) -> pd.DataFrame:
    """Project progress records (项目进度): projects under construction + planted ones."""
    n = len(p)
    building = (p["started"] & p["actual_completion"].isna()).to_numpy() & (
        p["case"].to_numpy() == ""
    )
    idx = np.flatnonzero(building)
    mu = p["mu"].to_numpy()
    total = np.round(mu * rng.uniform(250, 450, n), 0)
    df = pd.DataFrame(
        {
            "supervision_no": p["supervision_no"].to_numpy()[idx],
            "parcel_code": p["parcel_code"].to_numpy()[idx],
            "report_date": np.datetime64("2019-12-20", "D"),
            "developed_area_m2": np.round(
                p["area_m2"].to_numpy()[idx] * rng.uniform(0.4, 0.9, n)[idx], 2
            ),
            "invested_wan": np.round(total[idx] * rng.uniform(0.3, 0.9, n)[idx], 2),
            "total_invest_wan": total[idx],
            "suspended_date": np.datetime64("NaT", "D"),
            "resumed_date": np.datetime64("NaT", "D"),
            "government_cause": "",
        }
    )
    extra = []
    for i in np.flatnonzero(p["case"].to_numpy() != ""):  # planted parcels
        spec = by_name[p["case"].iat[i]].progress
        if spec is None:
            continue
        extra.append(
            {
                "supervision_no": p["supervision_no"].iat[i],
                "parcel_code": p["parcel_code"].iat[i],
                "report_date": np.datetime64("2019-12-20", "D"),
                "developed_area_m2": round(p["area_m2"].iat[i] * spec["developed_share"], 2),
                "invested_wan": spec["invested"],
                "total_invest_wan": spec["total"],
                "suspended_date": _d(spec["suspended"]),
                "resumed_date": _d(spec["resumed"]),
                "government_cause": spec["cause"],
            }
        )
    if extra:
        df = pd.concat([df, pd.DataFrame(extra)], ignore_index=True)
    return df.sort_values("parcel_code", kind="stable").reset_index(drop=True)


def _manifest(p: pd.DataFrame, firms: pd.DataFrame, by_name: dict) -> pd.DataFrame:
    """One row per expectation of every planted case."""
    code_of = dict(zip(p["case"], p["parcel_code"], strict=False))
    planted = firms[firms["case"] != ""].sort_values(
        "kind", key=lambda k: k == "normal", kind="stable"
    )
    firm_of = planted.drop_duplicates("case").set_index("case")["credit_code"].to_dict()
    rows = []
    for spec in cases.CASES:
        for e in spec.expects:
            rows.append(
                {
                    "case": spec.name,
                    "parcel_code": code_of[spec.name],
                    "credit_code": firm_of.get(spec.name, ""),
                    "analysis": e.analysis,
                    "field": e.field,
                    "expected": e.expected,
                    "as_of": cases.AS_OF,
                    "year": cases.YEAR,
                    "note": e.note,
                }
            )
    return pd.DataFrame(rows)


def boxes(df: pd.DataFrame) -> np.ndarray:
    """Boxes of a frame with x0/y0/x1/y1 as shapely polygons (vectorised)."""
    return shapely.box(
        df["x0"].to_numpy(), df["y0"].to_numpy(), df["x1"].to_numpy(), df["y1"].to_numpy()
    )
