"""XLSX workbooks planners can read: Chinese headers with units, frozen header row,
numbers stored as numbers, dates as dates, sensible column widths.

Every report that goes upward as a spreadsheet is written through :func:`write_workbook`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["write_workbook"]


def _width(series: pd.Series, header: str) -> int:
    sample = series.head(200).astype(str).fillna("")
    longest = max([len(header), *(len(s) for s in sample)], default=len(header))
    # CJK characters are about two columns wide.
    cjk = max([sum(1 for ch in header if ord(ch) > 0x2E80)], default=0)
    return int(min(max(8, longest + cjk + 2), 60))


def write_workbook(
    path: str | Path,
    sheets: Mapping[str, pd.DataFrame],
    *,
    labels: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
    validations: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
) -> Path:
    """Write DataFrames as sheets of one XLSX file.

    Parameters
    ----------
    path
        Output file; parent folders are created.
    sheets
        Sheet name (≤ 31 characters, Chinese welcome) → DataFrame.
    labels
        Column name → header text (e.g. ``"tax_per_mu_wan": "亩均税收 (万元/亩)"``);
        columns without a label keep their name.
    notes
        Sheet name → a line written above the table (source, date, "synthetic data").
    validations
        Sheet name → {column name (before labelling) → allowed values}: a drop-down
        list on that column's data cells, for columns the planner fills in.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    labels = labels or {}
    notes = notes or {}
    validations = validations or {}
    # Text from registry exports is never a formula (an enterprise named "=HYPERLINK(…)"
    # stays text), and long digit strings such as credit codes stay text.
    with pd.ExcelWriter(
        path,
        engine="xlsxwriter",
        datetime_format="yyyy-mm-dd",
        date_format="yyyy-mm-dd",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        book = writer.book
        header_fmt = book.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
        )
        note_fmt = book.add_format({"italic": True, "font_color": "#555555"})
        for name, df in sheets.items():
            sheet_name = name[:31]
            start = 1 if name in notes else 0
            frame = df.copy()
            for col in frame.columns:
                if isinstance(frame[col].dtype, pd.BooleanDtype) or frame[col].dtype == bool:
                    frame[col] = frame[col].map({True: "是", False: "否"}).astype(object)
                elif pd.api.types.is_float_dtype(frame[col]):
                    frame[col] = frame[col].replace([np.inf, -np.inf], np.nan)
            frame = frame.rename(columns={c: labels.get(c, c) for c in frame.columns})
            frame.to_excel(writer, sheet_name=sheet_name, index=False, startrow=start)
            ws = writer.sheets[sheet_name]
            if name in notes:
                ws.write(0, 0, notes[name], note_fmt)
            for j, col in enumerate(frame.columns):
                ws.write(start, j, str(col), header_fmt)
                ws.set_column(j, j, _width(frame.iloc[:, j], str(col)))
            for col, allowed in validations.get(name, {}).items():
                if col not in df.columns:
                    raise KeyError(f"validation for unknown column {col!r} of sheet {name!r}")
                j = list(df.columns).index(col)
                ws.data_validation(
                    start + 1,
                    j,
                    start + max(len(frame), 1),
                    j,
                    {"validate": "list", "source": list(allowed)},
                )
            ws.freeze_panes(start + 1, 0)
            if len(frame.columns):
                ws.autofilter(start, 0, start + len(frame), len(frame.columns) - 1)
    return path
