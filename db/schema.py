"""The unified industrial-land database (全市统一的工业用地信息数据库): one schema.

SQLAlchemy 2 typed ORM + GeoAlchemy2, the same tables on a GeoPackage file and on
PostGIS. Conventions a QGIS or psql user can rely on:

* every table has an integer ``fid`` primary key (GeoPackage feature tables need
  one) and a unique natural key from the registry (``zone_code``, ``parcel_code``,
  ``supervision_no``, ``credit_code`` + ``year`` …);
* geometries are ``MULTIPOLYGON`` in CGCS2000 (EPSG:4490), column ``geom``;
* areas are in m² (``*_m2``), hectares (``*_ha``) or 亩 (``*_mu``), money in 万元
  (``*_wan``), energy in tonnes of standard coal (``*_tce``), as the suffix says;
* every loaded row carries its provenance: source file, row number, load batch,
  load time, and a content hash (``row_hash``) that makes reloading idempotent.

Two registry records describe a piece of industrial land and are kept apart, as the
registries keep them: :class:`LandSupply` (供地结果, keyed by 电子监管号, no geometry)
and :class:`Parcel` (宗地, keyed by 宗地代码, with geometry), linked by
``supervision_no``. Analyses join them (:func:`devzone.db.io.parcels_with_contract`).

Analysis result tables are declared in ``db/results_*.py`` on the same :data:`Base`
metadata and listed in :data:`devzone.db.results.RESULT_TABLES`.
"""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Double,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from devzone.units import SRID

__all__ = [
    "GPKG_DATETIME_FORMAT",
    "SRID",
    "Base",
    "Building",
    "District",
    "Enterprise",
    "EnterpriseIndicator",
    "LandSupply",
    "LoadBatch",
    "Parcel",
    "ParcelEnterprise",
    "ProjectProgress",
    "ResultVintage",
    "UtcDateTime",
    "Zone",
    "gpkg_datetime_text",
]


#: GeoPackage stores DATETIME as ISO-8601 text ``YYYY-MM-DDTHH:MM:SS.SSSZ`` (spec
#: §1.1.1.1.1); SQLAlchemy's SQLite default (a space, microseconds) makes GDAL warn
#: "Non-conformant content". Timestamps are UTC, naive in Python.
GPKG_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def gpkg_datetime_text(value: dt.datetime) -> str:
    """A datetime as GeoPackage DATETIME text (milliseconds, ``Z``)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class _GpkgDateTime(sqlite.DATETIME):
    """SQLite/GeoPackage DATETIME in the GeoPackage text format."""

    def bind_processor(self, dialect):
        def process(value: object) -> object:
            if value is None or isinstance(value, str):
                return value
            return gpkg_datetime_text(value)  # type: ignore[arg-type]

        return process

    def result_processor(self, dialect, coltype):
        def process(value: object) -> object:
            if value is None or isinstance(value, dt.datetime):
                return value
            return dt.datetime.fromisoformat(str(value).replace("Z", "")).replace(tzinfo=None)

        return process


UtcDateTime = DateTime().with_variant(_GpkgDateTime(), "sqlite", "geopackage")


def _geom(comment: str) -> Mapped[object]:
    return mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=True, comment=comment
    )


class Base(DeclarativeBase):
    """Declarative base of every devzone table."""


class LoadBatch(Base):
    """One ETL load (one ``devzone etl load`` invocation): 加载批次."""

    __tablename__ = "load_batch"
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, comment="开始时间 (UTC)")
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, comment="结束时间 (UTC)")
    files: Mapped[str | None] = mapped_column(Text, comment="源文件 (以换行分隔)")
    kinds: Mapped[str | None] = mapped_column(Text, comment="数据类型")
    rows_read: Mapped[int | None] = mapped_column(Integer, comment="读取行数")
    inserted: Mapped[int | None] = mapped_column(Integer, comment="新增")
    updated: Mapped[int | None] = mapped_column(Integer, comment="更新")
    unchanged: Mapped[int | None] = mapped_column(Integer, comment="未变")
    rejected: Mapped[int | None] = mapped_column(Integer, comment="拒收")
    tool_version: Mapped[str | None] = mapped_column(Text, comment="devzone 版本")
    data_note: Mapped[str | None] = mapped_column(
        Text, comment="数据说明 (源文件所注, 如 合成数据)"
    )
    os_user: Mapped[str | None] = mapped_column(Text, comment="操作系统用户 (加载人)")
    db_role: Mapped[str | None] = mapped_column(Text, comment="数据库角色 (PostGIS current_user)")


class _Provenance:
    """Provenance columns of every loaded row (数据来源)."""

    src_file: Mapped[str | None] = mapped_column(Text, comment="来源文件")
    src_row: Mapped[int | None] = mapped_column(Integer, comment="来源行号 (数据行, 从1起)")
    batch_id: Mapped[int | None] = mapped_column(Integer, comment="加载批次 load_batch.fid")
    loaded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, comment="加载时间 (UTC)")
    row_hash: Mapped[str | None] = mapped_column(Text, comment="内容摘要 (幂等加载用)")
    raw_hash: Mapped[str | None] = mapped_column(
        Text, comment="原始记录摘要 (清洗前; 增量重载用, etl/incremental.py)"
    )


class District(_Provenance, Base):
    """Administrative division (行政区划): city, district or county boundary."""

    __tablename__ = "district"
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    adcode: Mapped[str] = mapped_column(Text, unique=True, comment="行政区划代码")
    name: Mapped[str] = mapped_column(Text, comment="名称")
    level: Mapped[str | None] = mapped_column(Text, comment="级别 city/district")
    parent_adcode: Mapped[str | None] = mapped_column(Text, comment="上级行政区划代码")
    geom: Mapped[object] = _geom("边界 (CGCS2000)")


class Zone(_Provenance, Base):
    """Development zone (开发区) with its lead (首位) and main (主导) industries."""

    __tablename__ = "dev_zone"
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    zone_code: Mapped[str] = mapped_column(Text, unique=True, comment="开发区代码 (目录代码)")
    name: Mapped[str] = mapped_column(Text, comment="开发区名称")
    level: Mapped[str | None] = mapped_column(Text, comment="批准级别 (国务院/省政府)")
    zone_type: Mapped[str | None] = mapped_column(Text, comment="开发区类型")
    district_code: Mapped[str | None] = mapped_column(Text, comment="所在县区行政区划代码")
    approval_date: Mapped[dt.date | None] = mapped_column(Date, comment="批准时间")
    approved_area_ha: Mapped[float | None] = mapped_column(Double, comment="核准面积 (公顷)")
    catalog_industries: Mapped[str | None] = mapped_column(Text, comment="目录所列主导产业 (原文)")
    lead_industry: Mapped[str | None] = mapped_column(Text, comment="首位产业")
    main_industries: Mapped[str | None] = mapped_column(Text, comment="主导产业 (以、分隔)")
    geom: Mapped[object] = _geom("开发区边界 (CGCS2000)")


class LandSupply(_Provenance, Base):
    """Land-supply result (供地结果) as published by the land-market portal."""

    __tablename__ = "land_supply"
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    supervision_no: Mapped[str] = mapped_column(Text, unique=True, comment="电子监管号")
    parcel_code: Mapped[str | None] = mapped_column(Text, index=True, comment="宗地代码")
    district_name: Mapped[str | None] = mapped_column(Text, comment="行政区")
    project_name: Mapped[str | None] = mapped_column(Text, comment="项目名称")
    location: Mapped[str | None] = mapped_column(Text, comment="项目位置")
    area_ha: Mapped[float | None] = mapped_column(Double, comment="面积 (公顷)")
    land_source: Mapped[str | None] = mapped_column(Text, comment="土地来源")
    land_use: Mapped[str | None] = mapped_column(Text, comment="土地用途")
    supply_method: Mapped[str | None] = mapped_column(Text, comment="供地方式")
    use_years: Mapped[float | None] = mapped_column(Double, comment="土地使用年限 (年)")
    industry: Mapped[str | None] = mapped_column(Text, comment="行业分类 (原文)")
    industry_code: Mapped[str | None] = mapped_column(Text, comment="行业代码 GB/T 4754-2017")
    land_grade: Mapped[str | None] = mapped_column(Text, comment="土地级别")
    price_wan: Mapped[float | None] = mapped_column(Double, comment="成交价格 (万元)")
    holder: Mapped[str | None] = mapped_column(Text, comment="土地使用权人")
    far_min: Mapped[float | None] = mapped_column(Double, comment="约定容积率下限")
    far_max: Mapped[float | None] = mapped_column(Double, comment="约定容积率上限")
    agreed_delivery_date: Mapped[dt.date | None] = mapped_column(Date, comment="约定交地时间")
    agreed_start_date: Mapped[dt.date | None] = mapped_column(Date, comment="约定开工时间")
    agreed_completion_date: Mapped[dt.date | None] = mapped_column(Date, comment="约定竣工时间")
    actual_start_date: Mapped[dt.date | None] = mapped_column(Date, comment="实际开工时间")
    actual_completion_date: Mapped[dt.date | None] = mapped_column(Date, comment="实际竣工时间")
    approved_by: Mapped[str | None] = mapped_column(Text, comment="批准单位")
    contract_date: Mapped[dt.date | None] = mapped_column(Date, comment="合同签订日期")
    committed_invest_wan_per_mu: Mapped[float | None] = mapped_column(
        Double, comment="承诺投资强度 (万元/亩, 标准地)"
    )
    committed_tax_wan_per_mu: Mapped[float | None] = mapped_column(
        Double, comment="承诺亩均税收 (万元/亩/年, 标准地)"
    )
    committed_check_date: Mapped[dt.date | None] = mapped_column(
        Date, comment="达产复核日期 (标准地)"
    )


class Parcel(_Provenance, Base):
    """Cadastral parcel (宗地) of industrial land."""

    __tablename__ = "parcel"
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    parcel_code: Mapped[str] = mapped_column(Text, unique=True, comment="宗地代码")
    supervision_no: Mapped[str | None] = mapped_column(
        Text, index=True, comment="电子监管号 (关联供地结果)"
    )
    zone_code: Mapped[str | None] = mapped_column(Text, index=True, comment="所在开发区代码")
    holder: Mapped[str | None] = mapped_column(Text, comment="权利人")
    location: Mapped[str | None] = mapped_column(Text, comment="坐落")
    area_m2: Mapped[float | None] = mapped_column(Double, comment="宗地面积 (平方米, 登记)")
    land_use: Mapped[str | None] = mapped_column(Text, comment="用途")
    geom: Mapped[object] = _geom("宗地界址 (CGCS2000)")


class Enterprise(_Provenance, Base):
    """Enterprise (企业), keyed by its unified social credit code (统一社会信用代码).

    ``status`` is one of ``operating`` (在营), ``suspended`` (停产), ``bankrupt``
    (破产), ``closed`` (注销/关闭). ``production_start_year`` (投产年份) drives the
    transition period of the performance evaluation.
    """

    __tablename__ = "enterprise"
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    credit_code: Mapped[str] = mapped_column(Text, unique=True, comment="统一社会信用代码")
    name: Mapped[str] = mapped_column(Text, comment="企业名称")
    industry_code: Mapped[str | None] = mapped_column(Text, comment="行业代码 GB/T 4754-2017")
    is_above_scale: Mapped[bool | None] = mapped_column(Boolean, comment="是否规上")
    status: Mapped[str | None] = mapped_column(Text, comment="经营状态")
    production_start_year: Mapped[int | None] = mapped_column(Integer, comment="投产年份")


class EnterpriseIndicator(_Provenance, Base):
    """Enterprise annual indicators (企业年度指标), one row per firm and year."""

    __tablename__ = "enterprise_indicator"
    __table_args__ = (UniqueConstraint("credit_code", "year"),)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    credit_code: Mapped[str] = mapped_column(Text, index=True, comment="统一社会信用代码")
    year: Mapped[int] = mapped_column(Integer, comment="年度")
    name: Mapped[str | None] = mapped_column(Text, comment="企业名称")
    industry_code: Mapped[str | None] = mapped_column(Text, comment="行业代码 GB/T 4754-2017")
    is_above_scale: Mapped[bool | None] = mapped_column(Boolean, comment="是否规上")
    status: Mapped[str | None] = mapped_column(Text, comment="经营状态")
    tax_wan: Mapped[float | None] = mapped_column(Double, comment="税收实际贡献 (万元)")
    revenue_wan: Mapped[float | None] = mapped_column(Double, comment="营业收入 (万元)")
    value_added_wan: Mapped[float | None] = mapped_column(Double, comment="工业增加值 (万元)")
    energy_tce: Mapped[float | None] = mapped_column(Double, comment="综合能耗 (吨标准煤)")
    emissions_t: Mapped[float | None] = mapped_column(Double, comment="主要污染物排放当量 (吨)")
    rd_wan: Mapped[float | None] = mapped_column(Double, comment="研发经费 (万元)")
    employees: Mapped[float | None] = mapped_column(Double, comment="年平均职工人数 (人)")
    tech_invest_wan: Mapped[float | None] = mapped_column(Double, comment="技改投资 (万元)")


class ParcelEnterprise(_Provenance, Base):
    """Which enterprise uses which parcel, and how much of it (宗地企业对照)."""

    __tablename__ = "parcel_enterprise"
    __table_args__ = (UniqueConstraint("parcel_code", "credit_code"),)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    parcel_code: Mapped[str] = mapped_column(Text, index=True, comment="宗地代码")
    credit_code: Mapped[str] = mapped_column(Text, index=True, comment="统一社会信用代码")
    used_area_m2: Mapped[float | None] = mapped_column(Double, comment="使用面积 (平方米)")
    match_method: Mapped[str | None] = mapped_column(Text, comment="关联方式 link_file/holder_name")


class Building(_Provenance, Base):
    """Building or structure footprint (建筑物/构筑物)."""

    __tablename__ = "building"
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    building_code: Mapped[str] = mapped_column(
        Text, unique=True, comment="建筑编号 (无则为几何摘要)"
    )
    parcel_code: Mapped[str | None] = mapped_column(Text, index=True, comment="所在宗地代码")
    floors: Mapped[int | None] = mapped_column(Integer, comment="层数")
    height_m: Mapped[float | None] = mapped_column(Double, comment="建筑高度 (米)")
    floor_area_m2: Mapped[float | None] = mapped_column(Double, comment="建筑面积 (平方米)")
    footprint_m2: Mapped[float | None] = mapped_column(Double, comment="基底面积 (平方米)")
    use: Mapped[str | None] = mapped_column(Text, comment="用途 (生产/仓储/行政办公/生活服务…)")
    geom: Mapped[object] = _geom("建筑基底 (CGCS2000)")


class ProjectProgress(_Provenance, Base):
    """Project progress record (项目进度) of a supplied parcel.

    ``project_key`` is the 电子监管号 when given, else the 宗地代码. A project's reports
    form a series: one row per project and 填报日期 (``project_key`` + ``report_date``);
    :func:`devzone.db.history.latest_progress` picks the report in force on a date.
    ``government_cause`` names a cause of the idle-land measures' Art. 8 (政府原因).
    """

    __tablename__ = "project_progress"
    __table_args__ = (UniqueConstraint("project_key", "report_date"),)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_key: Mapped[str] = mapped_column(
        Text, index=True, comment="项目键 (电子监管号/宗地代码)"
    )
    supervision_no: Mapped[str | None] = mapped_column(Text, index=True, comment="电子监管号")
    parcel_code: Mapped[str | None] = mapped_column(Text, index=True, comment="宗地代码")
    report_date: Mapped[dt.date | None] = mapped_column(Date, comment="填报日期")
    developed_area_m2: Mapped[float | None] = mapped_column(Double, comment="已开发面积 (平方米)")
    invested_wan: Mapped[float | None] = mapped_column(Double, comment="已完成投资 (万元)")
    total_invest_wan: Mapped[float | None] = mapped_column(Double, comment="计划总投资 (万元)")
    suspended_date: Mapped[dt.date | None] = mapped_column(Date, comment="停工日期")
    resumed_date: Mapped[dt.date | None] = mapped_column(Date, comment="复工日期")
    government_cause: Mapped[str | None] = mapped_column(Text, comment="政府原因 (第八条)")
    government_cause_flag: Mapped[bool | None] = mapped_column(
        Boolean, comment="是否政府原因 (明确标记, 优先于原因文本)"
    )
    extended_start_date: Mapped[dt.date | None] = mapped_column(
        Date, comment="延期开工时间 (第十二条延长动工开发期限至)"
    )


class ResultVintage(Base):
    """Which data vintage (load batch) a stored result was computed on (结果数据版本).

    One row per result table and ``replace_where`` key (``{"year": 2019}`` as JSON
    text; empty for a whole-table result), written by
    :func:`devzone.db.io.write_frame` in the transaction that writes the rows.
    """

    __tablename__ = "result_vintage"
    __table_args__ = (UniqueConstraint("result_table", "result_key"),)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    result_table: Mapped[str] = mapped_column(Text, comment="结果表")
    result_key: Mapped[str] = mapped_column(Text, comment="结果范围 (replace_where, JSON)")
    data_batch: Mapped[int | None] = mapped_column(Integer, comment="数据版本 load_batch.fid")
    computed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, comment="计算时间 (UTC)")
    command: Mapped[str | None] = mapped_column(Text, comment="计算命令")
