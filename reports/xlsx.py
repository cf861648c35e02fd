"""XLSX workbooks planners can read, print and send: Chinese headers with units, a
frozen and repeated header row, numbers stored as numbers with a format per unit, dates
as dates, CJK-aware column widths, A4 landscape fitted to the page width.

Every report that goes upward as a spreadsheet is written through :func:`write_workbook`.
Text from data is never a formula: a cell starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is written as text with Excel's quote prefix (OWASP's advice
against CSV/formula injection), so a spreadsheet shows it and never evaluates it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["FORMULA_START", "number_format", "text_width", "write_workbook"]

#: Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_WIDE = "[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"

#: Number formats by column-name suffix (the suffix says the unit).
_FORMATS: tuple[tuple[str, str], ...] = (
    ("_share", "0.00%"),
    ("_rate", "0.00%"),
    ("contribution", "0.00%"),
    ("building_coefficient", "0.00%"),
    ("rd_intensity", "0.00%"),
    ("_pp", "0.00"),
    ("_wan", "#,##0.00"),
    ("_wan_per_mu", "#,##0.00"),
    ("_mu", "#,##0.00"),
    ("_m2", "#,##0.00"),
    ("_ha", "#,##0.00"),
    ("_km2", "#,##0.00"),
    ("far", "0.00"),
    ("score", "0.00"),
)


def number_format(column: str) -> str | None:
    """The number format of a float column, from its name's unit suffix.

    Examples
    --------
    >>> number_format("idle_fee_wan"), number_format("footprint_share"), number_format("x")
    ('#,##0.00', '0.00%', None)
    """
    for suffix, fmt in _FORMATS:
        if column.endswith(suffix) or column == suffix.strip("_"):
            return fmt
    return None


def text_width(values: pd.Series) -> pd.Series:
    """Display width of each value: CJK and full-width characters count two.

    Examples
    --------
    >>> text_width(pd.Series(["abc", "六安市", None])).tolist()
    [3, 6, 0]
    """
    text = values.astype("string").fillna("")
    return (text.str.len() + text.str.count(_WIDE)).astype(int)


def _width(series: pd.Series, header: str) -> int:
    sample = pd.concat([pd.Series([header]), series.head(500)], ignore_index=True)
    widths = text_width(sample)
    header_w = int(widths.iloc[0])
    data_w = int(widths.iloc[1:].quantile(0.95)) if len(widths) > 1 else 0
    return int(min(max(8, header_w // 2 + 2, data_w + 2), 60))


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
        quoted = book.add_format({"quote_prefix": True})
        formats: dict[str, object] = {}
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
            for j, (raw, col) in enumerate(zip(df.columns, frame.columns, strict=True)):
                ws.write(start, j, str(col), header_fmt)
                fmt = number_format(str(raw)) if pd.api.types.is_float_dtype(df[raw]) else None
                if fmt is not None and fmt not in formats:
                    formats[fmt] = book.add_format({"num_format": fmt})
                ws.set_column(j, j, _width(frame.iloc[:, j], str(col)), formats.get(fmt or ""))
                _quote_formula_text(ws, frame.iloc[:, j], start + 1, j, quoted)
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
            _print_setup(ws, header_row=start)
            if len(frame.columns):
                ws.autofilter(start, 0, start + len(frame), len(frame.columns) - 1)
    return path


def _quote_formula_text(ws: object, column: pd.Series, first_row: int, j: int, fmt: object) -> None:
    """Rewrite the text cells that a spreadsheet would read as a formula, quoted."""
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return
    text = column.astype("string")
    risky = text.str.startswith(FORMULA_START).fillna(False).to_numpy(dtype=bool)
    for i in np.flatnonzero(risky):
        ws.write_string(first_row + int(i), j, str(text.iloc[int(i)]), fmt)  # type: ignore[attr-defined]


def _print_setup(ws: object, *, header_row: int) -> None:
    """A4 landscape, fitted to one page wide, header rows repeated on every page."""
    ws.set_landscape()  # type: ignore[attr-defined]
    ws.set_paper(9)  # type: ignore[attr-defined]  # 9 = A4 in the XLSX paper-size list
    ws.fit_to_pages(1, 0)  # type: ignore[attr-defined]
    ws.repeat_rows(0, header_row)  # type: ignore[attr-defined]
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)  # type: ignore[attr-defined]
    ws.set_footer("&C第 &P 页 / 共 &N 页")  # type: ignore[attr-defined]
