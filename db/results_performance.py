"""Result tables of the 亩均效益 evaluation and the intensity check (``devzone score``).

Filled by :mod:`devzone.jobs.score`; QGIS users join ``parcel_performance`` and
``parcel_intensity`` to the ``parcel`` layer on ``parcel_code``.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Double, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from devzone.db.schema import Base

__all__ = ["EnterpriseEvaluation", "GradeChange", "ParcelIntensity", "ParcelPerformance"]


class EnterpriseEvaluation(Base):
    """Enterprise evaluation (企业亩均效益评价) of one year: indicators, score, grade."""

    __tablename__ = "enterprise_evaluation"
    __table_args__ = ({"comment": "企业亩均效益评价结果"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer, index=True, comment="评价年度")
    credit_code: Mapped[str] = mapped_column(Text, index=True, comment="统一社会信用代码")
    name: Mapped[str | None] = mapped_column(Text, comment="企业名称")
    zone_code: Mapped[str | None] = mapped_column(Text, comment="所在开发区代码 (用地最多的宗地)")
    industry_code: Mapped[str | None] = mapped_column(Text, comment="行业代码 GB/T 4754-2017")
    group_name: Mapped[str | None] = mapped_column(Text, comment="评价组别 above=规上 below=规下")
    evaluated: Mapped[bool | None] = mapped_column(Boolean, comment="是否参评")
    grade: Mapped[str | None] = mapped_column(
        Text, comment="等级 A/B/C/D, T=过渡期或免评, 空=未参评"
    )
    score: Mapped[float | None] = mapped_column(Double, comment="综合得分 (分)")
    rank: Mapped[int | None] = mapped_column(Integer, comment="组内排名 (并列取最优名次)")
    group_size: Mapped[int | None] = mapped_column(Integer, comment="组内分档企业数")
    zone_rank: Mapped[int | None] = mapped_column(Integer, comment="开发区内组内排名 (企业排行榜)")
    land_mu: Mapped[float | None] = mapped_column(Double, comment="用地面积 (亩)")
    tax_per_mu_wan: Mapped[float | None] = mapped_column(Double, comment="亩均税收 (万元/亩)")
    revenue_per_mu_wan: Mapped[float | None] = mapped_column(
        Double, comment="亩均营业收入 (万元/亩)"
    )
    value_added_per_mu_wan: Mapped[float | None] = mapped_column(
        Double, comment="亩均增加值 (万元/亩)"
    )
    value_added_per_tce: Mapped[float | None] = mapped_column(
        Double, comment="单位能耗增加值 (万元/吨标准煤)"
    )
    value_added_per_emission_t: Mapped[float | None] = mapped_column(
        Double, comment="单位排放增加值 (万元/吨)"
    )
    rd_intensity: Mapped[float | None] = mapped_column(
        Double, comment="研发经费投入强度 (研发经费/营业收入, 比值)"
    )
    labour_productivity_wan: Mapped[float | None] = mapped_column(
        Double, comment="全员劳动生产率 (万元/人)"
    )
    tech_invest_per_mu_wan: Mapped[float | None] = mapped_column(
        Double, comment="亩均技改投资 (万元/亩)"
    )
    note: Mapped[str | None] = mapped_column(
        Text, comment="说明 (transition/exempt/below_threshold/no_land/缺指标)"
    )


class ParcelPerformance(Base):
    """Per-parcel performance (宗地亩均效益): the grade and indicators of its firms."""

    __tablename__ = "parcel_performance"
    __table_args__ = ({"comment": "宗地亩均效益"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer, index=True, comment="评价年度")
    parcel_code: Mapped[str] = mapped_column(Text, index=True, comment="宗地代码")
    zone_code: Mapped[str | None] = mapped_column(Text, comment="所在开发区代码")
    grade: Mapped[str | None] = mapped_column(
        Text, comment="等级 A/B/C/D/T (占地最多的参评企业), none=无"
    )
    score: Mapped[float | None] = mapped_column(Double, comment="得分 (按面积加权, 分)")
    tax_per_mu_wan: Mapped[float | None] = mapped_column(
        Double, comment="亩均税收 (万元/亩, 按面积加权)"
    )
    revenue_per_mu_wan: Mapped[float | None] = mapped_column(
        Double, comment="亩均营业收入 (万元/亩, 按面积加权)"
    )
    enterprise_count: Mapped[int | None] = mapped_column(Integer, comment="用地企业数")
    performance_note: Mapped[str | None] = mapped_column(
        Text, comment="no_enterprise=无企业, no_indicators=企业无当年指标"
    )
    enterprise_names: Mapped[str | None] = mapped_column(
        Text, comment="用地企业 (按占地面积降序, 同面积按信用代码; 以、分隔)"
    )


class ParcelIntensity(Base):
    """Per-parcel land-use intensity (宗地集约利用) against the control indicators."""

    __tablename__ = "parcel_intensity"
    __table_args__ = ({"comment": "宗地集约利用与控制指标"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int | None] = mapped_column(Integer, comment="评价年度 (承诺与准入核查)")
    parcel_code: Mapped[str] = mapped_column(Text, index=True, comment="宗地代码")
    zone_code: Mapped[str | None] = mapped_column(Text, comment="所在开发区代码")
    industry_code: Mapped[str | None] = mapped_column(Text, comment="行业代码 GB/T 4754-2017")
    industry_code_2002: Mapped[str | None] = mapped_column(
        Text, comment="行业大类 GB/T 4754-2002 (控制指标用)"
    )
    area_m2: Mapped[float | None] = mapped_column(Double, comment="宗地面积 (平方米)")
    floor_area_m2: Mapped[float | None] = mapped_column(
        Double, comment="计容建筑面积 (平方米, 层高>8米加倍)"
    )
    footprint_m2: Mapped[float | None] = mapped_column(Double, comment="建筑基底面积 (平方米)")
    far: Mapped[float | None] = mapped_column(Double, comment="容积率")
    building_coefficient: Mapped[float | None] = mapped_column(Double, comment="建筑系数 (比值)")
    admin_share: Mapped[float | None] = mapped_column(
        Double, comment="行政办公及生活服务设施用地所占比重 (比值, 空=未知)"
    )
    invest_intensity_wan_per_mu: Mapped[float | None] = mapped_column(
        Double, comment="投资强度 (万元/亩)"
    )
    invest_source: Mapped[str | None] = mapped_column(
        Text, comment="投资强度来源 progress=项目进度已完成投资 commitment=合同承诺"
    )
    tax_per_mu_wan: Mapped[float | None] = mapped_column(Double, comment="亩均税收 (万元/亩)")
    required_far: Mapped[float | None] = mapped_column(
        Double, comment="应达容积率 (行业下限与合同下限取大)"
    )
    far_ok: Mapped[bool | None] = mapped_column(Boolean, comment="容积率达标")
    coefficient_ok: Mapped[bool | None] = mapped_column(Boolean, comment="建筑系数达标")
    admin_ok: Mapped[bool | None] = mapped_column(Boolean, comment="行政办公比重达标")
    entry_rule_ok: Mapped[bool | None] = mapped_column(
        Boolean, comment="六安准入 (投资强度或亩均税收) 达标"
    )
    commitment_ok: Mapped[bool | None] = mapped_column(
        Boolean, comment="标准地承诺达标 (空=无承诺或未到复核日期)"
    )
    addable_floor_area_m2: Mapped[float | None] = mapped_column(
        Double, comment="达到应达容积率可增建筑面积 (平方米)"
    )


class GradeChange(Base):
    """Grade change year on year (等级变化) of each evaluated enterprise."""

    __tablename__ = "grade_change"
    __table_args__ = ({"comment": "企业等级年度变化"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer, index=True, comment="评价年度")
    credit_code: Mapped[str] = mapped_column(Text, comment="统一社会信用代码")
    name: Mapped[str | None] = mapped_column(Text, comment="企业名称")
    zone_code: Mapped[str | None] = mapped_column(Text, comment="所在开发区代码")
    group_name: Mapped[str | None] = mapped_column(Text, comment="评价组别 above/below")
    grade_prev: Mapped[str | None] = mapped_column(Text, comment="上年等级")
    grade: Mapped[str | None] = mapped_column(Text, comment="本年等级")
    score_prev: Mapped[float | None] = mapped_column(Double, comment="上年得分 (分)")
    score: Mapped[float | None] = mapped_column(Double, comment="本年得分 (分)")
    change: Mapped[str | None] = mapped_column(
        Text, comment="up=升档 down=降档 same=不变 new=新参评 other=其他"
    )
