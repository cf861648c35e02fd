"""Field specifications of the eight export kinds and their header aliases (字段别名).

Each kind maps to one table of :mod:`devzone.db.schema`. A header in a file is matched
after normalising it (:func:`normalise_header`): full-width → half-width, spaces and
punctuation removed, lower case, and any unit in brackets split off (``面积(公顷)`` →
``面积`` + unit ``公顷``). Aliases cover the Chinese names of the registries, English
names, the English keys of the land-market portal scraper (``idnumber``,
``plot_ratio_minimum`` …, see ``shared/reference/landchina``) and the pinyin
abbreviations of the cadastral standard TD/T 1015 (``ZDDM``, ``QLR``, ``ZL``, ``ZDMJ``,
``YT``, ``DZJGH``, ``KFQDM``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from devzone.errors import InputError

__all__ = [
    "IGNORED_HEADERS",
    "KINDS",
    "KIND_ALIASES",
    "Field",
    "KindSpec",
    "UnrecognisedFileError",
    "match_headers",
    "normalise_header",
]


class UnrecognisedFileError(InputError):
    """A readable file whose headers map to no export kind (skipped, not fatal)."""


#: Normalised headers that carry no data of their own and do not count against a kind
#: (data notes, serial numbers, GIS housekeeping columns).
IGNORED_HEADERS = frozenset(
    {
        "数据说明",
        "sjsm",
        "备注",
        "bz",
        "序号",
        "xh",
        "fid",
        "id",
        "objectid",
        "ogcfid",
        "shapeleng",
        "shapearea",
        "shapelength",
        "url",
        "header",
        "link",
    }
)


@dataclass(frozen=True)
class Field:
    """One canonical column: its type, unit and the header aliases that map to it.

    ``ftype`` is one of ``text``, ``code`` (identifier, upper-cased), ``date``,
    ``year``, ``num``, ``int``, ``bool``; ``unit`` is the canonical unit of a number
    (``m2``, ``ha``, ``wan``, ``wan_per_mu`` …) used to convert values whose header or
    cell names another unit.
    """

    name: str
    ftype: str
    aliases: tuple[str, ...]
    unit: str | None = None
    label: str = ""


@dataclass(frozen=True)
class KindSpec:
    """An export kind: target table, key columns, fields, whether it has geometry."""

    kind: str
    table: str
    label: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    spatial: bool = False
    required: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    def by_name(self) -> dict[str, Field]:
        """Fields keyed by canonical name."""
        return {f.name: f for f in self.fields}


def F(name: str, ftype: str, label: str, *aliases: str, unit: str | None = None) -> Field:
    """Shorthand: the label is always an alias too."""
    return Field(name, ftype, (label, *aliases), unit=unit, label=label)


_SUPPLY = KindSpec(
    kind="supply",
    table="land_supply",
    label="供地结果",
    key=("supervision_no",),
    required=("supervision_no",),
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
        F("tax_wan", "num", "税收实际贡献", "tax_wan", "tax", "实缴税金", "税收", unit="wan"),
        F("revenue_wan", "num", "营业收入", "revenue_wan", "revenue", "主营业务收入", unit="wan"),
        F("value_added_wan", "num", "工业增加值", "value_added_wan", "value_added", unit="wan"),
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
        F("rd_wan", "num", "研发经费", "rd_wan", "rd", "研发经费支出", unit="wan"),
        F("employees", "num", "年平均职工人数", "employees", "职工人数", unit="person"),
        F("tech_invest_wan", "num", "技改投资", "tech_invest_wan", "技术改造投资", unit="wan"),
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
    key=("project_key",),
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

_UNIT_RE = re.compile(r"[\(（\[【]([^\)）\]】]*)[\)）\]】]\s*$")
_OPEN_UNIT_RE = re.compile(r"[\(（\[【][^\)）\]】]*$")
_PUNCT_RE = re.compile(r"[\s_\-·.:：/\\\"'`]+")


def normalise_header(header: object) -> tuple[str, str | None]:
    """A header's matching key and the unit named in brackets, if any.

    Examples
    --------
    >>> normalise_header("面积（公顷）")
    ('面积', '公顷')
    >>> normalise_header(" Plot_Ratio_Minimum ")
    ('plotratiominimum', None)
    """
    text = unicodedata.normalize("NFKC", str(header)).strip()
    unit = None
    m = _UNIT_RE.search(text)
    if m and m.start() > 0:
        unit = m.group(1).strip() or None
        text = text[: m.start()]
    else:  # a unit cut off by the 10-byte .dbf field-name limit: 核准面积(
        text = _OPEN_UNIT_RE.sub("", text) or text
    return _PUNCT_RE.sub("", text).lower(), unit


def _alias_key(alias: str) -> str:
    return normalise_header(alias)[0]


_ALIAS_INDEX: dict[str, dict[str, str]] = {
    kind: {_alias_key(a): f.name for f in spec.fields for a in f.aliases}
    for kind, spec in KINDS.items()
}


def match_headers(kind: str, headers: list[object]) -> dict[object, tuple[str, str | None]]:
    """Map a file's headers to ``kind``'s canonical fields.

    Returns
    -------
    dict
        ``{header: (canonical name, unit from the header or None)}`` for every header
        that matched; the first header wins when two map to one field.
    """
    index = _ALIAS_INDEX[kind]
    out: dict[object, tuple[str, str | None]] = {}
    taken: set[str] = set()
    for h in headers:
        key, unit = normalise_header(h)
        name = index.get(key)
        if name and name not in taken:
            out[h] = (name, unit)
            taken.add(name)
    for h in headers:  # .dbf field names cut at 10 bytes: 所在县区代码 → 所在县区代
        if h in out or not _dbf_truncated(str(h)):
            continue
        key, unit = normalise_header(h)
        names = {n for a, n in index.items() if a.startswith(key) and n not in taken}
        if len(key) >= 3 and len(names) == 1:
            name = names.pop()
            out[h] = (name, unit)
            taken.add(name)
    return out


def _dbf_truncated(header: str) -> bool:
    """True when a header fills the 10 bytes of a .dbf field name (GBK or UTF-8)."""
    sizes = {len(header.encode(enc, errors="replace")) for enc in ("gb18030", "utf-8")}
    return bool(sizes & {9, 10}) and not header.isascii()
