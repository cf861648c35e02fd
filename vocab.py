"""One vocabulary: the codes stored in result tables and their Chinese labels.

The rules write the codes (``parcel_idle_status.status = 'idle_fee'``); ledgers, reports
and the map legend show the labels. Each code and each label is defined here once, so a
workbook, a notice and the map say the same thing (the wording follows Order 53:
动工开发, 闲置, 无偿收回).

Examples
--------
>>> IDLE_STATUS_LABELS["overdue"]
'逾期未动工 (未满一年)'
>>> set(FEE_STATUSES) <= set(IDLE_STATUSES)
True
>>> label(["idle_fee", "unknown-code"], IDLE_STATUS_LABELS)
['闲置满一年 (征收闲置费)', 'unknown-code']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = [
    "AREA_BASIS_LABELS",
    "CASE_DECISION_LABELS",
    "CASE_EVENT_LABELS",
    "CASE_PROCEDURE_LABELS",
    "CASE_STATE_LABELS",
    "CASE_STEP_LABELS",
    "CHANGE_LABELS",
    "CONTRIBUTION_UNIT_LABELS",
    "CORRIDOR_MEMBER_LABELS",
    "DATA_CHANGE_LABELS",
    "EVALUATION_NOTE_LABELS",
    "EXIT_REASON_LABELS",
    "FEE_STATUSES",
    "FIT_LABELS",
    "GRADES",
    "GRADE_LABELS",
    "GROUP_LABELS",
    "IDLE_STATUSES",
    "IDLE_STATUS_LABELS",
    "INVEST_SOURCE_LABELS",
    "MEASURE_LABELS",
    "PERFORMANCE_NOTE_LABELS",
    "RULE_CHANGE_LABELS",
    "SCORE_METHOD_LABELS",
    "START_EVIDENCE_LABELS",
    "STATUSES",
    "SUMMARY_KIND_LABELS",
    "SUPERVISION_CATEGORIES",
    "UNUSED_STATUSES",
    "YES_NO",
    "label",
]

# --- 闲置土地 (Order 53) -------------------------------------------------------------

#: Every value of ``parcel_idle_status.status`` with its planner-facing label.
IDLE_STATUS_LABELS: dict[str, str] = {
    "not_supplied": "未供地",
    "not_due": "未到约定动工期",
    "overdue": "逾期未动工 (未满一年)",
    "idle_fee": "闲置满一年 (征收闲置费)",
    "idle_recover": "闲置满两年 (可无偿收回)",
    "idle_stalled": "已动工但中止开发满一年 (征收闲置费)",
    "government_cause": "政府原因闲置",
    "under_construction": "在建",
    "completed": "已竣工",
    "completed_late": "逾期竣工",
    "no_start_date": "无约定动工时间",
}

#: The status codes, in the order of the procedure.
STATUSES: tuple[str, ...] = tuple(IDLE_STATUS_LABELS)

#: Idle land under Art. 2 with the holder at fault.
IDLE_STATUSES: tuple[str, ...] = ("idle_fee", "idle_recover", "idle_stalled")

#: Statuses that owe the idle fee (土地闲置费, Art. 14 (一)).
FEE_STATUSES: tuple[str, ...] = ("idle_fee", "idle_stalled")

#: Supplied but not used (供而未用): past the agreed start without starting, or stalled.
UNUSED_STATUSES: tuple[str, ...] = ("overdue", "government_cause", *IDLE_STATUSES)

#: Supervision categories of the land-market monitoring system (stored as Chinese).
SUPERVISION_CATEGORIES: tuple[str, ...] = ("批而未供", "供而未用", "用而未尽", "低效用地")

#: ``parcel_idle_status.start_evidence``.
START_EVIDENCE_LABELS: dict[str, str] = {
    "actual_start_date": "实际开工时间",
    "buildings": "建筑基底",
    "none": "无",
}

#: ``parcel_idle_status.next_measure`` and the measure a document orders.
MEASURE_LABELS: dict[str, str] = {
    "idle_fee": "征缴土地闲置费 (第十四条第一项)",
    "idle_stalled": "征缴土地闲置费 (第十四条第一项)",
    "idle_recover": "无偿收回国有建设用地使用权 (第十四条第二项)",
}

# --- exit mechanism ------------------------------------------------------------------

#: ``exit_candidate.reason``.
EXIT_REASON_LABELS: dict[str, str] = {
    "bankrupt": "破产",
    "suspended": "停产",
    "zombie": "僵尸企业",
    "commitment_missed": "标准地承诺未达标",
}

# --- 亩均效益 ------------------------------------------------------------------------

#: Grades of the evaluation, best first, then T (evaluated, not graded) and none.
GRADES: tuple[str, ...] = ("A", "B", "C", "D", "T")

#: ``parcel_performance.grade`` / ``enterprise_evaluation.grade`` labels.
GRADE_LABELS: dict[str, str] = {
    "A": "A 类",
    "B": "B 类",
    "C": "C 类",
    "D": "D 类",
    "T": "T 类 (不评级)",
    "none": "无评价",
}

#: ``enterprise_evaluation.group_name``.
GROUP_LABELS: dict[str, str] = {"above": "规上", "below": "规下"}

#: ``grade_change.change``.
CHANGE_LABELS: dict[str, str] = {
    "up": "升档",
    "down": "降档",
    "same": "不变",
    "new": "新参评",
    "other": "其他",
}

#: What a load did to a registry row (``devzone etl diff``).
DATA_CHANGE_LABELS: dict[str, str] = {
    "added": "新增",
    "changed": "变更",
    "retired": "注销 (完整导出中已无)",
}

#: Changes that matter to a rule (``devzone etl diff``, sheet 规则相关变更).
RULE_CHANGE_LABELS: dict[str, str] = {
    "agreed_start_moved": "约定开工时间变更 (闲置认定起算日)",
    "government_cause_added": "新增政府原因 (第八条, 土地闲置费为0)",
    "holder_renamed": "土地使用权人更名",
    "area_changed": "面积变化超过容差",
    "geometry_area_changed": "界址面积变化超过容差",
}

#: ``parcel_performance.performance_note``.
PERFORMANCE_NOTE_LABELS: dict[str, str] = {
    "no_enterprise": "无用地企业",
    "no_indicators": "企业无当年指标",
}

#: ``parcel_intensity.invest_source``.
INVEST_SOURCE_LABELS: dict[str, str] = {"progress": "项目进度", "commitment": "合同承诺"}

# --- zones ---------------------------------------------------------------------------

#: ``parcel_industry_fit.fit``.
FIT_LABELS: dict[str, str] = {
    "lead": "首位产业",
    "main": "主导产业",
    "misfit": "不符合主导产业",
    "unknown": "未知",
}

# --- 案件 (cases: the idle-land and exit procedures) ---------------------------------

#: ``land_case.procedure``.
CASE_PROCEDURE_LABELS: dict[str, str] = {
    "idle": "闲置土地处置",
    "exit": "项目退出",
    "commitment": "标准地承诺未达标",
}

#: ``land_case.state``, in procedure order.
CASE_STATE_LABELS: dict[str, str] = {
    "suspected": "疑似闲置",
    "investigating": "调查",
    "determined": "认定",
    "hearing": "告知听证",
    "decided": "决定",
    "extended": "延期动工 (第十二条)",
    "appeal": "复议诉讼中",
    "fee_paid": "缴费完成",
    "recovered": "收回完成",
    "disposed": "处置完成",
    "closed": "销号",
}

#: ``land_case_event.event_type``: what an officer records.
CASE_EVENT_LABELS: dict[str, str] = {
    "notice_served": "调查通知书送达",
    "answer_received": "收到答复材料",
    "determination_served": "认定书送达",
    "hearing_notice_served": "听证告知书送达",
    "hearing_requested": "申请听证",
    "hearing_held": "举行听证",
    "fee_decision_served": "征缴土地闲置费决定书送达",
    "recovery_decision_served": "收回决定书送达",
    "disposal_decided": "确定处置方式",
    "instalment_plan": "分期缴纳 (末期日期)",
    "fee_paid": "缴纳土地闲置费",
    "registration_cancelled": "注销登记",
    "disposal_done": "处置完成",
    "extension_granted": "延长动工期限 (第十二条)",
    "construction_started": "动工开发",
    "review_filed": "申请行政复议",
    "suit_filed": "提起行政诉讼",
    "appeal_upheld": "复议/诉讼维持",
    "appeal_revoked": "复议/诉讼撤销",
    "closed": "销号",
}

#: The 处置决定 drop-down of the case ledger: decision code → label.
CASE_DECISION_LABELS: dict[str, str] = {
    "fee": "征缴土地闲置费",
    "recovery": "无偿收回国有建设用地使用权",
    "extension": "延长动工开发期限 (第十二条)",
    "disposal": "确定处置方式 (项目退出/承诺未达标)",
}

#: ``land_case.next_step``: what the authority or the holder must do next.
CASE_STEP_LABELS: dict[str, str] = {
    "serve_notice": "送达调查通知书",
    "answer": "使用权人答复期限",
    "determine": "作出认定",
    "notify_hearing": "送达听证告知书",
    "hearing_request": "听证申请期限",
    "hold_hearing": "组织听证",
    "decide": "作出处置决定",
    "pay_fee": "缴纳土地闲置费",
    "cancel_registration": "办理注销登记",
    "dispose": "实施处置",
    "start_construction": "延期后动工",
    "await_appeal": "等待复议/诉讼结果",
    "close": "销号",
}

# --- planner-facing workbooks (issue 19) ---------------------------------------------

#: ``enterprise_evaluation.note``: why a firm is not graded (``missing:<indicator>`` is
#: shown as 缺少指标 and the indicator).
EVALUATION_NOTE_LABELS: dict[str, str] = {
    "no_land": "无用地",
    "below_threshold": "用地面积低于参评门槛",
    "excluded_status": "经营状态不参评",
    "transition": "过渡期 (T 类)",
    "exempt": "豁免行业 (T 类)",
    "missing": "缺少指标",
}

#: ``[performance.scoring] method``.
SCORE_METHOD_LABELS: dict[str, str] = {
    "benchmark_ratio": "基准值比值法",
    "county_mean": "县区均值比值法",
    "fixed": "固定基准值法",
    "min_max": "极差标准化法",
}

#: ``zone_evaluation.area_basis``: where the evaluated area comes from.
AREA_BASIS_LABELS: dict[str, str] = {"approved": "核准面积", "boundary": "边界量算面积"}

#: ``corridor_contribution.unit``.
CONTRIBUTION_UNIT_LABELS: dict[str, str] = {
    "city": "全市",
    "corridor": "走廊",
    "zone": "开发区",
}

#: ``corridor_zone.member_by``.
CORRIDOR_MEMBER_LABELS: dict[str, str] = {"geometry": "空间缓冲区", "list": "名单"}

#: ``zone_idle_summary.kind``.
SUMMARY_KIND_LABELS: dict[str, str] = {
    "status": "状态",
    "supervision": "监管分类",
    "zone": "开发区核准面积",
}

#: Booleans shown to people.
YES_NO: dict[bool, str] = {True: "是", False: "否"}


def label(codes: Iterable[object], labels: Mapping[object, str]) -> list[object]:
    """The label of each code; a code without a label is shown as it is.

    Examples
    --------
    >>> label(["above", None], GROUP_LABELS)
    ['规上', None]
    """
    return [labels.get(c, c) if c is not None else None for c in codes]  # type: ignore[call-overload]
