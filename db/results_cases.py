"""Case tables (案件, 案件记录): the idle-land and exit procedures, step by step.

Unlike the other result tables these are **never rebuilt**: a case is opened once by
:func:`devzone.db.cases_io.propose_cases` and moves on through the events an officer
records (:func:`devzone.db.cases_io.record_events`). Reloading the registry exports or
rerunning the analysis leaves them as they are; only their clock columns (``next_due``,
``days_left``, ``overdue``) are refreshed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, Double, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from devzone.db.schema import Base

__all__ = ["LandCase", "LandCaseEvent"]


class LandCase(Base):
    """One procedure on one parcel, from suspicion to closing (案件)."""

    __tablename__ = "land_case"
    __table_args__ = ({"comment": "案件 (闲置土地处置/项目退出, 国土资源部令第53号)"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(
        Text, unique=True, index=True, comment="案件编号 IDLE-<宗地代码>-<序号>"
    )
    procedure: Mapped[str] = mapped_column(
        Text, comment="程序 idle 闲置土地处置/exit 项目退出/commitment 标准地承诺未达标"
    )
    parcel_code: Mapped[str | None] = mapped_column(Text, index=True, comment="宗地代码")
    supervision_no: Mapped[str | None] = mapped_column(Text, comment="电子监管号")
    zone_code: Mapped[str | None] = mapped_column(Text, comment="所在开发区代码")
    county: Mapped[str | None] = mapped_column(Text, comment="所在县区行政区划代码")
    holder: Mapped[str | None] = mapped_column(Text, comment="土地使用权人")
    location: Mapped[str | None] = mapped_column(Text, comment="坐落")
    area_m2: Mapped[float | None] = mapped_column(Double, comment="宗地面积 (平方米)")
    price_wan: Mapped[float | None] = mapped_column(Double, comment="成交价格 (万元)")
    agreed_start_date: Mapped[dt.date | None] = mapped_column(Date, comment="约定开工时间")
    idle_since: Mapped[dt.date | None] = mapped_column(Date, comment="闲置起始日")
    measure: Mapped[str | None] = mapped_column(
        Text, comment="拟处置措施 idle_fee 征收闲置费/idle_recover 无偿收回/退出原因"
    )
    fee_due_wan: Mapped[float | None] = mapped_column(Double, comment="应缴土地闲置费 (万元)")
    opened_on: Mapped[dt.date] = mapped_column(Date, comment="立案 (发现疑似闲置) 日期")
    opened_by: Mapped[str | None] = mapped_column(Text, comment="立案人/来源")
    state: Mapped[str] = mapped_column(
        Text,
        comment="状态 suspected 疑似闲置/investigating 调查/determined 认定/hearing 告知听证/"
        "decided 决定/extended 延期动工/appeal 复议诉讼中/fee_paid 缴费完成/recovered 收回完成/"
        "disposed 处置完成/closed 销号",
    )
    state_since: Mapped[dt.date | None] = mapped_column(Date, comment="进入当前状态日期")
    next_step: Mapped[str | None] = mapped_column(Text, comment="下一步")
    next_due: Mapped[dt.date | None] = mapped_column(Date, comment="下一步法定期限")
    days_left: Mapped[int | None] = mapped_column(Integer, comment="剩余天数 (日, 负数为逾期)")
    overdue: Mapped[bool | None] = mapped_column(Boolean, comment="已逾期")
    closed_on: Mapped[dt.date | None] = mapped_column(Date, comment="销号日期")
    as_of_date: Mapped[dt.date | None] = mapped_column(
        Date, comment="来源分析的评估基准日 (立案依据)"
    )
    notes: Mapped[str | None] = mapped_column(Text, comment="备注")


class LandCaseEvent(Base):
    """One step recorded on a case (案件记录): a document served, an answer, a payment."""

    __tablename__ = "land_case_event"
    __table_args__ = ({"comment": "案件记录 (送达、答复、听证、决定、缴费、复议诉讼、销号)"},)
    fid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(Text, index=True, comment="案件编号")
    event_type: Mapped[str] = mapped_column(Text, comment="事项 (见 CASE_EVENT_LABELS)")
    event_date: Mapped[dt.date] = mapped_column(Date, comment="日期 (送达日/缴纳日…)")
    due_date: Mapped[dt.date | None] = mapped_column(
        Date, comment="约定日期 (延期后的动工日/分期末期日)"
    )
    doc_no: Mapped[str | None] = mapped_column(Text, comment="文号")
    recorded_by: Mapped[str | None] = mapped_column(Text, comment="记录人")
    recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="记录时间")
    amount_wan: Mapped[float | None] = mapped_column(Double, comment="金额 (万元)")
    route: Mapped[str | None] = mapped_column(Text, comment="处置方式")
    notes: Mapped[str | None] = mapped_column(Text, comment="备注")
    src_file: Mapped[str | None] = mapped_column(Text, comment="来源文件")
    src_row: Mapped[int | None] = mapped_column(Integer, comment="来源行号")
    batch: Mapped[str | None] = mapped_column(Text, comment="导入批次")
