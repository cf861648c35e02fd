"""Vectorised parsing of the values registries export: Chinese dates, numbers with units.

Every parser takes a Series of raw cells and returns the parsed Series plus a boolean
mask of cells that were not blank but could not be parsed (the caller turns those into
rejects naming file, row and field).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from devzone.units import M2_PER_HA, M2_PER_KM2, M2_PER_MU, MU_PER_HA

__all__ = [
    "UNIT_FACTORS",
    "blank_mask",
    "clean_text",
    "parse_bool",
    "parse_dates",
    "parse_numbers",
]

#: Factor converting a value in the named unit to the canonical unit of its family.
UNIT_FACTORS: dict[str, dict[str, float]] = {
    "m2": {
        "平方米": 1.0,
        "㎡": 1.0,
        "m2": 1.0,
        "m²": 1.0,
        "平米": 1.0,
        "公顷": M2_PER_HA,
        "ha": M2_PER_HA,
        "亩": M2_PER_MU,
        "mu": M2_PER_MU,
        "平方公里": M2_PER_KM2,
        "km2": M2_PER_KM2,
    },
    "ha": {
        "公顷": 1.0,
        "ha": 1.0,
        "平方米": 1e-4,
        "㎡": 1e-4,
        "m2": 1e-4,
        "m²": 1e-4,
        "亩": 1 / MU_PER_HA,
        "mu": 1 / MU_PER_HA,
        "平方公里": 100.0,
        "km2": 100.0,
    },
    "wan": {"万元": 1.0, "万": 1.0, "元": 1e-4, "亿元": 1e4, "亿": 1e4},
    "wan_per_mu": {"万元/亩": 1.0, "万元亩": 1.0, "元/亩": 1e-4, "万元/公顷": 1 / MU_PER_HA},
    "tce": {"吨标准煤": 1.0, "吨标煤": 1.0, "tce": 1.0, "万吨标准煤": 1e4},
    "t": {"吨": 1.0, "t": 1.0, "千克": 1e-3, "kg": 1e-3},
    "m": {"米": 1.0, "m": 1.0},
    "year": {"年": 1.0},
    "person": {"人": 1.0},
    "ratio": {},
}

_BLANKS = {"", "-", "--", "—", "——", "/", "无", "none", "null", "n/a", "na"}


def clean_text(values: pd.Series) -> pd.Series:
    """Cells as stripped strings (NFKC-normalised), blanks as ``<NA>``.

    Runs in Arrow compute kernels (``utf8_normalize``, ``utf8_trim_whitespace``).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    s = values.astype("string[pyarrow]")
    arr = s.array.__arrow_array__()
    if pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    arr = pc.utf8_trim_whitespace(pc.utf8_normalize(arr, "NFKC"))
    blank = pc.is_in(pc.utf8_lower(arr), value_set=pa.array(sorted(_BLANKS)))
    arr = pc.if_else(blank, pa.scalar(None, pa.string()), arr)
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=values.index)


def blank_mask(values: pd.Series) -> pd.Series:
    """True where a cell is blank (missing, empty, or a dash)."""
    return clean_text(values).isna()


_DATE_RE = (
    r"^(?P<y>\d{4})\s*(?:年|/|-|\.)\s*(?P<m>\d{1,2})\s*(?:月)?\s*"
    r"(?:(?:/|-|\.)?\s*(?P<d>\d{1,2})\s*日?)?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates written as registries write them.

    Accepts ``2019年07月21日``, ``2019/7/21``, ``2019-07-21``, ``2019.07`` (→ 1st of the
    month), ``20190721``, Excel serial numbers (``43667``) and datetime cells.

    Returns
    -------
    (dates, bad)
        ``datetime64`` Series (NaT where blank or bad) and the mask of bad cells. A
        date outside 1949–2100 is bad.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        out = pd.to_datetime(values).astype("datetime64[ns]")
        out = out.where((out.dt.year >= 1949) & (out.dt.year <= 2100))
        return out, values.notna() & out.isna()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if pd.api.types.is_string_dtype(values) and values.dtype != object:
        is_dt = pd.Series(False, index=values.index)  # text column: no datetime cells
    else:  # spreadsheet column mixing datetime cells and text
        is_dt = values.map(lambda v: isinstance(v, dt.date | pd.Timestamp | np.datetime64))
    if is_dt.any():
        out[is_dt] = pd.to_datetime(values[is_dt], errors="coerce")
    s = clean_text(values.where(~is_dt))
    todo = s.notna()
    if todo.any():
        parts = s[todo].str.extract(_DATE_RE)
        compact = s[todo].str.extract(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
        parts = parts.fillna(compact)
        ymd = pd.DataFrame(
            {
                "year": pd.to_numeric(parts["y"], errors="coerce").astype("float64"),
                "month": pd.to_numeric(parts["m"], errors="coerce").astype("float64"),
                "day": pd.to_numeric(parts["d"], errors="coerce").astype("float64").fillna(1),
            }
        )
        ok = ymd["year"].notna() & ymd["month"].notna()
        parsed = pd.Series(pd.NaT, index=ymd.index, dtype="datetime64[ns]")
        if ok.any():
            parsed[ok] = pd.to_datetime(ymd[ok], errors="coerce")
        # Excel serial day numbers (1900 date system), e.g. 43667 = 2019-07-21.
        serial = pd.to_numeric(s[todo], errors="coerce")
        is_serial = parsed.isna() & serial.between(20000, 80000)
        if is_serial.any():
            parsed[is_serial] = pd.Timestamp("1899-12-30") + pd.to_timedelta(
                serial[is_serial].round(), unit="D"
            )
        out[todo] = parsed
    present = ~blank_mask(values) | is_dt
    out = out.where((out.dt.year >= 1949) & (out.dt.year <= 2100))
    return out, present & out.isna()


_NUM_RE = r"^(?P<sign>[-+])?(?P<num>\d+(?:\.\d*)?|\.\d+)(?:[eE](?P<exp>[-+]?\d+))?\s*(?P<unit>.*)$"


def parse_numbers(
    values: pd.Series, *, unit: str | None = None, header_unit: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Parse numbers with thousands separators and unit suffixes into canonical units.

    Parameters
    ----------
    values
        Raw cells (``"1,234.5"``, ``"3.2公顷"``, ``"15亩"``, ``12.0``).
    unit
        Canonical unit family of the target column (a key of :data:`UNIT_FACTORS`).
    header_unit
        Unit named in the column header (``面积(亩)`` → ``亩``); used when a cell names
        none.

    Returns
    -------
    (numbers, bad)
        Float Series in the canonical unit and the mask of cells that were not blank but
        were not a number in a known unit.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = pd.to_numeric(values, errors="coerce").astype("float64")
        if header_unit and header_unit.replace(" ", "") in UNIT_FACTORS.get(unit or "", {}):
            out = out * UNIT_FACTORS[unit or ""][header_unit.replace(" ", "")]
        infinite = pd.Series(np.isinf(out.to_numpy()), index=values.index)
        return out.mask(infinite), infinite
    if pd.api.types.is_string_dtype(values) and values.dtype != object:
        numeric = pd.Series(False, index=values.index)  # text column (CSV): all cells text
    else:  # spreadsheet column mixing numbers and text
        numeric = values.map(
            lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool)
        )
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    if numeric.any():
        out[numeric] = pd.to_numeric(values[numeric], errors="coerce")
    s = clean_text(values.where(~numeric))
    s = s.str.replace(r"(?<=\d)[,，'\s](?=\d{3})", "", regex=True)
    todo = s.notna()
    unit_of_cell = pd.Series(pd.NA, index=values.index, dtype="string")
    if todo.any():
        parts = s[todo].str.extract(_NUM_RE)
        num = pd.to_numeric(parts["num"], errors="coerce").astype("float64")
        exp = pd.to_numeric(parts["exp"], errors="coerce").astype("float64").fillna(0)
        num = num * np.power(10.0, exp)
        neg = (parts["sign"] == "-").fillna(False).astype(bool)
        out[todo] = num.where(~neg, -num).to_numpy()
        unit_of_cell[todo] = parts["unit"].str.strip().replace("", pd.NA)
    factors = UNIT_FACTORS.get(unit or "", {})
    default = 1.0
    if header_unit:
        hu = header_unit.replace(" ", "")
        if hu in factors:
            default = factors[hu]
    factor = pd.Series(default, index=values.index, dtype="float64")
    has_unit = unit_of_cell.notna()
    if has_unit.any():
        mapped = unit_of_cell[has_unit].astype(object).map(lambda u: factors.get(u, np.nan))
        factor[has_unit] = mapped.to_numpy(dtype="float64", na_value=np.nan)
    out = out * factor
    # NaN, infinity and overflow (1e400) are not numbers: rejected, never stored
    bad = ~blank_mask(values) & ~np.isfinite(out.fillna(np.nan))
    return out.where(np.isfinite(out)), bad


_TRUE = {"是", "y", "yes", "true", "1", "规上", "√", "t"}
_FALSE = {"否", "n", "no", "false", "0", "规下", "×", "f"}


def parse_bool(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse 是/否, yes/no, true/false, 1/0 into a nullable boolean Series."""
    s = clean_text(values).str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[s.isin(_TRUE)] = True
    out[s.isin(_FALSE)] = False
    bad = s.notna() & out.isna()
    return out, bad
