"""HTML and XLSX reports of the zone ranking and the corridor contribution.

HTML comes from Jinja2 templates in ``reports/templates/`` with autoescaping on, so text
from the data (zone and enterprise names) is escaped. Charts are PNG drawn with a CJK
font (:mod:`devzone.reports.charts`), embedded as data URIs: one self-contained file a
planner can mail upward. Spreadsheets go through :func:`devzone.reports.xlsx.write_workbook`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from devzone.policy.sections import CorridorPolicy, ZonesPolicy
from devzone.reports.charts import bar_chart, cjk_font, data_uri
from devzone.vocab import (
    AREA_BASIS_LABELS,
    CONTRIBUTION_UNIT_LABELS,
    CORRIDOR_MEMBER_LABELS,
    FIT_LABELS,
    YES_NO,
    label,
)
from devzone.zones.contribution import ContributionResult, deflator_for
from devzone.zones.indicators import COVERAGE_LABELS, COVERAGE_OF, INDICATORS

__all__ = [
    "FIT_COLUMN_LABELS",
    "PERCENT_KEYS",
    "fit_labelled",
    "plain",
    "render",
    "write_corridor_report",
    "write_fit_workbook",
    "write_zone_rank_report",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Indicators shown as percentages.
PERCENT_KEYS = {
    "development_rate",
    "supply_rate",
    "built_rate",
    "industrial_land_rate",
    "building_density",
    "industrial_building_coefficient",
    "idle_rate",
}

ZONE_LABELS: dict[str, str] = {
    "year": "年度",
    "zone_code": "开发区代码",
    "zone_name": "开发区名称",
    "zone_type": "开发区类型",
    "score": "综合得分 (分)",
    "known_weight_share": "有数据指标的权重占比 (比值)",
    "missing_indicators": "缺失指标 (未计分, 权重重新归一)",
    "rank": "类型内名次",
    "rank_change": "名次变化 (正=进位)",
    "lead_industry": "首位产业",
    "main_industries": "主导产业",
    "area_total_ha": "评价范围面积 (公顷)",
    "area_basis": "面积依据",
    "area_a_ha": "已建成 A (公顷)",
    "area_a1_ha": "住宅 A1 (公顷)",
    "area_a2_ha": "工矿仓储 A2 (公顷)",
    "area_b21_ha": "已达供地条件 B21 (公顷)",
    "area_d_ha": "已供应 D (公顷)",
    "area_g_ha": "闲置 G (公顷)",
    "floor_area_m2": "总建筑面积 (平方米)",
    "footprint_m2": "建筑基底面积 (平方米)",
    "invested_wan": "工业用地累计投资 (万元)",
    "invest_from_contract": "投资取自合同承诺的宗地数",
    "tax_wan": "税收 (万元)",
    "industrial_tax_wan": "工业用地税收 (万元)",
    **{k: v + (" (比值)" if k in PERCENT_KEYS else "") for k, v in INDICATORS.items()},
    **{k: v + " (比值)" for k, v in COVERAGE_LABELS.items()},
    "idle_as_of": "闲置数据基准日",
    "idle_fee_wan": "土地闲置费 (万元)",
    "firms_graded": "分档企业数",
    "share_grade_a": "A类企业占比 (比值)",
    "share_grade_d": "D类企业占比 (比值)",
    "land_fit_share": "首位+主导产业用地占比 (比值)",
    "land_lead_share": "首位产业用地占比 (比值)",
    "output_fit_share": "首位+主导产业产值占比 (比值)",
    "tax_fit_share": "首位+主导产业税收占比 (比值)",
    "misfit_parcels": "产业不符宗地数",
    "note": "说明",
}

CONTRIBUTION_LABELS: dict[str, str] = {
    "year": "年度",
    "unit": "单元",
    "zone_code": "开发区代码",
    "name": "名称",
    "in_corridor": "是否在走廊内",
    "firms": "规上企业数",
    "value_added_prev_wan": "上年规上工业增加值 (万元)",
    "value_added_wan": "本年规上工业增加值 现价 (万元)",
    "value_added_comparable_wan": "本年规上工业增加值 可比价 (万元)",
    "growth_nominal": "现价增速 (比值)",
    "growth_real": "可比价增速 (比值)",
    "increment_real_wan": "可比价增量 (万元)",
    "contribution": "贡献率 (比值)",
    "pull_pp": "拉动 (百分点)",
    "note": "说明",
}

#: Column headers of the parcel industry-fit sheets (fit values: :data:`devzone.vocab.FIT_LABELS`).
FIT_COLUMN_LABELS: dict[str, str] = {
    "parcel_code": "宗地代码",
    "zone_code": "开发区代码",
    "industry_code": "行业代码",
    "industry_name": "产业名称",
    "fit": "契合度",
    "area_m2": "宗地面积 (平方米)",
}

#: Column headers of the zone industry-fit sheet.
ZONE_FIT_LABELS: dict[str, str] = {
    "land_fit_share": "首位+主导产业用地占比",
    "land_lead_share": "首位产业用地占比",
    "output_fit_share": "首位+主导产业产值占比",
    "tax_fit_share": "首位+主导产业税收占比",
    "misfit_parcels": "产业不符宗地数",
}


def fit_labelled(parcel_fit: pd.DataFrame) -> pd.DataFrame:
    """Parcel fit rows with the fit code shown as its label (:data:`devzone.vocab.FIT_LABELS`).

    Examples
    --------
    >>> fit_labelled(pd.DataFrame({"fit": ["misfit", "lead"]}))["fit"].tolist()
    ['不符合主导产业', '首位产业']
    """
    return parcel_fit.assign(fit=label(parcel_fit["fit"], FIT_LABELS))


def coded(df: pd.DataFrame) -> pd.DataFrame:
    """A zone or corridor frame with its codes shown as labels (:mod:`devzone.vocab`).

    Examples
    --------
    >>> df = pd.DataFrame({"unit": ["city", "zone"], "area_basis": ["boundary", "approved"]})
    >>> coded(df).values.tolist()
    [['全市', '边界量算面积'], ['开发区', '核准面积']]
    """
    columns = {
        "unit": CONTRIBUTION_UNIT_LABELS,
        "area_basis": AREA_BASIS_LABELS,
        "member_by": CORRIDOR_MEMBER_LABELS,
        "fit": FIT_LABELS,
    }
    out = df.copy()
    for col, labels in columns.items():
        if col in out.columns:
            out[col] = label(out[col], labels)
    return out


def _missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def _num(x: Any, digits: int = 1) -> str:
    return "—" if _missing(x) else f"{float(x):,.{digits}f}"


def _pct(x: Any) -> str:
    return "—" if _missing(x) else f"{float(x) * 100:.2f}%"


def _change(x: Any) -> str:
    if _missing(x):
        return "—"
    v = int(x)
    return f"↑{v}" if v > 0 else (f"↓{-v}" if v < 0 else "0")


def _verdict(x: Any) -> Any:
    from markupsafe import Markup

    if x is None:
        return Markup('<span class="na">无法评价</span>')
    return Markup('<span class="pass">达标</span>' if x else '<span class="fail">未达标</span>')


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=_num, pct=_pct, change=_change, verdict=_verdict)
    return env


def render(template: str, **context: Any) -> str:
    """Render a report template (autoescaped) with the common header fields."""
    from devzone import __version__

    context.setdefault("generated", dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
    context.setdefault("version", __version__)
    context.setdefault("database", "")
    context.setdefault("synthetic", False)
    return _env().get_template(template).render(**context)


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """A frame :func:`devzone.reports.xlsx.write_workbook` can write: no geometry, booleans as
    是/否, and missing cells as empty text (numbers stay numbers).

    With pandas 3 ``astype(str)`` keeps missing values as NaN, which the workbook's
    column-width estimate cannot measure; blank cells avoid that.
    """
    out = pd.DataFrame(df).drop(columns=[c for c in ("geom", "geometry") if c in df.columns])
    out = pd.DataFrame(out).copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.astype(object).map(YES_NO).where(s.notna(), "")
            continue
        if pd.api.types.is_float_dtype(s.dtype):
            s = s.replace([float("inf"), float("-inf")], float("nan"))
        if s.isna().any():
            out[col] = s.astype(object).where(s.notna(), "")
    return out


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if _missing(v) and not isinstance(v, str) else v) for k, v in r.items()}
        for r in df.to_dict("records")
    ]


def _charts_corridor(
    table: pd.DataFrame, year: int, contribution_min: float, basis: str
) -> list[dict]:
    font = cjk_font()
    if font is None:
        return []
    units = table[table["unit"].isin(["city", "corridor"])]
    zones = table[(table["unit"] == "zone") & (table["value_added_prev_wan"] > 0)]
    names = [*units["name"], *zones["name"]]
    charts = [
        {
            "title": f"规上工业增加值 {year - 1}–{year} 年 (亿元; {year} 年{basis})",
            "png": bar_chart(
                [*units["name"], *zones["name"]],
                {
                    f"{year - 1} 年": [
                        *(units["value_added_prev_wan"] / 1e4),
                        *(zones["value_added_prev_wan"] / 1e4),
                    ],
                    f"{year} 年 ({basis})": [
                        *(units["value_added_comparable_wan"] / 1e4),
                        *(zones["value_added_comparable_wan"] / 1e4),
                    ],
                },
                title=f"规上工业增加值 {year - 1}–{year} 年",
                ylabel="亿元",
                font=font,
            ),
        },
        {
            "title": f"{year} 年规上工业增加值{basis}增速: 全市、走廊与各开发区",
            "png": bar_chart(
                names,
                {f"{basis}增速": [*units["growth_real"], *zones["growth_real"]]},
                title=f"{year} 年{basis}增速",
                ylabel="增速",
                percent=True,
                font=font,
            ),
        },
    ]
    if table["contribution"].notna().any():
        part = table[table["unit"].isin(["corridor", "zone"])]
        charts.append(
            {
                "title": f"{year} 年对全市规上工业增长的贡献率 (目标 ≥ {contribution_min:.0%})",
                "png": bar_chart(
                    list(part["name"]),
                    {"贡献率": list(part["contribution"])},
                    title=f"{year} 年对全市增长的贡献率",
                    ylabel="贡献率",
                    percent=True,
                    reference=(contribution_min, f"目标 {contribution_min:.0%}"),
                    font=font,
                ),
            }
        )
    for c in charts:
        c["uri"] = data_uri(c.pop("png"))
    return charts


def _basis_labels(basis: str) -> dict[str, str]:
    """Headers of the growth columns at the report's price basis (现价 when no deflator).

    Examples
    --------
    >>> _basis_labels("现价 (未配置价格指数)")["growth_real"]
    '现价 (未配置价格指数)增速 (比值)'
    """
    return {
        "value_added_comparable_wan": f"本年规上工业增加值 {basis} (万元)",
        "growth_real": f"{basis}增速 (比值)",
        "increment_real_wan": f"{basis}增量 (万元)",
    }


def write_corridor_report(  # noqa: PLR0913 -- keyword-only parts of one report
    out_dir: Path,
    result: ContributionResult,
    *,
    year: int,
    members: pd.DataFrame,
    corridor: Mapping[str, Any],
    policy: CorridorPolicy,
    database: str = "",
    synthetic: bool = False,
    title: str = "",
) -> list[Path]:
    """Write ``走廊贡献_<year>.html`` and ``.xlsx`` into ``out_dir``; return the paths.

    Parameters
    ----------
    result
        :func:`devzone.zones.contribution.corridor_contribution` of ``year``.
    members
        ``corridor_zone`` rows.
    corridor
        ``name``, ``description``, ``area_km2``, ``parcels_inside`` of the corridor.
    policy
        The ``[corridor]`` section (scope, deflator, contribution target).
    """
    table, verdict = result.table, result.verdict
    deflator = deflator_for(policy, year)
    basis = result.price_basis
    contribution_min = policy.targets.contribution_min
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    font = cjk_font()
    rows = _records(table)
    scope_text = (
        "本年规上企业与其自身上年数据比较 (同口径)"
        if policy.scope == "comparable"
        else "各年各自的规上企业"
    )
    html = render(
        "corridor.html.j2",
        title=f"{corridor['name']} {year} 年规上工业增长贡献报告",
        year=year,
        verdict=list(verdict),
        rows=rows,
        city=rows[0],
        corridor=rows[1],
        growth_pass=result.growth_pass,
        contribution_pass=result.contribution_pass,
        contribution_min=contribution_min,
        city_fell=result.city_fell,
        members=_records(members),
        corridor_name=corridor.get("name", ""),
        corridor_description=corridor.get("description", ""),
        corridor_area=corridor.get("area_km2"),
        corridor_parcels=corridor.get("parcels_inside", ""),
        deflator=deflator,
        comparable=result.comparable,
        basis=basis,
        scope_text=scope_text,
        charts=_charts_corridor(table, year, contribution_min, basis),
        font=font or {"family": "", "path": ""},
        database=database,
        synthetic=synthetic,
    )
    html_path = out_dir / f"走廊贡献_{year}.html"
    html_path.write_text(html, encoding="utf-8")
    from devzone.reports.xlsx import write_workbook

    summary = pd.DataFrame({"结论": list(verdict)})
    member_labels = {
        "zone_code": "开发区代码",
        "zone_name": "开发区名称",
        "member_by": "划入依据 (空间缓冲区/名单)",
        "parcels": "宗地数",
    }
    xlsx_path = write_workbook(
        out_dir / f"走廊贡献_{year}.xlsx",
        {"结论": summary, "贡献率与拉动": plain(coded(table)), "走廊开发区": plain(coded(members))},
        labels={**CONTRIBUTION_LABELS, **_basis_labels(basis), **member_labels},
        notes=_corridor_notes(
            year, result, deflator, synthetic=synthetic, title=title, corridor=corridor
        ),
    )
    return [html_path, xlsx_path]


def _corridor_notes(
    year: int,
    result: ContributionResult,
    deflator: float | None,
    *,
    synthetic: bool,
    title: str,
    corridor: Mapping[str, Any],
) -> dict[str, str]:
    """The title row of each corridor sheet: year, price basis, scope, synthetic, database."""
    basis = f"价格指数 {deflator:g} (上年=1), 可比价" if result.comparable else result.price_basis
    head = f"{corridor.get('name', '')} {year} 年规上工业增长贡献; {basis}"
    tail = title or ("合成数据 (synthetic)" if synthetic else "")
    line = f"{head}; {tail}" if tail else head
    return {
        "结论": line,
        "贡献率与拉动": line,
        "走廊开发区": f"{line}; {corridor.get('description', '')}".rstrip("; "),
    }


def _charts_rank(current: pd.DataFrame, year: int) -> list[dict]:
    font = cjk_font()
    if font is None or current.empty:
        return []
    ordered = current.sort_values("score", ascending=False)
    png = bar_chart(
        [f"{n} ({t})" for n, t in zip(ordered["zone_name"], ordered["zone_type"], strict=True)],
        {"综合得分": list(ordered["score"])},
        title=f"{year} 年开发区综合得分",
        ylabel="分",
        font=font,
    )
    return [{"title": f"{year} 年开发区综合得分 (括号内为类型)", "uri": data_uri(png)}]


def _zone_notes(current: pd.DataFrame) -> list[str]:
    """``<zone>: <note>`` for every zone with a note (data gaps are said per zone).

    Examples
    --------
    >>> _zone_notes(pd.DataFrame({"zone_name": ["甲", "乙"], "note": ["", "缺失: 闲置率"]}))
    ['乙: 缺失: 闲置率']
    """
    if "note" not in current:
        return []
    notes = current["note"].fillna("").astype(str)
    names = current["zone_name"].astype(str)
    return [f"{z}: {n}" for z, n in zip(names, notes, strict=True) if n]


def write_zone_rank_report(  # noqa: PLR0913 -- keyword-only parts of one report
    out_dir: Path,
    *,
    year: int,
    current: pd.DataFrame,
    fit: pd.DataFrame | None,
    registry_problems: Sequence[str],
    sources_note: str,
    policy: ZonesPolicy,
    database: str = "",
    synthetic: bool = False,
    title: str = "",
) -> list[Path]:
    """Write ``开发区排名_<year>.html`` and ``.xlsx`` into ``out_dir``; return the paths.

    ``policy`` is the ``[zones]`` section (the thresholds the report states). A missing
    indicator is "—" (never 0); each zone's missing indicators and the weight share its
    composite rests on are shown beside its score, and every aggregate that needs data
    beyond the land classes shows its coverage (share of land with the data).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = _records(current)
    types = [
        {"name": t, "rows": _records(current[current["zone_type"] == t])}
        for t in ("工业主导型", "产城融合型")
        if (current["zone_type"] == t).any()
    ]
    html = render(
        "zone_rank.html.j2",
        title=f"{year} 年开发区土地集约利用分类评价与排名",
        year=year,
        types=types,
        rows=rows,
        indicator_labels=list(INDICATORS.items()),
        percent_keys=PERCENT_KEYS,
        coverage_of=COVERAGE_OF,
        min_known=policy.min_known_weight_share,
        min_coverage=policy.min_coverage,
        notes=_zone_notes(current),
        registry_problems=list(registry_problems),
        sources_note=sources_note,
        charts=_charts_rank(current, year),
        font=cjk_font() or {"family": "", "path": ""},
        database=database,
        synthetic=synthetic,
    )
    html_path = out_dir / f"开发区排名_{year}.html"
    html_path.write_text(html, encoding="utf-8")
    from devzone.reports.xlsx import write_workbook

    cols = [c for c in ZONE_LABELS if c in current.columns]
    sheets: dict[str, pd.DataFrame] = {"排名与指标": plain(coded(current[cols]))}
    if fit is not None and len(fit):
        sheets["产业不符宗地"] = plain(fit_labelled(fit[fit["fit"] == "misfit"]))
    line = f"{year} 年度开发区排名; {title or ('合成数据 (synthetic)' if synthetic else '')}"
    xlsx_path = write_workbook(
        out_dir / f"开发区排名_{year}.xlsx",
        sheets,
        labels={**ZONE_LABELS, **FIT_COLUMN_LABELS},
        notes={"排名与指标": f"{line.rstrip('; ')}; {sources_note}", "产业不符宗地": line},
    )
    return [html_path, xlsx_path]


def write_fit_workbook(
    path: Path, zone_shares: pd.DataFrame, parcel_fit: pd.DataFrame, *, title: str = ""
) -> Path:
    """The industry-fit workbook (``devzone zones fit --out``): zone shares, misfit parcels."""
    from devzone.reports.xlsx import write_workbook

    misfit = parcel_fit[parcel_fit["fit"] == "misfit"]
    sheets = {
        "开发区产业契合": plain(coded(zone_shares)),
        "产业不符宗地": plain(fit_labelled(misfit)),
    }
    return write_workbook(
        path,
        sheets,
        labels={**FIT_COLUMN_LABELS, **ZONE_FIT_LABELS},
        notes=dict.fromkeys(sheets, f"开发区产业契合度; {title}".rstrip("; ")) if title else None,
    )
