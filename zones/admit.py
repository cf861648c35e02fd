"""Entry check for a proposed project (项目入驻标准审查, ``devzone admit``).

A proposed project (zone, industry, land, investment, expected tax, FAR) is checked
against each entry standard, each with its reason:

* ``industry_fit`` (产业契合): the industry is the zone's lead or a main industry;
* ``invest_or_tax`` (投资强度/亩均税收): investment ≥ the minimum 万元/亩 **or** tax ≥
  the minimum 万元/亩/年 (Lu'an: 300 / 30, POLICY §3); with ``invest_or_tax = false``
  both are required and reported as two standards;
* ``far`` (容积率): FAR ≥ the industry's minimum (国土资发〔2008〕24号 by two-digit code).

Which policy: the thresholds are ``[intensity.entry_rule]`` (``min_invest_wan_per_mu``,
``min_tax_wan_per_mu``) and the FAR minima ``[intensity.min_far_2002]`` with
``[intensity.industry_2017_to_2002]`` — the same section the parcel intensity check
(``devzone score``) applies, so an admitted project and a scored parcel are judged by
one rule. With the typed policy both ``[intensity.entry_rule]`` and ``[zones.admission]``
always exist; the old "fall back to ``[zones.admission]`` when intensity has no value"
can no longer happen, so ``[zones.admission]`` contributes only ``invest_or_tax``
(whether one of the two suffices; ``[intensity.entry_rule]`` has no such key). Its
``invest_wan_per_mu_min`` / ``tax_wan_per_mu_min`` are not read (shipped values equal
the entry rule's 300 / 30, so the sample's results are unchanged).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from devzone.errors import ConfigError, InputError
from devzone.landuse.intensity import industry_code_2002, min_far
from devzone.policy.sections import IntensityPolicy, ZonesPolicy
from devzone.zones.fit import classify_fit

__all__ = ["AdmissionRules", "Proposal", "admission_check", "admission_rules", "min_far_for"]

#: Reason of each fit code on the industry-fit standard ({code}, {name} filled in).
_FIT_REASONS = {
    "lead": "属于首位产业 {name}",
    "main": "属于主导产业 {name}",
    "misfit": "行业 {code} ({name}) 不属于该区首位或主导产业",
    "unknown": "行业代码缺失或该区未登记首位/主导产业",
}


@dataclass(frozen=True)
class Proposal:
    """A proposed project (入驻申请): what ``devzone admit`` is given."""

    zone_code: str  #: the zone applied to (``dev_zone.zone_code``)
    industry_code: str  #: GB/T 4754-2017 code of the project
    area_mu: float  #: land applied for, 亩
    investment_wan: float  #: total fixed-asset investment, 万元 (buildings, equipment, land)
    tax_wan: float  #: expected annual tax, 万元/年
    far: float | None = None  #: planned floor-area ratio; ``None`` → not assessed


@dataclass(frozen=True)
class AdmissionRules:
    """The entry thresholds in force (万元/亩, 万元/亩/年) and where each comes from."""

    invest_wan_per_mu_min: float
    tax_wan_per_mu_min: float
    invest_or_tax: bool
    source: dict[str, str]


def admission_rules(*, policy: ZonesPolicy, intensity: IntensityPolicy) -> AdmissionRules:
    """The entry thresholds in force (module docstring: which section gives which).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> pol = load_policy()
    >>> r = admission_rules(policy=pol.zones, intensity=pol.intensity)
    >>> r.invest_wan_per_mu_min, r.tax_wan_per_mu_min, r.invest_or_tax
    (300.0, 30.0, True)
    """
    if not intensity.min_far_2002:
        raise ConfigError(
            "no minimum-FAR table: set [intensity.min_far_2002] (data/policy/intensity.toml)"
        )
    return AdmissionRules(
        invest_wan_per_mu_min=intensity.entry_rule.min_invest_wan_per_mu,
        tax_wan_per_mu_min=intensity.entry_rule.min_tax_wan_per_mu,
        invest_or_tax=policy.admission.invest_or_tax,
        source={
            "invest_wan_per_mu_min": "intensity.entry_rule",
            "tax_wan_per_mu_min": "intensity.entry_rule",
            "invest_or_tax": "zones.admission",
        },
    )


def min_far_for(industry_code: str, *, policy: IntensityPolicy) -> tuple[float | None, str | None]:
    """Minimum FAR of a GB/T 4754-2017 industry code (国土资发〔2008〕24号).

    The same lookup as the parcel intensity
    (:func:`devzone.landuse.intensity.industry_code_2002` and ``min_far``).

    Returns
    -------
    tuple
        (minimum FAR or ``None`` when the table has none, the 2002 division used).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> min_far_for("3670", policy=load_policy().intensity)
    (0.7, '37')
    """
    div = industry_code_2002(pd.Series([industry_code], dtype=object), policy=policy).iloc[0]
    need = min_far(pd.Series([div], dtype=object), policy=policy).iloc[0]
    return (None if pd.isna(need) else float(need)), div


def _check_proposal(p: Proposal, *, zones: pd.DataFrame) -> None:
    """Refuse a proposal that cannot be checked, naming the command-line option."""
    if not p.area_mu or not p.area_mu > 0:
        raise InputError("the land area must be a positive number of 亩", field="--area-mu")
    for value, name in ((p.investment_wan, "--invest-wan"), (p.tax_wan, "--tax-wan")):
        if not value >= 0:
            raise InputError(f"{name} must be zero or a positive amount of 万元", field=name)
    if p.far is not None and not p.far > 0:
        raise InputError("the floor-area ratio must be positive", field="--far")
    if not re.fullmatch(r"[A-Ta-t]?\d{2,4}", str(p.industry_code).strip()):
        raise InputError(
            f"{p.industry_code!r} is not a GB/T 4754-2017 industry code (2–4 digits, e.g. "
            "3670 汽车零部件及配件制造, optionally after the section letter: C3670)",
            field="--industry",
        )
    if p.zone_code not in set(zones["zone_code"]):
        raise InputError(
            f"zone {p.zone_code!r} is not in the zone registry (dev_zone); "
            "`devzone zones list` shows the codes",
            field="--zone",
        )


def _fit_standard(
    zone_code: str,
    industry_code: str,
    *,
    zones: pd.DataFrame,
    industries: pd.DataFrame,
    policy: ZonesPolicy,
) -> dict[str, Any]:
    """The industry-fit standard: lead or main industry of the zone."""
    zone = zones[zones["zone_code"] == zone_code].iloc[0]
    fit = classify_fit(
        pd.Series([industry_code], dtype="string"),
        pd.Series([zone_code], dtype="string"),
        zones,
        industries,
        separator=policy.main_separator,
    ).iloc[0]
    ind_name = fit["industry_name"] if pd.notna(fit["industry_name"]) else "目录外产业"
    return {
        "standard": "industry_fit",
        "label": "产业契合 (首位/主导产业)",
        "value": f"{industry_code} ({ind_name})",
        "required": f"首位产业 {zone['lead_industry']}; 主导产业 {zone['main_industries']}",
        "passed": fit["fit"] in ("lead", "main"),
        "reason": _FIT_REASONS[fit["fit"]].format(code=industry_code, name=ind_name),
    }


def _money_standards(
    *, area_mu: float, investment_wan: float, tax_wan: float, rules: AdmissionRules
) -> list[dict[str, Any]]:
    """Investment intensity and tax per 亩: one "or" standard, or two standards.

    Examples
    --------
    >>> rules = AdmissionRules(300.0, 30.0, True, {})
    >>> [r["passed"] for r in _money_standards(area_mu=50, investment_wan=12000,
    ...                                        tax_wan=1600, rules=rules)]
    [True]
    """
    invest_mu, tax_mu = investment_wan / area_mu, tax_wan / area_mu
    inv_min, tax_min = rules.invest_wan_per_mu_min, rules.tax_wan_per_mu_min
    inv_ok, tax_ok = invest_mu >= inv_min, tax_mu >= tax_min
    inv_txt = f"投资强度 {investment_wan:g} ÷ {area_mu:g} 亩 = {invest_mu:.2f} 万元/亩"
    tax_txt = f"亩均税收 {tax_wan:g} ÷ {area_mu:g} 亩 = {tax_mu:.2f} 万元/亩"
    if rules.invest_or_tax:
        reason = (
            f"{inv_txt} ({'达标' if inv_ok else '未达标'} ≥ {inv_min:g}); "
            f"{tax_txt} ({'达标' if tax_ok else '未达标'} ≥ {tax_min:g}); "
            + ("满足其一即可" if inv_ok or tax_ok else "两项均未达标")
        )
        return [
            {
                "standard": "invest_or_tax",
                "label": "投资强度或亩均税收",
                "value": f"{invest_mu:.2f} 万元/亩; {tax_mu:.2f} 万元/亩/年",
                "required": f"≥ {inv_min:g} 万元/亩 或 ≥ {tax_min:g} 万元/亩/年",
                "passed": inv_ok or tax_ok,
                "reason": reason,
            }
        ]
    return [
        {
            "standard": "invest_intensity",
            "label": "投资强度",
            "value": f"{invest_mu:.2f} 万元/亩",
            "required": f"≥ {inv_min:g} 万元/亩",
            "passed": inv_ok,
            "reason": inv_txt,
        },
        {
            "standard": "tax_per_mu",
            "label": "亩均税收",
            "value": f"{tax_mu:.2f} 万元/亩/年",
            "required": f"≥ {tax_min:g} 万元/亩/年",
            "passed": tax_ok,
            "reason": tax_txt,
        },
    ]


def _far_standard(
    industry_code: str, far: float | None, *, intensity: IntensityPolicy
) -> dict[str, Any]:
    """The minimum-FAR standard of the industry (not assessed without FAR or minimum).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> _far_standard("3670", 0.6, intensity=load_policy().intensity)["passed"]
    False
    """
    need, div = min_far_for(industry_code, policy=intensity)
    row: dict[str, Any] = {"standard": "far", "label": "容积率"}
    if far is None:
        return row | {
            "value": "未填写",
            "required": f"≥ {need:g}" if need is not None else "—",
            "passed": None,
            "reason": "未提供容积率, 未审查 (用 --far 填写)",
        }
    if need is None:
        return row | {
            "value": f"{far:g}",
            "required": "—",
            "passed": None,
            "reason": f"行业 {industry_code} 在控制指标表中无容积率下限, 未审查",
        }
    return row | {
        "value": f"{far:g}",
        "required": f"≥ {need:g}",
        "passed": far >= need,
        "reason": f"容积率 {far:g} {'≥' if far >= need else '<'} 行业下限 {need:g} "
        f"(国土资发〔2008〕24号, 2002版行业 {div})",
    }


def admission_check(
    proposal: Proposal,
    *,
    zones: pd.DataFrame,
    industries: pd.DataFrame,
    policy: ZonesPolicy,
    intensity: IntensityPolicy,
) -> pd.DataFrame:
    """Check a proposed project against each entry standard (入驻标准).

    Parameters
    ----------
    proposal
        The project: zone, GB/T 4754-2017 industry code, land (亩), investment (万元),
        expected annual tax (万元/年), planned FAR (``None`` → FAR not assessed).
    zones
        ``dev_zone`` rows (``zone_code``, ``lead_industry``, ``main_industries``).
    industries
        The industry vocabulary (:func:`devzone.zones.registry.load_industries`).
    policy
        The ``[zones]`` section (main separator, ``admission.invest_or_tax``).
    intensity
        The ``[intensity]`` section (entry rule, minimum FAR).

    Returns
    -------
    DataFrame
        One row per standard: ``standard``, ``label`` (Chinese), ``value``,
        ``required``, ``passed`` (bool or ``None`` when not assessed), ``reason``.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> from devzone.zones.registry import load_industries
    >>> pol = load_policy()
    >>> zones = pd.DataFrame({"zone_code": ["Z1"], "lead_industry": ["汽车零部件"],
    ...                       "main_industries": ["装备制造、建材"]})
    >>> r = admission_check(Proposal("Z1", "3670", 50, 12000, 1600, far=0.6), zones=zones,
    ...     industries=load_industries(), policy=pol.zones, intensity=pol.intensity)
    >>> r[["standard", "passed"]].values.tolist()
    [['industry_fit', True], ['invest_or_tax', True], ['far', False]]
    """
    p = proposal
    _check_proposal(p, zones=zones)
    rules = admission_rules(policy=policy, intensity=intensity)
    rows = [
        _fit_standard(
            p.zone_code, p.industry_code, zones=zones, industries=industries, policy=policy
        ),
        *_money_standards(
            area_mu=p.area_mu, investment_wan=p.investment_wan, tax_wan=p.tax_wan, rules=rules
        ),
        _far_standard(p.industry_code, p.far, intensity=intensity),
    ]
    out = pd.DataFrame(rows)
    # Plain Python True/False/None (JSON-ready; "not assessed" stays None).
    out["passed"] = pd.Series([None if p is None else bool(p) for p in out["passed"]], dtype=object)
    return out
