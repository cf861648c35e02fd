"""The registry of export kinds, and recognising a file's kind from its headers.

Every kind is one :class:`~devzone.etl.fields.KindSpec` below: its table, key, fields
and header aliases, and the hooks (:mod:`devzone.etl.hooks`) for what it does
differently. Adding a kind means adding one spec here (and its table in
:mod:`devzone.db.schema`).

Examples
--------
>>> detect_kind(["电子监管号", "项目名称", "面积(公顷)", "数据说明"])[0]
'supply'
>>> detect_kind(["宗地代码", "填报日期", "已完成投资(万元)"])[0]
'progress'
>>> KIND_ALIASES["宗地"], KINDS["buildings"].locate
('parcels', ('parcel_code', 'parcel'))
"""

from __future__ import annotations

from devzone.etl import hooks
from devzone.etl.fields import (
    IGNORED_HEADERS,
    Field,
    KindSpec,
    UnrecognisedFileError,
    match_headers,
    normalise_header,
)

__all__ = [
    "CASE_LEDGER",
    "CASE_LEDGER_ALIASES",
    "CASE_LEDGER_LABEL",
    "KINDS",
    "KIND_ALIASES",
    "MIN_COVERAGE",
    "detect_kind",
]


def F(
    name: str, ftype: str, label: str, *aliases: str, unit: str | None = None, signed: bool = False
) -> Field:
    """Shorthand: the label is always an alias too; ``signed`` numbers may be negative."""
    return Field(name, ftype, (label, *aliases), unit=unit, label=label, signed=signed)


_SUPPLY = KindSpec(
    kind="supply",
    table="land_supply",
    label="供地结果",
    key=("supervision_no",),
    required=("supervision_no",),
    names_holders=True,
    fields=(
        F(
            "supervision_no",
            "code",
            "电子监管号",
            "idnumber",
            "dzjgh",
            "supervision_no",
            "supervisionno",
            "监管号",
        ),
        F("parcel_code", "code", "宗地代码", "zddm", "parcel_code", "宗地编号", "地块编号"),
        F("district_name", "text", "行政区", "district", "district_name", "xzq", "行政区域"),
        F("project_name", "text", "项目名称", "project_name", "name", "project", "xmmc"),
        F("location", "text", "项目位置", "location", "坐落", "地块位置"),
        F(
            "area_ha",
            "num",
            "面积",
            "area",
            "area_ha",
            "供地面积",
            "出让面积",
            "土地面积",
            unit="ha",
        ),
        F("land_source", "text", "土地来源", "source", "land_source"),
        F("land_use", "text", "土地用途", "use", "land_use"),
        F("supply_method", "text", "供地方式", "supply", "supply_method"),
        F("use_years", "num", "土地使用年限", "duration", "use_years", "使用年限", unit="year"),
        F("industry", "text", "行业分类", "industry"),
        F("industry_code", "code", "行业代码", "industry_code", "hydm"),
        F("land_grade", "text", "土地级别", "grade", "land_grade"),
        F("price_wan", "num", "成交价格", "price", "price_wan", "成交价", unit="wan"),
        F("holder", "text", "土地使用权人", "holder", "受让人", "受让单位", "用地单位"),
        F(
            "far_min",
            "num",
            "约定容积率下限",
            "plot_ratio_minimum",
            "far_min",
            "容积率下限",
            unit="ratio",
        ),
        F(
            "far_max",
            "num",
            "约定容积率上限",
            "plot_ratio_maximum",
            "far_max",
            "容积率上限",
            unit="ratio",
        ),
        F(
            "agreed_delivery_date",
            "date",
            "约定交地时间",
            "time4handover_plan",
            "agreed_delivery_date",
            "约定交地日期",
        ),
        F(
            "agreed_start_date",
            "date",
            "约定开工时间",
            "time4commencement_plan",
            "agreed_start_date",
            "约定开工日期",
        ),
        F(
            "agreed_completion_date",
            "date",
            "约定竣工时间",
            "time4completion_plan",
            "agreed_completion_date",
            "约定竣工日期",
        ),
        F(
            "actual_start_date",
            "date",
            "实际开工时间",
            "time4commencement_reality",
            "actual_start_date",
            "实际开工日期",
        ),
        F(
            "actual_completion_date",
            "date",
            "实际竣工时间",
            "time4completion_reality",
            "actual_completion_date",
            "实际竣工日期",
        ),
        F("approved_by", "text", "批准单位", "approvedby", "approved_by"),
        F("contract_date", "date", "合同签订日期", "date4sign", "contract_date", "签订日期"),
        F(
            "committed_invest_wan_per_mu",
            "num",
            "承诺投资强度",
            "committed_invest_wan_per_mu",
            "投资强度",
            unit="wan_per_mu",
        ),
        F(
            "committed_tax_wan_per_mu",
            "num",
            "承诺亩均税收",
            "committed_tax_wan_per_mu",
            "亩均税收",
            unit="wan_per_mu",
        ),
        F("committed_check_date", "date", "达产复核日期", "committed_check_date"),
    ),
)

_PARCEL = KindSpec(
    kind="parcels",
    table="parcel",
    label="宗地",
    key=("parcel_code",),
    required=("parcel_code",),
    spatial=True,
    names_holders=True,
    measure=hooks.measure_missing_area,
    finish=hooks.parcel_area,
    locate=("zone_code", "dev_zone"),
    fields=(
        F("parcel_code", "code", "宗地代码", "zddm", "parcel_code", "宗地编号"),
        F("supervision_no", "code", "电子监管号", "dzjgh", "supervision_no", "idnumber"),
        F("zone_code", "code", "开发区代码", "kfqdm", "zone_code"),
        F("holder", "text", "权利人", "qlr", "holder", "土地使用权人", "使用权人"),
        F("location", "text", "坐落", "zl", "location", "宗地坐落"),
        F("area_m2", "num", "宗地面积", "zdmj", "area_m2", "area", unit="m2"),
        F("land_use", "text", "用途", "yt", "land_use", "土地用途"),
    ),
)

_INDICATOR = KindSpec(
    kind="indicators",
    table="enterprise_indicator",
    label="企业年度指标",
    key=("credit_code", "year"),
    required=("credit_code", "year"),
    names_holders=True,
    finish=hooks.indicator_status,
    derive=hooks.derive_enterprises,
    fields=(
        F(
            "credit_code",
            "code",
            "统一社会信用代码",
            "credit_code",
            "tyshxydm",
            "信用代码",
            "社会信用代码",
        ),
        F("name", "text", "企业名称", "enterprise_name", "company", "qymc", "name"),
        F("year", "year", "年度", "year", "年份", "统计年度"),
        F("industry_code", "code", "行业代码", "industry_code", "hydm", "国民经济行业代码"),
        F("is_above_scale", "bool", "是否规上", "is_above_scale", "规上企业", "是否规模以上"),
        F(
            "tax_wan",
            "num",
            "税收实际贡献",
            "tax_wan",
            "tax",
            "实缴税金",
            "税收",
            unit="wan",
            signed=True,
        ),
        F(
            "revenue_wan",
            "num",
            "营业收入",
            "revenue_wan",
            "revenue",
            "主营业务收入",
            unit="wan",
            signed=True,
        ),
        F(
            "value_added_wan",
            "num",
            "工业增加值",
            "value_added_wan",
            "value_added",
            unit="wan",
            signed=True,
        ),
        F("energy_tce", "num", "综合能耗", "energy_tce", "energy", unit="tce"),
        F(
            "emissions_t",
            "num",
            "主要污染物排放当量",
            "emissions_t",
            "emissions",
            "污染物排放当量",
            unit="t",
        ),
        F("rd_wan", "num", "研发经费", "rd_wan", "rd", "研发经费支出", unit="wan", signed=True),
        F("employees", "num", "年平均职工人数", "employees", "职工人数", unit="person"),
        F(
            "tech_invest_wan",
            "num",
            "技改投资",
            "tech_invest_wan",
            "技术改造投资",
            unit="wan",
            signed=True,
        ),
        F("status", "text", "经营状态", "status", "企业状态"),
        F("production_start_year", "year", "投产年份", "production_start_year", "投产年度"),
    ),
)

_LINK = KindSpec(
    kind="links",
    table="parcel_enterprise",
    label="宗地企业对照",
    key=("parcel_code", "credit_code"),
    required=("parcel_code", "credit_code"),
    link_file=True,
    stamp=(("match_method", "link_file"),),
    before_write=hooks.replace_name_links,
    fields=(
        F("parcel_code", "code", "宗地代码", "zddm", "parcel_code"),
        F("credit_code", "code", "统一社会信用代码", "credit_code", "tyshxydm", "信用代码"),
        F("used_area_m2", "num", "使用面积", "used_area_m2", "used_area", "占地面积", unit="m2"),
    ),
)

_BUILDING = KindSpec(
    kind="buildings",
    table="building",
    label="建筑",
    key=("building_code",),
    spatial=True,
    detect_any=("floors", "floor_area_m2", "building_code"),
    measure=hooks.measure_all,
    finish=hooks.building_codes,
    locate=("parcel_code", "parcel"),
    fields=(
        F("building_code", "code", "建筑编号", "building_code", "jzbh", "建筑物编号", "幢号", "zh"),
        F("parcel_code", "code", "宗地代码", "zddm", "parcel_code"),
        F("floors", "int", "层数", "floors", "cs", "zcs", "总层数"),
        F("height_m", "num", "建筑高度", "height_m", "height", "jzgd", unit="m"),
        F("floor_area_m2", "num", "建筑面积", "floor_area_m2", "floor_area", "jzmj", unit="m2"),
        F("use", "text", "用途", "use", "yt", "建筑用途", "房屋用途"),
    ),
)

_PROGRESS = KindSpec(
    kind="progress",
    table="project_progress",
    label="项目进度",
    key=("project_key", "report_date"),
    required_any=("supervision_no", "parcel_code"),
    detect_any=(
        "invested_wan",
        "developed_area_m2",
        "total_invest_wan",
        "report_date",
        "government_cause",
        "suspended_date",
    ),
    finish=hooks.project_key,
    fields=(
        F("supervision_no", "code", "电子监管号", "dzjgh", "supervision_no", "idnumber"),
        F("parcel_code", "code", "宗地代码", "zddm", "parcel_code"),
        F("report_date", "date", "填报日期", "report_date", "报送日期"),
        F("developed_area_m2", "num", "已开发面积", "developed_area_m2", unit="m2"),
        F("invested_wan", "num", "已完成投资", "invested_wan", "累计完成投资", unit="wan"),
        F("total_invest_wan", "num", "计划总投资", "total_invest_wan", "总投资", unit="wan"),
        F("suspended_date", "date", "停工日期", "suspended_date"),
        F("resumed_date", "date", "复工日期", "resumed_date"),
        F("government_cause", "text", "政府原因", "government_cause", "闲置原因"),
        F(
            "government_cause_flag",
            "bool",
            "是否政府原因",
            "government_cause_flag",
            "sfzfyy",
        ),
        F(
            "extended_start_date",
            "date",
            "延期开工时间",
            "extended_start_date",
            "延长动工期限至",
            "延长开工期限至",
        ),
    ),
)

_ZONE = KindSpec(
    kind="zones",
    table="dev_zone",
    label="开发区",
    key=("zone_code",),
    required=("zone_code", "name"),
    spatial=True,
    fields=(
        F("zone_code", "code", "开发区代码", "zone_code", "kfqdm", "目录代码", "代码"),
        F("name", "text", "开发区名称", "zone_name", "kfqmc", "name"),
        F("level", "text", "批准级别", "level", "级别"),
        F("zone_type", "text", "开发区类型", "zone_type", "类型"),
        F("district_code", "code", "所在县区代码", "district_code", "行政区划代码"),
        F("approval_date", "date", "批准时间", "approval_date", "批准日期"),
        F("approved_area_ha", "num", "核准面积", "approved_area_ha", unit="ha"),
        F("catalog_industries", "text", "目录主导产业", "catalog_industries"),
        F("lead_industry", "text", "首位产业", "lead_industry"),
        F("main_industries", "text", "主导产业", "main_industries"),
    ),
)

_DISTRICT = KindSpec(
    kind="districts",
    table="district",
    label="行政区划",
    key=("adcode",),
    required=("adcode", "name"),
    spatial=True,
    fields=(
        F("adcode", "code", "行政区划代码", "adcode", "xzqdm", "区划代码"),
        F("name", "text", "名称", "name", "xzqmc", "行政区名称"),
        F("level", "text", "级别", "level"),
        F("parent_adcode", "code", "上级代码", "parent_adcode", "parent", "上级行政区划代码"),
    ),
)

#: Every kind, in the order files are written (zones before parcels before buildings).
KINDS: dict[str, KindSpec] = {
    s.kind: s for s in (_DISTRICT, _ZONE, _SUPPLY, _PARCEL, _INDICATOR, _LINK, _BUILDING, _PROGRESS)
}

#: Other spellings accepted for ``--kind`` (singular, table names, Chinese labels).
KIND_ALIASES: dict[str, str] = {
    **{k: k for k in KINDS},
    **{s.table: s.kind for s in KINDS.values()},
    **{s.label: s.kind for s in KINDS.values()},
    "parcel": "parcels",
    "indicator": "indicators",
    "enterprise": "indicators",
    "link": "links",
    "building": "buildings",
    "zone": "zones",
    "district": "districts",
    "land_supply": "supply",
}


#: The filled case ledger (案件台账, written by ``devzone cases due --out``): not a
#: registry table, so not in :data:`KINDS`; recognised by
#: :func:`devzone.landuse.cases.is_case_ledger` and recorded as case events by
#: :func:`devzone.etl.hooks.record_case_ledger`.
CASE_LEDGER = "case_ledger"
CASE_LEDGER_LABEL = "案件台账"
CASE_LEDGER_ALIASES = (CASE_LEDGER, "cases", "case", "land_case_event", CASE_LEDGER_LABEL)


#: Share of a file's (non-ignored) columns a kind must map to be recognised by --kind auto.
MIN_COVERAGE = 0.5


def detect_kind(
    headers: list[object], *, has_geometry: bool = False, file: str | None = None
) -> tuple[str, str]:
    """The kind whose fields match most headers, and why it was chosen.

    A kind is a candidate only when its key/required fields are all present (and, for
    the spatial kinds parcel/building/zone/district, when geometry is present or the
    match is otherwise unambiguous). Ties go to the kind listed first in
    :data:`KINDS`.

    A kind must also map at least :data:`MIN_COVERAGE` of the file's columns (data
    notes such as 数据说明 aside), so a file that merely contains ``parcel_code`` and
    ``credit_code`` among many other columns (a test manifest, a report) is not taken
    for a link table.

    Raises
    ------
    UnrecognisedFileError
        No kind has its required fields among the headers.
    """
    useful = [h for h in headers if normalise_header(h)[0] not in IGNORED_HEADERS]
    useful = [h for h in useful if not str(h).startswith("列")]
    best: tuple[int, str] | None = None
    scores: dict[str, int] = {}
    for kind, spec in KINDS.items():
        matched = {name for name, _ in match_headers(spec, headers).values()}
        if not spec.detectable(matched) or len(matched) < MIN_COVERAGE * max(len(useful), 1):
            continue
        score = len(matched) + (1 if spec.spatial == has_geometry else 0)
        scores[kind] = score
        if best is None or score > best[0]:
            best = (score, kind)
    if best is None:
        raise UnrecognisedFileError(
            "cannot tell which kind of export this is: no kind has its key fields (and at "
            "least half of the columns) among the headers "
            f"({', '.join(map(str, headers[:15]))}); name it with --kind",
            file=file,
        )
    kind = best[1]
    others = ", ".join(
        f"{k} {v}" for k, v in sorted(scores.items(), key=lambda x: -x[1]) if k != kind
    )
    matched = best[0] - (1 if KINDS[kind].spatial == has_geometry else 0)
    why = f"{KINDS[kind].label} ({kind}): {matched} fields matched"
    if others:
        why += f" (other candidates: {others})"
    return kind, why
