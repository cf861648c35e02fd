"""Result tables of the idle-land and exit analyses (闲置土地, 项目退出机制).

Filled by :func:`devzone.jobs.idle.run_idle`; one set of rows per as-of date
(rerunning a date replaces its rows).
"""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, Date, Double, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from devzone.db.schema import SRID, Base

__all__ = ["ExitCandidate", "ParcelIdleStatus", "ZoneIdleSummary"]


class ParcelIdleStatus(Base):
    """Idle-land status of every supplied parcel on an as-of date (闲置土地台账)."""

    __tablename__ = "parcel_idle_status"
    __table_args__ = ({"comment": "闲置土地状态 (闲置土地处置办法, 国土资源部令第53号)"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of_date: Mapped[dt.date] = mapped_column(Date, index=True, comment="评估基准日")
    parcel_code: Mapped[str | None] = mapped_column(Text, index=True, comment="宗地代码")
    supervision_no: Mapped[str | None] = mapped_column(Text, index=True, comment="电子监管号")
    zone_code: Mapped[str | None] = mapped_column(Text, comment="所在开发区代码")
    holder: Mapped[str | None] = mapped_column(Text, comment="土地使用权人")
    location: Mapped[str | None] = mapped_column(Text, comment="坐落")
    area_m2: Mapped[float | None] = mapped_column(Double, comment="宗地面积 (平方米)")
    price_wan: Mapped[float | None] = mapped_column(Double, comment="成交价格 (万元)")
    agreed_start_date: Mapped[dt.date | None] = mapped_column(Date, comment="约定开工时间")
    agreed_completion_date: Mapped[dt.date | None] = mapped_column(Date, comment="约定竣工时间")
    actual_start_date: Mapped[dt.date | None] = mapped_column(Date, comment="实际开工时间")
    actual_completion_date: Mapped[dt.date | None] = mapped_column(Date, comment="实际竣工时间")
    status: Mapped[str] = mapped_column(
        Text,
        comment="状态 not_supplied 未供/not_due 未到期/overdue 逾期未满一年/idle_fee 征收闲置费/"
        "idle_recover 无偿收回/idle_stalled 中止开发闲置/government_cause 政府原因/"
        "under_construction 在建/completed 竣工/completed_late 逾期竣工/no_start_date 无约定开工日",
    )
    status_reason: Mapped[str | None] = mapped_column(Text, comment="状态说明")
    start_evidence: Mapped[str | None] = mapped_column(
        Text, comment="开工依据 actual_start_date 实际开工时间/buildings 建筑基底/none 无"
    )
    footprint_share: Mapped[float | None] = mapped_column(
        Double, comment="建筑基底占宗地面积比例 (0-1)"
    )
    developed_share: Mapped[float | None] = mapped_column(Double, comment="已开发面积占比 (0-1)")
    invest_share: Mapped[float | None] = mapped_column(Double, comment="已完成投资占比 (0-1)")
    idle_since: Mapped[dt.date | None] = mapped_column(Date, comment="闲置起始日")
    days_idle: Mapped[int | None] = mapped_column(Integer, comment="已闲置天数 (日)")
    next_deadline: Mapped[dt.date | None] = mapped_column(
        Date, comment="下一处置节点日期 (满一年征费/满两年收回)"
    )
    next_measure: Mapped[str | None] = mapped_column(
        Text, comment="下一处置措施 idle_fee 征收闲置费/idle_recover 无偿收回"
    )
    days_to_deadline: Mapped[int | None] = mapped_column(Integer, comment="距下一节点天数 (日)")
    idle_fee_wan: Mapped[float | None] = mapped_column(
        Double, comment="土地闲置费 (万元, 成交价格×20%)"
    )
    fee_note: Mapped[str | None] = mapped_column(Text, comment="闲置费说明")
    government_cause: Mapped[str | None] = mapped_column(Text, comment="政府原因 (第八条)")
    cause_check: Mapped[str | None] = mapped_column(
        Text, comment="原因认定 (识别的第八条原因/是否政府原因标记/待确认: 原文)"
    )
    disposal_options: Mapped[str | None] = mapped_column(
        Text, comment="可选处置方式 (第十二条, 以；分隔)"
    )
    supervision_category: Mapped[str | None] = mapped_column(
        Text, comment="监管分类 批而未供/供而未用/用而未尽"
    )
    far: Mapped[float | None] = mapped_column(Double, comment="实际容积率")
    far_min: Mapped[float | None] = mapped_column(Double, comment="约定容积率下限")
    geom: Mapped[object] = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True),
        nullable=True,
        comment="宗地界址 (CGCS2000)",
    )


class ExitCandidate(Base):
    """Land of zombie/bankrupt firms and missed standard-land commitments (退出候选)."""

    __tablename__ = "exit_candidate"
    __table_args__ = ({"comment": "项目退出机制候选 (僵尸企业、破产企业、标准地承诺未达标)"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of_date: Mapped[dt.date] = mapped_column(Date, index=True, comment="评估基准日")
    parcel_code: Mapped[str | None] = mapped_column(Text, index=True, comment="宗地代码")
    zone_code: Mapped[str | None] = mapped_column(Text, comment="所在开发区代码")
    credit_code: Mapped[str | None] = mapped_column(Text, comment="统一社会信用代码")
    enterprise_name: Mapped[str | None] = mapped_column(Text, comment="企业名称")
    reason: Mapped[str] = mapped_column(
        Text,
        comment="退出原因 bankrupt 破产/suspended 停产/zombie 僵尸企业/"
        "commitment_missed 标准地承诺未达标",
    )
    reason_detail: Mapped[str | None] = mapped_column(Text, comment="原因说明")
    area_m2: Mapped[float | None] = mapped_column(Double, comment="可腾退土地面积 (平方米)")
    area_mu: Mapped[float | None] = mapped_column(Double, comment="可腾退土地面积 (亩)")
    disposal_route: Mapped[str | None] = mapped_column(
        Text, comment="处置方式 (由规划人员填写: 股份合作/租赁承包/破产重组/整体出让/收回处置)"
    )
    tax_relief_eligible: Mapped[bool | None] = mapped_column(
        Boolean, comment="新业主可申请城镇土地使用税减免或缓缴"
    )


class ZoneIdleSummary(Base):
    """Per-zone totals by status and supervision category (开发区闲置土地与监管分类汇总).

    Long format, one row per (zone, kind, category): ``kind`` is ``status`` (category = a
    ``parcel_idle_status.status``), ``supervision`` (批而未供/供而未用/用而未尽) or
    ``zone`` (``核准面积未供``: the zone's approved area minus its supplied land).
    """

    __tablename__ = "zone_idle_summary"
    __table_args__ = ({"comment": "开发区闲置土地与监管分类汇总"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of_date: Mapped[dt.date] = mapped_column(Date, index=True, comment="评估基准日")
    zone_code: Mapped[str | None] = mapped_column(Text, comment="开发区代码 (空=未落入开发区)")
    kind: Mapped[str] = mapped_column(
        Text, comment="汇总类别 status 状态/supervision 监管分类/zone 开发区核准面积"
    )
    category: Mapped[str] = mapped_column(Text, comment="状态或监管分类")
    parcels: Mapped[int | None] = mapped_column(Integer, comment="宗数 (宗)")
    area_ha: Mapped[float | None] = mapped_column(Double, comment="面积 (公顷)")
    idle_fee_wan: Mapped[float | None] = mapped_column(
        Double, comment="应征土地闲置费 (万元; 价款缺失的宗地不计入)"
    )
    fee_unknown_parcels: Mapped[int | None] = mapped_column(
        Integer, comment="价款缺失无法计费宗数 (宗)"
    )
