"""Entry check for a proposed project (项目入驻标准审查, ``devzone admit``).

A proposed project (zone, industry, land, investment, expected tax, FAR) is checked
against each entry standard, each with its reason:

* ``industry_fit`` (产业契合): the industry is the zone's lead or a main industry;
* ``invest_or_tax`` (投资强度/亩均税收): investment ≥ the minimum 万元/亩 **or** tax ≥
  the minimum 万元/亩/年 (Lu'an: 300 / 30, POLICY §3); with ``invest_or_tax = false``
  both are required and reported as two standards;
* ``far`` (容积率): FAR ≥ the industry's minimum (国土资发〔2008〕24号 by two-digit code).

Thresholds are read from ``[intensity]`` (``data/policy/intensity.toml``, owned by the
performance module) when it provides them, else from ``[zones.admission]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from devzone.errors import ConfigError, InputError
from devzone.landuse.intensity import industry_code_2002, min_far
from devzone.zones.fit import classify_fit

__all__ = ["admission_check", "admission_rules", "min_far_for"]


def admission_rules(policy: Mapping[str, Any]) -> dict[str, Any]:
    """The entry thresholds in force, and where each comes from.

    Investment and tax minima come from ``[intensity.entry_rule]``
    (``min_invest_wan_per_mu``, ``min_tax_wan_per_mu``), else ``[zones.admission]``.
    The FAR minima come from ``[intensity.min_far_2002]`` (GB/T 4754-2002 codes) with
    ``[intensity.industry_2017_to_2002]`` mapping 2017 codes to them.

    Returns
    -------
    dict
        ``invest_wan_per_mu_min``, ``tax_wan_per_mu_min``, ``invest_or_tax``,
        ``min_far_2002``, ``map_2017_to_2002`` and ``source``.
    """
    intensity = dict(policy.get("intensity") or {})
    entry = dict(intensity.get("entry_rule") or {})
    fallback = dict((policy.get("zones") or {}).get("admission") or {})
    out: dict[str, Any] = {"source": {}}
    for key, ikey in (
        ("invest_wan_per_mu_min", "min_invest_wan_per_mu"),
        ("tax_wan_per_mu_min", "min_tax_wan_per_mu"),
    ):
        if entry.get(ikey) is not None:
            out[key], out["source"][key] = float(entry[ikey]), "intensity.entry_rule"
        elif fallback.get(key) is not None:
            out[key], out["source"][key] = float(fallback[key]), "zones.admission"
        else:
            raise ConfigError(
                f"no entry standard: set [intensity.entry_rule] {ikey} or [zones.admission] {key}"
            )
    out["invest_or_tax"] = bool(entry.get("invest_or_tax", fallback.get("invest_or_tax", True)))
    out["min_far_2002"] = {
        str(k): float(v) for k, v in dict(intensity.get("min_far_2002") or {}).items()
    }
    out["map_2017_to_2002"] = {
        str(k): str(v) for k, v in dict(intensity.get("industry_2017_to_2002") or {}).items()
    }
    if not out["min_far_2002"]:
        raise ConfigError(
            "no minimum-FAR table: set [intensity.min_far_2002] (data/policy/intensity.toml)"
        )
    return out


def min_far_for(
    industry_code: str,
    min_far_2002: Mapping[str, float],
    map_2017_to_2002: Mapping[str, str],
) -> tuple[float | None, str | None]:
    """Minimum FAR of a GB/T 4754-2017 industry code (国土资发〔2008〕24号).

    The 2017 code's longest prefix in ``map_2017_to_2002`` gives the 2002 division
    (codes not listed keep their first two digits); the 2002 division's minimum FAR
    comes from ``min_far_2002``. The same lookup as the parcel intensity
    (:func:`devzone.landuse.intensity.industry_code_2002` and ``min_far``).

    Returns
    -------
    tuple
        (minimum FAR or ``None`` when the table has none, the 2002 division used).

    Examples
    --------
    >>> min_far_for("3670", {"37": 0.7}, {"36": "37"})
    (0.7, '37')
    """
    table = {"min_far_2002": min_far_2002, "industry_2017_to_2002": map_2017_to_2002}
    div = industry_code_2002(pd.Series([industry_code], dtype=object), policy=table).iloc[0]
    need = min_far(pd.Series([div], dtype=object), policy=table).iloc[0]
    return (None if pd.isna(need) else float(need)), div


def admission_check(
    *,
    zone_code: str,
    industry_code: str,
    area_mu: float,
    investment_wan: float,
    tax_wan: float,
    far: float | None,
    zones: pd.DataFrame,
    industries: pd.DataFrame,
    policy: Mapping[str, Any],
) -> pd.DataFrame:
    """Check a proposed project against each entry standard (入驻标准).

    Parameters
    ----------
    zone_code
        The zone applied to (``dev_zone.zone_code``).
    industry_code
        GB/T 4754-2017 code of the project.
    area_mu
        Land applied for, 亩.
    investment_wan
        Total fixed-asset investment, 万元 (buildings, equipment, land).
    tax_wan
        Expected annual tax, 万元/年.
    far
        Planned floor-area ratio (容积率); ``None`` → that standard is not assessed.

    Returns
    -------
    DataFrame
        One row per standard: ``standard``, ``label`` (Chinese), ``value``,
        ``required``, ``passed`` (bool or ``None`` when not assessed), ``reason``.
    """
    if not area_mu or not area_mu > 0:
        raise InputError("the land area must be a positive number of 亩", field="--area-mu")
    for value, name in ((investment_wan, "--invest-wan"), (tax_wan, "--tax-wan")):
        if not value >= 0:
            raise InputError(f"{name} must be zero or a positive amount of 万元", field=name)
    if far is not None and not far > 0:
        raise InputError("the floor-area ratio must be positive", field="--far")
    if not re.fullmatch(r"[A-Ta-t]?\d{2,4}", str(industry_code).strip()):
        raise InputError(
            f"{industry_code!r} is not a GB/T 4754-2017 industry code (2–4 digits, e.g. "
            "3670 汽车零部件及配件制造, optionally after the section letter: C3670)",
            field="--industry",
        )
    if zone_code not in set(zones["zone_code"]):
        raise InputError(
            f"zone {zone_code!r} is not in the zone registry (dev_zone); "
            "`devzone zones list` shows the codes",
            field="--zone",
        )
    rules = admission_rules(policy)
    sep = str((policy.get("zones") or {}).get("main_separator", "、"))
    zone = zones[zones["zone_code"] == zone_code].iloc[0]
    fit = classify_fit(
        pd.Series([industry_code], dtype="string"),
        pd.Series([zone_code], dtype="string"),
        zones,
        industries,
        separator=sep,
    ).iloc[0]
    rows: list[dict[str, Any]] = []
    ind_name = fit["industry_name"] if pd.notna(fit["industry_name"]) else "目录外产业"
    wanted = f"首位产业 {zone['lead_industry']}; 主导产业 {zone['main_industries']}"
    rows.append(
        {
            "standard": "industry_fit",
            "label": "产业契合 (首位/主导产业)",
            "value": f"{industry_code} ({ind_name})",
            "required": wanted,
            "passed": fit["fit"] in ("lead", "main"),
            "reason": {
                "lead": f"属于首位产业 {ind_name}",
                "main": f"属于主导产业 {ind_name}",
                "misfit": f"行业 {industry_code} ({ind_name}) 不属于该区首位或主导产业",
                "unknown": "行业代码缺失或该区未登记首位/主导产业",
            }[fit["fit"]],
        }
    )
    invest_mu = investment_wan / area_mu
    tax_mu = tax_wan / area_mu
    inv_min = float(rules["invest_wan_per_mu_min"])
    tax_min = float(rules["tax_wan_per_mu_min"])
    inv_ok, tax_ok = invest_mu >= inv_min, tax_mu >= tax_min
    inv_txt = f"投资强度 {investment_wan:g} ÷ {area_mu:g} 亩 = {invest_mu:.2f} 万元/亩"
    tax_txt = f"亩均税收 {tax_wan:g} ÷ {area_mu:g} 亩 = {tax_mu:.2f} 万元/亩"
    if rules["invest_or_tax"]:
        rows.append(
            {
                "standard": "invest_or_tax",
                "label": "投资强度或亩均税收",
                "value": f"{invest_mu:.2f} 万元/亩; {tax_mu:.2f} 万元/亩/年",
                "required": f"≥ {inv_min:g} 万元/亩 或 ≥ {tax_min:g} 万元/亩/年",
                "passed": inv_ok or tax_ok,
                "reason": f"{inv_txt} ({'达标' if inv_ok else '未达标'} ≥ {inv_min:g}); "
                f"{tax_txt} ({'达标' if tax_ok else '未达标'} ≥ {tax_min:g}); "
                + ("满足其一即可" if inv_ok or tax_ok else "两项均未达标"),
            }
        )
    else:
        rows.append(
            {
                "standard": "invest_intensity",
                "label": "投资强度",
                "value": f"{invest_mu:.2f} 万元/亩",
                "required": f"≥ {inv_min:g} 万元/亩",
                "passed": inv_ok,
                "reason": inv_txt,
            }
        )
        rows.append(
            {
                "standard": "tax_per_mu",
                "label": "亩均税收",
                "value": f"{tax_mu:.2f} 万元/亩/年",
                "required": f"≥ {tax_min:g} 万元/亩/年",
                "passed": tax_ok,
                "reason": tax_txt,
            }
        )
    need, div = min_far_for(industry_code, rules["min_far_2002"], rules["map_2017_to_2002"])
    if far is None:
        rows.append(
            {
                "standard": "far",
                "label": "容积率",
                "value": "未填写",
                "required": f"≥ {need:g}" if need is not None else "—",
                "passed": None,
                "reason": "未提供容积率, 未审查 (用 --far 填写)",
            }
        )
    elif need is None:
        rows.append(
            {
                "standard": "far",
                "label": "容积率",
                "value": f"{far:g}",
                "required": "—",
                "passed": None,
                "reason": f"行业 {industry_code} 在控制指标表中无容积率下限, 未审查",
            }
        )
    else:
        rows.append(
            {
                "standard": "far",
                "label": "容积率",
                "value": f"{far:g}",
                "required": f"≥ {need:g}",
                "passed": far >= need,
                "reason": f"容积率 {far:g} {'≥' if far >= need else '<'} 行业下限 {need:g} "
                f"(国土资发〔2008〕24号, 2002版行业 {div})",
            }
        )
    out = pd.DataFrame(rows)
    # Plain Python True/False/None (JSON-ready; "not assessed" stays None).
    out["passed"] = pd.Series([None if p is None else bool(p) for p in out["passed"]], dtype=object)
    return out
