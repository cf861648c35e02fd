"""Corridor contribution to the city's scale-industry growth (贡献率与拉动; POLICY §5).

Definitions (statistics practice):

* growth at comparable prices (可比价增速) = (VA_y ÷ deflator_y) ÷ VA_{y−1} − 1, the
  deflator being the year's price index with the previous year = 1;
* increment (增量) = VA_y ÷ deflator_y − VA_{y−1};
* contribution rate (贡献率) = increment of the part ÷ increment of the city;
* pull (拉动, percentage points) = increment of the part ÷ VA_{y−1} of the city × 100
  = contribution × city growth.

When the city's increment is ≤ 0 the contribution rate has no meaning (a share of a
fall, or of nothing): it is left empty and the report says in words that the city's
value added fell (or did not grow). Pull stays meaningful and is kept.

Where firms sit: a firm's value added is spread over the zones of the parcels it uses
in proportion to its used area (:func:`devzone.zones.alloc.firm_parcel_shares`); the
corridor's value added is the sum over its member zones. Firms on no zone parcel (no
``parcel_enterprise`` row, or parcels outside every zone) count for the city only.
Scope (``[corridor] scope``): ``comparable`` (the shipped choice) compares the firms above scale
(规上) in the report year with their own previous-year value added (同口径);
``annual`` compares each year's own above-scale firms.

Price basis: growth is at comparable prices only when ``[corridor.deflator]`` lists the
report year. Without it the figures are the nominal ones and are called so —
"现价 (未配置价格指数)" in the verdict, the table's notes, the report and the console
(:func:`price_basis`) — never "可比价".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from devzone.errors import ConfigError
from devzone.policy.sections import CorridorPolicy, CorridorTargets

__all__ = [
    "COMPARABLE",
    "NOMINAL_NO_DEFLATOR",
    "NO_PRICE_CHANGE",
    "ContributionResult",
    "configured_deflator",
    "corridor_contribution",
    "deflator_for",
    "firm_value_added",
    "growth_table",
    "price_basis",
    "unit_table",
]

#: The price index of a year ``[corridor.deflator]`` does not list: prices unchanged
#: (previous year = 1.0), as the config file says.
NO_PRICE_CHANGE = 1.0


#: Price basis of growth with a deflator configured for the year.
COMPARABLE = "可比价"
#: Price basis of growth without one: nominal, and said so.
NOMINAL_NO_DEFLATOR = "现价 (未配置价格指数)"


def configured_deflator(policy: CorridorPolicy, year: int) -> float | None:
    """The price index ``[corridor.deflator]`` lists for ``year``, else ``None``.

    Examples
    --------
    >>> from devzone.policy import load_policy, replace
    >>> pol = replace(load_policy().corridor, deflator={"2019": 0.992})
    >>> configured_deflator(pol, 2019), configured_deflator(pol, 2020)
    (0.992, None)
    """
    return deflator_for(policy, year) if str(year) in policy.deflator else None


def price_basis(deflator: float | None) -> str:
    """``可比价`` with a configured deflator, else ``现价 (未配置价格指数)``.

    Examples
    --------
    >>> price_basis(0.992), price_basis(None)
    ('可比价', '现价 (未配置价格指数)')
    """
    return COMPARABLE if deflator is not None else NOMINAL_NO_DEFLATOR


def deflator_for(policy: CorridorPolicy, year: int) -> float:
    """The value-added price index of ``year`` (previous year = 1.0) from config.

    A year the ``[corridor.deflator]`` table does not list has no price change.

    Examples
    --------
    >>> from devzone.policy import load_policy, replace
    >>> pol = replace(load_policy().corridor, deflator={"2019": 0.992})
    >>> deflator_for(pol, 2019), deflator_for(pol, 2020)
    (0.992, 1.0)
    """
    value = policy.deflator.get(str(year), NO_PRICE_CHANGE)
    if not value > 0:
        raise ConfigError(f"[corridor.deflator] {year} must be positive, got {value}")
    return value


def firm_value_added(indicators: pd.DataFrame, *, year: int, scope: str) -> pd.DataFrame:
    """Scale-industry value added of each firm for ``year`` and ``year − 1``.

    Parameters
    ----------
    indicators
        ``enterprise_indicator`` rows (``credit_code``, ``year``, ``is_above_scale``,
        ``value_added_wan``) covering both years.
    scope
        ``comparable`` or ``annual`` (module docstring).

    Returns
    -------
    DataFrame
        ``credit_code``, ``va_prev``, ``va_cur`` (万元; 0 where a firm has no figure
        in the scope of that year).

    Examples
    --------
    >>> ind = pd.DataFrame({"credit_code": ["F1", "F1", "F2"], "year": [2018, 2019, 2018],
    ...                     "is_above_scale": [False, True, True],
    ...                     "value_added_wan": [80.0, 100.0, 50.0]})
    >>> firm_value_added(ind, year=2019, scope="comparable").values.tolist()
    [['F1', 80.0, 100.0]]
    >>> firm_value_added(ind, year=2019, scope="annual").values.tolist()
    [['F1', 0.0, 100.0], ['F2', 50.0, 0.0]]
    """
    if scope not in ("comparable", "annual"):
        raise ConfigError(f"[corridor] scope must be 'comparable' or 'annual', not {scope!r}")
    ind = indicators.copy()
    ind["va"] = pd.to_numeric(ind["value_added_wan"], errors="coerce")
    above = ind["is_above_scale"].astype("boolean").fillna(False).astype(bool)
    cur = ind[(ind["year"] == year) & above]
    cur = cur.groupby("credit_code")["va"].sum(min_count=1)
    if scope == "comparable":
        prev_rows = ind[(ind["year"] == year - 1) & ind["credit_code"].isin(cur.index)]
    else:
        prev_rows = ind[(ind["year"] == year - 1) & above]
    prev = prev_rows.groupby("credit_code")["va"].sum(min_count=1)
    codes = cur.index.union(prev.index)
    return pd.DataFrame(
        {
            "credit_code": codes,
            "va_prev": prev.reindex(codes).fillna(0.0).to_numpy(),
            "va_cur": cur.reindex(codes).fillna(0.0).to_numpy(),
        }
    )


@dataclass
class ContributionResult:
    """The table of units (city, corridor, zones) and the verdict against the targets."""

    table: pd.DataFrame
    city_fell: bool
    growth_pass: bool | None
    contribution_pass: bool | None
    gap_pp: float | None
    verdict: list[str]
    #: :data:`COMPARABLE` or :data:`NOMINAL_NO_DEFLATOR` (:func:`price_basis`).
    price_basis: str = COMPARABLE

    @property
    def comparable(self) -> bool:
        """Whether the growth is at comparable prices (a deflator was configured)."""
        return self.price_basis == COMPARABLE


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def unit_table(
    firm_va: pd.DataFrame,
    firm_zone_shares: pd.DataFrame,
    zones: pd.DataFrame,
    members: Collection[str],
) -> pd.DataFrame:
    """Value added of the previous and this year of the city, the corridor and each zone.

    Firms' value added is spread over zones by their shares; the city is every firm.

    Returns
    -------
    DataFrame
        ``unit``, ``zone_code``, ``name``, ``prev``, ``cur``, ``firms``, ``in_corridor``;
        the city first, the corridor second, then the zones.

    Examples
    --------
    >>> va = pd.DataFrame({"credit_code": ["F1", "F2"], "va_prev": [100.0, 50.0],
    ...                    "va_cur": [120.0, 50.0]})
    >>> sh = pd.DataFrame({"credit_code": ["F1"], "zone_code": ["A"], "share": [1.0]})
    >>> z = pd.DataFrame({"zone_code": ["A", "B"], "name": ["甲", "乙"]})
    >>> unit_table(va, sh, z, {"A"})[["unit", "prev", "cur"]].values.tolist()
    [['city', 150.0, 170.0], ['corridor', 100.0, 120.0], ['zone', 100.0, 120.0], ['zone', 0.0, 0.0]]
    """
    members = {str(m) for m in members}
    shares = firm_zone_shares.dropna(subset=["zone_code"])
    shares = shares.groupby(["credit_code", "zone_code"], as_index=False)["share"].sum()
    f = shares.merge(firm_va, on="credit_code", how="inner")
    f["prev"] = f["va_prev"] * f["share"]
    f["cur"] = f["va_cur"] * f["share"]
    by_zone = f.groupby("zone_code").agg(
        prev=("prev", "sum"), cur=("cur", "sum"), firms=("credit_code", "nunique")
    )
    zone_rows = zones.drop_duplicates("zone_code")
    zt = pd.DataFrame(
        {
            "unit": "zone",
            "zone_code": zone_rows["zone_code"].astype(str).to_numpy(),
            "name": zone_rows["name"].to_numpy() if "name" in zone_rows else "",
        }
    )
    zt = zt.join(by_zone, on="zone_code").fillna({"prev": 0.0, "cur": 0.0, "firms": 0})
    zt["in_corridor"] = zt["zone_code"].isin(members)
    corridor_firms = f.loc[f["zone_code"].isin(members), "credit_code"].nunique()
    city = pd.DataFrame(
        {
            "unit": ["city", "corridor"],
            "zone_code": [None, None],
            "name": ["全市", "走廊"],
            "prev": [firm_va["va_prev"].sum(), zt.loc[zt["in_corridor"], "prev"].sum()],
            "cur": [firm_va["va_cur"].sum(), zt.loc[zt["in_corridor"], "cur"].sum()],
            "firms": [int((firm_va["va_cur"] > 0).sum()), corridor_firms],
            "in_corridor": [None, True],
        }
    )
    return pd.concat([city, zt], ignore_index=True)


def growth_table(units: pd.DataFrame, *, year: int, deflator: float) -> pd.DataFrame:
    """Growth, increment, contribution and pull of each unit (city first).

    Returns
    -------
    DataFrame
        The ``corridor_contribution`` columns; ``contribution`` is NaN for every unit
        when the city's comparable-price increment is ≤ 0.

    Examples
    --------
    >>> u = pd.DataFrame({"unit": ["city", "corridor"], "zone_code": [None, None],
    ...                   "name": ["全市", "走廊"], "prev": [150.0, 100.0],
    ...                   "cur": [170.0, 120.0], "firms": [2, 1], "in_corridor": [None, True]})
    >>> g = growth_table(u, year=2019, deflator=1.0)
    >>> g[["growth_real", "contribution", "pull_pp"]].round(4).values.tolist()
    [[0.1333, 1.0, 13.3333], [0.2, 1.0, 13.3333]]
    """
    t = units.copy()
    t["cur_real"] = t["cur"] / deflator
    base = t["prev"].where(t["prev"] > 0)
    t["growth_nominal"] = t["cur"] / base - 1.0
    t["growth_real"] = t["cur_real"] / base - 1.0
    t["increment_real_wan"] = t["cur_real"] - t["prev"]
    city_prev, city_inc = float(t.at[0, "prev"]), float(t.at[0, "increment_real_wan"])
    t["contribution"] = np.nan if city_inc <= 0 else t["increment_real_wan"] / city_inc
    t["pull_pp"] = t["increment_real_wan"] / city_prev * 100.0 if city_prev > 0 else np.nan
    t["note"] = np.where(t["prev"] > 0, "", "上年无规上工业增加值, 增速不适用")
    t["firms"] = t["firms"].astype(int)
    t = t.rename(
        columns={
            "prev": "value_added_prev_wan",
            "cur": "value_added_wan",
            "cur_real": "value_added_comparable_wan",
        }
    )
    t.insert(0, "year", year)
    return t


def _growth_verdict(t: pd.DataFrame, basis: str) -> tuple[str, bool | None, float | None]:
    """The growth target: corridor growth above the city's (seed §七), at ``basis``."""
    g_city, g_corr = t.at[0, "growth_real"], t.at[1, "growth_real"]
    if not (pd.notna(g_city) and pd.notna(g_corr)):
        return "上年无规上工业增加值, 无法计算增速, 增速目标无法评价.", None, None
    gap = float((g_corr - g_city) * 100.0)
    growth_pass = bool(g_corr > g_city)
    text = (
        f"走廊规上工业增加值{basis}增速 {_pct(g_corr)}, 全市 {_pct(g_city)}, "
        f"{'高于' if gap > 0 else ('低于' if gap < 0 else '等于')}全市"
        f"{f' {abs(gap):.2f} 个百分点' if gap else ''}: "
        f"增速目标{'达标' if growth_pass else '未达标'}."
    )
    return text, growth_pass, gap


def _contribution_verdict(
    t: pd.DataFrame, *, contribution_min: float, basis: str
) -> tuple[str, bool | None]:
    """The contribution target (≥ ``contribution_min``), or why it cannot be judged."""
    city_inc = float(t.at[0, "increment_real_wan"])
    if city_inc <= 0:
        g_city = t.at[0, "growth_real"]
        what = "下降" if -city_inc > 0 else "持平"
        rate = f" ({basis}{_pct(g_city)})" if pd.notna(g_city) else ""
        text = (
            f"全市规上工业增加值比上年{what}{rate}, {basis}增量为 {city_inc:,.1f} 万元 (≤ 0): "
            "贡献率只对增长有意义, 本年不计算, 贡献率目标无法评价; "
            f"走廊{basis}增量 {t.at[1, 'increment_real_wan']:,.1f} 万元, "
            f"拉动全市 {t.at[1, 'pull_pp']:.2f} 个百分点."
        )
        return text, None
    c = float(t.at[1, "contribution"])
    contribution_pass = bool(c >= contribution_min)
    text = (
        f"走廊对全市规上工业增长的贡献率 {_pct(c)} (目标 ≥ {_pct(contribution_min)}): "
        f"{'达标' if contribution_pass else '未达标'}; 拉动全市增长 "
        f"{t.at[1, 'pull_pp']:.2f} 个百分点."
    )
    return text, contribution_pass


def corridor_contribution(
    firm_va: pd.DataFrame,
    firm_zone_shares: pd.DataFrame,
    zones: pd.DataFrame,
    members: Collection[str],
    *,
    year: int,
    deflator: float | None,
    targets: CorridorTargets,
) -> ContributionResult:
    """Value added, growth, contribution and pull of the city, the corridor and each zone.

    Parameters
    ----------
    firm_va
        :func:`firm_value_added` output.
    firm_zone_shares
        ``credit_code``, ``zone_code``, ``share`` (a firm's shares sum to ≤ 1; rows
        with a missing zone are ignored, the rest of the firm stays city-only).
    zones
        ``zone_code``, ``name`` of every zone (one output row each).
    members
        Zone codes of the corridor.
    deflator
        Price index of ``year`` (previous year = 1; :func:`configured_deflator`);
        ``None`` when none is configured: the growth is then the nominal growth, and
        ``price_basis`` and every note say "现价 (未配置价格指数)".
    targets
        ``[corridor.targets]``: ``contribution_min`` (the growth target is always
        "above the city").

    Returns
    -------
    ContributionResult
        ``table`` has one row per unit: ``unit`` (city/corridor/zone), ``zone_code``,
        ``name``, ``in_corridor``, ``firms``, ``value_added_prev_wan``,
        ``value_added_wan``, ``value_added_comparable_wan``, ``growth_nominal``,
        ``growth_real``, ``increment_real_wan``, ``contribution``, ``pull_pp``,
        ``note``.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> va = pd.DataFrame({"credit_code": ["F1", "F2"], "va_prev": [100.0, 50.0],
    ...                    "va_cur": [110.0, 60.0]})
    >>> sh = pd.DataFrame({"credit_code": ["F1"], "zone_code": ["A"], "share": [1.0]})
    >>> z = pd.DataFrame({"zone_code": ["A"], "name": ["甲"]})
    >>> r = corridor_contribution(va, sh, z, {"A"}, year=2019, deflator=1.0,
    ...                           targets=load_policy().corridor.targets)
    >>> r.growth_pass, r.contribution_pass, float(r.table.at[1, "contribution"])
    (False, True, 0.5)
    """
    units = unit_table(firm_va, firm_zone_shares, zones, members)
    basis = price_basis(deflator)
    t = growth_table(units, year=year, deflator=deflator if deflator is not None else 1.0)
    if deflator is None:
        t["note"] = [f"{n}; 增速为{basis}" if n else f"增速为{basis}" for n in t["note"]]
    growth_text, growth_pass, gap = _growth_verdict(t, basis)
    contribution_text, contribution_pass = _contribution_verdict(
        t, contribution_min=targets.contribution_min, basis=basis
    )
    city_fell = float(t.at[0, "increment_real_wan"]) <= 0
    verdict = [growth_text, contribution_text]
    return ContributionResult(t, city_fell, growth_pass, contribution_pass, gap, verdict, basis)
