"""CSV files safe to open in a spreadsheet (OWASP "CSV injection").

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read by Excel, LibreOffice and WPS as a formula. Every CSV devzone writes goes through
:func:`write_csv`, which puts a leading ``'`` before such a cell (the spreadsheet shows
the text as typed, without evaluating it); :func:`restore` removes that prefix when a
file devzone wrote (a rejects file) is loaded back.

Examples
--------
>>> neutralise("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> neutralise("@SUM(1)"), neutralise("合肥"), neutralise(-3.5)
("'@SUM(1)", '合肥', -3.5)
>>> restore("'=1+1"), restore("'O'Brien")
('=1+1', "'O'Brien")
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["FORMULA_STARTS", "neutralise", "restore", "safe_frame", "write_csv"]

#: First characters that make a spreadsheet evaluate a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``value`` with a leading ``'`` when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(value: object) -> object:
    """Undo :func:`neutralise` (a ``'`` followed by a formula start is dropped)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are neutralised."""
    out = frame.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
            out[c] = col.astype(object).map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 CSV with BOM (Excel opens it), every cell neutralised.

    Lines end in CRLF, as Excel writes them, so a cell holding a lone CR is quoted
    (with LF endings a CR inside a cell would split the record)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path
