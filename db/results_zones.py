"""Result tables of the zone analyses (开发区分类评价, 产业契合度, 合六经济走廊).

Filled by :mod:`devzone.jobs.zones`. ``zone_evaluation`` and ``corridor_contribution``
hold one set of rows per year (rerunning a year replaces its rows);
``parcel_industry_fit``, ``corridor`` and ``corridor_zone`` are recomputed whole.
"""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, Double, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from devzone.db.schema import SRID, Base

__all__ = [
    "Corridor",
    "CorridorContribution",
    "CorridorZone",
    "ParcelIndustryFit",
    "ZoneEvaluation",
]


class ParcelIndustryFit(Base):
    """Fit of each parcel's industry with its zone's lead/main industries (产业契合度)."""

    __tablename__ = "parcel_industry_fit"
    __table_args__ = ({"comment": "宗地产业契合度 (首位/主导产业)"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    parcel_code: Mapped[str] = mapped_column(Text, index=True, comment="宗地代码")
    zone_code: Mapped[str | None] = mapped_column(Text, comment="所在开发区代码")
    industry_code: Mapped[str | None] = mapped_column(Text, comment="行业代码 GB/T 4754-2017")
    industry_name: Mapped[str | None] = mapped_column(Text, comment="产业名称")
    fit: Mapped[str] = mapped_column(
        Text, comment="契合度 lead=首位产业 main=主导产业 misfit=不符合 unknown=未知"
    )
    area_m2: Mapped[float | None] = mapped_column(Double, comment="宗地面积 (平方米)")


class ZoneEvaluation(Base):
    """Zone intensity evaluation of one year: indicators, score, rank (开发区分类评价)."""

    __tablename__ = "zone_evaluation"
    __table_args__ = ({"comment": "开发区土地集约利用评价与排名 (TD/T 1029)"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer, index=True, comment="评价年度")
    zone_code: Mapped[str] = mapped_column(Text, index=True, comment="开发区代码")
    zone_name: Mapped[str | None] = mapped_column(Text, comment="开发区名称")
    zone_type: Mapped[str | None] = mapped_column(Text, comment="类型 工业主导型/产城融合型")
    score: Mapped[float | None] = mapped_column(Double, comment="综合得分 (0–100)")
    rank: Mapped[int | None] = mapped_column(Integer, comment="类型内名次 (1=最好)")
    rank_change: Mapped[int | None] = mapped_column(
        Integer, comment="名次变化 (正=进位, 负=退位, 空=上年无可比名次)"
    )
    lead_industry: Mapped[str | None] = mapped_column(Text, comment="首位产业")
    main_industries: Mapped[str | None] = mapped_column(Text, comment="主导产业")
    area_total_ha: Mapped[float | None] = mapped_column(Double, comment="评价范围面积 A+B (公顷)")
    area_basis: Mapped[str | None] = mapped_column(
        Text, comment="面积依据 approved=核准面积 boundary=边界量算"
    )
    area_a_ha: Mapped[float | None] = mapped_column(Double, comment="已建成 A (公顷)")
    area_a1_ha: Mapped[float | None] = mapped_column(Double, comment="住宅 A1 (公顷)")
    area_a2_ha: Mapped[float | None] = mapped_column(Double, comment="工矿仓储 A2 (公顷)")
    area_b21_ha: Mapped[float | None] = mapped_column(Double, comment="已达供地条件 B21 (公顷)")
    area_d_ha: Mapped[float | None] = mapped_column(Double, comment="已供应 D (公顷)")
    area_g_ha: Mapped[float | None] = mapped_column(Double, comment="闲置 G (公顷)")
    floor_area_m2: Mapped[float | None] = mapped_column(Double, comment="总建筑面积 (平方米)")
    footprint_m2: Mapped[float | None] = mapped_column(Double, comment="建筑基底面积 (平方米)")
    invested_wan: Mapped[float | None] = mapped_column(
        Double, comment="工业用地累计固定资产投资 (万元)"
    )
    invest_from_contract: Mapped[int | None] = mapped_column(
        Integer, comment="投资取自合同承诺投资强度的宗地数 (无项目进度记录)"
    )
    tax_wan: Mapped[float | None] = mapped_column(Double, comment="税收 (万元)")
    industrial_tax_wan: Mapped[float | None] = mapped_column(Double, comment="工业用地税收 (万元)")
    development_rate: Mapped[float | None] = mapped_column(Double, comment="土地开发率")
    supply_rate: Mapped[float | None] = mapped_column(Double, comment="土地供应率")
    built_rate: Mapped[float | None] = mapped_column(Double, comment="土地建成率")
    industrial_land_rate: Mapped[float | None] = mapped_column(Double, comment="工业用地率")
    far: Mapped[float | None] = mapped_column(Double, comment="综合容积率")
    building_density: Mapped[float | None] = mapped_column(Double, comment="建筑密度")
    industrial_far: Mapped[float | None] = mapped_column(Double, comment="工业用地综合容积率")
    industrial_building_coefficient: Mapped[float | None] = mapped_column(
        Double, comment="工业用地建筑系数"
    )
    invest_intensity_wan_per_mu: Mapped[float | None] = mapped_column(
        Double, comment="工业用地固定资产投入强度 (万元/亩)"
    )
    industrial_tax_per_mu_wan: Mapped[float | None] = mapped_column(
        Double, comment="工业用地地均税收 (万元/亩)"
    )
    tax_per_mu_wan: Mapped[float | None] = mapped_column(Double, comment="综合地均税收 (万元/亩)")
    idle_rate: Mapped[float | None] = mapped_column(Double, comment="土地闲置率")
    idle_as_of: Mapped[str | None] = mapped_column(Text, comment="闲置数据基准日")
    idle_fee_wan: Mapped[float | None] = mapped_column(Double, comment="土地闲置费 (万元)")
    firms_graded: Mapped[int | None] = mapped_column(Integer, comment="分档企业数")
    share_grade_a: Mapped[float | None] = mapped_column(Double, comment="A类企业占比")
    share_grade_d: Mapped[float | None] = mapped_column(Double, comment="D类企业占比")
    land_fit_share: Mapped[float | None] = mapped_column(Double, comment="首位+主导产业用地占比")
    land_lead_share: Mapped[float | None] = mapped_column(Double, comment="首位产业用地占比")
    output_fit_share: Mapped[float | None] = mapped_column(Double, comment="首位+主导产业产值占比")
    tax_fit_share: Mapped[float | None] = mapped_column(Double, comment="首位+主导产业税收占比")
    misfit_parcels: Mapped[int | None] = mapped_column(Integer, comment="产业不符宗地数")
    building_coverage: Mapped[float | None] = mapped_column(
        Double, comment="建筑数据覆盖率 (有建筑记录的已建成用地占比)"
    )
    industrial_building_coverage: Mapped[float | None] = mapped_column(
        Double, comment="建筑数据覆盖率 (有建筑记录的工业用地占比)"
    )
    invest_coverage: Mapped[float | None] = mapped_column(
        Double, comment="投资数据覆盖率 (有投资记录或承诺的工业用地占比)"
    )
    tax_coverage: Mapped[float | None] = mapped_column(
        Double, comment="税收数据覆盖率 (有税收数据企业使用的已建成用地占比)"
    )
    industrial_tax_coverage: Mapped[float | None] = mapped_column(
        Double, comment="税收数据覆盖率 (有税收数据企业使用的工业用地占比)"
    )
    known_weight_share: Mapped[float | None] = mapped_column(
        Double, comment="有数据指标的权重占比 (综合得分按其重新归一)"
    )
    missing_indicators: Mapped[str | None] = mapped_column(Text, comment="缺失、未计分的指标")
    note: Mapped[str | None] = mapped_column(Text, comment="说明")


class Corridor(Base):
    """The corridor polygon used by the analyses (合六经济走廊范围)."""

    __tablename__ = "corridor"
    __table_args__ = ({"comment": "合六经济走廊范围"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, comment="名称")
    method: Mapped[str | None] = mapped_column(Text, comment="划定方式 geometry=轴线缓冲 list=名单")
    description: Mapped[str | None] = mapped_column(Text, comment="划定说明")
    area_km2: Mapped[float | None] = mapped_column(Double, comment="面积 (平方千米)")
    geom: Mapped[object] = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True),
        nullable=True,
        comment="范围 (CGCS2000)",
    )


class CorridorZone(Base):
    """Zones inside the corridor (走廊内开发区)."""

    __tablename__ = "corridor_zone"
    __table_args__ = ({"comment": "走廊内开发区"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    zone_code: Mapped[str] = mapped_column(Text, index=True, comment="开发区代码")
    zone_name: Mapped[str | None] = mapped_column(Text, comment="开发区名称")
    member_by: Mapped[str] = mapped_column(
        Text, comment="依据 geometry=位于轴线缓冲区内 list=名单指定"
    )
    parcels: Mapped[int | None] = mapped_column(Integer, comment="走廊内宗地数")


class CorridorContribution(Base):
    """Scale-industry value added and growth of the city, corridor and zones (贡献率)."""

    __tablename__ = "corridor_contribution"
    __table_args__ = ({"comment": "走廊规上工业增加值贡献率与拉动"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer, index=True, comment="报告年度")
    unit: Mapped[str] = mapped_column(Text, comment="单元 city=全市 corridor=走廊 zone=开发区")
    zone_code: Mapped[str | None] = mapped_column(Text, comment="开发区代码 (unit=zone)")
    name: Mapped[str | None] = mapped_column(Text, comment="名称")
    in_corridor: Mapped[bool | None] = mapped_column(Boolean, comment="是否在走廊内")
    firms: Mapped[int | None] = mapped_column(Integer, comment="规上企业数")
    value_added_prev_wan: Mapped[float | None] = mapped_column(
        Double, comment="上年规上工业增加值 (万元)"
    )
    value_added_wan: Mapped[float | None] = mapped_column(
        Double, comment="本年规上工业增加值 (现价, 万元)"
    )
    value_added_comparable_wan: Mapped[float | None] = mapped_column(
        Double, comment="本年规上工业增加值 (上年价格, 万元)"
    )
    growth_nominal: Mapped[float | None] = mapped_column(Double, comment="现价增速")
    growth_real: Mapped[float | None] = mapped_column(Double, comment="可比价增速")
    increment_real_wan: Mapped[float | None] = mapped_column(Double, comment="可比价增量 (万元)")
    contribution: Mapped[float | None] = mapped_column(
        Double, comment="对全市增长贡献率 (比值; 全市增量≤0 时为空)"
    )
    pull_pp: Mapped[float | None] = mapped_column(Double, comment="拉动全市增长 (百分点)")
    note: Mapped[str | None] = mapped_column(Text, comment="说明")
