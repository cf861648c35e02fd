"""A chunk being cleaned: its canonical columns so far and the problems of each row.

:func:`devzone.etl.clean.clean` builds a :class:`Draft` step by step; the per-kind
hooks of :mod:`devzone.etl.hooks` complete it (``KindSpec.finish``).

Examples
--------
>>> import pandas as pd
>>> p = Problems(3)
>>> p.add([True, False, True], "面积", ["-1", "", "x"], "negative value")
>>> p.add([True, True, False], "年度", ["", "1800", ""], "not a year")
>>> list(p.reason)
['negative value; also 年度: not a year', 'not a year', 'negative value']
>>> p.bad.tolist(), list(p.field)
([True, True, True], ['面积', '年度', '面积'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["Draft", "Problems", "RawTable"]


@dataclass
class RawTable:
    """One file as read: records, where they sit in the file, geometry and CRS.

    ``row_numbers`` are what the user sees: the CSV line, the spreadsheet row (title
    and header rows included), the JSON Lines line, or the feature number (index + 1);
    ``row_label`` says which.
    """

    path: Path
    frame: pd.DataFrame
    row_numbers: np.ndarray
    row_label: str
    geometry: object | None = None  # GeoSeries
    crs: object | None = None  # pyproj.CRS
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    #: Cells that hold no value and must not be read as blank: ``(row number, header,
    #: cell text, reason)`` — a formula without a saved result, an error cell.
    bad_cells: list[tuple[int, str, str, str]] = field(default_factory=list)
    #: Where the records come from inside the file (``sheet 2019年``, ``layer parcels``).
    part: str | None = None


class Problems:
    """First problem of each row, with later ones appended to its reason."""

    def __init__(self, n: int) -> None:
        self.field = np.full(n, "", dtype=object)
        self.value = np.full(n, "", dtype=object)
        self.reason = np.full(n, "", dtype=object)

    def add(
        self,
        mask: pd.Series | np.ndarray | list[bool],
        field: str,
        values: object,
        reason: str | np.ndarray,
    ) -> None:
        """Record ``reason`` (one text, or one per row) for the rows in ``mask``."""
        m = np.asarray(mask, dtype=bool)
        if not m.any():
            return
        new = m & (self.reason == "")
        also = m & ~new
        vals = pd.Series(values).astype("string").fillna("").to_numpy(dtype=object)
        if vals.shape[0] != m.shape[0]:
            vals = np.full(m.shape[0], "", dtype=object)
        why = np.broadcast_to(np.asarray(reason, dtype=object), m.shape)
        self.field[new] = field
        self.value[new] = vals[new]
        self.reason[new] = why[new]
        if also.any():
            self.reason[also] = self.reason[also] + f"; also {field}: " + why[also]

    @property
    def bad(self) -> np.ndarray:
        """Rows with at least one problem."""
        return self.reason != ""


@dataclass
class Draft:
    """One chunk during cleaning.

    ``cells`` are the file's raw cells (blank rows removed), ``out`` the canonical
    columns parsed so far, ``headers`` the file's header of each canonical column,
    ``geoms`` the (normalised, once the geometry step ran) geometries and
    ``footprint_m2`` their measured area (NaN where not measured).
    """

    cells: pd.DataFrame
    out: pd.DataFrame
    problems: Problems
    headers: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    geoms: np.ndarray | None = None
    footprint_m2: np.ndarray | None = None

    def raw_of(self, name: str) -> pd.Series:
        """The file's cells of canonical column ``name`` (blank when not in the file)."""
        if name in self.headers:
            return self.cells[self.headers[name]]
        return pd.Series([""] * len(self.out))

    def column(self, name: str) -> pd.Series:
        """Canonical column ``name``, or an all-missing text column."""
        return self.out.get(name, pd.Series(pd.NA, index=self.out.index, dtype="string"))
