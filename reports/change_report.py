"""The change report of a load (数据变更报告): an XLSX for the planner and a console text.

Sheets: 汇总 (rows added, retired and changed per table, then per zone), 字段变更 (each
changed field of each row, from what to what; boundary moves in metres), 规则相关变更
(the changes that matter to a rule: an agreed start date moved, a government cause
added, a holder renamed, an area changed beyond ``[history] area_change_tolerance``).
Labels come from :mod:`devzone.vocab`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pandas as pd

from devzone.reports.xlsx import write_workbook
from devzone.vocab import DATA_CHANGE_LABELS, RULE_CHANGE_LABELS

__all__ = ["ChangeTables", "console_summary", "write_change_report"]

#: Sheet names.
SUMMARY, FIELDS, RULES = "汇总", "字段变更", "规则相关变更"

LABELS = {
    "table": "数据表",
    "key": "记录键",
    "zone_code": "开发区代码",
    "added": DATA_CHANGE_LABELS["added"],
    "retired": DATA_CHANGE_LABELS["retired"],
    "changed": DATA_CHANGE_LABELS["changed"],
    "field": "字段",
    "old": "原值",
    "new": "新值",
    "rule": "规则相关变更",
    "moved_m": "界址移动 (米, 质心距离)",
    "area_old_m2": "原面积 (平方米, 量算)",
    "area_new_m2": "新面积 (平方米, 量算)",
    "area_change": "面积变化 (比例)",
}


class ChangeTables(Protocol):
    """What the report reads (:class:`devzone.jobs.etl_diff.ChangeSet` provides it)."""

    since: int
    until: int
    fields: pd.DataFrame
    geometry: pd.DataFrame
    rules: pd.DataFrame

    def by_kind(self) -> pd.DataFrame:
        """Counts per table."""
        ...

    def by_zone(self) -> pd.DataFrame:
        """Counts per zone and table."""
        ...


def _field_sheet(changes: ChangeTables) -> pd.DataFrame:
    fields = changes.fields.copy()
    geometry = changes.geometry
    if len(geometry):
        moved = pd.DataFrame(
            {
                "table": geometry["table"],
                "key": geometry["key"],
                "zone_code": geometry["zone_code"],
                "field": "geom",
                "old": geometry["area_old_m2"].round(2),
                "new": geometry["area_new_m2"].round(2),
                "moved_m": geometry["moved_m"].round(2),
                "area_change": geometry["area_change"].round(4),
            }
        )
        fields = pd.concat([fields, moved], ignore_index=True)
    for col in ("moved_m", "area_change"):
        if col not in fields:
            fields[col] = pd.Series(dtype=float)
    return fields.sort_values(["table", "key", "field"], kind="stable").reset_index(drop=True)


def _rules_sheet(changes: ChangeTables) -> pd.DataFrame:
    rules = changes.rules.copy()
    rules["rule"] = rules["rule"].map(RULE_CHANGE_LABELS).fillna(rules["rule"])
    return rules[["rule", "table", "key", "zone_code", "field", "old", "new"]]


def write_change_report(
    path: str | Path, changes: ChangeTables, *, synthetic: bool = False
) -> Path:
    """Write the three sheets to ``path`` (XLSX) and return it."""
    kind = changes.by_kind().assign(zone_code="(全部)")
    zone = changes.by_zone()
    summary = pd.concat([kind, zone], ignore_index=True)[
        ["table", "zone_code", "added", "retired", "changed"]
    ]
    note = f"加载批次 {changes.since} → {changes.until} 的数据变更"
    if synthetic:
        note += " (合成数据 synthetic)"
    return write_workbook(
        path,
        {SUMMARY: summary, FIELDS: _field_sheet(changes), RULES: _rules_sheet(changes)},
        labels=LABELS,
        notes={SUMMARY: note, FIELDS: note, RULES: note},
    )


def console_summary(changes: ChangeTables) -> str:
    """A few lines for the terminal: counts per table, then the rule-relevant changes."""
    lines = [f"Changes since load batch {changes.since} (now batch {changes.until}):"]
    kind = changes.by_kind()
    if not len(kind):
        lines.append("  nothing added, retired or changed")
    for r in kind.itertuples(index=False):
        lines.append(
            f"  {r.table:<22} {DATA_CHANGE_LABELS['added']} {r.added:>6}  "
            f"{DATA_CHANGE_LABELS['retired'].split(' ')[0]} {r.retired:>6}  "
            f"{DATA_CHANGE_LABELS['changed']} {r.changed:>6}"
        )
    if len(changes.rules):
        lines.append("Changes that matter to a rule:")
        counts = changes.rules.groupby("rule", sort=False).size()
        for rule, n in counts.items():
            lines.append(f"  {RULE_CHANGE_LABELS.get(str(rule), str(rule))}: {n}")
    return "\n".join(lines)
