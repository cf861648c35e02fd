"""Zone registry (开发区名录): lead (首位产业) and main (主导产业) industries.

Each zone names exactly one lead industry and two or three main industries (seed §七:
"明确 1 个首位产业, 重点发展 2-3 个主导产业"). Industry names come from the vocabulary
``data/reference/industries.csv`` (``industry_name``, ``gb4754_2017_prefixes``): a
GB/T 4754-2017 industry code belongs to a name when it starts with one of the name's
prefixes. Names overlap (装备制造 and 机械装备 share prefixes), so the mapping is
many-to-many; :func:`industry_name_of` picks the longest matching prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from devzone.errors import InputError
from devzone.paths import data_path
from devzone.policy.sections import ZonesPolicy

__all__ = [
    "check_zones",
    "code_matches",
    "industries_file",
    "industry_name_of",
    "industry_prefixes",
    "load_industries",
    "split_main",
    "validate_zones",
]


def industries_file(policy: ZonesPolicy) -> Path:
    """The industry vocabulary named by ``[zones] industries_file`` (relative to data/).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> industries_file(load_policy().zones).name
    'industries.csv'
    """
    return data_path(*policy.industries_file.split("/"))


def load_industries(path: str | Path | None = None) -> pd.DataFrame:
    """Read the industry vocabulary (产业名称与国民经济行业代码对照).

    Parameters
    ----------
    path
        CSV with columns ``industry_name`` and ``gb4754_2017_prefixes``
        (semicolon-separated); default the shipped ``data/reference/industries.csv``
        (a job passes :func:`industries_file` of its policy).

    Returns
    -------
    DataFrame
        ``industry_name``, ``gb4754_2017_prefixes`` (text), ``note``.
    """
    path = Path(path) if path is not None else data_path("reference", "industries.csv")
    if not path.exists():
        raise InputError(
            "the industry vocabulary is missing; it maps GB/T 4754-2017 code prefixes to "
            "the industry names zones use",
            file=str(path),
        )
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    for col in ("industry_name", "gb4754_2017_prefixes"):
        if col not in df.columns:
            raise InputError(
                "column missing from the industry vocabulary", file=str(path), field=col
            )
    df["industry_name"] = df["industry_name"].str.strip()
    return df


def industry_prefixes(industries: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """Industry name → tuple of GB/T 4754-2017 code prefixes (empty when none)."""
    out: dict[str, tuple[str, ...]] = {}
    for name, raw in zip(
        industries["industry_name"], industries["gb4754_2017_prefixes"], strict=True
    ):
        prefixes = tuple(p.strip() for p in str(raw or "").split(";") if p.strip())
        out[str(name)] = out.get(str(name), ()) + prefixes
    return out


def _clean_codes(codes: pd.Series) -> pd.Series:
    s = codes.astype("string").str.strip().str.upper()
    # Codes like "C3670" carry the section letter: keep the digits.
    s = s.str.replace(r"^[A-Z]", "", regex=True)
    return s.mask(s == "")


def code_matches(codes: pd.Series, prefixes: Iterable[str]) -> pd.Series:
    """True where a GB/T 4754-2017 code starts with one of ``prefixes`` (vectorised).

    Missing codes give False. ``prefixes`` empty → all False.
    """
    clean = _clean_codes(codes)
    prefixes = tuple(prefixes)
    if not prefixes:
        return pd.Series(False, index=codes.index)
    return clean.str.startswith(prefixes).fillna(False).astype(bool)


def industry_name_of(codes: pd.Series, industries: pd.DataFrame) -> pd.Series:
    """Industry name of each code: the vocabulary name with the longest matching prefix.

    Ties keep the vocabulary's first row. Codes matching no name give ``<NA>``.

    Examples
    --------
    >>> voc = pd.DataFrame({"industry_name": ["装备制造", "汽车零部件"],
    ...                     "gb4754_2017_prefixes": ["33;34", "367"]})
    >>> industry_name_of(pd.Series(["3670", "3411", "1310"]), voc).tolist()
    ['汽车零部件', '装备制造', <NA>]
    """
    clean = _clean_codes(codes)
    best_len = pd.Series(0, index=codes.index)
    best = pd.Series(pd.NA, index=codes.index, dtype="string")
    for name, prefixes in industry_prefixes(industries).items():
        for p in prefixes:
            hit = clean.str.startswith(p).fillna(False).astype(bool) & (best_len < len(p))
            best = best.mask(hit, name)
            best_len = best_len.mask(hit, len(p))
    return best


def split_main(main_industries: pd.Series, *, separator: str) -> pd.Series:
    """Split ``dev_zone.main_industries`` (names joined by ``separator``) into lists.

    Commas, semicolons and slashes are accepted as separators too.

    Examples
    --------
    >>> split_main(pd.Series(["装备制造、建材", None]), separator="、").tolist()
    [['装备制造', '建材'], []]
    """
    pattern = "[" + "".join({separator, ",", "，", ";", "；", "/"}) + "]"
    s = main_industries.astype("string").fillna("")
    return s.str.split(pattern, regex=True).map(
        lambda parts: [p.strip() for p in parts if p and p.strip()]
    )


def _zone_problems(
    lead_list: list[str], main_list: list[str], *, known: set[str], policy: ZonesPolicy
) -> str:
    """What is wrong with one zone's lead and main industries ('' when nothing).

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> _zone_problems(["建材"], ["建材"], known={"建材"}, policy=load_policy().zones)
    '主导产业应为2–3个, 填写了1个; 首位产业 建材 不应同时列为主导产业'
    """
    main_min, main_max, lead_count = policy.main_min, policy.main_max, policy.lead_count
    p: list[str] = []
    if len(lead_list) == 0:
        p.append("未填写首位产业")
    elif len(lead_list) > lead_count:
        p.append(f"首位产业应为{lead_count}个, 填写了{len(lead_list)}个 ({'、'.join(lead_list)})")
    unique_main = list(dict.fromkeys(main_list))
    if len(unique_main) < len(main_list):
        p.append("主导产业有重复")
    if not main_min <= len(unique_main) <= main_max:
        p.append(f"主导产业应为{main_min}–{main_max}个, 填写了{len(unique_main)}个")
    unknown = [n for n in [*lead_list, *unique_main] if n not in known]
    if unknown:
        p.append("产业名称不在产业目录中: " + "、".join(dict.fromkeys(unknown)))
    if lead_list and lead_list[0] in unique_main:
        p.append(f"首位产业 {lead_list[0]} 不应同时列为主导产业")
    return "; ".join(p)


def validate_zones(
    zones: pd.DataFrame,
    industries: pd.DataFrame,
    *,
    policy: ZonesPolicy,
) -> pd.DataFrame:
    """Check each zone's lead and main industries (首位产业/主导产业核验).

    A zone passes when it names exactly one lead industry, between ``main_min`` and
    ``main_max`` (shipped: 2–3) distinct main industries, each a known vocabulary name,
    and the lead is not repeated among the main industries.

    Parameters
    ----------
    zones
        ``dev_zone`` rows: ``zone_code``, ``name``, ``lead_industry``, ``main_industries``.
    industries
        The vocabulary (:func:`load_industries`).
    policy
        The ``[zones]`` section (``main_min``, ``main_max``, ``main_separator``).

    Returns
    -------
    DataFrame
        One row per zone: ``zone_code``, ``name``, ``lead_industry``, ``main_list``,
        ``main_count``, ``ok`` (bool) and ``problems`` (Chinese text; '' when ok).
    """
    sep = policy.main_separator
    known = set(industries["industry_name"])
    lead_raw = zones["lead_industry"].astype("string").fillna("").str.strip()
    lead_parts = split_main(lead_raw, separator=sep)
    mains = split_main(zones["main_industries"], separator=sep)
    problems = [
        _zone_problems(lead_list, main_list, known=known, policy=policy)
        for lead_list, main_list in zip(lead_parts, mains, strict=True)
    ]
    out = pd.DataFrame(
        {
            "zone_code": zones["zone_code"].to_numpy(),
            "name": zones["name"].to_numpy() if "name" in zones else np.nan,
            "lead_industry": lead_raw.to_numpy(),
            "main_list": mains.to_numpy(),
            "main_count": mains.map(len).to_numpy(),
            "problems": problems,
        }
    )
    out["ok"] = out["problems"] == ""
    return out


def check_zones(
    zones: pd.DataFrame,
    industries: pd.DataFrame,
    *,
    policy: ZonesPolicy,
    source: str = "dev_zone",
) -> pd.DataFrame:
    """Like :func:`validate_zones`, but raise :class:`InputError` naming every bad zone."""
    result = validate_zones(zones, industries, policy=policy)
    bad = result[~result["ok"]]
    if len(bad):
        lines = "; ".join(
            f"zone {code} ({name}): {prob}"
            for code, name, prob in zip(bad["zone_code"], bad["name"], bad["problems"], strict=True)
        )
        raise InputError(
            f"{len(bad)} zone(s) fail the lead/main industry rule ({policy.lead_count} 首位产业, "
            f"{policy.main_min}–{policy.main_max} 主导产业, names from the industry "
            f"vocabulary {policy.industries_file}): {lines}",
            file=source,
            field="lead_industry/main_industries",
        )
    return result
