"""The typed policy: one frozen section per TOML table, every knob documented here.

Each class mirrors one table of ``data/policy/*.toml`` (``[idle]`` → :class:`IdlePolicy`,
``[performance]`` → :class:`PerformancePolicy`, …). The values themselves live only in
the TOML files, with their sources beside them: no field has a default number here, so
a number in code can never disagree with the file. Unknown keys, wrong types and
out-of-range shares are refused when the policy is loaded
(:func:`devzone.policy.load_policy`), naming the file, the table and the key.

Rule functions take the section they need (``idle_status(..., policy=IdlePolicy)``),
never the whole :class:`Policy` and never a file.

Examples
--------
>>> from devzone.policy import load_policy
>>> load_policy().idle.fee_rate
0.2
>>> sorted(load_policy().performance.weights)
['above', 'below']
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AxisPoint",
    "Basemap",
    "CaseClocks",
    "CaseDocument",
    "CasesPolicy",
    "CorridorPolicy",
    "CorridorTargets",
    "EntryRule",
    "EtlPolicy",
    "ExitPolicy",
    "GradeCuts",
    "HistoryPolicy",
    "IdleNoticePolicy",
    "IdlePolicy",
    "IntensityPolicy",
    "MapsPolicy",
    "PerformancePolicy",
    "Policy",
    "ScoreIndicator",
    "ScoringPolicy",
    "Section",
    "ZoneAdmission",
    "ZoneStyle",
    "ZoneTypeRule",
    "ZonesPolicy",
]

#: A share or rate between 0 and 1 (both included).
Share = Annotated[float, Field(ge=0.0, le=1.0)]
#: A positive rate above 0, at most 1.
Rate = Annotated[float, Field(gt=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
Years = Annotated[int, Field(ge=0)]
Days = Annotated[int, Field(ge=0)]
Colour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]


class Section(BaseModel):
    """Base of every section: frozen, strict types, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --- [idle] ---------------------------------------------------------------------------


class IdleNoticePolicy(Section):
    """[idle.notice] — who issues the Order 53 documents, and their time limits."""

    issuer: str  #: issuing authority (Art. 9: 市、县国土资源主管部门)
    doc_no_prefix: str  #: 文号 prefix, e.g. 六自然资闲
    reply_days: Days  #: Art. 9: the holder answers the 调查通知书 within this many days
    fee_payment_days: Days  #: Art. 14: fee paid within this many days of service
    cancel_registration_days: Days  #: Art. 15/16: registration cancelled within this many days
    basis_investigation: str  #: legal basis quoted in the 调查通知书
    basis_determination: str  #: legal basis quoted in the 认定书
    basis_fee: str  #: legal basis quoted in the 征缴土地闲置费决定书
    basis_recovery: str  #: legal basis quoted in the 收回决定书


class IdlePolicy(Section):
    """[idle] — 闲置土地处置办法 (国土资源部令第53号)."""

    idle_after_years: Annotated[int, Field(ge=1)]  #: Art. 2 满一年
    recover_after_years: Annotated[int, Field(ge=1)]  #: Art. 14 (二) 满两年 → 无偿收回
    fee_rate: Rate  #: Art. 14 (一) 土地闲置费 share of the price
    stalled_developed_share: Share  #: Art. 2: developed area below this share (1/3)
    stalled_invest_share: Share  #: Art. 2: investment below this share (25%)
    stalled_after_years: Annotated[int, Field(ge=1)]  #: Art. 2: suspended 满一年
    start_footprint_share: Share  #: footprints covering this share count as started (UNCONFIRMED)
    share_tolerance: Annotated[float, Field(ge=0.0, lt=1e-3)]  #: relative, measured shares
    recover_stalled: bool  #: Art. 14 (二) read to reach stalled land suspended 满两年
    no_cause_values: list[str]  #: values of government_cause meaning "none recorded"
    government_causes: list[str]  #: Art. 8 causes (and force majeure)
    cause_keywords: dict[str, list[str]]  #: Art. 8 cause → regexes recognising it in text
    holder_cause_patterns: list[str]  #: regexes showing the holder's own cause
    disposal_options: list[str]  #: Art. 12 options for government-caused idle land
    notice: IdleNoticePolicy


class ExitPolicy(Section):
    """[exit] — 项目退出机制, zombie and bankrupt firms' land (seed §9)."""

    zombie_years: Annotated[int, Field(ge=1)]  #: years with no revenue and no tax
    bankrupt_statuses: list[str]
    suspended_statuses: list[str]
    disposal_routes: list[str]  #: the seed's five routes (股份合作 … 收回处置)
    tax_relief_reasons: list[str]  #: reasons whose land qualifies for tax relief
    status_aliases: dict[str, str]  #: 经营状态 text → enterprise.status code


# --- [cases] --------------------------------------------------------------------------


class CaseClocks(Section):
    """[cases.clocks] — the statutory time limits of the idle-land procedure."""

    investigation_days: Days  #: Art. 9: 调查通知书 within this many days of finding
    answer_days: Days  #: Art. 9: the holder answers within this many days of service
    hearing_request_working_days: Days  #: 国土资源听证规定: hearing requested within (UNCONFIRMED)
    fee_payment_days: Days  #: Art. 14: fee paid within this many days of service
    cancel_registration_days: Days  #: registration cancelled within this many days
    max_extension_years: Annotated[int, Field(ge=1)]  #: Art. 12 (一): extension ≤ 1 year
    review_days: Days  #: 行政复议法: 60 days
    suit_months: Annotated[int, Field(ge=1)]  #: 行政诉讼法 Art. 46: 6 months


class CaseDocument(Section):
    """[cases.documents.<kind>] — one official document and the event that serves it."""

    template: str  #: file name in the templates folder
    title: str  #: 标题
    event: str  #: event type recorded when the document is served
    basis: str  #: legal basis quoted in the text


class CasesPolicy(Section):
    """[cases] — case tracking (案件): states, transitions, clocks and documents."""

    templates_dir: str  #: folder of the .docx templates ("" → shipped ones)
    doc_no_prefix: str  #: 文号 prefix
    case_id_prefixes: dict[str, str]  #: procedure → case-id prefix
    review_body: str  #: 复议机关 named in the appeal paragraph
    court: str  #: court named in the appeal paragraph
    clocks: CaseClocks
    transitions: dict[str, str]  #: event type → state it moves the case to
    requires: dict[str, list[str]]  #: event type → events one of which must precede it
    routes: dict[str, list[str]]  #: procedure → disposal routes offered in the ledger
    documents: dict[str, CaseDocument]


# --- [intensity] ---------------------------------------------------------------------


class EntryRule(Section):
    """[intensity.entry_rule] — Lu'an's entry standard (六政〔2014〕66号)."""

    min_invest_wan_per_mu: NonNegative  #: total investment ≥ this 万元/亩 …
    min_tax_wan_per_mu: NonNegative  #: … or 亩均税收 ≥ this 万元/亩/年


class IntensityPolicy(Section):
    """[intensity] — 工业项目建设用地控制指标 (国土资发〔2008〕24号) and Lu'an's rules."""

    double_storey_height_m: Positive  #: a storey taller than this counts double in FAR
    double_storey_factor: Annotated[float, Field(ge=1.0)]
    min_building_coefficient: Share  #: 建筑系数 ≥ 30%
    max_admin_share_national: Share  #: 行政办公及生活服务设施 ≤ 7% (national)
    max_admin_share: Share  #: the limit applied (Lu'an 6%)
    admin_uses: list[str]  #: building uses counted as admin/living facilities
    threshold_tolerance: Share  #: relative tolerance at which every threshold is judged
    entry_rule: EntryRule
    min_far_2002: dict[str, NonNegative]  #: minimum FAR by GB/T 4754-2002 division
    industry_2017_to_2002: dict[str, str]  #: GB/T 4754-2017 → 2002 code prefixes


# --- [performance] -------------------------------------------------------------------


class ScoringPolicy(Section):
    """[performance.scoring] — how indicators become a score."""

    method: Literal["benchmark_ratio", "county_mean", "fixed", "min_max"]
    cap: Positive  #: cap on value ÷ benchmark (UNCONFIRMED 2.0)
    benchmark_multiplier: Positive  #: benchmark = multiplier × mean
    min_max_floor: NonNegative  #: 旌德 formula floor
    min_max_span: NonNegative  #: 旌德 formula span


class GradeCuts(Section):
    """[performance.grades] — grade by rank share r/n within a group."""

    A: Share
    B: Share
    C: Share
    tie_method: Literal["min", "average", "max", "first", "dense"]
    score_decimals: Annotated[int, Field(ge=0, le=12)]  #: scores compared at this precision
    nonpositive_grade_d: bool  #: a score of 0 or less is D whatever its rank


class PerformancePolicy(Section):
    """[performance] — 亩均效益评价 (皖经信运行〔2021〕108号, 浙政发〔2018〕5号)."""

    min_land_mu_below: NonNegative  #: 规下 firms evaluated from this many 亩
    min_land_mu_above: NonNegative  #: 规上 firms evaluated from this many 亩
    land_mu_decimals: Annotated[int, Field(ge=0, le=6)]  #: 亩 compared at certificate precision
    transition_years: Years  #: 过渡期: year − production start < this → T
    transition_statuses: list[str]
    exempt_industry_prefixes: list[str]  #: utilities, waste, sewage (GB/T 4754-2017)
    excluded_statuses: list[str]
    scoring: ScoringPolicy
    weights: dict[str, dict[str, NonNegative]]  #: group → indicator → weight
    fixed_benchmarks: dict[str, dict[str, Positive]]  #: group → indicator → benchmark
    grades: GradeCuts


# --- [zones] -------------------------------------------------------------------------


class ZoneTypeRule(Section):
    """[zones.type] — TD/T 1029 工业主导型 vs 产城融合型."""

    industrial_share_min: Share
    residential_share_max: Share


class ZoneAdmission(Section):
    """[zones.admission] — entry check fall-back (used without [intensity.entry_rule])."""

    invest_wan_per_mu_min: NonNegative
    tax_wan_per_mu_min: NonNegative
    invest_or_tax: bool


class ScoreIndicator(Section):
    """[zones.score.<indicator>] — weight, ideal and worst value of one indicator."""

    weight: NonNegative
    ideal: float
    worst: float


class ZonesPolicy(Section):
    """[zones] — zone registry, industry fit and 开发区分类评价 (TD/T 1029, seed §七)."""

    lead_count: Annotated[int, Field(ge=1)]  #: 1 首位产业
    main_min: Annotated[int, Field(ge=0)]  #: 2–3 主导产业
    main_max: Annotated[int, Field(ge=0)]
    main_separator: str
    industries_file: str  #: industry vocabulary, relative to data/
    industrial_use_words: list[str]
    residential_use_words: list[str]
    idle_statuses: list[str]  #: parcel_idle_status.status counted as idle land G
    type: ZoneTypeRule
    admission: ZoneAdmission
    score: dict[str, ScoreIndicator]
    score_decimals: Annotated[int, Field(ge=0, le=12)]  #: indicators and scores compared at this
    min_known_weight_share: Share  #: below this share of known weight a zone is not ranked
    min_coverage: Share  #: an aggregate whose land coverage is below this is flagged


# --- [corridor] ----------------------------------------------------------------------


class CorridorTargets(Section):
    """[corridor.targets] — seed §七."""

    growth_above_city: bool  #: corridor grows faster than the city
    contribution_min: Share  #: ≥ 45% of the city's growth


class AxisPoint(Section):
    """[[corridor.axis]] — one point of an explicit axis polyline (lon/lat)."""

    place: str | None = None
    lon: Annotated[float, Field(ge=-180.0, le=180.0)]
    lat: Annotated[float, Field(ge=-90.0, le=90.0)]


class CorridorPolicy(Section):
    """[corridor] — 合六经济走廊 geometry and targets (configurable, UNCONFIRMED members)."""

    name: str
    axis_cities: list[str]
    extend_km: NonNegative
    buffer_km: NonNegative
    city_adcode: str
    members: list[str]
    exclude: list[str]
    scope: Literal["comparable", "annual"]
    targets: CorridorTargets
    deflator: dict[str, Positive]  #: report year → price index (previous year = 1)
    axis: list[AxisPoint] = []


# --- [maps] --------------------------------------------------------------------------


class Basemap(Section):
    """[maps.basemaps.<name>] — a tile source."""

    label: str
    crs: Literal["WGS84", "GCJ-02"]
    url: str
    labels_url: str  #: an annotation tile layer drawn over ``url`` ("" = none)
    subdomains: str
    attribution: str
    max_zoom: Annotated[int, Field(ge=0, le=24)]


class ZoneStyle(Section):
    """[maps.zones] — colours of zones, corridor and districts."""

    palette: list[Colour]
    no_lead_color: Colour
    corridor_color: Colour
    district_color: Colour


class MapsPolicy(Section):
    """[maps] — display choices (labels come from :mod:`devzone.vocab`)."""

    default_basemap: str
    tianditu_key: str  #: 天地图 key (``{tk}`` in a basemap URL); "" = from CLI / environment
    precision: Annotated[int, Field(ge=0, le=9)]
    fill_opacity: Share
    basemaps: dict[str, Basemap]
    grade_colors: dict[str, Colour]  #: grade code → colour
    idle_colors: dict[str, Colour]  #: drawn idle statuses → colour
    misfit_color: Colour
    zones: ZoneStyle


# --- [etl] ----------------------------------------------------------------------------


class EtlPolicy(Section):
    """[etl] — conventions of the registry exports (``devzone etl load``)."""

    #: cells of an optional field read as blank (with a note in the load summary)
    placeholders: list[str]
    #: further placeholders of optional date fields (未开工 …)
    date_placeholders: list[str]


# --- [history] ----------------------------------------------------------------------


class HistoryPolicy(Section):
    """[history] — what ``devzone etl diff`` calls out as a change that matters to a rule."""

    #: an area (registered ``area_m2``/``area_ha``, or the measured boundary) changed by
    #: more than this share of its old value (|new − old| / old)
    area_change_tolerance: Share


class Policy(Section):
    """The whole policy: one section per TOML table."""

    performance: PerformancePolicy
    intensity: IntensityPolicy
    idle: IdlePolicy
    exit: ExitPolicy
    zones: ZonesPolicy
    corridor: CorridorPolicy
    maps: MapsPolicy
    cases: CasesPolicy
    etl: EtlPolicy
    history: HistoryPolicy
